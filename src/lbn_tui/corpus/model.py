"""The briefing content as frozen dataclasses.

No I/O and no Textual here: the loader builds these, the search index and
the user interfaces only read them.

An *entry* is anything with a stable id that a reader can open (a quote, a
reading-list item, an article...).  A *passage* is the unit that search
finds and that can be copied with its attribution: a quote's text, one
paragraph of an article, one FAQ answer paragraph, and so on.  Every entry
has at least one passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

#: What an entry id looks like: lower-case words joined by hyphens.
ID_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")

KINDS: tuple[str, ...] = (
    "session",
    "briefing",
    "reading",
    "recommendation",
    "quote",
    "faq",
    "article",
    "case-study",
    "figure",
    "reference",
)

KIND_LABELS: Mapping[str, str] = {
    "session": "Session",
    "briefing": "Briefing pack",
    "reading": "Reading",
    "recommendation": "Recommendation",
    "quote": "Quote",
    "faq": "FAQ",
    "article": "Article",
    "case-study": "Case study",
    "figure": "Figure",
    "reference": "Reference",
}

RECOMMENDATION_GROUPS: Mapping[str, str] = {
    "best-case-scenario": "The best-case scenario",
    "building-blocks": "Building blocks for local transformation",
}

SESSION_SERIES: Mapping[str, str] = {
    "evidence": "APPG evidence session",
    "inquiry": "Inquiry session",
}


def _shorten(text: str, words: int = 9) -> str:
    parts = text.split()
    if len(parts) <= words:
        return " ".join(parts)
    return " ".join(parts[:words]).rstrip(",;:.–—-") + "…"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a thing was written: file path, 1-based line and column."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Source:
    """The page a briefing file was taken from."""

    title: str
    url: str
    publisher: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Passage:
    """One searchable, copyable piece of text belonging to an entry."""

    entry_id: str
    index: int
    kind: str
    text: str
    title: str
    speaker: str = ""
    heading: str = ""


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A block of an article or session summary.

    ``heading`` opens a new section before the block; ``text`` is the
    paragraph itself; ``embed`` lists entries shown inline at that point
    (a quote, a list of recommendations, the case studies); ``cites`` names
    the reference entries the text cites.
    """

    text: str = ""
    heading: str = ""
    cites: tuple[str, ...] = ()
    embed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    """Fields shared by every kind of entry."""

    kind: ClassVar[str] = ""

    id: str
    title: str
    source: Source
    location: Location = field(compare=False)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        """Yield (heading, text) for each passage, in reading order."""
        yield "", self.title

    def passages(self) -> tuple[Passage, ...]:
        return tuple(
            Passage(
                entry_id=self.id,
                index=i,
                kind=self.kind,
                text=text,
                title=self.title,
                speaker=self.speaker_line,
                heading=heading,
            )
            for i, (heading, text) in enumerate(self.passage_texts())
        )

    @property
    def speaker_line(self) -> str:
        return ""

    def links(self) -> tuple[str, ...]:
        """Ids of the entries this entry points at, in reading order."""
        return ()

    def cites(self) -> tuple[str, ...]:
        """Ids of the references this entry cites."""
        return ()


@dataclass(frozen=True, slots=True)
class Session(Entry):
    kind: ClassVar[str] = "session"

    series: str = "evidence"
    number: int = 0
    summary: tuple[Paragraph, ...] = ()
    briefing_pack: tuple[str, ...] = ()
    reading_list: tuple[str, ...] = ()
    reading_list_note: str = ""

    @property
    def label(self) -> str:
        return f"{SESSION_SERIES[self.series]} {self.number}"

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        yielded = False
        for para in self.summary:
            if para.text:
                yielded = True
                yield para.heading, para.text
        if self.reading_list_note:
            yielded = True
            yield "Further reading", self.reading_list_note
        if not yielded:
            yield "", self.title

    def links(self) -> tuple[str, ...]:
        embedded = tuple(i for p in self.summary for i in p.embed)
        return embedded + self.briefing_pack + self.reading_list

    def cites(self) -> tuple[str, ...]:
        return tuple(c for p in self.summary for c in p.cites)


