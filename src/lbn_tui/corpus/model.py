"""The briefing content as frozen records (`msgspec.Struct`).

No I/O and no Textual here: the loader builds these, the search index and
the user interfaces only read them.

Why msgspec's Structs and not dataclasses: the same declarations (typed
fields, defaults, frozen, equality and hashing by value), but a class is
made in C when the module is imported (a frozen dataclass execs six
generated methods: ~0.5 ms each of this module's 18 classes, a twentieth of
the app's start-up), an instance is made faster (a pack holds 100 000
entries), and none of them is tracked by the garbage collector
(``gc=False``: they hold only strings, numbers and tuples of each other, so
they cannot form a cycle).

An *entry* is anything with a stable id that a reader can open (a quote, a
reading-list item, an article...).  A *passage* is the unit that search
finds and that can be copied with its attribution: a quote's text, one
paragraph of an article, one FAQ answer paragraph, and so on.  Every entry
has at least one passage.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import ClassVar

import msgspec

#: What an entry id looks like: lower-case words joined by hyphens.
ID_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def same_items(sequence: Sequence[object], other: object) -> bool:
    """``sequence == other`` for a sequence made as it is read (a store's
    passages, a long branch of the contents tree): equal to any sequence of
    the same items, a tuple say, compared item by item.  Not for strings."""
    if other is sequence:
        return True
    if not isinstance(other, Sequence) or isinstance(other, str | bytes):
        return False
    return len(other) == len(sequence) and all(map(operator.eq, sequence, other))


def field_annotations(cls: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    """(name, type as written) of a record's fields, in order: ``str``,
    ``tuple[Paragraph, ...]``... (the annotations are strings here)."""
    from inspect import get_annotations

    written: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        written.update(get_annotations(klass))
    return tuple((name, written[name]) for name in cls.__struct_fields__)


RECOMMENDATION_GROUPS: Mapping[str, str] = {
    "best-case-scenario": "The best-case scenario",
    "building-blocks": "Building blocks for local transformation",
}

SESSION_SERIES: Mapping[str, str] = {
    "evidence": "APPG evidence session",
    "inquiry": "Inquiry session",
}


class FieldSpec(msgspec.Struct, frozen=True, gc=False):
    """One key an entry of a kind takes in a briefing file (the loader checks it)."""

    key: str
    type: str = "str"  # "str", "int", "ids", "paragraphs", "choice"
    required: bool = False
    attr: str = ""
    """The entry field it fills, when not named like the key."""
    refers_to: tuple[str, ...] = ()
    """For ids: the kinds they may name ("" = any)."""
    choices: tuple[str, ...] = ()
    single: bool = False
    """For ids: written as one id, not a list."""
    editorial: bool = False
    """Written for this project (a gloss, a derived title), not printed on
    the page: shown apart from the published text, never quoted."""

    @property
    def name(self) -> str:
        return self.attr or self.key


def _fact_in(values: Mapping[str, object], name: str) -> str:
    """A fact's value among the loader's values for an entry (``facts``)."""
    facts = values.get("facts", ())
    found = find_fact(facts, name) if isinstance(facts, tuple) else None
    return found.value if found is not None and isinstance(found.value, str) else ""


#: A sentence ends at ". " (or ! ?, a closing quotation mark after it)
#: before a capital, a digit or an opening mark.
_SENTENCE_END = re.compile(r"(?<=[.!?])[”’]?\s+(?=[A-Z0-9‘“(£])")
#: A derived title is at most this long: past it (a sentence of hundreds of
#: words, a hostile pack) it is cut at a word and ends with "…".
MAX_DERIVED_TITLE = 240


def sentences(text: str) -> Iterator[str]:
    """The text's sentences, in order (a derived title is the first; a
    figure is copied as the one that states it)."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        # A closing quotation mark belongs to the sentence it closes.
        end = match.start() + (text[match.start()] in "”’")
        yield text[start:end].strip()
        start = match.end()
    tail = text[start:].strip()
    if tail:
        yield tail


