"""Input limits (``lbn_tui.tui.input_limits``): a window size typed as input, an
endless bracketed paste and a stream of keys cannot make the app grow.

The limiter is checked on its own, then the real app on a pseudo-terminal is
sent what the issue "Hostile input, round two" found: an in-band resize report
of 20000 x 20000, an unterminated paste and keys as fast as it takes them,
with its memory read from /proc."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from lbn_tui.tui import input_limits
from lbn_tui.tui.input_limits import PASTE_END, PASTE_START, InputLimiter

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


# --------------------------------------------------------------------------
# The limiter on its own.


def _feed_all(limiter: InputLimiter, pieces: list[str], now: float = 0.0) -> str:
    return "".join(limiter.feed(piece, now) for piece in pieces)


def test_input_without_a_paste_passes_unchanged() -> None:
    limiter = InputLimiter()
    text = "q/abc\x1b[A\x1b\x1b[48;20000;20000;0;0t\x1b[20"
    assert limiter.feed(text, 0.0) == text
    assert not limiter.notices


@pytest.mark.parametrize("split", range(1, 12))
def test_a_short_paste_passes_whatever_the_reads(split: int) -> None:
    text = "ab" + PASTE_START + "pasted text" + PASTE_END + "q"
    pieces = [text[i : i + split] for i in range(0, len(text), split)]
    assert _feed_all(InputLimiter(), pieces) == text


def test_a_long_paste_is_cut_and_the_rest_dropped_up_to_its_end() -> None:
    limiter = InputLimiter(max_chars=10)
    out = limiter.feed(PASTE_START + "0123456789abcdef", 0.0)
    assert out == PASTE_START + "0123456789" + PASTE_END
    assert limiter.notices == [
        "The paste was longer than 10 characters: only its first 10 characters were kept."
    ]
    # Still the same paste: dropped, end marker included, then keys again.
    assert limiter.feed("more" * 1000 + "\x1b[20", 1.0) == ""
    assert limiter.feed("1~q", 1.1) == "q"
    assert limiter.dropped == 6 + 4000


def test_escapes_inside_a_paste_are_dropped() -> None:
    # Textual turns an escape sequence inside a paste into key presses.
    limiter = InputLimiter()
    out = limiter.feed(PASTE_START + "a\x1bq\x1b[48;9;9;0;0tb\x1b[20", 0.0)
    assert out == PASTE_START + "aq[48;9;9;0;0tb"
    assert limiter.feed("1~", 0.0) == PASTE_END


def test_a_paste_open_too_long_is_ended_by_the_clock() -> None:
    limiter = InputLimiter(max_seconds=5)
    assert limiter.feed(PASTE_START + "abc", 0.0) == PASTE_START + "abc"
    assert limiter.tick(4.0) == ""
    assert limiter.tick(5.5) == PASTE_END
    assert "longer than 5 seconds" in limiter.notices[0]
    assert limiter.feed("def", 5.6) == ""  # the rest of that paste
    # The end marker never comes; once the input is quiet, keys are keys.
    assert limiter.tick(9.0) == ""
    assert limiter.tick(11.0) == ""
    assert limiter.feed("q", 11.1) == "q"


def test_a_slow_paste_is_ended_as_it_arrives() -> None:
    limiter = InputLimiter(max_seconds=5)
    limiter.feed(PASTE_START, 0.0)
    assert limiter.feed("x", 3.0) == "x"
    assert limiter.feed("y", 6.0) == "y" + PASTE_END
    assert limiter.feed("z" + PASTE_END + "q", 6.1) == "q"


def test_sizes_are_clamped_to_the_servers_limits() -> None:
    from lbn_tui.serve import ssh as serve_ssh

    assert input_limits.clamp_size(20000, 20000) == (1000, 500)
    assert input_limits.clamp_size(0, -5) == (1, 1)
    assert input_limits.clamp_size(80, 24) == (80, 24)
    assert (serve_ssh.MAX_COLUMNS, serve_ssh.MAX_ROWS) == (1000, 500)


# --------------------------------------------------------------------------
# The real app on a pseudo-terminal.


class PtyApp:
    def __init__(self, tmp: Path) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp),
            "TERM": "xterm-256color",
            "LBN_TUI_SERVED": "1",
            "XDG_STATE_HOME": str(tmp / "state"),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lbn_tui"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        os.set_blocking(master, False)
        self.out = bytearray()

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                data = os.read(self.master, 65536)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            except OSError:
                return
            if not data:
                return
            self.out.extend(data)

    def text(self) -> str:
        return CSI.sub("", self.out.decode("utf-8", "replace"))

    def wait_for(self, needle: str, timeout: float = 20) -> None:
        end = time.monotonic() + timeout
        while needle not in self.text():
            assert time.monotonic() < end, f"{needle!r} never came: {self.text()[-500:]!r}"
            self.pump(0.1)

    def send(self, data: bytes, timeout: float = 60) -> None:
        """All of ``data``, reading the app's output meanwhile."""
        end = time.monotonic() + timeout
        view = memoryview(data)
        while view:
            assert time.monotonic() < end, f"{len(view)} bytes not taken"
            try:
                view = view[os.write(self.master, view[:65536]) :]
            except BlockingIOError:
                self.pump(0.01)

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def quit(self, timeout: float = 10) -> int:
        self.send(b"q", timeout)
        end = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < end:
            self.pump(0.1)
        return self.proc.wait(1)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


