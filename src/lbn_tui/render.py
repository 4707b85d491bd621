"""Plain-text and Markdown renderings of entries and passages.

Used by ``lbn-tui show`` and ``lbn-tui export`` and by the app's copy and
export actions; no Textual here.  Output is plain text fit for a pager, a
screen reader or a document: no colour, no markup interpreted.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from lbn_tui.corpus import model
from lbn_tui.sanitize import visible


def attribution_of(corpus: model.Corpus, passage: model.Passage) -> str:
    """Who said or published the passage, as one line.

    A quote: speaker, role, occasion.  Anything else: what the passage is
    (a reading's title and byline, a figure's origin, a recommendation's
    list and number, an article's title when it differs from its page),
    then the page's publisher and title, then its address.
    """
    entry = corpus.by_id[passage.entry_id]
    if isinstance(entry, model.Quote):
        return entry.attribution
    parts: list[str] = []
    if isinstance(entry, model.Reading):
        parts += [entry.title, entry.byline]
    elif isinstance(entry, model.Figure):
        parts.append(entry.origin)
    elif isinstance(entry, model.Recommendation):
        parts.append(f"{entry.group_label}, no. {entry.number}")
    elif entry.title != entry.source.title:
        parts.append(entry.title)
    parts += [entry.source.publisher, entry.source.title]
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    text = ", ".join(seen)
    if entry.source.url:
        text += f" ({entry.source.url})"
    return text


def attributed_text(corpus: model.Corpus, passage: model.Passage) -> str:
    """``“text” — attribution``, ready to paste."""
    return f"“{passage.text}” — {attribution_of(corpus, passage)}"


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
    entry = corpus.get(entry_id)
    if entry is None:
        return entry_id
    return f"{entry.title} [{entry.kind}: {entry.id}]"


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
    lines = [entry.title, f"{entry.kind_label} · {entry.id}", ""]
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
        details = ", ".join(p for p in (entry.programme, entry.place) if p)
        if details:
            lines += _wrap(details, width)
        if entry.summary:
            lines += ["", *_wrap(entry.summary, width)]
    elif isinstance(entry, model.Figure):
        lines += _wrap(entry.value, width)
        lines += _wrap(entry.measures, width)
        if entry.origin:
            lines += ["", *_wrap(f"Source: {entry.origin}", width)]
    elif isinstance(entry, model.Reference):
        lines += _wrap(f"({entry.citation})", width)
        if entry.note:
            lines += _wrap(entry.note, width)
        citing = corpus.citing_passages(entry.id)
        if citing:
            lines += ["", "Cited in:"]
            for citation in citing:
                cited_in = corpus.by_id[citation.entry_id]
                cited = corpus.passages_of(cited_in.id)[citation.passage_index]
                text = cited.text
                ref = model.passage_ref(cited, cited_in, corpus)
                lines += _bullet(f"{cited_in.title} [{ref}] — {model._shorten(text, 14)}", width)

    related: list[str] = []
    for target in (*entry.cites(), *entry.links()):
        line = _line_for(corpus, target)
        if line not in related:
            related.append(line)
    if isinstance(entry, model.Session):
        pack = set(entry.briefing_pack) | set(entry.reading_list)
        related = [r for r in related if not any(f": {p}]" in r for p in pack)]
    back = [_line_for(corpus, i) for i in corpus.linked_from(entry.id)]
    back = [b for b in back if b not in related]
    if related:
        lines += ["", "See also:"]
        lines += [f"  {r}" for r in related]
    if back:
        lines += ["", "Linked from:"]
        lines += [f"  {b}" for b in back]
    lines += ["", f"Source: {entry.source.title}", f"        {entry.source.url}"]
    return "\n".join(lines).rstrip() + "\n"


def export_starred(corpus: model.Corpus, refs: Iterable[str], fmt: str = "markdown") -> str:
    """The starred passages with their attributions and sources."""
    blocks: list[str] = []
    missing: list[str] = []
    for ref in refs:
        found = model.resolve_ref(corpus, ref)
        if found is None:
            missing.append(ref)
            continue
        entry, passage = found
        passages = (passage,) if passage is not None else corpus.passages_of(entry.id)
        body = "\n\n".join(p.text for p in passages)
        if fmt == "markdown":
            quoted = "\n".join(f"> {line}" if line else ">" for line in body.splitlines())
            cite = attribution_of(corpus, passages[0])
            blocks.append(
                f"{quoted}\n>\n> — {cite}\n\n`{ref}` · [{entry.source.title}]({entry.source.url})"
            )
        else:
            blocks.append(
                f"“{body}”\n— {attribution_of(corpus, passages[0])}\n[{ref}] {entry.source.url}"
            )
    head = "# Starred passages\n\n" if fmt == "markdown" else ""
    text = head + "\n\n".join(blocks)
    if missing:
        # Refs come from the stars file, which anything may have written.
        note = ", ".join(visible(ref) for ref in missing)
        text += f"\n\n(Not found in the loaded briefings: {note})"
    return text.rstrip() + "\n"
