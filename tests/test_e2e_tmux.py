"""End to end: the installed `lbn-tui` in a real terminal (tmux, 80x24).

A reader types a search, opens a hit, copies it, and quits.  The copy is
checked where a terminal receives it: tmux with `set-clipboard on` turns
the app's OSC 52 write into a paste buffer.  After quitting, the shell must
get its screen back (alternate screen off, the app's footer gone).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lbn_tui.corpus.loader import load_corpus
from lbn_tui.corpus.sources import bundled_briefings_dir
from lbn_tui.render import attributed_text

LBN_TUI = Path(sys.executable).parent / "lbn-tui"


class Terminal:
    """One tmux server with one 80x24 window running a shell command."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    @classmethod
    def start(
        cls,
        socket: str,
        folder: Path,
        state: Path,
        size: tuple[int, int] = (80, 24),
        env: dict[str, str] | None = None,
    ) -> Terminal:
        """The installed lbn-tui in a detached tmux window of this size, run
        from ``folder``; the shell then says how it exited."""
        settings = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        command = (
            # COLUMNS/LINES from the test process would override the window size.
            f"cd {shlex.quote(str(folder))} && env -u COLUMNS -u LINES "
            f"XDG_STATE_HOME={shlex.quote(str(state))} {settings} "
            f"{shlex.quote(str(LBN_TUI))}; echo lbn-tui exited $?; sleep 60"
        )
        width, height = size
        subprocess.run(
            [
                "tmux",
                "-L",
                socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                str(width),
                "-y",
                str(height),
                "-s",
                "reader",
                command,
            ],
            check=True,
            timeout=10,
        )
        return cls(socket)

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return result.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "reader")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "reader", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "reader", "-l", text)

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    assert shutil.which("tmux"), "tmux is needed for the end-to-end tests (apt-get install tmux)"
    assert LBN_TUI.exists(), f"the lbn-tui command is not installed next to {sys.executable}"
    term = Terminal.start(f"lbn-e2e-{os.getpid()}", tmp_path, tmp_path / "state")
    term.tmux("set-option", "-g", "set-clipboard", "on")
    try:
        yield term
    finally:
        term.tmux("kill-server")


def test_search_open_copy_quit_in_a_real_terminal(terminal: Terminal) -> None:
    corpus = load_corpus([bundled_briefings_dir()])
    terminal.wait_for("Briefing pack")  # the start screen: session 1's pack

    terminal.keys("/")
    terminal.type("nationl academy socal prescribing")
    terminal.wait_for("/ nationl academy socal prescribing")  # every key, in order
    results = terminal.wait_for("Jim Burt")
    assert "Quote" in results

    terminal.keys("Enter")
    reader = terminal.wait_for("oral evidence to inquiry session one")
    assert "Links" in reader

    terminal.keys("c")
    terminal.wait_for("Copied")
    copied = terminal.tmux("show-buffer")
    quotes = [p for p in corpus.passages if p.kind == "quote" and p.speaker.startswith("Jim Burt")]
    assert copied in {attributed_text(corpus, p) for p in quotes}, copied
    # Who said it and where (the inquiry session as the report names it),
    # the page quoting it, the permalink.
    assert (
        "” — Jim Burt, National Academy for Social Prescribing, oral evidence to inquiry session "
        "one (Inquiry session one: Levelling up social outcomes, April 2022). Quoted in: "
    ) in copied
    assert copied.endswith("]") and "[quote-jim-burt-" in copied

    terminal.keys("q")
    after = terminal.wait_for("lbn-tui exited 0")
    assert terminal.tmux("display-message", "-p", "-t", "reader", "#{alternate_on}").strip() == "0"
    assert "Quit" not in after and "Jim Burt" not in after


def test_a_copy_in_tmux_without_set_clipboard_says_how_to_fix_it(tmp_path: Path) -> None:
    assert shutil.which("tmux"), "tmux is needed for the end-to-end tests (apt-get install tmux)"
    term = Terminal.start(f"lbn-e2e-clip-{os.getpid()}", tmp_path, tmp_path / "state")
    try:
        term.tmux("set-option", "-g", "set-clipboard", "off")
        term.wait_for("Briefing pack")
        assert "set-clipboard" not in term.screen()  # tmux is not asked at start-up
        term.keys("Down")
        term.keys("c")
        term.wait_for("Copied")
        screen = term.wait_for("set-clipboard")
        flat = " ".join(screen.split())
        assert "set -g" in flat and "set-clipboard on" in flat, screen
        assert term.tmux("list-buffers").strip() == ""  # tmux did not take the copy
        term.keys("q")
        term.wait_for("lbn-tui exited 0")
    finally:
        term.tmux("kill-server")


def test_search_from_the_tree_and_copy_after_paging_at_80x24(terminal: Terminal) -> None:
    """The contents tree open, / still searches where the reader can see it;
    after PageDown, c copies a passage that is on the screen."""
    terminal.wait_for("Briefing pack")
    terminal.keys("t")
    terminal.wait_for("Sessions")
    terminal.keys("/")
    terminal.type("pride in plase")
    terminal.wait_for("/ pride in plase")  # the typed query, in the visible box
    terminal.wait_for("Sarah Pearson")
    terminal.keys("Enter")
    hit = terminal.wait_for("Quote · Professor Sarah Pearson")  # the breadcrumb
    flat = " ".join(hit.replace("█", " ").split())  # (the cursor's bar, left of each line)
    assert "restores pride in place" in flat  # the hit's text, in the reader
    assert "/ pride in plase" not in hit  # the search has given way to it

    terminal.keys("Escape")  # back to where the search began
    terminal.wait_for("Briefing pack")
    terminal.keys("PageDown")
    time.sleep(0.5)
    terminal.tmux("delete-buffer")
    terminal.keys("c")
    terminal.wait_for("Copied")
    copied = terminal.tmux("show-buffer")
    quoted = copied.split("”", 1)[0].removeprefix("“")
    shown = " ".join(terminal.screen().replace("█", " ").split())
    assert " ".join(quoted.split()[:6]) in shown, (copied, shown)

    terminal.keys("q")
    terminal.wait_for("lbn-tui exited 0")
