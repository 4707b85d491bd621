"""Citations a researcher can trust: what `c` copies and `lbn-tui cite`
prints, and the records `export` writes, read back by real parsers.

- Quotation marks hold only text as published: for every passage of the
  bundled briefings, the text inside them is a verbatim substring of its
  seed page (whitespace and the README's repairs aside).
- Every quote's copy names its speaker and session; no reading item's copy
  puts the APPG's description in quotation marks.
- BibTeX is read by bibtexparser, RIS by rispy, CSL-JSON is checked against
  the CSL data schema's rules and formatted by citeproc-py (Cite Them Right
  Harvard), so every record imports.
- Every editorial fact has an address.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
import rispy

from lbn_tui.cite import formats, works
from lbn_tui.corpus import model
from lbn_tui.corpus.loader import check, load_corpus
from lbn_tui.corpus.sources import bundled_briefings_dir
from lbn_tui.render import export_bibliography, export_starred
from tests.test_content import FILES, raw_seed, repair

SEED_OF_FILE = {name: seed for seed, (name, _url) in FILES.items()}


@pytest.fixture(scope="module")
def corpus() -> model.Corpus:
    return load_corpus([bundled_briefings_dir()])


def flat(text: str) -> str:
    return " ".join(text.split())


def seed_text(seed: str) -> str:
    """The seed page with the README's repairs made, whitespace collapsed."""
    lines = [repair(seed, line) for line in raw_seed(seed).split("\n")]
    # List markers are presentation (README repair 17), and drop with them
    # the break inside the first best-case bullet (repair 1).
    return flat(" ".join(lines).replace("  • ", " "))


def every_passage(corpus: model.Corpus) -> list[tuple[model.Entry, model.Passage]]:
    return [(e, p) for e in corpus.entries for p in corpus.passages_of(e.id)]


def quoted_part(copied: str) -> str | None:
    """The text inside the opening quotation marks, if the copy opens with one."""
    if not copied.startswith("“"):
        return None
    end = copied.index("” — ")
    return copied[1:end]


def page_seed(corpus: model.Corpus, entry: model.Entry) -> str:
    """The seed whose page printed the text the copy quotes."""
    if isinstance(entry, model.Figure):
        found = corpus.by_id[entry.found_in]
        return page_seed(corpus, found)
    return SEED_OF_FILE[Path(entry.location.path).name]


# --------------------------------------------------------------------------
# What c copies.


def test_quotation_marks_hold_only_verbatim_text(corpus: model.Corpus) -> None:
    seeds = {seed: seed_text(seed) for seed in FILES}
    quoted = unquoted = 0
    for entry, passage in every_passage(corpus):
        copied = works.copy_text(corpus, entry, passage)
        inside = quoted_part(copied)
        ref = model.passage_ref(passage, entry, corpus)
        if inside is None:
            unquoted += 1
            # What may be copied without quotation marks: a reference list
            # entry, a name, a figure no passage states.
            assert entry.kind in {"reading", "briefing", "reference", "case-study", "session"} or (
                isinstance(entry, model.Figure) and not entry.found_in
            ), (ref, copied)
            assert "“" not in copied.partition(". [")[0] or entry.kind == "reference", copied
            continue
        quoted += 1
        assert flat(inside) in seeds[page_seed(corpus, entry)], (ref, inside)
    assert quoted >= 70 and unquoted >= 30, (quoted, unquoted)


def test_every_copy_ends_with_its_permalink(corpus: model.Corpus) -> None:
    for entry, passage in every_passage(corpus):
        ref = model.passage_ref(passage, entry, corpus)
        copied = works.copy_text(corpus, entry, passage)
        assert copied.endswith("]") and (f"[{ref}]" in copied or f"; {ref}]" in copied), copied
        assert "\n" not in copied


def test_a_quote_names_its_speaker_session_and_page(corpus: model.Corpus) -> None:
    quotes = [e for e in corpus.entries if isinstance(e, model.Quote)]
    assert len(quotes) == 6
    for quote in quotes:
        copied = works.copy_text(corpus, quote, corpus.passages_of(quote.id)[0])
        assert copied.startswith(f"“{quote.text}” — {quote.speaker}"), copied
        assert quote.given_at in copied
        session = corpus.by_id[quote.session]
        assert session.title in copied  # the inquiry session's title, from the report
        assert (
            "Quoted in: All-Party Parliamentary Group for ‘left behind’ neighbourhoods (2023)"
            in (copied)
        )
        assert quote.source.url in copied


