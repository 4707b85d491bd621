"""Tests of the bundled briefing content against the pages it was taken from.

The five crawled pages are kept verbatim in ``tests/fixtures/seeds/``.  The
only differences allowed between a page and the content are the repairs in
`REPAIRS` below (the same list as in ``briefings/README.md``) and the page
chrome in `CHROME`.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path

import pytest

from lbn_tui.corpus import model
from lbn_tui.corpus.loader import load_corpus
from lbn_tui.corpus.sources import bundled_briefings_dir

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
BRIEFINGS = bundled_briefings_dir()

BANNER = (
    "The APPG for 'left behind' neighbourhoods was active between June 2020 and March 2024. "
    "This website will no longer be updated."
)

# Text-extraction artefacts repaired in the content: (seed, as crawled, as stored).
# Besides these: trailing spaces / no-break spaces are stripped from every line,
# every other no-break space (U+00A0) becomes an ordinary space, list bullets
# ("  • ") are markup, and the broken first best-case bullet is joined (BROKEN_BULLET).
REPAIRS: tuple[tuple[str, str, str], ...] = (
    ("001", "policy,‘left behind’", "policy, ‘left behind’"),
    ("004", "long- term", "long-term"),
    ("004", "high- quality", "high-quality"),
    ("004", "neighbourhood- based", "neighbourhood-based"),
    ("004", "England- wide", "England-wide"),
    ("004", "non- medical", "non-medical"),
    ("004", "place- based", "place-based"),
    ("004", "2019b).The", "2019b). The"),
)
BROKEN_BULLET = (
    "Government rethinks and refreshes their current policy objectives and approaches with new "
    "underpinning",
    "principles which are specifically designed to benefit ‘left behind’ neighbourhoods across "
    "the country",
)
NBSP_LINES = {"000": 1, "002": 3, "003": 4}  # lines holding U+00A0 (one is chrome)

# Page chrome: lines of the pages that are deliberately not content.
CHROME: dict[str, tuple[str, ...]] = {
    "000": ("Read the full publication",),
    "001": (),
    "002": (
        "Our use of cookies",
        "We use Necessary cookies to make our website work. We would also like to set optional "
        "analytical cookies to help us improve the website. We will not set optional cookies "
        "unless you enable them. For more detailed information about the cookies we use, see our "
        "Cookies settings page.",
        "Sign up to receive all the latest updates about the work of the APPG",
        "Sign up to our newsletter",
    ),
    "003": (
        "Coming soon: watch the recording of the session",
        "Our speakers",
        "(click on speaker’s name to watch their presentation)",
        # A section heading, modelled as the session's `briefing_pack` key.
        "Briefing pack",
    ),
    "004": (),
}
CHROME_STRINGS = (
    "cookies",
    "sign up",
    "newsletter",
    "read the full publication",
    "coming soon",
    "click on speaker",
    "watch the recording",
    "click here",
)

FILES = {
    "000": (
        "long-term-inequalities.yaml",
        "https://www.appg-leftbehindneighbourhoods.org.uk/news/"
        "tackling-long-term-inequalities-in-left-behind-neighbourhoods/",
    ),
    # Where the conclusion's text is stored (the bare /report/ address is not).
    "001": (
        "report-conclusion.yaml",
        "https://www.appg-leftbehindneighbourhoods.org.uk/report/references/",
    ),
    "002": ("faqs.yaml", "https://www.appg-leftbehindneighbourhoods.org.uk/faqs/"),
    "003": (
        "evidence-session-1.yaml",
        "https://www.appg-leftbehindneighbourhoods.org.uk/evidence/"
        "what-makes-a-neighbourhood-left-behind-and-how-has-covid-19-affected-these-neighbourhoods/",
    ),
    "004": (
        "vision.yaml",
        "https://appg-leftbehindneighbourhoods.org.uk/report/"
        "our-vision-for-left-behind-neighbourhoods",
    ),
}

EXPECTED_COUNTS = {
    "session": 3,
    "briefing": 2,
    "reading": 9,
    "recommendation": 13,
    "quote": 6,
    "faq": 5,
    "article": 3,
    "case-study": 4,
    "figure": 14,
    "reference": 19,
}

# "(Author, year)" or "(Author, year; Author, year)" as printed.
CITATION = re.compile(r"\(([^()]+?, \d{4}[a-z]?(?:; [^()]+?, \d{4}[a-z]?)*)\)")
ATTRIBUTION = re.compile(r"^(?P<speaker>[^,]+), (?P<role>.+), (?P<given_at>oral evidence to .+)$")
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


# --------------------------------------------------------------------------
# Helpers


def raw_seed(seed: str) -> str:
    (path,) = SEEDS.glob(f"{seed}_*.txt")
    return path.read_text(encoding="utf-8")


def repair(seed: str, line: str) -> str:
    line = line.rstrip(" \xa0").replace("\xa0", " ")
    for which, before, after in REPAIRS:
        if which == seed:
            line = line.replace(before, after)
    return line


def seed_lines(seed: str) -> list[str]:
    """The page's non-empty lines after the documented repairs, bullets unmarked."""
    out: list[str] = []
    for raw in raw_seed(seed).split("\n"):
        line = repair(seed, raw)
        if not line.strip():
            continue
        if line.startswith("  • "):
            line = "• " + line[4:]
        if out and line == "• " + BROKEN_BULLET[1]:
            assert out[-1] == "• " + BROKEN_BULLET[0]
            out[-1] = out[-1] + " " + BROKEN_BULLET[1]
            continue
        out.append(line)
    return out


