"""Problems with briefing files, as one-line ``path:line:col: message`` reports.

No YAML here: the command line catches `BriefingsError` without importing
the loader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lbn_tui.sanitize import visible

MAX_MESSAGE_CHARS = 500


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a briefing file.

    The path and the message may quote the file (a key, a tag, a file name):
    control characters in them are shown as escapes, never written raw, and
    a message is cut at `MAX_MESSAGE_CHARS`, so that each problem is one
    harmless line.
    """

    path: str
    line: int
    column: int
    message: str

    def __post_init__(self) -> None:
        message = visible(self.message)
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 1] + "…"
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "path", visible(self.path))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class BriefingsError(Exception):
    """The briefing files could not be loaded; `problems` says why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
