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


def _on_screen(app: LbnApp, text: str) -> bool:
    import html
    import re

    svg = app.export_screenshot()
    shown = "".join(
        html.unescape(t).replace("\xa0", " ") for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)
    )
    return " ".join(text.split()[:6]) in " ".join(shown.split())


@pytest.mark.parametrize("keys", [["pagedown"], ["space", "space"], ["ctrl+d", "ctrl+d"]])
async def test_paging_moves_the_cursor_and_copy_takes_what_is_on_screen(
    bundled_corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys: list[str]
) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        texts = copied(app, monkeypatch)
        await settle(pilot)
        screen = browser(app)
        await screen.open_target("article-vision")
        await settle(pilot)
        first = screen.reader.current_passage
        await pilot.press(*keys)
        await settle(pilot)
        assert screen.reader.scroll_offset.y > 0
        passage = screen.reader.current_passage
        assert passage is not None and passage != first
        assert screen.reader.cursor_visible
        await pilot.press("c")
        await settle(pilot)
        assert texts == [attributed_text(bundled_corpus, passage)]
        block = screen.reader.current_block
        assert block is not None and _on_screen(app, block.content.plain)


async def test_the_wheel_and_a_resize_keep_the_cursor_on_screen(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = browser(app)
        await screen.open_target("article-vision")
        await settle(pilot)
        reader = screen.reader
        reader.scroll_to(y=40, animate=False, immediate=True)  # the wheel, the scrollbar
        await settle(pilot)
        assert reader.cursor_visible and reader.cursor != 1
        await pilot.resize_terminal(60, 20)
        await settle(pilot)
        await pilot.pause(0.1)
        assert reader.cursor_visible


async def test_copy_refuses_a_cursor_scrolled_off_screen(
    bundled_corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        texts = copied(app, monkeypatch)
        await settle(pilot)
        screen = browser(app)
        await screen.open_target("article-vision")
        await settle(pilot)
        reader = screen.reader
        reader.set_reactive(type(reader).cursor, 1)  # a cursor left behind, off screen
        reader.scroll_to(y=reader.max_scroll_y, animate=False, immediate=True)
        reader.set_reactive(type(reader).cursor, 1)
        await settle(pilot)
        if reader.cursor_visible:
            pytest.fail("the first block is still on screen at the end of the article")
        await pilot.press("c")
        await settle(pilot)
        assert texts == []


async def test_a_passage_taller_than_the_window_is_read_through(
    mini_corpus: Corpus, tmp_path: Path
) -> None:
    from lbn_tui.tui.widgets.reader import Block, View

    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        reader = browser(app).reader
        passage = mini_corpus.passages[0]
        long = " ".join(["word"] * 900)
        from textual.content import Content

        view = View(
            "x",
            Content("x"),
            (Block(Content(long), passage=passage), Block(Content("next"), passage=passage)),
        )
        await reader.show(view)
        await settle(pilot)
        reader.focus()
        await pilot.press("down")
        await settle(pilot)
        assert reader.cursor == 0 and reader.scroll_offset.y > 0  # still reading block 0