def first_sentence(text: str) -> str:
    """The text's first sentence, whole: a derived title that the widgets cut
    to their width (titles hold no "…" of their own but past
    `MAX_DERIVED_TITLE`)."""
    head = text[: MAX_DERIVED_TITLE * 4]
    # No sentence ends in it: all of it (what sentences() yields, faster).
    ends = "." in head or "!" in head or "?" in head
    first = next(sentences(head), "") if ends else head.strip()
    sentence = " ".join(first.split())
    ended = len(text) <= len(head) or len(first) < len(head.strip())
    if ended and len(sentence) <= MAX_DERIVED_TITLE:
        return sentence
    cut = sentence[:MAX_DERIVED_TITLE].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.–—-") + "…"


def _shorten(text: str, words: int = 9) -> str:
    parts = text.split()
    if len(parts) <= words:
        return " ".join(parts)
    return " ".join(parts[:words]).rstrip(",;:.–—-") + "…"


class Location(msgspec.Struct, frozen=True, gc=False):
    """Where a thing was written: file path, 1-based line and column."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


#: The facts an entry's ``editorial`` block may state, each published on
#: another public page (its address is the fact's ``found_at``).
FACT_LABELS: Mapping[str, str] = {
    "title": "Title",
    "authors": "Authors",
    "publisher": "Publisher",
    "container": "Published in",
    "date": "Date",
    "url": "Address",
    "type": "Type",
    "place": "Place",
    "programme": "Programme",
}
#: The facts that identify a cited work (a reference, a reading, a briefing).
WORK_FACTS = ("title", "authors", "publisher", "container", "date", "url", "type")
#: The item types a ``type`` fact may name (CSL's names, which reference
#: managers share).
ITEM_TYPES: tuple[str, ...] = (
    "report",
    "article-journal",
    "article-newspaper",
    "article",
    "book",
    "chapter",
    "webpage",
    "post-weblog",
    "dataset",
    "speech",
    "event",
    "document",
)
#: A ``date`` fact: ISO, as precise as the page states it.
DATE_PATTERN = re.compile(r"(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class Fact(msgspec.Struct, frozen=True, gc=False):
    """An editorial fact: not printed on the source page, but stated on
    another public page, whose address is ``found_at``."""

    name: str
    value: str | tuple[str, ...]
    found_at: str

    @property
    def label(self) -> str:
        return FACT_LABELS.get(self.name, self.name)

    @property
    def text(self) -> str:
        """The value as a reader sees it (a date in words, names joined)."""
        if isinstance(self.value, tuple):
            return "; ".join(self.value)
        if self.name == "date":
            return date_in_words(self.value)
        return self.value


def count_passages(entries: Iterable[Entry], stop_above: int | None = None) -> int:
    """How many passages the entries have, counted from their texts (no
    passage is made); once past ``stop_above``, the count so far."""
    count = 0
    for entry in entries:
        for _ in entry.passage_texts():
            count += 1
        if stop_above is not None and count > stop_above:
            break
    return count


def find_fact(facts: Iterable[Fact], name: str) -> Fact | None:
    """The fact of that name (an entry's or a page's), if any."""
    return next((fact for fact in facts if fact.name == name), None)


def date_in_words(value: str) -> str:
    """``2023-10-25`` → ``25 October 2023`` (anything else as it is)."""
    match = DATE_PATTERN.fullmatch(value)
    if match is None:
        return value
    year, month, day = match.groups()
    if month is None:
        return year
    words = f"{MONTHS[int(month) - 1]} {year}"
    return f"{int(day)} {words}" if day else words


class Source(msgspec.Struct, frozen=True, gc=False):
    """The page a briefing file was taken from.

    ``note`` is the page's own text (its banner); ``title``, ``url`` and
    ``publisher`` are written for this project; ``facts`` are editorial facts
    about the page (the publication it belongs to, its date)."""

    title: str
    url: str
    publisher: str = ""
    note: str = ""
    facts: tuple[Fact, ...] = ()

    def fact(self, name: str) -> Fact | None:
        return find_fact(self.facts, name)


class Passage(msgspec.Struct, frozen=True, gc=False):
    """One searchable, copyable piece of text belonging to an entry."""

    entry_id: str
    index: int
    kind: str
    text: str
    title: str
    speaker: str = ""
    heading: str = ""


class Paragraph(msgspec.Struct, frozen=True, gc=False):
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


class Entry(msgspec.Struct, frozen=True, gc=False):
    """Fields shared by every kind of entry."""

    # What a kind is, in one place (the subclasses fill these in; a test
    # checks every kind does): its name, its label and short badge, the keys
    # it takes in a briefing file, the title made for it when none is given
    # (`derive_title`) and the lines shown under its title (`meta_lines`).
    kind: ClassVar[str] = ""
    LABEL: ClassVar[str] = ""
    BADGE: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()
    FACTS: ClassVar[tuple[str, ...]] = ()
    """The editorial facts an entry of the kind may state (`FACT_LABELS`)."""

    @classmethod
    def derive_title(cls, values: Mapping[str, object]) -> str:
        """The title of an entry written without one (from its loaded values)."""
        return ""

    def meta_lines(self) -> list[str]:
        """What the reader shows under the title (who, where, which group)."""
        return []

    id: str
    title: str
    source: Source
    location: Location
    facts: tuple[Fact, ...] = ()
    """Editorial facts, each with the address where it is published."""
    editorial_title: bool = False
    """The title is not printed on the page (derived, or an editorial fact)."""

    def __repr__(self) -> str:
        # Short (an entry may hold thousands of paragraphs), and one method
        # for every kind: the generated ones cost start-up time.
        return f"{type(self).__name__}(id={self.id!r})"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def fact(self, name: str) -> Fact | None:
        return find_fact(self.facts, name)

    def facts_by_address(self) -> dict[str, list[Fact]]:
        """The editorial facts grouped by the address that states them, in
        the order first given (how the reader and `show` list them)."""
        grouped: dict[str, list[Fact]] = {}
        for fact in self.facts:
            grouped.setdefault(fact.found_at, []).append(fact)
        return grouped

    def fact_text(self, name: str) -> str:
        found = self.fact(name)
        return found.text if found is not None else ""

    @classmethod
    def editorial_fields(cls) -> frozenset[str]:
        """The fields of the kind written for this project, not printed."""
        return frozenset(f.name for f in cls.FIELDS if f.editorial)

    def glosses(self) -> list[tuple[str, str]]:
        """(label, text) of the editorial fields this entry fills."""
        out = []
        for spec in self.FIELDS:
            if spec.editorial and spec.name != "title":
                value = getattr(self, spec.name, "")
                if isinstance(value, str) and value:
                    out.append((spec.key.replace("_", " ").capitalize(), value))
        return out

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        """Yield (heading, text) for each passage, in reading order."""
        yield "", self.title

    def passages(self) -> tuple[Passage, ...]:
        # Built for every entry of a pack (100 000 quotes): what every
        # passage shares is looked up once.
        entry_id, kind, title, speaker = self.id, self.kind, self.title, self.speaker_line
        return tuple(
            [
                Passage(entry_id, i, kind, text, title, speaker, heading)
                for i, (heading, text) in enumerate(self.passage_texts())
            ]
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


class Session(Entry, frozen=True, gc=False):
    kind: ClassVar[str] = "session"
    LABEL: ClassVar[str] = "Session"
    BADGE: ClassVar[str] = "Session"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("title"),
        FieldSpec("series", "choice", True, choices=tuple(SESSION_SERIES)),
        FieldSpec("number", "int", True),
        FieldSpec("summary", "paragraphs"),
        FieldSpec("briefing_pack", "ids", refers_to=("briefing",)),
        FieldSpec("reading_list", "ids", refers_to=("reading",)),
        FieldSpec("reading_list_note"),
    )
    FACTS: ClassVar[tuple[str, ...]] = ("title", "date", "url")

    @classmethod
    def derive_title(cls, values: Mapping[str, object]) -> str:
        """The title an editorial fact gives, else "Inquiry session 3"."""
        found = _fact_in(values, "title")
        if found:
            return found
        series = str(values.get("series", ""))
        return f"{SESSION_SERIES.get(series, 'Session')} {values.get('number', '')}".strip()

    def meta_lines(self) -> list[str]:
        return [self.label]

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


class Briefing(Entry, frozen=True, gc=False):
    """A document in a session's briefing pack."""

    kind: ClassVar[str] = "briefing"
    LABEL: ClassVar[str] = "Briefing pack"
    BADGE: ClassVar[str] = "Briefing"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("title", required=True),
        FieldSpec("description", required=True),
    )
    FACTS: ClassVar[tuple[str, ...]] = WORK_FACTS

    description: str = ""

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        yield "", self.description or self.title


