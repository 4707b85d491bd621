"""The trigram candidate index against the full scan, on small corpora.

``SearchIndex(..., use_index=True)`` takes the large-corpus path (numpy
trigram index, lazily built documents) whatever the size; ``scan()`` scores
every passage.  They must agree.
"""

from __future__ import annotations

import random
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lbn_tui.corpus.model import Passage
from lbn_tui.search.engine import Hit, SearchIndex

_WORD_TEXT = (
    "community wealth fund neighbourhood social prescribing pandemic mutual aid groups "
    "regeneration connectivity engagement investment skills apprenticeship transport "
    "resilience volunteers council housing левый café naïve straße İstanbul 😀 "
    "29.8bn £3.2m 225 2019 don't long-term the of and to a in for"
)
WORDS = _WORD_TEXT.split()
KINDS = ("quote", "article", "recommendation", "figure", "faq", "reading")


def both_paths(passages: list[Passage]) -> list[SearchIndex]:
    """The passages searched both ways: scoring every passage, and through
    the trigram candidate index (as a large pack is)."""
    return [SearchIndex(passages, use_index=use_index) for use_index in (False, True)]


def check_spans(hit: Hit) -> None:
    text = hit.passage.text
    previous_end = -1
    for start, end in hit.spans:
        assert 0 <= start < end <= len(text)
        assert start >= previous_end, "spans must be sorted and non-overlapping"
        previous_end = end
        if start > 0:
            assert not (text[start - 1].isalnum() and text[start].isalnum())
        if end < len(text):
            assert not (text[end - 1].isalnum() and text[end].isalnum())


@st.composite
def corpora(draw: st.DrawFn) -> list[Passage]:
    words = st.sampled_from(WORDS)
    n = draw(st.integers(1, 25))
    titles = draw(st.lists(st.lists(words, min_size=1, max_size=4), min_size=1, max_size=4))
    passages = []
    for i in range(n):
        text = " ".join(draw(st.lists(words, min_size=0, max_size=25)))
        title = " ".join(titles[draw(st.integers(0, len(titles) - 1))]).title()
        speaker = draw(st.sampled_from(["", "Jim Burt, NASP", "Zoë Ångström", "Onward, 2021"]))
        kind = draw(st.sampled_from(KINDS))
        passages.append(Passage(f"e{i // 2}", i % 2, kind, text, title, speaker))
    return passages


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


@st.composite
def corpus_and_query(draw: st.DrawFn) -> tuple[list[Passage], str]:
    passages = draw(corpora())
    source = draw(st.sampled_from(passages))
    field = draw(st.sampled_from([source.text, source.title, source.speaker]))
    words = field.split()
    how = draw(st.sampled_from(["fragment", "typo", "prefix", "shuffled", "free"]))
    if how == "free" or not words:
        return passages, draw(st.text(min_size=1, max_size=30))
    start = draw(st.integers(0, len(words) - 1))
    fragment = words[start : start + draw(st.integers(1, 6))]
    if how == "prefix":
        return passages, fragment[0][: draw(st.integers(1, 2))]
    if how == "typo":
        rng = random.Random(draw(st.integers(0, 1000)))
        fragment = [_typo(w, rng) for w in fragment]
    if how == "shuffled":
        fragment = draw(st.permutations(fragment))
    return passages, " ".join(fragment)


def _agree(index: SearchIndex, query: str, kinds: tuple[str, ...] | None) -> None:
    full = index.scan(query, kinds=kinds, limit=5)
    mine = index.search(query, kinds=kinds, limit=5)
    for hit in mine:
        check_spans(hit)
        assert 0 <= hit.score <= 100
        assert kinds is None or hit.passage.kind in kinds
    if not full or full[0].score < 50:
        # Nothing really matched: the scan ranks letter soup, the index may
        # find nothing at all; it must not invent a good match.
        assert not mine or mine[0].score < 50 or (full and mine[0].score <= full[0].score)
        return
    assert mine, f"index found nothing for {query!r}; scan found {full[0]}"
    assert mine[0].passage == full[0].passage or mine[0].score == full[0].score, (
        query,
        mine[0],
        full[0],
    )


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=corpus_and_query(), kinds=st.sampled_from([None, ("quote", "article"), ("figure",)]))
def test_property_index_agrees_with_full_scan(
    case: tuple[list[Passage], str], kinds: tuple[str, ...] | None
) -> None:
    passages, query = case
    # Every passage may be a candidate: the index must not lose a real match.
    index = SearchIndex(passages, use_index=True, candidates=len(passages))
    _agree(index, query, kinds)


