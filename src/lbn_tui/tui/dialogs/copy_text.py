"""Text too long for the terminal's clipboard, shown to select and copy in parts.

A terminal takes a copy through OSC 52 only up to a size (see
`lbn_tui.tui.clipboard.OSC52_MAX_BYTES`); above it, the app shows the text
here instead: read-only, selectable with the mouse or shift and the arrows,
and ctrl+c copies the selection (which goes through the same size check).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

from lbn_tui.tui.widgets.footer import LeanFooter


class CopyTextScreen(ModalScreen[None]):
    """The text to copy, selectable; esc closes."""

    DEFAULT_CSS = """
    CopyTextScreen {
        align: center middle;
        background: $background 60%;
    }
    #copy-text {
        width: 90%;
        max-width: 100;
        height: 90%;
        border: round $border;
        background: $surface;
        padding: 0 1;
    }
    #copy-text-why {
        width: 1fr;
        height: auto;
        margin: 0 0 1 0;
    }
    #copy-text-area {
        height: 1fr;
    }
    """

    # Priority: the text area binds the same keys (hidden from the footer).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="copy-text.close"),
        Binding("ctrl+c", "copy", "Copy selection", id="copy-text.copy", priority=True),
        Binding("f7", "select_all", "Select all", id="copy-text.select-all", priority=True),
    ]

    def __init__(self, text: str, size: int, limit: int) -> None:
        super().__init__()
        self.text = text
        self.size_bytes = size
        self.limit = limit

    def compose(self) -> ComposeResult:
        with Vertical(id="copy-text") as box:
            box.border_title = "Too long to copy"
            yield Label(
                Content.assemble(
                    (f"{self.size_bytes:,} bytes", "bold"),
                    f": more than a terminal takes in one copy ({self.limit:,}). "
                    "Select a part (mouse, or shift+arrows) and press ",
                    ("ctrl+c", "bold $text-accent"),
                    " to copy that part.",
                ),
                id="copy-text-why",
            )
            area = TextArea(self.text, read_only=True, soft_wrap=True, id="copy-text-area")
            area.show_line_numbers = False
            yield area
        yield LeanFooter()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_copy(self) -> None:
        area = self.query_one(TextArea)
        if area.selected_text:
            self.app.copy_to_clipboard(area.selected_text)
            self.app.notify(f"Copied {len(area.selected_text):,} characters", timeout=2)
        else:
            self.app.notify("Select part of the text first", severity="warning", timeout=3)

    def action_select_all(self) -> None:
        self.query_one(TextArea).select_all()

    def action_close(self) -> None:
        self.dismiss(None)
