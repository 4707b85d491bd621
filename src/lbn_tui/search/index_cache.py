"""On-disk cache for the large-corpus search index.

No numpy and no pickle here: a cache file is a small JSON header and raw
little-endian arrays, each with its CRC-32, and nothing in it is trusted
until it has been checked (the caller then checks shapes and bounds).

File layout::

    MAGIC (8 bytes) | header length (8 bytes, little-endian) | header (JSON, UTF-8)
    | padding to 8 | part 0 | padding to 8 | part 1 | ...

The header: ``{"format": FORMAT, "meta": {...}, "parts": [{"name", "dtype",
"nbytes", "crc32"}, ...]}``.  A file whose magic, format, meta, sizes or
checksums do not match is ignored: :func:`read` returns None and the caller
rebuilds.  Files are written to a temporary name and renamed into place, so a
reader never sees half a file; an interrupted write leaves only a stray
temporary file, which the next successful write removes.

Reading need not load the whole file: the parts the caller names
(``on_disk``: the postings and the passages' word ids, ~98% of a file)
are checked (CRC-32, and the caller's check of each chunk, e.g. that
postings are in bounds) from reads of 1 MiB into one buffer and left on
disk as a `FilePart`, which a search reads a few runs of (``os.preadv``
into its own array).  So the
~150 MB of a 100 000-passage index stay out of the process's memory.  (A
memory map was tried: on current kernels a fault maps the page cache's
whole large folio, and one search kept ~30 MB of postings resident.)
Cache files are replaced by renaming, never written in place; the open
file is the one checked.

The cache key is the caller's: for a corpus read from the corpus store,
its ``source`` (the store file's key and its parts' CRC-32s), which proves the
passages unchanged without reading them; otherwise :func:`content_key`, a
hash of every passage's kind, text, title and speaker, in order, plus the
caller's format version: change any of them and the key, and so the file
name, changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import weakref
import zlib
from array import array
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from lbn_tui import files

__all__ = ["ALLOWED_DTYPES", "MAGIC", "content_key", "read", "write"]

MAGIC = b"LBNIDX\x00\x01"
FORMAT = 2
#: Cache files kept in the directory (most recently written first).
KEEP_FILES = 4
#: The only element types a part may declare (numpy's dtype strings).
ALLOWED_DTYPES = frozenset({"|u1", "<u4", "<i4", "<i8", "<f8"})
_MAX_HEADER = 1 << 20
#: A cache file larger than this is not read (100 000 passages take ~150 MB).
MAX_FILE_BYTES = 1 << 30


class _Fields(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def speaker(self) -> str: ...


def content_key(passages: Iterable[_Fields], version: str) -> str:
    """A hex digest of the passages' searchable content and ``version``."""
    parts: list[str] = []
    for p in passages:
        parts += (p.kind, p.text, p.title, p.speaker)
    h = hashlib.blake2b(digest_size=20)
    h.update(f"lbn-tui search index {version}\n{len(parts)}\n".encode())
    # Lengths first, so that no two different passage lists hash the same text.
    h.update(array("q", map(len, parts)).tobytes())
    h.update("".join(parts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _pad(n: int) -> int:
    return -n % 8


def write(path: Path, meta: Mapping[str, Any], parts: Sequence[tuple[str, str, Any]]) -> bool:
    """Write ``parts`` (name, dtype string, buffer) atomically; False on OS errors."""
    views = [(name, dtype, memoryview(data).cast("B")) for name, dtype, data in parts]
    for _, dtype, _ in views:
        if dtype not in ALLOWED_DTYPES:
            raise ValueError(f"dtype {dtype!r} not allowed")
    header = json.dumps(
        {
            "format": FORMAT,
            "meta": dict(meta),
            "parts": [
                {"name": name, "dtype": dtype, "nbytes": view.nbytes, "crc32": zlib.crc32(view)}
                for name, dtype, view in views
            ],
        },
        sort_keys=True,
    ).encode()

    def write_parts(out: IO[bytes]) -> None:
        head = MAGIC + len(header).to_bytes(8, "little") + header
        out.write(head + b"\0" * _pad(len(head)))
        for _, _, view in views:
            out.write(view)
            out.write(b"\0" * _pad(view.nbytes))

    try:
        files.write_atomic(path, write_parts)
    except OSError:
        return False
    files.prune(path.parent, f"*{path.suffix}", KEEP_FILES, current=path, stale=".tmp-*")
    return True


#: Bytes read per step while checking a file (a multiple of 8).
CHUNK = 1 << 20

#: Checks one chunk of a part (the part's bytes from a multiple of CHUNK).
ChunkCheck = Callable[[memoryview], bool]


def read(
    path: Path,
    meta: Mapping[str, Any],
    checks: Mapping[str, ChunkCheck] | None = None,
    *,
    on_disk: Collection[str] = (),
) -> dict[str, tuple[str, memoryview | FilePart]] | None:
    """The parts of a valid cache file whose meta equals ``meta``, else None.

    Returns ``{name: (dtype, data)}``: every part's size and CRC-32 have
    been checked, its dtype is one of :data:`ALLOWED_DTYPES`, and
    ``checks[name]`` (if any) has passed on each of its chunks.  The parts
    named in ``on_disk`` are a `FilePart` (read when asked for), the others
    the bytes read.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    opened = _OpenFile(fd)  # closes fd once nothing refers to it
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not 16 <= info.st_size <= MAX_FILE_BYTES:
            return None
        os.set_blocking(fd, True)
        places = _places(os.pread(fd, 16 + _MAX_HEADER, 0), info.st_size, meta)
        if places is None:
            return None
        out: dict[str, tuple[str, memoryview | FilePart]] = {}
        buffer = memoryview(bytearray(CHUNK))
        for name, dtype, pos, nbytes, crc in places:
            left = name in on_disk
            # A part left on disk is checked through one buffer: the page
            # cache is read, nothing of it stays in the process.
            data = buffer if left else memoryview(bytearray(nbytes))
            check = (checks or {}).get(name)
            running = 0
            for start in range(0, nbytes, CHUNK):
                want = min(CHUNK, nbytes - start)
                chunk = data[:want] if left else data[start : start + want]
                if _read_into(fd, chunk, pos + start) != want:
                    return None
                running = zlib.crc32(chunk, running)
                if check is not None and not check(chunk):
                    return None
            if running != crc:
                return None
            out[name] = (dtype, FilePart(opened, pos, nbytes) if left else data)
        return out
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


class _OpenFile:
    __slots__ = ("__weakref__", "fd")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        weakref.finalize(self, os.close, fd)


class FilePart:
    """A part of a cache file left on disk, read when asked for.

    Holds the file open (closed when the file's last `FilePart` is
    collected): a file renamed over it later changes nothing.  A read past
    the end of the file (cut short in place since it was checked) reads
    fewer bytes: `read_into` says so, and the caller decides what it means.
    """

    __slots__ = ("_file", "_pos", "nbytes")

    def __init__(self, opened: _OpenFile, pos: int, nbytes: int) -> None:
        self._file = opened
        self._pos = pos
        self.nbytes = nbytes

    def read_into(self, view: memoryview, start: int) -> bool:
        """Fill ``view`` from byte ``start`` of the part; False if the part is shorter."""
        if start < 0 or start + view.nbytes > self.nbytes:
            return False
        try:
            return _read_into(self._file.fd, view, self._pos + start) == view.nbytes
        except OSError:
            return False


_Place = tuple[str, str, int, int, int]


def _places(head: bytes, size: int, meta: Mapping[str, Any]) -> list[_Place] | None:
    """(name, dtype, offset, nbytes, crc32) of each part, from the file's
    start; None unless they fill a file of ``size`` bytes exactly."""
    if len(head) < 16 or head[:8] != MAGIC:
        return None
    length = int.from_bytes(head[8:16], "little")
    if length > _MAX_HEADER or 16 + length > len(head):
        return None
    header = json.loads(head[16 : 16 + length].decode("utf-8"))
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        return None
    if header.get("meta") != dict(meta):
        return None
    parts = header["parts"]
    if not isinstance(parts, list):
        return None
    pos = 16 + length
    pos += _pad(pos)
    out: list[_Place] = []
    for part in parts:
        name, dtype, nbytes, crc = part["name"], part["dtype"], part["nbytes"], part["crc32"]
        if not isinstance(name, str) or dtype not in ALLOWED_DTYPES:
            return None
        if any(name == seen[0] for seen in out):
            return None
        if type(nbytes) is not int or type(crc) is not int or nbytes < 0:
            return None
        if pos + nbytes > size:
            return None
        out.append((name, dtype, pos, nbytes, crc))
        pos += nbytes + _pad(nbytes)
    if pos != size:
        return None
    return out


def _read_into(fd: int, view: memoryview, offset: int) -> int:
    if hasattr(os, "preadv"):
        return os.preadv(fd, [view], offset)
    data = os.pread(fd, len(view), offset)  # pragma: no cover - no preadv
    view[: len(data)] = data  # pragma: no cover
    return len(data)  # pragma: no cover
