"""The main screen: navigator tree, reader pane, search panel, footer.

Widgets post messages up; this screen decides what they mean: it owns
the history, the star store calls, copying and the export dialog.

For a fast first frame, only what that frame shows is composed: the search
panel is mounted on the first "/", and the contents tree, when it is folded
away (narrow terminals), right after the first frame.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import get_current_worker

from lbn_tui.corpus import model
from lbn_tui.corpus.outline import (
    STARRED_KEY,
    OutlineNode,
    contents,
    list_key,
    one_line,
    sessions,
    shorten,
)
from lbn_tui.search.lazy import LazyIndex
from lbn_tui.state import StarStore, StateError
from lbn_tui.tui.browser.commands import EntryCommands
from lbn_tui.tui.browser.history import History, Place
from lbn_tui.tui.browser.views import build_view
from lbn_tui.tui.widgets.breadcrumb import Breadcrumb
from lbn_tui.tui.widgets.footer import LeanFooter
from lbn_tui.tui.widgets.reader import Reader

if TYPE_CHECKING:  # imported when first mounted: not needed for the first frame
    from lbn_tui.search.engine import Hit
    from lbn_tui.tui.widgets.navigator import Navigator
    from lbn_tui.tui.widgets.search_panel import SearchPanel

NARROW_BELOW = 90
#: Hits shown in the search panel (the count says when there are more).
SEARCH_HITS = 30
TOAST_SECONDS = 2
TOAST_CHARS = 26


class BrowserScreen(Screen[None]):
    """Browse, search, copy and star."""

    # Its CSS (browser.tcss) is in LbnApp.CSS_PATH.
    COMMANDS = Screen.COMMANDS | {EntryCommands}
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 (Textual reads it as a class attribute)
        (0, "-narrow"),
        (NARROW_BELOW, "-wide"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        # A priority binding runs while the app reads keys in order, before it
        # forwards the next one: keys typed in a burst after "/" find the
        # search box focused (a normal binding runs only after "/" has been
        # forwarded to the reader and bubbled back, and keys typed meanwhile
        # went to the reader).  In the search box "/" is just a character.
        Binding("slash", "search", "Search", id="browser.search", priority=True),
        Binding("t", "toggle_nav", "Contents", id="browser.contents"),
        Binding("c", "copy", "Copy", id="browser.copy"),
        Binding("s", "star", "Star", id="browser.star"),
        Binding("e", "export", "Export starred", show=False, id="browser.export"),
        Binding("r", "copy_reference", "Copy reference", show=False, id="browser.copy-reference"),
        Binding("u", "copy_url", "Copy URL", show=False, id="browser.copy-url"),
        Binding("n", "find(1)", "Next match", show=False, id="browser.find-next"),
        Binding("N", "find(-1)", "Previous match", show=False, id="browser.find-previous"),
        Binding(
            "alt+left,left_square_bracket,backspace",
            "back",
            "Back",
            id="browser.back",
            key_display="[",
        ),
        Binding(
            "alt+right,right_square_bracket",
            "forward",
            "Forward",
            show=False,
            id="browser.forward",
            key_display="]",
        ),
        Binding(
            "escape",
            "leave_hit",
            "Before search",
            id="browser.leave-hit",
            key_display="esc",
        ),
        Binding(
            "escape",
            "close_contents",
            "Close contents",
            id="browser.close-contents",
            key_display="esc",
        ),
    ]

    def __init__(
        self,
        corpus: model.Corpus,
        store: StarStore | None,
        index: LazyIndex,
        *,
        open_ref: str | None = None,
        served: bool = False,
    ) -> None:
        super().__init__()
        self.corpus = corpus
        self.store = store
        self.index = index
        self.open_ref = open_ref
        self.served = served
        self.history = History()
        self._before_search: Widget | None = None
        self._search_origin: Place | None = None
        """Where the reader was when they opened the search hit now shown."""
        self._starred_shown: tuple[str, ...] | None = None
        """The refs the Starred list shows: one unstarred there stays until it is left."""
        self._navigator: Navigator | None = None
        self._search: SearchPanel | None = None
        self._star_saving = asyncio.Lock()
        self._welcome = open_ref is None
        """The first screen names the app and its keys until the reader moves."""
        self._welcome_cursor: int | None = None

    # -- layout ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The breakpoint class, now rather than on the first resize: the first
        # frame is then drawn at the right layout (at 80 columns, without the tree).
        narrow = self.app.size.width < NARROW_BELOW
        self.set_class(narrow, "-narrow", update=False)
        self.set_class(not narrow, "-wide", update=False)
        with Horizontal(id="body"):
            if not narrow:  # folded away when narrow: mounted after the first frame
                yield self._new_navigator()
            with Vertical(id="right"):
                yield Breadcrumb(id="crumb")
                yield Reader(id="reader")
        yield LeanFooter(compact=True, show_command_palette=False)

    def _new_navigator(self) -> Navigator:
        from lbn_tui.tui.widgets.navigator import Navigator

        self._navigator = Navigator(contents(self.corpus, self._starred_items()), id="nav")
        return self._navigator

    @property
    def reader(self) -> Reader:
        return self.query_one(Reader)

    @property
    def navigator(self) -> Navigator:
        """The contents tree (mounted now if it was not yet)."""
        return self._mount_navigator()

    def _mount_navigator(self) -> Navigator:
        navigator = self._navigator
        if navigator is None:
            navigator = self._new_navigator()
            self.query_one("#body").mount(navigator, before="#right")
            current = self.history.current
            if current is not None:
                navigator.reveal(current.key)
        return navigator

    @property
    def search_panel(self) -> SearchPanel:
        """The search panel; it is mounted by the first `action_search`."""
        if self._search is None:
            raise LookupError("the search panel is mounted by the first action_search")
        return self._search

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    @property
    def nav_visible(self) -> bool:
        return self._navigator is not None and self._navigator.display

    async def on_mount(self) -> None:
        place: Place | None = None
        if self.open_ref:
            place = self._place_for(self.open_ref)
            if place is None:
                self.notify(
                    f"No entry or passage named {self.open_ref!r}",
                    severity="warning",
                    markup=False,
                )
        if place is None:
            first = sessions(self.corpus)
            place = Place(first[0].id) if first else Place(list_key("vision"))
            await self.open_place(place)
            self.call_after_refresh(self._initial_focus, False)
        else:
            await self.open_place(place)
            self.call_after_refresh(self._initial_focus, True)
        if self._navigator is None:
            self.call_after_refresh(self._mount_navigator)

    def on_resize(self) -> None:
        # A resize can hide the focused pane (the tree folds away below
        # NARROW_BELOW columns): focus must stay on something visible.  The
        # breakpoint classes are already set (Screen._on_resize runs first);
        # the styles are not yet, so this goes by the classes.
        if self.app.screen is not self:
            return
        focused = self.focused
        on_nav = self._navigator is not None and focused is self._navigator
        if focused is None or (on_nav and not self._nav_shown()):
            if self.has_class("-searching"):
                self.set_focus(self.search_panel.input, scroll_visible=False)
            elif self.narrow and self.has_class("-show-nav"):
                self.set_focus(self.navigator, scroll_visible=False)
            else:
                self.set_focus(self.reader, scroll_visible=False)

    @property
    def contents_overlay(self) -> bool:
        """True when the contents tree covers the reader (narrow terminals, after t)."""
        return self.narrow and self.has_class("-show-nav")

    def close_contents_overlay(self) -> None:
        """Fold the tree away (narrow terminals), so the reader is seen again."""
        if self.contents_overlay:
            self.remove_class("-show-nav")
            self.set_focus(self.reader, scroll_visible=False)

    def _nav_shown(self) -> bool:
        if self.narrow:
            return self.has_class("-show-nav")
        return not self.has_class("-hide-nav")

    def _initial_focus(self, reader: bool) -> None:
        if self.has_class("-searching"):
            return  # the reader pressed "/" before the first refresh ended
        if reader or self.narrow or not self.nav_visible:
            self.set_focus(self.reader)
        else:
            self.set_focus(self.navigator)

    def _title_of(self, entry_id: str) -> str:
        entry = self.corpus.get(entry_id)
        return entry.title if entry is not None else entry_id

    # -- places ------------------------------------------------------------

    def _place_for(self, target: str) -> Place | None:
        if target.startswith("list:"):
            return Place(target)
        found = model.resolve_ref(self.corpus, target)
        if found is None:
            return None
        entry, passage = found
        return Place(entry.id, passage.index if passage is not None and "#" in target else None)

    async def open_place(
        self, place: Place, *, record: bool = True, keep_starred: bool = False
    ) -> None:
        self._search_origin = None
        if record:
            self.history.remember_cursor(self.reader.cursor)
            self.history.visit(place)
        refs = self._starred_refs()
        if place.key == STARRED_KEY:
            if keep_starred and self._starred_shown is not None:
                # Redrawn after s in the list: an unstarred passage keeps its
                # row (without ★) so that s again stars it back.
                kept = self._starred_shown
                refs = kept + tuple(r for r in refs if r not in kept)
            self._starred_shown = refs
        else:
            self._starred_shown = None
        view = build_view(self.corpus, place, self._is_starred, refs)
        if view is None:
            self.notify(
                f"Nothing named {place.key!r} in the briefings", severity="warning", markup=False
            )
            return
        await self.reader.show(view)
        if self._welcome and self._welcome_cursor is None:
            self._welcome_cursor = self.reader.cursor
        elif self._welcome:
            self._welcome = False  # another place was opened
        self._show_where()
        if self._navigator is not None:  # else it is revealed when mounted
            self._navigator.reveal(place.key)
        self.refresh_bindings()

    def _show_where(self) -> None:
        """The breadcrumb: the kind and title of what is read, the passage n of m."""
        crumb = self.query_one(Breadcrumb)
        current = self.history.current
        if current is None:
            return
        if self._welcome:
            crumb.show("lbn-tui", "t contents", "/ search", "? help", "q quit")
            return
        entry = None if current.is_list else self.corpus.get(current.key)
        if entry is None:
            count = sum(1 for block in self.reader.blocks if block.selectable)
            view = self.reader.view
            title = view.title.plain if view is not None else current.key
            crumb.show(title, f"{count} item{'' if count == 1 else 's'}")
            return
        passage = self.reader.current_passage
        passages = entry.passages()
        where = ""
        if passage is not None and passage.entry_id == entry.id and len(passages) > 1:
            where = f"passage {passage.index + 1} of {len(passages)}"
        elif passage is not None and passage.entry_id != entry.id:
            inner = self.corpus.get(passage.entry_id)  # embedded or linked here
            if inner is not None:
                where = f"{inner.kind_label}: {inner.title}"
        crumb.show(entry.kind_label, entry.title, where)

    async def open_from_palette(self, target: str) -> None:
        """The palette chose an entry: open it and read it."""
        self.close_contents_overlay()
        await self.open_target(target)
        self.reader.focus()

    async def open_target(self, target: str) -> None:
        """Open an entry id, passage ref or list key (links, palette, search)."""
        place = self._place_for(target)
        if place is None:
            self.notify(
                f"Nothing named {target!r} in the briefings", severity="warning", markup=False
            )
            return
        await self.open_place(place)

    async def _rerender(self) -> None:
        current = self.history.current
        if current is None:
            return
        self.history.remember_cursor(self.reader.cursor)
        origin = self._search_origin
        await self.open_place(self.history.current or current, record=False, keep_starred=True)
        self._search_origin = origin

    # -- messages from the widgets -----------------------------------------

    # Handlers by name (not @on(Navigator.Opened)): the widget modules are
    # imported when the widgets are first mounted.

    async def on_navigator_opened(self, event: Navigator.Opened) -> None:
        await self.open_target(event.key)
        if self.narrow and self.has_class("-show-nav"):
            self.remove_class("-show-nav")
            self.reader.focus()

    @on(Reader.Followed)
    async def _followed(self, event: Reader.Followed) -> None:
        if event.target.startswith("url:"):
            self.app.open_url(event.target.removeprefix("url:"))
            return
        await self.open_target(event.target)

    @on(Reader.Moved)
    def _moved(self) -> None:
        self.refresh_bindings()
        if self._welcome and self.reader.cursor != self._welcome_cursor:
            self._welcome = False  # the reader has started reading
        self._show_where()

    async def on_search_panel_chosen(self, event: SearchPanel.Chosen) -> None:
        passage = event.hit.passage
        self._close_search(restore_focus=False)
        self.history.remember_cursor(self.reader.cursor)
        origin = self.history.current
        await self.open_place(Place(passage.entry_id, passage.index, event.hit.spans))
        self._search_origin = origin
        self.refresh_bindings()
        self.reader.focus()

    def on_search_panel_closed(self) -> None:
        self._close_search(restore_focus=True)

    # -- search --------------------------------------------------------------

    async def action_search(self) -> None:
        # Below NARROW_BELOW columns the tree covers the reader's column, where
        # the search panel lives: fold it away, or the search cannot be seen.
        if self.contents_overlay:
            self.remove_class("-show-nav")
        if self._search is None:
            # Mounted on first use.  Keys typed meanwhile wait in the app's
            # queue: this runs in its task (a priority binding).
            from lbn_tui.tui.widgets.search_panel import SearchPanel

            self._search = SearchPanel(self._title_of, id="search")
            await self.query_one("#right").mount(self._search, before=self.reader)
        if not self.has_class("-searching"):
            if self.index.start():
                # Built on first use, in a thread, while the reader types.
                self.run_worker(self.index.get, thread=True, group="index", exit_on_error=False)
            focused = self.focused
            self._before_search = focused if focused is not self.search_panel.input else None
            self.add_class("-searching")
            self.search_panel.run_search()
        # Focus now, not on the next loop turn (`Widget.focus` defers): keys
        # typed right after "/" are already queued and must reach the box.
        self.set_focus(self.search_panel.input, scroll_visible=False)

    def on_search_panel_query_changed(self, event: SearchPanel.QueryChanged) -> None:
        event.stop()
        self._run_search(event.generation, event.query, event.kinds)

    @work(thread=True, exclusive=True, group="search")
    def _run_search(self, generation: int, query: str, kinds: frozenset[str] | None) -> None:
        worker = get_current_worker()
        if not query:
            hits = self._every_entry_of(kinds or frozenset(), SEARCH_HITS + 1)
        else:
            hits = self.index.get().search(
                query, kinds=kinds, limit=SEARCH_HITS + 1, cancelled=lambda: worker.is_cancelled
            )
        if not worker.is_cancelled:  # superseded: its (empty) result is not "no hits"
            more = len(hits) > SEARCH_HITS
            self.app.call_from_thread(
                self.search_panel.show_hits, generation, hits[:SEARCH_HITS], more
            )

    def _every_entry_of(self, kinds: frozenset[str], limit: int) -> list[Hit]:
        """``q:`` alone: every entry of these kinds, in contents order, as hits."""
        from lbn_tui.search.engine import Hit

        hits: list[Hit] = []
        for entry in self.corpus.entries:
            if entry.kind in kinds:
                hits.append(Hit(entry.passages()[0], 100.0, (), "title"))
                if len(hits) >= limit:
                    break
        return hits

    def _close_search(self, *, restore_focus: bool) -> None:
        self.remove_class("-searching")
        if restore_focus:
            target = self._before_search
            if target is not None and target.is_attached and target.display:
                target.focus()
            else:
                self.reader.focus()
        self._before_search = None
        self.refresh_bindings()

    async def action_leave_hit(self) -> None:
        """Escape right after opening a search hit: back to where the search began.

        The hit stays in the history (``]`` goes forward to it again) and the
        query stays in the search box (``/`` shows the same hits).
        """
        origin = self._search_origin
        if origin is None:
            return
        self._search_origin = None
        back = self.history.back
        if back and back[-1] == origin and self.history.current is not None:
            await self.action_back()
        else:  # the hit was in the entry being read: put the cursor back
            await self.open_place(origin, record=False)
            self.history.current = origin
        self.reader.focus()

    # -- the tree --------------------------------------------------------------

    def action_close_contents(self) -> None:
        self.close_contents_overlay()

    def action_toggle_nav(self) -> None:
        if self.narrow:
            self.toggle_class("-show-nav")
            if self.has_class("-show-nav"):
                self.navigator.focus()
            else:
                self.reader.focus()
        else:
            self.toggle_class("-hide-nav")
            if self.has_class("-hide-nav"):
                self.reader.focus()
            else:
                self.navigator.focus()

    # -- history -----------------------------------------------------------------

    async def action_back(self) -> None:
        self.history.remember_cursor(self.reader.cursor)
        place = self.history.go_back()
        if place is None:
            self.notify("Nothing further back", timeout=2)
            return
        await self.open_place(place, record=False)

    async def action_forward(self) -> None:
        self.history.remember_cursor(self.reader.cursor)
        place = self.history.go_forward()
        if place is None:
            self.notify("Nothing further forward", timeout=2)
            return
        await self.open_place(place, record=False)

    # -- passages: copy, star, export --------------------------------------------

    def current_passage(self) -> model.Passage | None:
        """The passage keys act on: the highlighted row's entry when the
        contents tree has the keyboard, else the one under the reader's
        cursor, if that is on screen."""
        navigator = self._navigator
        if navigator is not None and self.focused is navigator and self._nav_shown():
            node = navigator.cursor_node
            key = node.data if node is not None else None
            if not key or key.startswith("list:"):
                return None
            found = model.resolve_ref(self.corpus, key)
            if found is None:
                return None
            row_entry, row_passage = found
            return (
                row_passage if row_passage is not None else self.corpus.passages_of(row_entry.id)[0]
            )
        # Only what the reader can see: never a passage scrolled off screen.
        if not self.reader.cursor_visible:
            return None
        return self.reader.current_passage

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "search":
            return self._search is None or self.focused is not self._search.input
        if action in ("copy", "star", "copy_reference"):
            # Always run (not searching): with nothing to act on, the action
            # says why (a disabled key would ignore the press in silence).
            return not self.has_class("-searching")
        if action in ("back", "forward", "export", "toggle_nav") and self.has_class("-searching"):
            return False
        if action == "leave_hit":
            if self.contents_overlay:
                return False
            return self._search_origin is not None and not self.has_class("-searching")
        if action == "close_contents":
            return self.contents_overlay
        if action == "back":
            return True if self.history.back else None
        if action == "forward":
            return True if self.history.forward else None
        return True

    def action_copy(self) -> None:
        passage = self.current_passage()
        if passage is None:
            self.notify(self._no_passage_reason(), severity="warning")
            return
        from lbn_tui.render import attributed_text  # not needed for the first frame

        text = attributed_text(self.corpus, passage)
        self.app.copy_to_clipboard(text)
        what = "quote" if passage.kind == "quote" else "passage"
        self._toast(f"Copied {what}: {shorten(passage.text, TOAST_CHARS)}")

    def _no_passage_reason(self) -> str:
        if self._navigator is not None and self.focused is self._navigator:
            return "This row is a list: open an entry (Enter) to copy or star from it"
        target = self._cursor_target()
        if target is not None:
            if target.startswith("url:"):
                return "The cursor is on the page's address: u copies it, r its reference"
            return "The cursor is on a link: Enter opens it; ↑ ↓ move to a passage"
        return "Move the cursor to a passage first (↑ ↓)"

    def _cursor_target(self) -> str | None:
        """What the reader's cursor links to (an entry id, or ``url:`` and an
        address), if it is on a link."""
        block = self.reader.current_block if self.reader.is_attached else None
        return block.target if block is not None else None

    def action_find(self, step: int) -> None:
        """n / N: the next (previous) block of what is open that holds a word
        of the last search, the cursor moved there."""
        query = self._search.last_query if self._search is not None else ""
        words = [w for w in query.casefold().split() if len(w) >= 3]
        if not words:
            self.notify("Search first (/): n and N then find its words here", timeout=3)
            return
        reader = self.reader
        blocks = reader.blocks
        order = range(len(blocks))
        start = reader.cursor if reader.cursor is not None else -1
        later = [i for i in order if (i > start if step > 0 else i < start)]
        if step < 0:
            later.reverse()
        for index in later:
            block = blocks[index]
            text = block.content.plain.casefold()
            if block.selectable and any(word in text for word in words):
                reader.cursor = index
                reader.call_after_refresh(reader.scroll_to_cursor)
                return
        where = "below" if step > 0 else "above"
        self.notify(f"No more of {query!r} {where}", timeout=3, markup=False)

    def action_copy_reference(self) -> None:
        """r: the Harvard reference alone of what is under the cursor (the
        work a reading or reference names, else the page), with its id."""
        entry = self._reference_entry()
        if entry is None:
            self.notify(self._no_passage_reason(), severity="warning")
            return
        from lbn_tui.cite import works  # not needed for the first frame

        text = f"{works.reference_text(self.corpus, entry)}. [{entry.id}]"
        self.app.copy_to_clipboard(text)
        self._toast(f"Copied reference: {shorten(text, TOAST_CHARS)}")

    def _reference_entry(self) -> model.Entry | None:
        """What r cites: the passage's entry (the tree's row, the reader's
        cursor), else the entry open in the reader (its cursor on a link or
        the source)."""
        passage = self.current_passage()
        if passage is not None:
            return self.corpus.by_id[passage.entry_id]
        navigator = self._navigator
        if navigator is not None and self.focused is navigator and self._nav_shown():
            return None
        view = self.reader.view
        return self.corpus.get(view.key) if view is not None else None

    def action_copy_url(self) -> None:
        """u: the address of the work under the cursor, or the address the
        cursor is on (a page's source, an editorial fact's page)."""
        passage = self.current_passage()
        if passage is None:
            target = self._cursor_target()
            if target is None or not target.startswith("url:"):
                self.notify(self._no_passage_reason(), severity="warning")
                return
            url = target.removeprefix("url:")
        else:
            from lbn_tui.cite import works

            url = works.address_of(self.corpus, self.corpus.by_id[passage.entry_id])
        self.app.copy_to_clipboard(url)
        self._toast(f"Copied URL: {shorten(url, TOAST_CHARS)}")

    def _toast(self, message: str) -> None:
        """A short one-line notice that replaces the previous one, not stacks under it."""
        # Through the app's queue, so it also clears a notice posted but not yet shown.
        self.app.call_later(self.app.clear_notifications)
        self.notify(message, timeout=TOAST_SECONDS, markup=False)

    def _is_starred(self, passage: model.Passage) -> bool:
        if self.store is None:
            return False
        entry = self.corpus.by_id.get(passage.entry_id)
        return entry is not None and self.store.is_starred(
            model.passage_ref(passage, entry, self.corpus)
        )

    def _starred_refs(self) -> tuple[str, ...]:
        return self.store.refs if self.store is not None else ()

    def _starred_items(self) -> tuple[OutlineNode, ...]:
        items = []
        for ref in self._starred_refs():
            found = model.resolve_ref(self.corpus, ref)
            if found is None:
                continue
            entry, passage = found
            text = passage.text if passage is not None else entry.title
            items.append(OutlineNode(one_line(text), ref))
        return tuple(items)

    async def action_star(self) -> None:
        passage = self.current_passage()
        if passage is None:
            self.notify(self._no_passage_reason(), severity="warning")
            return
        if self.store is None or not self.store.available:
            self.notify("Starring is unavailable in this session", severity="warning")
            return
        entry = self.corpus.by_id[passage.entry_id]
        ref = model.passage_ref(passage, entry, self.corpus)
        try:
            # Saving waits for a file lock (up to 10 s) and fsyncs: off the UI
            # thread, one save at a time, in the order the keys were pressed.
            async with self._star_saving:
                now = await asyncio.to_thread(self.store.toggle, ref)
        except StateError as exc:
            self.notify(str(exc), title="Could not save stars", severity="error", markup=False)
            return
        if self._navigator is not None:  # else built with the stars when mounted
            self._navigator.replace_children(STARRED_KEY, self._starred_items())
        if now:
            self._toast(f"Starred: {shorten(passage.text, TOAST_CHARS)}")
        else:
            self._toast("Unstarred — press s again to star it back")
        await self._rerender()

    def action_export(self) -> None:
        refs = self._starred_refs()
        if not refs:
            self.notify("Nothing starred yet: press s on a passage to star it", timeout=4)
            return
        from lbn_tui.render import export_starred
        from lbn_tui.tui.dialogs.export import ExportScreen

        corpus = self.corpus
        self.app.push_screen(
            ExportScreen(
                lambda fmt: export_starred(corpus, refs, fmt=fmt), len(refs), served=self.served
            )
        )