def content_lines(seed: str) -> list[str]:
    """Seed lines minus the banner and the chrome."""
    return [line for line in seed_lines(seed) if line != BANNER and line not in CHROME[seed]]


def strings_of(entry: model.Entry) -> set[str]:
    """Every piece of text an entry shows: title, passages, headings, attribution."""
    out = {entry.title}
    out.update(text for _heading, text in entry.passage_texts())
    for name in entry.__struct_fields__:
        value = getattr(entry, name)
        if isinstance(value, str):
            out.add(value)
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, model.Paragraph):
                    out.update(s for s in (item.text, item.heading) if s)
    if isinstance(entry, model.Quote):
        out.add(entry.attribution)
    if isinstance(entry, model.Reading) and entry.byline:
        out.add(f"{entry.byline}. {entry.description}")
    out.discard("")
    return out


def paragraph_texts(entry: model.Entry) -> list[tuple[str, tuple[str, ...]]]:
    """(text, cites) for each citing unit of an entry."""
    if isinstance(entry, model.Article):
        return [(p.text, p.cites) for p in entry.paragraphs if p.text]
    if isinstance(entry, model.Faq):
        return [(p.text, p.cites) for p in entry.answer if p.text]
    if isinstance(entry, model.Session):
        return [(p.text, p.cites) for p in entry.summary if p.text]
    if isinstance(entry, (model.Recommendation, model.Figure)):
        return [(text, entry.cites()) for _h, text in entry.passage_texts()]
    return [(text, ()) for _h, text in entry.passage_texts()]


def entry_text(entry: model.Entry) -> str:
    return "\n".join(text for _h, text in entry.passage_texts())


@pytest.fixture(scope="module")
def corpus() -> model.Corpus:
    return load_corpus([BRIEFINGS])


def seed_quotes() -> list[dict[str, str]]:
    """Quotes in seed 004: a paragraph followed by an 'oral evidence to …' line."""
    lines = seed_lines("004")
    quotes = []
    for before, line in itertools.pairwise(lines):
        m = ATTRIBUTION.match(line)
        if not m:
            continue
        text = before
        if text.startswith("“") and text.endswith("”"):
            text = text[1:-1]  # the page's quotation marks are presentation
        quotes.append({"text": text, **m.groupdict()})
    return quotes


# --------------------------------------------------------------------------
# The files


def test_the_bundled_content_loads_without_problems(corpus: model.Corpus) -> None:
    assert len(corpus) == sum(EXPECTED_COUNTS.values())


def test_counts_of_each_kind(corpus: model.Corpus) -> None:
    assert Counter(e.kind for e in corpus) == EXPECTED_COUNTS


