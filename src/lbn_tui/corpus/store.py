"""The corpus cache for large packs: columns up front, the rest when used.

The JSON cache (`cache`) decodes every entry into dataclasses on every
start: at 100 000 passages that is ~3 s, most of it building objects the
command never looks at.  A pack of more than :data:`LARGE_PASSAGES`
passages is cached in this format instead::

    MAGIC (8 bytes) | header length (8 bytes, little-endian) | header (JSON)
    | padding to 8 | columns (JSON) | padding | texts | padding | headings
    | padding | entries (JSON lines) | padding

The header: ``{"format", "key", "parts": [{"name", "nbytes", "crc32"}]}``.
*columns* holds what ``list``, ``show``, the back-links and the app's
contents tree need, one JSON list per field (one ``json.loads`` in C):
entry ids, kinds, titles, speaker lines, groups and numbers (what the
contents tree groups and sorts by: `outline.group_of`, `outline.number_of`),
passage counts, each entry's links and cites, each entry's byte offset
in *entries*, and the tables of pages and paths its rows index.  *texts*
and *headings* hold every passage's text and heading: P + 1 byte offsets
(unsigned 64-bit little-endian, P the number of passages) then the UTF-8
strings end to end, so that one passage is read and decoded without the
others (`StoredPassages`: the corpus's ``passages``, what the app's and the
command line's search read).
*entries* is each entry's JSON row (`codec.Rows`: its fields in order,
its page and its file's path an index into the tables), one per line,
decoded on first use (`StoredCorpus`): at 100 000 passages the app decodes
the sessions and what it shows, not the ~34 000 entries (~35 MB and ~8 s).
Only the columns stay in memory after reading; the other parts are read
from the open file when needed.

No pickle: nothing in a cache file can run code.  On reading, the checks
the JSON cache makes: magic, format, key and every part's size and CRC-32;
ids unique and well formed, kinds known, every string a string (and cleaned
like the loader's), every id an entry links to or cites present, the
offsets in bounds, the pages and paths well formed (a row's indices into
them are checked when it is decoded).  Anything else and :func:`read`
returns None (the caller loads the YAML and writes the cache again).  An entry decoded later is
checked again against its columns (id, kind, title, speaker line, group,
number, links, cites, passages); a file crafted to pass the CRC-32s and
fail there raises `StoreMismatch` rather than show something else (so do
offsets out of order and text that is not UTF-8, found when a passage is
read).  A passage is what the text columns say (the same check: an entry
whose passages differ is refused when it is opened).

`StoredCorpus.source` names the file's content (its key and its parts'
CRC-32s): the search index cache (`lbn_tui.search.index_cache`) is keyed by
it, so that it needs no hash of every passage to know they are unchanged.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import weakref
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from itertools import accumulate, pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lbn_tui import collector, files, paths
from lbn_tui.corpus import model
from lbn_tui.corpus.model import ID_PATTERN

if TYPE_CHECKING:
    from lbn_tui.corpus.outline import Columns

MAGIC = b"LBNCORP\x03"
FORMAT = 6
#: Packs with more passages than this are cached in this format.
LARGE_PASSAGES = 2000
#: Corpus store files kept in the directory (most recently written first).
KEEP_FILES = 2
MAX_FILE_BYTES = 1 << 30
_MAX_HEADER = 1 << 16
_COLUMNS = (
    "ids",
    "kinds",
    "titles",
    "speakers",
    "groups",
    "numbers",
    "counts",
    "links",
    "cites",
    "offsets",
    "sources",
    "paths",
)


class StoreMismatch(ValueError):
    """An entry in a store file does not match its columns."""


def store_path(key: str, cache_dir: Path | None = None) -> Path:
    return (cache_dir or paths.cache_dir()) / f"corpus-{key}.lbc"


def _pad(n: int) -> int:
    return -n % 8


# --------------------------------------------------------------------------
# Writing.


def _text_column(strings: Sequence[str]) -> bytes:
    """P + 1 offsets (u64, little-endian) and the strings' UTF-8, end to end."""
    encoded = [text.encode("utf-8", "surrogatepass") for text in strings]
    offsets = array("Q", [0, *accumulate(map(len, encoded))])
    if sys.byteorder == "big":  # pragma: no cover - little-endian machines
        offsets.byteswap()
    return offsets.tobytes() + b"".join(encoded)


