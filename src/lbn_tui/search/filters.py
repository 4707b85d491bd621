"""Kind filters: the search panel's Tab filters and ``q:`` prefixes, and ``--kind``.

Both ways of naming kinds live here, side by side, so that they are read
and changed together.
"""

from __future__ import annotations

from dataclasses import dataclass

from lbn_tui.corpus.model import KINDS

#: Other spellings ``--kind`` accepts (lower-cased) for a kind of `KINDS`.
KIND_ALIASES = {"case": "case-study", "casestudy": "case-study", "case_study": "case-study"}


def kind_named(value: str) -> str | None:
    """The one kind ``VALUE`` names (a kind or one of `KIND_ALIASES`), or None."""
    value = KIND_ALIASES.get(value.lower(), value.lower())
    return value if value in KINDS else None


def kinds_named(value: str) -> frozenset[str] | None:
    """The kinds ``--kind VALUE`` means: a kind's own name (or alias) is that
    kind; a search-panel filter's label or prefix (``quotes``, ``q``,
    ``recs``, ``read``…) is that filter's kinds, as in the app.  None: no
    such name."""
    kind = kind_named(value)
    if kind is not None:
        return frozenset({kind})
    found = _BY_NAME.get(value.strip().casefold())
    if found is None:
        return None
    return found.kinds if found.kinds is not None else frozenset(KINDS)


@dataclass(frozen=True, slots=True)
class KindFilter:
    label: str
    kinds: frozenset[str] | None
    prefixes: tuple[str, ...]


FILTERS: tuple[KindFilter, ...] = (
    KindFilter("All", None, ("all",)),
    KindFilter("Quotes", frozenset({"quote"}), ("q", "quote", "quotes")),
    KindFilter(
        "Recommendations",
        frozenset({"recommendation"}),
        ("r", "rec", "recs", "recommendation", "recommendations"),
    ),
    KindFilter("Reading", frozenset({"reading", "briefing"}), ("read", "reading", "b", "brief")),
    KindFilter("Figures", frozenset({"figure"}), ("f", "fig", "figure", "figures")),
    KindFilter("FAQ", frozenset({"faq"}), ("faq",)),
    KindFilter("Articles", frozenset({"article"}), ("a", "art", "article", "articles")),
    KindFilter("Sessions", frozenset({"session"}), ("s", "session", "sessions")),
    KindFilter("Case studies", frozenset({"case-study"}), ("cs", "case", "cases")),
    KindFilter("References", frozenset({"reference"}), ("ref", "refs", "reference")),
)
_BY_PREFIX = {prefix: f for f in FILTERS for prefix in f.prefixes}


def parse_query(query: str, chosen: KindFilter) -> tuple[str, KindFilter]:
    """Split a ``q: words`` prefix off the query; the prefix wins over Tab."""
    head, colon, rest = query.partition(":")
    if colon and head.strip().casefold() in _BY_PREFIX:
        return rest.strip(), _BY_PREFIX[head.strip().casefold()]
    return query.strip(), chosen


_BY_NAME = {**_BY_PREFIX, **{f.label.casefold(): f for f in FILTERS}}


def kind_names_help() -> str:
    """One line per filter for ``--help``: the names ``--kind`` and the app's prefixes share."""
    lines = []
    for f in FILTERS:
        if f.kinds is None:
            continue
        # A kind's own name means just that kind (``reading``): not listed here.
        names = [n for n in dict.fromkeys((f.label.casefold(), *f.prefixes)) if n not in KINDS]
        if names:
            lines.append(f"  {', '.join(names)}: {', '.join(sorted(f.kinds))}")
    return "\n".join(lines)
