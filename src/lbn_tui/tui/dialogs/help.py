"""The help screen: every key, grouped by where it works.

Built from the bindings themselves (pairs such as next / previous share a
row), so it cannot fall out of date; two columns, so that it fits 80×24.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from lbn_tui.tui.widgets.footer import LeanFooter

Rows = list[tuple[str, str]]

KEYS_WIDTH = 13
"""Cells of the keys column; a row is this, a gap and the description."""

KeyDisplay = Callable[[Binding], str]
"""`App.get_key_display`: how the app shows a key everywhere (footer included)."""


def _key_names(binding: Binding, display: KeyDisplay, limit: int) -> list[str]:
    """The binding's keys as the app shows them, single characters first."""
    names = [display(Binding(key.strip(), "")) for key in binding.key.split(",")]
    # Letters and ASCII signs first (stable): "j ↓", "g home", "l →", "? f1".
    names.sort(key=lambda name: not (len(name) == 1 and name.isascii()))
    return names[:limit]


def _remapped(binding: BindingType, keymap: Mapping[str, str]) -> BindingType:
    if isinstance(binding, Binding) and binding.id and binding.id in keymap:
        return replace(binding, key=keymap[binding.id])
    return binding


def binding_rows(
    bindings: Iterable[BindingType],
    display: KeyDisplay,
    pairs: Sequence[tuple[str, str, str, int]] = (),
    skip: Iterable[str] = (),
    keymap: Mapping[str, str] | None = None,
) -> Rows:
    """One row per binding, its keys shown by ``display``.

    ``pairs`` of binding ids share a row: ``(first id, second id, description,
    keys of each)``, the keys interleaved (``j k ↓ ↑``); ``skip`` leaves ids out;
    ``keymap`` (binding id -> keys, the reader's settings) replaces keys.
    """
    bindings = [_remapped(b, keymap or {}) for b in bindings]
    by_id = {b.id: b for b in bindings if isinstance(b, Binding) and b.id}
    partner = {first: (second, text, count) for first, second, text, count in pairs}
    merged = {second for _, second, _, _ in pairs}
    left_out = set(skip)
    rows: Rows = []
    for item in bindings:
        if not isinstance(item, Binding) or item.id in merged or item.id in left_out:
            continue
        if item.id in partner and partner[item.id][0] in by_id:
            second, text, count = partner[item.id]
            firsts = _key_names(item, display, count)
            seconds = _key_names(by_id[second], display, count)
            keys = [name for both in zip(firsts, seconds, strict=False) for name in both]
            rows.append((" ".join(keys), text))
        else:
            rows.append((" ".join(_key_names(item, display, 2)), item.description))
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
        yield LeanFooter()  # this screen's keys, over the browser's


def prefix_rows(room: int = 22) -> Rows:
    """The search prefixes (``q:`` quotes …), from the kind filters themselves,
    packed two to a row where the descriptions fit in ``room`` cells."""
    from lbn_tui.search.filters import FILTERS

    rows: Rows = []
    for f in FILTERS:
        if f.kinds is None:
            continue
        key, label = f"{f.prefixes[0]}:", f.label if f.label.isupper() else f.label.lower()
        if rows and "," not in rows[-1][1] and len(rows[-1][1]) + 2 + len(label) <= room:
            rows[-1] = (f"{rows[-1][0]} {key}", f"{rows[-1][1]}, {label}")
        else:
            rows.append((key, label))
    return rows


def help_columns(
    everywhere_bindings: Sequence[BindingType],
    display: KeyDisplay,
    keymap: Mapping[str, str] | None = None,
) -> list[list[tuple[str, Rows]]]:
    """The help screen's two columns, from the bindings of the app, the browser
    and each widget (their ids and descriptions, keys shown by ``display``,
    changed by ``keymap``), plus the keys that Textual's own widgets and app handle."""
    from lbn_tui.tui.widgets.navigator import Navigator
    from lbn_tui.tui.widgets.reader import Reader
    from lbn_tui.tui.widgets.search_panel import SearchPanel

    everywhere = binding_rows(
        everywhere_bindings,
        display,
        keymap=keymap,
        pairs=[
            ("browser.back", "browser.forward", "Back / Forward", 1),
            ("browser.copy", "browser.copy-reference", "Copy citation / ref.", 1),
            ("browser.find-next", "browser.find-previous", "Find the search here", 1),
        ],
        skip=["browser.leave-hit", "browser.close-contents"],
    )
    # Keys that Textual's app, search box and tree handle themselves.
    textual_keys = {
        "focus": " ".join(display(Binding(key, "")) for key in ("tab", "shift+tab")),
        "palette": display(Binding("ctrl+p", "")),
        "enter": display(Binding("enter", "")),
        "move": " ".join(display(Binding(key, "")) for key in ("up", "down")),
    }
    everywhere += [
        (textual_keys["focus"], "Next / previous pane"),
        (textual_keys["palette"], "Go to an entry; themes"),
    ]
    reader = binding_rows(
        Reader.BINDINGS,
        display,
        keymap=keymap,
        pairs=[
            ("reader.next", "reader.previous", "Next / previous", 2),
            ("reader.first", "reader.last", "First / last", 1),
            ("reader.page-down", "reader.page-up", "Page (space too)", 1),
            ("reader.half-down", "reader.half-up", "Half page down / up", 1),
        ],
    )
    leave_hit = (keymap or {}).get("browser.leave-hit", "escape").split(",")
    reader.append(
        (" ".join(display(Binding(k.strip(), "")) for k in leave_hit[:2]), "Back from a search hit")
    )
    search = binding_rows(
        SearchPanel.BINDINGS,
        display,
        keymap=keymap,
        pairs=[
            ("search.filter", "search.filter-back", "Kind filter, next/prev", 1),
            ("search.down", "search.up", "Next / previous hit", 1),
            ("search.pagedown", "search.pageup", "Page down / up", 1),
        ],
    )
    search.insert(1, (textual_keys["enter"], "Open the hit"))
    tree = [
        (textual_keys["move"], "Move"),
        (textual_keys["enter"], "Open; expand a group"),
        *binding_rows(
            Navigator.BINDINGS,
            display,
            keymap=keymap,
            pairs=[("nav.expand", "nav.collapse", "Expand / collapse", 2)],
        ),
        *binding_rows(
            [b for b in everywhere_bindings if getattr(b, "id", "") == "browser.close-contents"],
            display,
        ),
    ]
    return [
        [("Everywhere", everywhere), ("Search one kind", prefix_rows())],
        [("Reader", reader), ("Search", search), ("Contents tree", tree)],
    ]
