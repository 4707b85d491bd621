"""Orientation: a breadcrumb that never scrolls away, a first screen that says
what this is, a readable line length on wide terminals, speakers by surname."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbn_tui.corpus.model import Corpus
from lbn_tui.corpus.outline import quotes_by_speaker, surname_key
from lbn_tui.state import StarStore
from lbn_tui.tui.app import LbnApp
from lbn_tui.tui.browser.screen import BrowserScreen
from lbn_tui.tui.widgets.breadcrumb import Breadcrumb


def make_app(corpus: Corpus, tmp_path: Path, **kw: object) -> LbnApp:
    store = StarStore(tmp_path / "stars.json")
    store.load()
    return LbnApp(corpus, star_store=store, **kw)  # type: ignore[arg-type]


async def settle(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def crumb(app: LbnApp) -> Breadcrumb:
    assert isinstance(app.screen, BrowserScreen)
    return app.screen.query_one(Breadcrumb)


async def test_the_first_screen_names_the_app_and_its_keys(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = crumb(app).text
        assert text.startswith("lbn-tui")
        for hint in ("t contents", "/ search", "? help"):
            assert hint in text
        await pilot.press("down")
        await settle(pilot)
        assert crumb(app).text.startswith("Session · ")


async def test_the_breadcrumb_stays_on_screen_and_counts_passages(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(bundled_corpus, tmp_path, open_ref="article-vision#4")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        article = bundled_corpus.by_id["article-vision"]
        total = len(article.passages())
        assert crumb(app).text == f"Article · {article.title} · passage 4 of {total}"
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert crumb(app).region.y == 0 and crumb(app).region.height == 1
        assert crumb(app).text.startswith(f"Article · {article.title} · ")
        assert crumb(app).text != f"Article · {article.title} · passage 4 of {total}"


async def test_a_list_shows_its_title_and_size(bundled_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(bundled_corpus, tmp_path, open_ref="list:figures")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        count = len(bundled_corpus.of_kind("figure"))
        assert crumb(app).text == f"Figures · {count} items"


@pytest.mark.parametrize(("width", "tree_at_least"), [(120, 40), (200, 80)])
async def test_wide_terminals_keep_lines_readable_and_widen_the_tree(
    bundled_corpus: Corpus, tmp_path: Path, width: int, tree_at_least: int
) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(width, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)
        assert app.screen.reader.region.width <= 104
        assert app.screen.navigator.region.width >= tree_at_least


def test_speakers_are_sorted_by_surname(bundled_corpus: Corpus) -> None:
    speakers = list(quotes_by_speaker(bundled_corpus))
    assert speakers == sorted(speakers, key=surname_key)
    assert speakers.index("Professor Sarah Pearson") > speakers.index("Toby Lloyd")
    assert surname_key("Professor Sarah Pearson")[0] == "pearson"
