"""The on-disk cache of the large-corpus search index."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from lbn_tui import paths
from lbn_tui.corpus.model import Corpus, Passage
from lbn_tui.corpus.store import StoredCorpus
from lbn_tui.search import index_cache
from lbn_tui.search import trigram as search_trigram
from lbn_tui.search.engine import SearchIndex

PASSAGES = [
    Passage(
        "q1",
        0,
        "quote",
        "Social prescribing works best with a strong community.",
        "Jim Burt",
        "Jim Burt, NASP",
    ),
    Passage(
        "a1",
        0,
        "article",
        "Mutual aid groups sprang up overnight in the pandemic.",
        "Built for this",
    ),
    Passage(
        "a1",
        1,
        "article",
        "A Community Wealth Fund of £2 billion for 225 neighbourhoods.",
        "Built for this",
    ),
    Passage(
        "f1",
        0,
        "figure",
        "£29.8bn: the additional economic output",
        "£29.8bn",
        "Frontier Economics",
    ),
]
QUERIES = ["socal prescribing", "mutual aid", "29.8bn", "jim", "community wealth fund", "s"]


class Builds:
    """Counts trigram index builds."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = search_trigram.TrigramBuilder.finish

        def finish(builder: search_trigram.TrigramBuilder, bonus: list[float]) -> object:
            self.count += 1
            return original(builder, bonus)

        monkeypatch.setattr(search_trigram.TrigramBuilder, "finish", finish)


def _results(index: SearchIndex) -> list[list[tuple[str, int, float, tuple[tuple[int, int], ...]]]]:
    return [
        [(h.passage.entry_id, h.passage.index, h.score, h.spans) for h in index.search(q)]
        for q in QUERIES
    ]


def _load(passages: list[Passage], cache: Path) -> SearchIndex:
    return SearchIndex(passages, cache_dir=cache, use_index=True).prepare()


def _only_file(cache: Path) -> Path:
    files = list(cache.glob("search-*.idx"))
    assert len(files) == 1, files
    return files[0]


def test_second_start_loads_instead_of_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = Builds(monkeypatch)
    first = _load(PASSAGES, tmp_path)
    assert builds.count == 1
    _only_file(tmp_path)
    second = _load(PASSAGES, tmp_path)
    assert builds.count == 1, "the cache file was not used"
    assert _results(second) == _results(first)
    assert _results(first) == _results(SearchIndex(PASSAGES, use_index=True))


def test_changed_content_rebuilds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    builds = Builds(monkeypatch)
    _load(PASSAGES, tmp_path)
    changed = [*PASSAGES[:-1], Passage("f1", 0, "figure", "£30bn: output", "£30bn", "Frontier")]
    index = _load(changed, tmp_path)
    assert builds.count == 2
    assert index.search("30bn")[0].passage.text.startswith("£30bn")
    assert len(list(tmp_path.glob("search-*.idx"))) == 2
    # Same texts, another kind: also new content (the kind sets the bonus).
    rekinded = [*PASSAGES[:3], msgspec.structs.replace(PASSAGES[3], kind="quote")]
    _load(rekinded, tmp_path)
    assert builds.count == 3


def _corruptions(data: bytes) -> dict[str, bytes]:
    middle = len(data) // 2
    return {
        "empty": b"",
        "truncated": data[: len(data) - 5],
        "header only": data[:40],
        "flipped byte": data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :],
        "extra bytes": data + b"\0" * 8,
        "bad magic": b"XXXXXXXX" + data[8:],
        "huge header length": data[:8] + (1 << 60).to_bytes(8, "little") + data[16:],
        "garbage": bytes(range(256)) * 4,
    }


