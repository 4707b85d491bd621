"""What the reader keeps between runs: the starred passages.

Stored as JSON in the XDG state directory (``$XDG_STATE_HOME/lbn-tui``,
default ``~/.local/state/lbn-tui``).  Every save writes a temporary file in
the same folder, flushes it to disk and renames it over the old one, so a
crash or a full disk at any moment leaves either the old or the new file,
never a torn one; the folder is flushed after the rename.  Before saving, the
file is read again and merged, so two running instances do not drop each
other's stars; read, merge and rename happen under an exclusive lock on the
state folder (``flock``), so two saves at the same moment cannot lose one
another's update either.  Temporary files left by a process killed mid-save
are removed at the next start.  A file that cannot be understood is renamed
aside (``starred.json.corrupt-<time>``, then ``-2``, ``-3``... : an existing
name is never reused) and reported, never silently overwritten.  The file is
opened non-blocking (a named pipe cannot hang the app), read up to
`MAX_STATE_BYTES` (a bigger one is set aside unread), and a JSON nesting too
deep for the parser, a ref with a lone surrogate and anything but a regular
file are set aside too.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from lbn_tui import files, paths

STATE_FILE_NAME = "starred.json"
_FORMAT_VERSION = 1
# Seconds to wait for another instance's save.  The app saves in a worker
# thread, so a long wait never freezes the reader; a busy machine can take
# seconds when two instances save in a burst.
LOCK_TIMEOUT = 10.0
#: A stars file is a list of short refs: 8 MiB is over 100 000 stars.
MAX_STATE_BYTES = 8 * 1024 * 1024


class StateError(Exception):
    """A state file could not be saved; the message is one line for the reader."""


class _Unusable(ValueError):
    """The stars file is no stars file (wrong type, too large): set it aside."""


def _parse(data: bytes) -> list[str]:
    try:
        value = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(value, dict) or not isinstance(value.get("starred"), list):
        raise ValueError("expected an object with a 'starred' list")
    refs = value["starred"]
    if not all(isinstance(r, str) for r in refs):
        raise ValueError("'starred' must hold strings")
    for ref in refs:
        # A lone surrogate ("\ud800" in the JSON) cannot be written anywhere.
        ref.encode("utf-8")
    return list(dict.fromkeys(refs))


def _read_state(path: Path) -> bytes:
    """The file's bytes: opened non-blocking (a named pipe does not hang),
    refused unless a regular file (`_Unusable`; a folder is an `OSError`),
    never read past `MAX_STATE_BYTES`."""
    try:
        return files.read_bounded(path, MAX_STATE_BYTES)
    except files.NotRegularFile as exc:
        if stat.S_ISDIR(exc.mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)) from None
        raise _Unusable("not a regular file") from None
    except files.TooLarge:
        raise _Unusable(f"larger than {MAX_STATE_BYTES // (1024 * 1024)} MiB") from None


def _set_aside(path: Path) -> Path:
    """Rename ``path`` to ``<name>.corrupt-<time>`` (``-2``, ``-3``... when
    taken); never over an existing file.  Raises OSError when it cannot."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        aside = path.with_name(f"{path.name}.corrupt-{stamp}" + (f"-{n}" if n > 1 else ""))
        try:
            # A hard link fails if the name exists: no backup is overwritten.
            os.link(path, aside, follow_symlinks=False)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            # No hard links here: rename, having checked the name is free.
            if os.path.lexists(aside):
                continue
            os.rename(path, aside)
            return aside
        os.unlink(path)
        return aside
    raise OSError(errno.EEXIST, "no free name to set the file aside")


