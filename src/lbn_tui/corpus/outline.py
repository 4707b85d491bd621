"""The corpus as the reader browses it: its lists and the contents tree.

Each list (sessions, a session's briefing pack and reading list, the
vision's recommendation groups, case studies, quotes by speaker, figures,
FAQ, articles, references, starred passages) is named here once: its key
(``list:NAME[:ARG]``), its title, the entries it holds and its node in the
contents tree.  Plain data, no Textual: the browser renders it.

The tree and the lists are worked out from `Columns` (each entry's id,
kind, title, group and number): a corpus read from the large-pack store
(`corpus/store.py`) has them without decoding its entries, so that only
the entries a list shows are decoded (the tree decodes only the sessions).
The children of the tree's long branches (quotes by speaker, figures,
references…) are made when read (`LazyNodes`): the navigator shows the
first 200 of a branch, and a pack of 100 000 quotes, each by its own
speaker, made 200 000 nodes for them (0.8 s, 1.6 s on a first start).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

import msgspec

from lbn_tui.corpus import model

#: Places that are lists rather than entries start with this.
LIST_PREFIX = "list:"


class OutlineNode(msgspec.Struct, frozen=True):
    """One node of the contents tree: its label, the place it opens, its children."""

    label: str
    key: str
    children: Sequence[OutlineNode] = ()
    expanded: bool = False
    count: int | None = None


_T = TypeVar("_T")
#: `LazyNodes` makes its nodes this many at a time.
LAZY_BLOCK = 256


class LazyNodes(Sequence[OutlineNode]):
    """The nodes ``make`` makes of ``items``, each block of `LAZY_BLOCK`
    made when one of its nodes is first read, then kept: what reads the
    first 200 of 100 000 costs 256.  Equal to any sequence of the same
    nodes (a tuple, say), and hashed like that tuple."""

    __slots__ = ("_items", "_made", "_make")

    def __init__(
        self, items: Sequence[_T], make: Callable[[Sequence[_T]], list[OutlineNode]]
    ) -> None:
        self._items: Sequence[Any] = items
        self._make: Callable[[Sequence[Any]], list[OutlineNode]] = make
        self._made: dict[int, list[OutlineNode]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(len(self))[index])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        block, at = divmod(index, LAZY_BLOCK)
        made = self._made.get(block)
        if made is None:
            start = block * LAZY_BLOCK
            made = self._made[block] = self._make(self._items[start : start + LAZY_BLOCK])
        return made[at]

    def __iter__(self) -> Iterator[OutlineNode]:
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        return model.same_items(self, other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"LazyNodes({len(self)} nodes)"


def is_vision_article(entry: model.Entry) -> bool:
    """The vision's own argument (shown under "Vision", not "Articles")."""
    return _is_vision(entry.id, entry.kind)


def _is_vision(entry_id: str, kind: str) -> bool:
    return kind == "article" and "vision" in entry_id


def group_of(entry: model.Entry) -> str:
    """What the contents tree groups or sorts an entry by: a quote's speaker,
    a recommendation's group, a session's series ("" for the other kinds)."""
    if isinstance(entry, model.Quote):
        return entry.speaker
    if isinstance(entry, model.Recommendation):
        return entry.group
    if isinstance(entry, model.Session):
        return entry.series
    return ""


def number_of(entry: model.Entry) -> int:
    """A recommendation's or a session's number (0 for the other kinds)."""
    if isinstance(entry, (model.Recommendation, model.Session)):
        return entry.number
    return 0