class Reading(Entry, frozen=True, gc=False):
    """An item on a further-reading list."""

    kind: ClassVar[str] = "reading"
    LABEL: ClassVar[str] = "Reading"
    BADGE: ClassVar[str] = "Reading"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("title", required=True),
        FieldSpec("subtitle"),
        FieldSpec("by"),
        FieldSpec("date"),
        FieldSpec("description", required=True),
    )
    FACTS: ClassVar[tuple[str, ...]] = WORK_FACTS

    def meta_lines(self) -> list[str]:
        return [p for p in (self.subtitle, self.byline) if p]

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


class Recommendation(Entry, frozen=True, gc=False):
    kind: ClassVar[str] = "recommendation"
    LABEL: ClassVar[str] = "Recommendation"
    BADGE: ClassVar[str] = "Rec."
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("title", editorial=True),
        FieldSpec("group", "choice", True, choices=tuple(RECOMMENDATION_GROUPS)),
        FieldSpec("number", "int", True),
        FieldSpec("text", required=True),
        FieldSpec("cites", "ids", attr="cited", refers_to=("reference",)),
    )

    @classmethod
    def derive_title(cls, values: Mapping[str, object]) -> str:
        return first_sentence(str(values.get("text", "")))

    def meta_lines(self) -> list[str]:
        return [f"Recommendation {self.number} · {self.group_label}"]

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


