"""Where briefing files are: the bundled folder, and the files in a folder.

No YAML here: the corpus cache lists the files to key its cache without
importing the parser.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_SUFFIXES = (".yaml", ".yml")
_PACKAGE = Path(__file__).resolve().parent.parent


def bundled_briefings_dir() -> Path:
    """The briefing folder shipped with the package."""
    installed = _PACKAGE / "briefings"
    if installed.is_dir():
        return installed
    # Running from a source checkout (src/ layout, editable install).
    return _PACKAGE.parent.parent / "briefings"


def briefing_files(folder: Path) -> list[Path]:
    """The briefing files in a folder and its subfolders, in a stable order.

    Symbolic links to folders are not followed.  Anything named like a
    briefing file is listed even when it is not a file (a folder, a link to
    a folder, a pipe), so that reading it reports the problem; so is a
    (sub)folder that cannot be listed, whatever its name.
    """
    found: list[Path] = []

    def unlisted(error: OSError) -> None:
        if error.filename is not None:
            found.append(Path(error.filename))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unlisted):
        named = sorted(d for d in dirnames if d.endswith(FILE_SUFFIXES) and not d.startswith("."))
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not d.endswith(FILE_SUFFIXES)
        )
        names = sorted([*named, *(n for n in filenames if n.endswith(FILE_SUFFIXES))])
        for name in names:
            if not name.startswith("."):
                found.append(Path(dirpath) / name)
    return found
