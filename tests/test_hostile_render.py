"""Hostile text is shown literally: checked on the bytes the real app writes
to a pseudo-terminal (80x24, TERM=xterm-256color), and on the CLI's output.

A clean run of the app emits its own CSI sequences and one OSC (22, the
pointer shape); the assertions are about what could only come from content:
OSC 52 (clipboard), OSC 8 (links), OSC 0/2 (title), DCS/APC/PM/SOS strings,
8-bit C1 controls, and any CSI mode switch a clean run does not emit.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import resource
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).parent / "fixtures"
RENDER = FIXTURES / "hostile-render"
CLEAN = FIXTURES / "valid-basic"

CSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]")
OSC = re.compile(rb"\x1b\]([0-9]*)")
STRING_INTRODUCERS = (b"\x1bP", b"\x1b_", b"\x1b^", b"\x1bX")
FORBIDDEN = (b"\x1b]52", b"\x1b]8;", b"\x1b]0;", b"\x1b]2;", *STRING_INTRODUCERS)
QUIT_MARKUP = "[@click=app.quit]"


@dataclass
class Run:
    raw: bytes
    alive_before_quit: bool
    status: int
    seconds_to_quit: float

    @property
    def text(self) -> str:
        """What the screen shows, roughly: the output without CSI sequences."""
        return CSI.sub(b"", self.raw).decode("utf-8", "replace")

    @property
    def modes(self) -> set[bytes]:
        """CSI sequences other than colours and cursor moves."""
        return {m for m in CSI.findall(self.raw) if m[-1:] not in b"mHABCDGdfJKX"}


def run_app(
    folder: Path, *args: str, wait_for: str, keys: bytes = b"", quit_key: bytes = b"q"
) -> Run:
    env = {k: v for k, v in os.environ.items() if k != "LBN_TUI_BRIEFINGS"}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24")
    env["XDG_STATE_HOME"] = str(folder.parent / "state")
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
            argv = [sys.executable, "-m", "lbn_tui", "--briefings", str(folder), *args]
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    out = bytearray()

    def pump(seconds: float, until: str | None = None) -> bool:
        """Read for ``seconds`` (or until ``until`` shows); True at end of output."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return True
            if not chunk:
                return True
            out.extend(chunk)
            if until is not None and until in CSI.sub(b"", bytes(out)).decode("utf-8", "replace"):
                return False
        return False

    try:
        pump(10, until=wait_for)
        if keys:
            os.write(fd, keys)
        pump(1.0)  # time to act on anything it might (wrongly) act on
        alive = os.waitpid(pid, os.WNOHANG) == (0, 0)
        started = time.monotonic()
        os.write(fd, quit_key)
        pump(10)
        seconds = time.monotonic() - started
    finally:
        try:
            _, status = os.waitpid(pid, os.WNOHANG)
            if _ == 0:
                os.kill(pid, 9)
                _, status = os.waitpid(pid, 0)
        finally:
            os.close(fd)
    return Run(bytes(out), alive, status, seconds)


def assert_nothing_interpreted(run: Run, baseline: Run) -> None:
    for sequence in FORBIDDEN:
        assert sequence not in run.raw, sequence
    assert {m for m in OSC.findall(run.raw)} <= {b"22"}, OSC.findall(run.raw)
    c1 = {f"U+{ord(c):04X}" for c in run.raw.decode("utf-8", "replace") if 0x80 <= ord(c) <= 0x9F}
    assert not c1, c1
    assert run.modes <= baseline.modes, run.modes - baseline.modes
    assert "Traceback" not in run.text
    assert run.alive_before_quit, "the app quit (or crashed) on its own"
    assert os.WIFEXITED(run.status) and os.WEXITSTATUS(run.status) == 0, run.status


@pytest.fixture(scope="module")
def render_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("render") / "pack"
    shutil.copytree(RENDER, folder)
    words = " ".join(f"word{i}" for i in range(20_000))[:100_000]
    doc = {
        "source": {"title": "Long", "url": "https://example.invalid/long/"},
        "entries": [
            {
                "id": "article-long",
                "kind": "article",
                "title": "A very long paragraph",
                "paragraphs": [f"START {words} FINISH"],
            }
        ],
    }
    (folder / "long.yaml").write_text(yaml.safe_dump(doc, width=10**9), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("clean") / "pack"
    shutil.copytree(CLEAN, folder)
    run = run_app(folder, "open", "quote-burt", wait_for="Jim Burt")
    assert run.alive_before_quit and OSC.findall(run.raw) == [b"22"] * len(OSC.findall(run.raw))
    return run


def test_hostile_quote_is_shown_literally_in_the_app(render_pack: Path, baseline: Run) -> None:
    run = run_app(render_pack, "open", "quote-render", wait_for="quit-me")
    assert_nothing_interpreted(run, baseline)
    screen = run.text
    for literal in (QUIT_MARKUP, "[red]red[/red]", "[link=https://evil.invalid]", "CLIPBOARD"):
        assert literal in screen, literal
    assert "\u202eRTL-OVERRIDE" in screen
    assert "SOURCE-TITLE" not in screen and "pwned" not in screen


def test_hostile_article_is_shown_literally_in_the_app(render_pack: Path, baseline: Run) -> None:
    run = run_app(render_pack, "open", "article-render", wait_for="Heading")
    assert_nothing_interpreted(run, baseline)
    assert f"{QUIT_MARKUP}Heading" in run.text
    assert "[@click=app.screenshot(" in run.text
    assert not list(Path("/tmp").glob("x.svg"))


def test_search_results_show_markup_literally(render_pack: Path, baseline: Run) -> None:
    # Search snippets are highlighted: the highlighting must not turn text into markup.
    run = run_app(
        render_pack, wait_for="Contents", keys=b"/quit-me", quit_key=b"\x11"
    )  # ctrl+q, as "q" would be typed into the search box
    assert_nothing_interpreted(run, baseline)
    assert QUIT_MARKUP in run.text  # from the hits, not from the typed query


def test_a_100_000_character_paragraph_opens_and_the_app_stays_responsive(
    render_pack: Path, baseline: Run
) -> None:
    run = run_app(render_pack, "open", "article-long", wait_for="START")
    assert_nothing_interpreted(run, baseline)
    assert run.seconds_to_quit < 5, "the app did not act on 'q' promptly"


@pytest.mark.parametrize(
    "args",
    [
        ["show", "quote-render"],
        ["show", "quote-render", "--json"],
        ["show", "article-render"],
        ["search", "quit-me"],
        ["search", "quit-me", "--json"],
        ["list"],
        ["export", "--starred", "--format", "markdown"],
        ["export", "--starred", "--format", "text"],
    ],
)
def test_cli_output_is_literal(args: list[str], render_pack: Path, tmp_path: Path) -> None:
    state = tmp_path / "state" / "lbn-tui"
    state.mkdir(parents=True)
    (state / "starred.json").write_text('{"starred": ["quote-render", "article-render"]}')
    env = {k: v for k, v in os.environ.items() if k != "LBN_TUI_BRIEFINGS"}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    result = subprocess.run(
        [sys.executable, "-m", "lbn_tui", "--briefings", str(render_pack), *args],
        capture_output=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode("utf-8")
    assert "\x1b" not in out and "\x07" not in out
    assert not [c for c in out if 0x80 <= ord(c) <= 0x9F]
    assert QUIT_MARKUP in out or ("--json" in args and QUIT_MARKUP in out.replace("\\", ""))