@dataclass(frozen=True, slots=True)
class Briefing(Entry):
    """A document in a session's briefing pack."""

    kind: ClassVar[str] = "briefing"

    description: str = ""

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        yield "", self.description or self.title


@dataclass(frozen=True, slots=True)
class Reading(Entry):
    """An item on a further-reading list."""

    kind: ClassVar[str] = "reading"

    subtitle: str = ""
    by: str = ""
    date: str = ""
    description: str = ""

    @property
    def byline(self) -> str:
        return ", ".join(p for p in (self.by, self.date) if p)

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        yield "", self.description or self.title

    @property
    def speaker_line(self) -> str:
        return self.byline


@dataclass(frozen=True, slots=True)
class Recommendation(Entry):
    kind: ClassVar[str] = "recommendation"

    group: str = "best-case-scenario"
    number: int = 0
    text: str = ""
    cited: tuple[str, ...] = ()

    @property
    def group_label(self) -> str:
        return RECOMMENDATION_GROUPS[self.group]

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        yield "", self.text

    def cites(self) -> tuple[str, ...]:
        return self.cited


@dataclass(frozen=True, slots=True)
class Quote(Entry):
    """Words spoken in evidence, verbatim, with who said them and where."""

    kind: ClassVar[str] = "quote"

    text: str = ""
    speaker: str = ""
    role: str = ""
    given_at: str = ""
    session: str = ""

    @property
    def attribution(self) -> str:
        return ", ".join(p for p in (self.speaker, self.role, self.given_at) if p)

    @property
    def speaker_line(self) -> str:
        return ", ".join(p for p in (self.speaker, self.role) if p)

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        yield "", self.text

    def links(self) -> tuple[str, ...]:
        return (self.session,) if self.session else ()


@dataclass(frozen=True, slots=True)
class Faq(Entry):
    """A question (the title) and its answer, paragraph by paragraph."""

    kind: ClassVar[str] = "faq"

    answer: tuple[Paragraph, ...] = ()

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        for para in self.answer:
            if para.text:
                yield para.heading, para.text

    def cites(self) -> tuple[str, ...]:
        return tuple(c for p in self.answer for c in p.cites)