#: JSON as ``json.dumps(value, ensure_ascii=False)`` writes it, made once.
_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False)


def _row_encoder() -> Callable[[Any], str]:
    """`_JSON.encode` for a row, without making a C encoder for each of
    100 000 rows (what `JSONEncoder.encode` does): 30 % less time."""
    try:
        from _json import encode_basestring, make_encoder
    except ImportError:  # pragma: no cover - CPython has it
        return _JSON.encode
    encoder = make_encoder(
        None, _JSON.default, encode_basestring, None, ": ", ", ", False, False, True
    )
    return lambda value: "".join(encoder(value, 0))


def _no_cyclic_gc() -> AbstractContextManager[None]:
    """Keeps the cyclic collector off while a store file is made or read:
    nothing made holds a cycle, and at 100 000 entries the collections it
    would start while the lists grow (walking every object alive, each
    time) cost about as much as the work itself."""
    return collector.off()


def encode(corpus: model.Corpus, key: str) -> bytes:
    with _no_cyclic_gc():
        return _encode(corpus, key)[0]


def _encode(corpus: model.Corpus, key: str) -> tuple[bytes, dict[str, Any], list[model.Source]]:
    """The file's bytes; and its columns and pages as they were before
    they were written (`write_and_read` makes the corpus of those)."""
    from lbn_tui.corpus.codec import Rows
    from lbn_tui.corpus.outline import group_of, number_of

    columns: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
    ids, kinds, titles = columns["ids"], columns["kinds"], columns["titles"]
    speakers, groups, numbers = columns["speakers"], columns["groups"], columns["numbers"]
    counts, links, cites = columns["counts"], columns["links"], columns["cites"]
    offsets = columns["offsets"]
    headings: list[str] = []
    texts: list[str] = []
    lines: list[str] = []
    rows = Rows()
    dumps = _JSON.encode
    row_json = _row_encoder()
    offset = 0
    for entry in corpus.entries:
        # What the entry's passages are made of (`Entry.passages`), without
        # making them: the corpus read back from this file makes them.
        count = len(texts)
        for heading, text in entry.passage_texts():
            headings.append(heading)
            texts.append(text)
        ids.append(entry.id)
        kinds.append(entry.kind)
        titles.append(entry.title)
        speakers.append(entry.speaker_line)
        groups.append(group_of(entry))
        numbers.append(number_of(entry))
        counts.append(len(texts) - count)
        links.append(entry.links())
        cites.append(entry.cites())
        offsets.append(offset)
        line = row_json(rows.row(entry)) + "\n"
        lines.append(line)
        # Its length in UTF-8 (isascii() is a flag of the string: no scan).
        offset += len(line) if line.isascii() else len(line.encode("utf-8"))
    offsets.append(offset)
    columns["sources"] = rows.sources
    columns["paths"] = rows.paths
    parts = [
        ("columns", dumps(columns).encode("utf-8")),
        ("texts", _text_column(texts)),
        ("headings", _text_column(headings)),
        ("entries", "".join(lines).encode("utf-8")),
    ]
    header = json.dumps(
        {
            "format": FORMAT,
            "key": key,
            "parts": [
                {"name": name, "nbytes": len(data), "crc32": zlib.crc32(data)}
                for name, data in parts
            ],
        }
    ).encode("utf-8")
    head = MAGIC + len(header).to_bytes(8, "little") + header
    out = [head, b"\0" * _pad(len(head))]
    for _, data in parts:
        out += [data, b"\0" * _pad(len(data))]
    return b"".join(out), columns, rows.pages


