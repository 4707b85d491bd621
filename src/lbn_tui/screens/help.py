"""The help screen: every key, grouped by where it works.

Built from the bindings themselves, so it cannot fall out of date.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Contents tree",
        [
            ("↑ ↓", "Move"),
            ("enter", "Open; expand or collapse a group"),
            ("→ ←  l h", "Expand, collapse"),
            ("space", "Expand or collapse"),
        ],
    ),
    (
        "Anywhere",
        [
            ("tab / shift+tab", "Next / previous pane"),
            ("ctrl+p", "Command palette: jump to any entry by title, change theme"),
        ],
    ),
]


def _keys(binding: Binding) -> str:
    keys = [k.strip() for k in binding.key.split(",")]
    names = {
        "left_square_bracket": "[",
        "right_square_bracket": "]",
        "question_mark": "?",
        "slash": "/",
        "up": "↑",
        "down": "↓",
        "alt+left": "alt+←",
        "alt+right": "alt+→",
    }
    return "  ".join(names.get(k, k) for k in keys)


def binding_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    rows = []
    for item in bindings:
        if isinstance(item, Binding):
            rows.append((_keys(item), item.description))
    return rows


class HelpScreen(ModalScreen[None]):
    """Lists every key."""

    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, groups: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self.groups = groups + EXTRA

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as scroll:
            scroll.border_title = "Keys"
            scroll.border_subtitle = "esc to close"
            for title, rows in self.groups:
                parts: list[Content | str | tuple[str, str]] = [(title, "bold $text-primary")]
                for keys, description in rows:
                    parts += ["\n", (f"  {keys:<20}", "bold $text-accent"), description]
                yield Static(Content.assemble(*parts), classes="help-group", markup=False)