class Quote(Entry, frozen=True, gc=False):
    """Words spoken in evidence, verbatim, with who said them and where."""

    kind: ClassVar[str] = "quote"
    LABEL: ClassVar[str] = "Quote"
    BADGE: ClassVar[str] = "Quote"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("title", editorial=True),
        FieldSpec("text", required=True),
        FieldSpec("speaker", required=True),
        FieldSpec("role"),
        FieldSpec("given_at"),
        FieldSpec("session", "ids", refers_to=("session",), single=True),
    )

    @classmethod
    def derive_title(cls, values: Mapping[str, object]) -> str:
        return f"{values.get('speaker', '')}: “{first_sentence(str(values.get('text', '')))}”"

    def meta_lines(self) -> list[str]:
        return [p for p in (self.speaker_line, self.given_at) if p]

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
        # ", ".join of the parts given, without a generator (one per passage).
        speaker, role = self.speaker, self.role
        if speaker and role:
            return f"{speaker}, {role}"
        return speaker or role

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        yield "", self.text

    def links(self) -> tuple[str, ...]:
        return (self.session,) if self.session else ()


class Faq(Entry, frozen=True, gc=False):
    """A question (the title) and its answer, paragraph by paragraph."""

    kind: ClassVar[str] = "faq"
    LABEL: ClassVar[str] = "FAQ"
    BADGE: ClassVar[str] = "FAQ"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("question", required=True, attr="title"),
        FieldSpec("answer", "paragraphs", True),
    )

    answer: tuple[Paragraph, ...] = ()

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        for para in self.answer:
            if para.text:
                yield para.heading, para.text

    def cites(self) -> tuple[str, ...]:
        return tuple(c for p in self.answer for c in p.cites)


class Article(Entry, frozen=True, gc=False):
    """A long text, paragraph by paragraph, with inline quotes and lists."""

    kind: ClassVar[str] = "article"
    LABEL: ClassVar[str] = "Article"
    BADGE: ClassVar[str] = "Article"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("title"),
        FieldSpec("paragraphs", "paragraphs", True),
        FieldSpec("note"),
    )
    FACTS: ClassVar[tuple[str, ...]] = ("title", "date", "url")

    @classmethod
    def derive_title(cls, values: Mapping[str, object]) -> str:
        return _fact_in(values, "title")

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


