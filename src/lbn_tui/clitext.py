"""Text for a terminal, for the command line: widths, wrapping, highlights, suggestions.

No Textual or Rich (``lbn-tui list`` and ``search`` must start fast).
Highlights are SGR bold + reverse, written only when the output is a
terminal (never into a pipe or a file) and ``$NO_COLOR`` is not set.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TextIO

Spans = Sequence[tuple[int, int]]

MARK_ON = "\x1b[1;7m"
MARK_OFF = "\x1b[22;27m"
ELLIPSIS = "…"


def terminal_width(default: int = 80) -> int:
    """The terminal's columns (``$COLUMNS`` first; ``default`` when not a terminal)."""
    return max(20, shutil.get_terminal_size((default, 24)).columns)


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def can_highlight(stream: TextIO) -> bool:
    """SGR only into a terminal that can show it, and not under ``$NO_COLOR``."""
    return (
        is_terminal(stream)
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM", "") not in ("dumb", "unknown")
    )


def cells(text: str) -> int:
    """Terminal cells ``text`` takes (wide East Asian characters take two)."""
    return sum(
        0
        if unicodedata.combining(ch)
        else 2
        if unicodedata.east_asian_width(ch) in ("W", "F")
        else 1
        for ch in text
    )


def truncate(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, ending in … when cut."""
    if cells(text) <= width:
        return text
    out = []
    used = 0
    for ch in text:
        size = cells(ch)
        if used + size > width - 1:
            break
        out.append(ch)
        used += size
    return "".join(out).rstrip() + ELLIPSIS


def snippet(text: str, spans: Spans, width: int = 150) -> tuple[str, list[tuple[int, int]]]:
    """Up to ``width`` characters of ``text`` around the first span, its
    whitespace folded, and the spans moved to the snippet's offsets."""
    lo = 0
    if len(text) > width:
        start = spans[0][0] if spans else 0
        lo = max(0, start - width // 3)
        while lo > 0 and not text[lo - 1].isspace():
            lo -= 1
    hi = min(len(text), lo + width) if len(text) > width else len(text)
    marked = [False] * len(text)
    for start, end in spans:
        for i in range(max(start, 0), min(end, len(text))):
            marked[i] = True
    chars: list[tuple[str, bool]] = []
    for i in range(lo, hi):
        ch = text[i]
        if ch.isspace():
            if chars and chars[-1][0] != " ":
                chars.append((" ", False))
        else:
            chars.append((ch, marked[i]))
    while chars and chars[-1][0] == " ":
        chars.pop()
    if lo:
        chars.insert(0, (ELLIPSIS, False))
    if hi < len(text):
        chars.append((ELLIPSIS, False))
    flat = "".join(ch for ch, _ in chars)
    return flat, _runs([m for _, m in chars])


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


def wrap(
    text: str, spans: Spans, width: int, indent: str = "", first: str | None = None
) -> list[tuple[str, list[tuple[int, int]]]]:
    """``text`` (one paragraph) in lines of at most ``width`` cells, each with
    its spans; lines start with ``first`` (the first) or ``indent``."""
    flags = [False] * len(text)
    for start, end in spans:
        for i in range(max(start, 0), min(end, len(text))):
            flags[i] = True
    lines: list[tuple[str, list[tuple[int, int]]]] = []
    prefix = indent if first is None else first
    line: list[tuple[str, bool]] = [(ch, False) for ch in prefix]
    used = cells(prefix)
    has_word = False
    pos = 0
    for word in text.split(" "):
        chars = [(ch, flags[pos + i]) for i, ch in enumerate(word)]
        pos += len(word) + 1
        if not word:
            continue
        size = cells(word)
        if has_word and used + 1 + size > width:
            lines.append(_line(line))
            line, used, has_word = [(ch, False) for ch in indent], cells(indent), False
        if has_word:
            # A space inside a highlighted phrase stays highlighted.
            joined = bool(line and line[-1][1] and chars[0][1])
            line.append((" ", joined))
            used += 1
        for ch, flag in chars:  # a word longer than the line is cut where it must be
            if used + cells(ch) > width and has_word:
                lines.append(_line(line))
                line, used = [(c, False) for c in indent], cells(indent)
            line.append((ch, flag))
            used += cells(ch)
            has_word = True
    if has_word or not lines:
        lines.append(_line(line))
    return lines


def _line(chars: Sequence[tuple[str, bool]]) -> tuple[str, list[tuple[int, int]]]:
    return "".join(ch for ch, _ in chars), _runs([flag for _, flag in chars])


def marked(text: str, spans: Spans, highlight: bool) -> str:
    """``text`` with SGR around each span (or plain, without ``highlight``)."""
    if not highlight or not spans:
        return text
    out = []
    last = 0
    for start, end in spans:
        out += [text[last:start], MARK_ON, text[start:end], MARK_OFF]
        last = end
    out.append(text[last:])
    return "".join(out)


def suggestions(word: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Up to ``limit`` candidates close to ``word`` (difflib), best first."""
    import difflib

    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=limit, cutoff=0.6)
    if len(found) < limit:  # a fragment of a long id: "burt" for "quote-jim-burt-…"
        extra = [c for c in lowered if word.lower() in c and c not in found]
        found += sorted(extra, key=len)[: limit - len(found)]
    return [lowered[f] for f in found]


def one_of(names: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
