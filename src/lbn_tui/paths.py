"""Where lbn-tui keeps things: the XDG base directories, worked out once.

Each folder is ``$XDG_<KIND>_HOME/lbn-tui`` when that variable holds an
absolute path (the XDG rule: relative values are ignored), else the XDG
default under the home folder.  Nothing here creates a folder.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_DIR_NAME = "lbn-tui"


def _xdg(variable: str, *default: str) -> Path:
    value = os.environ.get(variable, "").strip()
    root = Path(value) if value and os.path.isabs(value) else Path.home().joinpath(*default)
    return root / APP_DIR_NAME


def state_dir() -> Path:
    """``$XDG_STATE_HOME/lbn-tui`` (stars), default ``~/.local/state/lbn-tui``."""
    return _xdg("XDG_STATE_HOME", ".local", "state")


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/lbn-tui`` (corpus and search caches), default ``~/.cache/lbn-tui``."""
    return _xdg("XDG_CACHE_HOME", ".cache")


def data_dir() -> Path:
    """``$XDG_DATA_HOME/lbn-tui`` (the server's host key), default ``~/.local/share/lbn-tui``."""
    return _xdg("XDG_DATA_HOME", ".local", "share")


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/lbn-tui``, default ``~/.config/lbn-tui``."""
    return _xdg("XDG_CONFIG_HOME", ".config")