class CaseStudy(Entry, frozen=True, gc=False):
    kind: ClassVar[str] = "case-study"
    LABEL: ClassVar[str] = "Case study"
    BADGE: ClassVar[str] = "Case study"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("title", required=True),
        FieldSpec("programme", editorial=True),
        FieldSpec("place", editorial=True),
        FieldSpec("summary", editorial=True),
    )
    FACTS: ClassVar[tuple[str, ...]] = ("place", "programme", "url")

    def meta_lines(self) -> list[str]:
        details = " · ".join(p for p in (self.programme, self.place) if p)
        return [f"{details} (by lbn-tui)"] if details else []

    programme: str = ""
    place: str = ""
    summary: str = ""

    def passage_texts(self) -> Iterator[tuple[str, str]]:
        yield "", self.summary or self.title


class Figure(Entry, frozen=True, gc=False):
    """A key number: its value, what it measures, and where it comes from."""

    kind: ClassVar[str] = "figure"
    LABEL: ClassVar[str] = "Figure"
    BADGE: ClassVar[str] = "Figure"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("title", editorial=True),
        FieldSpec("value", required=True),
        FieldSpec("measures", required=True, editorial=True),
        FieldSpec("origin", editorial=True),
        FieldSpec("found_in", "ids", refers_to=("",), single=True),
        FieldSpec("cites", "ids", attr="cited", refers_to=("reference",)),
    )

    @classmethod
    def derive_title(cls, values: Mapping[str, object]) -> str:
        return f"{values.get('value', '')} {first_sentence(str(values.get('measures', '')))}"

    def meta_lines(self) -> list[str]:
        return [f"Origin (by lbn-tui): {self.origin}"] if self.origin else []

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


class Reference(Entry, frozen=True, gc=False):
    """An in-text reference such as "(Onward, 2021)"."""

    kind: ClassVar[str] = "reference"
    LABEL: ClassVar[str] = "Reference"
    BADGE: ClassVar[str] = "Reference"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("title", editorial=True),
        FieldSpec("citation", required=True),
        FieldSpec("author", required=True),
        FieldSpec("year", required=True),
        FieldSpec("note", editorial=True),
    )
    FACTS: ClassVar[tuple[str, ...]] = WORK_FACTS

    @classmethod
    def derive_title(cls, values: Mapping[str, object]) -> str:
        return str(values.get("citation", ""))

    def meta_lines(self) -> list[str]:
        note = f"Note (by lbn-tui): {self.note}" if self.note else ""
        return [", ".join(p for p in (self.author, self.year) if p), note]

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
#: Every kind, in the order the contents and the docs list them.
KINDS: tuple[str, ...] = tuple(ENTRY_CLASSES)
KIND_LABELS: Mapping[str, str] = {kind: cls.LABEL for kind, cls in ENTRY_CLASSES.items()}
KIND_BADGES: Mapping[str, str] = {kind: cls.BADGE for kind, cls in ENTRY_CLASSES.items()}


class Citation(msgspec.Struct, frozen=True, gc=False):
    """One passage that cites a reference."""

    entry_id: str
    passage_index: int


