"""The footer: the most important keys first, whole keys only, each screen's own keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette

from lbn_tui.corpus.model import Corpus
from lbn_tui.state import StarStore
from lbn_tui.tui import compat
from lbn_tui.tui.app import LbnApp
from lbn_tui.tui.dialogs.export import ExportScreen
from lbn_tui.tui.dialogs.help import HelpScreen
from lbn_tui.tui.widgets.footer import LeanFooter, key_width


def make_app(corpus: Corpus, tmp_path: Path, **kw: object) -> LbnApp:
    store = StarStore(tmp_path / "stars.json")
    store.load()
    return LbnApp(corpus, star_store=store, **kw)  # type: ignore[arg-type]


async def settle(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def shown(app: LbnApp) -> list[tuple[str, str]]:
    """(key, description) of each key the top screen's footer shows, left to right."""
    footer = app.screen.query_one(LeanFooter)
    keys = footer.query(compat.footer_key_class())
    return [(key.key_display, key.description) for key in keys]


@pytest.mark.parametrize("width", [120, 80, 60, 40, 24])
async def test_keys_are_whole_and_help_and_quit_come_first(
    mini_corpus: Corpus, tmp_path: Path, width: int
) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        keys = shown(app)
        assert keys[:2] == [("?", "Help"), ("q", "Quit")]
        assert sum(key_width(k, d) for k, d in keys) - 1 <= width
        full = {("/", "Search"), ("c", "Copy"), ("s", "Star"), ("[", "Back")}
        if width >= 80:
            assert full <= set(keys)


async def test_at_60_columns_no_key_is_cut(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        row = app.screen.query_one(LeanFooter)
        texts = [key.render().plain.strip() for key in row.query(compat.footer_key_class())]
        assert texts[:3] == ["? Help", "q Quit", "/ Search"]
        for key in row.query(compat.footer_key_class()):
            assert key.region.right <= 60, key  # wholly inside the screen


async def test_a_narrower_window_drops_keys_and_a_wider_one_brings_them_back(
    mini_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        wide = shown(app)
        await pilot.resize_terminal(30, 24)
        await settle(pilot)
        narrow = shown(app)
        assert len(narrow) < len(wide)
        assert narrow == wide[: len(narrow)] or set(narrow) <= set(wide)
        await pilot.resize_terminal(120, 24)
        await settle(pilot)
        assert shown(app) == wide


async def test_the_help_screen_shows_its_own_keys(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert shown(app) == [("esc", "Close")]


async def test_the_export_dialog_shows_its_own_keys(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        keys = shown(app)
        assert keys[0] == ("esc", "Close")
        assert set(keys) == {
            ("esc", "Close"),
            ("ctrl+y", "Copy all"),
            ("ctrl+s", "Save"),
            ("ctrl+t", "Format"),
        }
        assert not {("/", "Search"), ("c", "Copy")} & set(keys)


async def test_the_export_dialog_served_hides_save(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt", served=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s", "e")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        assert ("ctrl+s", "Save") not in shown(app)


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_palette_shows_its_own_keys(
    mini_corpus: Corpus, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        assert shown(app) == [("esc", "Close")]
        # Visible: the palette's list stops above the footer's row.
        assert "esc Close" in _last_row(app)


async def test_the_theme_list_shows_its_own_keys(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.action_change_theme()
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        assert shown(app) == [("esc", "Close")]


def _last_row(app: LbnApp) -> str:
    import html
    import re

    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in re.findall(r'<text[^>]* x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(text)))
    last = rows[max(rows)]
    return "".join(text for _, text in sorted(last)).replace("\xa0", " ")


async def test_ctrl_c_names_q_and_ctrl_q(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert messages == ["Press q (or ctrl+q) to quit"]
        assert app.is_running