@settings(max_examples=150, deadline=None)
@given(passages=corpora(), query=st.text(max_size=60))
def test_property_spans_in_bounds_any_unicode(passages: list[Passage], query: str) -> None:
    index = SearchIndex(passages, use_index=True, candidates=8)
    for hit in index.search(query, limit=10):
        check_spans(hit)
        assert hit.field in {"text", "title", "speaker"}
        assert 0 <= hit.score <= 100


@settings(max_examples=100, deadline=None)
@given(text=st.text(min_size=1, max_size=80), data=st.data())
def test_property_spans_whole_words_of_arbitrary_text(text: str, data: st.DataObject) -> None:
    words = text.split()
    assume(words)
    query = data.draw(st.sampled_from(words))
    passages = [Passage("a", 0, "quote", text, "Title"), Passage("b", 0, "article", "x", "T")]
    for index in both_paths(passages):
        for hit in index.search(query):
            check_spans(hit)


def _generated(n: int, seed: int) -> list[Passage]:
    """A deterministic corpus with a realistic spread of word frequencies."""
    rng = random.Random(seed)
    common = [w for w in WORDS if w.isascii() and w.isalpha()]
    rare = [
        "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))
        for _ in range(3000)
    ]
    out = []
    for i in range(n):
        words = [rng.choice(common) if rng.random() < 0.6 else rng.choice(rare) for _ in range(45)]
        title = " ".join(rng.choice(rare).title() for _ in range(3))
        out.append(Passage(f"e{i}", 0, rng.choice(KINDS), " ".join(words), title))
    return out


def test_pruned_candidates_agree_with_full_scan() -> None:
    """With 150 candidates out of 3000, the top hit is still the scan's."""
    passages = _generated(3000, seed=7)
    index = SearchIndex(passages, use_index=True, candidates=150)
    rng = random.Random(8)
    agree = 0
    trials = 24
    for t in range(trials):
        words = rng.choice(passages).text.split()
        start = rng.randrange(len(words) - 6)
        fragment = words[start : start + rng.choice((2, 3, 5, 6))]
        if t % 2:
            fragment = [_typo(w, rng) for w in fragment]
        query = " ".join(fragment)
        full = index.scan(query, limit=1)
        mine = index.search(query, limit=1)
        agree += bool(full and mine) and (
            mine[0].passage == full[0].passage or mine[0].score == full[0].score
        )
    assert agree >= trials - 1, f"{agree}/{trials}"


def test_short_queries_prefer_field_starts() -> None:
    passages = [
        Passage(
            "a", 0, "article", "A long paragraph mentioning the sea and other things.", "Ports"
        ),
        Passage("b", 0, "article", "Another paragraph.", "Seaside towns"),
        Passage("c", 0, "article", "Nothing here.", "Harbours"),
    ]
    for index in both_paths(passages):
        hits = index.search("se")
        assert [h.passage.entry_id for h in hits][:2] == ["b", "a"]
        assert hits[0].field == "title"
        assert "c" not in {h.passage.entry_id for h in index.search("s")}


def test_cancelled_search_returns_nothing() -> None:
    passages = _generated(300, seed=1)
    for index in both_paths(passages):
        assert index.search(passages[0].text[:30])
        assert index.search(passages[0].text[:30], cancelled=lambda: True) == []


def test_queries_without_words_find_nothing() -> None:
    index = SearchIndex([Passage("a", 0, "reference", "(Onward, 2021)", "Onward")])
    for query in ["(", "£", "...", " - "]:
        assert index.search(query) == []


