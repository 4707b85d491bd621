"""The command pauses Python's garbage collector while it starts (start-up
time) and always resumes it: the app once its first frame is shown, every
other command at once; importing lbn-tui as a library never pauses it."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lbn_tui import cli, collector
from lbn_tui.corpus.model import Corpus
from tests.test_app_browse import make_app, screen_text, settle


@pytest.fixture
def paused() -> Iterator[None]:
    """The collector as `lbn-tui` leaves it at launch; restored afterwards."""
    collector.pause_for_start_up()
    assert not gc.isenabled()
    try:
        yield
    finally:
        collector.resume()  # a no-op when the code under test resumed it
        gc.unfreeze()
        gc.enable()


def test_the_command_pauses_the_collector_before_it_imports_the_app() -> None:
    probe = (
        "import gc, sys\n"
        "import lbn_tui.cli\n"
        "lbn_tui.cli.main = lambda: print(gc.isenabled(), 'textual' in sys.modules)\n"
        "from lbn_tui.__main__ import run\n"
        "run()\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_importing_lbn_tui_leaves_the_collector_alone() -> None:
    probe = "import gc, lbn_tui.cli, lbn_tui.tui.app; print(gc.isenabled())"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True"]


def test_a_subcommand_resumes_it_at_once(
    paused: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_before = gc.get_freeze_count()
    assert cli.main(["list", "--kind", "session"]) == 0
    assert "evidence-session-1" in capsys.readouterr().out
    assert gc.isenabled()
    assert gc.get_freeze_count() > frozen_before  # what start-up made is kept out of later scans
    assert not collector.paused()


async def test_the_app_resumes_it_once_its_first_frame_is_shown(
    paused: None, bundled_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Briefing pack" in screen_text(app)
        assert gc.isenabled()
        assert not collector.paused()


def test_resume_without_a_pause_changes_nothing() -> None:
    frozen = gc.get_freeze_count()
    collector.resume()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_a_stretch_off_puts_it_back_as_it_was() -> None:
    assert gc.isenabled()
    with collector.off():
        assert not gc.isenabled()
        with collector.off():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer stretch still holds it
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.off():
            pass
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()


def test_the_first_frame_during_a_stretch_resumes_it_at_the_stretch_end(paused: None) -> None:
    # A large pack is read in a thread while the app's first frame resumes
    # the collector: whichever ends last, it runs afterwards.
    with collector.off():
        collector.resume()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_stretch_during_the_pause_leaves_it_paused(paused: None) -> None:
    with collector.off():
        pass
    assert not gc.isenabled()
    collector.resume()
    assert gc.isenabled()
