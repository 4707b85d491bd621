"""The browser as a person uses it, at 80×24 and 120×40 (Pilot tests)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from textual.widgets import Input, OptionList, Tree

from lbn_tui.corpus.model import Corpus
from lbn_tui.render import attributed_text
from lbn_tui.state import StarStore
from lbn_tui.tui.app import LbnApp
from lbn_tui.tui.browser.screen import BrowserScreen
from lbn_tui.tui.dialogs.export import ExportScreen
from lbn_tui.tui.dialogs.help import HelpScreen
from lbn_tui.tui.widgets.navigator import Navigator
from lbn_tui.tui.widgets.reader import Reader
from lbn_tui.tui.widgets.search_panel import SearchPanel

MARKUP = "[@click=app.quit]x[/] [red]y[/red] [link=https://e.invalid]z[/link]"


def make_app(corpus: Corpus, tmp_path: Path, **kw: object) -> LbnApp:
    store = StarStore(tmp_path / "stars.json")
    store.load()
    return LbnApp(corpus, star_store=store, **kw)  # type: ignore[arg-type]


def browser(app: LbnApp) -> BrowserScreen:
    assert isinstance(app.screen, BrowserScreen), app.screen
    return app.screen


def screen_text(app: LbnApp) -> str:
    """What is on the terminal, as plain text (from the SVG export)."""
    svg = app.export_screenshot()
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg)
    import html

    return "".join(html.unescape(t).replace("\xa0", " ") for t in texts)


def reader_text(app: LbnApp) -> str:
    reader = browser(app).reader
    return "\n".join(block.content.plain for block in reader.blocks)


async def settle(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def type_text(pilot: object, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)  # type: ignore[attr-defined]


async def test_opens_at_start_on_first_session(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert browser(app).history.current is not None
        assert browser(app).history.current.key == "inquiry-one"
        assert "Health and wellbeing in ‘left behind’ neighbourhoods" in screen_text(app)


async def test_open_ref_starts_at_passage(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="inquiry-one#2")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        reader = browser(app).reader
        assert app.focused is reader
        assert reader.current_passage is not None
        assert reader.current_passage.entry_id == "inquiry-one"
        assert reader.current_passage.index == 1


async def test_tree_to_quote_shows_it_in_reader(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        nav = app.screen.query_one(Navigator)
        assert app.focused is nav
        # Walk the tree with keys until the cursor is on the "Quotes" group.
        for _ in range(40):
            if nav.cursor_node is not None and nav.cursor_node.data == "list:quotes":
                break
            await pilot.press("down")
        assert nav.cursor_node is not None and nav.cursor_node.data == "list:quotes"
        await pilot.press("right")  # expand Quotes: speakers
        await pilot.press("down")  # first speaker by surname (Jim Burt)
        await pilot.press("down")  # the next (Ann Smith)
        await pilot.press("right")
        await pilot.press("down")  # her quote
        await pilot.press("enter")
        await settle(pilot)
        assert browser(app).history.current is not None
        assert browser(app).history.current.key == "quote-smith"
        shown = screen_text(app)
        assert "When the last pub and the library close" in shown
        assert "Ann Smith, community organiser" in shown


async def test_search_typo_opens_highlighted_passage(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = browser(app).history.current
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await type_text(pilot, "socail prescibing")
        await settle(pilot)
        panel = app.screen.query_one(SearchPanel)
        assert panel.hits, "no hits for a typo'd query"
        assert panel.hits[0].passage.entry_id == "quote-burt"
        assert "Social prescribing only works" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        reader = browser(app).reader
        assert app.focused is reader
        assert reader.current_passage is not None
        assert reader.current_passage.entry_id == "quote-burt"
        # The matched words are marked in the block under the cursor.
        block = reader.current_block
        assert block is not None
        marked = [
            block.content.plain[s.start : s.end]
            for s in block.content.spans
            if "reverse" in str(s.style)
        ]
        assert any("Social" in m for m in marked) and any("prescribing" in m for m in marked)
        # Escape from a fresh search returns to the same place, unchanged.
        await pilot.press("slash")
        await type_text(pilot, "pub")
        await pilot.press("escape")
        await settle(pilot)
        assert browser(app).history.current is not None
        assert browser(app).history.current.key == "quote-burt"
        assert app.focused is reader
        assert before is not None


async def test_kind_filter_narrows(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        # (Search drops weak hits: the query must really be in a quote and a recommendation.)
        await type_text(pilot, "community")
        await settle(pilot)
        panel = app.screen.query_one(SearchPanel)
        kinds_all = {h.passage.kind for h in panel.hits}
        assert len(kinds_all) > 1
        await pilot.press("tab")  # All → Quotes
        await settle(pilot)
        assert panel.active_filter.label == "Quotes"
        assert panel.hits and {h.passage.kind for h in panel.hits} == {"quote"}
        await pilot.press("tab")  # → Recommendations
        await settle(pilot)
        assert {h.passage.kind for h in panel.hits} == {"recommendation"}
        # A typed prefix narrows too.
        panel.input.value = "q: library"
        await settle(pilot)
        assert panel.active_filter.label == "Quotes"
        assert panel.hits[0].passage.entry_id == "quote-smith"
        assert {h.passage.kind for h in panel.hits} == {"quote"}


async def test_copy_puts_attributed_text_on_clipboard(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        passage = mini_corpus.by_id["quote-burt"].passages()[0]
        expected = attributed_text(mini_corpus, passage)
        assert expected.startswith("“Social prescribing")
        # Who said it and where, the page quoting it, the permalink.
        assert (
            "” — Jim Burt, National Academy for Social Prescribing, "
            "oral evidence to inquiry session one. Quoted in: "
        ) in expected
        assert expected.endswith("[quote-burt]")
        assert app.clipboard == expected
        notes = [str(n.message) for n in app._notifications]
        assert any("Social prescribing" in n for n in notes)


async def test_copy_writes_osc52(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        written: list[str] = []
        driver = app._driver
        assert driver is not None
        original = driver.write

        def spy(data: str) -> None:
            written.append(data)
            original(data)

        driver.write = spy  # type: ignore[method-assign]
        await pilot.press("c")
        await pilot.pause()
        payloads = [m for w in written for m in re.findall(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\a", w)]
        assert payloads, "no OSC 52 sequence written"
        text = base64.b64decode(payloads[-1]).decode("utf-8")
        assert text == attributed_text(mini_corpus, mini_corpus.by_id["quote-burt"].passages()[0])


async def test_star_lists_in_starred_node_and_persists(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-smith")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        nav = app.screen.query_one(Navigator)
        starred = nav.find("list:starred")
        assert starred is not None
        assert [c.data for c in starred.children] == ["quote-smith"]
        assert "★" in reader_text(app)
    again = StarStore(tmp_path / "stars.json")
    assert again.load() is None
    assert again.refs == ("quote-smith",)
    # Unstarring removes it again.
    app = LbnApp(mini_corpus, star_store=again, open_ref="quote-smith")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
    final = StarStore(tmp_path / "stars.json")
    final.load()
    assert final.refs == ()


async def test_corrupt_star_file_notice_shown(mini_corpus: Corpus, tmp_path: Path) -> None:
    path = tmp_path / "stars.json"
    path.write_text("{not json", encoding="utf-8")
    store = StarStore(path)
    notice = store.load()
    assert notice
    app = LbnApp(mini_corpus, star_store=store, notices=[notice])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert any(notice == str(n.message) for n in app._notifications)


async def test_export_saves_markdown(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    target = tmp_path / "out.md"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        assert "Social prescribing only works" in app.screen.text
        path_input = app.screen.query_one("#export-path", Input)
        path_input.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Starred passages")
    assert "Jim Burt" in text


async def test_export_when_served_offers_copy_only(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt", served=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s", "e")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        assert not app.screen.query("#export-path")
        await pilot.press("enter")  # the Copy button has focus
        await pilot.pause()
        assert app.clipboard.startswith("# Starred passages")


async def test_back_and_forward(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        reader = browser(app).reader
        # Follow the quote's link to its session (the links list is keyboard-reachable).
        await pilot.press("end")
        while reader.current_block is not None and reader.current_block.target != "inquiry-one":
            await pilot.press("up")
        await pilot.press("enter")
        await settle(pilot)
        assert browser(app).history.current is not None
        assert browser(app).history.current.key == "inquiry-one"
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert browser(app).history.current.key == "quote-burt"
        assert "Social prescribing only works" in screen_text(app)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert browser(app).history.current.key == "inquiry-one"
        await pilot.press("alt+left")
        await settle(pilot)
        assert browser(app).history.current.key == "quote-burt"


async def test_reference_lists_citing_passages(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="inquiry-one")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        reader = browser(app).reader
        while reader.current_block is not None and reader.current_block.target != "onward-2021":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert browser(app).history.current is not None
        assert browser(app).history.current.key == "onward-2021"
        text = reader_text(app)
        assert "Cited in (2)" in text
        assert "social infrastructure" in text  # the session paragraph
        assert "most deprived 10%" in text  # the FAQ answer


async def test_palette_jumps_to_entry(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "withernsea")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert browser(app).history.current is not None
        assert browser(app).history.current.key == "case-withernsea"


async def test_help_lists_keys(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(str(g.render()) for g in app.screen.query(".help-group"))
        for needle in (
            "Search",
            "Copy",
            "Star",
            "Export starred",
            "Back",
            "Forward",
            "Kind filter",
            "Contents",
            "Quit",
            "ctrl+p",
        ):
            assert needle in text, needle
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen)


async def test_narrow_folds_tree_and_key_brings_it_back(
    mini_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        nav = app.screen.query_one(Navigator)
        reader = app.screen.query_one(Reader)
        assert not nav.display or nav.region.width == 0
        assert reader.region.width >= 78
        await pilot.press("t")
        await pilot.pause()
        assert nav.region.width >= 78
        assert app.focused is nav
        await pilot.press("t")
        await pilot.pause()
        assert nav.region.width == 0
        assert app.focused is reader
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        nav = app.screen.query_one(Navigator)
        reader = app.screen.query_one(Reader)
        assert nav.region.width > 20 and reader.region.width > 60


async def test_markup_in_text_is_shown_literally(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-markup")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert MARKUP in screen_text(app)
        # Clicking it does nothing but move the cursor: the app is still running.
        reader = browser(app).reader
        offset = reader.block_offset(reader.cursor or 0)
        assert offset is not None
        assert await pilot.click(Reader, offset=offset)
        await pilot.pause()
        assert app.is_running
        # In search results too.
        await pilot.press("slash")
        await type_text(pilot, "click app quit")
        await settle(pilot)
        assert "[@click=app.quit]x[/]" in screen_text(app)
        assert app.is_running


async def test_tree_labels_are_not_markup(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        nav = app.screen.query_one(Tree)
        node = nav.find("quote-markup") if isinstance(nav, Navigator) else None
        assert node is not None
        assert "[red]y[/red]" in str(node.label)


async def test_open_url_never_launches(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        reader = browser(app).reader
        await pilot.press("end")
        assert reader.current_block is not None and reader.current_block.role == "source"
        await pilot.press("enter")
        await pilot.pause()
        assert (
            app.clipboard == "https://www.appg-leftbehindneighbourhoods.org.uk/inquiry-session-one/"
        )


async def test_served_hides_screenshot_and_suspend(mini_corpus: Corpus, tmp_path: Path) -> None:
    for served, expect in ((False, True), (True, False)):
        app = make_app(mini_corpus, tmp_path, served=served)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            titles = {c.title for c in app.get_system_commands(app.screen)}
            assert ("Screenshot" in titles) is expect
            assert "Quit" in titles and "Theme" in titles


async def test_search_results_are_options(mini_corpus: Corpus, tmp_path: Path) -> None:
    """Up/Down move through hits while typing continues in the box."""
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "neighbourhood")
        await settle(pilot)
        options = app.screen.query_one("#search-hits", OptionList)
        assert options.highlighted == 0
        await pilot.press("down", "down")
        assert options.highlighted == 2
        assert isinstance(app.focused, Input)
        chosen = app.screen.query_one(SearchPanel).hits[2].passage
        await pilot.press("enter")
        await settle(pilot)
        assert browser(app).reader.current_passage == chosen


# -- the new user's findings (80×24, 120×40, 60×20) ----------------------------


async def test_kind_filter_bar_always_shows_the_active_filter(
    mini_corpus: Corpus, tmp_path: Path
) -> None:
    from lbn_tui.tui.widgets.search_panel import FILTERS, FilterBar

    for size in ((60, 20), (80, 24), (120, 40)):
        app = make_app(mini_corpus, tmp_path)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("slash")
            panel = app.screen.query_one(SearchPanel)
            bar = app.screen.query_one(FilterBar)
            for step in range(len(FILTERS) + 1):
                await pilot.pause()
                active = panel.active_filter
                shown = bar.render()
                assert shown.cell_length <= bar.size.width, (size, step, shown.plain)
                assert f" {active.label} " in shown.plain, (size, active.label, shown.plain)
                assert f" {active.label} " in screen_text(app), (size, active.label)
                await pilot.press("tab")


async def test_escape_after_opening_a_hit_returns_to_where_the_search_began(
    mini_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="inquiry-one#2")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = browser(app)
        start_block = screen.reader.cursor
        await pilot.press("slash")
        await type_text(pilot, "socail prescibing")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.history.current is not None
        assert screen.history.current.key == "quote-burt"
        await pilot.press("escape")
        await settle(pilot)
        assert screen.history.current.key == "inquiry-one"
        assert screen.reader.cursor == start_block
        assert app.focused is screen.reader
        # Forward goes to the hit again; a second escape does nothing.
        await pilot.press("escape")
        await settle(pilot)
        assert screen.history.current.key == "inquiry-one"
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.history.current.key == "quote-burt"


async def test_escape_after_a_hit_in_the_same_entry_puts_the_cursor_back(
    mini_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = browser(app)
        await pilot.press("end")
        start_block = screen.reader.cursor
        await pilot.press("slash")
        await type_text(pilot, "socail prescibing")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.reader.cursor != start_block
        await pilot.press("escape")
        await settle(pilot)
        assert screen.history.current is not None
        assert screen.history.current.key == "quote-burt"
        assert screen.reader.cursor == start_block


async def test_focus_never_rests_on_a_hidden_pane(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = browser(app)
        assert app.focused is screen.navigator
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert not screen.navigator.display or screen.navigator.region.width == 0
        assert app.focused is screen.reader
        before = screen.reader.cursor
        await pilot.press("j")
        assert screen.reader.cursor != before
        for _ in range(3):
            await pilot.press("tab")
            await pilot.pause()
            assert app.focused is not None and app.focused.region.width > 0, app.focused


async def test_search_hit_badge_has_a_gap_before_the_title(
    mini_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "community")
        await settle(pilot)
        options = app.screen.query_one("#search-hits", OptionList)
        kinds = set()
        for index in range(options.option_count):
            head = str(options.get_option_at_index(index).prompt).split("\n")[0]
            kinds.add(head.split()[0])
            assert re.match(r"^\S.{0,9}\s{2,}\S", head), head
        assert "Rec." in kinds


async def test_highlighted_hit_has_a_bar(mini_corpus: Corpus, tmp_path: Path) -> None:
    from lbn_tui.tui.widgets.search_panel import HIT_BAR

    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "neighbourhood")
        await settle(pilot)
        await pilot.press("down")
        await pilot.pause()
        options = app.screen.query_one("#search-hits", OptionList)
        lines = [options.render_line(y).text for y in range(options.size.height)]
        barred = [i for i, line in enumerate(lines) if line.startswith(HIT_BAR)]
        assert barred, lines
        first, _ = options._lines[options.scroll_offset.y + barred[0]]
        assert first == options.highlighted == 1
        assert len(barred) >= 2  # every line of the hit, not just the first


async def test_tree_is_wider_at_120_and_cut_labels_end_in_ellipsis(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        nav = browser(app).navigator
        assert nav.size.width >= 40
        for key in ("list:vision", "list:recs:best-case-scenario"):
            node = nav.find(key)
            assert node is not None
            node.expand()
        await settle(pilot)
        width = nav.scrollable_content_region.width
        cut = 0
        for y in range(min(nav.size.height, nav.last_line + 1)):
            line = nav.render_line(y).text.rstrip()
            assert len(line) <= width, line
            node = nav.get_node_at_line(nav.scroll_offset.y + y)
            assert node is not None
            name = nav._names.get(node.data or "", "")
            if name and name not in line:
                cut += 1
                assert "…" in line, line
        assert cut, "expected a long label to be cut"


async def test_source_url_wraps_under_the_url(bundled_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(bundled_corpus, tmp_path, open_ref="evidence-session-1")
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        reader = browser(app).reader
        await pilot.press("end")
        await settle(pilot)
        index = reader.cursor
        assert index is not None and reader.blocks[index].role == "source"
        lines = [strip.text for strip in reader._block_strips(index)]
        assert lines[0].lstrip("█ ").startswith("Source")
        start = next(i for i, line in enumerate(lines) if "https://" in line)
        assert len(lines) - start >= 2, lines  # the URL wraps at 60 columns
        column = lines[0].index(reader.blocks[index].content.plain[:5])
        for line in lines[1:]:
            assert line[:column].strip(" █") == "", line


async def test_copy_then_star_leaves_one_short_notice(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c", "s")
        await settle(pilot)
        notes = list(app._notifications)
        assert len(notes) == 1, [n.message for n in notes]
        assert notes[0].timeout <= 2
        assert "\n" not in notes[0].message and notes[0].message.startswith("Starred")
        assert len(notes[0].message) <= 48


async def test_unstar_in_starred_list_keeps_the_row(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await browser(app).open_target("list:starred")
        await settle(pilot)
        reader = browser(app).reader
        assert reader.current_passage is not None
        assert reader.current_passage.entry_id == "quote-burt"
        await pilot.press("s")
        await settle(pilot)
        assert app.star_store is not None and app.star_store.refs == ()
        assert reader.current_passage is not None
        assert reader.current_passage.entry_id == "quote-burt"
        notes = [str(n.message) for n in app._notifications]
        assert notes == ["Unstarred — press s again to star it back"]
        await pilot.press("s")
        await settle(pilot)
        assert app.star_store.refs == ("quote-burt",)


async def test_export_title_and_notice_count_one_passage(
    mini_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s", "e")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        title = str(app.screen.query_one("#export-title").render())
        assert "Export 1 starred passage " in title + " " and "passages" not in title
        app.screen.query_one("#export-path", Input).value = str(tmp_path / "one.md")
        await pilot.press("enter")
        await settle(pilot)
        titles = [n.title for n in app._notifications]
        assert "Saved 1 starred passage" in titles


async def test_palette_placeholder_mentions_entries(mini_corpus: Corpus, tmp_path: Path) -> None:
    from textual.command import CommandInput

    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        box = app.screen.query_one(CommandInput)
        assert "entry" in box.placeholder


async def test_help_fits_80x24_without_duplicates(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        titles = [title for title, _ in app.screen.groups]
        assert len(titles) == len(set(titles))
        assert not {"Anywhere", "Contents tree (also)"} & set(titles)
        scroll = app.screen.query_one("#help")
        assert scroll.max_scroll_y == 0
        for group in app.screen.query(".help-group"):
            assert group.region.right <= 80
            for line in str(group.render()).split("\n"):
                assert len(line) <= group.content_region.width, line