def test_jim_burts_quote_as_a_researcher_pastes_it(corpus: model.Corpus) -> None:
    quote = corpus.by_id["quote-jim-burt-gp-appointments"]
    copied = works.copy_text(corpus, quote, corpus.passages_of(quote.id)[0])
    assert copied.endswith(
        "” — Jim Burt, National Academy for Social Prescribing, oral evidence to inquiry "
        "session one (Inquiry session one: Levelling up social outcomes, April 2022). "
        "Quoted in: All-Party Parliamentary Group for ‘left behind’ neighbourhoods (2023) "
        "‘Our vision for ‘left behind’ neighbourhoods’, in *A neighbourhood strategy for "
        "national renewal*. Available at: "
        "https://appg-leftbehindneighbourhoods.org.uk/report/our-vision-for-left-behind-neighbourhoods"
        ". [quote-jim-burt-gp-appointments]"
    )


def test_no_reading_puts_the_appg_description_in_quotation_marks(corpus: model.Corpus) -> None:
    for kind in ("reading", "briefing"):
        for entry in corpus.of_kind(kind):
            copied = works.copy_text(corpus, entry, corpus.passages_of(entry.id)[0])
            assert "“" not in copied, copied
            assert flat(entry.description)[:60] not in flat(copied), copied
            assert copied.endswith(f"[{entry.id}]")
            assert "Listed in: All-Party Parliamentary Group" in copied


def test_a_reading_with_facts_is_a_full_harvard_reference(corpus: model.Corpus) -> None:
    entry = corpus.by_id["reading-left-behind-understanding-communities-on-the-edge"]
    copied = works.copy_text(corpus, entry, corpus.passages_of(entry.id)[0])
    assert copied.startswith(
        "Oxford Consultants for Social Inclusion (OCSI) (2019) *Left behind? Understanding "
        "communities on the edge*. Local Trust. Available at: "
        "https://www.learningfrombiglocal.org.uk/resources/left-behind-understanding-"
        "communities-on-the-edge. Listed in: "
    )


def test_a_figure_is_copied_as_the_sentence_that_states_it(corpus: model.Corpus) -> None:
    figure = corpus.by_id["figure-29-8bn-a-year"]
    assert isinstance(figure, model.Figure)
    copied = works.copy_text(corpus, figure, corpus.passages_of(figure.id)[0])
    inside = quoted_part(copied)
    assert inside is not None and "£29.8bn" in inside
    assert inside.startswith("Previous APPG research suggests")
    # Not the gloss, not its origin credited as an author.
    assert figure.measures not in copied
    assert "— Previous APPG research" not in copied
    assert copied.endswith(f"; {figure.id}]")


def test_every_figure_quotes_a_sentence_holding_its_value(corpus: model.Corpus) -> None:
    for figure in corpus.of_kind("figure"):
        assert isinstance(figure, model.Figure)
        copied = works.copy_text(corpus, figure, corpus.passages_of(figure.id)[0])
        inside = quoted_part(copied)
        if figure.found_in:
            assert inside is not None and figure.value in inside, copied
            assert len(inside) < 600, inside  # a sentence, not the whole paragraph
        else:
            assert inside is None and "(editorial summary)" in copied


def test_an_unidentified_reference_says_so(corpus: model.Corpus) -> None:
    ref = corpus.by_id["ref-britton-2020"]
    copied = works.copy_text(corpus, ref, corpus.passages_of(ref.id)[0])
    assert copied.startswith("Britton (2020). The work is not identified")
    assert "Cited in: All-Party Parliamentary Group" in copied


def test_sentence_with_finds_the_sentence() -> None:
    text = "One thing. It cost £3.2m in 2021. Another (Onward, 2021). Last."
    assert works.sentence_with(text, "£3.2m") == "It cost £3.2m in 2021."
    assert works.sentence_with(text, "Last") == "Last."
    assert works.sentence_with("No match here.", "£9") == "No match here."


def test_harvard_authors() -> None:
    assert works.harvard_authors(("Tanner, Will", "Krasniqi, Fjolla", "Blagden, James")) == (
        "Tanner, W., Krasniqi, F. and Blagden, J."
    )
    assert works.harvard_authors(("Local Trust",)) == "Local Trust"
    assert works.harvard_authors(("Marmot, Michael Gideon",)) == "Marmot, M. G."


# --------------------------------------------------------------------------
# Records.