@pytest.mark.parametrize("kind", list(_corruptions(b"x" * 100)))
def test_corrupt_cache_is_ignored_and_rebuilt(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _results(_load(PASSAGES, tmp_path))
    path = _only_file(tmp_path)
    path.write_bytes(_corruptions(path.read_bytes())[kind])
    builds = Builds(monkeypatch)
    index = _load(PASSAGES, tmp_path)
    assert builds.count == 1, "a corrupt cache file was trusted"
    assert _results(index) == expected
    # ... and replaced by a good one.
    _load(PASSAGES, tmp_path)
    assert builds.count == 1


def test_valid_file_with_bad_contents_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checksums right, but a posting points past the corpus: not trusted."""
    _load(PASSAGES, tmp_path)
    path = _only_file(tmp_path)
    data = path.read_bytes()
    size = int.from_bytes(data[8:16], "little")
    header = json.loads(data[16 : 16 + size])
    parts = index_cache.read(path, header["meta"])
    assert parts is not None
    import numpy as np

    rewritten = []
    for name, (dtype, buf) in parts.items():
        array = np.frombuffer(buf, dtype=np.dtype(dtype)).copy()
        if name == "postings":
            array[0] = 10_000
        rewritten.append((name, dtype, array))
    assert index_cache.write(path, header["meta"], rewritten)
    builds = Builds(monkeypatch)
    index = _load(PASSAGES, tmp_path)
    assert builds.count == 1
    assert index.search("mutual aid")[0].passage.entry_id == "a1"


def test_file_for_other_content_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file renamed to another corpus's name: its meta does not match."""
    _load(PASSAGES, tmp_path)
    path = _only_file(tmp_path)
    other = PASSAGES[:2]
    key = index_cache.content_key(other, "v")
    assert key != index_cache.content_key(PASSAGES, "v")
    builds = Builds(monkeypatch)
    index = SearchIndex(other, cache_dir=tmp_path, use_index=True)
    target = index._cache_path(index_cache.content_key(other, search_index_format()))
    assert target is not None
    path.rename(target)
    index.prepare()
    assert builds.count == 1
    assert {h.passage.entry_id for h in index.search("community")} <= {"q1", "a1"}


def search_index_format() -> str:
    from lbn_tui.search.engine import INDEX_FORMAT

    return INDEX_FORMAT


def test_read_rejects_disallowed_dtype_and_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "x.idx"
    with pytest.raises(ValueError):
        index_cache.write(path, {}, [("a", "|O", b"1234")])
    assert index_cache.write(path, {"k": 1}, [("a", "<i8", b"\0" * 8)])
    assert index_cache.read(path, {"k": 1}) is not None
    assert index_cache.read(path, {"k": 2}) is None
    data = path.read_bytes().replace(b'"<i8"', b'"|O "')
    path.write_bytes(data)
    assert index_cache.read(path, {"k": 1}) is None
    path.write_bytes(index_cache.MAGIC + (5).to_bytes(8, "little") + b"{{{{{")
    assert index_cache.read(path, {"k": 1}) is None
    assert index_cache.read(tmp_path / "missing.idx", {}) is None


def test_content_key_is_unambiguous() -> None:
    a = [Passage("e", 0, "quote", "ab", "c")]
    b = [Passage("e", 0, "quote", "a", "bc")]
    assert index_cache.content_key(a, "v") != index_cache.content_key(b, "v")
    assert index_cache.content_key(a, "v") != index_cache.content_key(a, "w")
    assert index_cache.content_key(a, "v") == index_cache.content_key(list(a), "v")


def test_default_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert paths.cache_dir() == tmp_path / "lbn-tui"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    assert paths.cache_dir() == Path.home() / ".cache" / "lbn-tui"


def test_load_or_build_small_corpus_writes_nothing(tmp_path: Path) -> None:
    index = SearchIndex.load_or_build(PASSAGES, cache_dir=tmp_path)
    assert not index.uses_index
    assert list(tmp_path.iterdir()) == []


def test_unwritable_cache_dir_still_searches(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    index = SearchIndex(PASSAGES, cache_dir=blocker / "sub", use_index=True).prepare()
    assert index.search("mutual aid")[0].passage.entry_id == "a1"


# --------------------------------------------------------------------------
# Passages read from the corpus store: keyed by the store file, mapped.


def _stored(corpus: object, key: str = "k") -> StoredCorpus:
    from lbn_tui.corpus import store

    assert isinstance(corpus, Corpus)
    stored = store.decode(store.encode(corpus, key), key)
    assert stored is not None
    return stored


def _hits(index: SearchIndex, queries: list[str]) -> list[list[tuple[object, ...]]]:
    return [
        [(h.passage, h.score, h.spans, h.field) for h in index.search(q, kinds=kinds, limit=limit)]
        for q in queries
        for kinds, limit in ((None, 20), ({"quote"}, 5), ({"article", "faq"}, 50))
    ]


def test_store_passages_are_keyed_by_the_store_not_hashed(
    mini_corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = [*QUERIES, "burt", "community", "left behind", "q:", "st", "xyzzyq"]
    fresh = _hits(SearchIndex(mini_corpus.passages, use_index=True), queries)
    stored = _stored(mini_corpus)
    builds = Builds(monkeypatch)

    def no_hashing(*args: object) -> str:
        raise AssertionError("every passage was hashed")

    monkeypatch.setattr(index_cache, "content_key", no_hashing)
    for passages in (stored.passage_view(), stored.passages, _stored(mini_corpus).passage_view()):
        index = SearchIndex(passages, cache_dir=tmp_path, use_index=True).prepare()
        assert _hits(index, queries) == fresh
    assert builds.count == 1, "the index of the same store file was built again"
    _only_file(tmp_path)
    # Another store file (another key, or other content): another index.
    SearchIndex(
        _stored(mini_corpus, "other").passage_view(), cache_dir=tmp_path, use_index=True
    ).prepare()
    assert builds.count == 2
    assert len(list(tmp_path.glob("search-*.idx"))) == 2


def test_the_view_reads_only_what_is_asked(mini_corpus: Corpus) -> None:
    stored = _stored(mini_corpus)
    view = stored.passage_view()
    assert len(view) == len(mini_corpus.passages)
    assert list(view) == list(mini_corpus.passages)
    assert [view[i] for i in range(len(view))] == list(mini_corpus.passages)
    assert view[-1] == mini_corpus.passages[-1] and view[1:3] == mini_corpus.passages[1:3]
    assert view.kinds() == [p.kind for p in mini_corpus.passages]
    with pytest.raises(IndexError):
        view[len(view)]


def test_the_postings_stay_on_disk(tmp_path: Path) -> None:
    import numpy as np

    _load(PASSAGES, tmp_path)
    index = _load(PASSAGES, tmp_path)  # from the file
    path = _only_file(tmp_path)
    data = path.read_bytes()
    size = int.from_bytes(data[8:16], "little")
    meta = json.loads(data[16 : 16 + size])["meta"]
    parts = index_cache.read(path, meta, on_disk={"postings"})
    assert parts is not None
    dtype, part = parts["postings"]
    assert isinstance(part, index_cache.FilePart) and dtype == "<u4"
    assert all(
        isinstance(view, memoryview) for name, (_, view) in parts.items() if name != "postings"
    )
    assert index._tri is not None and index._tri.read_postings is not None
    assert len(index._tri.postings) == 0
    # What is read is what was written; a read past the part is refused.
    built = SearchIndex(PASSAGES, use_index=True).prepare()
    assert built._tri is not None
    expected = built._tri.postings
    assert index._tri.read_postings(0, len(expected)).tolist() == expected.tolist()
    out = np.empty(2, dtype="<u4")
    assert not part.read_into(out.data.cast("B"), part.nbytes - 4)
    # Cut short in place after it was checked: fewer postings, no crash.
    with open(path, "r+b") as handle:
        handle.truncate(40)
    assert index._tri.read_postings(0, len(expected)).tolist() == []
    index.search("mutual aid")
    # A chunk check that fails refuses the file.
    path.write_bytes(data)
    assert index_cache.read(path, meta, {"postings": lambda chunk: False}) is None
    assert index_cache.read(path, meta, {"postings": lambda chunk: True}) is not None


def test_a_link_or_a_pipe_is_not_read(tmp_path: Path) -> None:
    import os

    _load(PASSAGES, tmp_path)
    path = _only_file(tmp_path)
    data = path.read_bytes()
    size = int.from_bytes(data[8:16], "little")
    meta = json.loads(data[16 : 16 + size])["meta"]
    link = tmp_path / "link.idx"
    link.symlink_to(path)
    assert index_cache.read(link, meta) is None
    pipe = tmp_path / "pipe.idx"
    os.mkfifo(pipe)
    assert index_cache.read(pipe, meta) is None  # without waiting for a writer


def _part_place(path: Path, name: str) -> tuple[int, int]:
    """(offset, size) of a part of a cache file."""
    data = path.read_bytes()
    size = int.from_bytes(data[8:16], "little")
    meta = json.loads(data[16 : 16 + size])["meta"]
    places = index_cache._places(data[: 16 + size], len(data), meta)
    assert places is not None
    for part, _, offset, nbytes, _ in places:
        if part == name:
            return offset, nbytes
    raise AssertionError(f"no part {name}")


def test_passages_words_are_read_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached index keeps each passage's words (text, title, speaker line):
    a search reads a candidate's words instead of finding them again in its
    text, and finds what an index that found them does."""
    from lbn_tui.search import engine

    expected = _results(SearchIndex(PASSAGES, use_index=True).prepare())
    _load(PASSAGES, tmp_path)
    index = _load(PASSAGES, tmp_path)  # from the file
    vocab = index._vocab
    assert vocab is not None and index._doc_words is not None
    for i, passage in enumerate(PASSAGES):
        stored = index._doc_words.get(i)
        assert stored is not None
        found = [
            engine._Field.of(field, vocab.ids).words
            for field in (passage.text, passage.title, passage.speaker)
        ]
        assert list(stored) == found, passage
        assert found[0], "the texts have words"

    def not_again(norm: str) -> list[str]:
        raise AssertionError(f"a passage's words were found again: {norm!r}")

    monkeypatch.setattr(engine, "_index_words", not_again)
    assert _results(index) == expected


def test_words_changed_in_place_are_found_again(tmp_path: Path) -> None:
    """Word ids overwritten in the file after it was checked (out of the
    vocabulary's range): the words are found in the fields instead."""
    expected = _results(SearchIndex(PASSAGES, use_index=True).prepare())
    _load(PASSAGES, tmp_path)
    index = _load(PASSAGES, tmp_path)
    offset, nbytes = _part_place(_only_file(tmp_path), "doc_words")
    with open(_only_file(tmp_path), "r+b") as handle:
        handle.seek(offset)
        handle.write(b"\xff" * nbytes)
    assert index._doc_words is not None and index._doc_words.get(0) is None
    assert _results(index) == expected
