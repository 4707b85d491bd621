"""Search v3: spellings, number forms, questions, the glossary, real matches."""

from __future__ import annotations

import pytest

from lbn_tui.corpus.model import Passage
from lbn_tui.search import glossary, language
from lbn_tui.search.engine import Hit, SearchIndex

P = Passage
PASSAGES: tuple[Passage, ...] = (
    P("article", 0, "article", "The decisions we make now will have a definitive impact.", "Art"),
    P(
        "article",
        1,
        "article",
        "Residents of the neighbourhood ran a programme with local organisations.",
        "Art",
    ),
    P("article", 2, "article", "The Centre for Local Economic Strategies, 2020.", "Art"),
    P(
        "article",
        3,
        "article",
        "Our neighbourhoods face many problems; how many neighbourhoods are left behind "
        "is a question the report returns to.",
        "Art",
    ),
    P(
        "figure-225",
        0,
        "figure",
        "225: neighbourhoods across England identified as left behind",
        "F",
    ),
    P("figure-20", 0, "figure", "20 per cent: the share of GP appointments", "G"),
    P("figure-10", 0, "figure", "10%: the threshold for being classified", "H"),
    P("figure-3m", 0, "figure", "£3.2m: the return on a £1m investment", "I"),
    P("figure-2m", 0, "figure", "2.4 million: residents who live there", "J"),
    P(
        "faq-fund",
        0,
        "faq",
        "The Fund is a proposal to release dormant assets (from stocks and shares).",
        "What is the Fund?",
    ),
    P(
        "para-prescribing",
        0,
        "article",
        "The hub is an engine room for social prescribing in many places.",
        "Hubs",
    ),
    P(
        "para-prescribing-def",
        0,
        "article",
        "Initiatives like social prescribing, an approach connecting people to groups.",
        "Def",
    ),
    P("ref-britton", 0, "reference", "(Britton, 2020)", "Britton, 2020"),
)


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(PASSAGES)


def covered(hit: Hit) -> list[str]:
    return [hit.passage.text[s:e] for s, e in hit.spans]


def first(index: SearchIndex, query: str) -> Hit:
    hits = index.search(query)
    assert hits, f"no hits for {query!r}"
    return hits[0]


# -- spelling ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "other"),
    [
        ("neighborhood", "neighbourhood"),
        ("neighbourhoods", "neighborhoods"),
        ("program", "programme"),
        ("programs", "programmes"),
        ("organization", "organisation"),
        ("organisations", "organizations"),
        ("center", "centre"),
        ("centres", "centers"),
        ("leveling", "levelling"),
        ("analyze", "analyse"),
        ("catalog", "catalogue"),
        ("labor", "labour"),
    ],
)
def test_spelling_variants(word: str, other: str) -> None:
    assert other in language.spelling_variants(word)


@pytest.mark.parametrize(
    ("query", "entry", "span"),
    [
        ("neighborhood", "article", "neighbourhood"),
        ("program", "article", "programme"),
        ("organizations", "article", "organisations"),
        ("center for local economic strategies", "article", "Centre for Local Economic Strategies"),
    ],
)
def test_american_spellings_find_british_words(
    index: SearchIndex, query: str, entry: str, span: str
) -> None:
    hit = first(index, query)
    assert hit.passage.entry_id == entry
    assert span in covered(hit)
    # Never the close but unrelated word ("definitive").
    assert all("definitive" not in covered(h) for h in index.search(query))


# -- numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "entry", "span"),
    [
        ("twenty percent", "figure-20", "20 per cent"),
        ("20 percent", "figure-20", "20 per cent"),
        ("20%", "figure-20", "20 per cent"),
        ("ten per cent", "figure-10", "10%"),
        ("£3.2 million", "figure-3m", "3.2m"),
        ("3.2 million", "figure-3m", "3.2m"),
        ("2.4m", "figure-2m", "2.4 million"),
        ("£3.2m", "figure-3m", "3.2m"),
    ],
)
def test_number_forms(index: SearchIndex, query: str, entry: str, span: str) -> None:
    hit = first(index, query)
    assert hit.passage.entry_id == entry
    assert span in covered(hit), covered(hit)


