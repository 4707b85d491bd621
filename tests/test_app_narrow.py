"""Below 90 columns the contents tree covers the reader: what the keys act on
must always be what the reader sees (80×24 and 60×20, Pilot tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbn_tui.corpus.model import Corpus
from lbn_tui.render import attributed_text
from lbn_tui.state import StarStore
from lbn_tui.tui.app import LbnApp
from lbn_tui.tui.browser.screen import BrowserScreen

SIZES = [(80, 24), (60, 20)]


def make_app(corpus: Corpus, tmp_path: Path) -> LbnApp:
    store = StarStore(tmp_path / "stars.json")
    store.load()
    return LbnApp(corpus, star_store=store)


def browser(app: LbnApp) -> BrowserScreen:
    assert isinstance(app.screen, BrowserScreen), app.screen
    return app.screen


def copied(app: LbnApp, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    texts: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", texts.append)
    return texts


async def settle(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_search_from_the_tree_is_seen_and_typed_into(
    bundled_corpus: Corpus, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = browser(app)
        assert screen.contents_overlay
        await pilot.press("slash", *"pride")
        await settle(pilot)
        assert not screen.contents_overlay
        box = screen.search_panel.input
        assert box.has_focus and box.value == "pride"
        assert box.region.width > 0 and box.region.height > 0  # on screen
        assert screen.navigator.region.width == 0 or not screen.navigator.display
        await pilot.press("enter")
        await settle(pilot)
        assert screen.reader.region.width > 0
        assert screen.reader.current_passage is not None
        assert "pride" in screen.reader.current_passage.text.casefold()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_escape_closes_the_tree(
    bundled_corpus: Corpus, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert browser(app).contents_overlay
        await pilot.press("escape")
        await settle(pilot)
        assert not browser(app).contents_overlay
        assert browser(app).reader.has_focus


async def test_an_entry_chosen_in_the_palette_closes_the_tree(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        for ch in "vision":
            await pilot.press(ch)
        await settle(pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        screen = browser(app)
        assert not screen.contents_overlay
        assert screen.history.current is not None
        assert screen.history.current.key == "article-vision"
        assert screen.reader.has_focus


async def test_copy_with_the_tree_shown_takes_the_highlighted_row(
    bundled_corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        texts = copied(app, monkeypatch)
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = browser(app)
        navigator = screen.navigator
        node = navigator.find("faq-what-is-the-appg")
        assert node is not None
        navigator.reveal("faq-what-is-the-appg")
        await settle(pilot)
        assert navigator.has_focus and navigator.cursor_node is node
        await pilot.press("c")
        await settle(pilot)
        faq = bundled_corpus.by_id["faq-what-is-the-appg"]
        assert texts == [attributed_text(bundled_corpus, faq.passages()[0])]
        # A list row has nothing to copy: it says so and copies nothing.
        navigator.reveal("list:faq")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert len(texts) == 1
