"""The corpus cache: a hit is the loader's corpus, and anything changed is re-read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lbn_tui.corpus import cache as corpus_cache
from lbn_tui.corpus.loader import BriefingsError, load_corpus
from lbn_tui.corpus.model import Corpus
from lbn_tui.corpus.sources import bundled_briefings_dir

MINI = Path(__file__).parent / "fixtures" / "mini-briefings"


def assert_same(cached: Corpus, loaded: Corpus) -> None:
    assert len(cached) == len(loaded)
    for a, b in zip(cached.entries, loaded.entries, strict=True):
        assert type(a) is type(b)
        assert a == b
        assert a.location == b.location  # not compared by ==
        assert a.passages() == b.passages()
    assert cached.passages == loaded.passages
    for entry in loaded:
        assert cached.linked_from(entry.id) == loaded.linked_from(entry.id)
        assert cached.cited_by(entry.id) == loaded.cited_by(entry.id)


@pytest.fixture(autouse=True)
def _no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests write briefing files and load them at once."""
    monkeypatch.setattr(corpus_cache, "RACY_SECONDS", 0.0)


def test_files_changed_just_now_are_not_cached_yet(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A same-size rewrite within one timestamp tick would keep the key: a
    # file changed in the last seconds is loaded but not cached.
    monkeypatch.setattr(corpus_cache, "RACY_SECONDS", 2.0)
    cache = tmp_path / "cache"
    assert_same(corpus_cache.load_corpus([folder], cache), load_corpus([folder]))
    key = corpus_cache.corpus_key([folder])
    assert key is not None
    assert not corpus_cache.cache_path(key, cache).exists()


def test_a_cache_pointing_at_missing_entries_is_ignored(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    corpus_cache.load_corpus([folder], cache)
    key = corpus_cache.corpus_key([folder])
    assert key is not None
    path = corpus_cache.cache_path(key, cache)
    data = json.loads(path.read_text(encoding="utf-8"))
    # Drop every reference entry: the paragraphs citing them now dangle.
    data["entries"] = [e for e in data["entries"] if e["kind"] != "reference"]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert corpus_cache.read(key, cache) is None


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "briefings"
    shutil.copytree(MINI, copy)
    return copy


@pytest.mark.parametrize("source", [MINI, bundled_briefings_dir()], ids=["mini", "bundled"])
def test_a_hit_is_the_loaders_corpus(source: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = corpus_cache.load_corpus([source], cache)  # a miss: loaded and written
    key = corpus_cache.corpus_key([source])
    assert key is not None
    assert corpus_cache.cache_path(key, cache).is_file()
    hit = corpus_cache.read(key, cache)
    assert hit is not None
    loaded = load_corpus([source])
    assert_same(first, loaded)
    assert_same(hit, loaded)


def test_an_edited_file_is_read_again(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = corpus_cache.load_corpus([folder], cache)
    path = corpus_cache.briefing_files(folder)[0]
    text = path.read_text(encoding="utf-8")
    some = next(e for e in before if e.location.path == str(path) and e.title in text)
    path.write_text(text.replace(some.title, "An edited title", 1), encoding="utf-8")
    after = corpus_cache.load_corpus([folder], cache)
    assert after.by_id[some.id].title == "An edited title"
    assert_same(after, load_corpus([folder]))


def test_an_added_or_removed_file_is_noticed(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    corpus_cache.load_corpus([folder], cache)
    key = corpus_cache.corpus_key([folder])
    extra = folder / "zz-empty.yaml"
    extra.write_text("", encoding="utf-8")
    assert corpus_cache.corpus_key([folder]) != key
    with pytest.raises(BriefingsError):  # the loader reports the empty file
        corpus_cache.load_corpus([folder], cache)
    extra.unlink()
    assert corpus_cache.corpus_key([folder]) == key


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "{",
        "[]",
        '{"format": 1}',
        "\udcff",
        "corrupt",
    ],
)
def test_a_corrupt_cache_is_ignored(garbage: str, folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    corpus_cache.load_corpus([folder], cache)
    key = corpus_cache.corpus_key([folder])
    assert key is not None
    path = corpus_cache.cache_path(key, cache)
    if garbage == "corrupt":
        # Valid JSON, for this key, but a field of the wrong type.
        data = json.loads(path.read_text(encoding="utf-8"))
        data["entries"][0]["title"] = 42
        garbage = json.dumps(data)
    path.write_bytes(garbage.encode("utf-8", "surrogateescape"))
    assert corpus_cache.read(key, cache) is None
    assert_same(corpus_cache.load_corpus([folder], cache), load_corpus([folder]))
    assert corpus_cache.read(key, cache) is not None  # written again


def test_a_cache_for_another_key_is_ignored(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    corpus_cache.load_corpus([MINI], cache)
    corpus_cache.load_corpus([folder], cache)
    mini_key = corpus_cache.corpus_key([MINI])
    key = corpus_cache.corpus_key([folder])
    assert mini_key is not None and key is not None and mini_key != key
    shutil.copy(corpus_cache.cache_path(mini_key, cache), corpus_cache.cache_path(key, cache))
    assert corpus_cache.read(key, cache) is None


def test_cached_text_is_cleaned_again(folder: Path, tmp_path: Path) -> None:
    """A hand-edited cache file still cannot put escape sequences on the terminal."""
    cache = tmp_path / "cache"
    corpus_cache.load_corpus([folder], cache)
    key = corpus_cache.corpus_key([folder])
    assert key is not None
    path = corpus_cache.cache_path(key, cache)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["entries"][0]["title"] = "\x1b]52;c;aGk=\x07Plain [bold]title[/bold]"
    path.write_text(json.dumps(data), encoding="utf-8")
    hit = corpus_cache.read(key, cache)
    assert hit is not None
    assert hit.entries[0].title == "Plain [bold]title[/bold]"


def test_links_and_odd_files_are_not_cached(folder: Path, tmp_path: Path) -> None:
    first = corpus_cache.briefing_files(folder)[0]
    link = folder / "zz-link.yaml"
    moved = folder / "sub"
    moved.mkdir()
    target = moved / "real.yml.txt"
    first.rename(target)
    link.symlink_to(target)
    assert corpus_cache.corpus_key([folder]) is None
    cache = tmp_path / "cache"
    corpus_cache.load_corpus([folder], cache)  # the loader reads it, follows the link
    assert not cache.exists()
    assert corpus_cache.corpus_key([tmp_path / "missing"]) is None


def test_an_unwritable_cache_is_not_an_error(folder: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    corpus = corpus_cache.load_corpus([folder], blocker / "cache")
    assert_same(corpus, load_corpus([folder]))


def test_old_cache_files_are_pruned(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    folders = []
    for n in range(corpus_cache.KEEP_FILES + 2):
        copy = tmp_path / f"b{n}"
        shutil.copytree(MINI, copy)
        folders.append(copy)
        corpus_cache.load_corpus([copy], cache)
    assert len(list(cache.glob("corpus-*.json"))) == corpus_cache.KEEP_FILES
    last = corpus_cache.corpus_key([folders[-1]])
    assert last is not None and corpus_cache.cache_path(last, cache).exists()


def test_the_app_start_path_on_a_hit_imports_no_yaml(tmp_path: Path) -> None:
    """cli's start path, on a cache hit: neither the loader nor YAML nor argparse."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("LBN_TUI_BRIEFINGS", None)
    program = (
        "import sys\n"
        "from lbn_tui import folders\n"
        "from lbn_tui.corpus import cache as corpus_cache\n"
        "corpus = corpus_cache.load_corpus(folders.briefing_folders(None, False))\n"
        "assert len(corpus) > 10\n"
        "loaded = ('yaml', 'lbn_tui.corpus.loader', 'argparse')\n"
        "print(sorted(m for m in loaded if m in sys.modules))\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    assert runs[0] == "['lbn_tui.corpus.loader', 'yaml']"  # the first run: a miss
    assert runs[1] == "[]"


def test_a_large_pack_first_loaded_is_what_the_store_decodes(tmp_path: Path) -> None:
    """On the first start of a large pack the store is written and its
    corpus returned: every entry, passage and location is what a later
    start decodes from the store file."""
    from lbn_tui.corpus import store

    folder = tmp_path / "pack"
    folder.mkdir()
    lines = [
        "source:\n  title: T\n  url: https://example.invalid/t/\nentries:\n",
        "  - {id: s, kind: session, title: The session, series: evidence, number: 1}\n",
        "  - id: a\n    kind: article\n    title: A\n    paragraphs:\n",
        *(f'      - {{text: "p {i} \\e[31mred", cites: [r]}}\n' for i in range(1200)),
        "  - {id: r, kind: reference, citation: 'R, 2021', author: R, year: '2021'}\n",
        *(
            f"  - {{id: q{i}, kind: quote, text: words {i}, speaker: S{i}, role: R, session: s}}\n"
            for i in range(1200)
        ),
    ]
    (folder / "pack.yaml").write_text("".join(lines), encoding="utf-8")
    cache_dir = tmp_path / "cache"
    first = corpus_cache.load_corpus([folder], cache_dir)
    assert isinstance(first, store.StoredCorpus)
    key = corpus_cache.corpus_key([folder])
    assert key is not None
    later = store.read(key, cache_dir)
    assert later is not None
    assert_same(first, later)
    assert_same(first, load_corpus([folder]))
    assert first.source == later.source
    assert first.passages == later.passages
    assert list(first.summaries()) == list(later.summaries())
    ours, theirs = first.outline_columns(), later.outline_columns()
    for name in ("ids", "kinds", "titles", "groups", "numbers", "position"):
        assert getattr(ours, name) == getattr(theirs, name), name


def test_a_store_changed_as_it_is_written_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first start makes its corpus of the columns it encoded only when
    the file holds the bytes written: a file changed in between (another
    process, a full disk) is not used, and the loader's corpus is."""
    from lbn_tui import files
    from lbn_tui.corpus import store

    monkeypatch.setattr(store, "LARGE_PASSAGES", 5)
    folder = tmp_path / "pack"
    shutil.copytree(MINI, folder)
    cache_dir = tmp_path / "cache"
    write_atomic = files.write_atomic

    def write_then_change(target: Path, write: object, **kwargs: object) -> None:
        write_atomic(target, write, **kwargs)  # type: ignore[arg-type]
        data = bytearray(target.read_bytes())
        data[-20] ^= 1
        target.write_bytes(bytes(data))

    monkeypatch.setattr(files, "write_atomic", write_then_change)
    first = corpus_cache.load_corpus([folder], cache_dir)
    assert not isinstance(first, store.StoredCorpus)
    assert_same(first, load_corpus([folder]))
    monkeypatch.setattr(files, "write_atomic", write_atomic)
    second = corpus_cache.load_corpus([folder], cache_dir)
    assert isinstance(second, store.StoredCorpus)
    assert_same(second, first)
