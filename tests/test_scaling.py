"""Paths that must grow linearly with the size of a pack (issue "Hostile input,
round two", item 5).

Each test times the same path on a pack 10 times as large as another, in the
same run (the best of a few tries), and fails when the time grows much more
than tenfold: a linear path grows about 10× (less, with fixed costs), a
quadratic one about 100×.  No absolute time limit: the figures in SECURITY.md
come from ``benchmarks/hostile_scale.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lbn_tui import cli
from lbn_tui import render as export
from lbn_tui.corpus import model
from lbn_tui.corpus.loader import check_and_load
from lbn_tui.state import StarStore
from lbn_tui.tui.browser.history import Place
from lbn_tui.tui.browser.screen import BrowserScreen
from lbn_tui.tui.browser.views import build_view

SMALL = 300  # 10× a base of 30; LARGE is 100×
LARGE = 10 * SMALL
#: A linear path grows about 10× from SMALL to LARGE, a quadratic one 100×.
MAX_GROWTH = 30

SOURCE = model.Source(title="T", url="https://example.invalid/t/")
HERE = model.Location("generated.yaml", 1, 1)


def _best(run: Callable[[], object], tries: int = 3) -> float:
    best = float("inf")
    for _ in range(tries):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def assert_linear(make: Callable[[int], Any], run: Callable[[Any], object], what: str) -> None:
    small, large = make(SMALL), make(LARGE)
    run(small)  # warm up imports and caches of the code, not of the data
    growth = _best(lambda: run(large)) / _best(lambda: run(small))
    assert growth < MAX_GROWTH, (
        f"{what}: {LARGE} items took {growth:.0f}× as long as {SMALL} (linear: about 10×)"
    )


def quotes_of_one_session(n: int) -> tuple[model.Entry, ...]:
    session = model.Session(id="s", title="S", source=SOURCE, location=HERE)
    quotes = tuple(
        model.Quote(
            id=f"q{i}", title=f"Q{i}", source=SOURCE, location=HERE, text=f"t{i}", session="s"
        )
        for i in range(n)
    )
    return (session, *quotes)


def article_citing_one_reference(n: int) -> model.Corpus:
    reference = model.Reference(
        id="r", title="R", source=SOURCE, location=HERE, citation="R, 2021", author="R", year="1"
    )
    paragraphs = tuple(model.Paragraph(text=f"paragraph {i}", cites=("r",)) for i in range(n))
    article = model.Article(id="a", title="A", source=SOURCE, location=HERE, paragraphs=paragraphs)
    return model.Corpus((reference, article))


def session_corpus(n: int) -> model.Corpus:
    return model.Corpus(quotes_of_one_session(n))


def write_quotes_of_one_session(folder: Path, n: int) -> Path:
    """A pack file of one session and ``n`` quotes linking it, in ``folder``."""
    folder.mkdir()
    lines = [
        "source: {title: T, url: 'https://example.invalid/t/'}\nentries:\n",
        "  - {id: s, kind: session, title: S, series: evidence, number: 1}\n",
    ]
    lines += [
        f"  - {{id: q{i}, kind: quote, text: t{i}, speaker: S, session: s}}\n" for i in range(n)
    ]
    (folder / "pack.yaml").write_text("".join(lines), encoding="utf-8")
    return folder


def test_building_the_corpus_is_linear_in_the_links_to_one_entry() -> None:
    assert_linear(quotes_of_one_session, model.Corpus, "Corpus() with quotes of one session")


def test_checking_a_pack_reads_and_builds_it_in_linear_time(tmp_path: Path) -> None:
    def make(n: int) -> Path:
        return write_quotes_of_one_session(tmp_path / str(n), n)

    def run(folder: Path) -> None:
        problems, corpus = check_and_load([folder])
        assert not problems and corpus is not None
        assert len(corpus.passages) > SMALL

    assert_linear(make, run, "check_and_load() of quotes linking one session")


def test_naming_every_passage_of_an_entry_is_linear() -> None:
    def run(corpus: model.Corpus) -> None:
        article = corpus.by_id["a"]
        for passage in corpus.passages_of("a"):
            # Without the corpus, and with it (the app, show, search).
            model.passage_ref(passage, article)
            ref = model.passage_ref(passage, article, corpus)
            assert model.resolve_ref(corpus, ref) == (article, passage)

    assert_linear(article_citing_one_reference, run, "passage_ref/resolve_ref of every paragraph")


def _browser_stand_in(corpus: model.Corpus, tmp_path: Path) -> SimpleNamespace:
    """What `BrowserScreen._is_starred` reads of the screen: its corpus and stars."""
    store = StarStore(tmp_path / "stars.json")
    store.load()
    store.add("a#2")
    return SimpleNamespace(corpus=corpus, store=store)


def test_opening_a_long_article_in_the_app_is_linear(tmp_path: Path) -> None:
    def run(corpus: model.Corpus) -> None:
        screen = _browser_stand_in(corpus, tmp_path)

        def is_starred(passage: model.Passage) -> bool:
            return BrowserScreen._is_starred(screen, passage)  # type: ignore[arg-type]

        view = build_view(corpus, Place("a"), is_starred)
        assert view is not None and len(view.blocks) > SMALL

    assert_linear(article_citing_one_reference, run, "the reader's view of a long article")


def test_cited_in_is_linear_in_the_citing_paragraphs(tmp_path: Path) -> None:
    def run(corpus: model.Corpus) -> None:
        screen = _browser_stand_in(corpus, tmp_path)

        def is_starred(passage: model.Passage) -> bool:
            return BrowserScreen._is_starred(screen, passage)  # type: ignore[arg-type]

        reference = corpus.by_id["r"]
        assert "Cited in" in export.entry_plain_text(corpus, reference)
        assert len(cli._entry_json(corpus, reference)["cited_by"]) > SMALL - 1
        view = build_view(corpus, Place("r"), is_starred)
        assert view is not None and len(view.blocks) > SMALL

    assert_linear(article_citing_one_reference, run, "'Cited in' of a reference (show, app)")


def test_linked_from_is_linear_in_the_linking_entries(tmp_path: Path) -> None:
    def run(corpus: model.Corpus) -> None:
        screen = _browser_stand_in(corpus, tmp_path)

        def is_starred(passage: model.Passage) -> bool:
            return BrowserScreen._is_starred(screen, passage)  # type: ignore[arg-type]

        session = corpus.by_id["s"]
        assert "Linked from" in export.entry_plain_text(corpus, session)
        view = build_view(corpus, Place("s"), is_starred)
        assert view is not None and len(view.blocks) > SMALL
        assert corpus.session_of("q1") is None

    assert_linear(session_corpus, run, "'Linked from' of a session (show, app)")


def test_a_view_shows_at_most_max_shown_links_and_says_how_many_more(tmp_path: Path) -> None:
    from lbn_tui.tui.browser.views import MAX_SHOWN

    corpus = session_corpus(MAX_SHOWN + 250)
    screen = _browser_stand_in(corpus, tmp_path)

    def is_starred(passage: model.Passage) -> bool:
        return BrowserScreen._is_starred(screen, passage)  # type: ignore[arg-type]

    view = build_view(corpus, Place("s"), is_starred)
    assert view is not None
    links = [b for b in view.blocks if b.role == "link"]
    assert len(links) == MAX_SHOWN
    notes = [b.content.plain for b in view.blocks if b.role == "note"]
    assert "… and 250 more (lbn-tui show s lists them all)" in notes
    # The CLI lists every one.
    assert export.entry_plain_text(corpus, corpus.by_id["s"]).count("[quote: q") == MAX_SHOWN + 250


async def test_the_navigator_holds_at_most_max_children_per_branch(tmp_path: Path) -> None:
    from lbn_tui.tui.app import LbnApp
    from lbn_tui.tui.widgets.navigator import MAX_CHILDREN, Navigator

    quotes = tuple(
        model.Quote(
            id=f"q{i}", title=f"Q{i}", source=SOURCE, location=HERE, text="t", speaker=f"S{i}"
        )
        for i in range(MAX_CHILDREN + 50)
    )
    store = StarStore(tmp_path / "stars.json")
    store.load()
    app = LbnApp(model.Corpus(quotes), star_store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):
            await pilot.pause(0.02)
            if app.screen.query(Navigator):
                break
        navigator = app.screen.query_one(Navigator)
        branch = navigator.find("list:quotes")
        assert branch is not None
        assert len(branch.children) == MAX_CHILDREN + 1
        more = branch.children[-1]
        assert str(more.label).startswith("… 50 more") and more.data == "list:quotes"


def test_an_article_citing_one_reference_is_checked_in_linear_time(tmp_path: Path) -> None:
    def make(n: int) -> Path:
        folder = tmp_path / f"article-{n}"
        folder.mkdir()
        lines = [
            "source: {title: T, url: 'https://example.invalid/t/'}\nentries:\n",
            "  - {id: r, kind: reference, citation: 'R, 2021', author: R, year: '2021'}\n",
            "  - id: a\n    kind: article\n    title: A\n    paragraphs:\n",
        ]
        lines += [f"      - {{text: 'paragraph {i}', cites: [r]}}\n" for i in range(n)]
        (folder / "article.yaml").write_text("".join(lines), encoding="utf-8")
        return folder

    def run(folder: Path) -> None:
        problems, corpus = check_and_load([folder])
        assert not problems and corpus is not None
        assert len(corpus.citing_passages("r")) >= SMALL

    assert_linear(make, run, "check_and_load() of an article citing one reference")


def test_a_first_start_of_a_large_pack_is_linear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The corpus cache's first load of a pack cached as a store file: the
    loader, the store written and read back, every passage made."""
    from lbn_tui.corpus import cache as corpus_cache
    from lbn_tui.corpus import store

    monkeypatch.setattr(store, "LARGE_PASSAGES", SMALL // 2)  # both sizes go to the store
    monkeypatch.setattr(corpus_cache, "RACY_SECONDS", 0.0)
    runs = iter(range(1_000))

    def make(n: int) -> Path:
        return write_quotes_of_one_session(tmp_path / f"quotes-{n}", n)

    def run(folder: Path) -> None:
        cold = tmp_path / f"cache-{next(runs)}"  # a first start every time
        corpus = corpus_cache.load_corpus([folder], cold)
        assert isinstance(corpus, store.StoredCorpus)
        assert len(corpus.passages) > SMALL
        assert len(corpus.linked_from("s")) >= SMALL

    assert_linear(make, run, "the corpus cache's first load of quotes linking one session")


def test_the_contents_tree_makes_only_the_nodes_it_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tree's long branches are made as they are read (the navigator
    reads 200 of a branch): 3 000 quotes, each by its own speaker, make no
    quote's node until read, then a block of `outline.LAZY_BLOCK`."""
    from lbn_tui.corpus import outline

    quotes = tuple(
        model.Quote(
            id=f"q{i}", title=f"Q{i}", source=SOURCE, location=HERE, text=f"t {i}", speaker=f"S{i}"
        )
        for i in range(3000)
    )
    figures = tuple(
        model.Figure(id=f"f{i}", title=f"F{i}", source=SOURCE, location=HERE, value="1")
        for i in range(3000)
    )
    corpus = model.Corpus(quotes + figures)
    made: list[str] = []
    one_line = outline.one_line
    monkeypatch.setattr(outline, "one_line", lambda text: made.append(text) or one_line(text))
    tree = outline.contents(corpus, ())
    branch = next(node for node in tree if node.key == outline.list_key("quotes"))
    assert branch.count == 3000 == len(branch.children)
    assert made == []
    shown = [leaf for speaker in branch.children[:200] for leaf in speaker.children]
    assert len(shown) == 200 and len(made) == 200
    assert branch.children[-1] == outline.OutlineNode(
        "S999",  # by surname: after S2999
        outline.list_key("speaker", "S999"),
        (outline.OutlineNode("t 999", "q999"),),
        count=1,
    )
    assert len(made) == 201
    figures_node = next(node for node in tree if node.key == outline.list_key("figures"))
    assert isinstance(figures_node.children, outline.LazyNodes)
    assert figures_node.children == tuple(
        outline.OutlineNode(f"F{i}", f"f{i}") for i in range(3000)
    )
    assert hash(figures_node) == hash(
        outline.OutlineNode(
            "Figures",
            outline.list_key("figures"),
            tuple(outline.OutlineNode(f"F{i}", f"f{i}") for i in range(3000)),
            count=3000,
        )
    )