def write(corpus: model.Corpus, key: str, cache_dir: Path | None = None) -> bool:
    """Write the store file for ``key``; False if it could not be written."""
    folder = cache_dir or paths.cache_dir()
    target = store_path(key, folder)
    try:
        payload = encode(corpus, key)
        files.write_atomic(target, lambda out: out.write(payload), prefix=".corpus-")
    except (OSError, ValueError):
        return False
    files.prune(folder, "corpus-*.lbc", KEEP_FILES, current=target)
    return True


def write_and_read(
    corpus: model.Corpus, key: str, cache_dir: Path | None = None
) -> StoredCorpus | None:
    """`write`, then `read`: the corpus of the file written, as every later
    start reads it; None if it could not be written or read.  The columns
    are not parsed and checked again (at 100 000 entries, 0.3 s): the
    corpus is made of those just encoded, once the open file's bytes are
    found to be the very bytes written."""
    folder = cache_dir or paths.cache_dir()
    target = store_path(key, folder)
    try:
        with _no_cyclic_gc():
            written = _encode(corpus, key)
        payload = written[0]
        files.write_atomic(target, lambda out: out.write(payload), prefix=".corpus-")
    except (OSError, ValueError):
        return None
    files.prune(folder, "corpus-*.lbc", KEEP_FILES, current=target)
    return _read(target, key, written)


# --------------------------------------------------------------------------
# Reading.


class _Bad(Exception):
    pass


#: Reads the bytes from ``start`` to ``end`` of one part of a store file.
Fetch = Callable[[int, int], bytes]


_PARTS = ("columns", "texts", "headings", "entries")


def _header(head: bytes, key: str) -> tuple[int, list[tuple[str, int, int]]]:
    """(where the first part starts, [(name, nbytes, crc32)]) from the file's start."""
    if len(head) < 16 or head[:8] != MAGIC:
        raise _Bad
    size = int.from_bytes(head[8:16], "little")
    if size > _MAX_HEADER or 16 + size > len(head):
        raise _Bad
    header = json.loads(head[16 : 16 + size].decode("utf-8"))
    if type(header) is not dict or header.get("format") != FORMAT or header.get("key") != key:
        raise _Bad
    parts = header.get("parts")
    if type(parts) is not list or len(parts) != len(_PARTS):
        raise _Bad
    out = []
    for part, expected in zip(parts, _PARTS, strict=True):
        if type(part) is not dict or part.get("name") != expected:
            raise _Bad
        nbytes, crc = part.get("nbytes"), part.get("crc32")
        if type(nbytes) is not int or nbytes < 0 or type(crc) is not int:
            raise _Bad
        out.append((expected, nbytes, crc))
    return 16 + size + _pad(16 + size), out


def _strings(value: object, length: int | None = None) -> list[str]:
    if type(value) is not list or (length is not None and len(value) != length):
        raise _Bad
    # One pass in C: join raises TypeError for anything but a string.
    if "".join(value).isprintable():
        return value
    from lbn_tui.corpus.codec import clean

    return [clean(item) for item in value]


def _numbers(value: object, length: int, least: int | None = 0) -> list[int]:
    """``length`` ints, each at least ``least`` (any int for None)."""
    if type(value) is not list or len(value) != length:
        raise _Bad
    for item in value:
        if type(item) is not int or (least is not None and item < least):
            raise _Bad
    return value


def _shared(strings: list[str]) -> list[str]:
    """The same list, each repeated string one object (kinds, speakers, groups:
    JSON makes a new string for every value)."""
    seen: dict[str, str] = {}
    return [seen.setdefault(item, item) for item in strings]


def _id_lists(value: object, length: int, ids: frozenset[str]) -> list[tuple[str, ...]]:
    if type(value) is not list or len(value) != length:
        raise _Bad
    out = []
    for item in value:
        if type(item) is not list:
            raise _Bad
        if item and not ids.issuperset(item):  # raises TypeError for a non-string
            raise _Bad
        out.append(tuple(item))
    return out


