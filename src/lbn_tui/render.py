"""Plain-text and Markdown renderings of entries and passages.

Used by ``lbn-tui show`` and ``lbn-tui export`` and by the app's copy and
export actions; no Textual here.  Output is plain text fit for a pager, a
screen reader or a document: no colour, no markup interpreted.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from lbn_tui.cite import formats, works
from lbn_tui.corpus import model
from lbn_tui.sanitize import visible


def attributed_text(corpus: model.Corpus, passage: model.Passage) -> str:
    """What ``c`` copies: the passage as a citation ready to paste
    (`cite.works.copy_text`)."""
    return works.copy_text(corpus, corpus.by_id[passage.entry_id], passage)


def _editorial_lines(entry: model.Entry, width: int) -> list[str]:
    """The facts this project added, apart from the page's text, grouped by
    the address that states them."""
    if not entry.facts:
        return []
    lines = ["", "Added by lbn-tui (not on the page; each fact as found at the address):"]
    for address, facts in entry.facts_by_address().items():
        for fact in facts:
            lines += _wrap(f"{fact.label}: {fact.text}", width - 2, "  ")
        lines += _wrap(f"found at {address}", width - 4, "    ")
    return lines


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    if width <= 0:
        return [indent + line for line in text.splitlines() or [""]]
    out: list[str] = []
    for line in text.splitlines() or [""]:
        out.extend(
            textwrap.wrap(
                line,
                width=width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [indent]
        )
    return out


def _bullet(text: str, width: int, indent: str = "") -> list[str]:
    """A list item: "• " then the text, wrapped lines hanging under the text."""
    lines = _wrap(text, width - len(indent) - 2, indent + "  ")
    if lines:
        lines[0] = indent + "• " + lines[0][len(indent) + 2 :]
    return lines


def _line_for(corpus: model.Corpus, entry_id: str) -> str:
    # Kind and title only: a large pack's store answers from its columns
    # (`show` of a session linked from 100 000 quotes decodes none of them).
    found = corpus.kind_and_title(entry_id)
    if found is None:
        return entry_id
    kind, title = found
    return f"{title} [{kind}: {entry_id}]"


def _embedded(corpus: model.Corpus, entry_id: str, width: int) -> list[str]:
    entry = corpus.get(entry_id)
    if entry is None:
        return []
    if isinstance(entry, model.Quote):
        lines = _wrap(f"“{entry.text}”", width - 4, "    ")
        lines += _wrap(f"— {entry.attribution}", width - 4, "    ")
        return lines
    if isinstance(entry, model.Recommendation):
        return _bullet(entry.text, width, "    ")
    return [f"    • {_line_for(corpus, entry_id)}"]


def _paragraphs(
    corpus: model.Corpus, paragraphs: Iterable[model.Paragraph], width: int
) -> list[str]:
    lines: list[str] = []
    for para in paragraphs:
        if para.heading:
            if lines:
                lines.append("")
            lines.append(para.heading)
            lines.append("-" * min(len(para.heading), max(width, 10)))
        if para.text:
            if lines and lines[-1] != "" and not para.heading:
                lines.append("")
            lines.extend(_wrap(para.text, width))
        if para.embed:
            lines.append("")
            for target in para.embed:
                lines.extend(_embedded(corpus, target, width))
                if isinstance(corpus.get(target), model.Quote):
                    lines.append("")
    return lines


def entry_plain_text(corpus: model.Corpus, entry: model.Entry, width: int = 78) -> str:
    """The whole entry as readable plain text."""
    title = f"{entry.title} (title by lbn-tui)" if entry.editorial_title else entry.title
    lines = [title, f"{entry.kind_label} · {entry.id}", ""]
    if isinstance(entry, model.Session):
        lines.append(entry.label)
        lines.append("")
        lines += _paragraphs(corpus, entry.summary, width)
        if entry.briefing_pack:
            lines += ["", "Briefing pack"]
            for ref in entry.briefing_pack:
                item = corpus.get(ref)
                if isinstance(item, model.Briefing):
                    lines += ["", *_bullet(item.title, width)]
                    lines += _wrap(item.description, width - 2, "  ")
        if entry.reading_list:
            lines += ["", "Further reading"]
            if entry.reading_list_note:
                lines += _wrap(entry.reading_list_note, width)
            for ref in entry.reading_list:
                item = corpus.get(ref)
                if isinstance(item, model.Reading):
                    lines += ["", *_bullet(item.title, width)]
                    if item.subtitle:
                        lines += _wrap(item.subtitle, width - 2, "  ")
                    if item.byline:
                        lines += _wrap(item.byline, width - 2, "  ")
                    lines += _wrap(item.description, width - 2, "  ")
    elif isinstance(entry, model.Briefing):
        lines += _wrap(entry.description, width)
    elif isinstance(entry, model.Reading):
        if entry.subtitle:
            lines += [*_wrap(entry.subtitle, width), ""]
        if entry.byline:
            lines += [*_wrap(f"By: {entry.byline}", width), ""]
        lines += _wrap(entry.description, width)
    elif isinstance(entry, model.Recommendation):
        lines += [f"{entry.group_label}, no. {entry.number}", ""]
        lines += _wrap(entry.text, width)
    elif isinstance(entry, model.Quote):
        lines += _wrap(f"“{entry.text}”", width)
        lines += ["", *_wrap(f"— {entry.attribution}", width)]
    elif isinstance(entry, model.Faq):
        lines += _paragraphs(corpus, entry.answer, width)
    elif isinstance(entry, model.Article):
        lines += _paragraphs(corpus, entry.paragraphs, width)
        if entry.note:
            lines += ["", *_wrap(entry.note, width)]
    elif isinstance(entry, model.CaseStudy):
        for label, text in entry.glosses():
            lines += _wrap(f"{label} (by lbn-tui): {text}", width)
    elif isinstance(entry, model.Figure):
        lines += _wrap(entry.value, width)
        lines += _wrap(f"What it measures (by lbn-tui): {entry.measures}", width)
        stated = works.stated_in(corpus, entry)
        if stated is not None:
            found, found_passage = stated
            sentence = works.sentence_with(found_passage.text, entry.value)
            ref = model.passage_ref(found_passage, found, corpus)
            lines += ["", *_wrap(f"As printed [{ref}]: “{sentence}”", width)]
        if entry.origin:
            lines += ["", *_wrap(f"Origin (by lbn-tui): {entry.origin}", width)]
    elif isinstance(entry, model.Reference):
        lines += _wrap(f"({entry.citation})", width)
        if entry.note:
            lines += _wrap(f"Note (by lbn-tui): {entry.note}", width)
        citing = corpus.citing_passages(entry.id)
        if citing:
            lines += ["", "Cited in:"]
            for citation in citing:
                cited_in = corpus.by_id[citation.entry_id]
                cited = corpus.passages_of(cited_in.id)[citation.passage_index]
                text = cited.text
                ref = model.passage_ref(cited, cited_in, corpus)
                lines += _bullet(f"{cited_in.title} [{ref}] — {model._shorten(text, 14)}", width)

    # Dicts, not list lookups: linear however many links an entry has.
    pack: set[str] = set()
    if isinstance(entry, model.Session):
        pack = set(entry.briefing_pack) | set(entry.reading_list)
    related: dict[str, None] = {}
    for target in (*entry.cites(), *entry.links()):
        if target not in pack:
            related.setdefault(_line_for(corpus, target), None)
    back = [
        line
        for line in dict.fromkeys(_line_for(corpus, i) for i in corpus.linked_from(entry.id))
        if line not in related
    ]
    if related:
        lines += ["", "See also:"]
        lines += [f"  {r}" for r in related]
    if back:
        lines += ["", "Linked from:"]
        lines += [f"  {b}" for b in back]
    lines += _editorial_lines(entry, width)
    reference = works.reference_text(corpus, entry, markdown=False)
    lines += ["", "Reference:", *_wrap(reference, width - 2, "  ")]
    lines += ["", f"Source: {entry.source.title}", f"        {entry.source.url}"]
    return "\n".join(lines).rstrip() + "\n"


#: What ``export`` writes: a document (markdown, text) or records.
EXPORT_FORMATS = ("markdown", "text", *formats.RECORD_FORMATS)


def _starred_passages(
    corpus: model.Corpus, refs: Iterable[str]
) -> tuple[list[tuple[str, model.Entry, tuple[model.Passage, ...]]], list[str]]:
    found: list[tuple[str, model.Entry, tuple[model.Passage, ...]]] = []
    missing: list[str] = []
    for ref in refs:
        resolved = model.resolve_ref(corpus, ref)
        if resolved is None:
            missing.append(ref)
            continue
        entry, passage = resolved
        passages = (passage,) if passage is not None else corpus.passages_of(entry.id)
        found.append((ref, entry, passages))
    return found, missing


def export_starred(corpus: model.Corpus, refs: Iterable[str], fmt: str = "markdown") -> str:
    """The starred passages, each as its citation (`works.copy_text`), or
    the works they cite as records (CSL-JSON, RIS, BibTeX)."""
    found, missing = _starred_passages(corpus, refs)
    if fmt in formats.RECORD_FORMATS:
        records = _dedupe(works.work_of(corpus, entry) for _ref, entry, _p in found)
        return formats.write(records, fmt)
    blocks: list[str] = []
    for _ref, entry, passages in found:
        for passage in passages:
            blocks.append(works.copy_text(corpus, entry, passage, markdown=fmt == "markdown"))
    head = "# Starred passages\n\n" if fmt == "markdown" else ""
    text = head + "\n\n".join(blocks)
    if missing:
        # Refs come from the stars file, which anything may have written.
        note = ", ".join(visible(ref) for ref in missing)
        text += f"\n\n(Not found in the loaded briefings: {note})"
    return text.rstrip() + "\n"


def _dedupe(items: Iterable[works.Work]) -> list[works.Work]:
    """Each work once: passages of one page cite one page."""
    seen: dict[tuple[object, ...], works.Work] = {}
    for work in items:
        same = (work.type, work.authors, work.title, work.container, work.url, work.event)
        seen.setdefault(same, work)
    return list(seen.values())


def export_bibliography(corpus: model.Corpus, kinds: Iterable[str], fmt: str = "markdown") -> str:
    """Every entry of the kinds as a work: a Harvard reference list (sorted
    by author and year, as a bibliography is) or records in file order."""
    wanted = set(kinds)
    entries = [e for e in corpus.entries if e.kind in wanted]
    found = _dedupe(works.work_of(corpus, e) for e in entries)
    if fmt in formats.RECORD_FORMATS:
        return formats.write(found, fmt)
    markdown = fmt == "markdown"
    lines = sorted(
        (
            works.harvard(w, markdown=markdown)
            + ("" if w.identified else ". Work not identified")
            + f". [{w.key}]"
            for w in found
        ),
        key=lambda t: t.casefold(),
    )
    if markdown:
        return "# References\n\n" + "\n".join(f"- {line}" for line in lines) + "\n"
    return "\n".join(lines) + "\n"
