"""Search as you type: a query box, a kind filter and the ranked hits.

Each keystroke starts a search in a thread worker; a newer keystroke
supersedes it (``exclusive=True``) and results that arrive for an older
query are dropped (the generation counter), so the UI never waits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from lbn_tui.corpus.model import KIND_BADGES, KIND_LABELS, Passage
from lbn_tui.search.filters import FILTERS, KindFilter, parse_query

if TYPE_CHECKING:  # imported when the index is first built: rapidfuzz is not needed to start
    from lbn_tui.search.engine import Hit

SNIPPET_CHARS = 150

# The kind badge of a hit (each kind's BADGE, model.py): a fixed column (the
# longest badge and a gap), so a long kind never runs into the title.
BADGES = KIND_BADGES
BADGE_WIDTH = max(len(b) for b in BADGES.values())
HIT_BAR = "▌"


def snippet(passage: Passage, spans: tuple[tuple[int, int], ...]) -> Content:
    """A window of the passage text around the first match, matches marked."""
    text = passage.text
    start = 0
    if spans:
        first = spans[0][0]
        start = max(0, first - SNIPPET_CHARS // 3)
        if start:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < first else first
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    body = Content(" ".join(text[start:end].split("\n")))
    for s, e in spans:
        if e > start and s < end:
            body = body.stylize("bold reverse", max(s, start) - start, min(e, end) - start)
    return Content.assemble("…" if start else "", body, "…" if end < len(text) else "")


def hit_badge(kind: str) -> str:
    """The badge column of a hit: always ``BADGE_WIDTH`` cells and a gap of two."""
    label = BADGES.get(kind) or KIND_LABELS.get(kind, kind)
    if len(label) > BADGE_WIDTH:
        label = label[: BADGE_WIDTH - 1] + "…"
    return f"{label:<{BADGE_WIDTH}}  "


def filter_bar(active: KindFilter, width: int) -> Content:
    """The kind filter line, fitted to ``width`` cells.

    When every filter does not fit, a window of them around the active one
    is shown, with ‹ and › where filters are left off: the active filter is
    always on the line.
    """
    lead = "Tab "
    labels = [f" {f.label} " for f in FILTERS]
    last = len(FILTERS) - 1
    at = FILTERS.index(active)

    def needed(lo: int, hi: int) -> int:
        marks = (2 if lo > 0 else 0) + (2 if hi < last else 0)
        return len(lead) + marks + sum(len(label) for label in labels[lo : hi + 1])

    lo = hi = at
    grew = True
    while grew:
        grew = False
        if hi < last and needed(lo, hi + 1) <= width:
            hi += 1
            grew = True
        if lo > 0 and needed(lo - 1, hi) <= width:
            lo -= 1
            grew = True
    parts: list[Content | str | tuple[str, str]] = [(lead, "$text-muted")]
    if lo > 0:
        parts.append(("‹ ", "$text-muted"))
    for index in range(lo, hi + 1):
        style = "bold reverse $text-primary" if index == at else "$text-muted"
        parts.append((labels[index], style))
    if hi < last:
        parts.append((" ›", "$text-muted"))
    return Content.assemble(*parts)


class FilterBar(Widget):
    """One line: the kind filters that fit, the active one always among them."""

    active: reactive[KindFilter] = reactive(FILTERS[0])

    def render(self) -> Content:
        return filter_bar(self.active, self.size.width)


class HitList(OptionList):
    """The hits; the highlighted one has a bar down its left edge.

    The bar is a glyph, not only a colour: it shows in 16 colours, in 256
    and with NO_COLOR, where a background tint can vanish.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"hit-list--bar"}

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        highlighted = self.highlighted
        if highlighted is None or not strip.cell_length:
            return strip
        first = next(iter(strip), None)
        if first is None or first.style is None:
            return strip
        meta = first.style.meta
        if meta.get("option") != highlighted or not first.text.startswith(" "):
            return strip
        bar_style = self.get_visual_style("hit-list--bar").rich_style
        bar = Segment(HIT_BAR, first.style + bar_style + Style.from_meta(meta))
        return Strip.join([Strip([bar], 1), strip.crop(1)])