@pytest.mark.parametrize("seed", sorted(FILES))
def test_each_seed_has_its_file_with_its_source(corpus: model.Corpus, seed: str) -> None:
    name, url = FILES[seed]
    path = BRIEFINGS / name
    assert path.is_file()
    shown = [e for e in corpus if Path(e.location.path).name == name]
    assert shown, f"{name} has no entries"
    sources = {e.source for e in shown}
    assert len(sources) == 1
    (source,) = sources
    assert source.url == url
    assert source.publisher == "All-Party Parliamentary Group for ‘left behind’ neighbourhoods"
    if BANNER in raw_seed(seed):
        assert source.note == BANNER
    else:
        assert source.note == ""


def test_fixtures_are_the_five_seeds() -> None:
    assert sorted(p.name[:3] for p in SEEDS.glob("*.txt")) == sorted(FILES)


# --------------------------------------------------------------------------
# Repairs and chrome


def test_every_repair_is_needed_and_made(corpus: model.Corpus) -> None:
    everything = "\n".join(s for e in corpus for s in strings_of(e))
    for seed, before, after in REPAIRS:
        assert before in raw_seed(seed), f"stale repair {before!r}: not in seed {seed}"
        assert before not in everything, f"unrepaired {before!r}"
        assert after in everything, f"repaired text {after!r} missing"
    # The broken bullet really is broken in the page, and joined in the content.
    for half in BROKEN_BULLET:
        assert f"  • {half}\n" in raw_seed("004")
    assert " ".join(BROKEN_BULLET) in everything
    for seed, count in NBSP_LINES.items():
        assert sum("\xa0" in line for line in raw_seed(seed).split("\n")) == count


def test_no_extraction_artefacts_left(corpus: model.Corpus) -> None:
    for entry in corpus:
        for text in strings_of(entry):
            assert "\xa0" not in text, entry.id
            assert text == text.strip(), entry.id
            assert "  " not in text, entry.id
            assert not re.search(r"\w- \w", text), (entry.id, text)
            assert not re.search(r"[a-z)][.,][A-Za-z‘“]", text.replace("e.g.", "")), (
                entry.id,
                text,
            )


def test_typography_is_kept(corpus: model.Corpus) -> None:
    everything = "\n".join(s for e in corpus for s in strings_of(e))
    assert "‘left behind’" in everything
    assert "'left behind'" not in everything  # straight quotes only in the banner note
    assert "–" in everything
    assert "neighbourhood" in everything and "neighborhood" not in everything


def test_no_page_chrome_anywhere() -> None:
    for path in sorted(BRIEFINGS.glob("*.yaml")):
        text = path.read_text(encoding="utf-8").lower()
        for chrome in CHROME_STRINGS:
            assert chrome not in text, f"{path.name} contains {chrome!r}"


@pytest.mark.parametrize("seed", sorted(FILES))
def test_nothing_was_lost(corpus: model.Corpus, seed: str) -> None:
    """Every paragraph, heading, list item and attribution of the page is in the content."""
    name = FILES[seed][0]
    shown: set[str] = set()
    for entry in corpus:
        if Path(entry.location.path).name == name:
            shown |= strings_of(entry)
            shown.add(entry.source.title)
    missing = []
    for line in content_lines(seed):
        wanted = line[2:] if line.startswith("• ") else line
        if wanted.startswith("“") and wanted.endswith("”"):
            wanted = wanted[1:-1]
        if wanted not in shown:
            missing.append(wanted)
    assert missing == []


def test_article_notes_and_titles(corpus: model.Corpus) -> None:
    article = corpus.by_id["article-tackling-long-term-inequalities"]
    assert isinstance(article, model.Article)
    assert article.note == (
        "This piece was originally published in Understanding Society’s 2023 Insights "
        "publication, which showcases research on health, work, and the cost of living."
    )
    assert len(article.paragraphs) == 7
    conclusion = corpus.by_id["article-report-conclusion"]
    assert isinstance(conclusion, model.Article)
    assert [p.text for p in conclusion.paragraphs] == content_lines("001")
    assert conclusion.paragraphs[-1].text == "The next few moves will be decisive."


# --------------------------------------------------------------------------
# Quotes


def test_the_seed_has_six_quotes() -> None:
    speakers = [q["speaker"] for q in seed_quotes()]
    assert speakers == [
        "Angie Buss",
        "Professor Sarah Pearson",
        "Toby Lloyd",
        "Jim Burt",
        "Jim Burt",
        "Professor Mark Gamsu",
    ]