class Corpus:
    """Every entry loaded, in file order, with lookups and back-links."""

    __slots__ = (
        "_citations",
        "_cited_by",
        "_entry_passages",
        "_linked_from",
        "_passages",
        "by_id",
        "entries",
    )

    def __init__(self, entries: tuple[Entry, ...]) -> None:
        # Sequence and Mapping: a corpus read from the large-pack cache
        # (corpus/store.py) decodes its entries on first use.
        self.entries: Sequence[Entry] = entries
        self.by_id: Mapping[str, Entry] = {e.id: e for e in entries}
        self._passages: tuple[Passage, ...] | None = None
        # Built once, on first use: each entry's passages, each reference's
        # citing passages.  Dicts (not lists) keep every lookup linear overall.
        self._entry_passages: dict[str, tuple[Passage, ...]] = {}
        self._citations: dict[str, tuple[Citation, ...]] | None = None
        cited_by: dict[str, dict[str, None]] = {}
        linked_from: dict[str, dict[str, None]] = {}
        for entry in entries:
            for ref in entry.cites():
                cited_by.setdefault(ref, {})[entry.id] = None
            for target in entry.links():
                linked_from.setdefault(target, {})[entry.id] = None
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

    def kind_and_title(self, entry_id: str) -> tuple[str, str] | None:
        """An entry's kind and title (a stored corpus answers from its
        columns, without decoding the entry)."""
        entry = self.by_id.get(entry_id)
        return (entry.kind, entry.title) if entry is not None else None

    def of_kind(self, kind: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind == kind)

    @property
    def passages(self) -> Sequence[Passage]:
        if self._passages is None:
            self._passages = tuple(p for e in self.entries for p in self.passages_of(e.id))
        return self._passages

    def passages_of(self, entry_id: str) -> tuple[Passage, ...]:
        """The passages of an entry (``Entry.passages``), built once per entry."""
        found = self._entry_passages.get(entry_id)
        if found is None:
            found = self.by_id[entry_id].passages()
            self._entry_passages[entry_id] = found
        return found

    def cited_by(self, reference_id: str) -> tuple[str, ...]:
        """Ids of the entries whose text cites this reference."""
        return self._cited_by.get(reference_id, ())

    def citing_passages(self, reference_id: str) -> tuple[Citation, ...]:
        """Each paragraph (entry id, passage index) that cites the reference."""
        if self._citations is None:
            # One pass over every entry, for every reference at once.
            found: dict[str, dict[Citation, None]] = {}
            for entry in self.entries:
                paragraphs: tuple[Paragraph, ...] = ()
                if isinstance(entry, Article):
                    paragraphs = entry.paragraphs
                elif isinstance(entry, (Faq,)):
                    paragraphs = entry.answer
                elif isinstance(entry, Session):
                    paragraphs = entry.summary
                if not paragraphs:
                    for ref in entry.cites():
                        found.setdefault(ref, {})[Citation(entry.id, 0)] = None
                    continue
                index = 0
                for para in paragraphs:
                    if para.text:
                        for ref in para.cites:
                            found.setdefault(ref, {})[Citation(entry.id, index)] = None
                        index += 1
            self._citations = {k: tuple(v) for k, v in found.items()}
        return self._citations.get(reference_id, ())

    def linked_from(self, entry_id: str) -> tuple[str, ...]:
        """Ids of the entries that link to or embed this one."""
        return self._linked_from.get(entry_id, ())

    def session_of(self, entry_id: str) -> Session | None:
        """The session whose briefing pack or reading list holds the entry.

        Only the sessions among the entries linking to it are looked at,
        picked by kind (`kind_and_title`: a stored corpus answers from its
        columns), so that a session linked from 100 000 quotes decodes none
        of them."""
        for other in self.linked_from(entry_id):
            found = self.kind_and_title(other)
            if found is None or found[0] != Session.kind:
                continue
            candidate = self.by_id[other]
            if isinstance(candidate, Session) and (
                entry_id in candidate.briefing_pack or entry_id in candidate.reading_list
            ):
                return candidate
        return None


def passage_ref(passage: Passage, entry: Entry, corpus: Corpus | None = None) -> str:
    """A stable, readable name for a passage: ``entry-id``, or ``entry-id#N``
    (N counted from 1) when the entry has more than one passage.

    Costs no more than reading the entry up to its second passage (nothing
    with ``corpus``, which keeps each entry's passages), so naming every
    passage of an entry is linear in its size."""
    if passage.index > 0:
        return f"{entry.id}#{passage.index + 1}"
    if corpus is not None and corpus.get(entry.id) is entry:
        single = len(corpus.passages_of(entry.id)) == 1
    else:
        single = len(tuple(islice(entry.passage_texts(), 2))) == 1
    return entry.id if single else f"{entry.id}#1"


#: Passage numbers in a ref have at most this many digits (no entry has a
#: billion passages); longer ones, and any digit that is not 0-9 (``²``,
#: ``٣``), name nothing.
MAX_REF_DIGITS = 9


def resolve_ref(corpus: Corpus, ref: str) -> tuple[Entry, Passage | None] | None:
    """The entry (and passage, for ``id#N``) a passage ref names, or None."""
    entry_id, _, number = ref.partition("#")
    entry = corpus.get(entry_id)
    if entry is None:
        return None
    if not number:
        passages = corpus.passages_of(entry.id)
        return entry, (passages[0] if len(passages) == 1 else None)
    if not (number.isascii() and number.isdigit()) or len(number) > MAX_REF_DIGITS:
        return None
    passages = corpus.passages_of(entry.id)
    index = int(number) - 1
    if not 0 <= index < len(passages):
        return None
    return entry, passages[index]