def test_query_words_rewrite_number_forms() -> None:
    assert language.query_words(("20", "per", "cent"), "20 per cent") == ("20", "percent")
    assert language.query_words(("2.4m",), "2.4m") == ("2.4", "million")
    assert language.query_words(("twenty", "five"), "twenty five") == ("25",)
    assert language.query_words(("20",), "20%") == ("20", "percent")
    assert language.query_words(("social", "capital"), "social capital") == ("social", "capital")


# -- questions -----------------------------------------------------------------


def test_question_words() -> None:
    assert language.question(("how", "many", "neighbourhoods"))[0] == "figure"
    assert language.question(("what", "does", "x", "mean"))[1] == {"what", "does", "mean"}
    assert language.question(("x", "definition"))[0] == "definition"
    assert language.question(("meaning", "of", "x"))[0] == "definition"
    assert language.question(("what", "is")) == (None, frozenset())
    assert language.question(("20", "percent"))[0] == "figure"
    assert language.question(("social", "prescribing")) == (None, frozenset())


def test_how_many_finds_the_figure(index: SearchIndex) -> None:
    # The paragraph repeats the question's words; the figure answers it.
    assert first(index, "how many neighbourhoods are left behind").passage.entry_id == "figure-225"


@pytest.mark.parametrize(
    "query",
    [
        "what is social prescribing",
        "social prescribing definition",
        "what does social prescribing mean",
    ],
)
def test_definitions_find_the_defining_sentence(index: SearchIndex, query: str) -> None:
    hit = first(index, query)
    assert hit.passage.entry_id == "para-prescribing-def"
    # "mean" and "definition" are the question, not words to find.
    assert not any(t.lower().startswith(("mean", "defin")) for t in covered(hit))


# -- glossary --------------------------------------------------------------------


def test_glossary_is_well_formed() -> None:
    entries = glossary.entries()
    assert len(entries) >= 10
    terms = [term for term, _ in entries]
    assert len(set(terms)) == len(terms)
    for term, phrasings in entries:
        assert term and phrasings
        assert all(p and "=" not in p for p in phrasings)


def test_glossary_finds_the_term_of_art(index: SearchIndex) -> None:
    hit = first(index, "unclaimed money")
    assert hit.passage.entry_id == "faq-fund"
    assert covered(hit) == ["dormant assets"]


@pytest.mark.parametrize("query", ["unclamed money", "mony not claimed", "forgoten savings"])
def test_glossary_phrasings_tolerate_a_typo(index: SearchIndex, query: str) -> None:
    """A phrasing typed with a slip in one of its words still calls up
    the term of art, as a typo'd word finds the word meant."""
    hit = first(index, query)
    assert hit.passage.entry_id == "faq-fund"
    assert covered(hit) == ["dormant assets"]


# -- real matches only -------------------------------------------------------------


@pytest.mark.parametrize("query", ["brexit", "naïve £", "xyzzyq", "search brexit", "zebra"])
def test_unrelated_queries_find_nothing(index: SearchIndex, query: str) -> None:
    assert index.search(query) == []


def test_typos_still_match(index: SearchIndex) -> None:
    assert first(index, "britton").passage.entry_id == "ref-britton"
    assert first(index, "socal prescribing").passage.entry_id.startswith("para-prescribing")


def test_every_hit_has_a_real_match(index: SearchIndex) -> None:
    for query in ["neighborhood", "twenty percent", "what is social prescribing", "briton"]:
        for hit in index.search(query):
            assert hit.spans or hit.field in {"title", "speaker"}, (query, hit)


def test_index_path_agrees(index: SearchIndex) -> None:
    big = SearchIndex(PASSAGES, use_index=True)
    for query in ["neighborhood", "twenty percent", "2.4m", "unclaimed money", "brexit"]:
        ours = [h.passage.entry_id for h in big.search(query)]
        assert ours == [h.passage.entry_id for h in index.search(query)], query
