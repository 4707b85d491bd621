"""Search says how many hits there are, lists a whole kind from its prefix
alone, and its prefixes are in the help (Pilot tests)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Label

from lbn_tui.corpus.model import Corpus
from lbn_tui.state import StarStore
from lbn_tui.tui.app import LbnApp
from lbn_tui.tui.browser.screen import BrowserScreen
from lbn_tui.tui.dialogs.help import HelpScreen


def make_app(corpus: Corpus, tmp_path: Path) -> LbnApp:
    store = StarStore(tmp_path / "stars.json")
    store.load()
    return LbnApp(corpus, star_store=store)


async def settle(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def typed(pilot: object, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)  # type: ignore[attr-defined]
    await settle(pilot)


def count_text(app: LbnApp) -> str:
    assert isinstance(app.screen, BrowserScreen)
    label = app.screen.search_panel.query_one("#search-count", Label)
    return str(label.render())


async def test_the_hit_count_is_shown(bundled_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await typed(pilot, "jim burt")
        assert isinstance(app.screen, BrowserScreen)
        hits = app.screen.search_panel.hits
        assert hits
        assert count_text(app) in (f"{len(hits)} hits", f"{len(hits)}+ hits")


async def test_a_prefix_alone_lists_that_kind(bundled_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await typed(pilot, "q:")
        assert isinstance(app.screen, BrowserScreen)
        panel = app.screen.search_panel
        quotes = {e.id for e in bundled_corpus.of_kind("quote")}
        assert {h.passage.entry_id for h in panel.hits} == quotes
        assert count_text(app) == f"{len(quotes)} hits"
        await pilot.press("enter")
        await settle(pilot)
        current = app.screen.history.current
        assert current is not None and current.key in quotes


async def test_the_help_lists_the_search_prefixes(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        titles = [title for title, _ in app.screen.groups]
        assert "Search one kind" in titles
        rows = dict(app.screen.groups)["Search one kind"]
        keys = " ".join(k for k, _ in rows)
        assert "q:" in keys and "ref:" in keys


async def test_n_and_shift_n_find_the_search_within_the_open_entry(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await typed(pilot, "a:funding")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)
        reader = app.screen.reader
        first = reader.cursor
        assert first is not None
        assert "funding" in reader.blocks[first].content.plain.casefold()
        matching = [
            i
            for i, block in enumerate(reader.blocks)
            if block.selectable and "funding" in block.content.plain.casefold()
        ]
        assert len(matching) >= 2, "the test needs an entry with the word twice"
        await pilot.press("n")
        await settle(pilot)
        assert reader.cursor == next(i for i in matching if i > first)
        assert reader.cursor_visible
        await pilot.press("N")
        await settle(pilot)
        assert reader.cursor == max(i for i in matching if i < matching[matching.index(first) + 1])
