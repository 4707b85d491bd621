"""The reader pane: an entry (or a list) as a column of blocks.

The reader knows nothing of the corpus.  It is given a `View` (a title and
blocks of `Content`) and shows it.  A cursor moves over the blocks that can
be acted on (passages, list items, links); Enter on a block with a target
posts `Reader.Followed`, and the screen decides what that means.

It is one widget drawn with the line API (not a widget per block): an entry
of a hundred blocks costs one widget's styling and layout, which keeps the
first frame fast.  Each block is wrapped to the width once and cached; the
cursor block is drawn with the ``reader--cursor`` style and a bar.
"""

from __future__ import annotations

from typing import ClassVar, cast

import msgspec
from rich.segment import Segment
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.css.styles import RulesMap
from textual.events import Click, Resize
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.visual import Visual

from lbn_tui.corpus.model import Passage

# Blank lines above (and below) a block, by role; neighbours' margins collapse.
_MARGIN_TOP = frozenset({"title", "heading", "passage", "item", "embed", "note", "source"})
_MARGIN_BOTTOM = frozenset({"source"})
_BAR = "█"


class Block(msgspec.Struct, frozen=True):
    """One paragraph-like thing in the reader.

    ``role`` is one of: title, heading, meta, passage, item, embed, link,
    source, note.  A block with a ``passage`` or a ``target`` can take the
    cursor.
    """

    content: Content
    role: str = "passage"
    passage: Passage | None = None
    target: str | None = None
    label: Content | None = None
    """A label in a column of its own left of the content (``Source``): the
    content's wrapped lines hang under the content, not under the label."""

    @property
    def hang(self) -> int:
        """Cells of the label column (the label and a gap of two)."""
        return self.label.cell_length + 2 if self.label is not None else 0

    @property
    def selectable(self) -> bool:
        return self.passage is not None or self.target is not None


class View(msgspec.Struct, frozen=True):
    """Everything the reader shows for one place."""

    key: str
    title: Content
    blocks: tuple[Block, ...]
    cursor: int | None = None
    """Index into ``blocks`` of the block to put the cursor on."""