def test_every_quote_is_verbatim_with_its_attribution(corpus: model.Corpus) -> None:
    quotes = [e for e in corpus.of_kind("quote") if isinstance(e, model.Quote)]
    assert len(quotes) == len(seed_quotes())
    by_text = {q.text: q for q in quotes}
    for wanted in seed_quotes():
        quote = by_text.get(wanted["text"])
        assert quote is not None, wanted["text"][:60]
        assert quote.speaker == wanted["speaker"]
        assert quote.role == wanted["role"]
        assert quote.given_at == wanted["given_at"]
        assert not quote.text.startswith(("“", '"')) and not quote.text.endswith(("”", '"'))
        session = corpus.by_id[quote.session]
        assert isinstance(session, model.Session)
        assert session.series == "inquiry"
        assert session.number == NUMBER_WORDS[wanted["given_at"].rsplit(" ", 1)[1]]


def test_quotes_are_embedded_where_they_stand(corpus: model.Corpus) -> None:
    article = corpus.by_id["article-vision"]
    assert isinstance(article, model.Article)
    embedded = [i for p in article.paragraphs for i in p.embed]
    quote_ids = [i for i in embedded if corpus.by_id[i].kind == "quote"]
    assert [corpus.by_id[i].text for i in quote_ids] == [  # type: ignore[attr-defined]
        q["text"] for q in seed_quotes()
    ]
    # Each quote follows the paragraph that precedes it on the page.
    lines = [
        line[1:-1] if line.startswith("“") else line
        for line in content_lines("004")
        if not ATTRIBUTION.match(line)
    ]
    for quote_id in quote_ids:
        quote_text = corpus.by_id[quote_id].text  # type: ignore[attr-defined]
        position = next(i for i, p in enumerate(article.paragraphs) if quote_id in p.embed)
        before = next(p.text for p in reversed(article.paragraphs[:position]) if p.text)
        assert lines[lines.index(quote_text) - 1] == before


def test_inquiry_sessions_say_nothing_invented(corpus: model.Corpus) -> None:
    for session_id, number in (("inquiry-session-1", 1), ("inquiry-session-3", 3)):
        session = corpus.by_id[session_id]
        assert isinstance(session, model.Session)
        assert (session.series, session.number) == ("inquiry", number)
        assert not session.summary and not session.briefing_pack and not session.reading_list
        assert not session.reading_list_note


# --------------------------------------------------------------------------
# Evidence session 1


def _session_blocks() -> tuple[list[list[str]], str, list[list[str]]]:
    """(briefing-pack blocks, reading-list note, reading blocks) from seed 003."""
    text = "\n".join(repair("003", line) for line in raw_seed("003").split("\n"))
    blocks = [b.split("\n") for b in re.split(r"\n\s*\n", text.strip())]
    start = next(i for i, b in enumerate(blocks) if b == ["Briefing pack"])
    note_at = next(i for i, b in enumerate(blocks) if b[0].startswith("These reports"))
    (note,) = blocks[note_at]
    return blocks[start + 1 : note_at], note, blocks[note_at + 1 :]


EXPECTED_READINGS = (
    # title, subtitle, by, date
    (
        "Left Behind? Understanding communities on the edge",
        "",
        "Local Trust and Oxford Consultants for Social Inclusion (OCSI)",
        "September 2019",
    ),
    ("Left Behind Areas 2020 (Interim Set)", "", "OCSI", ""),
    (
        "Rapid research COVID-19 Briefing April 2020",
        "How will communities respond to and recover from this crisis?",
        "Local Trust/TSRC",
        "April 2020",
    ),
    (
        "Rapid research COVID-19 Briefing May 2020",
        "Community resilience or resourcefulness?",
        "Local Trust/TSRC",
        "May 2020",
    ),
    (
        "We Were Built for This: how community organisations helped us through the coronavirus "
        "crisis – and how we can build a better future",
        "",
        "Locality",
        "June 2020",
    ),
    (
        "Local Heroes: how to sustain community spirit beyond COVID-19",
        "",
        "Power to Change",
        "May 2020",
    ),
    ("Building a social stimulus to tackle COVID", "", "Onward", "May 2020"),
    (
        "Social Capital and the Response to COVID-19",
        "",
        "Bennett Institute for Public Policy, University of Cambridge",
        "May 2020",
    ),
    (
        "Back from the Brink: avoiding a lost generation",
        "",
        "Centre for Progressive Policy",
        "May 2020",
    ),
)


