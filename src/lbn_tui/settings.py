"""The reader's settings (``config.toml``) and the last place read.

``$XDG_CONFIG_HOME/lbn-tui/config.toml`` holds only these keys::

    theme = "lbn-paper"        # a theme name (the palette's "Change theme" list)
    reopen_last = true         # start where the last session left off

    [keys]                     # binding id = key, or keys
    "browser.search" = "ctrl+f"
    "app.quit" = ["q", "ctrl+d"]

A file that is not valid TOML, a key not listed here or a value of the wrong
type is a `SettingsError` whose message is one ``path:line: message`` line
(TOML syntax errors keep tomllib's line and column).  Theme names and
binding ids are the front end's to know: `check` takes them as arguments.

The file is read only when it exists; nothing here imports Textual.  With
``reopen_last``, the app writes the place it was showing when it quit to
``$XDG_STATE_HOME/lbn-tui/last-place.json`` (atomically).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from lbn_tui import paths
from lbn_tui.files import read_bounded, write_atomic

CONFIG_NAME = "config.toml"
LAST_PLACE_NAME = "last-place.json"
MAX_BYTES = 64 * 1024
"""A settings file larger than this is refused (it holds a handful of keys)."""
KNOWN_KEYS = ("theme", "reopen_last", "keys")


class SettingsError(Exception):
    """The settings file cannot be used; the message is ``path:line: message``."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the settings file says; the defaults where it says nothing."""

    theme: str | None = None
    """A theme name, or None for the app's default."""
    keys: Mapping[str, str] = field(default_factory=dict)
    """Binding id -> keys (comma-separated, as `App.set_keymap` takes them)."""
    reopen_last: bool = False
    path: Path | None = field(default=None, compare=False)
    """The file these came from (None: the defaults)."""
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    """The line each key was read from: ``theme``, ``keys.<binding id>``, …"""

    def problem(self, key: str, message: str) -> SettingsError:
        """A located error about ``key`` (``theme``, ``keys.app.quit``, …)."""
        return SettingsError(f"{self.path or config_path()}:{self.lines.get(key, 1)}: {message}")


def config_path() -> Path:
    """``$XDG_CONFIG_HOME/lbn-tui/config.toml``."""
    return paths.config_dir() / CONFIG_NAME


def last_place_path() -> Path:
    """``$XDG_STATE_HOME/lbn-tui/last-place.json``."""
    return paths.state_dir() / LAST_PLACE_NAME


# --------------------------------------------------------------------------
# Reading.


def load(path: Path | None = None) -> Settings:
    """The settings in ``path`` (default `config_path`); the defaults when there
    is no such file.  Raises `SettingsError`."""
    path = path or config_path()
    try:
        data = read_bounded(path, MAX_BYTES)
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise SettingsError(f"{path}:1: cannot read the settings: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SettingsError(f"{path}:{line}: not UTF-8 text") from None
    return parse(text, path)


def parse(text: str, path: Path) -> Settings:
    """The settings in ``text`` (read from ``path``, for messages)."""
    import tomllib

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}:{_toml_position(exc)}: {_toml_message(exc)}") from None
    lines = _key_lines(text)
    settings = Settings(path=path, lines=lines)
    for key in raw:
        if key not in KNOWN_KEYS:
            raise settings.problem(
                key, f"unknown setting '{key}' (the settings are {', '.join(KNOWN_KEYS)})"
            )
    theme = raw.get("theme")
    if theme is not None and (not isinstance(theme, str) or not theme.strip()):
        raise settings.problem("theme", 'theme must be a theme name, e.g. theme = "lbn-paper"')
    reopen = raw.get("reopen_last", False)
    if not isinstance(reopen, bool):
        raise settings.problem("reopen_last", "reopen_last must be true or false")
    keys_table = raw.get("keys", {})
    if not isinstance(keys_table, dict):
        raise settings.problem("keys", 'keys must be a table: [keys] then binding.id = "key"')
    keys: dict[str, str] = {}
    for binding_id, value in keys_table.items():
        where = f"keys.{binding_id}"
        if isinstance(value, dict):
            # [keys] browser.search = "x" (dotted, unquoted) is a nested table.
            raise settings.problem(
                where, f'quote the binding id: "{binding_id}.…" = "key" under [keys]'
            )
        names = [value] if isinstance(value, str) else value
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) and re.fullmatch(_KEY, n.strip()) for n in names)
        ):
            raise settings.problem(
                where,
                f"keys.{binding_id} must be a key name or a list of them, "
                'e.g. "ctrl+f" or ["q", "ctrl+d"]',
            )
        keys[binding_id] = ",".join(n.strip() for n in names)
    return replace(settings, theme=theme, reopen_last=reopen, keys=keys)


