"""Where the reader can be, and the back/forward history of it."""

from __future__ import annotations

import msgspec
import msgspec.structs

from lbn_tui.corpus.outline import LIST_PREFIX


class Place(msgspec.Struct, frozen=True, gc=False):
    """Something the reader pane can show.

    ``key`` is an entry id or a list key (``list:...``); ``passage`` is the
    index of the passage the cursor sits on; ``highlight`` holds (start, end)
    spans into that passage's text to mark (from a search hit).
    """

    key: str
    passage: int | None = None
    highlight: tuple[tuple[int, int], ...] = ()
    block: int | None = None
    """The reader block the cursor was on when the reader left (for back)."""

    @property
    def is_list(self) -> bool:
        return self.key.startswith(LIST_PREFIX)


class History(msgspec.Struct):
    """Visited places: ``back`` ← ``current`` → ``forward``."""

    limit: int = 200
    back: list[Place] = msgspec.field(default_factory=list)
    current: Place | None = None
    forward: list[Place] = msgspec.field(default_factory=list)

    def visit(self, place: Place) -> None:
        if self.current is not None and place.key == self.current.key:
            self.current = place
            return
        if self.current is not None:
            self.back.append(self.current)
            del self.back[: -self.limit]
        self.current = place
        self.forward.clear()

    def remember_cursor(self, block: int | None) -> None:
        """Keep where the cursor was, so going back returns there."""
        if self.current is not None:
            self.current = msgspec.structs.replace(self.current, block=block)

    def go_back(self) -> Place | None:
        if not self.back or self.current is None:
            return None
        self.forward.append(self.current)
        self.current = self.back.pop()
        return self.current

    def go_forward(self) -> Place | None:
        if not self.forward or self.current is None:
            return None
        self.back.append(self.current)
        self.current = self.forward.pop()
        return self.current
