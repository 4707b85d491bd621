"""The command palette, with its own footer (its keys, not the browser's)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import CommandPalette

from lbn_tui.tui.widgets.footer import LeanFooter


class Palette(CommandPalette):
    """Textual's command palette and a footer with its keys."""

    # Textual's list takes 70% of the height, over everything (overlay): at
    # 24 rows it would hide the footer's row.
    DEFAULT_CSS = """
    Palette CommandList {
        max-height: 60vh;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "escape", "Close", id="palette.close"),
    ]

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield LeanFooter()
