"""Command palette provider: jump to any entry by its title.

A case-insensitive word match on titles (and speakers), never
`textual.fuzzy.Matcher` on long texts: its cost grows exponentially.
"""

from __future__ import annotations

from functools import partial
from typing import Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from lbn_tui.corpus import model


@runtime_checkable
class EntryOpener(Protocol):
    """The screen the palette is opened on: it knows the corpus and opens entries."""

    corpus: model.Corpus

    async def open_from_palette(self, target: str) -> None: ...


MAX_HITS = 40


def _label(entry: model.Entry) -> str:
    if isinstance(entry, model.Session):
        return f"{entry.label}: {entry.title}"
    return entry.title


def title_score(query: str, entry: model.Entry) -> float:
    """0 (no match) .. 1: every query word must appear in the title or speaker."""
    words = query.casefold().split()
    if not words:
        return 0.0
    title = _label(entry).casefold()
    extra = entry.speaker_line.casefold() if hasattr(entry, "speaker_line") else ""
    haystack = f"{title} {extra} {entry.kind_label.casefold()}"
    if not all(w in haystack for w in words):
        return 0.0
    phrase = " ".join(words)
    score = 0.5
    if title.startswith(phrase):
        score = 1.0
    elif phrase in title:
        score = 0.85
    elif all(w in title for w in words):
        score = 0.7
    return score - min(0.1, len(title) / 2000)


def highlighted(label: str, query: str) -> Content:
    content = Content(label)
    lowered = label.casefold()
    if len(lowered) != len(label):
        return content
    for word in query.casefold().split():
        start = lowered.find(word)
        while start >= 0:
            content = content.stylize("bold underline", start, start + len(word))
            start = lowered.find(word, start + len(word))
    return content


class EntryCommands(Provider):
    """Open an entry by (part of) its title."""

    @property
    def opener(self) -> EntryOpener | None:
        screen = self.screen
        return screen if isinstance(screen, EntryOpener) else None

    async def search(self, query: str) -> Hits:
        app = self.opener
        if app is None:
            return
        scored = []
        for entry in app.corpus.entries:
            score = title_score(query, entry)
            if score > 0:
                scored.append((score, entry))
        scored.sort(key=lambda s: -s[0])
        for score, entry in scored[:MAX_HITS]:
            label = _label(entry)
            yield Hit(
                score,
                Content.assemble(
                    (f"{entry.kind_label:<15}", "$text-muted"), highlighted(label, query)
                ),
                partial(app.open_from_palette, entry.id),
                text=label,
                help=None,
            )

    async def discover(self) -> Hits:
        app = self.opener
        if app is None:
            return
        shown = [e for e in app.corpus.entries if e.kind in ("session", "article", "faq")][
            :MAX_HITS
        ]
        for entry in shown:
            label = _label(entry)
            yield DiscoveryHit(
                Content.assemble((f"{entry.kind_label:<15}", "$text-muted"), label),
                partial(app.open_from_palette, entry.id),
                text=label,
            )