@dataclass(frozen=True, slots=True)
class Article(Entry):
    """A long text, paragraph by paragraph, with inline quotes and lists."""

    kind: ClassVar[str] = "article"

    paragraphs: tuple[Paragraph, ...] = ()
    note: str = ""

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        heading = ""
        for para in self.paragraphs:
            heading = para.heading or heading
            if para.text:
                yield heading, para.text
        if self.note:
            yield "Note", self.note

    def links(self) -> tuple[str, ...]:
        return tuple(i for p in self.paragraphs for i in p.embed)

    def cites(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for p in self.paragraphs:
            for c in p.cites:
                seen.setdefault(c, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class CaseStudy(Entry):
    kind: ClassVar[str] = "case-study"

    programme: str = ""
    place: str = ""
    summary: str = ""

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        yield "", self.summary or self.title


@dataclass(frozen=True, slots=True)
class Figure(Entry):
    """A key number: its value, what it measures, and where it comes from."""

    kind: ClassVar[str] = "figure"

    value: str = ""
    measures: str = ""
    origin: str = ""
    found_in: str = ""
    cited: tuple[str, ...] = ()

    @property
    def statement(self) -> str:
        return f"{self.value}: {self.measures}"

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        yield "", self.statement

    @property
    def speaker_line(self) -> str:
        return self.origin

    def links(self) -> tuple[str, ...]:
        return (self.found_in,) if self.found_in else ()

    def cites(self) -> tuple[str, ...]:
        return self.cited


@dataclass(frozen=True, slots=True)
class Reference(Entry):
    """An in-text reference such as "(Onward, 2021)"."""

    kind: ClassVar[str] = "reference"

    citation: str = ""
    author: str = ""
    year: str = ""
    note: str = ""

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        yield "", f"({self.citation})"


ENTRY_CLASSES: Mapping[str, type[Entry]] = {
    cls.kind: cls
    for cls in (
        Session,
        Briefing,
        Reading,
        Recommendation,
        Quote,
        Faq,
        Article,
        CaseStudy,
        Figure,
        Reference,
    )
}


@dataclass(frozen=True, slots=True)
class Citation:
    """One passage that cites a reference."""

    entry_id: str
    passage_index: int


class Corpus:
    """Every entry loaded, in file order, with lookups and back-links."""

    __slots__ = ("_cited_by", "_linked_from", "_passages", "by_id", "entries")

    def __init__(self, entries: tuple[Entry, ...]) -> None:
        # Sequence and Mapping: a corpus read from the large-pack cache
        # (corpus/store.py) decodes its entries on first use.
        self.entries: Sequence[Entry] = entries
        self.by_id: Mapping[str, Entry] = {e.id: e for e in entries}
        self._passages: tuple[Passage, ...] | None = None
        cited_by: dict[str, list[str]] = {}
        linked_from: dict[str, list[str]] = {}
        for entry in entries:
            for ref in entry.cites():
                bucket = cited_by.setdefault(ref, [])
                if entry.id not in bucket:
                    bucket.append(entry.id)
            for target in entry.links():
                bucket = linked_from.setdefault(target, [])
                if entry.id not in bucket:
                    bucket.append(entry.id)
        self._cited_by = {k: tuple(v) for k, v in cited_by.items()}
        self._linked_from = {k: tuple(v) for k, v in linked_from.items()}

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def summaries(self) -> Iterator[tuple[str, str, str]]:
        """(id, kind, title) of every entry, in order (without decoding
        the entries of a lazily read corpus)."""
        return ((e.id, e.kind, e.title) for e in self.entries)

    def get(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)

    def of_kind(self, kind: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind == kind)

    @property
    def passages(self) -> tuple[Passage, ...]:
        if self._passages is None:
            self._passages = tuple(p for e in self.entries for p in e.passages())
        return self._passages

    def cited_by(self, reference_id: str) -> tuple[str, ...]:
        """Ids of the entries whose text cites this reference."""
        return self._cited_by.get(reference_id, ())

    def citing_passages(self, reference_id: str) -> tuple[Citation, ...]:
        """Each paragraph (entry id, passage index) that cites the reference."""
        out: list[Citation] = []
        for entry_id in self.cited_by(reference_id):
            entry = self.by_id[entry_id]
            paragraphs: tuple[Paragraph, ...] = ()
            if isinstance(entry, Article):
                paragraphs = entry.paragraphs
            elif isinstance(entry, (Faq,)):
                paragraphs = entry.answer
            elif isinstance(entry, Session):
                paragraphs = entry.summary
            if not paragraphs:
                out.append(Citation(entry_id, 0))
                continue
            index = 0
            for para in paragraphs:
                if para.text:
                    if reference_id in para.cites:
                        out.append(Citation(entry_id, index))
                    index += 1
        return tuple(out)

    def linked_from(self, entry_id: str) -> tuple[str, ...]:
        """Ids of the entries that link to or embed this one."""
        return self._linked_from.get(entry_id, ())

    def session_of(self, entry_id: str) -> Session | None:
        """The session whose briefing pack or reading list holds the entry."""
        for other in self.linked_from(entry_id):
            candidate = self.by_id[other]
            if isinstance(candidate, Session) and (
                entry_id in candidate.briefing_pack or entry_id in candidate.reading_list
            ):
                return candidate
        return None


def passage_ref(passage: Passage, entry: Entry) -> str:
    """A stable, readable name for a passage: ``entry-id``, or ``entry-id#N``
    (N counted from 1) when the entry has more than one passage."""
    if len(entry.passages()) == 1:
        return entry.id
    return f"{entry.id}#{passage.index + 1}"


def resolve_ref(corpus: Corpus, ref: str) -> tuple[Entry, Passage | None] | None:
    """The entry (and passage, for ``id#N``) a passage ref names, or None."""
    entry_id, _, number = ref.partition("#")
    entry = corpus.get(entry_id)
    if entry is None:
        return None
    if not number:
        passages = entry.passages()
        return entry, (passages[0] if len(passages) == 1 else None)
    if not number.isdigit():
        return None
    passages = entry.passages()
    index = int(number) - 1
    if not 0 <= index < len(passages):
        return None
    return entry, passages[index]