class Reader(ScrollView, can_focus=True):
    """Shows a `View`; the cursor picks the passage that keys act on."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "reader--meta",
        "reader--embed",
        "reader--cursor",
        "reader--bar",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Next", show=False, id="reader.next"),
        Binding("up,k", "cursor_up", "Previous", show=False, id="reader.previous"),
        Binding("enter", "follow", "Open", id="reader.follow"),
        Binding("home,g", "cursor_first", "First", show=False, id="reader.first"),
        Binding("end,G", "cursor_last", "Last", show=False, id="reader.last"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="reader.page-down"),
        Binding("pageup,shift+space", "page(-1)", "Page up", show=False, id="reader.page-up"),
        Binding("ctrl+d", "half_page(1)", "Half page down", show=False, id="reader.half-down"),
        Binding("ctrl+u", "half_page(-1)", "Half page up", show=False, id="reader.half-up"),
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
        self._blocks: tuple[Block, ...] = ()
        self._width = -1  # the text width the layout below was made for
        self._spans: list[tuple[int, int]] = []  # (first line, height) per block
        self._owners: list[tuple[int, int]] = []  # (block or -1, line in block) per line
        self._strips: dict[tuple[int, object], list[Strip]] = {}
        self._reading_through = False

    # -- data in ---------------------------------------------------------

    async def show(self, view: View) -> None:
        """Replace what is shown with ``view``."""
        self.view = view
        self.border_title = view.title
        self._blocks = view.blocks
        self._width = -1
        self._strips.clear()
        # The old view's line map goes with it: while the reader has no width
        # (hidden behind the search panel) the layout waits, and nothing may
        # look up the new blocks in the old map meanwhile.
        self._spans = []
        self._owners = []
        self._layout()
        self.scroll_home(animate=False, immediate=True)
        start = view.cursor
        if start is None or not view.blocks[start].selectable:
            start = next((i for i, b in enumerate(view.blocks) if b.selectable), None)
        self.set_reactive(Reader.cursor, None)
        self.cursor = start
        self.refresh()
        if start is not None and view.cursor is not None:
            self.call_after_refresh(self._scroll_to_cursor, True)

    # -- layout ------------------------------------------------------------

    @staticmethod
    def _indent(block: Block) -> int:
        """Cells left of the text: the bar's cell and the padding."""
        return 4 if block.role == "embed" else 2

    def _layout(self) -> None:
        """Wrap every block to the width (once per width) and map the lines."""
        width = self.scrollable_content_region.width
        if width <= 0 or width == self._width:
            return
        self._width = width
        self._strips.clear()
        spans: list[tuple[int, int]] = []
        owners: list[tuple[int, int]] = []
        rules = cast(RulesMap, self.styles)
        below = 0
        for index, block in enumerate(self._blocks):
            gap = max(below, 1 if block.role in _MARGIN_TOP else 0)
            owners.extend([(-1, 0)] * gap)
            text_width = max(1, width - self._indent(block) - 1 - block.hang)
            height = max(1, block.content.get_height(rules, text_width))
            spans.append((len(owners), height))
            owners.extend((index, line) for line in range(height))
            below = 1 if block.role in _MARGIN_BOTTOM else 0
        owners.extend([(-1, 0)] * below)
        self._spans = spans
        self._owners = owners
        self.virtual_size = Size(width, len(owners))

    def on_resize(self, event: Resize) -> None:
        self._layout()
        # The cursor stays where the reader was: bring it back into view.
        if self.cursor is not None and not self.cursor_visible:
            self.call_after_refresh(self._scroll_to_cursor)

    def notify_style_update(self) -> None:
        self._strips.clear()
        super().notify_style_update()

    def _block_strips(self, index: int) -> list[Strip]:
        block = self._blocks[index]
        components: list[str] = []
        if block.role == "meta":
            components.append("reader--meta")
        elif block.role == "embed":
            components.append("reader--embed")
        cursor = index == self.cursor
        if cursor:
            components.append("reader--cursor")
        style = self.get_visual_style(*components)
        key = (index, style)
        strips = self._strips.get(key)
        if strips is not None:
            return strips
        rich_style = style.rich_style
        indent = self._indent(block)
        hang = block.hang
        text_width = max(1, self._width - indent - 1 - hang)
        if cursor:
            bar_style = self.get_visual_style(*components, "reader--bar").rich_style
            left = [Segment(_BAR, bar_style), Segment(" " * (indent - 1), rich_style)]
        else:
            left = [Segment(" " * indent, rich_style)]
        right = Segment(" ", rich_style)
        meta = {"block": index}
        lines = Visual.to_strips(self, block.content, text_width, None, style)
        height = self._spans[index][1]
        lines = lines[:height] + [Strip.blank(0)] * (height - len(lines))
        labels: list[Strip] = []
        if block.label is not None:
            labels = Visual.to_strips(self, block.label, hang, 1, style)[:1]
        strips = []
        for number, line in enumerate(lines):
            if hang:
                label = labels[0] if number == 0 and labels else Strip.blank(0)
                line = Strip.join(
                    [
                        label.crop(0, hang).extend_cell_length(hang, rich_style),
                        line.extend_cell_length(text_width, rich_style),
                    ]
                )
            else:
                line = line.extend_cell_length(text_width, rich_style)
            strips.append(Strip([*left, *line, right]).apply_meta(meta))
        self._strips[key] = strips
        return strips

    def render_line(self, y: int) -> Strip:
        self._layout()
        line = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if 0 <= line < len(self._owners):
            index, offset = self._owners[line]
            if index >= 0:
                return self._block_strips(index)[offset]
        return Strip.blank(width, self.get_visual_style().rich_style)

    # -- what the keys act on --------------------------------------------

    @property
    def blocks(self) -> tuple[Block, ...]:
        return self._blocks

    @property
    def current_block(self) -> Block | None:
        if self.cursor is None or not 0 <= self.cursor < len(self._blocks):
            return None
        return self._blocks[self.cursor]

    @property
    def current_passage(self) -> Passage | None:
        block = self.current_block
        return block.passage if block is not None else None

    def block_region(self, index: int) -> Region:
        """Where block ``index`` is, in the reader's virtual (scrolled) space."""
        self._layout()
        top, height = self._spans[index]
        return Region(0, top, self._width, height)

    def block_offset(self, index: int) -> tuple[int, int] | None:
        """A cell of block ``index`` relative to the widget, if on screen (for clicks)."""
        region = self.block_region(index)
        y = region.y - self.scroll_offset.y
        if not 0 <= y < self.scrollable_content_region.height:
            return None
        gutter = self.scrollable_content_region.x - self.region.x
        return gutter + self._indent(self._blocks[index]), y

    # -- cursor ------------------------------------------------------------

    def _visible_lines(self) -> tuple[int, int]:
        top = round(self.scroll_offset.y)
        return top, top + self.scrollable_content_region.height

    def _block_visible(self, index: int) -> bool:
        first, height = self._spans[index]
        top, bottom = self._visible_lines()
        return first < bottom and first + height > top

    @property
    def cursor_visible(self) -> bool:
        """True when the cursor's block has at least one line on screen."""
        self._layout()
        cursor = self.cursor
        if cursor is None or not 0 <= cursor < len(self._spans):
            return False
        return self._block_visible(cursor)

    def _block_starts_on_screen(self, index: int) -> bool:
        top, bottom = self._visible_lines()
        return top <= self._spans[index][0] < bottom

    def _cursor_into_view(self, downwards: bool) -> None:
        """After the view moved (paging, the wheel, the scrollbar): a cursor
        whose block has left the screen, or shows only its tail, moves to the
        first (paging down) or last (up) block that begins on screen."""
        cursor = self.cursor
        if not self._spans or (
            cursor is not None
            and 0 <= cursor < len(self._spans)
            and self._block_starts_on_screen(cursor)
        ):
            return
        starting = [i for i in self._selectable() if self._block_starts_on_screen(i)]
        if starting:
            self.cursor = starting[0] if downwards else starting[-1]
        elif not self.cursor_visible:
            shown = [i for i in self._selectable() if self._block_visible(i)]
            if shown:
                self.cursor = shown[0] if downwards else shown[-1]

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value) and not self._reading_through:
            self._cursor_into_view(new_value > old_value)

    def _read_through(self, lines: int) -> None:
        """Scroll within the cursor's block (taller than the window): the cursor stays."""
        self._reading_through = True
        try:
            target = max(0, min(self.max_scroll_y, self.scroll_offset.y + lines))
            self.scroll_to(y=target, animate=False, immediate=True)
        finally:
            self._reading_through = False

    def _scroll_by(self, lines: int) -> None:
        self._layout()
        before = self.scroll_offset.y
        target = max(0, min(self.max_scroll_y, before + lines))
        self.scroll_to(y=target, animate=False, immediate=True)
        if target == before:  # at the top or the end: the cursor goes there too
            (self.action_cursor_last if lines > 0 else self.action_cursor_first)()
            return
        self._cursor_into_view(lines > 0)

    def action_page(self, direction: int) -> None:
        """A page down (``direction`` 1) or up (-1), the cursor kept on screen."""
        self._scroll_by(direction * max(1, self.scrollable_content_region.height - 2))

    def action_half_page(self, direction: int) -> None:
        self._scroll_by(direction * self._page())

    def watch_cursor(self, old: int | None, new: int | None) -> None:
        self.refresh()
        self.refresh_bindings()
        self.post_message(self.Moved(self.current_block))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def scroll_to_cursor(self) -> None:
        """Bring the cursor's block into view."""
        self._scroll_to_cursor()

    def _scroll_to_cursor(self, top: bool = False) -> None:
        if self.cursor is None or not 0 <= self.cursor < len(self._blocks):
            return
        region = self.block_region(self.cursor)
        if self._blocks[self.cursor].role in _MARGIN_TOP and region.y > 0:
            region = Region(region.x, region.y - 1, region.width, region.height + 1)
        self.scroll_to_region(region, animate=False, top=top, force=True, immediate=True)

    def _selectable(self) -> list[int]:
        return [i for i, block in enumerate(self._blocks) if block.selectable]

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height // 2)

    def action_cursor_down(self) -> None:
        cursor = self.cursor if self.current_block is not None else None
        if cursor is not None:
            # A block taller than the window is read through before moving on.
            bottom = self.block_region(cursor).bottom
            if bottom > self.scroll_offset.y + self.scrollable_content_region.height:
                self._read_through(self._page())
                return
        after = [i for i in self._selectable() if self.cursor is None or i > self.cursor]
        if after:
            self.cursor = after[0]
            self._scroll_to_cursor()
        else:
            self.scroll_end(animate=False)

    def action_cursor_up(self) -> None:
        cursor = self.cursor if self.current_block is not None else None
        if cursor is not None and self.block_region(cursor).y < self.scroll_offset.y:
            self._read_through(-self._page())
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
        index = event.style.meta.get("block")
        if not isinstance(index, int) or not 0 <= index < len(self._blocks):
            return
        block = self._blocks[index]
        if not block.selectable:
            return
        self.focus()
        self.cursor = index
        # A link follows on a click; an item (which is also a passage) on a double click.
        if block.target and (block.role in ("link", "source") or event.chain >= 2):
            self.post_message(self.Followed(block.target))