@dataclass(frozen=True, slots=True)
class Columns:
    """What the contents tree needs of every entry, in corpus order, without
    the entries: id, kind, title, `group_of`, `number_of`; ``position`` of
    each id; ``quote_texts(positions)``, the text of the quotes at those
    positions.  A corpus that keeps its columns (the store's) keeps in
    ``made`` what is made of them once (the contents tree but its starred
    passages: the app's loader makes it in its thread, the browser shows it)."""

    ids: Sequence[str]
    kinds: Sequence[str]
    titles: Sequence[str]
    groups: Sequence[str]
    numbers: Sequence[int]
    position: Mapping[str, int]
    quote_texts: Callable[[Sequence[int]], list[str]]
    made: dict[str, tuple[OutlineNode, ...]] = field(default_factory=dict, compare=False)

    def of_kind(self, kind: str) -> list[int]:
        """Positions of the entries of ``kind``, in order."""
        return [i for i, k in enumerate(self.kinds) if k == kind]


@runtime_checkable
class HasColumns(Protocol):
    """A corpus that knows its `Columns` without decoding its entries
    (`lbn_tui.corpus.store.StoredCorpus`)."""

    def outline_columns(self) -> Columns: ...


def columns(corpus: model.Corpus) -> Columns:
    """The corpus's `Columns`: its own if it has them, else from its entries."""
    if isinstance(corpus, HasColumns):
        return corpus.outline_columns()
    entries = tuple(corpus.entries)

    def quote_texts(positions: Sequence[int]) -> list[str]:
        out = []
        for i in positions:
            quote = entries[i]
            assert isinstance(quote, model.Quote)
            out.append(quote.text)
        return out

    return Columns(
        ids=[e.id for e in entries],
        kinds=[e.kind for e in entries],
        titles=[e.title for e in entries],
        groups=[group_of(e) for e in entries],
        numbers=[number_of(e) for e in entries],
        position={e.id: i for i, e in enumerate(entries)},
        quote_texts=quote_texts,
    )


def _decoded(corpus: model.Corpus, cols: Columns, positions: Iterable[int]) -> list[model.Entry]:
    return [corpus.by_id[cols.ids[i]] for i in positions]


def sessions(corpus: model.Corpus) -> list[model.Session]:
    cols = columns(corpus)
    # Few: decoded, then sorted by their own fields.
    found = [
        e for e in _decoded(corpus, cols, cols.of_kind("session")) if isinstance(e, model.Session)
    ]
    series = list(model.SESSION_SERIES)
    return sorted(found, key=lambda s: (series.index(s.series), s.number))


def _recommendations(cols: Columns, group: str) -> list[int]:
    found = [i for i in cols.of_kind("recommendation") if cols.groups[i] == group]
    return sorted(found, key=lambda i: cols.numbers[i])


def recommendations(corpus: model.Corpus, group: str) -> list[model.Recommendation]:
    cols = columns(corpus)
    found = _decoded(corpus, cols, _recommendations(cols, group))
    return [e for e in found if isinstance(e, model.Recommendation)]


def _speakers(cols: Columns) -> dict[str, list[int]]:
    """The quotes' positions by speaker, speakers by surname.

    Sorted by a string (`_surname_order`), not a tuple: the cyclic collector
    tracks tuples, and 100 000 speakers (a hostile pack) made 100 000 key
    tuples, which started a full collection of everything the app holds."""
    groups: dict[str, list[int]] = {}
    for i in cols.of_kind("quote"):
        groups.setdefault(cols.groups[i], []).append(i)
    return {name: groups[name] for name in sorted(groups, key=_surname_order)}


def _surname_order(name: str) -> str:
    """`surname_key` as one string, which sorts the same: the surname, a NUL
    (below any character of a name, which holds none), the whole name."""
    surname, whole = surname_key(name)
    return f"{surname}\0{whole}"


def quotes_by_speaker(corpus: model.Corpus) -> dict[str, list[model.Quote]]:
    cols = columns(corpus)
    return {
        speaker: [e for e in _decoded(corpus, cols, found) if isinstance(e, model.Quote)]
        for speaker, found in _speakers(cols).items()
    }