def test_numpy_stays_off_the_bundled_start_up_path() -> None:
    code = (
        "import sys\n"
        "from lbn_tui.corpus.loader import load_corpus\n"
        "from lbn_tui.corpus.sources import bundled_briefings_dir\n"
        "from lbn_tui.search.engine import SearchIndex\n"
        "index = SearchIndex(load_corpus([bundled_briefings_dir()]).passages)\n"
        "assert index.search('jim burt') and index.search('j')\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_normalize_matches_per_character_fold() -> None:
    from lbn_tui.search.engine import _fold_char, normalize

    for cp in range(0x80, 0x3000):
        ch = chr(cp)
        if unicodedata.category(ch) == "Cs":
            continue
        text = "Ab" + ch + "C"
        assert normalize(text) == "".join(_fold_char(c) for c in text), hex(cp)


def test_scan_scores_each_title_as_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Titles are scored once per search, by identity; a large corpus's
    field cache drops fields while a scan runs, and a dropped title's
    identity must not hand its score to the title made after it."""
    from lbn_tui.search import engine

    monkeypatch.setattr(engine, "_DOC_CACHE", 2)
    rng = random.Random(3)
    passages = [
        Passage(
            f"e{i}",
            0,
            "article",
            "plain words about nothing in particular",
            " ".join(rng.choice(WORDS[:16]) for _ in range(3)).title(),
        )
        for i in range(300)
    ]
    index = SearchIndex(passages, use_index=True)
    for query in ("community wealth fund", "social prescribing skills"):
        scanned = {h.passage.entry_id: h.score for h in index.scan(query, limit=300)}
        alone = {}
        for i, p in enumerate(passages):
            q = index._analyse(query)
            assert q is not None
            for score, _, _ in index._score(q, [i], None)[0]:
                alone[p.entry_id] = round(min(100.0, score), 1)
        floor = max(alone.values()) * engine.RELATIVE_FLOOR
        assert scanned == {k: v for k, v in alone.items() if v >= max(floor, engine.MIN_SCORE)}


def test_trigram_counts_kept_between_keystrokes_are_exact() -> None:
    """Typing reuses the counts of the last queries' trigram sets (adding
    and taking away runs): the counts must be those counted afresh, and the
    candidates those of an index that has kept nothing."""
    import numpy as np

    from lbn_tui.search.trigram import TrigramIndex

    passages = _generated(600, seed=11)
    index = SearchIndex(passages, use_index=True, candidates=40).prepare()
    tri = index._tri
    assert tri is not None
    rng = random.Random(12)
    for _ in range(12):
        words = rng.choice(passages).text.split()
        start = rng.randrange(len(words) - 5)
        query = " ".join(words[start : start + 5])
        # Typed, with a slip taken back, and a small budget that drops runs.
        typed = [query[:i] for i in range(3, len(query) + 1)] + [query[:-2], query]
        for prefix in typed:
            for budget in (None, 300):
                fresh = TrigramIndex(tri.keys, tri.offsets, tri.postings, tri.bonus)
                split = prefix.split()
                kept = tri._trigram_points(split, budget)
                counted = fresh._trigram_points(split, budget)
                assert (kept is None) == (counted is None)
                if kept is not None and counted is not None:
                    assert np.array_equal(kept, counted), prefix
                assert tri.candidates(split, 40, budget=budget) == fresh.candidates(
                    split, 40, budget=budget
                )


def test_pruned_scoring_finds_the_same_hits() -> None:
    """_score with ``keep`` skips the phrase of candidates that cannot be
    among the best: the hits must be those of scoring every candidate,
    also when an entry's many passages share a matching title."""
    passages = _generated(3000, seed=21)
    # Entries of many passages under one title, for the title-only hits.
    for entry in range(40):
        title = f"Quarterly zephyr report {entry}"
        for index_ in range(8):
            # Longer paragraphs have a lower bonus: scores differ, so some
            # are pruned.
            text = "zephyr notes " + "more words " * (30 + 10 * index_ + entry)
            passages.append(Passage(f"t{entry}", index_, "article", text, title))
    index = SearchIndex(passages, use_index=True).prepare()
    rng = random.Random(22)
    queries = ["quarterly zephyr", "zephyr report", "qu", "report 7", "community wealth fund"]
    for _ in range(20):
        words = rng.choice(passages).text.split()
        if len(words) > 6:
            start = rng.randrange(len(words) - 5)
            queries.append(" ".join(_typo(w, rng) for w in words[start : start + 4]))
    redone = 0
    for query in queries:
        q = index._analyse(query)
        assert q is not None
        candidates = list(index._candidates(q, None, False))
        for limit in (1, 5, 20):
            full = index._hits(q, candidates, limit, None, None)
            assert full is not None
            for keep in (limit, limit + 30):
                pruned = index._hits(q, candidates, limit, None, keep)
                redone += pruned is None
                if pruned is not None:  # None: the caller scores every candidate
                    assert [(h.passage, h.score, h.field) for h in pruned] == [
                        (h.passage, h.score, h.field) for h in full
                    ], query
            assert index.search(query, limit=limit) == full, query
    assert redone, "no query needed more than the best ``keep`` (title-only hits)"


