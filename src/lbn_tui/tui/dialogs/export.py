"""The export dialog: the starred passages, to copy or save.

Shows the whole export (read-only) so the reader sees what they get, in
the format chosen (Markdown, text, or CSL-JSON, RIS and BibTeX records for a
reference manager; ``ctrl+t`` or the Format button cycles them), with a
path to save to (default ``./lbn-starred.md``, its extension following the
format; an existing file is only replaced after a second Save).  When the
app is served over SSH the file would land on the server, so the dialog
offers copying only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, TextArea

from lbn_tui.tui.widgets.footer import LeanFooter

DEFAULT_NAME = "lbn-starred.md"
#: Each format the dialog offers: its name for the reader and its file extension.
FORMATS: dict[str, tuple[str, str]] = {
    "markdown": ("Markdown", ".md"),
    "text": ("plain text", ".txt"),
    "csl-json": ("CSL-JSON", ".json"),
    "ris": ("RIS", ".ris"),
    "bibtex": ("BibTeX", ".bib"),
}


def passages(count: int, noun: str = "passage") -> str:
    """``1 passage``, ``2 passages``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class ExportScreen(ModalScreen[Path | None]):
    """Preview the export; save it to a file or copy it."""

    CSS_PATH = "export.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="export.close"),
        Binding("ctrl+s", "save", "Save", id="export.save"),
        Binding("ctrl+y", "copy_all", "Copy all", id="export.copy"),
        Binding("ctrl+t", "next_format", "Format", id="export.format"),
    ]

    def __init__(
        self, write_export: Callable[[str], str], count: int, *, served: bool = False
    ) -> None:
        super().__init__()
        self.write_export = write_export
        self.format = "markdown"
        self.text = write_export(self.format)
        self.count = count
        self.served = served
        self._confirm_overwrite: Path | None = None

    def _title(self) -> Content:
        return Content.assemble(
            (f"Export {passages(self.count, 'starred passage')}", "bold"),
            (f"  as {FORMATS[self.format][0]}", "$text-muted"),
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="export"):
            yield Label(self._title(), id="export-title")
            area = TextArea(self.text, read_only=True, id="export-text", soft_wrap=True)
            area.show_line_numbers = False
            yield area
            if not self.served:
                with Horizontal(id="export-path-line"):
                    yield Label("Save to ", id="export-path-label")
                    yield Input(str(Path.cwd() / DEFAULT_NAME), id="export-path")
            yield Label("", id="export-status", markup=False)
            with Horizontal(id="export-buttons"):
                yield Button("Format", id="format")
                if not self.served:
                    yield Button("Save", id="save", variant="primary")
                yield Button("Copy all", id="copy")
                yield Button("Close", id="close")
        yield LeanFooter()  # this dialog's keys, over the browser's

    def on_mount(self) -> None:
        if self.served:
            self.query_one("#copy", Button).focus()
        else:
            self.query_one("#export-path", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "save" and self.served)

    def _status(self, text: str) -> None:
        self.query_one("#export-status", Label).update(text)

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#export-path")
    def action_save(self) -> None:
        if self.served:
            return
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self._status("Type a file name to save to.")
            return
        path = Path(raw).expanduser()
        if path.is_dir():
            path = path / DEFAULT_NAME
        if path.exists() and self._confirm_overwrite != path:
            self._confirm_overwrite = path
            self._status(f"{path} exists: press Save again to replace it.")
            return
        try:
            path.write_text(self.text, encoding="utf-8")
        except OSError as exc:
            self._status(f"Could not save: {exc.strerror or exc}")
            return
        self.app.notify(
            str(path), title=f"Saved {passages(self.count, 'starred passage')}", markup=False
        )
        self.dismiss(path)

    @on(Input.Changed, "#export-path")
    def _path_changed(self) -> None:
        self._confirm_overwrite = None

    @on(Button.Pressed, "#format")
    def action_next_format(self) -> None:
        """The next format: the preview, the title and the file's extension follow."""
        names = list(FORMATS)
        old = self.format
        self.format = names[(names.index(old) + 1) % len(names)]
        self.text = self.write_export(self.format)
        self.query_one("#export-text", TextArea).load_text(self.text)
        self.query_one("#export-title", Label).update(self._title())
        if not self.served:
            box = self.query_one("#export-path", Input)
            path = Path(box.value)
            if path.suffix == FORMATS[old][1]:
                box.value = str(path.with_suffix(FORMATS[self.format][1]))

    @on(Button.Pressed, "#copy")
    def action_copy_all(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.app.notify(
            f"{passages(self.count)} as {FORMATS[self.format][0]}", title="Copied the export"
        )

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
