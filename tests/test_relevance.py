"""Ranking quality on the real bundled briefings.

Each query in relevance_queries.yaml names the entry a reader wants first;
the ranking was tuned against them.  relevance_heldout.yaml is a second set,
written before search v3 changed the ranking and never tuned against
(spelling variants, questions, definitions, paraphrase, number forms, names).
Run ``pytest tests/test_relevance.py -s`` to see the top-1/top-3 table of
both sets and their misses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lbn_tui.corpus.model import Corpus
from lbn_tui.search.engine import SearchIndex

QUERIES_FILE = Path(__file__).with_name("relevance_queries.yaml")
HELDOUT_FILE = Path(__file__).with_name("relevance_heldout.yaml")
TOP1_TARGET = 0.90
# The held-out set's floors: where it stood when last measured, so that a
# change that loses held-out queries fails (raise them, never lower them).
HELDOUT_TOP1_FLOOR = 38
HELDOUT_TOP3_FLOOR = 39


def _load_corpus() -> Corpus:
    from lbn_tui.corpus.loader import load_corpus
    from lbn_tui.corpus.sources import bundled_briefings_dir

    return load_corpus([bundled_briefings_dir()])


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return _load_corpus()


@pytest.fixture(scope="module")
def index(corpus: Corpus) -> SearchIndex:
    return SearchIndex(corpus.passages)


def _queries(path: Path = QUERIES_FILE) -> list[dict[str, Any]]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(items, list)
    return items


def _entry_ranking(index: SearchIndex, query: str) -> list[str]:
    """Entry ids in the order their first passage appears in the hits."""
    ranked: list[str] = []
    for hit in index.search(query, limit=20):
        if hit.passage.entry_id not in ranked:
            ranked.append(hit.passage.entry_id)
    return ranked


@pytest.mark.parametrize(("path", "minimum"), [(QUERIES_FILE, 45), (HELDOUT_FILE, 30)])
def test_query_file_is_well_formed(corpus: Corpus, path: Path, minimum: int) -> None:
    items = _queries(path)
    assert len(items) >= minimum
    queries = [item["query"] for item in items]
    assert len(set(queries)) == len(queries), "duplicate queries"
    unknown = [e for item in items for e in item["expect"] if e not in corpus.by_id]
    assert not unknown, f"expected ids not in the bundled corpus: {unknown}"


def test_held_out_queries_are_new() -> None:
    tuned = {item["query"] for item in _queries(QUERIES_FILE)}
    assert not tuned & {item["query"] for item in _queries(HELDOUT_FILE)}


def _measure(index: SearchIndex, items: list[dict[str, Any]]) -> tuple[int, int, list[str]]:
    """(top-1 count, top-3 count, one line per query not ranked first)."""
    top1 = top3 = 0
    misses: list[str] = []
    for item in items:
        query: str = item["query"]
        expect: list[str] = item["expect"]
        ranked = _entry_ranking(index, query)
        rank = next((i for i, e in enumerate(ranked) if e in expect), None)
        top1 += rank == 0
        top3 += rank is not None and rank < 3
        if rank != 0:
            got = ", ".join(ranked[:3]) or "(no hits)"
            shown = "-" if rank is None else str(rank + 1)
            what = item.get("what", "")
            misses.append(
                f"{shown:>4}  {what[:10]:<10}  {query[:40]:<40}  want {expect[0]:<40}  got {got}"
            )
    return top1, top3, misses


def _report(name: str, n: int, top1: int, top3: int, misses: list[str]) -> None:
    print(f"\n{name}: top-1 {top1}/{n} = {top1 / n:.0%}, top-3 {top3}/{n} = {top3 / n:.0%}")
    if misses:
        print("rank  kind        query                                     expected / top 3")
        print("\n".join(misses))


def test_relevance(index: SearchIndex) -> None:
    items = _queries()
    top1, top3, misses = _measure(index, items)
    n = len(items)
    _report("relevance (tuned)", n, top1, top3, misses)
    assert top3 == n, "every query must find its entry in the top 3:\n" + "\n".join(misses)
    assert top1 / n >= TOP1_TARGET, f"top-1 {top1}/{n} is below {TOP1_TARGET:.0%}"


def test_relevance_held_out(index: SearchIndex) -> None:
    items = _queries(HELDOUT_FILE)
    top1, top3, misses = _measure(index, items)
    _report("relevance (held out)", len(items), top1, top3, misses)
    assert top1 >= HELDOUT_TOP1_FLOOR, "held-out top-1 fell:\n" + "\n".join(misses)
    assert top3 >= HELDOUT_TOP3_FLOOR, "held-out top-3 fell:\n" + "\n".join(misses)


def test_relevance_table(index: SearchIndex) -> None:
    """Both sets side by side (``-s`` shows it)."""
    print("\nset            queries  top-1        top-3")
    for name, path in (("tuned", QUERIES_FILE), ("held out", HELDOUT_FILE)):
        items = _queries(path)
        top1, top3, _ = _measure(index, items)
        n = len(items)
        print(f"{name:<14} {n:>7}  {top1:>3} ({top1 / n:>4.0%})  {top3:>3} ({top3 / n:>4.0%})")


def test_acceptance_jim_burt_first(index: SearchIndex, corpus: Corpus) -> None:
    hits = index.search("nationl academy socal prescribing")
    assert hits
    first = corpus.by_id[hits[0].passage.entry_id]
    assert first.kind == "quote"
    assert getattr(first, "speaker", "") == "Jim Burt"
    assert "National Academy for Social Prescribing" in getattr(first, "role", "")


@pytest.mark.parametrize("path", [QUERIES_FILE, HELDOUT_FILE])
def test_spans_on_real_corpus(index: SearchIndex, path: Path) -> None:
    for item in _queries(path):
        for hit in index.search(item["query"], limit=5):
            text = hit.passage.text
            previous = 0
            for start, end in hit.spans:
                assert previous <= start < end <= len(text)
                previous = end
            assert 0 <= hit.score <= 100


@pytest.mark.parametrize(
    "query", ["brexit", "search brexit", "naïve £", "xyzzyq", "cryptocurrency"]
)
def test_unrelated_queries_find_nothing(index: SearchIndex, query: str) -> None:
    """Letters in common are not a match: no hit may be dressed as one."""
    hits = [h for h in index.search(query) if not (h.spans or h.field != "text")]
    assert hits == []
    if query != "search brexit":  # "search" is a word of the corpus
        assert index.search(query) == []


@pytest.mark.parametrize("path", [QUERIES_FILE, HELDOUT_FILE])
def test_every_hit_really_matches(index: SearchIndex, path: Path) -> None:
    """A hit has a matched span in its text, or matched its title or speaker."""
    for item in _queries(path):
        for hit in index.search(item["query"]):
            assert hit.spans or hit.field in {"title", "speaker"}, (item["query"], hit)
