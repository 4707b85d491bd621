"""Citations in the browser, as a reader meets them: `c` copies the citation,
`r` the reference alone, `u` the work's own address; what this project
added is shown apart from the page's text."""

from __future__ import annotations

from pathlib import Path

from lbn_tui.cite import works
from lbn_tui.corpus.model import Corpus
from tests.test_app_browse import make_app, screen_text, settle


async def test_c_on_a_figure_copies_the_sentence_that_states_it(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(bundled_corpus, tmp_path, open_ref="figure-29-8bn-a-year")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert "(summary by lbn-tui)" in shown
        assert "As printed" in shown
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard.startswith("“Previous APPG research suggests that")
        assert app.clipboard.endswith("[article-vision#20; figure-29-8bn-a-year]")


async def test_r_copies_the_reference_alone(bundled_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(bundled_corpus, tmp_path, open_ref="ref-onward-2021")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert app.clipboard == (
            "Tanner, W., Krasniqi, F. and Blagden, J. (2021) *Turnaround: Learning from 60 "
            "years of regeneration policy*. Onward. Available at: "
            "https://www.ukonward.com/reports/turnaround-regeneration-neighbourhood/. "
            "[ref-onward-2021]"
        )
        notes = [str(n.message) for n in app._notifications]
        assert any(n.startswith("Copied reference: Tanner, W.") for n in notes), notes


async def test_r_on_a_quote_copies_the_page_that_quotes_it(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(bundled_corpus, tmp_path, open_ref="quote-toby-lloyd-community-led-action")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        quote = bundled_corpus.by_id["quote-toby-lloyd-community-led-action"]
        assert app.clipboard == f"{works.reference_text(bundled_corpus, quote)}. [{quote.id}]"
        assert app.clipboard.startswith(
            "All-Party Parliamentary Group for ‘left behind’ neighbourhoods (2023)"
        )


async def test_u_on_a_reading_copies_its_own_address(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    ref = "reading-left-behind-understanding-communities-on-the-edge"
    app = make_app(bundled_corpus, tmp_path, open_ref=ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await pilot.pause()
        assert app.clipboard == (
            "https://www.learningfrombiglocal.org.uk/resources/"
            "left-behind-understanding-communities-on-the-edge"
        )


async def test_editorial_facts_are_shown_apart_with_their_addresses(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(bundled_corpus, tmp_path, open_ref="ref-onward-2021")
    async with app.run_test(size=(80, 60)) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert "Added by lbn-tui (not on the page)" in shown
        assert "Title: Turnaround: Learning from 60 years of regeneration policy" in shown
        assert "Date: 11 September 2021" in shown
        # One address states these facts: it is given once, after them.
        assert shown.count("found at") == 1
        assert "https://www.ukonward.com/reports/turnaround-regeneration-neighbourhood/" in shown
        # Facts follow the page's text, never inside it.
        assert shown.index("(Onward, 2021)") < shown.index("Added by lbn-tui")
        assert "“Turnaround" not in shown


async def test_a_title_no_page_prints_says_so(bundled_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(bundled_corpus, tmp_path, open_ref="inquiry-session-1")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert "Inquiry session one: Levelling up social outcomes" in shown
        assert "(title by lbn-tui)" in shown


async def test_the_export_dialog_offers_every_format(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    import bibtexparser
    from textual.widgets import Input, TextArea

    from lbn_tui.tui.dialogs.export import ExportScreen

    app = make_app(bundled_corpus, tmp_path, open_ref="ref-onward-2021")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s", "e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        assert dialog.query_one(Input).value.endswith("lbn-starred.md")
        seen = []
        for _ in range(4):
            await pilot.press("ctrl+t")
            await pilot.pause()
            seen.append(dialog.format)
        assert seen == ["text", "csl-json", "ris", "bibtex"]
        text = dialog.query_one(TextArea).text
        library = bibtexparser.parse_string(text)
        assert [e.key for e in library.entries] == ["ref-onward-2021"]
        assert dialog.query_one(Input).value.endswith("lbn-starred.bib")
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert app.clipboard == text


async def test_copy_five_kinds_one_search_after_another(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    """The researcher's round trip at 80×24: search, open the hit, copy;
    search again from there. Each copy is the citation of what was opened
    (the reader is hidden behind the search panel while a hit is chosen)."""
    from tests.test_app_browse import type_text

    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        copied = []
        for query in (
            "conservative estimate GP",
            "f: 29.8bn",
            "read: understanding communities on the edge",
            "rec: good jobs leave",
            "onward analysis regeneration schemes",
        ):
            await pilot.press("slash", "ctrl+u")
            await type_text(pilot, query)
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("c")
            await pilot.pause()
            copied.append(app.clipboard)
        assert copied[0].endswith("[quote-jim-burt-gp-appointments]")
        assert copied[1].endswith("; figure-29-8bn-a-year]")
        assert copied[2].startswith("Oxford Consultants for Social Inclusion (OCSI) (2019)")
        assert copied[3].startswith("“Good jobs become available")
        assert "(Onward, 2021).” — All-Party Parliamentary Group" in copied[4]


async def test_r_with_the_cursor_on_the_source_cites_the_open_entry(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(bundled_corpus, tmp_path, open_ref="ref-onward-2021")
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await pilot.press("end")  # the cursor on the Source block, not a passage
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert app.clipboard.startswith("Tanner, W., Krasniqi, F. and Blagden, J. (2021)")
        assert app.clipboard.endswith("[ref-onward-2021]")


async def test_on_the_page_address_c_says_why_and_u_copies_the_address(
    bundled_corpus: Corpus, tmp_path: Path
) -> None:
    app = make_app(bundled_corpus, tmp_path, open_ref="figure-206-to-225-neighbourhoods")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("end")  # the last block: the page's source
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        notes = [str(n.message) for n in app._notifications]
        assert "The cursor is on the page's address: u copies it, r its reference" in notes
        assert app.clipboard == ""
        await pilot.press("u")
        await pilot.pause()
        assert app.clipboard == (
            "https://www.appg-leftbehindneighbourhoods.org.uk/evidence/"
            "what-makes-a-neighbourhood-left-behind-and-how-has-covid-19-affected-these-neighbourhoods/"
        )


async def test_on_a_list_row_of_the_tree_c_says_why(bundled_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(bundled_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t")  # the contents tree, on the open entry's row
        await pilot.pause()
        await pilot.press("up")  # "Sessions": a list
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        notes = [str(n.message) for n in app._notifications]
        assert "This row is a list: open an entry (Enter) to copy or star from it" in notes