class SearchPanel(Vertical):
    """The search box, the kind filter line and the hit list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "next_filter", "Kind filter", id="search.filter"),
        Binding(
            "shift+tab", "previous_filter", "Previous kind", show=False, id="search.filter-back"
        ),
        Binding("down", "move(1)", "Next hit", show=False, id="search.down"),
        Binding("up", "move(-1)", "Previous hit", show=False, id="search.up"),
        Binding("pagedown", "move(5)", "Page down", show=False, id="search.pagedown"),
        Binding("pageup", "move(-5)", "Page up", show=False, id="search.pageup"),
        Binding("escape", "close", "Close search", id="search.close"),
    ]

    class Chosen(Message):
        """Enter on a hit: open this passage with these spans marked."""

        def __init__(self, hit: Hit) -> None:
            self.hit = hit
            super().__init__()

    class Closed(Message):
        """Escape: go back to where the reader was."""

    class QueryChanged(Message):
        """The query or the kind filter changed: search, then call `show_hits`."""

        def __init__(self, generation: int, query: str, kinds: frozenset[str] | None) -> None:
            self.generation = generation
            self.query = query
            self.kinds = kinds
            super().__init__()

    def __init__(self, title_of: Callable[[str], str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._input = Input(
            placeholder="Search quotes, recommendations, reading…",
            id="search-input",
            compact=True,
        )
        self._count = Label(Content(""), id="search-count", markup=False)
        self._filter_bar = FilterBar(id="search-filters")
        self._title_of = title_of
        self._filter = FILTERS[0]
        self._generation = 0
        self.hits: list[Hit] = []
        self.last_query = ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="search-line"):
            yield Label(Content.styled("/", "bold $text-accent"), id="search-slash")
            yield self._input
            yield self._count
        yield self._filter_bar
        yield HitList(id="search-hits")

    def on_mount(self) -> None:
        self.query_one(OptionList).can_focus = False
        self._show_filters(self._filter)

    @property
    def input(self) -> Input:
        # Made with the panel, not found by a query: the screen focuses it
        # right after mounting the panel, and keys may arrive before the
        # panel's children are composed.
        return self._input

    @property
    def active_filter(self) -> KindFilter:
        return parse_query(self.input.value, self._filter)[1]

    @property
    def filter_bar(self) -> FilterBar:
        return self._filter_bar

    def _show_filters(self, active: KindFilter) -> None:
        self.filter_bar.active = active

    # -- searching -----------------------------------------------------------

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.run_search()

    def run_search(self) -> None:
        query, kind_filter = parse_query(self.input.value, self._filter)
        self._show_filters(kind_filter)
        self._generation += 1
        self.last_query = query
        if not query and kind_filter.kinds is None:
            self.show_hits(self._generation, [])
            return
        # With a kind chosen (Tab, or a prefix such as "q:"), an empty query
        # lists every entry of that kind.
        self.post_message(self.QueryChanged(self._generation, query, kind_filter.kinds))

    def show_hits(self, generation: int, hits: list[Hit], more: bool = False) -> None:
        """Show the hits for query number ``generation`` (older answers are
        dropped); ``more``: there are more than these."""
        if generation != self._generation:
            return  # a newer query is on its way
        self.hits = hits
        count = f"{len(hits)}{'+' if more else ''} hit{'' if len(hits) == 1 else 's'}"
        self._count.update(Content(count if hits else ""))
        options = self.query_one(OptionList)
        options.clear_options()
        if not hits:
            options.add_option(
                Option(
                    Content.styled(
                        f"No matches for {self.last_query!r}"
                        if self.last_query
                        else "Type to search every passage",
                        "$text-muted",
                    ),
                    disabled=True,
                )
            )
            return
        options.add_options(self._option(hit) for hit in hits)
        options.highlighted = 0

    def _option(self, hit: Hit) -> Option:
        passage = hit.passage
        head = Content.assemble(
            (hit_badge(passage.kind), "bold $text-secondary"),
            (self._title_of(passage.entry_id), "bold"),
        )
        if passage.speaker and passage.kind != "quote":
            head = head.append(Content.styled(f"  · {passage.speaker}", "$text-muted"))
        # One line: the title is cut here, to the list's width (titles hold
        # no "…" of their own); the snippet below shows what matched.
        width = self.query_one(OptionList).scrollable_content_region.width
        if width > 10:
            head = head.truncate(width - 4, ellipsis=True)
        body = snippet(passage, hit.spans)
        return Option(Content.assemble(head, "\n", body))

    def on_resize(self) -> None:
        """Titles are cut to the list's width: cut them again for the new one."""
        if not self.hits:
            return
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(self._option(hit) for hit in self.hits)
        options.highlighted = highlighted

    # -- keys ------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if not self.hits:
            return
        current = options.highlighted or 0
        options.highlighted = max(0, min(len(self.hits) - 1, current + delta))

    def _cycle(self, step: int) -> None:
        index = FILTERS.index(self.active_filter)
        self._filter = FILTERS[(index + step) % len(FILTERS)]
        query, _ = parse_query(self.input.value, self._filter)
        if query != self.input.value.strip():
            self.input.value = query  # the prefix gives way to the chosen kind
        self.run_search()

    def action_next_filter(self) -> None:
        self._cycle(1)

    def action_previous_filter(self) -> None:
        self._cycle(-1)

    def action_close(self) -> None:
        self.post_message(self.Closed())

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._choose()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose()

    def _choose(self) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if self.hits and highlighted is not None and highlighted < len(self.hits):
            self.post_message(self.Chosen(self.hits[highlighted]))
