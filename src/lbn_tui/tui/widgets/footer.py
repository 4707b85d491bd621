"""The key footer: the most important keys first, whole keys only, rebuilt only on change.

Textual's `Footer` shows the keys in the order the bindings are found and
cuts the last one mid-word when they do not fit (``… q Quit ? Hel`` at 60
columns).  This one orders the keys by `PRIORITY` (binding ids; keys
without an id, or not listed, follow in their own order) and leaves out
whole keys that do not fit, so the first keys (help and quit) are always
shown.

It also recomposes at most once per refresh, and only when the keys it
would show change: Textual's `Footer` recomposes (removes and mounts a
widget per key) after every `refresh_bindings`, once per call; opening a
place, moving the cursor and moving focus each call it.

Each screen (the browser and every dialog) has its own footer, which shows
that screen's keys.
"""

from __future__ import annotations

from collections.abc import Hashable

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from lbn_tui.tui import compat

PRIORITY: tuple[str, ...] = (
    "app.help",
    "app.quit",
    # dialogs
    "palette.close",
    "help.close",
    "copy-text.close",
    "copy-text.copy",
    "copy-text.select-all",
    "export.close",
    "export.copy",
    "export.save",
    # browser
    "search.close",
    "browser.search",
    "search.filter",
    "reader.follow",
    "browser.copy",
    "browser.star",
    "browser.leave-hit",
    "browser.back",
    "browser.contents",
)
"""Binding ids, most important first: the footer shows keys in this order."""

GAP = 1
"""Cells between two keys (the compact footer's ``margin-right``)."""


def key_width(key_display: str, description: str) -> int:
    """Cells a compact `FooterKey` takes: the key, a space, the description, the gap."""
    return cell_len(key_display) + (1 + cell_len(description) if description else 0) + GAP


def _rank(binding: Binding) -> int:
    try:
        return PRIORITY.index(binding.id or "")
    except ValueError:
        return len(PRIORITY)


class LeanFooter(Footer):
    """A compact `Footer` that orders keys by importance and drops those that do not fit."""

    def __init__(self, *, compact: bool = True, show_command_palette: bool = False) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette)
        self._pending = False
        self._shown: Hashable = None

    def _shown_bindings(self) -> list[tuple[Binding, bool, str]]:
        """The shown bindings, one per action, most important first."""
        seen: set[str] = set()
        found: list[tuple[Binding, bool, str]] = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                found.append((binding, active.enabled, active.tooltip))
        found.sort(key=lambda item: _rank(item[0]))  # stable: unlisted keep their order
        return found

    def _fitting(self) -> list[tuple[Binding, bool, str]]:
        """The bindings whose keys fit the width, whole; in priority order."""
        room = self.app.size.width
        kept = []
        for binding, enabled, tooltip in self._shown_bindings():
            width = key_width(self.app.get_key_display(binding), binding.description)
            if width - GAP <= room:  # the last key needs no gap after it
                kept.append((binding, enabled, tooltip))
                room -= width
        return kept

    def compose(self) -> ComposeResult:
        if not compat.footer_bindings_ready(self):
            return
        footer_key = compat.footer_key_class()
        for binding, enabled, tooltip in self._fitting():
            yield footer_key(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)

    def _keys_shown(self) -> Hashable:
        return tuple(
            (binding, enabled, tooltip, self.app.get_key_display(binding))
            for binding, enabled, tooltip in self._fitting()
        )

    def bindings_changed(self, screen: Screen[object]) -> None:
        compat.mark_footer_bindings_ready(self)
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self._schedule()

    def on_resize(self, event: events.Resize) -> None:
        if compat.footer_bindings_ready(self):
            self._schedule()

    def _schedule(self) -> None:
        if not self._pending:
            self._pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        shown = self._keys_shown()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