class _TextColumn:
    """A text column (texts, headings): string ``i`` read and decoded when
    asked for.  The offsets are checked when the file is read (in order,
    within the part); the UTF-8 and the characters when a string is read."""

    __slots__ = ("_fetch", "_head", "_offsets", "_size")

    def __init__(self, count: int, size: int, fetch: Fetch) -> None:
        head = (count + 1) * 8
        if head > size:
            raise _Bad
        offsets = array("Q")
        offsets.frombytes(fetch(0, head))
        if sys.byteorder == "big":  # pragma: no cover - little-endian machines
            offsets.byteswap()
        if offsets[0] != 0 or offsets[-1] != size - head:
            raise _Bad
        values = offsets.tolist()
        if values != sorted(values):  # in order (sorting sorted numbers: one pass in C)
            raise _Bad
        self._fetch = fetch
        self._head = head
        self._offsets = offsets
        self._size = size

    def __getitem__(self, i: int) -> str:
        return _decode_text(
            self._fetch(self._head + self._offsets[i], self._head + self._offsets[i + 1])
        )

    def pick(self, indices: Sequence[int]) -> list[str]:
        """Strings ``indices`` (nearby ones in one read of at most `_CHUNK`
        bytes; only those decoded)."""
        offsets, head = self._offsets, self._head
        out: list[str] = []
        run: list[int] = []

        def flush() -> None:
            base = offsets[run[0]]
            data = self._fetch(head + base, head + offsets[run[-1] + 1])
            out.extend(_decode_text(data[offsets[i] - base : offsets[i + 1] - base]) for i in run)
            run.clear()

        for i in indices:
            if run and not (run[-1] <= i and offsets[i + 1] - offsets[run[0]] <= _CHUNK):
                flush()
            run.append(i)
        if run:
            flush()
        return out

    def range(self, start: int, end: int) -> list[str]:
        """Strings ``start`` to ``end`` (one read)."""
        offsets = self._offsets
        base = offsets[start]
        data = self._fetch(self._head + base, self._head + offsets[end])
        return [
            _decode_text(data[a - base : b - base]) for a, b in pairwise(offsets[start : end + 1])
        ]


