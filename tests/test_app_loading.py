"""The loading screen of a large pack: the first frame before the corpus
(Pilot tests with a slow loader), and a bad large pack in a real terminal."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Label, LoadingIndicator

from lbn_tui.corpus.model import Corpus
from lbn_tui.corpus.problems import BriefingsError, Problem
from lbn_tui.tui.app import LbnApp
from lbn_tui.tui.browser.screen import BrowserScreen
from lbn_tui.tui.loading import LoadingScreen
from lbn_tui.tui.widgets.breadcrumb import Breadcrumb

LBN_TUI = Path(sys.executable).parent / "lbn-tui"
SIZE = ("-x", "80", "-y", "24")


class SlowLoader:
    """Reports a phase, then waits for `release` before returning (or raising)."""

    def __init__(self, corpus: Corpus | None, error: BaseException | None = None) -> None:
        self.corpus = corpus
        self.error = error
        self.gate = threading.Event()
        self.thread: str | None = None

    def __call__(self, phase: Callable[[str], None]) -> Corpus:
        self.thread = threading.current_thread().name
        phase("Reading and checking 35 MB of briefings (once, then cached)…")
        assert self.gate.wait(10)
        if self.error is not None:
            raise self.error
        assert self.corpus is not None
        return self.corpus


async def test_the_first_frame_is_the_loading_screen(mini_corpus: Corpus) -> None:
    loader = SlowLoader(mini_corpus)
    app = LbnApp(None, loader=loader)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoadingScreen)
        crumb = app.screen.query_one(Breadcrumb)
        assert crumb.text.startswith("lbn-tui · t contents")
        assert app.screen.query(LoadingIndicator)
        for _ in range(50):
            await pilot.pause(0.02)
            phase = app.screen.query_one("#loading-phase", Label)
            if "Reading" in str(phase.render()):
                break
        assert "Reading and checking" in str(phase.render())
        assert loader.thread == "lbn-tui-load"  # not the app's thread
        await pilot.press("question_mark")  # keys work while it loads
        await pilot.press("escape")
        loader.gate.set()
        for _ in range(100):
            await pilot.pause(0.02)
            if isinstance(app.screen, BrowserScreen):
                break
        assert isinstance(app.screen, BrowserScreen)
        assert app.corpus is mini_corpus
        assert app.screen.corpus is mini_corpus
        assert app.index.get() is not None
        crumb = app.screen.query_one(Breadcrumb)
        for _ in range(50):
            await pilot.pause(0.02)
            if crumb.text:
                break
        assert crumb.text.startswith("lbn-tui · t contents")


async def test_a_loader_error_exits_the_app(mini_corpus: Corpus) -> None:
    error = BriefingsError([Problem("pack/a.yaml", 3, 5, "bad entry")])
    loader = SlowLoader(None, error)
    app = LbnApp(None, loader=loader)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoadingScreen)
        loader.gate.set()
        for _ in range(100):
            await pilot.pause(0.02)
            if app.load_error is not None:
                break
    assert app.load_error is error
    assert app.return_code == 1


async def test_quitting_while_loading_does_not_wait(mini_corpus: Corpus) -> None:
    loader = SlowLoader(mini_corpus)
    app = LbnApp(None, loader=loader)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("q")
    assert app.load_error is None
    loader.gate.set()  # the thread ends on its own, its answer dropped


async def test_a_corpus_given_has_no_loading_screen(mini_corpus: Corpus) -> None:
    app = LbnApp(mini_corpus)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        assert len(app.screen_stack) == 1


# --------------------------------------------------------------------------
# In a real terminal: a large pack with a problem.


def _bad_large_pack(folder: Path) -> str:
    folder.mkdir()
    filler = "\n".join(
        f"- id: quote-{n}\n  kind: quote\n  text: Words spoken in evidence number {n} "
        f"about the community wealth fund and local trust.\n  speaker: Speaker {n}"
        for n in range(9000)
    )
    head = "source:\n  title: Large\n  url: https://example.invalid/\nentries:\n"
    (folder / "a.yaml").write_text(head + filler + "\n", encoding="utf-8")
    bad = head + "- id: bad-entry\n  kind: quote\n  speaker: Nobody\n"
    (folder / "b.yaml").write_text(bad, encoding="utf-8")
    return str(folder / "b.yaml")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is needed")
def test_a_bad_large_pack_prints_its_problems_and_exits_1(tmp_path: Path) -> None:
    assert LBN_TUI.exists()
    bad_file = _bad_large_pack(tmp_path / "pack")
    assert sum(p.stat().st_size for p in (tmp_path / "pack").iterdir()) > 1 << 20
    expected = subprocess.run(
        [str(LBN_TUI), "check", str(tmp_path / "pack")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert expected.returncode == 1 and bad_file in expected.stdout
    socket = f"lbn-loading-{os.getpid()}"
    err = tmp_path / "stderr"
    env = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in os.environ if k.startswith("XDG_"))
    command = (
        f"env -u COLUMNS -u LINES {env} {shlex.quote(str(LBN_TUI))} --briefings "
        f"{shlex.quote(str(tmp_path / 'pack'))} 2>{shlex.quote(str(err))}; "
        "echo lbn-tui exited $?; sleep 60"
    )
    subprocess.run(
        ["tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", *SIZE, "-s", "t", command],
        check=True,
        timeout=10,
    )
    try:
        deadline = time.monotonic() + 60
        screen = ""
        while time.monotonic() < deadline:
            screen = subprocess.run(
                ["tmux", "-L", socket, "capture-pane", "-p", "-t", "t"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            if "lbn-tui exited" in screen:
                break
            time.sleep(0.02)
        assert "lbn-tui exited 1" in screen, screen
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)
    problems = [line for line in expected.stdout.splitlines() if line]
    # Textual draws on stderr: the problems come after the app has gone
    # (the first on the line where the app left the alternate screen).
    lines = err.read_text(encoding="utf-8").splitlines()
    assert len(problems) == 1
    assert lines[-2].endswith(problems[0])
    assert lines[-1].startswith("lbn-tui: the briefings have 1 problem")
