"""Which briefing folders to load: ``--briefings``, ``$LBN_TUI_BRIEFINGS``, the bundled set.

The command line, the app and ``lbn-tui serve`` all decide it here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lbn_tui.corpus.sources import bundled_briefings_dir

#: Colon-separated briefing folders, used when ``--briefings`` is not given.
ENV_BRIEFINGS = "LBN_TUI_BRIEFINGS"
#: Set to 1 by ``lbn-tui serve`` (and the OpenSSH wrapper) for a reader's app.
ENV_SERVED = "LBN_TUI_SERVED"


def named_folders(options: Sequence[Path] | None) -> list[Path]:
    """The folders named by ``--briefings``, else by ``$LBN_TUI_BRIEFINGS`` (may be empty)."""
    folders = list(options or [])
    if not folders:
        env = os.environ.get(ENV_BRIEFINGS, "")
        folders = [Path(p) for p in env.split(os.pathsep) if p.strip()]
    return folders


def briefing_folders(options: Sequence[Path] | None, with_bundled: bool) -> list[Path]:
    """The folders to load: those named, plus the bundled set when asked or none is named."""
    folders = named_folders(options)
    if not folders:
        return [bundled_briefings_dir()]
    if with_bundled:
        folders.append(bundled_briefings_dir())
    return folders


def is_served() -> bool:
    """True in a reader's app started by ``lbn-tui serve``: nothing may act on the server."""
    return os.environ.get(ENV_SERVED, "") == "1"