#: The CSL data schema's rules (https://citationstyles.org/ , csl-data.json,
#: version 1.0) for the fields written here: item types, names, dates,
#: strings; no other keys.
CSL_TYPES = [
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book",
    "broadcast", "chapter", "classic", "collection", "dataset", "document", "entry",
    "entry-dictionary", "entry-encyclopedia", "event", "figure", "graphic", "hearing",
    "interview", "legal_case", "legislation", "manuscript", "map", "motion_picture",
    "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical",
    "personal_communication", "post", "post-weblog", "regulation", "report", "review",
    "review-book", "software", "song", "speech", "standard", "thesis", "treaty", "webpage",
]  # fmt: skip
NAME = {
    "type": "object",
    "properties": {
        "family": {"type": "string"},
        "given": {"type": "string"},
        "literal": {"type": "string"},
    },
    "additionalProperties": False,
    "minProperties": 1,
}
DATE = {
    "type": "object",
    "properties": {
        "date-parts": {
            "type": "array",
            "items": {
                "type": "array",
                "items": {"type": "integer"},
                "minItems": 1,
                "maxItems": 3,
            },
            "minItems": 1,
            "maxItems": 2,
        }
    },
    "additionalProperties": False,
}
STRING = {"type": "string", "minLength": 1}
CSL_ITEM = {
    "type": "object",
    "required": ["id", "type"],
    "properties": {
        "id": STRING,
        "type": {"enum": CSL_TYPES},
        "author": {"type": "array", "items": NAME, "minItems": 1},
        "title": STRING,
        "container-title": STRING,
        "publisher": STRING,
        "event-title": STRING,
        "issued": DATE,
        "URL": STRING,
        "note": STRING,
    },
    "additionalProperties": False,
}
CSL_DATA = {"type": "array", "items": CSL_ITEM}


def all_works(corpus: model.Corpus) -> list[works.Work]:
    """Every entry's work, each once (a figure cites its passage's work)."""
    return formats.unique(works.work_of(corpus, e) for e in corpus.entries)


def test_csl_json_follows_the_csl_data_schema(corpus: model.Corpus) -> None:
    data = json.loads(formats.csl_json(all_works(corpus)))
    jsonschema.validate(data, CSL_DATA)
    by_id = {item["id"]: item for item in data}
    onward = by_id["ref-onward-2021"]
    assert onward["type"] == "report"
    assert onward["author"][0] == {"family": "Tanner", "given": "Will"}
    assert onward["issued"] == {"date-parts": [[2021, 9, 11]]}
    assert by_id["quote-toby-lloyd-community-led-action"]["type"] == "speech"
    assert by_id["inquiry-session-1"]["type"] == "event"


def test_csl_json_is_formatted_by_citeproc(corpus: model.Corpus) -> None:
    from citeproc import (
        Citation,
        CitationItem,
        CitationStylesBibliography,
        CitationStylesStyle,
        formatter,
    )
    from citeproc.source.json import CiteProcJSON

    references = [e for e in corpus.entries if e.kind in ("reference", "reading", "briefing")]
    data = json.loads(formats.csl_json(works.work_of(corpus, e) for e in references))
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(data), formatter.plain)
    for item in data:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(line) for line in bibliography.bibliography()]
    assert len(rendered) == len(data)
    assert any("Turnaround: Learning from 60 years of regeneration policy" in r for r in rendered)
    assert any(r.startswith("Tanner, W., Krasniqi, F. and Blagden, J. (2021)") for r in rendered)


def test_bibtex_parses_with_every_record(corpus: model.Corpus) -> None:
    text = formats.bibtex(all_works(corpus))
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    assert len(library.entries) == len(all_works(corpus)) >= 60
    onward = next(e for e in library.entries if e.key == "ref-onward-2021")
    assert onward.entry_type == "techreport"
    assert onward["author"] == "Tanner, Will and Krasniqi, Fjolla and Blagden, James"
    assert onward["institution"] == "Onward"
    assert onward["year"] == "2021"


def test_bibtex_escapes_what_would_break_a_record() -> None:
    work = works.Work(
        key="k",
        type="report",
        authors=("A & B {Ltd}",),
        title="50% of } everything @misc{x, #1 ~ \\ _",
        url="https://e.invalid/a}b{c%20",
    )
    library = bibtexparser.parse_string(formats.bibtex([work]))
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.key == "k"
    assert "@misc" in entry["title"] and entry["title"].count("{") == entry["title"].count("}")


