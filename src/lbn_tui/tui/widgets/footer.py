"""The key footer, rebuilt only when the keys it shows change.

Textual's `Footer` recomposes (removes and mounts a widget per key) after
every `refresh_bindings`, once per call; opening a place, moving the cursor
and moving focus each call it, so starting the app rebuilt the footer many
times over.  This one coalesces a burst of calls into one check and skips
the rebuild when the shown keys are unchanged.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.screen import Screen
from textual.widgets import Footer

from lbn_tui.tui import compat


class LeanFooter(Footer):
    """A `Footer` that recomposes at most once per refresh, and only on change."""

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette)
        self._pending = False
        self._shown: Hashable = None

    def _keys_shown(self) -> Hashable:
        return tuple(
            (active.binding, active.enabled, active.tooltip)
            for active in self.screen.active_bindings.values()
            if active.binding.show
        )

    def bindings_changed(self, screen: Screen[object]) -> None:
        compat.mark_footer_bindings_ready(self)
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._pending:
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
