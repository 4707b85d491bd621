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
aside (``starred.json.corrupt-<time>``) and reported, never silently
overwritten.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from lbn_tui import files, paths

STATE_FILE_NAME = "starred.json"
_FORMAT_VERSION = 1
LOCK_TIMEOUT = 2.0  # seconds to wait for another instance's save


class StateError(Exception):
    """A state file could not be saved; the message is one line for the reader."""


def _parse(data: bytes) -> list[str]:
    value = json.loads(data.decode("utf-8"))
    if not isinstance(value, dict) or not isinstance(value.get("starred"), list):
        raise ValueError("expected an object with a 'starred' list")
    refs = value["starred"]
    if not all(isinstance(r, str) for r in refs):
        raise ValueError("'starred' must hold strings")
    return list(dict.fromkeys(refs))


class StarStore:
    """The starred passage refs (see `model.passage_ref`), in starring order."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else paths.state_dir() / STATE_FILE_NAME
        self._refs: list[str] = []
        self.available = True

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(self._refs)

    def is_starred(self, ref: str) -> bool:
        return ref in self._refs

    def load(self) -> str | None:
        """Read the file; returns a one-line notice when something was wrong."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            self._refs = []
            self._remove_stale_temporaries()
            return None
        except OSError as exc:
            self.available = False
            return f"Starring is unavailable: cannot read {self.path}: {exc.strerror or exc}"
        try:
            self._refs = _parse(data)
        except (ValueError, UnicodeDecodeError) as exc:
            self._refs = []
            aside = self.path.with_name(
                f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}"
            )
            try:
                os.replace(self.path, aside)
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
                    current = list(dict.fromkeys([*_parse(self.path.read_bytes()), *self._refs]))
                except FileNotFoundError:
                    pass
                except (OSError, ValueError, UnicodeDecodeError):
                    pass  # keep our own view; the save below replaces the bad file
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
