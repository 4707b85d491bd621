"""What the reader shows for each place: entries and lists as `View`s.

Every string from the briefings goes into `Content(...)` or a
``(text, style)`` tuple of `Content.assemble`: never into markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.content import Content

from lbn_tui.corpus import model
from lbn_tui.corpus.outline import (
    LIST_PREFIX,
    list_entries,
    list_title,
)
from lbn_tui.tui.browser.history import Place
from lbn_tui.tui.widgets.reader import Block, View

BADGE = "bold $text-secondary"
MUTED = "$text-muted"
TITLE = "bold"
HIGHLIGHT = "bold reverse"
LINK = "underline $text-primary"
#: Text written for this project (glosses, derived titles, editorial facts).
EDITORIAL = "italic $text-muted"

IsStarred = Callable[[model.Passage], bool]

#: At most this many links, citing passages or list items in one view: a
#: hostile pack may link 100 000 entries to one, and laying out each block
#: costs the reader time (the CLI's `show` lists them all).
MAX_SHOWN = 1000


def _more(shown: int, total: int, where: str) -> list[Block]:
    """A note for what a long section leaves out, if anything."""
    if total <= shown:
        return []
    return [Block(Content.styled(f"… and {total - shown:,} more ({where})", MUTED), "note")]


def badge(kind: str) -> Content:
    return Content.styled(model.KIND_LABELS.get(kind, kind), BADGE)


def star_mark(starred: bool) -> Content:
    return Content.styled("★ ", "bold $text-warning") if starred else Content("")


# -- building blocks -------------------------------------------------------


def _quoted(text: str | Content) -> Content:
    return Content.assemble(("“", MUTED), text, ("”", MUTED))


def _link(corpus: model.Corpus, target: str, prefix: str = "→ ") -> Block:
    # An entry's id: its kind and title (a stored corpus answers from its
    # columns, decoding nothing: a session shows 1 000 of its quotes' links).
    known = corpus.kind_and_title(target)
    if known is not None:
        kind, title = known
        return Block(
            Content.assemble((prefix, MUTED), badge(kind), "  ", (title, LINK)),
            "link",
            target=target,
        )
    found = model.resolve_ref(corpus, target) if not target.startswith(LIST_PREFIX) else None
    if found is None:
        label = Content(list_title(corpus, target) if target.startswith(LIST_PREFIX) else target)
        return Block(Content.assemble((prefix, MUTED), label), "link", target=target)
    entry, _ = found
    return Block(
        Content.assemble((prefix, MUTED), badge(entry.kind), "  ", (entry.title, LINK)),
        "link",
        target=target,
    )


def _passage_block(
    passage: model.Passage,
    place: Place,
    is_starred: IsStarred,
    text: Content | None = None,
    role: str = "passage",
    quoted: bool = False,
) -> Block:
    """``text`` (if given) must have the same characters as ``passage.text``,
    so that search spans land on the right words."""
    content = text if text is not None else Content(passage.text)
    if place.passage == passage.index and place.highlight:
        for start, end in place.highlight:
            content = content.stylize(HIGHLIGHT, start, end)
    if quoted:
        content = _quoted(content)
    return Block(Content.assemble(star_mark(is_starred(passage)), content), role, passage=passage)


def _embed_blocks(corpus: model.Corpus, entry_id: str, is_starred: IsStarred) -> list[Block]:
    entry = corpus.get(entry_id)
    if entry is None:
        return [Block(Content(f"(missing: {entry_id})"), "note")]
    passage = corpus.passages_of(entry.id)[0]
    mark = star_mark(is_starred(passage))
    if isinstance(entry, model.Quote):
        body = Content.assemble(
            mark,
            _quoted(entry.text),
            "\n",
            ("— " + entry.attribution, MUTED),
        )
    elif isinstance(entry, model.Recommendation):
        body = Content.assemble(mark, (f"{entry.number}. ", "bold"), entry.text)
    elif isinstance(entry, model.CaseStudy):
        body = Content.assemble(
            mark, badge(entry.kind), "  ", (entry.title, TITLE), "\n", entry.summary or ""
        )
    else:
        body = Content.assemble(mark, badge(entry.kind), "  ", (entry.title, TITLE))
    return [Block(body, "embed", passage=passage, target=entry.id)]


def _paragraph_blocks(
    corpus: model.Corpus,
    entry: model.Entry,
    paragraphs: Iterable[model.Paragraph],
    place: Place,
    is_starred: IsStarred,
) -> list[Block]:
    passages = corpus.passages_of(entry.id)
    blocks: list[Block] = []
    index = 0
    for para in paragraphs:
        if para.heading:
            blocks.append(Block(Content.styled(para.heading, "bold $text-primary"), "heading"))
        if para.text:
            passage = passages[index] if index < len(passages) else None
            index += 1
            if passage is not None:
                blocks.append(_passage_block(passage, place, is_starred))
            else:
                blocks.append(Block(Content(para.text), "note"))
            for ref in para.cites:
                blocks.append(_link(corpus, ref, prefix="  cites "))
        for embedded in para.embed:
            blocks.extend(_embed_blocks(corpus, embedded, is_starred))
    return blocks


def _item_block(
    corpus: model.Corpus,
    entry: model.Entry,
    number: int | None,
    is_starred: IsStarred,
    passage: model.Passage | None = None,
    badges: bool = True,
) -> Block:
    passages = corpus.passages_of(entry.id)
    shown = passage or passages[0]
    head: list[Content | str | tuple[str, str]] = []
    if number is not None:
        head.append((f"{number}. ", "bold"))
    head.append(star_mark(is_starred(shown)))
    if isinstance(entry, model.Quote):
        return Block(
            Content.assemble(*head, _quoted(entry.text), "\n", ("— " + entry.attribution, MUTED)),
            "item",
            passage=shown,
            target=entry.id,
        )
    if isinstance(entry, model.Recommendation):
        return Block(Content.assemble(*head, entry.text), "item", passage=shown, target=entry.id)
    lines: list[Content | str | tuple[str, str]] = [*head, (entry.title, TITLE)]
    if isinstance(entry, model.Reading):
        if entry.subtitle:
            lines += [": ", (entry.subtitle, TITLE)]
        if entry.byline:
            lines += ["\n", (entry.byline, MUTED)]
    elif badges and not isinstance(entry, model.Session):
        lines = [*head, badge(entry.kind), "  ", (entry.title, TITLE)]
    wants_text = passage is not None or entry.kind in (
        "reading",
        "briefing",
        "case-study",
        "figure",
    )
    if wants_text and shown.text != entry.title:
        lines += ["\n", shown.text]
    return Block(
        Content.assemble(*lines),
        "item",
        passage=shown,
        target=model.passage_ref(shown, entry, corpus) if passage is not None else entry.id,
    )


def _source_block(entry: model.Entry) -> Block:
    source = entry.source
    parts: list[Content | str | tuple[str, str]] = [(source.title, TITLE)]
    if source.publisher:
        parts += ["\n", (source.publisher, MUTED)]
    parts += ["\n", (source.url, LINK)]
    return Block(
        Content.assemble(*parts),
        "source",
        target=f"url:{source.url}",
        label=Content.styled("Source", MUTED),
    )


def entry_view(
    corpus: model.Corpus, entry: model.Entry, place: Place, is_starred: IsStarred
) -> View:
    title_parts: list[Content | str | tuple[str, str]] = [
        badge(entry.kind),
        "  ",
        (entry.title, "bold"),
    ]
    if entry.editorial_title:
        title_parts.append(("  (title by lbn-tui)", EDITORIAL))
    blocks: list[Block] = [Block(Content.assemble(*title_parts), "title")]
    for line in entry.meta_lines():
        if line:
            blocks.append(Block(Content.styled(line, MUTED), "meta"))
    passages = corpus.passages_of(entry.id)
    if isinstance(entry, model.Session):
        blocks += _paragraph_blocks(corpus, entry, entry.summary, place, is_starred)
        for ids, heading in (
            (entry.briefing_pack, "Briefing pack"),
            (entry.reading_list, "Reading list"),
        ):
            if not ids:
                continue
            blocks.append(Block(Content.styled(heading, "bold $text-primary"), "heading"))
            for n, item_id in enumerate(ids, 1):
                item = corpus.get(item_id)
                if item is not None:
                    blocks.append(_item_block(corpus, item, n, is_starred, badges=False))
        if entry.reading_list_note:
            blocks.append(_passage_block(passages[-1], place, is_starred, role="note"))
    elif isinstance(entry, model.Article):
        blocks += _paragraph_blocks(corpus, entry, entry.paragraphs, place, is_starred)
        if entry.note:
            blocks.append(Block(Content.styled("Note", "bold $text-primary"), "heading"))
            blocks.append(_passage_block(passages[-1], place, is_starred, role="note"))
    elif isinstance(entry, model.Faq):
        blocks += _paragraph_blocks(corpus, entry, entry.answer, place, is_starred)
    elif isinstance(entry, model.Quote):
        blocks.append(_passage_block(passages[0], place, is_starred, quoted=True))
    elif isinstance(entry, model.Figure):
        # The value, then what it measures in this project's words: a
        # summary, never shown as if quoted.
        blocks.append(
            _passage_block(
                passages[0],
                place,
                is_starred,
                Content.assemble(
                    (entry.value, "bold $text-accent"),
                    "  ",
                    (entry.measures, "italic"),
                    ("  (summary by lbn-tui)", EDITORIAL),
                ),
            )
        )
        from lbn_tui.cite import works  # figures only: not on the start-up path

        stated = works.stated_in(corpus, entry)
        if stated is not None:
            found, found_passage = stated
            ref = model.passage_ref(found_passage, found, corpus)
            blocks.append(
                Block(
                    _quoted(works.sentence_with(found_passage.text, entry.value)),
                    "embed",
                    target=ref,
                    label=Content.styled("As printed", MUTED),
                )
            )
    else:
        for passage in passages:
            blocks.append(_passage_block(passage, place, is_starred))
        for ref in entry.cites():
            blocks.append(_link(corpus, ref, prefix="  cites "))
    if isinstance(entry, model.Reference):
        citing = corpus.citing_passages(entry.id)
        blocks.append(
            Block(Content.styled(f"Cited in ({len(citing)})", "bold $text-primary"), "heading")
        )
        for citation in citing[:MAX_SHOWN]:
            source_entry = corpus.by_id[citation.entry_id]
            source_passages = corpus.passages_of(source_entry.id)
            if citation.passage_index < len(source_passages):
                cited = source_passages[citation.passage_index]
                blocks.append(_item_block(corpus, source_entry, None, is_starred, cited))
        blocks += _more(MAX_SHOWN, len(citing), f"lbn-tui show {entry.id} lists them all")
    blocks += _links_blocks(corpus, entry)
    blocks += _editorial_blocks(entry)
    blocks.append(_source_block(entry))
    cursor = place.block if place.block is not None and place.block < len(blocks) else None
    if cursor is None and place.passage is not None:
        cursor = next(
            (
                i
                for i, b in enumerate(blocks)
                if b.passage is not None
                and b.passage.entry_id == entry.id
                and b.passage.index == place.passage
            ),
            None,
        )
    title = Content.assemble(entry.kind_label, " · ", entry.title)
    return View(entry.id, title, tuple(blocks), cursor)


def _editorial_blocks(entry: model.Entry) -> list[Block]:
    """The facts this project added (not on the page), apart and labelled,
    grouped by the address that states them (Enter or u copies it)."""
    if not entry.facts:
        return []
    blocks = [Block(Content.styled("Added by lbn-tui (not on the page)", EDITORIAL), "heading")]
    for address, facts in entry.facts_by_address().items():
        parts: list[Content | str | tuple[str, str]] = []
        for fact in facts:
            parts += [(f"{fact.label}: ", EDITORIAL), fact.text, "\n"]
        parts += [("found at ", MUTED), (address, LINK)]
        blocks.append(Block(Content.assemble(*parts), "meta", target=f"url:{address}"))
    return blocks


def _links_blocks(corpus: model.Corpus, entry: model.Entry) -> list[Block]:
    targets: dict[str, None] = {}
    if isinstance(entry, model.Quote) and entry.session:
        targets[entry.session] = None
    for target in (*entry.links(), *entry.cites(), *corpus.linked_from(entry.id)):
        if target != entry.id:
            targets.setdefault(target, None)
    session = corpus.session_of(entry.id)
    if session is not None:
        targets.setdefault(session.id, None)
    if not targets:
        return []
    blocks = [Block(Content.styled(f"Links ({len(targets)})", "bold $text-primary"), "heading")]
    blocks += [_link(corpus, t) for t in list(targets)[:MAX_SHOWN]]
    blocks += _more(MAX_SHOWN, len(targets), f"lbn-tui show {entry.id} lists them all")
    return blocks


def list_view(
    corpus: model.Corpus, place: Place, is_starred: IsStarred, starred: Iterable[str] = ()
) -> View:
    title = list_title(corpus, place.key)
    items = list_entries(corpus, place.key, starred)
    name = place.key.removeprefix(LIST_PREFIX).partition(":")[0]
    numbered = name in ("recs", "reading", "pack")
    blocks: list[Block] = [
        Block(Content.assemble((title, "bold"), (f"  ({len(items)})", MUTED)), "title")
    ]
    if not items:
        hint = (
            "Nothing starred yet: press s on a passage to star it."
            if name == "starred"
            else "Nothing here."
        )
        blocks.append(Block(Content.styled(hint, MUTED), "note"))
    for n, (entry, passage) in enumerate(items[:MAX_SHOWN], 1):
        blocks.append(
            _item_block(
                corpus, entry, n if numbered else None, is_starred, passage, name == "starred"
            )
        )
    blocks += _more(MAX_SHOWN, len(items), "lbn-tui list shows them all")
    cursor = place.block if place.block is not None and place.block < len(blocks) else None
    return View(place.key, Content(title), tuple(blocks), cursor)


def build_view(
    corpus: model.Corpus, place: Place, is_starred: IsStarred, starred: Iterable[str] = ()
) -> View | None:
    if place.is_list:
        return list_view(corpus, place, is_starred, starred)
    entry = corpus.get(place.key)
    if entry is None:
        return None
    return entry_view(corpus, entry, place, is_starred)
