"""The help screen: every key, grouped by where it works.

Built from the bindings themselves (pairs such as next / previous share a
row), so it cannot fall out of date; two columns, so that it fits 80×24.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

Rows = list[tuple[str, str]]

KEY_NAMES = {
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "question_mark": "?",
    "slash": "/",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "alt+left": "alt+←",
    "alt+right": "alt+→",
    "escape": "esc",
    "pagedown": "pgdn",
    "pageup": "pgup",
    "shift+tab": "⇧tab",
}

KEYS_WIDTH = 11
"""Cells of the keys column; a row is this, a gap and the description."""


def _keys(binding: Binding, limit: int = 2) -> str:
    keys = [k.strip() for k in binding.key.split(",")][:limit]
    return " ".join(KEY_NAMES.get(k, k) for k in keys)


def binding_rows(
    bindings: Iterable[BindingType],
    pairs: Sequence[tuple[str, str, str, str]] = (),
    skip: Iterable[str] = (),
) -> Rows:
    """One row per binding; ``pairs`` of binding ids share a row
    (``(first id, second id, keys, description)``); ``skip`` leaves ids out."""
    by_id = {b.id: b for b in bindings if isinstance(b, Binding) and b.id}
    partner = {first: (second, keys, text) for first, second, keys, text in pairs}
    merged = {second for _, second, _, _ in pairs}
    left_out = set(skip)
    rows: Rows = []
    for item in bindings:
        if not isinstance(item, Binding) or item.id in merged or item.id in left_out:
            continue
        if item.id in partner and partner[item.id][0] in by_id:
            _, keys, text = partner[item.id]
            rows.append((keys, text))
        else:
            rows.append((_keys(item), item.description))
    return rows


class HelpScreen(ModalScreen[None]):
    """Lists every key."""

    CSS_PATH = "help.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-one-column"), (78, "-two-columns")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, columns: list[list[tuple[str, Rows]]]) -> None:
        super().__init__()
        self.columns = columns

    @property
    def groups(self) -> list[tuple[str, Rows]]:
        return [group for column in self.columns for group in column]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as scroll:
            scroll.border_title = "Keys"
            scroll.border_subtitle = "esc to close"
            with Grid(id="help-columns"):
                for column in self.columns:
                    parts: list[Content | str | tuple[str, str]] = []
                    for title, rows in column:
                        if parts:
                            parts.append("\n\n")
                        parts.append((title, "bold $text-primary"))
                        for keys, description in rows:
                            parts += [
                                "\n",
                                (f"{keys:<{KEYS_WIDTH}} ", "bold $text-accent"),
                                description,
                            ]
                    yield Static(Content.assemble(*parts), classes="help-group", markup=False)


def help_columns(everywhere_bindings: Sequence[BindingType]) -> list[list[tuple[str, Rows]]]:
    """The help screen's two columns, from the bindings of the app, the browser
    and each widget (their ids), plus the keys Textual's own widgets handle."""
    from lbn_tui.tui.widgets.navigator import Navigator
    from lbn_tui.tui.widgets.reader import Reader
    from lbn_tui.tui.widgets.search_panel import SearchPanel

    everywhere = binding_rows(
        everywhere_bindings,
        pairs=[("browser.back", "browser.forward", "[ ]", "Back / Forward")],
        skip=["browser.leave-hit"],
    )
    everywhere += [
        ("tab ⇧tab", "Next / previous pane"),
        ("ctrl+p", "Jump to an entry; themes"),
    ]
    reader = binding_rows(
        Reader.BINDINGS,
        pairs=[
            ("reader.next", "reader.previous", "j k ↓ ↑", "Next / previous"),
            ("reader.first", "reader.last", "g G", "First / last"),
        ],
    )
    reader.append(("esc", "Back from a search hit"))
    search = binding_rows(
        SearchPanel.BINDINGS,
        pairs=[
            ("search.filter", "search.filter-back", "tab ⇧tab", "Kind filter, next/prev"),
            ("search.down", "search.up", "↓ ↑", "Next / previous hit"),
            ("search.pagedown", "search.pageup", "pgdn pgup", "Page down / up"),
        ],
    )
    search.insert(1, ("enter", "Open the hit"))
    tree = [
        ("↑ ↓", "Move"),
        ("enter", "Open; expand a group"),
        *binding_rows(
            Navigator.BINDINGS,
            pairs=[("nav.expand", "nav.collapse", "l h → ←", "Expand / collapse")],
        ),
    ]
    return [
        [("Everywhere", everywhere)],
        [("Reader", reader), ("Search", search), ("Contents tree", tree)],
    ]
