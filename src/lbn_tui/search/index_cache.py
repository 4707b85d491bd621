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

The cache key (:func:`content_key`) is a hash of every passage's kind, text,
title and speaker, in order, plus the caller's format version: change any of
them and the key, and so the file name, changes.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from array import array
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from lbn_tui import files

__all__ = ["ALLOWED_DTYPES", "MAGIC", "content_key", "read", "write"]

MAGIC = b"LBNIDX\x00\x01"
FORMAT = 1
#: Cache files kept in the directory (most recently written first).
KEEP_FILES = 4
#: The only element types a part may declare (numpy's dtype strings).
ALLOWED_DTYPES = frozenset({"|u1", "<u4", "<i4", "<i8", "<f8"})
_MAX_HEADER = 1 << 20
#: A cache file larger than this is not read (100 000 passages take ~60 MB).
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


def read(path: Path, meta: Mapping[str, Any]) -> dict[str, tuple[str, memoryview]] | None:
    """The parts of a valid cache file whose meta equals ``meta``, else None.

    Returns ``{name: (dtype, bytes)}``; every part's size and CRC-32 have been
    checked, its dtype is one of :data:`ALLOWED_DTYPES`.
    """
    try:
        data = files.read_bounded(path, MAX_FILE_BYTES, follow_symlinks=False)
    except OSError:
        return None
    try:
        return _parse(data, meta)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _parse(data: bytes, meta: Mapping[str, Any]) -> dict[str, tuple[str, memoryview]] | None:
    if len(data) < 16 or data[:8] != MAGIC:
        return None
    size = int.from_bytes(data[8:16], "little")
    if size > _MAX_HEADER or 16 + size > len(data):
        return None
    header = json.loads(data[16 : 16 + size].decode("utf-8"))
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        return None
    if header.get("meta") != dict(meta):
        return None
    parts = header["parts"]
    if not isinstance(parts, list):
        return None
    pos = 16 + size
    pos += _pad(pos)
    view = memoryview(data)
    out: dict[str, tuple[str, memoryview]] = {}
    for part in parts:
        name, dtype, nbytes, crc = part["name"], part["dtype"], part["nbytes"], part["crc32"]
        if not isinstance(name, str) or dtype not in ALLOWED_DTYPES or name in out:
            return None
        if not isinstance(nbytes, int) or not isinstance(crc, int) or nbytes < 0:
            return None
        if pos + nbytes > len(data):
            return None
        chunk = view[pos : pos + nbytes]
        if zlib.crc32(chunk) != crc:
            return None
        out[name] = (dtype, chunk)
        pos += nbytes + _pad(nbytes)
    if pos != len(data):
        return None
    return out
