"""Plain-text and Markdown renderings: attributions, starred exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbn_tui.corpus import model
from lbn_tui.corpus.loader import load_corpus
from lbn_tui.render import attributed_text, entry_plain_text, export_starred

FIXTURES = Path(__file__).parent / "fixtures"

QUOTE_TEXT = "Social prescribing only works where there is something in the community to prescribe."
BURT = "Jim Burt, National Academy for Social Prescribing, oral evidence to inquiry session one"
SESSION_URL = "https://example.invalid/inquiry-one/"
VISION_URL = "https://example.invalid/vision/"


@pytest.fixture(scope="module")
def corpus() -> model.Corpus:
    return load_corpus([FIXTURES / "valid-basic"])


def passage(corpus: model.Corpus, ref: str) -> model.Passage:
    found = model.resolve_ref(corpus, ref)
    assert found is not None and found[1] is not None, ref
    return found[1]


SESSION_PAGE = f"Test publisher (n.d.) *Inquiry session one: health*. Available at: {SESSION_URL}"


def test_attributed_text_of_a_quote(corpus: model.Corpus) -> None:
    assert attributed_text(corpus, passage(corpus, "quote-burt")) == (
        f"“{QUOTE_TEXT}” — {BURT}. Quoted in: {SESSION_PAGE}. [quote-burt]"
    )


def test_attribution_of_a_quote_without_role_or_occasion(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(
        "source:\n  title: T\n  url: https://e.invalid/\nentries:\n"
        "  - id: q\n    kind: quote\n    text: Words.\n    speaker: Ann Smith\n",
        encoding="utf-8",
    )
    small = load_corpus([tmp_path])
    assert attributed_text(small, small.by_id["q"].passages()[0]) == (
        "“Words.” — Ann Smith. Quoted in: *T* (n.d.). Available at: https://e.invalid/. [q]"
    )


def test_a_reading_is_copied_as_its_reference_never_quoted(corpus: model.Corpus) -> None:
    reading = attributed_text(corpus, passage(corpus, "read-fabric"))
    assert reading == (
        f"Onward (2021) *The state of our social fabric*. Listed in: {SESSION_PAGE}. [read-fabric]"
    )
    assert "“" not in reading


def test_a_figure_without_its_sentence_is_a_summary_never_quoted(corpus: model.Corpus) -> None:
    figure = attributed_text(corpus, passage(corpus, "fig-life"))
    assert "“" not in figure and "(editorial summary)" in figure
    assert VISION_URL in figure and figure.endswith("[fig-life]")


def test_a_paragraph_is_quoted_with_its_page_and_permalink(corpus: model.Corpus) -> None:
    article = attributed_text(corpus, passage(corpus, "vision#1"))
    assert article == (
        "“Every neighbourhood should have the social infrastructure it needs.” — "
        "*The vision* (n.d.), The vision: a neighbourhood strategy. "
        f"Available at: {VISION_URL}. [vision#1]"
    )


def test_export_markdown_has_every_passage_with_its_citation(corpus: model.Corpus) -> None:
    refs = ["quote-burt", "vision#3", "faq-what", "read-fabric"]
    text = export_starred(corpus, refs)
    assert text.startswith("# Starred passages\n\n")
    assert f"“{QUOTE_TEXT}” — {BURT}. Quoted in: {SESSION_PAGE}. [quote-burt]\n" in text
    assert "“A closing note.” — *The vision* (n.d.)" in text
    # A whole multi-passage entry: every paragraph, in order, each with its permalink.
    faq = text.index("“A place with high deprivation")
    assert faq < text.index("[faq-what#1]") < text.index("“The Community Needs Index measures it.")
    assert "‘What is a left behind neighbourhood?’" in text
    assert "[faq-what#2]" in text
    # In the starring order.
    order = [text.index(f"[{ref}") for ref in refs]
    assert order == sorted(order)
    assert "Not found" not in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_export_text_has_no_markdown(corpus: model.Corpus) -> None:
    text = export_starred(corpus, ["quote-burt", "vision#3"], fmt="text")
    assert text == (
        f"“{QUOTE_TEXT}” — {BURT}. Quoted in: Test publisher (n.d.) Inquiry session one: "
        f"health. Available at: {SESSION_URL}. [quote-burt]\n\n"
        "“A closing note.” — The vision (n.d.), The vision: a neighbourhood strategy. "
        f"Available at: {VISION_URL}. [vision#3]\n"
    )


@pytest.mark.parametrize("fmt", ["markdown", "text"])
def test_unknown_refs_are_listed_not_crashed_on(corpus: model.Corpus, fmt: str) -> None:
    text = export_starred(corpus, ["gone-entry", "quote-burt", "vision#99", "vision#x"], fmt=fmt)
    assert QUOTE_TEXT in text
    assert text.rstrip().endswith(
        "(Not found in the loaded briefings: gone-entry, vision#99, vision#x)"
    )


def test_export_of_nothing(corpus: model.Corpus) -> None:
    assert export_starred(corpus, []) == "# Starred passages\n"
    assert export_starred(corpus, [], fmt="text") == "\n"


def test_export_keeps_markup_literally() -> None:
    hostile = load_corpus([FIXTURES / "valid-hostile"])
    text = export_starred(hostile, ["quote-markup", "quote-hostile"])
    assert "[@click=app.quit]x[/] [red]y[/red] [link=https://e.invalid]z[/link]" in text
    assert "\x1b" not in text


def test_plain_text_of_a_quote(corpus: model.Corpus) -> None:
    text = entry_plain_text(corpus, corpus.by_id["quote-burt"], width=200)
    lines = text.splitlines()
    # The title is derived, not printed on the page: it says so.
    title = f"Jim Burt: “{QUOTE_TEXT}”"  # its first sentence, whole: no "…" in the data
    assert lines[0] == f"{title} (title by lbn-tui)"
    assert lines[1] == "Quote · quote-burt"
    assert f"“{QUOTE_TEXT}”" in lines
    assert f"— {BURT}" in lines
    assert "  Health and wellbeing [session: session-one]" in lines
    assert lines[-2:] == ["Source: Inquiry session one: health", f"        {SESSION_URL}"]


def test_plain_text_wraps_to_the_width(corpus: model.Corpus) -> None:
    text = entry_plain_text(corpus, corpus.by_id["session-one"], width=40)
    long_lines = [line for line in text.splitlines() if len(line) > 40 and " " in line.strip()]
    # Only URLs and the one-line "See also" items (title [kind: id]) may be longer.
    assert all("://" in line or line.endswith("]") for line in long_lines), long_lines
    assert any(line.startswith("    “Social prescribing") for line in text.splitlines())


def test_plain_text_of_a_session_lists_pack_reading_and_embeds(corpus: model.Corpus) -> None:
    text = entry_plain_text(corpus, corpus.by_id["session-one"])
    for expected in (
        "Health and wellbeing",
        "Inquiry session 1",
        "Summary\n-------\nSocial infrastructure shapes health outcomes (Onward, 2021).",
        "Briefing pack",
        "• Health outcomes briefing",
        "Further reading\nChosen by the secretariat.",
        "• The state of our social fabric\n  Onward, 2021",
        "“Social prescribing only works",
        "  Onward, 2021 [reference: onward-2021]",
    ):
        assert expected in text, expected


def test_plain_text_of_a_reference_names_the_citing_passages(corpus: model.Corpus) -> None:
    text = entry_plain_text(corpus, corpus.by_id["onward-2021"], width=200)
    assert "(Onward, 2021)" in text
    assert "Cited in:" in text
    assert "• Health and wellbeing [session-one#1] — Social infrastructure shapes" in text
    assert "• The vision: a neighbourhood strategy [vision#1] — Every neighbourhood" in text


@pytest.mark.parametrize(
    "entry_id",
    [
        "session-one",
        "pack-health",
        "read-fabric",
        "quote-burt",
        "onward-2021",
        "vision",
        "rec-fund",
        "faq-what",
        "case-hub",
        "fig-life",
    ],
)
def test_plain_text_of_every_kind_has_title_passages_and_source(
    corpus: model.Corpus, entry_id: str
) -> None:
    entry = corpus.by_id[entry_id]
    text = entry_plain_text(corpus, entry, width=0)
    marked = " (title by lbn-tui)" if entry.editorial_title else ""
    assert text.splitlines()[0] == entry.title + marked
    assert f"{entry.kind_label} · {entry.id}" in text
    flat = " ".join(text.split())
    if isinstance(entry, model.Figure):
        assert entry.value in flat and entry.measures in flat
    else:
        for p in entry.passages():
            assert " ".join(p.text.split()) in flat, p.text
    assert entry.source.url in text
    assert text.endswith("\n")


def test_attribution_of_a_recommendation_names_its_list_publisher_and_page() -> None:
    from lbn_tui.corpus.loader import load_corpus
    from lbn_tui.corpus.sources import bundled_briefings_dir

    bundled = load_corpus([bundled_briefings_dir()])
    recs = [e for e in bundled.of_kind("recommendation") if isinstance(e, model.Recommendation)]
    rec = next(r for r in recs if r.group == "best-case-scenario" and r.number == 7)
    text = attributed_text(bundled, rec.passages()[0])
    assert text == (
        f"“{rec.text}” — All-Party Parliamentary Group for ‘left behind’ neighbourhoods (2023) "
        "‘Our vision for ‘left behind’ neighbourhoods’, in *A neighbourhood strategy for national "
        "renewal*, The best-case scenario, no. 7. Available at: "
        "https://appg-leftbehindneighbourhoods.org.uk/report/our-vision-for-left-behind-neighbourhoods"
        f". [{rec.id}]"
    )