def test_ris_parses_with_every_record(corpus: model.Corpus) -> None:
    records = rispy.loads(formats.ris(all_works(corpus)))
    assert len(records) == len(all_works(corpus))
    onward = next(r for r in records if r["id"] == "ref-onward-2021")
    assert onward["type_of_reference"] == "RPRT"
    assert onward["authors"] == ["Tanner, Will", "Krasniqi, Fjolla", "Blagden, James"]
    assert onward["year"] == "2021"
    assert onward["urls"] == [
        "https://www.ukonward.com/reports/turnaround-regeneration-neighbourhood/"
    ]


def test_ris_value_with_a_line_break_cannot_end_the_record() -> None:
    work = works.Work(key="k", type="report", title="A\nER  - \nTY  - JOUR")
    records = rispy.loads(formats.ris([work]))
    assert len(records) == 1 and records[0]["type_of_reference"] == "RPRT"


def test_the_bibliography_export(corpus: model.Corpus) -> None:
    text = export_bibliography(corpus, ["reference"], fmt="bibtex")
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks and len(library.entries) == 19
    listed = export_bibliography(corpus, ["reference"], fmt="text").splitlines()
    assert len(listed) == 19 and listed == sorted(listed, key=str.casefold)
    assert "Britton (2020). Work not identified. [ref-britton-2020]" in listed


def test_starred_export_as_records_one_per_work(corpus: model.Corpus) -> None:
    refs = [
        "article-vision#1",
        "article-vision#2",
        "ref-onward-2021",
        "quote-jim-burt-gp-appointments",
    ]
    data = json.loads(export_starred(corpus, refs, fmt="csl-json"))
    # Two paragraphs of one page are one work.
    assert [item["type"] for item in data] == ["webpage", "report", "speech"]


# --------------------------------------------------------------------------
# Editorial facts.


def test_every_editorial_fact_has_an_address(corpus: model.Corpus) -> None:
    facts = [f for e in corpus.entries for f in e.facts]
    facts += [f for e in corpus.entries for f in e.source.facts]
    assert len(facts) >= 60
    for fact in facts:
        assert re.fullmatch(r"https?://\S+", fact.found_at), fact


def test_references_with_a_confirmed_work(corpus: model.Corpus) -> None:
    confirmed = [e.id for e in corpus.of_kind("reference") if e.fact("title") and e.fact("url")]
    # Each identified by a public page (docs/research/citation-facts.yaml
    # says how); the others are left out, not guessed.
    assert len(confirmed) >= 6, confirmed


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "    title:\n      value: T\n",
            "entry 'r': editorial: title is missing 'found_at' (the address of the page "
            "that states it)",
        ),
        (
            "    date:\n      value: May 2020\n      found_at: https://e.invalid/\n",
            "entry 'r': editorial: date must be YYYY, YYYY-MM or YYYY-MM-DD, not 'May 2020'",
        ),
        (
            "    title:\n      value: T\n      found_at: somewhere\n",
            "entry 'r': editorial: title: found_at must be the http(s) address of the page "
            "that states the fact, not 'somewhere'",
        ),
        (
            "    colour:\n      value: red\n      found_at: https://e.invalid/\n",
            "unknown editorial fact 'colour' (expected: title, authors, publisher, container, "
            "date, url, type)",
        ),
        (
            "    type:\n      value: blog\n      found_at: https://e.invalid/\n",
            "entry 'r': editorial: type must be one of: report",
        ),
    ],
)
def test_the_loader_checks_editorial_facts(tmp_path: Path, block: str, message: str) -> None:
    (tmp_path / "f.yaml").write_text(
        "source:\n  title: T\n  url: https://e.invalid/\nentries:\n"
        "- id: r\n  kind: reference\n  citation: A, 2020\n  author: A\n  year: '2020'\n"
        "  editorial:\n" + block,
        encoding="utf-8",
    )
    problems = check([tmp_path])
    assert len(problems) == 1, problems
    assert str(problems[0]).startswith(f"{tmp_path / 'f.yaml'}:"), problems
    assert message in problems[0].message, problems[0].message


def test_a_kind_without_facts_refuses_an_editorial_block(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(
        "source:\n  title: T\n  url: https://e.invalid/\nentries:\n"
        "- id: q\n  kind: quote\n  text: Words.\n  speaker: S\n"
        "  editorial:\n    title:\n      value: T\n      found_at: https://e.invalid/\n",
        encoding="utf-8",
    )
    (problem,) = check([tmp_path])
    assert problem.line == 10 and "takes no editorial facts" in problem.message


def test_the_readme_documents_every_fact() -> None:
    readme = (bundled_briefings_dir() / "README.md").read_text(encoding="utf-8")
    assert "## Provenance" in readme
    for name in model.FACT_LABELS:
        assert f"`{name}`" in readme, name
