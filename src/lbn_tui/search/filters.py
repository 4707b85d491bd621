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
    """The kind ``--kind VALUE`` means, or None when it names none."""
    value = KIND_ALIASES.get(value.lower(), value.lower())
    return value if value in KINDS else None


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
