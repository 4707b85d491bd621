"""A large pack on the command line: the second call reads the corpus store
(corpus/store.py), not the YAML, and a stale or corrupt store is re-read."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
import yaml

from lbn_tui.corpus import cache as corpus_cache
from lbn_tui.corpus import outline, store
from lbn_tui.corpus.loader import load_corpus
from lbn_tui.corpus.model import Corpus, Quote
from lbn_tui.corpus.outline import OutlineNode
from lbn_tui.corpus.sources import bundled_briefings_dir

MINI = Path(__file__).parent / "fixtures" / "mini-briefings"
NEEDLE = "the allotment cooperative in Grimsby trebled its membership"

# Runs main() and says on stderr whether YAML or the loader was imported.
RUN = (
    "import sys\n"
    "from lbn_tui.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('IMPORTED', 'yaml' in sys.modules, 'lbn_tui.corpus.loader' in sys.modules,"
    " file=sys.stderr)\n"
    "raise SystemExit(code)\n"
)


def write_pack(folder: Path, passages: int = 2600) -> None:
    """Articles and quotes made of the bundled briefings' sentences, in two files."""
    sentences = [
        s.strip() + "."
        for p in load_corpus([bundled_briefings_dir()]).passages
        for s in p.text.split(". ")
        if len(s) > 30
    ]
    rng = random.Random(11)
    files: list[list[dict[str, object]]] = [[], []]
    count = n = 0
    while count < passages:
        n += 1
        if n % 3:
            entry: dict[str, object] = {
                "id": f"quote-{n}",
                "kind": "quote",
                "text": rng.choice(sentences),
                "speaker": f"Speaker {n % 40}",
            }
            count += 1
        else:
            paras = [{"text": " ".join(rng.sample(sentences, 2))} for _ in range(3)]
            paras[0]["heading"] = "Findings"
            entry = {"id": f"article-{n}", "kind": "article", "title": f"Article {n}"}
            entry["paragraphs"] = paras
            count += 3
        files[n % 2].append(entry)
    files[0].append({"id": "needle", "kind": "quote", "text": NEEDLE, "speaker": "Pat Example"})
    folder.mkdir()
    for number, entries in enumerate(files):
        doc = {"source": {"title": f"Part {number}", "url": "https://example.invalid/"}}
        doc["entries"] = entries  # type: ignore[assignment]
        (folder / f"part-{number}.yaml").write_text(
            yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8"
        )


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("large") / "pack"
    write_pack(folder)
    # Past the racy window (corpus_cache.RACY_SECONDS), so that the first
    # call writes the cache.
    time.sleep(corpus_cache.RACY_SECONDS + 0.1)
    return folder