def test_session_one(corpus: model.Corpus) -> None:
    session = corpus.by_id["evidence-session-1"]
    assert isinstance(session, model.Session)
    assert session.title == (
        "What makes a neighbourhood ‘left behind’ and how has COVID-19 affected these "
        "neighbourhoods?"
    )
    assert (session.series, session.number) == ("evidence", 1)
    assert [p.text for p in session.summary] == [content_lines("003")[0]]
    _pack, note, _readings = _session_blocks()
    assert session.reading_list_note == note


def test_session_one_briefing_pack(corpus: model.Corpus) -> None:
    session = corpus.by_id["evidence-session-1"]
    assert isinstance(session, model.Session)
    pack, _note, _readings = _session_blocks()
    assert len(session.briefing_pack) == len(pack) == 2
    for entry_id, (title, description) in zip(session.briefing_pack, pack, strict=True):
        briefing = corpus.by_id[entry_id]
        assert isinstance(briefing, model.Briefing)
        assert briefing.title == title
        assert briefing.description == description


def test_session_one_reading_list(corpus: model.Corpus) -> None:
    session = corpus.by_id["evidence-session-1"]
    assert isinstance(session, model.Session)
    _pack, _note, blocks = _session_blocks()
    assert len(blocks) == len(EXPECTED_READINGS) == len(session.reading_list)
    for entry_id, block, expected in zip(
        session.reading_list, blocks, EXPECTED_READINGS, strict=True
    ):
        reading = corpus.by_id[entry_id]
        assert isinstance(reading, model.Reading)
        title, subtitle, by, date = expected
        assert (reading.title, reading.subtitle, reading.by, reading.date) == expected
        assert block[0] == title
        if subtitle:
            assert block[1] == subtitle
        assert len(block) == (3 if subtitle else 2)
        printed = block[-1]
        byline = f"{by}, {date}. "
        if printed.startswith(byline):  # "Locality, June 2020. This report explores…"
            printed = printed[len(byline) :]
        else:
            assert by in printed or by == "OCSI"
            if date:
                assert date in printed or date in title
        assert reading.description == printed
        assert corpus.session_of(entry_id) is session


# --------------------------------------------------------------------------
# Recommendations


def _seed_bullets() -> tuple[list[str], list[str]]:
    lines = seed_lines("004")
    groups: list[list[str]] = []
    for prev, line in itertools.pairwise(["", *lines]):
        if line.startswith("• "):
            if not prev.startswith("• "):
                groups.append([])
            groups[-1].append(line[2:])
    best, blocks = groups
    return best, blocks


def _group(corpus: model.Corpus, group: str) -> list[model.Recommendation]:
    recs = [
        e
        for e in corpus.of_kind("recommendation")
        if isinstance(e, model.Recommendation) and e.group == group
    ]
    return sorted(recs, key=lambda r: r.number)


def test_best_case_scenario_in_order(corpus: model.Corpus) -> None:
    best, _blocks = _seed_bullets()
    recs = _group(corpus, "best-case-scenario")
    assert len(best) == 9
    assert [r.number for r in recs] == list(range(1, len(best) + 1))
    assert [r.text for r in recs] == best
    assert recs[0].text == " ".join(BROKEN_BULLET)


def test_building_blocks_in_order(corpus: model.Corpus) -> None:
    _best, blocks = _seed_bullets()
    recs = _group(corpus, "building-blocks")
    assert len(blocks) == 4
    assert [r.number for r in recs] == list(range(1, len(blocks) + 1))
    assert [r.text for r in recs] == blocks
    assert recs[-1].cites() == ("ref-cles-2020",)


def test_recommendations_embedded_in_the_vision(corpus: model.Corpus) -> None:
    article = corpus.by_id["article-vision"]
    assert isinstance(article, model.Article)
    for group in ("best-case-scenario", "building-blocks"):
        ids = tuple(r.id for r in _group(corpus, group))
        assert any(p.embed == ids for p in article.paragraphs), group
    studies = tuple(e.id for e in corpus.of_kind("case-study"))
    assert any(p.embed == studies and p.heading == "Case Studies" for p in article.paragraphs)
    assert [corpus.by_id[i].title for i in studies] == [
        "Revoelution, Blackpool",
        "Dover Big Local",
        "East Marsh United",
        "Gaunless Gateway Big Local",
    ]


