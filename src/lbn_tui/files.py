"""File helpers shared by the caches, the state and the loader.

`read_bounded` reads only a regular file, never waits on a pipe and never
reads past a limit; `write_atomic` writes a temporary file beside the target
and renames it into place (so a reader sees the old file or the new one,
never half of either), optionally fsynced; `prune` keeps the newest few
files of a kind in a cache folder.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


class NotRegularFile(OSError):
    """The path is a folder, a pipe, a device or a socket, not a plain file."""

    def __init__(self, path: Path | str, mode: int) -> None:
        super().__init__(f"{path} is {file_type(mode)}, not a regular file")
        self.mode = mode


class TooLarge(OSError):
    """The file holds more than the limit allows."""

    def __init__(self, path: Path | str, size: int, limit: int) -> None:
        super().__init__(f"{path} is too large ({size} bytes; the limit is {limit})")
        self.size = size
        self.limit = limit


def file_type(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def read_bounded(path: Path | str, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Opens without blocking (a named pipe never waits for a writer), checks
    the type on the open descriptor, and reads at most ``limit`` + 1 bytes
    (the file may grow after the check).  Raises `NotRegularFile`,
    `TooLarge` or the `OSError` of the open or read.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(path, info.st_mode)
        if info.st_size > limit:
            raise TooLarge(path, info.st_size, limit)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise TooLarge(path, len(data), limit)
    return data


def write_atomic(
    target: Path,
    write: Callable[[IO[bytes]], object],
    *,
    fsync: bool = False,
    prefix: str = ".tmp-",
    folder_mode: int = 0o700,
) -> None:
    """Write ``target`` through ``write(handle)`` on a temporary file, then rename.

    With ``fsync``, the data and the rename are flushed to disk (the folder's
    fsync is skipped where the file system cannot do it).  The temporary file
    is removed on any failure; the `OSError` is raised.
    """
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True, mode=folder_mode)
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp_name, target)
        tmp_name = ""
        if fsync:
            fsync_folder(folder)
    finally:
        if tmp_name:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable, where the file system can."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def prune(
    folder: Path, pattern: str, keep: int, current: Path | None = None, stale: str = ""
) -> None:
    """Keep the ``keep`` newest files matching ``pattern`` (and ``current``).

    Files matching ``stale`` (temporaries left by an interrupted
    `write_atomic`) are removed too.
    """
    found: list[tuple[int, Path]] = []
    try:
        for path in folder.glob(stale) if stale else ():
            with contextlib.suppress(OSError):
                path.unlink()
        for path in folder.glob(pattern):
            with contextlib.suppress(OSError):
                found.append((path.stat().st_mtime_ns, path))
    except OSError:
        return
    found.sort(reverse=True)
    for _, path in found[keep:]:
        if path != current:
            with contextlib.suppress(OSError):
                path.unlink()
