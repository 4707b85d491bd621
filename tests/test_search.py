"""Unit tests for the search engine, on a small hand-built corpus."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbn_tui.corpus.model import Passage
from lbn_tui.search.engine import MAX_QUERY_CHARS, Hit, SearchIndex, normalize

PASSAGES: tuple[Passage, ...] = (
    Passage(
        entry_id="quote-jim-burt-1",
        index=0,
        kind="quote",
        text=(
            "Social prescribing works best where there is a strong community and voluntary "
            "sector to refer people to, and that is exactly what left behind areas lack."
        ),
        title="Jim Burt on social prescribing",
        speaker="Jim Burt, National Academy for Social Prescribing",
    ),
    Passage(
        entry_id="quote-sarah-pearson",
        index=0,
        kind="quote",
        text="We have to stop doing things to communities and start doing things with them.",
        title="Doing things with communities",
        speaker="Sarah Pearson, Centre for Regional Economic and Social Research",
    ),
    Passage(
        entry_id="article-built",
        index=0,
        kind="article",
        text=(
            "The pandemic showed that communities with places to meet and active "
            "organisations coped better. Mutual aid groups sprang up overnight."
        ),
        title="We were built for this",
        heading="Introduction",
    ),
    Passage(
        entry_id="article-built",
        index=1,
        kind="article",
        text=(
            "A Community Wealth Fund of £2 billion would reach 225 neighbourhoods "
            "over fifteen years, giving local people control over decisions."
        ),
        title="We were built for this",
        heading="Recommendations",
    ),
    Passage(
        entry_id="figure-29bn",
        index=0,
        kind="figure",
        text="£29.8bn: the additional economic output if left behind areas caught up",
        title="£29.8bn",
        speaker="Frontier Economics",
    ),
    Passage(
        entry_id="reading-local-heroes",
        index=0,
        kind="reading",
        text="How local people built the social fabric of their neighbourhoods – and why it frays.",
        title="Local heroes",
        speaker="Onward, 2021",
    ),
    Passage(
        entry_id="rec-1",
        index=0,
        kind="recommendation",
        text="Establish a Community Wealth Fund to invest in the most left behind neighbourhoods.",
        title="Recommendation 1",
    ),
    Passage(
        entry_id="faq-what",
        index=0,
        kind="faq",
        text=(
            "They are places with few places to meet, low levels of community "
            "engagement and poor connectivity to the wider economy."
        ),
        title="What is a ‘left behind’ neighbourhood?",
    ),
    Passage(
        entry_id="faq-what",
        index=1,
        kind="faq",
        text="The index was developed by OCSI for Local Trust in 2019.",
        title="What is a ‘left behind’ neighbourhood?",
    ),
    Passage(
        entry_id="quote-unicode",
        index=0,
        kind="quote",
        text="İstanbul’s “café” culture — straße ﬁne naïve 😀 élan",
        title="Unicode",
        speaker="Zoë Ångström",
    ),
)


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(PASSAGES)


def top(index: SearchIndex, query: str, **kw: object) -> Hit:
    hits = index.search(query, **kw)  # type: ignore[arg-type]
    assert hits, f"no hits for {query!r}"
    return hits[0]


def check_spans(hit: Hit) -> None:
    text = hit.passage.text
    previous_end = -1
    for start, end in hit.spans:
        assert 0 <= start < end <= len(text)
        assert start >= previous_end, "spans must be sorted and non-overlapping"
        previous_end = end
        # Whole words: no word character just outside the span.
        if start > 0:
            assert not (text[start - 1].isalnum() and text[start].isalnum())
        if end < len(text):
            assert not (text[end - 1].isalnum() and text[end].isalnum())


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        ("strong comunity and volutary sector", "quote-jim-burt-1"),
        ("stop doing thngs to communities", "quote-sarah-pearson"),
        ("mutal aid groups", "article-built"),
        ("nationl academy socal prescribing", "quote-jim-burt-1"),
        ("jim burt", "quote-jim-burt-1"),
        ("sarah pearsn", "quote-sarah-pearson"),
        ("we were built for this", "article-built"),
        ("local heroes", "reading-local-heroes"),
        ("£29.8bn", "figure-29bn"),
        ("225 neighbourhoods", "article-built"),
        ("onward 2021", "reading-local-heroes"),
        ("communities start doing things with them stop", "quote-sarah-pearson"),
    ],
)
def test_top_hit(index: SearchIndex, query: str, entry_id: str) -> None:
    hit = top(index, query)
    assert hit.passage.entry_id == entry_id
    assert 0 <= hit.score <= 100
    check_spans(hit)


def test_speaker_hit_reports_field(index: SearchIndex) -> None:
    hit = top(index, "sarah pearsn")
    assert hit.field == "speaker"
    hit = top(index, "mutal aid groups")
    assert hit.field == "text"


def test_spans_cover_matched_words(index: SearchIndex) -> None:
    hit = top(index, "socal prescribing")
    assert hit.passage.entry_id == "quote-jim-burt-1"
    covered = [hit.passage.text[s:e] for s, e in hit.spans]
    assert covered[0] == "Social prescribing"
    check_spans(hit)


def test_spans_for_typo_and_out_of_order(index: SearchIndex) -> None:
    hit = top(index, "sector voluntary comunity")
    covered = {hit.passage.text[s:e] for s, e in hit.spans}
    assert (
        "community and voluntary sector" in covered
        or {
            "community",
            "voluntary sector",
        }
        <= covered
    )


def test_kinds_filter(index: SearchIndex) -> None:
    hits = index.search("social prescribing", kinds={"reading"})
    assert hits
    assert all(h.passage.kind == "reading" for h in hits)
    assert index.search("economic output", kinds=["figure"])[0].passage.kind == "figure"
    # A speaker named nowhere among the figures: no figure is a match.
    assert index.search("jim burt", kinds=["figure"]) == []
    assert index.search("jim burt", kinds=()) == []


def test_limit(index: SearchIndex) -> None:
    assert len(index.search("the", limit=3)) <= 3
    assert len(index.search("neighbourhoods", limit=1)) == 1
    assert index.search("neighbourhoods", limit=0) == []
    many = index.search("a", limit=100)
    assert len({(h.passage.entry_id, h.passage.index) for h in many}) == len(many)


def test_scores_sorted_and_bounded(index: SearchIndex) -> None:
    hits = index.search("community wealth fund")
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0 <= h.score <= 100 for h in hits)
    assert hits[0].passage.entry_id in {"rec-1", "article-built"}


def test_title_match_not_repeated_per_paragraph(index: SearchIndex) -> None:
    hits = index.search("what is a left behind neighbourhood")
    faq = [h for h in hits if h.passage.entry_id == "faq-what" and h.field == "title"]
    assert len(faq) <= 1


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "\u3000"])
def test_empty_query(index: SearchIndex, query: str) -> None:
    assert index.search(query) == []


@pytest.mark.parametrize(
    "text",
    [
        "İstanbul",
        "ß",
        "STRASSE ß ẞ",
        "ﬁne ﬂow",
        "emoji 😀👍🏽 family 👨‍👩‍👧",
        "e\u0301 combining a\u0308\u0304",
        "‘quoted’ “double” – — dashes",
        "Ångström Zoë naïve café",
        "ǅ ŉ Ω ΣΑΣ",
        "",
    ],
)
def test_normalize_keeps_length(text: str) -> None:
    out = normalize(text)
    assert len(out) == len(text)


def test_normalize_folds() -> None:
    assert normalize("İstanbul") == "istanbul"
    assert normalize("Café NAÏVE") == "cafe naive"
    assert normalize("‘a’ “b” c–d—e") == "'a' \"b\" c-d-e"
    assert normalize("ß") == "ß"
    assert normalize("ﬁ") == "ﬁ"


def test_accent_and_quote_insensitive(index: SearchIndex) -> None:
    hit = top(index, "zoe angstrom")
    assert hit.passage.entry_id == "quote-unicode"
    hit = top(index, "istanbul's cafe")
    assert hit.passage.entry_id == "quote-unicode"
    check_spans(hit)
    assert hit.passage.text[hit.spans[0][0] : hit.spans[0][1]].startswith("İstanbul")


def test_long_query_is_bounded(index: SearchIndex) -> None:
    query = ("social prescribing 😀 (.*)+[^a] שלום مرحبا " * 400)[:10_000]
    hits = index.search(query)
    for hit in hits:
        check_spans(hit)
        assert 0 <= hit.score <= 100
    assert index.search("x" * 10_000) is not None


def test_regex_metacharacters(index: SearchIndex) -> None:
    for query in ["(", ".*", "[a-z]+", "\\", "$^", "?*+{2}"]:
        for hit in index.search(query):
            check_spans(hit)


def test_empty_index() -> None:
    assert SearchIndex([]).search("anything") == []


def test_passage_with_empty_text() -> None:
    index = SearchIndex([Passage("e", 0, "quote", "", "Title here", "Some One")])
    hits = index.search("some one")
    assert hits and hits[0].spans == ()


@settings(max_examples=300, deadline=None)
@given(query=st.text(max_size=300))
def test_property_spans_in_bounds(query: str) -> None:
    index = _PROPERTY_INDEX
    hits = index.search(query, limit=5)
    if not query.strip():
        assert hits == []
    for hit in hits:
        assert 0 <= hit.score <= 100
        assert hit.field in {"text", "title", "speaker"}
        check_spans(hit)


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(sorted({w for p in PASSAGES for w in re.findall(r"\w+", p.text)})),
        min_size=1,
        max_size=6,
    )
)
def test_property_corpus_words(words: list[str]) -> None:
    for hit in _PROPERTY_INDEX.search(" ".join(words), limit=5):
        assert 0 <= hit.score <= 100
        check_spans(hit)


@given(text=st.text(max_size=200))
def test_property_normalize_length(text: str) -> None:
    out = normalize(text)
    assert len(out) == len(text)
    assert normalize(out) == out, "normalising twice changes nothing"


_PROPERTY_INDEX = SearchIndex(PASSAGES)
assert MAX_QUERY_CHARS <= 1000


def test_kinds_as_single_string(index: SearchIndex) -> None:
    hits = index.search("jim burt", kinds="quote")
    assert hits
    assert all(h.passage.kind == "quote" for h in hits)


def test_leading_whitespace_does_not_eat_the_query(index: SearchIndex) -> None:
    assert top(index, " " * 500 + "sarah pearsn").passage.entry_id == "quote-sarah-pearson"
