"""The navigation tree: sessions, the vision, quotes by speaker and so on.

Each node carries the key of the place it opens (an entry id or a
``list:...`` key).  Selecting a node posts `Navigator.Opened`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from lbn_tui.corpus.outline import OutlineNode

#: At most this many children under one node; the rest are one "… N more"
#: leaf that opens the node's own list.
MAX_CHILDREN = 200


class Navigator(Tree[str]):
    """A tree of `OutlineNode`s.  Labels are plain text, never markup."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,l", "expand_or_enter", "Expand", show=False, id="nav.expand"),
        Binding("left,h", "collapse_or_parent", "Collapse", show=False, id="nav.collapse"),
    ]

    class Opened(Message):
        """A node was selected: open its place."""

        def __init__(self, key: str) -> None:
            self.key = key
            super().__init__()

    def __init__(self, items: Sequence[OutlineNode], *, id: str | None = None) -> None:
        super().__init__("Contents", data="", id=id)
        self.show_root = False
        self.guide_depth = 2
        self._names: dict[str, str] = {}
        self._suffix: dict[str, int] = {}  # cells of the count after a label, by key
        self._add_items(self.root, items)
        self.root.expand()

    def process_label(self, label: str | Text) -> Text:
        text = Text(label) if isinstance(label, str) else label
        return text.split()[0] if "\n" in text.plain else text

    def _label(self, item: OutlineNode) -> Text:
        label = Text(item.label, no_wrap=True, overflow="ellipsis")
        suffix = 0
        if item.count is not None:
            label.append("  ")
            label.append(str(item.count), style="dim")
            suffix = 2 + len(str(item.count))
        self._suffix[item.key] = suffix
        return label

    def render_label(self, node: TreeNode[str], base_style: Style, style: Style) -> Text:
        """The label, cut with "…" to the width left of the guides (the count kept)."""
        text = super().render_label(node, base_style, style)
        depth = 0
        parent = node.parent
        while parent is not None:
            depth += 1
            parent = parent.parent
        if not self.show_root:
            depth -= 1
        room = self.scrollable_content_region.width - 2 * (depth + 1)
        if room <= 1 or text.cell_len <= room:
            return text
        suffix = self._suffix.get(node.data or "", 0) if node.data else 0
        if suffix and room > suffix + 4:
            head, tail = text[: len(text) - suffix], text[len(text) - suffix :]
            head.truncate(room - suffix, overflow="ellipsis")
            return Text.assemble(head, tail, no_wrap=True)
        text.truncate(room, overflow="ellipsis")
        return text

    def _add_items(self, parent: TreeNode[str], items: Sequence[OutlineNode]) -> None:
        for n, item in enumerate(items):
            if n == MAX_CHILDREN and parent is not self.root and parent.data is not None:
                # A huge pack (100 000 speakers): the rest are in the list
                # this branch opens, not 100 000 tree nodes.
                more = OutlineNode(f"… {len(items) - n:,} more", parent.data)
                parent.add_leaf(self._label(more), data=parent.data)
                break
            self._names[item.key] = item.label
            if item.children:
                node = parent.add(self._label(item), data=item.key, expand=item.expanded)
                self._add_items(node, item.children)
            else:
                parent.add_leaf(self._label(item), data=item.key)

    def replace_children(self, key: str, items: Sequence[OutlineNode]) -> None:
        """Rebuild the children of the node whose key is ``key`` (e.g. Starred)."""
        node = self.find(key)
        if node is None:
            return
        node.remove_children()
        self._add_items(node, items)
        node.set_label(self._label(OutlineNode(self._names.get(key, key), key, count=len(items))))

    def find(self, key: str) -> TreeNode[str] | None:
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.data == key and node is not self.root:
                return node
            stack.extend(reversed(node.children))
        return None

    def reveal(self, key: str) -> None:
        """Move the cursor to the node for ``key``, expanding its ancestors."""
        node = self.find(key)
        if node is None:
            return
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        self.call_after_refresh(self.move_cursor, node)

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        event.stop()
        if event.node.data:
            self.post_message(self.Opened(event.node.data))

    def action_expand_or_enter(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and not node.is_expanded:
            node.expand()
        elif node.children:
            self.action_cursor_down()

    def action_collapse_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)