class StarStore:
    """The starred passage refs (see `model.passage_ref`), in starring order."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else paths.state_dir() / STATE_FILE_NAME
        self._refs: list[str] = []
        # (the list it was made from, its set): _refs is only ever replaced,
        # never changed in place, so the set is rebuilt once per change.
        self._lookup: tuple[list[str], frozenset[str]] = (self._refs, frozenset())
        self.available = True

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(self._refs)

    def is_starred(self, ref: str) -> bool:
        if self._lookup[0] is not self._refs:
            self._lookup = (self._refs, frozenset(self._refs))
        return ref in self._lookup[1]

    def load(self) -> str | None:
        """Read the file; returns a one-line notice when something was wrong."""
        try:
            data = _read_state(self.path)
            self._refs = _parse(data)
        except FileNotFoundError:
            self._refs = []
            self._remove_stale_temporaries()
            return None
        except OSError as exc:
            self.available = False
            return f"Starring is unavailable: cannot read {self.path}: {exc.strerror or exc}"
        except (ValueError, MemoryError) as exc:
            # ValueError covers bad JSON, UTF-8 and refs; MemoryError a file
            # within the size limit that still cannot be held.
            self._refs = []
            try:
                aside = _set_aside(self.path)
            except OSError:
                self.available = False
                return f"{self.path} is not a valid stars file ({exc}); starring is off"
            return f"{self.path} was not a valid stars file ({exc}); it was moved to {aside.name}"
        self._remove_stale_temporaries()
        return None

    def toggle(self, ref: str) -> bool:
        """Star or unstar ``ref``; returns True when it is now starred."""
        starred = ref not in self._refs
        self._update(add=(ref,) if starred else (), remove=() if starred else (ref,))
        return starred

    def add(self, ref: str) -> None:
        self._update(add=(ref,), remove=())

    def remove(self, ref: str) -> None:
        self._update(add=(), remove=(ref,))

    def _update(self, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        if not self.available:
            raise StateError("Starring is unavailable (the state folder cannot be used)")
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with _locked(folder):
                # Merge with what another instance may have saved meanwhile.
                current = list(self._refs)
                try:
                    current = list(dict.fromkeys([*_parse(_read_state(self.path)), *self._refs]))
                except FileNotFoundError:
                    pass
                except (ValueError, MemoryError):
                    # Broken since it was loaded: keep it, aside, then save ours.
                    _set_aside(self.path)
                for ref in add:
                    if ref not in current:
                        current.append(ref)
                current = [r for r in current if r not in remove]
                self._save(current)
        except OSError as exc:
            raise StateError(
                f"Could not save stars to {self.path}: {exc.strerror or exc}"
            ) from None
        self._refs = current

    def _save(self, refs: list[str]) -> None:
        payload = json.dumps({"version": _FORMAT_VERSION, "starred": refs}, indent=1) + "\n"
        data = payload.encode("utf-8")
        files.write_atomic(
            self.path, lambda out: out.write(data), fsync=True, prefix=self._temp_prefix
        )

    @property
    def _temp_prefix(self) -> str:
        return f".{self.path.name}."

    def _remove_stale_temporaries(self) -> None:
        """Remove what a save killed half-way left behind (under the lock)."""
        folder = self.path.parent
        with contextlib.suppress(OSError, StateError), _locked(folder, wait=False):
            for entry in os.scandir(folder):
                if entry.name.startswith(self._temp_prefix) and entry.is_file(
                    follow_symlinks=False
                ):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


@contextlib.contextmanager
def _locked(folder: Path, wait: bool = True) -> Iterator[int]:
    """Hold an exclusive lock on ``folder``; yields the folder's descriptor.

    Every save holds it from reading the file to the rename, so saves by
    several processes are serialised.  Waits up to `LOCK_TIMEOUT` seconds
    (not forever: another instance could be stopped while saving).
    """
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        deadline = time.monotonic() + (LOCK_TIMEOUT if wait else 0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    break  # locks not supported here: go on unlocked
                if time.monotonic() >= deadline:
                    raise StateError(
                        f"Could not save stars: another lbn-tui is saving to {folder}"
                    ) from None
                time.sleep(0.01)
        yield fd
    finally:
        os.close(fd)  # releases the lock