_KEY = r"[A-Za-z0-9_+\-]+|[^\s,]"
"""A Textual key name (``q``, ``ctrl+f``, ``slash``, ``shift+tab``, ``f1``) or one
character (``?``, ``/``).  Patterns are compiled on first use (start-up time)."""


def check(
    settings: Settings,
    *,
    themes: Collection[str] | None = None,
    binding_ids: Collection[str] | None = None,
) -> None:
    """Raise `SettingsError` for a theme or a binding id the front end does not know."""
    if themes is not None and settings.theme is not None and settings.theme not in themes:
        raise settings.problem(
            "theme",
            f"unknown theme '{settings.theme}' (choose from {', '.join(sorted(themes))})",
        )
    if binding_ids is not None:
        for binding_id in settings.keys:
            if binding_id not in binding_ids:
                raise settings.problem(
                    f"keys.{binding_id}",
                    f"no key binding has the id '{binding_id}' (see: lbn-tui config)",
                )


def _toml_position(exc: Exception) -> str:
    """``line:column`` of a TOML syntax error (``line`` when tomllib gives no column)."""
    line = getattr(exc, "lineno", None)  # Python 3.14 adds lineno and colno
    column = getattr(exc, "colno", None)
    if not isinstance(line, int):
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, column = (int(found.group(1)), int(found.group(2))) if found else (1, None)
    return f"{line}:{column}" if isinstance(column, int) else str(line)


def _toml_message(exc: Exception) -> str:
    """tomllib's message, less its ``(at line L, column C)``."""
    message = getattr(exc, "msg", None) or str(exc)
    message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
    return message[:1].lower() + message[1:]


_TABLE = r"\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$"
_ASSIGN = r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.\-]+)\s*="""


def _key_lines(text: str) -> dict[str, int]:
    """Where each key is: ``theme`` -> 2, ``keys`` -> 5, ``keys.app.quit`` -> 6.

    A plain scan (tomllib gives no positions), good for the few keys a valid
    settings file holds.
    """
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(_TABLE, line)
        if header:
            table = header.group(1).strip().strip("\"'")
            lines.setdefault(table, number)
            continue
        assign = re.match(_ASSIGN, line)
        if assign:
            key = assign.group(1).strip("\"'")
            full = f"{table}.{key}" if table else key
            lines.setdefault(full, number)
            if table and "." in key and not assign.group(1).startswith(("'", '"')):
                lines.setdefault(f"{table}.{key.partition('.')[0]}", number)
            if not table and "." in key:  # keys."app.quit" = … at the top
                lines.setdefault(key.partition(".")[0], number)
    return lines


# --------------------------------------------------------------------------
# Writing.


def dump(settings: Settings, *, comment: str = "") -> str:
    """``settings`` as TOML text that `parse` reads back as the same settings."""
    out = [f"# {line}".rstrip() for line in comment.splitlines()]
    if settings.theme is not None:
        out.append(f"theme = {_toml_string(settings.theme)}")
    out.append(f"reopen_last = {'true' if settings.reopen_last else 'false'}")
    if settings.keys:
        out += ["", "[keys]"]
        for binding_id, keys in settings.keys.items():
            names = keys.split(",")
            value = (
                _toml_string(names[0])
                if len(names) == 1
                else "[" + ", ".join(_toml_string(n) for n in names) + "]"
            )
            out.append(f"{_toml_string(binding_id)} = {value}")
    return "\n".join(out) + "\n"


def _toml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def save(settings: Settings, path: Path | None = None) -> None:
    """Write ``settings`` (atomically) to ``path`` (default: where they came from)."""
    target = path or settings.path or config_path()
    text = dump(settings, comment="lbn-tui settings (see: lbn-tui config)")

    def write(handle: IO[bytes]) -> None:
        handle.write(text.encode("utf-8"))

    write_atomic(target, write)


# --------------------------------------------------------------------------
# The last place read.


def read_last_place(path: Path | None = None) -> str | None:
    """The place saved when the app last quit (an id, ``ID#N`` or a ``list:`` key)."""
    import json

    try:
        data = json.loads(read_bounded(path or last_place_path(), 4096))
    except (OSError, ValueError):
        return None
    place = data.get("place") if isinstance(data, dict) else None
    if not isinstance(place, str) or not place or len(place) > 500 or not place.isprintable():
        return None
    return place


def write_last_place(place: str, path: Path | None = None) -> None:
    """Remember ``place`` for the next start (atomically).  Raises `OSError`."""
    import json

    payload = json.dumps({"place": place}, ensure_ascii=False).encode("utf-8")
    write_atomic(path or last_place_path(), lambda handle: handle.write(payload))
