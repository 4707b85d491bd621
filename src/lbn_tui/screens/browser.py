"""The main screen: navigator tree, reader pane, search panel, footer.

Widgets post messages up; this screen decides what they mean: it owns
the history, the star store calls, copying and the export dialog.

For a fast first frame, only what that frame shows is composed: the search
panel is mounted on the first "/", and the contents tree, when it is folded
away (narrow terminals), right after the first frame.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget

from lbn_tui import model
from lbn_tui.export import attributed_text, export_starred
from lbn_tui.screens.places import History, Place
from lbn_tui.screens.views import (
    build_view,
    is_vision_article,
    list_key,
    quotes_by_speaker,
    recommendations,
    sessions,
)
from lbn_tui.state import StarStore, StateError
from lbn_tui.widgets.footer import LeanFooter
from lbn_tui.widgets.reader import Reader

if TYPE_CHECKING:  # imported when first mounted: not needed for the first frame
    from lbn_tui.search import SearchIndex
    from lbn_tui.widgets.navigator import Navigator, NavItem
    from lbn_tui.widgets.search_panel import SearchPanel

NARROW_BELOW = 90
STARRED_KEY = list_key("starred")
TOAST_SECONDS = 2
TOAST_CHARS = 26


def _short(text: str, chars: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def nav_items(corpus: model.Corpus, starred: tuple[NavItem, ...]) -> list[NavItem]:
    """The tree, from the corpus."""
    from lbn_tui.widgets.navigator import NavItem

    items: list[NavItem] = []
    session_nodes = []
    for s in sessions(corpus):
        children = []
        if s.briefing_pack:
            children.append(
                NavItem(
                    "Briefing pack",
                    list_key("pack", s.id),
                    tuple(_leaf(corpus, i) for i in s.briefing_pack if i in corpus.by_id),
                    count=len(s.briefing_pack),
                )
            )
        if s.reading_list:
            children.append(
                NavItem(
                    "Reading list",
                    list_key("reading", s.id),
                    tuple(_leaf(corpus, i) for i in s.reading_list if i in corpus.by_id),
                    count=len(s.reading_list),
                )
            )
        same = s.title.casefold().startswith(s.label.casefold().rsplit(" ", 1)[0])
        label = s.title if same else f"{s.label}: {s.title}"
        session_nodes.append(NavItem(label, s.id, tuple(children)))
    if session_nodes:
        items.append(NavItem("Sessions", list_key("sessions"), tuple(session_nodes), True))
    vision: list[NavItem] = []
    for group, label in (
        ("best-case-scenario", "Recommendations (best-case scenario)"),
        ("building-blocks", "Building blocks"),
    ):
        recs = recommendations(corpus, group)
        if recs:
            vision.append(
                NavItem(
                    label,
                    list_key("recs", group),
                    tuple(NavItem(f"{r.number}. {r.title}", r.id) for r in recs),
                    count=len(recs),
                )
            )
    cases = corpus.of_kind("case-study")
    if cases:
        vision.append(
            NavItem(
                "Case studies",
                list_key("case-studies"),
                tuple(_leaf(corpus, c.id) for c in cases),
                count=len(cases),
            )
        )
    vision += [NavItem(a.title, a.id) for a in corpus.entries if is_vision_article(a)]
    if vision:
        items.append(NavItem("Vision", list_key("vision"), tuple(vision), True))
    speakers = quotes_by_speaker(corpus)
    if speakers:
        items.append(
            NavItem(
                "Quotes",
                list_key("quotes"),
                tuple(
                    NavItem(
                        speaker,
                        list_key("speaker", speaker),
                        tuple(NavItem(_short(q.text, 40), q.id) for q in quotes),
                        count=len(quotes),
                    )
                    for speaker, quotes in speakers.items()
                ),
                count=sum(len(q) for q in speakers.values()),
            )
        )
    for name, kind, label in (
        ("figures", "figure", "Figures"),
        ("faq", "faq", "FAQ"),
        ("articles", "article", "Articles"),
        ("references", "reference", "References"),
    ):
        found = [
            e for e in corpus.of_kind(kind) if not (kind == "article" and is_vision_article(e))
        ]
        if found:
            items.append(
                NavItem(
                    label,
                    list_key(name),
                    tuple(_leaf(corpus, e.id) for e in found),
                    count=len(found),
                )
            )
    items.append(NavItem("Starred", STARRED_KEY, starred, count=len(starred)))
    return items


def _leaf(corpus: model.Corpus, entry_id: str) -> NavItem:
    from lbn_tui.widgets.navigator import NavItem

    return NavItem(corpus.by_id[entry_id].title, entry_id)


class IndexHolder:
    """Builds the search index once, on whichever thread asks first.

    The browser asks when search is first opened (in a worker), not at start:
    importing the search modules and indexing would slow the first frame.
    """

    def __init__(self, passages: tuple[model.Passage, ...]) -> None:
        self._passages = passages
        self._index: SearchIndex | None = None
        self.started = False
        """Set by whoever starts building it (in a worker)."""
        self._lock = threading.Lock()

    def get(self) -> SearchIndex:
        with self._lock:
            if self._index is None:
                from lbn_tui.search import SearchIndex

                # Large packs: the candidate index comes from the disk cache
                # when the content is unchanged (built and cached otherwise).
                self._index = SearchIndex.load_or_build(self._passages)
            return self._index


class BrowserScreen(Screen[None]):
    """Browse, search, copy and star."""

    # Its CSS (browser.tcss) is in LbnApp.CSS_PATH.
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
        Binding("u", "copy_url", "Copy URL", show=False, id="browser.copy-url"),
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
    ]

    def __init__(
        self,
        corpus: model.Corpus,
        store: StarStore | None,
        index: IndexHolder,
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
                yield Reader(id="reader")
        yield LeanFooter(compact=True, show_command_palette=False)

    def _new_navigator(self) -> Navigator:
        from lbn_tui.widgets.navigator import Navigator

        self._navigator = Navigator(nav_items(self.corpus, self._starred_items()), id="nav")
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
        if self._navigator is not None:  # else it is revealed when mounted
            self._navigator.reveal(place.key)
        self.refresh_bindings()

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
        if self._search is None:
            # Mounted on first use.  Keys typed meanwhile wait in the app's
            # queue: this runs in its task (a priority binding).
            from lbn_tui.widgets.search_panel import SearchPanel

            self._search = SearchPanel(self.index, self._title_of, id="search")
            await self.query_one("#right").mount(self._search, before=self.reader)
        if not self.has_class("-searching"):
            if not self.index.started:
                # Built on first use, in a thread, while the reader types.
                self.index.started = True
                self.run_worker(self.index.get, thread=True, group="index", exit_on_error=False)
            focused = self.focused
            self._before_search = focused if focused is not self.search_panel.input else None
            self.add_class("-searching")
            self.search_panel.run_search()
        # Focus now, not on the next loop turn (`Widget.focus` defers): keys
        # typed right after "/" are already queued and must reach the box.
        self.set_focus(self.search_panel.input, scroll_visible=False)

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
        """The passage keys act on: under the reader's cursor, else the
        first passage of the entry being read."""
        passage = self.reader.current_passage
        if passage is not None:
            return passage
        current = self.history.current
        if current is not None and not current.is_list:
            entry = self.corpus.get(current.key)
            if entry is not None:
                return self.corpus.passages_of(entry.id)[0]
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "search":
            return self._search is None or self.focused is not self._search.input
        if action in ("copy", "star"):
            if self.has_class("-searching"):
                return False
            return True if self.current_passage() is not None else None
        if action in ("back", "forward", "export", "toggle_nav") and self.has_class("-searching"):
            return False
        if action == "leave_hit":
            return self._search_origin is not None and not self.has_class("-searching")
        if action == "back":
            return True if self.history.back else None
        if action == "forward":
            return True if self.history.forward else None
        return True

    def action_copy(self) -> None:
        passage = self.current_passage()
        if passage is None:
            self.notify("Move the cursor to a passage first", severity="warning")
            return
        text = attributed_text(self.corpus, passage)
        self.app.copy_to_clipboard(text)
        what = "quote" if passage.kind == "quote" else "passage"
        self._toast(f"Copied {what}: {_short(passage.text, TOAST_CHARS)}")

    def action_copy_url(self) -> None:
        passage = self.current_passage()
        if passage is None:
            return
        url = self.corpus.by_id[passage.entry_id].source.url
        self.app.copy_to_clipboard(url)
        self._toast(f"Copied URL: {_short(url, TOAST_CHARS)}")

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

    def _starred_items(self) -> tuple[NavItem, ...]:
        from lbn_tui.widgets.navigator import NavItem

        items = []
        for ref in self._starred_refs():
            found = model.resolve_ref(self.corpus, ref)
            if found is None:
                continue
            entry, passage = found
            text = passage.text if passage is not None else entry.title
            items.append(NavItem(_short(text, 40), ref))
        return tuple(items)

    async def action_star(self) -> None:
        passage = self.current_passage()
        if passage is None:
            self.notify("Move the cursor to a passage first", severity="warning")
            return
        if self.store is None or not self.store.available:
            self.notify("Starring is unavailable in this session", severity="warning")
            return
        entry = self.corpus.by_id[passage.entry_id]
        ref = model.passage_ref(passage, entry, self.corpus)
        try:
            now = self.store.toggle(ref)
        except StateError as exc:
            self.notify(str(exc), title="Could not save stars", severity="error", markup=False)
            return
        if self._navigator is not None:  # else built with the stars when mounted
            self._navigator.replace_children(STARRED_KEY, self._starred_items())
        if now:
            self._toast(f"Starred: {_short(passage.text, TOAST_CHARS)}")
        else:
            self._toast("Unstarred — press s again to star it back")
        await self._rerender()

    def action_export(self) -> None:
        refs = self._starred_refs()
        if not refs:
            self.notify("Nothing starred yet: press s on a passage to star it", timeout=4)
            return
        from lbn_tui.screens.export_dialog import ExportScreen

        text = export_starred(self.corpus, refs, fmt="markdown")
        self.app.push_screen(ExportScreen(text, len(refs), served=self.served))
