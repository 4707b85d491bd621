"""The corpus as the reader browses it: its lists and the contents tree.

Each list (sessions, a session's briefing pack and reading list, the
vision's recommendation groups, case studies, quotes by speaker, figures,
FAQ, articles, references, starred passages) is named here once: its key
(``list:NAME[:ARG]``), its title, the entries it holds and its node in the
contents tree.  Plain data, no Textual: the browser renders it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lbn_tui.corpus import model

#: Places that are lists rather than entries start with this.
LIST_PREFIX = "list:"


@dataclass(frozen=True, slots=True)
class OutlineNode:
    """One node of the contents tree: its label, the place it opens, its children."""

    label: str
    key: str
    children: tuple[OutlineNode, ...] = ()
    expanded: bool = False
    count: int | None = None


def is_vision_article(entry: model.Entry) -> bool:
    """The vision's own argument (shown under "Vision", not "Articles")."""
    return isinstance(entry, model.Article) and "vision" in entry.id


def sessions(corpus: model.Corpus) -> list[model.Session]:
    found = [e for e in corpus.entries if isinstance(e, model.Session)]
    series = list(model.SESSION_SERIES)
    return sorted(found, key=lambda s: (series.index(s.series), s.number))


def recommendations(corpus: model.Corpus, group: str) -> list[model.Recommendation]:
    found = [e for e in corpus.entries if isinstance(e, model.Recommendation) and e.group == group]
    return sorted(found, key=lambda r: r.number)


def quotes_by_speaker(corpus: model.Corpus) -> dict[str, list[model.Quote]]:
    groups: dict[str, list[model.Quote]] = {}
    for entry in corpus.entries:
        if isinstance(entry, model.Quote):
            groups.setdefault(entry.speaker, []).append(entry)
    return dict(sorted(groups.items(), key=lambda kv: surname_key(kv[0])))


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
        entries = [q for q in quotes_by_speaker(corpus).get(arg, [])]
    elif name == "quotes":
        entries = [q for group in quotes_by_speaker(corpus).values() for q in group]
    elif name == "vision":
        entries = [e for e in corpus.entries if is_vision_article(e)]
    elif name == "articles":
        entries = [
            e for e in corpus.entries if isinstance(e, model.Article) and not is_vision_article(e)
        ]
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
    """The contents tree: every list of the corpus, in the order shown."""
    items: list[OutlineNode] = []
    session_nodes = []
    for s in sessions(corpus):
        children = []
        if s.briefing_pack:
            children.append(
                OutlineNode(
                    "Briefing pack",
                    list_key("pack", s.id),
                    tuple(leaf(corpus, i) for i in s.briefing_pack if i in corpus.by_id),
                    count=len(s.briefing_pack),
                )
            )
        if s.reading_list:
            children.append(
                OutlineNode(
                    "Reading list",
                    list_key("reading", s.id),
                    tuple(leaf(corpus, i) for i in s.reading_list if i in corpus.by_id),
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
        recs = recommendations(corpus, group)
        if recs:
            vision.append(
                OutlineNode(
                    label,
                    list_key("recs", group),
                    tuple(OutlineNode(f"{r.number}. {r.title}", r.id) for r in recs),
                    count=len(recs),
                )
            )
    cases = corpus.of_kind("case-study")
    if cases:
        vision.append(
            OutlineNode(
                "Case studies",
                list_key("case-studies"),
                tuple(leaf(corpus, c.id) for c in cases),
                count=len(cases),
            )
        )
    vision += [OutlineNode(a.title, a.id) for a in corpus.entries if is_vision_article(a)]
    if vision:
        items.append(OutlineNode("Vision", list_key("vision"), tuple(vision), True))
    speakers = quotes_by_speaker(corpus)
    if speakers:
        items.append(
            OutlineNode(
                "Quotes",
                list_key("quotes"),
                tuple(
                    OutlineNode(
                        speaker,
                        list_key("speaker", speaker),
                        tuple(OutlineNode(one_line(q.text), q.id) for q in quotes),
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
                OutlineNode(
                    label,
                    list_key(name),
                    tuple(leaf(corpus, e.id) for e in found),
                    count=len(found),
                )
            )
    items.append(OutlineNode("Starred", STARRED_KEY, starred, count=len(starred)))
    return items


def leaf(corpus: model.Corpus, entry_id: str) -> OutlineNode:
    return OutlineNode(corpus.by_id[entry_id].title, entry_id)
