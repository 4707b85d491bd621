"""One line above the reader that never scrolls away: where the reader is.

``Quote · Jim Burt: “…” · passage 1 of 1``, or a list's title and size.
It is given plain text and draws it on one line, cut with an ellipsis by
the widget (never by the data), with no markup.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget


class Breadcrumb(Widget):
    """Shows the text it is given on one line."""

    DEFAULT_CSS = """
    Breadcrumb {
        height: 1;
        width: 1fr;
        padding: 0 1 0 2;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._content = Content("")

    def show(self, *parts: str) -> None:
        """Show ``parts`` joined by `` · `` (the first in bold)."""
        pieces: list[Content | tuple[str, str] | str] = []
        for number, part in enumerate(p for p in parts if p):
            if number:
                pieces.append(" · ")
            pieces.append((part, "bold") if number == 0 else part)
        self._content = Content.assemble(*pieces)
        self.refresh()

    @property
    def text(self) -> str:
        return self._content.plain

    def render(self) -> Content:
        return self._content
