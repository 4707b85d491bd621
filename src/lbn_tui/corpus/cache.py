"""Finding briefing files, and a cache of the corpus loaded from them.

Loading the briefings means parsing YAML and validating every node, which
costs more at start-up than the rest of the app's own work together.  After
a successful load, the corpus is written to a JSON file in
``$XDG_CACHE_HOME/lbn-tui``; the next start with the same files reads that
instead, and never imports the YAML parser or the loader.

The cache key (:func:`corpus_key`) covers the format of the file, the
package version, the loader's own source files and, for every briefing file
in the folders, its path and ``lstat`` (size, mtime, ctime, inode, device):
edit, add, remove or rename a file and the key, and so the file name,
changes.  Only plain files are cached: a folder with a symbolic link, a pipe
or anything else odd is always read by the loader, which reports problems.
A cache file that is unreadable, malformed or for another key is ignored.
Files are written to a temporary name and renamed into place.

A pack of more than `store.LARGE_PASSAGES` passages is cached by `store`
instead (columns decoded at once, entries on first use): `cached` tries that
file first, then the JSON file.  After writing a store file, `load_corpus`
returns the corpus of that file, as every later start will see it (its
`source` keys the search index cache, so an index built now is found then;
`store.write_and_read`).
The command line's search, show, list and export read the corpus through
`load_corpus` too.

Finding the files is `sources`' job; reading and writing them, `files`'.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from lbn_tui import __version__, collector, files, paths
from lbn_tui.corpus import model, store
from lbn_tui.corpus.codec import Bad, decode_entry, encode_entry
from lbn_tui.corpus.model import ID_PATTERN
from lbn_tui.corpus.sources import briefing_files

try:  # not through hashlib, which loads OpenSSL (~2 ms at start-up)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b

FORMAT = 2
#: Corpus cache files kept in the directory (most recently written first).
KEEP_FILES = 4
_PACKAGE = Path(__file__).resolve().parent.parent
# The code that decides what a corpus holds: any change to it changes the key.
_CODE_FILES = (
    "corpus/loader.py",
    "corpus/model.py",
    "corpus/problems.py",
    "corpus/sources.py",
    "corpus/cache.py",
    "corpus/codec.py",
    "corpus/store.py",
    "sanitize.py",
)


# --------------------------------------------------------------------------
# The key.


def _stat_line(path: Path | str, st: os.stat_result) -> str:
    return f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\0{st.st_dev}"


def corpus_key(folders: Iterable[Path]) -> str | None:
    """A hex digest naming the corpus these folders load to, or None when
    they cannot be cached (a missing folder, no files, or anything but a
    plain file where a briefing file is expected)."""
    lines = [f"lbn-tui corpus {FORMAT} {__version__}"]
    for name in _CODE_FILES:
        try:
            lines.append(_stat_line(name, os.stat(_PACKAGE / name)))
        except OSError:
            lines.append(f"{name}\0missing")
    unique: dict[Path, Path] = {}
    try:
        for folder in folders:
            unique.setdefault(folder.resolve(), folder)
    except (OSError, RuntimeError):
        return None
    for resolved, folder in unique.items():
        lines.append(f"folder\0{folder}\0{resolved}")
        try:
            if not stat.S_ISDIR(os.stat(folder).st_mode):
                return None
            files = briefing_files(folder)
            if not files:
                return None
            for path in files:
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode):
                    return None  # links, folders, pipes: the loader decides
                lines.append(_stat_line(path, st))
        except OSError:
            return None
    digest = blake2b("\n".join(lines).encode("utf-8", "surrogateescape"), digest_size=20)
    return digest.hexdigest()


# --------------------------------------------------------------------------
# Corpus <-> JSON.


def encode(corpus: model.Corpus, key: str) -> str:
    import json

    entries = [encode_entry(e) for e in corpus.entries]
    return json.dumps({"format": FORMAT, "key": key, "entries": entries}, ensure_ascii=False)


def decode(text: str, key: str) -> model.Corpus | None:
    """The corpus in a cache file's text, or None if it is not a valid one for ``key``."""
    import json

    try:
        data = json.loads(text)
        if type(data) is not dict or data.get("format") != FORMAT or data.get("key") != key:
            return None
        entries = data.get("entries")
        if type(entries) is not list or not entries:
            return None
        decoded = tuple(decode_entry(item) for item in entries)
        ids = {e.id for e in decoded}
        if len(ids) != len(decoded) or not all(ID_PATTERN.fullmatch(i) for i in ids):
            return None
        # What the loader guarantees, checked again: every id an entry
        # points at exists (the app looks them up without asking).
        for entry in decoded:
            if not ids.issuperset(entry.links()) or not ids.issuperset(entry.cites()):
                return None
            if isinstance(entry, model.Session) and not ids.issuperset(
                entry.briefing_pack + entry.reading_list
            ):
                return None
        return model.Corpus(decoded)
    except (Bad, ValueError, TypeError, KeyError, RecursionError):
        return None