def surname_key(name: str) -> tuple[str, str]:
    """Sort people by surname: the last word of the name ("Professor Sarah
    Pearson" under P), then the whole name."""
    words = name.casefold().split()
    return (words[-1] if words else "", name.casefold())


LIST_TITLES = {
    "sessions": "Sessions",
    "vision": "The vision",
    "case-studies": "Case studies",
    "quotes": "Quotes",
    "figures": "Figures",
    "faq": "Frequently asked questions",
    "articles": "Articles",
    "references": "References",
    "starred": "Starred passages",
}


def list_key(name: str, arg: str = "") -> str:
    return f"{LIST_PREFIX}{name}:{arg}" if arg else f"{LIST_PREFIX}{name}"


STARRED_KEY = list_key("starred")


def list_title(corpus: model.Corpus, key: str) -> str:
    name, _, arg = key.removeprefix(LIST_PREFIX).partition(":")
    if name == "recs":
        return model.RECOMMENDATION_GROUPS.get(arg, "Recommendations")
    if name in ("pack", "reading"):
        session = corpus.get(arg)
        where = session.label if isinstance(session, model.Session) else arg
        return f"{'Briefing pack' if name == 'pack' else 'Reading list'} · {where}"
    if name == "speaker":
        return f"Quotes · {arg}"
    return LIST_TITLES.get(name, name)


def list_entries(
    corpus: model.Corpus, key: str, starred: Iterable[str] = ()
) -> list[tuple[model.Entry, model.Passage | None]]:
    """The entries (and, for starred refs, the passage) a list shows."""
    name, _, arg = key.removeprefix(LIST_PREFIX).partition(":")
    entries: list[model.Entry] = []
    if name == "sessions":
        entries = list(sessions(corpus))
    elif name == "recs":
        entries = list(recommendations(corpus, arg))
    elif name in ("pack", "reading"):
        session = corpus.get(arg)
        if isinstance(session, model.Session):
            ids = session.briefing_pack if name == "pack" else session.reading_list
            entries = [e for e in (corpus.get(i) for i in ids) if e is not None]
    elif name == "speaker":
        cols = columns(corpus)
        entries = _decoded(corpus, cols, _speakers(cols).get(arg, []))
    elif name == "quotes":
        cols = columns(corpus)
        entries = _decoded(corpus, cols, [i for found in _speakers(cols).values() for i in found])
    elif name in ("vision", "articles"):
        cols = columns(corpus)
        vision = name == "vision"
        chosen = [i for i in cols.of_kind("article") if ("vision" in cols.ids[i]) == vision]
        entries = _decoded(corpus, cols, chosen)
    elif name == "starred":
        out: list[tuple[model.Entry, model.Passage | None]] = []
        for ref in starred:
            found = model.resolve_ref(corpus, ref)
            if found is not None:
                out.append(found)
        return out
    else:
        kind = {
            "case-studies": "case-study",
            "figures": "figure",
            "faq": "faq",
            "references": "reference",
        }.get(name)
        if kind:
            entries = list(corpus.of_kind(kind))
    return [(e, None) for e in entries]


def one_line(text: str) -> str:
    """``text`` on one line (the tree cuts it to its width)."""
    return " ".join(text.split())