@pytest.fixture
def app(tmp_path: Path) -> PtyApp:
    running = PtyApp(tmp_path)
    yield running  # type: ignore[misc]
    running.close()


def test_a_window_size_typed_as_input_is_clamped(app: PtyApp) -> None:
    """Before the clamp, this report made the app grow by about 100 MB a
    second (3.7 GB in a minute)."""
    app.wait_for("behind")
    app.pump(1)
    before = app.rss_mib()
    app.send(b"\x1b[48;20000;20000;0;0t")
    most = before
    for _ in range(30):
        app.pump(0.1)
        most = max(most, app.rss_mib())
    assert most - before < 40, f"grew from {before:.0f} to {most:.0f} MiB"
    assert app.quit() == 0


def test_an_endless_paste_is_cut_with_a_notice(app: PtyApp) -> None:
    """Before the cap, Textual kept every character of an unterminated paste
    (about 80 bytes each for '€'): these 6 MB grew the app by about 170 MB."""
    app.wait_for("behind")
    app.pump(1)
    before = app.rss_mib()
    app.send(b"\x1b[200~" + "€".encode() * 2_000_000)
    app.pump(1)
    grown = app.rss_mib() - before
    assert grown < 40, f"grew by {grown:.0f} MiB"
    app.wait_for("The paste was longer than")
    app.wait_for("16,384")
    app.send(b"\x1b[201~\x1b")  # the paste's end: keys are keys again
    app.pump(0.5)
    assert app.proc.poll() is None
    assert app.quit() == 0


def test_keys_faster_than_the_app_handles_them_wait_in_the_terminal(app: PtyApp) -> None:
    """Before the backlog limit, Textual queued every key it read: the app grew
    by about 12 MB a second."""
    app.wait_for("behind")
    app.pump(1)
    before = most = app.rss_mib()
    end = time.monotonic() + 8
    while time.monotonic() < end:
        try:
            os.write(app.master, b"x" * 4096)
        except BlockingIOError:
            app.pump(0.02)
        most = max(most, app.rss_mib())
    assert most - before < 40, f"grew from {before:.0f} to {most:.0f} MiB"
    assert app.quit(timeout=40) == 0


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param(b"\x1b[1114112u", id="kitty-key-beyond-unicode"),
        pytest.param(b"\x1b[48;24;80;0;0t\x1b[<35;10;10M", id="mouse-after-0-pixel-resize"),
    ],
)
def test_input_that_breaks_textuals_parser_shows_no_traceback(app: PtyApp, keys: bytes) -> None:
    """Before: Textual's input thread raised (ValueError, ZeroDivisionError)
    and the app ended, status 0, with a traceback on the reader's screen."""
    app.wait_for("behind")
    app.pump(0.5)
    app.send(keys)
    app.pump(2)
    assert app.proc.poll() is None
    app.send(b"\x1b[B")  # the parser still works
    app.pump(0.5)
    assert app.quit() == 0
    assert "Traceback" not in app.text() and "Error" not in app.text()


def test_the_app_ends_when_its_terminal_hangs_up(tmp_path: Path) -> None:
    """The terminal goes away (the SSH connection or the server dropped):
    its reads give end-of-file, on which Textual's input thread used to poll
    again at once for ever (an orphaned served app at 100 % of a CPU an hour
    later). The app ends instead."""
    running = PtyApp(tmp_path)
    try:
        running.wait_for("Briefing pack")
        os.close(running.master)  # the pty's other end: the terminal hangs up
        running.master = os.open(os.devnull, os.O_RDONLY)  # (for close())
        end = time.monotonic() + 15
        while running.proc.poll() is None and time.monotonic() < end:
            time.sleep(0.1)
        assert running.proc.poll() is not None, "the app still runs with no terminal"
    finally:
        running.close()
