"""Make untrusted text safe to show in a terminal.

Briefing files are written by other people.  Any string in them may hold
escape sequences (colour changes, OSC 52 clipboard writes, OSC 8 links,
title changes, DCS strings) or bare control bytes that a terminal would act
on.  `clean_text` removes them all, keeping tab and newline.

Markup is a separate matter: the user interfaces never interpret text as
markup, so "[bold]" stays the literal characters "[bold]".
"""

from __future__ import annotations

import re

# Whole escape sequences first, so that their parameters do not survive as
# visible junk once the introducer is gone.  Unterminated string sequences
# end at the end of the line, so one stray ESC cannot swallow a whole text.
_ESCAPE_SEQUENCE = re.compile(
    r"""
      \x1b\[ [0-?]* [ -/]* [@-~]?                 # CSI ... final byte
    | \x1b\] [^\x07\x1b\x9c\n]* (?:\x07|\x1b\\|\x9c)?   # OSC ... BEL or ST
    | \x1b[PX^_] [^\x1b\x9c\n]* (?:\x1b\\|\x9c)?  # DCS, SOS, PM, APC ... ST
    | \x1b [ -/]* [0-~]?                          # other ESC sequences
    | \x9b [0-?]* [ -/]* [@-~]?                   # 8-bit CSI
    | \x9d [^\x07\x9c\n]* (?:\x07|\x9c)?          # 8-bit OSC
    | [\x90\x98\x9e\x9f] [^\x9c\x1b\n]* (?:\x9c|\x1b\\)?  # 8-bit DCS, SOS, PM, APC
    """,
    re.VERBOSE,
)

# C0 controls but tab and newline, DEL, and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Return ``text`` without escape sequences and control characters.

    Carriage returns are dropped (a CRLF line ending becomes LF); tab and
    newline are kept.
    """
    if text.isprintable():
        return text
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _CONTROL.sub("", text)


# Characters that would act on a terminal or break a one-line message: C0
# (tab and newline too), DEL, C1, the Unicode line separators, the bidi
# controls (U+202E would show a file name backwards) and lone surrogates
# (undecodable bytes of a file name, which cannot be printed).
_UNSAFE_IN_LINE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def visible(text: str) -> str:
    """``text`` for a one-line message: unsafe characters written as escapes
    (``\\x1b``), never raw."""
    return _UNSAFE_IN_LINE.sub(lambda m: repr(m.group())[1:-1], text)
