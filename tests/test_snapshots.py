"""SVG snapshots of what a reader sees, at 80×24 and 120×40 (the footer and
the dialogs also at 60×20).

Uses the bundled briefings.  After the content changes on purpose, look at
the report and run ``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lbn_tui.corpus.model import Corpus
from lbn_tui.state import StarStore
from lbn_tui.tui.app import LbnApp

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
SMALL = [pytest.param((80, 24), id="80x24"), pytest.param((60, 20), id="60x20")]
QUOTE = "quote-jim-burt-community-hubs"
READING_LIST = "list:reading:evidence-session-1"


def make(corpus: Corpus, tmp_path: Path, open_ref: str | None = None) -> LbnApp:
    store = StarStore(tmp_path / "stars.json")
    store.load()
    return LbnApp(corpus, star_store=store, open_ref=open_ref, theme="lbn-calm")


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_start_screen(snap_compare: Any, bundled_corpus: Corpus, tmp_path: Path, size: Any) -> None:
    assert snap_compare(make(bundled_corpus, tmp_path), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_quote(snap_compare: Any, bundled_corpus: Corpus, tmp_path: Path, size: Any) -> None:
    app = make(bundled_corpus, tmp_path, open_ref=QUOTE)
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_search_typo(snap_compare: Any, bundled_corpus: Corpus, tmp_path: Path, size: Any) -> None:
    async def search(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("slash", *"socal", "space", *"infrastucture")
        await settle(pilot)

    app = make(bundled_corpus, tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=search)


@pytest.mark.parametrize("size", SIZES)
def test_reading_list(snap_compare: Any, bundled_corpus: Corpus, tmp_path: Path, size: Any) -> None:
    app = make(bundled_corpus, tmp_path, open_ref=READING_LIST)
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare: Any, bundled_corpus: Corpus, tmp_path: Path, size: Any) -> None:
    async def help_screen(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    app = make(bundled_corpus, tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=help_screen)


@pytest.mark.parametrize("size", SMALL)
def test_footer(snap_compare: Any, bundled_corpus: Corpus, tmp_path: Path, size: Any) -> None:
    """Help and quit first, then as many whole keys as fit (none cut mid-word)."""
    app = make(bundled_corpus, tmp_path, open_ref=QUOTE)
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SMALL)
def test_too_long_to_copy(
    snap_compare: Any, bundled_corpus: Corpus, tmp_path: Path, size: Any
) -> None:
    """Above OSC 52's size the text is shown to select and copy in parts."""

    async def copy_too_much(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.copy_to_clipboard("All work and no play makes Jack a dull boy.\n" * 2_000)
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    app = make(bundled_corpus, tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=copy_too_much)