# --------------------------------------------------------------------------
# References


def _seed_citations() -> list[tuple[str, list[str]]]:
    """(repaired paragraph or bullet, [citation, ...]) for each one in seed 004 that cites."""
    out = []
    for line in seed_lines("004"):
        text = line[2:] if line.startswith("• ") else line
        found = [c for m in CITATION.finditer(text) for c in m.group(1).split("; ")]
        if found:
            out.append((text, found))
    return out


def test_two_references_in_one_parenthesis_are_two_references() -> None:
    cited = [c for _text, cs in _seed_citations() for c in cs]
    assert "Power to Change, 2023" in cited and "Plunkett Foundation, 2023" in cited
    assert len(set(cited)) == EXPECTED_COUNTS["reference"]


def test_every_citation_has_a_reference_and_is_cited(corpus: model.Corpus) -> None:
    refs = {e.citation: e for e in corpus.of_kind("reference") if isinstance(e, model.Reference)}
    units = {text: cites for entry in corpus for text, cites in paragraph_texts(entry) if text}
    for text, citations in _seed_citations():
        assert text in units, f"paragraph not found: {text[:60]}"
        for citation in citations:
            ref = refs.get(citation)
            assert ref is not None, f"no reference for ({citation})"
            author, year = citation.rsplit(", ", 1)
            assert (ref.author, ref.year) == (author, year)
            assert ref.id in units[text], f"{text[:50]}… does not cite {ref.id}"


def test_nothing_cites_what_its_text_does_not_print(corpus: model.Corpus) -> None:
    for entry in corpus:
        if isinstance(entry, model.Figure):
            continue  # a figure cites what its found_in paragraph cites
        for text, cites in paragraph_texts(entry):
            printed = {c for m in CITATION.finditer(text) for c in m.group(1).split("; ")}
            for ref_id in cites:
                ref = corpus.by_id[ref_id]
                assert isinstance(ref, model.Reference)
                assert ref.citation in printed, (entry.id, ref_id)
    for ref in corpus.of_kind("reference"):
        assert corpus.cited_by(ref.id), f"{ref.id} is never cited"


# --------------------------------------------------------------------------
# Figures


def test_each_figure_is_stated_where_it_says(corpus: model.Corpus) -> None:
    for figure in corpus.of_kind("figure"):
        assert isinstance(figure, model.Figure)
        if not figure.found_in:
            # Only the banner fact, kept as the files' source note, has no entry.
            assert figure.id == "figure-appg-active-june-2020-march-2024"
            assert figure.value in BANNER
            continue
        where = corpus.by_id[figure.found_in]
        assert figure.value in entry_text(where), figure.id
        if figure.cited:
            stating = [cites for text, cites in paragraph_texts(where) if figure.value in text]
            assert stating and all(set(figure.cited) <= set(c) for c in stating), figure.id


def test_the_key_figures(corpus: model.Corpus) -> None:
    values = {e.value for e in corpus.of_kind("figure")}  # type: ignore[attr-defined]
    assert values == {
        "June 2020 and March 2024",
        "2020",
        "225",
        "2.4 million",
        "10%",
        "206 to 225",
        "15-point plan",
        "1980s",
        "40 years",
        "less than half as likely",
        "20 per cent",
        "30 million",
        "£3.2m",
        "£29.8bn",
    }
    money = corpus.by_id["figure-3-2m-return-on-1m"]
    assert "£1m" in money.measures and "decade" in money.measures  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# The schema documentation


README = BRIEFINGS / "README.md"


def test_the_readme_example_loads(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    example = text.split("## Example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "example.yaml").write_text(example, encoding="utf-8")
    corpus = load_corpus([tmp_path])
    assert {e.kind for e in corpus} == set(model.KINDS)


def test_the_readme_lists_every_repair_and_chrome() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    for _seed, before, after in REPAIRS:
        assert f"`{before}` → `{after}`" in text
    for chrome in ("Read the full publication", "Our use of cookies", "Sign up to our newsletter"):
        assert chrome in text
    for seed in CHROME.values():
        for line in seed:
            assert line[:40] in text, line