def run(pack: Path, cache: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], bool]:
    """lbn-tui ARGS on the pack; and whether YAML or the loader was imported."""
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    env.pop("LBN_TUI_BRIEFINGS", None)
    done = subprocess.run(
        [sys.executable, "-c", RUN, "--briefings", str(pack), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    marker = [line for line in done.stderr.splitlines() if line.startswith("IMPORTED")]
    assert marker, done.stderr
    yaml_seen, loader_seen = marker[-1].split()[1:]
    return done, yaml_seen == "True" or loader_seen == "True"


def store_files(cache: Path) -> list[Path]:
    return sorted((cache / "lbn-tui").glob("corpus-*.lbc"))


def test_the_second_call_reads_the_store_not_the_yaml(pack: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first, loaded = run(pack, cache, "search", "alotment coperative grimsby", "--json")
    assert first.returncode == 0, first.stderr
    assert loaded
    assert json.loads(first.stdout)[0]["id"] == "needle"
    assert len(store_files(cache)) == 1
    assert not list((cache / "lbn-tui").glob("corpus-*.json"))
    for args in (
        ("search", "alotment coperative grimsby", "--json"),
        ("search", "alotment coperative grimsby"),
        ("show", "needle"),
        ("show", "article-3", "--json"),
        ("show", "article-3#2"),
        ("list",),
        ("list", "--json", "--kind", "article"),
    ):
        again, loaded = run(pack, cache, *args)
        assert again.returncode == 0, (args, again.stderr)
        assert not loaded, f"{args}: YAML or the loader was imported"
        # The same output as the loader's corpus gives.
        fresh, _ = run(pack, tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}", *args)
        assert again.stdout == fresh.stdout, args


def test_check_always_reads_the_yaml(pack: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run(pack, cache, "list")
    done, loaded = run(pack, cache, "check")
    assert done.returncode == 0 and loaded
    assert done.stdout.startswith("ok: ")


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "other-key"])
def test_a_corrupt_store_is_ignored_and_rebuilt(pack: Path, tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    expected, _ = run(pack, cache, "show", "needle")
    [path] = store_files(cache)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x20
    elif damage == "truncate":
        del data[len(data) * 2 // 3 :]
    elif damage == "empty":
        data = bytearray()
    else:
        data = bytearray(data.replace(path.stem[len("corpus-") :].encode(), b"0" * 40, 1))
    path.write_bytes(bytes(data))
    again, loaded = run(pack, cache, "show", "needle")
    assert again.returncode == 0 and again.stdout == expected.stdout
    assert loaded, "a damaged store was used"
    third, loaded = run(pack, cache, "show", "needle")  # written again
    assert third.stdout == expected.stdout and not loaded


def test_an_edited_file_is_read_again(pack: Path, tmp_path: Path) -> None:
    copy = tmp_path / "pack"
    shutil.copytree(pack, copy)
    time.sleep(corpus_cache.RACY_SECONDS + 0.1)
    cache = tmp_path / "cache"
    run(copy, cache, "list")
    _, loaded = run(copy, cache, "show", "needle")
    assert not loaded
    part = copy / "part-0.yaml"
    part.write_text(part.read_text(encoding="utf-8").replace(NEEDLE, "an edited needle"))
    done, loaded = run(copy, cache, "show", "needle")
    assert "an edited needle" in done.stdout and loaded


# --------------------------------------------------------------------------
# The format itself.


def assert_same(stored: Corpus, loaded: Corpus) -> None:
    assert len(stored) == len(loaded)
    assert stored.passages == loaded.passages
    assert list(stored.summaries()) == list(loaded.summaries())
    for a, b in zip(stored.entries, loaded.entries, strict=True):
        assert type(a) is type(b) and a == b and a.location == b.location
    for entry in loaded:
        assert stored.by_id[entry.id] == entry
        assert stored.linked_from(entry.id) == loaded.linked_from(entry.id)
        assert stored.cited_by(entry.id) == loaded.cited_by(entry.id)
        assert stored.citing_passages(entry.id) == loaded.citing_passages(entry.id)
    for kind in ("session", "quote", "article"):
        assert stored.of_kind(kind) == loaded.of_kind(kind)


@pytest.mark.parametrize("source", [MINI, bundled_briefings_dir()], ids=["mini", "bundled"])
def test_a_store_round_trip_is_the_loaders_corpus(source: Path) -> None:
    loaded = load_corpus([source])
    stored = store.decode(store.encode(loaded, "k"), "k")
    assert stored is not None
    assert_same(stored, loaded)
    assert store.decode(store.encode(loaded, "k"), "other") is None


def _rewrite(
    data: bytes,
    columns: dict[str, object] | None,
    entries: bytes | None,
    texts: list[str] | None = None,
    headings: list[str] | None = None,
) -> bytes:
    """A store file with these parts, its CRC-32s right (a crafted file)."""
    size = int.from_bytes(data[8:16], "little")
    header = json.loads(data[16 : 16 + size])
    pos = 16 + size + (-(16 + size) % 8)
    parts = {}
    for part in header["parts"]:
        parts[part["name"]] = data[pos : pos + part["nbytes"]]
        pos += part["nbytes"] + (-part["nbytes"] % 8)
    if columns is not None:
        parts["columns"] = json.dumps(columns).encode()
    if entries is not None:
        parts["entries"] = entries
    if texts is not None:
        parts["texts"] = store._text_column(texts)
    if headings is not None:
        parts["headings"] = store._text_column(headings)
    header["parts"] = [
        {"name": name, "nbytes": len(blob), "crc32": zlib.crc32(blob)}
        for name, blob in parts.items()
    ]
    head = store.MAGIC + b""
    raw = json.dumps(header).encode()
    head += len(raw).to_bytes(8, "little") + raw
    out = [head, b"\0" * (-len(head) % 8)]
    for blob in parts.values():
        out += [blob, b"\0" * (-len(blob) % 8)]
    return b"".join(out)


def _columns(data: bytes) -> dict[str, object]:
    size = int.from_bytes(data[8:16], "little")
    header = json.loads(data[16 : 16 + size])
    pos = 16 + size + (-(16 + size) % 8)
    nbytes = header["parts"][0]["nbytes"]
    columns = json.loads(data[pos : pos + nbytes])
    assert isinstance(columns, dict)
    return columns


def test_crafted_columns_are_checked(mini_corpus: Corpus) -> None:
    data = store.encode(mini_corpus, "k")
    assert store.decode(_rewrite(data, None, None), "k") is not None
    for field, value in (
        ("links", [["missing-entry"]] + [[]] * (len(mini_corpus) - 1)),
        ("ids", ["Not An Id"] * len(mini_corpus)),
        ("kinds", ["nonsense"] * len(mini_corpus)),
        ("titles", [42] * len(mini_corpus)),
        ("offsets", [0] * (len(mini_corpus) + 1)),
    ):
        columns = _columns(data)
        columns[field] = value
        assert store.decode(_rewrite(data, columns, None), "k") is None, field


def test_crafted_text_is_cleaned_and_a_crafted_entry_refused(mini_corpus: Corpus) -> None:
    data = store.encode(mini_corpus, "k")
    columns = _columns(data)
    titles = columns["titles"]
    assert isinstance(titles, list)
    titles[0] = "\x1b]52;c;aGk=\x07Plain title"
    stored = store.decode(_rewrite(data, columns, None), "k")
    assert stored is not None
    assert next(stored.summaries())[2] == "Plain title"
    # The entry's own line still says its old title: it no longer matches.
    with pytest.raises(store.StoreMismatch):
        stored.by_id[mini_corpus.entries[0].id]


def test_crafted_pages_paths_and_rows_are_checked(mini_corpus: Corpus) -> None:
    """The tables of pages and paths are checked when the file is read, a
    row's indices into them (and its values) when the entry is decoded."""
    data = store.encode(mini_corpus, "k")
    columns = _columns(data)
    sources, paths = columns["sources"], columns["paths"]
    assert isinstance(sources, list) and isinstance(paths, list)
    assert len(sources) < len(mini_corpus) and len(paths) < len(mini_corpus)  # shared
    for field, value in (
        ("sources", [["T", "https://example.invalid/"]]),
        ("sources", [["T", "u", "", "", [["nonsense", "v", "https://example.invalid/"]]]]),
        ("sources", {"0": sources[0]}),
        ("paths", [42]),
        ("paths", "a.yaml"),
    ):
        crafted = _columns(data)
        crafted[field] = value
        assert store.decode(_rewrite(data, crafted, None), "k") is None, field
    # Escapes in a page or a path are cleaned like the loader's.
    crafted = _columns(data)
    crafted["paths"] = ["\x1b]52;c;aGk=\x07" + path for path in paths]
    stored = store.decode(_rewrite(data, crafted, None), "k")
    assert stored is not None
    first = stored.entries[0]
    assert first.location == mini_corpus.entries[0].location
    size = int.from_bytes(data[8:16], "little")
    header = json.loads(data[16 : 16 + size])
    pos = 16 + size + (-(16 + size) % 8)
    for part in header["parts"][:-1]:
        pos += part["nbytes"] + (-part["nbytes"] % 8)
    lines = data[pos : pos + header["parts"][-1]["nbytes"]].splitlines(keepends=True)
    row = json.loads(lines[0])
    assert row[0] == mini_corpus.entries[0].kind and row[1] == mini_corpus.entries[0].id
    for damage in (
        lambda r: r.__setitem__(3, len(sources)),  # no such page
        lambda r: r.__setitem__(3, -1),
        lambda r: r.__setitem__(3, "0"),
        lambda r: r.__setitem__(4, [len(paths), 1, 1]),  # no such path
        lambda r: r.__setitem__(4, [0, "1", 1]),
        lambda r: r.__setitem__(4, [0, 1]),
        lambda r: r.append(""),  # a value too many
        lambda r: r.__setitem__(0, "nonsense"),
        lambda r: r.__setitem__(slice(None), {"kind": r[0]}),
    ):
        bad = list(row)
        damage(bad)
        line = json.dumps(bad, ensure_ascii=False).encode() + b"\n"
        entries = b"".join([line, *lines[1:]])
        crafted = _columns(data)
        offsets = crafted["offsets"]
        assert isinstance(offsets, list)
        crafted["offsets"] = [0, *(o + len(line) - len(lines[0]) for o in offsets[1:])]
        stored = store.decode(_rewrite(data, crafted, entries), "k")
        assert stored is not None, bad
        with pytest.raises(store.StoreMismatch):
            stored.by_id[mini_corpus.entries[0].id]
        assert stored.by_id[mini_corpus.entries[1].id] == mini_corpus.entries[1]


def test_lists_fast_truncation_is_clitexts() -> None:
    from lbn_tui import clitext
    from lbn_tui.cli import _MAYBE_NOT_ONE_CELL, _truncate

    for cp in range(0x2100):
        if not _MAYBE_NOT_ONE_CELL.match(chr(cp)):
            assert clitext.cells(chr(cp)) == 1, hex(cp)
    chars = "abc XYZ‘’“”–—…é\u200b\u0301界𝐀\t\u2065"
    rng = random.Random(1)
    for _ in range(5000):
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 30)))
        width = rng.randint(1, 25)
        assert _truncate(text, width, clitext.truncate) == clitext.truncate(text, width)


def test_crafted_passages_are_refused_when_read(mini_corpus: Corpus) -> None:
    data = store.encode(mini_corpus, "k")
    texts = [p.text for p in mini_corpus.passages]
    headings = [p.heading for p in mini_corpus.passages]
    first = mini_corpus.entries[0].id
    # An entry is checked against its passages when it is decoded...
    crafted = _rewrite(data, None, None, ["x", *texts[1:]])
    stored = store.decode(crafted, "k")
    assert stored is not None
    with pytest.raises(store.StoreMismatch):
        stored.by_id[first]
    # ... while the passages (search's) are what the file says, read from the
    # text columns, one at a time or all of them, without decoding an entry.
    stored = store.decode(crafted, "k")
    assert stored is not None
    assert stored.passage_view()[0].text == "x" == stored.passages[0].text
    assert next(iter(stored.passages)).text == "x"
    assert stored._decoded == [None] * len(mini_corpus)
    # A passage's text is cleaned like the loader's, wherever it is read from.
    crafted = _rewrite(data, None, None, ["\x1b]52;c;aGk=\x07" + texts[0], *texts[1:]])
    stored = store.decode(crafted, "k")
    assert stored is not None
    assert stored.passage_view()[0].text == texts[0] == stored.passages[0].text
    # The wrong number of passages: refused at once.
    for column in ("texts", "headings"):
        short = {column: (texts if column == "texts" else headings)[1:]}
        assert store.decode(_rewrite(data, None, None, **short), "k") is None, column
    # Offsets past the part (the CRC-32s right): refused at once.
    column = bytearray(store._text_column(texts))
    column[8:16] = (len(column) * 2).to_bytes(8, "little")
    assert store.decode(_rewrite_raw(data, "texts", bytes(column)), "k") is None
    # Not UTF-8 (the CRC-32s right): refused when read.
    bad = bytearray(store._text_column(texts))
    bad[-1] = 0xFF
    stored = store.decode(_rewrite_raw(data, "texts", bytes(bad)), "k")
    assert stored is not None
    with pytest.raises(store.StoreMismatch):
        list(stored.passages)
    with pytest.raises(store.StoreMismatch):
        stored.passages[len(texts) - 1]


def _rewrite_raw(data: bytes, name: str, blob: bytes) -> bytes:
    size = int.from_bytes(data[8:16], "little")
    header = json.loads(data[16 : 16 + size])
    pos = 16 + size + (-(16 + size) % 8)
    parts = {}
    for part in header["parts"]:
        parts[part["name"]] = data[pos : pos + part["nbytes"]]
        pos += part["nbytes"] + (-part["nbytes"] % 8)
    parts[name] = blob
    header["parts"] = [
        {"name": n, "nbytes": len(b), "crc32": zlib.crc32(b)} for n, b in parts.items()
    ]
    raw = json.dumps(header).encode()
    head = store.MAGIC + len(raw).to_bytes(8, "little") + raw
    out = [head, b"\0" * (-len(head) % 8)]
    for b in parts.values():
        out += [b, b"\0" * (-len(b) % 8)]
    return b"".join(out)


# --------------------------------------------------------------------------
# Search through the caches is search in memory.

QUERIES = [
    NEEDLE,
    "alotment coperative grimsby",
    "community wealth fund",
    "socal prescribing",
    "left behind neighbourhoods",
    "how many neighbourhoods",
    "what is social infrastructure",
    "twenty percent",
    "speaker 7",
    "findings",
    "article 12",
    "s",
    "gr",
    "xyzzyq",
]


def test_the_cached_path_finds_what_a_fresh_index_finds(
    pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line's and the app's path (the corpus store; the index
    mapped from its cache file, keyed by the store) against an index built
    in memory from the loader's corpus: the same hits, order, scores, spans."""
    from lbn_tui.search import index_cache
    from lbn_tui.search import trigram as search_trigram
    from lbn_tui.search.engine import SearchIndex

    cache = tmp_path / "cache"
    first = corpus_cache.load_corpus([pack], cache)
    assert isinstance(first, store.StoredCorpus)
    SearchIndex.load_or_build(first.passage_view(), cache)
    assert len(list(cache.glob("search-*.idx"))) == 1

    builds = []
    original = search_trigram.TrigramBuilder.finish
    monkeypatch.setattr(
        search_trigram.TrigramBuilder,
        "finish",
        lambda builder, bonus: builds.append(1) or original(builder, bonus),
    )
    monkeypatch.setattr(index_cache, "content_key", None)  # not called
    again = corpus_cache.load_corpus([pack], cache)
    assert isinstance(again, store.StoredCorpus)
    cli = SearchIndex.load_or_build(again.passage_view(), cache)
    app = SearchIndex.load_or_build(again.passages, cache)
    assert not builds, "the cached index was not used"
    monkeypatch.undo()
    fresh = SearchIndex(load_corpus([pack]).passages)
    assert fresh.uses_candidate_index

    def hits(index: SearchIndex, query: str, kinds: set[str] | None, limit: int) -> list[object]:
        return [
            (h.passage, h.score, h.spans, h.field)
            for h in index.search(query, kinds=kinds, limit=limit)
        ]

    for query in QUERIES:
        for kinds, limit in ((None, 20), ({"quote"}, 10), ({"article"}, 50)):
            expected = hits(fresh, query, kinds, limit)
            assert hits(cli, query, kinds, limit) == expected, (query, kinds)
            assert hits(app, query, kinds, limit) == expected, (query, kinds)
    assert fresh.search(NEEDLE, limit=1)[0].passage.entry_id == "needle"


@pytest.mark.parametrize("block", [1, 3, 7, 100_000])
def test_passages_read_a_block_at_a_time_are_the_loaders(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "_BLOCK", block)
    loaded = load_corpus([bundled_briefings_dir()])
    data = store.encode(loaded, "k")
    stored = store.decode(data, "k")
    assert stored is not None
    assert tuple(stored.passage_view()) == loaded.passages  # from the columns
    assert stored.passages == loaded.passages
    assert list(stored.entries) == list(loaded.entries)
    again = store.decode(data, "k")
    assert again is not None
    _ = again.by_id[loaded.entries[5].id]  # one decoded before the rest
    assert again.passages == loaded.passages
    assert [again.passages[i] for i in range(len(loaded.passages))] == list(loaded.passages)


# --------------------------------------------------------------------------
# The contents tree and the lists from the columns: only what is shown decoded.


def _list_keys(nodes: tuple[OutlineNode, ...] | list[OutlineNode]) -> list[str]:
    keys = []
    for node in nodes:
        if node.key.startswith(outline.LIST_PREFIX):
            keys.append(node.key)
        keys += _list_keys(node.children)
    return keys


def _decoded(stored: store.StoredCorpus) -> list[str]:
    return [entry.id for entry in stored._decoded if entry is not None]


@pytest.mark.parametrize("source", ["mini", "bundled", "pack"])
def test_the_contents_and_lists_from_the_columns_are_the_loaders(source: str, pack: Path) -> None:
    folder = {"mini": MINI, "bundled": bundled_briefings_dir(), "pack": pack}[source]
    loaded = load_corpus([folder])
    stored = store.decode(store.encode(loaded, "k"), "k")
    assert stored is not None
    starred = (outline.OutlineNode("A starred passage", "some-ref"),)
    tree = outline.contents(stored, starred)
    assert tree == outline.contents(loaded, starred)
    # Made once (the app's loader, then the browser), the starred passages each time.
    again = outline.contents(stored, ())
    assert again[:-1] == tree[:-1] and again[-1] == outline.contents(loaded, ())[-1]
    # Each quote under its speaker, by its own text; each entry by its title.
    quotes = next(node for node in tree if node.key == outline.list_key("quotes"))
    for speaker in quotes.children:
        for leaf in speaker.children:
            quote = loaded.by_id[leaf.key]
            assert isinstance(quote, Quote) and quote.speaker == speaker.label
            assert leaf.label == outline.one_line(quote.text)
    for name in ("articles", "faq"):
        for node in tree:
            if node.key == outline.list_key(name):
                assert [n.label for n in node.children] == [
                    loaded.by_id[n.key].title for n in node.children
                ]
    # Of the entries, only the sessions were decoded (their packs and lists).
    sessions = [e.id for e in loaded.entries if e.kind == "session"]
    assert sorted(_decoded(stored)) == sorted(sessions)
    _ = stored.passages, len(stored.passages)  # what the app's loader asks for
    assert sorted(_decoded(stored)) == sorted(sessions)
    keys = _list_keys(tree)
    assert len(keys) > 3
    for key in keys:
        assert outline.list_title(stored, key) == outline.list_title(loaded, key), key
        assert outline.list_entries(stored, key) == outline.list_entries(loaded, key), key
    assert outline.quotes_by_speaker(stored) == outline.quotes_by_speaker(loaded)
    assert outline.sessions(stored) == outline.sessions(loaded)


def test_one_list_decodes_only_its_entries(pack: Path) -> None:
    loaded = load_corpus([pack])
    stored = store.decode(store.encode(loaded, "k"), "k")
    assert stored is not None
    key = outline.list_key("speaker", "Speaker 7")
    shown = outline.list_entries(stored, key)
    assert shown and all(isinstance(e, Quote) and e.speaker == "Speaker 7" for e, _ in shown)
    assert sorted(_decoded(stored)) == sorted(entry.id for entry, _ in shown)
    # A search's hits read their passages, not their entries.
    from lbn_tui.search.engine import SearchIndex

    hits = SearchIndex(stored.passages, use_index=True).search(NEEDLE, limit=5)
    assert hits[0].passage.entry_id == "needle"
    assert "needle" not in _decoded(stored)


def test_crafted_outline_columns_are_checked(mini_corpus: Corpus) -> None:
    data = store.encode(mini_corpus, "k")
    n = len(mini_corpus)
    for field, value in (
        ("groups", [42] * n),
        ("groups", [""] * (n - 1)),
        ("numbers", ["1"] * n),
        ("numbers", [True] * n),
        ("numbers", [0] * (n + 1)),
    ):
        columns = _columns(data)
        columns[field] = value
        assert store.decode(_rewrite(data, columns, None), "k") is None, field
    columns = _columns(data)
    del columns["groups"]
    assert store.decode(_rewrite(data, columns, None), "k") is None
    # Columns that say another speaker, group or number than the entry's own
    # line: the tree shows what they say, the entry is refused when decoded.
    quote = next(i for i, e in enumerate(mini_corpus.entries) if e.kind == "quote")
    rec = next(i for i, e in enumerate(mini_corpus.entries) if e.kind == "recommendation")
    for field, i, value in (("groups", quote, "Someone Else"), ("numbers", rec, 99)):
        columns = _columns(data)
        values = columns[field]
        assert isinstance(values, list)
        values[i] = value
        stored = store.decode(_rewrite(data, columns, None), "k")
        assert stored is not None
        with pytest.raises(store.StoreMismatch):
            stored.by_id[mini_corpus.entries[i].id]


def test_an_older_store_format_is_read_again(pack: Path, tmp_path: Path) -> None:
    """A store file of the format before (no outline columns): not read, rebuilt."""
    loaded = load_corpus([pack])
    data = bytearray(store.encode(loaded, "k"))
    size = int.from_bytes(data[8:16], "little")
    header = data[16 : 16 + size].replace(
        f'"format": {store.FORMAT}'.encode(), f'"format": {store.FORMAT - 1}'.encode()
    )
    assert len(header) == size
    data[16 : 16 + size] = header
    assert store.decode(bytes(data), "k") is None


def test_a_session_linked_from_every_quote_decodes_only_what_its_view_shows(
    tmp_path: Path,
) -> None:
    """The app's view of a session that 3 000 quotes link to (issue 14's
    100 000): the session found for "Links" (`Corpus.session_of`) is picked
    by kind from the columns, so no quote is decoded for it, and the view
    decodes none of the quotes it names (their lines come from the columns)."""
    from lbn_tui.cite import works
    from lbn_tui.tui.browser.history import Place
    from lbn_tui.tui.browser.views import MAX_SHOWN, build_view

    folder = tmp_path / "pack"
    folder.mkdir()
    lines = [
        "source: {title: T, url: 'https://example.invalid/t/'}\nentries:\n",
        "  - {id: s, kind: session, title: S, series: evidence, number: 1}\n",
        *(
            f"  - {{id: q{i}, kind: quote, text: t{i}, speaker: S, session: s}}\n"
            for i in range(3000)
        ),
    ]
    (folder / "pack.yaml").write_text("".join(lines), encoding="utf-8")
    loaded = load_corpus([folder])
    stored = store.decode(store.encode(loaded, "k"), "k")
    assert stored is not None
    assert stored.session_of("s") is None and _decoded(stored) == []
    assert len(stored.linked_from("s")) == 3000
    view = build_view(stored, Place("s"), lambda passage: False)
    assert view is not None
    assert len([b for b in view.blocks if b.role == "link"]) == MAX_SHOWN
    assert _decoded(stored) == ["s"]
    # A quote's session is still found where a session lists it.
    assert works.work_of(stored, stored.by_id["q1"]) == works.work_of(loaded, loaded.by_id["q1"])