# --------------------------------------------------------------------------
# Files.


def cache_path(key: str, cache_dir: Path | None = None) -> Path:
    return (cache_dir or paths.cache_dir()) / f"corpus-{key}.json"


MAX_CACHE_BYTES = 64 * 1024 * 1024


def read(key: str, cache_dir: Path | None = None) -> model.Corpus | None:
    try:
        # Only a plain file, never waiting on a pipe, never more than the cap.
        data = files.read_bounded(
            cache_path(key, cache_dir), MAX_CACHE_BYTES, follow_symlinks=False
        )
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return decode(text, key)


def write(corpus: model.Corpus, key: str, cache_dir: Path | None = None) -> bool:
    """Write the cache file for ``key``; False if it could not be written."""
    folder = cache_dir or paths.cache_dir()
    target = cache_path(key, folder)
    try:
        payload = encode(corpus, key).encode("utf-8")
        files.write_atomic(target, lambda out: out.write(payload), prefix=".corpus-")
    except (OSError, ValueError):
        return False
    files.prune(folder, "corpus-*.json", KEEP_FILES, current=target)
    return True


def load_corpus(folders: Sequence[Path], cache_dir: Path | None = None) -> model.Corpus:
    """The corpus of these folders: from the cache when the files are
    unchanged, else from the loader (which raises `loader.BriefingsError`),
    writing the cache after a successful load."""
    key = corpus_key(folders)
    if key is not None:
        corpus = cached(key, cache_dir)
        if corpus is not None:
            return corpus
    # The cyclic collector stays off from the loader's start until the
    # loader's entries are let go (nothing made holds a cycle; the loader
    # turns it off for its reading anyway): turned on between the two, its
    # first collection walked every entry (0.1 s at 100 000 quotes).
    with collector.off():
        return _load(folders, key, cache_dir)


def _load(folders: Sequence[Path], key: str | None, cache_dir: Path | None) -> model.Corpus:
    from lbn_tui.corpus import loader

    corpus = loader.load_corpus(folders)
    # Only if nothing changed while the loader read the files, and none was
    # changed so recently that a same-size rewrite within one timestamp tick
    # could go unseen ("racy" files: they are cached on a later start).
    if key is not None and corpus_key(folders) == key and not _recently_changed(folders):
        limit = store.LARGE_PASSAGES
        if model.count_passages(corpus.entries, stop_above=limit) > limit:
            # The store file as the next start will read it: its `source`
            # keys the search index cache, so the index built now is found then.
            # The loader's entries are let go (not handed to it): the app
            # decodes the few it shows, and 100 000 entries kept alive made
            # every full collection of the cyclic collector (three while the
            # app opens, one at exit) cost 0.15 s more.
            stored = store.write_and_read(corpus, key, cache_dir)
            if stored is not None:
                return stored
        else:
            write(corpus, key, cache_dir)
    return corpus


def cached(key: str, cache_dir: Path | None = None) -> model.Corpus | None:
    """The cached corpus for ``key``: a large pack's store file (entries
    decoded on first use), else the JSON file; None when neither is valid."""
    large = store.read(key, cache_dir)
    if large is not None:
        return large
    return read(key, cache_dir)


#: Files changed less than this long ago are not cached yet (see load_corpus).
RACY_SECONDS = 2.0


def _recently_changed(folders: Sequence[Path]) -> bool:
    horizon = time.time_ns() - int(RACY_SECONDS * 1e9)
    try:
        for folder in folders:
            for path in briefing_files(folder):
                st = os.lstat(path)
                if max(st.st_mtime_ns, st.st_ctime_ns) >= horizon:
                    return True
    except OSError:
        return True
    return False