def shorten(text: str, chars: int = 48) -> str:
    """``text`` on one line, cut to ``chars`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def contents(corpus: model.Corpus, starred: tuple[OutlineNode, ...]) -> list[OutlineNode]:
    """The contents tree: every list of the corpus, in the order shown.

    Made from the corpus's `Columns`: of the entries, only the sessions are
    decoded (their briefing packs and reading lists)."""
    cols = columns(corpus)
    lists = cols.made.get("contents")
    if lists is None:
        lists = cols.made["contents"] = tuple(_lists(corpus, cols))
    return [*lists, OutlineNode("Starred", STARRED_KEY, starred, count=len(starred))]


def _lists(corpus: model.Corpus, cols: Columns) -> list[OutlineNode]:
    """The contents tree but its last node (the starred passages)."""
    by_kind: dict[str, list[int]] = {}
    for i, kind in enumerate(cols.kinds):
        by_kind.setdefault(kind, []).append(i)
    titles, ids, position = cols.titles, cols.ids, cols.position

    def leaves(entry_ids: Iterable[str]) -> tuple[OutlineNode, ...]:
        return tuple(OutlineNode(titles[position[i]], i) for i in entry_ids if i in position)

    def titled(positions: Sequence[int]) -> list[OutlineNode]:
        return [OutlineNode(titles[i], ids[i]) for i in positions]

    def quote_leaves(positions: Sequence[int]) -> list[OutlineNode]:
        texts = cols.quote_texts(positions)
        return [OutlineNode(one_line(t), ids[q]) for q, t in zip(positions, texts, strict=True)]

    items: list[OutlineNode] = []
    session_nodes = []
    for s in sessions(corpus):
        children = []
        if s.briefing_pack:
            children.append(
                OutlineNode(
                    "Briefing pack",
                    list_key("pack", s.id),
                    leaves(s.briefing_pack),
                    count=len(s.briefing_pack),
                )
            )
        if s.reading_list:
            children.append(
                OutlineNode(
                    "Reading list",
                    list_key("reading", s.id),
                    leaves(s.reading_list),
                    count=len(s.reading_list),
                )
            )
        same = s.title.casefold().startswith(s.label.casefold().rsplit(" ", 1)[0])
        label = s.title if same else f"{s.label}: {s.title}"
        session_nodes.append(OutlineNode(label, s.id, tuple(children)))
    if session_nodes:
        items.append(OutlineNode("Sessions", list_key("sessions"), tuple(session_nodes), True))
    vision: list[OutlineNode] = []
    for group, label in (
        ("best-case-scenario", "Recommendations (best-case scenario)"),
        ("building-blocks", "Building blocks"),
    ):
        recs = _recommendations(cols, group)
        if recs:
            vision.append(
                OutlineNode(
                    label,
                    list_key("recs", group),
                    LazyNodes(
                        recs,
                        lambda found: [
                            OutlineNode(f"{cols.numbers[r]}. {titles[r]}", ids[r]) for r in found
                        ],
                    ),
                    count=len(recs),
                )
            )
    cases = by_kind.get("case-study", [])
    if cases:
        vision.append(
            OutlineNode(
                "Case studies",
                list_key("case-studies"),
                LazyNodes(cases, titled),
                count=len(cases),
            )
        )
    articles = by_kind.get("article", [])
    vision += [OutlineNode(titles[a], ids[a]) for a in articles if _is_vision(ids[a], "article")]
    if vision:
        items.append(OutlineNode("Vision", list_key("vision"), tuple(vision), True))
    speakers = _speakers(cols)
    if speakers:

        def speaker_nodes(names: Sequence[str]) -> list[OutlineNode]:
            return [
                OutlineNode(
                    name,
                    list_key("speaker", name),
                    LazyNodes(speakers[name], quote_leaves),
                    count=len(speakers[name]),
                )
                for name in names
            ]

        items.append(
            OutlineNode(
                "Quotes",
                list_key("quotes"),
                LazyNodes(list(speakers), speaker_nodes),
                count=sum(map(len, speakers.values())),
            )
        )
    for name, kind, label in (
        ("figures", "figure", "Figures"),
        ("faq", "faq", "FAQ"),
        ("articles", "article", "Articles"),
        ("references", "reference", "References"),
    ):
        found = [i for i in by_kind.get(kind, []) if not _is_vision(ids[i], kind)]
        if found:
            items.append(
                OutlineNode(label, list_key(name), LazyNodes(found, titled), count=len(found))
            )
    return items


def leaf(corpus: model.Corpus, entry_id: str) -> OutlineNode:
    return OutlineNode(corpus.by_id[entry_id].title, entry_id)