def test_swapped_letters_are_one_slip() -> None:
    passages = [
        Passage("a", 0, "article", "The meta analysis found 24 per cent more.", "Reviews"),
        Passage("b", 0, "article", "Nothing about that here at all.", "Other"),
    ]
    for index in both_paths(passages):
        hits = index.search("meat analysis")
        assert hits and hits[0].passage.entry_id == "a"
        assert any(passages[0].text[s:e].startswith("meta") for s, e in hits[0].spans)


def test_candidates_follow_a_typo_to_the_word_meant() -> None:
    """A typo'd word shares few trigrams with the word meant, and passages
    with other words sharing the typo's trigrams would take every place:
    the index is also asked for the word the typo most likely is."""
    passages = [
        Passage(f"c{i}", 0, "quote", f"We create 24 per cent more value in year {i}.", "Create")
        for i in range(60)
    ]
    passages.append(Passage("m", 0, "article", "A meta 24 per cent rebalance.", "Review"))
    index = SearchIndex(passages, use_index=True, candidates=5)
    assert "m" in {h.passage.entry_id for h in index.search("meat 24 per cent")}


def test_a_word_one_slip_off_counts_where_the_phrase_is() -> None:
    """ "mal" is a word of its own, so it is not read as "mail" elsewhere; but
    a text that has the query nearly as typed ("...by mail. If a can...")
    counts the word one slip away as the word typed, and ranks first.  A
    letter changed in a short word ("bus"/"but") is not one slip."""
    passages = [
        Passage(
            "mail",
            0,
            "article",
            "Do not send it by mail. If a can of paint costs more, ask.",
            "Post",
        ),
        Passage("mal", 0, "article", "Mal de mer: you can feel it. If so, lie down.", "Sea"),
        Passage(
            "mal2", 0, "quote", "The mal is real and you can't wish it away.", "Sea", "A Sailor"
        ),
        Passage(
            "mall", 0, "article", "A mall can be a place to meet. If a mall closes...", "Shops"
        ),
        Passage("bus", 0, "article", "Bad but internet links hurt the town.", "Links"),
        Passage("bus2", 0, "article", "Bus links to the town were cut.", "Buses"),
    ]
    for index in both_paths(passages):
        hits = index.search("mal. If a can")
        assert hits[0].passage.entry_id == "mail", [h.passage.entry_id for h in hits]
        at = passages[0].text.index("mail")
        assert any(s <= at and at + 4 <= e for s, e in hits[0].spans), hits[0].spans
        assert "mail" not in {h.passage.entry_id for h in index.search("mal")}
        hits = index.search("bad bus internet links")
        marked = [h.passage.text[s:e].lower() for h in hits for s, e in h.spans]
        assert "bad" in marked and not any("but" in m for m in marked), marked


def test_a_glossary_term_does_not_crowd_out_the_words_typed() -> None:
    """ "community spaces" calls up the glossary's "social infrastructure";
    passages with that term share more trigrams with both together than
    the passage with the words typed, so the term is asked for apart."""
    passages = [
        Passage(f"s{i}", 0, "article", f"Social infrastructure for community life, part {i}.", "SI")
        for i in range(40)
    ]
    passages.append(Passage("typed", 0, "quote", "We kept our community spaces open.", "Open"))
    index = SearchIndex(passages, use_index=True, candidates=5)
    hits = index.search("community spaces")
    assert hits and hits[0].passage.entry_id == "typed", [h.passage.entry_id for h in hits]
    assert any(h.passage.entry_id.startswith("s") for h in hits), "the term is still found"


def test_a_typo_s_own_trigrams_are_not_asked_for() -> None:
    """ "neighbourhodos" is asked for as "neighbourhoods": the trigrams only
    the typo has ("hod", "odo", "dos") would favour passages with other
    words that have them over the passage with the phrase."""
    passages = [
        Passage(f"d{i}", 0, "article", f"Methodos and more to investigate neighbourhoods {i}.", "D")
        for i in range(40)
    ]
    passages.append(
        Passage("phrase", 0, "article", "Visit neighbourhoods and to investigate them.", "P")
    )
    index = SearchIndex(passages, use_index=True, candidates=5)
    hits = index.search("neighbourhodos and to investigate")
    assert hits and hits[0].passage.entry_id == "phrase", [h.passage.entry_id for h in hits]