def _decode_text(data: bytes) -> str:
    from lbn_tui.corpus.codec import clean

    try:
        return clean(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StoreMismatch("a passage in a corpus store file is not UTF-8") from exc


def _corpus(
    columns_bytes: bytes, parts: Mapping[str, tuple[int, Fetch]], source: str
) -> StoredCorpus:
    """The corpus of a file's columns; ``parts``: the size of each other part
    and what reads it."""
    with _no_cyclic_gc():
        return _columns_corpus(columns_bytes, parts, source)


def _columns_corpus(
    columns_bytes: bytes, parts: Mapping[str, tuple[int, Fetch]], source: str
) -> StoredCorpus:
    columns = json.loads(columns_bytes.decode("utf-8"))
    if type(columns) is not dict or set(columns) != set(_COLUMNS):
        raise _Bad
    ids = columns["ids"]
    if type(ids) is not list or not ids:
        raise _Bad
    n = len(ids)
    ids = _strings(ids, n)
    id_set = frozenset(ids)
    if len(id_set) != n or not all(map(ID_PATTERN.fullmatch, ids)):
        raise _Bad
    kinds = _shared(_strings(columns["kinds"], n))
    if not set(kinds) <= set(model.ENTRY_CLASSES):
        raise _Bad
    counts = _numbers(columns["counts"], n)
    if min(counts) < 1:
        raise _Bad
    entries_size, fetch = parts["entries"]
    offsets = _numbers(columns["offsets"], n + 1)
    if offsets[0] != 0 or offsets[-1] != entries_size:
        raise _Bad
    if any(a >= b for a, b in pairwise(offsets)):
        raise _Bad
    total = sum(counts)
    offsets_array = array("q", offsets)
    from lbn_tui.corpus.codec import Bad, decode_paths, decode_sources

    try:
        sources = decode_sources(columns["sources"])
        paths = decode_paths(columns["paths"])
    except Bad as exc:
        raise _Bad from exc
    return StoredCorpus(
        sources=sources,
        paths=paths,
        ids=ids,
        kinds=kinds,
        titles=_strings(columns["titles"], n),
        speakers=_shared(_strings(columns["speakers"], n)),
        groups=_shared(_strings(columns["groups"], n)),
        numbers=_numbers(columns["numbers"], n, None),
        counts=counts,
        links=_id_lists(columns["links"], n, id_set),
        cites=_id_lists(columns["cites"], n, id_set),
        offsets=offsets_array,
        fetch=fetch,
        texts=_TextColumn(total, *parts["texts"]),
        headings=_TextColumn(total, *parts["headings"]),
        source=source,
    )


def _written_corpus(
    columns: dict[str, Any],
    pages: list[model.Source],
    parts: Mapping[str, tuple[int, Fetch]],
    source: str,
) -> StoredCorpus:
    """The corpus of the columns `_encode` made (what `_corpus` makes of
    them once written and read: the same values, checked there)."""
    with _no_cyclic_gc():
        counts = columns["counts"]
        total = sum(counts)
        return StoredCorpus(
            sources=pages,
            paths=columns["paths"],
            ids=columns["ids"],
            kinds=_shared(columns["kinds"]),
            titles=columns["titles"],
            speakers=_shared(columns["speakers"]),
            groups=_shared(columns["groups"]),
            numbers=columns["numbers"],
            counts=counts,
            links=columns["links"],
            cites=columns["cites"],
            offsets=array("q", columns["offsets"]),
            fetch=parts["entries"][1],
            texts=_TextColumn(total, *parts["texts"]),
            headings=_TextColumn(total, *parts["headings"]),
            source=source,
        )


_ERRORS = (_Bad, ValueError, TypeError, KeyError, RecursionError, OverflowError)


def _places(pos: int, parts: list[tuple[str, int, int]], size: int) -> list[tuple[int, int, int]]:
    """(offset, nbytes, crc32) of each part; the parts must fill the file."""
    out = []
    for _, nbytes, crc in parts:
        out.append((pos, nbytes, crc))
        pos += nbytes + _pad(nbytes)
    if pos != size:
        raise _Bad
    return out


def _source(key: str, places: list[tuple[int, int, int]]) -> str:
    """What names a store file's content: its key and its parts' sizes and CRC-32s."""
    return " ".join([f"lbn-tui corpus store {FORMAT}", key, *(f"{n}:{c}" for _, n, c in places)])


def decode(data: bytes, key: str) -> StoredCorpus | None:
    """The corpus in a store file's bytes, or None if it is not a valid one for ``key``."""
    try:
        pos, parts = _header(data[: 16 + _MAX_HEADER], key)
        places = _places(pos, parts, len(data))
        for offset, nbytes, crc in places:
            if zlib.crc32(data[offset : offset + nbytes]) != crc:
                raise _Bad

        def reader(at: int, size: int) -> tuple[int, Fetch]:
            return size, lambda start, end: data[at + min(start, size) : at + min(end, size)]

        (c_at, c_size, _), *rest = places
        return _corpus(
            data[c_at : c_at + c_size],
            {name: reader(at, size) for name, (at, size, _) in zip(_PARTS[1:], rest, strict=True)},
            _source(key, places),
        )
    except _ERRORS:
        return None


def read(key: str, cache_dir: Path | None = None) -> StoredCorpus | None:
    """The store file for ``key``, or None.  The columns are read; the
    other parts are only checked (CRC-32, read in chunks; the text
    columns' offsets) and read later from the open file, when first needed
    (a file renamed over it later changes nothing)."""
    return _read(store_path(key, cache_dir), key, None)


def _read(
    path: Path, key: str, written: tuple[bytes, dict[str, Any], list[model.Source]] | None
) -> StoredCorpus | None:
    """`read`; with ``written`` (`_encode`'s), the file must hold those
    bytes, and the corpus is made of the columns and pages encoded."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    keep = False

    def pread(nbytes: int, offset: int) -> bytes:
        data = os.pread(fd, nbytes, offset)
        if len(data) != nbytes:
            raise StoreMismatch("a corpus store file was cut short")
        return data

    def reader(at: int, size: int) -> tuple[int, Fetch]:
        def fetch(start: int, end: int) -> bytes:
            if not 0 <= start <= end <= size:
                raise StoreMismatch("a read past the end of a corpus store part")
            return pread(end - start, at + start)

        return size, fetch

    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        os.set_blocking(fd, True)
        pos, parts = _header(os.pread(fd, 16 + _MAX_HEADER, 0), key)
        places = _places(pos, parts, info.st_size)
        (c_at, c_size, c_crc), *rest = places
        readers = {
            name: reader(at, size) for name, (at, size, _) in zip(_PARTS[1:], rest, strict=True)
        }
        if written is not None:
            payload, columns_written, pages = written
            if info.st_size != len(payload):
                return None
            view = memoryview(payload)
            for start in range(0, info.st_size, _CHUNK):
                end = min(start + _CHUNK, info.st_size)
                if pread(end - start, start) != view[start:end]:
                    return None
            corpus = _written_corpus(columns_written, pages, readers, _source(key, places))
        else:
            columns = pread(c_size, c_at)
            if zlib.crc32(columns) != c_crc:
                return None
            for offset, nbytes, crc in rest:
                running = 0
                for start in range(0, nbytes, _CHUNK):
                    chunk = pread(min(_CHUNK, nbytes - start), offset + start)
                    running = zlib.crc32(chunk, running)
                if running != crc:
                    return None
            corpus = _corpus(columns, readers, _source(key, places))
        weakref.finalize(corpus, os.close, fd)
        keep = True
        return corpus
    except (*_ERRORS, OSError):
        return None
    finally:
        if not keep:
            os.close(fd)


_CHUNK = 1 << 20
#: Passages read from the text columns at a time when reading them all.
_BLOCK = 4096


# --------------------------------------------------------------------------
# The corpus.


class _Entries(Sequence[model.Entry]):
    """The entries, each decoded from its JSON line on first use."""

    __slots__ = ("_corpus",)

    def __init__(self, corpus: StoredCorpus) -> None:
        self._corpus = corpus

    def __len__(self) -> int:
        return len(self._corpus._ids)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self._corpus._entry(i) for i in range(len(self))[index])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._corpus._entry(index)

    def __iter__(self) -> Iterator[model.Entry]:
        entry = self._corpus._entry
        for i in range(len(self)):
            yield entry(i)


class _ById(Mapping[str, model.Entry]):
    """Entry by id, decoded on first use."""

    __slots__ = ("_corpus",)

    def __init__(self, corpus: StoredCorpus) -> None:
        self._corpus = corpus

    def __getitem__(self, entry_id: str) -> model.Entry:
        return self._corpus._entry(self._corpus._position[entry_id])

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._corpus._position

    def __iter__(self) -> Iterator[str]:
        return iter(self._corpus._ids)

    def __len__(self) -> int:
        return len(self._corpus._ids)


class StoredCorpus(model.Corpus):
    """A `model.Corpus` read from a store file: ids, kinds, titles (the
    columns) at once; an entry decoded when first asked for, a passage read
    when asked for.  `passages` reads from the text columns (no entry is
    decoded for them), and the contents tree from the columns
    (`outline_columns`): only what is shown is decoded."""

    __slots__ = (
        "__weakref__",
        "_cites",
        "_columns",
        "_counts",
        "_decoded",
        "_fetch",
        "_groups",
        "_heading_column",
        "_ids",
        "_kinds",
        "_links",
        "_numbers",
        "_offsets",
        "_paths",
        "_position",
        "_sources",
        "_speakers",
        "_starts",
        "_text_column",
        "_titles",
        "_view",
        "source",
    )

    def __init__(
        self,
        *,
        ids: list[str],
        kinds: list[str],
        titles: list[str],
        speakers: list[str],
        groups: list[str],
        numbers: list[int],
        counts: list[int],
        links: list[tuple[str, ...]],
        cites: list[tuple[str, ...]],
        offsets: Sequence[int],
        fetch: Fetch,
        texts: _TextColumn,
        headings: _TextColumn,
        source: str,
        sources: Sequence[model.Source],
        paths: Sequence[str],
    ) -> None:
        self._sources = sources
        self._paths = paths
        self._ids = ids
        self._kinds = kinds
        self._titles = titles
        self._speakers = speakers
        self._groups = groups
        self._numbers = numbers
        self._counts = counts
        self._text_column = texts
        self._heading_column = headings
        self._links = links
        self._cites = cites
        self._offsets = offsets
        self._fetch = fetch
        self.source = source
        """Names the file's content (key, parts' sizes and CRC-32s): what
        the search index cache is keyed by."""
        self._decoded: list[model.Entry | None] = [None] * len(ids)
        self._position = {entry_id: i for i, entry_id in enumerate(ids)}
        self._starts = array("q", [0, *accumulate(counts)])
        self._passages = None
        self._view: StoredPassages | None = None
        self._columns: Columns | None = None
        self.entries = _Entries(self)
        self.by_id = _ById(self)
        # What model.Corpus builds on first use (passages per entry, citing
        # passages), and its back-links: dicts, so that building stays linear.
        self._entry_passages: dict[str, tuple[model.Passage, ...]] = {}
        self._citations: dict[str, tuple[model.Citation, ...]] | None = None
        cited_by: dict[str, dict[str, None]] = {}
        linked_from: dict[str, dict[str, None]] = {}
        for entry_id, entry_cites, entry_links in zip(ids, cites, links, strict=True):
            for ref in entry_cites:
                cited_by.setdefault(ref, {})[entry_id] = None
            for target in entry_links:
                linked_from.setdefault(target, {})[entry_id] = None
        self._cited_by = {k: tuple(v) for k, v in cited_by.items()}
        self._linked_from = {k: tuple(v) for k, v in linked_from.items()}

    def summaries(self) -> Iterator[tuple[str, str, str]]:
        return zip(self._ids, self._kinds, self._titles, strict=True)

    def kind_and_title(self, entry_id: str) -> tuple[str, str] | None:
        index = self._position.get(entry_id)
        return None if index is None else (self._kinds[index], self._titles[index])

    def of_kind(self, kind: str) -> tuple[model.Entry, ...]:
        return tuple(self._entry(i) for i, k in enumerate(self._kinds) if k == kind)

    def outline_columns(self) -> Columns:
        """What the contents tree needs (`lbn_tui.corpus.outline.Columns`),
        from the columns: a quote's text read from the text column."""
        if self._columns is None:
            from lbn_tui.corpus.outline import Columns

            self._columns = Columns(
                ids=self._ids,
                kinds=self._kinds,
                titles=self._titles,
                groups=self._groups,
                numbers=self._numbers,
                position=self._position,
                quote_texts=self._first_texts,
            )
        return self._columns

    def _first_texts(self, positions: Sequence[int]) -> list[str]:
        """The text of the first passage of the entries at ``positions``."""
        starts = self._starts
        return self._text_column.pick([starts[i] for i in positions])

    @property
    def passages(self) -> StoredPassages:
        """Every passage, as a sequence that reads passage ``i`` from the text
        columns when asked for (no entry is decoded, no text held): the
        app's and the command line's search read only what they score or
        show.  A sequence, not the tuple ``model.Corpus.passages`` is typed
        as (whatever reads it asks for its length, a passage, or each in turn);
        equal to a tuple of the same passages."""
        if self._view is None:
            self._view = StoredPassages(self)
        return self._view

    def passage_view(self) -> StoredPassages:
        """The passages (`passages`)."""
        return self.passages

    def citing_passages(self, reference_id: str) -> tuple[model.Citation, ...]:
        """As `model.Corpus.citing_passages`, decoding only the entries that cite."""
        if self._citations is None:
            citing = model.Corpus(tuple(self._entry(i) for i, c in enumerate(self._cites) if c))
            citing.citing_passages(reference_id)
            self._citations = citing._citations
        return super().citing_passages(reference_id)

    def _passage(self, i: int) -> model.Passage:
        e = bisect_right(self._starts, i) - 1
        if self._decoded[e] is not None:  # the entry's own (read and checked)
            return self.passages_of(self._ids[e])[i - self._starts[e]]
        return model.Passage(
            self._ids[e],
            i - self._starts[e],
            self._kinds[e],
            self._text_column[i],
            self._titles[e],
            self._speakers[e],
            self._heading_column[i],
        )

    def _passage_kinds(self) -> list[str]:
        out: list[str] = []
        for kind, count in zip(self._kinds, self._counts, strict=True):
            out += [kind] * count
        return out

    def _blocks(self) -> Iterator[tuple[int, int]]:
        """(first, end) entries of about `_BLOCK` passages each, in order."""
        first = 0
        while first < len(self._ids):
            end = bisect_right(self._starts, self._starts[first] + _BLOCK, first + 1)
            end = min(max(end - 1, first + 1), len(self._ids))
            yield first, end
            first = end

    def _block_texts(self, first: int, end: int) -> list[tuple[str, str]]:
        """(heading, text) of the passages of entries ``first`` to ``end`` (two reads)."""
        start, stop = self._starts[first], self._starts[end]
        headings = self._heading_column.range(start, stop)
        return list(zip(headings, self._text_column.range(start, stop), strict=True))

    def _column_passages(self) -> Iterator[model.Passage]:
        """Every passage, from the text columns (a block at a time), no entry decoded."""
        passage = model.Passage
        for first, end in self._blocks():
            texts = iter(self._block_texts(first, end))
            for i in range(first, end):
                entry_id, kind, title = self._ids[i], self._kinds[i], self._titles[i]
                speaker = self._speakers[i]
                for j in range(self._counts[i]):
                    heading, text = next(texts)
                    yield passage(entry_id, j, kind, text, title, speaker, heading)

    def _entry(self, i: int) -> model.Entry:
        entry = self._decoded[i]
        if entry is None:
            entry = self._decode(i)
            self._decoded[i] = entry
        return entry

    def _decode(self, i: int) -> model.Entry:
        from lbn_tui.corpus.codec import Bad as _BadEntry
        from lbn_tui.corpus.codec import decode_row
        from lbn_tui.corpus.outline import group_of, number_of

        try:
            line = self._fetch(self._offsets[i], self._offsets[i + 1])
            entry = decode_row(json.loads(line.decode("utf-8")), self._sources, self._paths)
        except (_BadEntry, ValueError, TypeError, KeyError, RecursionError) as exc:
            raise StoreMismatch(f"entry {i} of a corpus store file is damaged") from exc
        if (
            entry.id != self._ids[i]
            or entry.kind != self._kinds[i]
            or entry.title != self._titles[i]
            or entry.links() != self._links[i]
            or entry.cites() != self._cites[i]
            or entry.speaker_line != self._speakers[i]
            or group_of(entry) != self._groups[i]
            or number_of(entry) != self._numbers[i]
        ):
            raise StoreMismatch(f"entry {entry.id!r} does not match its corpus store columns")
        # passage_texts() is what passages() is made of: no Passage objects here.
        if list(entry.passage_texts()) != self._block_texts(i, i + 1):
            raise StoreMismatch(f"entry {entry.id!r} does not match its corpus store passages")
        return entry


class StoredPassages(Sequence[model.Passage]):
    """A store file's passages, each read when asked for; ``kinds()`` the
    kind of every passage; ``source`` as `StoredCorpus.source`.  Equal to a
    sequence of the same passages (a tuple, say)."""

    __slots__ = ("_corpus", "source")

    def __init__(self, corpus: StoredCorpus) -> None:
        self._corpus = corpus  # also keeps the file open
        self.source = corpus.source

    def __len__(self) -> int:
        return self._corpus._starts[-1]

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self._corpus._passage(i) for i in range(len(self))[index])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._corpus._passage(index)

    def __iter__(self) -> Iterator[model.Passage]:
        # Building the index: from the columns, a block at a time.
        return self._corpus._column_passages()

    def __eq__(self, other: object) -> bool:
        return model.same_items(self, other)

    __hash__ = None  # type: ignore[assignment]

    def kinds(self) -> list[str]:
        return self._corpus._passage_kinds()
