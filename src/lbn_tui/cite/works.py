"""What is cited, per kind of entry, and the Harvard text a reader copies.

A `Work` is what a reference manager needs to know of a cited thing:
authors, year, title, where it appeared, publisher, address.  Every kind of
entry says which work it cites (`work_of`):

- a reference, a reading-list item, a briefing-pack document: the work
  itself, from its editorial facts (each found on a public page) and, where
  those are missing, from what the page prints (``by``, ``date``, the
  in-text author and year);
- a quote: the words spoken, as evidence given at a session, quoted in the
  page;
- a figure: what the passage that states it cites;
- anything else: the page it was published on.

`copy_text` is what ``c`` copies and ``lbn-tui cite`` prints: quotation marks
only around text as published (a quote's words, a paragraph, an FAQ answer,
a recommendation as printed, the sentence that states a figure), then a
Harvard attribution (who, where, when, the address), then the permalink in
square brackets.  A reading item or a reference is copied as its full
reference, never with the APPG's description in quotation marks.
`reference_text` is what the second key copies: the reference alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lbn_tui.corpus import model

#: Marks a title's emphasis until the text is finished: `_finish` makes it
#: Markdown's ``*`` or nothing.  A control character, so no briefing text
#: (cleaned of control characters at load) can hold one.
_EM = "\x02"
_MONTHS = {name.lower(): f"{i:02d}" for i, name in enumerate(model.MONTHS, 1)}
_PRINTED_DATE = re.compile(r"(?:(?P<month>[A-Za-z]+)\s+)?(?P<year>\d{4})")


@dataclass(frozen=True, slots=True)
class Work:
    """A cited thing, as reference managers describe it (CSL's fields)."""

    key: str
    type: str
    authors: tuple[str, ...] = ()
    """People as "Family, Given", organisations as one name."""
    title: str = ""
    container: str = ""
    publisher: str = ""
    date: str = ""
    """ISO, as precise as known: ``2023``, ``2023-10``, ``2023-10-25``."""
    year: str = ""
    """The year as cited (``2019b``), when it differs from the date's."""
    url: str = ""
    event: str = ""
    note: str = ""
    identified: bool = True
    """False for a reference whose work no public page confirmed."""

    @property
    def cited_year(self) -> str:
        return self.year or self.date[:4] or "n.d."


def is_person(name: str) -> bool:
    """ "Family, Given" (a person) rather than an organisation's name."""
    family, comma, given = name.partition(", ")
    return bool(comma and given and family and " " not in family.strip())


def _initials(given: str) -> str:
    return " ".join(f"{part[0]}." for part in given.replace("-", " ").split() if part)


def _finish(text: str, markdown: bool) -> str:
    return text.replace(_EM, "*" if markdown else "")


def harvard(work: Work, locator: str = "", markdown: bool = True) -> str:
    """``Author (Year) *Title*, locator. Publisher. Available at: URL`` (no
    final full stop; the title in Markdown emphasis unless ``markdown`` is
    false)."""
    return _finish(_harvard(work, locator), markdown)


def harvard_authors(authors: tuple[str, ...]) -> str:
    """``Tanner, W., Krasniqi, F. and Blagden, J.``; organisations as named."""
    names = []
    for name in authors:
        if is_person(name):
            family, _, given = name.partition(", ")
            names.append(f"{family}, {_initials(given)}")
        else:
            names.append(name)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _harvard(work: Work, locator: str = "") -> str:
    """``Author (Year) *Title*, locator. Publisher. Available at: URL`` (no
    final full stop; the title in Markdown emphasis)."""
    who = harvard_authors(work.authors)
    title = work.title
    if title and work.container:
        title = f"‘{title}’, in {_EM}{work.container}{_EM}"
    elif title:
        title = f"{_EM}{title}{_EM}"
    year = f"({work.cited_year})"
    if who:
        head = f"{who} {year} {title}" if title else f"{who} {year}"
    else:
        head = f"{title} {year}" if title else year
    if locator:
        head += f", {locator}"
    parts = [head]
    if work.event:
        parts.append(work.event)
    if work.publisher and work.publisher != who:
        parts.append(work.publisher)
    if work.url:
        parts.append(f"Available at: {work.url}")
    return _sentences(parts)


def _sentences(parts: list[str]) -> str:
    """Parts joined as sentences: ". " between them, unless one already
    ends a sentence (a title ending in "?")."""
    out = ""
    for part in parts:
        if not part:
            continue
        if out:
            out += " " if out.rstrip(_EM + "’”").endswith((".", "?", "!")) else ". "
        out += part
    return out


# --------------------------------------------------------------------------
# The work each kind cites.


def page_work(source: model.Source, key: str) -> Work:
    """The page a briefing file was taken from."""
    container = source.fact("container")
    date = source.fact("date")
    return Work(
        key=key,
        type="webpage",
        authors=(source.publisher,) if source.publisher else (),
        title=source.title,
        container=str(container.value) if container else "",
        date=str(date.value) if date else "",
        url=source.url,
    )


def _printed_date(text: str) -> str:
    """``September 2019`` → ``2019-09`` (what a reading list prints)."""
    match = _PRINTED_DATE.fullmatch(text.strip())
    if match is None:
        return ""
    month = _MONTHS.get((match.group("month") or "").lower(), "")
    return f"{match.group('year')}-{month}" if month else match.group("year")


def _fact(entry: model.Entry, name: str) -> str:
    found = entry.fact(name)
    if found is None or isinstance(found.value, tuple):
        return ""
    return found.value


def _authors(entry: model.Entry, printed: str) -> tuple[str, ...]:
    found = entry.fact("authors")
    if found is not None:
        return found.value if isinstance(found.value, tuple) else (found.value,)
    return (printed,) if printed else ()


def _session_page(corpus: model.Corpus, entry: model.Entry) -> model.Source:
    session = corpus.session_of(entry.id)
    return session.source if session is not None else entry.source


def _session_url(session: model.Session) -> str:
    url = _fact(session, "url")
    if url:
        return url
    # The session's own page (the evidence session's file) — not the page
    # that merely names it (the inquiry sessions live in the vision's file).
    return session.source.url if session.title == session.source.title else ""


def work_of(corpus: model.Corpus, entry: model.Entry) -> Work:
    """The work an entry cites (for the copy, `cite` and the exports)."""
    if isinstance(entry, model.Reference):
        title = _fact(entry, "title")
        return Work(
            key=entry.id,
            type=_fact(entry, "type") or ("report" if title else "document"),
            authors=_authors(entry, entry.author),
            title=title,
            container=_fact(entry, "container"),
            publisher=_fact(entry, "publisher"),
            date=_fact(entry, "date") or entry.year[:4],
            year=entry.year,
            url=_fact(entry, "url"),
            note="" if title else f"Work not identified; the page cites it as ({entry.citation})",
            identified=bool(title),
        )
    if isinstance(entry, (model.Reading, model.Briefing)):
        printed_by = entry.by if isinstance(entry, model.Reading) else ""
        printed_date = entry.date if isinstance(entry, model.Reading) else ""
        title = entry.title
        if isinstance(entry, model.Reading) and entry.subtitle:
            title = f"{title}: {entry.subtitle}"
        return Work(
            key=entry.id,
            type=_fact(entry, "type") or "report",
            authors=_authors(entry, printed_by),
            title=_fact(entry, "title") or title,
            container=_fact(entry, "container"),
            publisher=_fact(entry, "publisher"),
            date=_fact(entry, "date") or _printed_date(printed_date),
            url=_fact(entry, "url"),
        )
    if isinstance(entry, model.Quote):
        session = corpus.get(entry.session)
        event = ""
        date = ""
        if isinstance(session, model.Session):
            event = _fact(session, "title")
            date = _fact(session, "date")
        page = page_work(entry.source, entry.id)
        return Work(
            key=entry.id,
            type="speech",
            authors=(entry.speaker,),
            title=_capitalised(entry.given_at) or "Evidence",
            event=event,
            date=date,
            url=page.url,
            note=f"Quoted in: {harvard(page, markdown=False)}",
        )
    if isinstance(entry, model.Figure):
        found = corpus.get(entry.found_in)
        if found is not None and found is not entry:
            return work_of(corpus, found)
        return page_work(entry.source, entry.id)
    if isinstance(entry, model.Session):
        return Work(
            key=entry.id,
            type="event",
            authors=(entry.source.publisher,) if entry.source.publisher else (),
            title=entry.title,
            date=_fact(entry, "date"),
            url=_session_url(entry),
        )
    if isinstance(entry, model.CaseStudy):
        return Work(
            key=entry.id,
            type="webpage",
            title=entry.title,
            url=_fact(entry, "url"),
            note=", ".join(p for p in (_fact(entry, "programme"), _fact(entry, "place")) if p),
        )
    return page_work(entry.source, entry.id)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------
# What ``c`` copies.


def _locator(corpus: model.Corpus, entry: model.Entry) -> str:
    """Where in the page: an FAQ's question, a recommendation's list and
    number, an article's title when the page has another, the list a
    reading or briefing is on."""
    if isinstance(entry, model.Faq):
        return f"‘{entry.title}’"
    if isinstance(entry, model.Recommendation):
        return f"{entry.group_label}, no. {entry.number}"
    if isinstance(entry, model.Reading):
        return f"further reading: {entry.title}"
    if isinstance(entry, model.Briefing):
        return f"briefing pack: {entry.title}"
    if isinstance(entry, model.Article) and entry.title != entry.source.title:
        return entry.title
    return ""


def sentence_with(text: str, value: str) -> str:
    """The sentence of ``text`` that states ``value`` (all of it if none)."""
    return next((sentence for sentence in model.sentences(text) if value in sentence), text)


def quoted(corpus: model.Corpus, entry: model.Entry, passage: model.Passage, text: str) -> str:
    """``“text” — attribution`` for text published in ``entry``'s page."""
    if isinstance(entry, model.Quote):
        who = ", ".join(p for p in (entry.speaker_line, entry.given_at) if p)
        session = corpus.get(entry.session)
        if isinstance(session, model.Session) and (session.fact("title") or session.fact("date")):
            held = ", ".join(p for p in (_fact(session, "title"), session.fact_text("date")) if p)
            who += f" ({held})"
        return f"“{text}” — {who}. Quoted in: {_harvard(page_work(entry.source, entry.id))}"
    if isinstance(entry, (model.Reading, model.Briefing)):
        page = page_work(_session_page(corpus, entry), entry.id)
    else:
        page = page_work(entry.source, entry.id)
    return f"“{text}” — {_harvard(page, _locator(corpus, entry))}"


def copy_text(
    corpus: model.Corpus, entry: model.Entry, passage: model.Passage, markdown: bool = True
) -> str:
    """What ``c`` copies for a passage: a citation ready for a briefing note
    (titles in Markdown emphasis unless ``markdown`` is false)."""
    return _finish(_copy_text(corpus, entry, passage), markdown)


def _copy_text(corpus: model.Corpus, entry: model.Entry, passage: model.Passage) -> str:
    ref = model.passage_ref(passage, entry, corpus)
    if isinstance(entry, (model.Reading, model.Briefing, model.Reference)):
        work = work_of(corpus, entry)
        if isinstance(entry, model.Reference):
            page = _harvard(page_work(entry.source, entry.id))
            if not work.identified:
                return (
                    f"{_harvard(work)}. The work is not identified: the page cites it as "
                    f"({entry.citation}). Cited in: {page}. [{ref}]"
                )
            return f"{_harvard(work)}. Cited in: {page}. [{ref}]"
        listed = _harvard(page_work(_session_page(corpus, entry), entry.id))
        return f"{_harvard(work)}. Listed in: {listed}. [{ref}]"
    if isinstance(entry, model.Figure):
        stated = stated_in(corpus, entry)
        if stated is not None:
            found, found_passage = stated
            sentence = sentence_with(found_passage.text, entry.value)
            found_ref = model.passage_ref(found_passage, found, corpus)
            return f"{quoted(corpus, found, found_passage, sentence)}. [{found_ref}; {ref}]"
        page = _harvard(page_work(entry.source, entry.id))
        return f"{entry.value}: {entry.measures} (editorial summary). Source: {page}. [{ref}]"
    if isinstance(entry, model.CaseStudy) and not entry.summary:
        details = ", ".join(p for p in (_fact(entry, "programme"), _fact(entry, "place")) if p)
        head = f"{entry.title} ({details})" if details else entry.title
        url = _fact(entry, "url")
        where = f". Available at: {url}" if url else ""
        page = _harvard(page_work(entry.source, entry.id))
        return f"{head}{where}. Named in: {page}. [{ref}]"
    if isinstance(entry, model.Session) and passage.text == entry.title:
        work = work_of(corpus, entry)
        when = entry.fact_text("date")
        head = f"{entry.title} ({', '.join(p for p in (entry.label, when) if p)})"
        where = f". Available at: {work.url}" if work.url else ""
        return f"{head}{where}. [{ref}]"
    return f"{quoted(corpus, entry, passage, passage.text)}. [{ref}]"


def stated_in(
    corpus: model.Corpus, figure: model.Figure
) -> tuple[model.Entry, model.Passage] | None:
    found = corpus.get(figure.found_in)
    if found is None or found is figure:
        return None
    for passage in corpus.passages_of(found.id):
        if figure.value in passage.text:
            return found, passage
    return None


def address_of(corpus: model.Corpus, entry: model.Entry) -> str:
    """The address ``u`` copies: the cited work's own, else the page's."""
    if isinstance(entry, (model.Reading, model.Briefing, model.Reference, model.CaseStudy)):
        url = work_of(corpus, entry).url
        if url:
            return url
    if isinstance(entry, model.Session):
        return _session_url(entry) or entry.source.url
    return entry.source.url


def reference_text(corpus: model.Corpus, entry: model.Entry, markdown: bool = True) -> str:
    """What the second copy key copies: the Harvard reference alone."""
    return _finish(_reference_text(corpus, entry), markdown)


def _reference_text(corpus: model.Corpus, entry: model.Entry) -> str:
    if isinstance(entry, model.Figure):
        stated = stated_in(corpus, entry)
        if stated is not None:
            return _reference_text(corpus, stated[0])
    if isinstance(entry, (model.Reading, model.Briefing, model.Reference, model.Session)):
        return _harvard(work_of(corpus, entry))
    # A quote, a paragraph, an answer, a recommendation: the page they are on.
    return _harvard(page_work(entry.source, entry.id))
