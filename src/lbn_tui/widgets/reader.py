"""The reader pane: an entry (or a list) as a column of blocks.

The reader knows nothing of the corpus.  It is given a `View` (a title and
blocks of `Content`) and shows it.  A cursor moves over the blocks that can
be acted on (passages, list items, links); Enter on a block with a target
posts `Reader.Followed`, and the screen decides what that means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from lbn_tui.model import Passage


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph-like thing in the reader.

    ``role`` is a CSS class: heading, meta, passage, item, embed, link, source,
    note.  A block with a ``passage`` or a ``target`` can take the cursor.
    """

    content: Content
    role: str = "passage"
    passage: Passage | None = None
    target: str | None = None

    @property
    def selectable(self) -> bool:
        return self.passage is not None or self.target is not None


@dataclass(frozen=True, slots=True)
class View:
    """Everything the reader shows for one place."""

    key: str
    title: Content
    blocks: tuple[Block, ...]
    cursor: int | None = None
    """Index into ``blocks`` of the block to put the cursor on."""


class BlockView(Static):
    """A block on screen.  Content is never parsed as markup."""

    def __init__(self, block: Block, index: int) -> None:
        classes = f"block -{block.role}"
        if block.selectable:
            classes += " -selectable"
        super().__init__(block.content, markup=False, classes=classes)
        self.block = block
        self.index = index


class Reader(VerticalScroll, can_focus=True):
    """Shows a `View`; the cursor picks the passage that keys act on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Next", show=False, id="reader.next"),
        Binding("up,k", "cursor_up", "Previous", show=False, id="reader.previous"),
        Binding("enter", "follow", "Open", id="reader.follow"),
        Binding("home,g", "cursor_first", "First", show=False, id="reader.first"),
        Binding("end,G", "cursor_last", "Last", show=False, id="reader.last"),
    ]

    cursor: reactive[int | None] = reactive(None, init=False)

    class Followed(Message):
        """Enter (or a click) on a block that points somewhere."""

        def __init__(self, target: str) -> None:
            self.target = target
            super().__init__()

    class Moved(Message):
        """The cursor moved to another block."""

        def __init__(self, block: Block | None) -> None:
            self.block = block
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view: View | None = None
        self._views: list[BlockView] = []

    # -- data in ---------------------------------------------------------

    async def show(self, view: View) -> None:
        """Replace what is shown with ``view``."""
        self.view = view
        self.border_title = view.title
        with self.app.batch_update():
            await self.remove_children()
            self._views = [BlockView(block, i) for i, block in enumerate(view.blocks)]
            await self.mount_all(self._views)
        self.scroll_home(animate=False)
        start = view.cursor
        if start is None or not view.blocks[start].selectable:
            start = next((v.index for v in self._views if v.block.selectable), None)
        self.set_reactive(Reader.cursor, None)
        self.cursor = start
        if start is not None and view.cursor is not None:
            self.call_after_refresh(self._scroll_to_cursor, True)

    # -- what the keys act on --------------------------------------------

    @property
    def current_block(self) -> Block | None:
        if self.cursor is None or not 0 <= self.cursor < len(self._views):
            return None
        return self._views[self.cursor].block

    @property
    def current_passage(self) -> Passage | None:
        block = self.current_block
        return block.passage if block is not None else None

    @property
    def block_views(self) -> list[BlockView]:
        return list(self._views)

    # -- cursor ------------------------------------------------------------

    def watch_cursor(self, old: int | None, new: int | None) -> None:
        if old is not None and 0 <= old < len(self._views):
            self._views[old].remove_class("-cursor")
        if new is not None and 0 <= new < len(self._views):
            self._views[new].add_class("-cursor")
        self.refresh_bindings()
        self.post_message(self.Moved(self.current_block))

    def _scroll_to_cursor(self, top: bool = False) -> None:
        if self.cursor is None or not 0 <= self.cursor < len(self._views):
            return
        self.scroll_to_widget(self._views[self.cursor], animate=False, top=top)

    def _selectable(self) -> list[int]:
        return [v.index for v in self._views if v.block.selectable]

    def action_cursor_down(self) -> None:
        view = self._views[self.cursor] if self.cursor is not None else None
        if view is not None:
            # A block taller than the window is read through before moving on.
            bottom = view.virtual_region.bottom
            if bottom > self.scroll_offset.y + self.scrollable_content_region.height:
                self.scroll_relative(
                    y=max(1, self.scrollable_content_region.height // 2), animate=False
                )
                return
        after = [i for i in self._selectable() if self.cursor is None or i > self.cursor]
        if after:
            self.cursor = after[0]
            self._scroll_to_cursor()
        else:
            self.scroll_end(animate=False)

    def action_cursor_up(self) -> None:
        view = self._views[self.cursor] if self.cursor is not None else None
        if view is not None and view.virtual_region.y < self.scroll_offset.y:
            self.scroll_relative(
                y=-max(1, self.scrollable_content_region.height // 2), animate=False
            )
            return
        before = [i for i in self._selectable() if self.cursor is not None and i < self.cursor]
        if before:
            self.cursor = before[-1]
            self._scroll_to_cursor()
        else:
            self.scroll_home(animate=False)

    def action_cursor_first(self) -> None:
        selectable = self._selectable()
        if selectable:
            self.cursor = selectable[0]
        self.scroll_home(animate=False)

    def action_cursor_last(self) -> None:
        selectable = self._selectable()
        if selectable:
            self.cursor = selectable[-1]
        self.scroll_end(animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "follow":
            block = self.current_block
            return block is not None and bool(block.target)
        return True

    def action_follow(self) -> None:
        block = self.current_block
        if block is not None and block.target:
            self.post_message(self.Followed(block.target))

    def on_click(self, event: Click) -> None:
        widget = event.widget
        if not isinstance(widget, BlockView) or not widget.block.selectable:
            return
        self.focus()
        self.cursor = widget.index
        block = widget.block
        # A link follows on a click; an item (which is also a passage) on a double click.
        if block.target and (block.role in ("link", "source") or event.chain >= 2):
            self.post_message(self.Followed(block.target))
