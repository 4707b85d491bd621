"""What search knows about English: spellings, numbers, question words.

Plain tables and small rules, no imports beyond :mod:`re`, used by
:mod:`lbn_tui.search.engine` on normalised (lower-case, folded) words:

- **Spelling variants** (:func:`spelling_variants`): British and American
  spellings of one word are the same word.  :data:`SPELLING_STEMS` lists
  whole stems that differ (``neighbor``/``neighbour``, ``program``/
  ``programme``); :data:`SPELLING_RULES` are suffix rules (``-ize``/``-ise``,
  ``-yze``/``-yse``, ``-ter``/``-tre``, ``-eled``/``-elled``).  Both run in
  either direction and may produce non-words: the engine keeps only the
  variants that are in the index vocabulary.
- **Number forms**: ``twenty`` and ``20`` are one word
  (:func:`number_alternatives`); ``per cent``, ``percent`` and ``%`` are
  all the word ``percent``; ``£3.2m`` is ``3.2`` ``million`` and ``29.8bn``
  is ``29.8`` ``billion``.  Passages get these as extra index words
  (:func:`alias_spans`, with the stretch of original text each stands for);
  queries are rewritten the same way (:func:`query_words`).
- **Word forms** (:func:`light_stem`): one common ending off
  (``relocation``/``relocate`` -> ``reloc``), for matching other forms of a
  query word and the glossary's phrasings.  (A Snowball stemmer was tried:
  its import costs ~80 ms and ~0.1 ms a word, on the first keystroke.)
- **Question words** (:func:`question`): in ``how many people live ...``,
  ``what does X mean`` or ``X definition``, the question's scaffolding is
  not what is searched for; the kind of answer wanted is (a figure, or a
  defining sentence).  :func:`defines_at` tells whether the text right after
  a term reads as a definition of it (``X is``, ``X – ...``, ``X, an ...``,
  ``X (...)``, ``X, such as ...``).

The editorial glossary of plain-language phrasings is in
:mod:`lbn_tui.search.glossary`.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "ALIAS_WORDS",
    "NUMBER_WORDS",
    "SPELLING_RULES",
    "SPELLING_STEMS",
    "alias_spans",
    "counted",
    "defines_at",
    "light_stem",
    "number_alternatives",
    "query_words",
    "question",
    "spelling_variants",
]

# -- spelling ---------------------------------------------------------------

#: American stem -> British stem, matched at the start of a word
#: ("neighborhoods" -> "neighbourhoods").  Only stems long or distinctive
#: enough not to start unrelated words.
SPELLING_STEMS: dict[str, str] = {
    "neighbor": "neighbour",
    "behavior": "behaviour",
    "labor": "labour",
    "color": "colour",
    "favor": "favour",
    "honor": "honour",
    "harbor": "harbour",
    "humor": "humour",
    "rumor": "rumour",
    "endeavor": "endeavour",
    "vapor": "vapour",
    "savior": "saviour",
    "program": "programme",
    "center": "centre",
    "theater": "theatre",
    "fiber": "fibre",
    "liter": "litre",
    "meager": "meagre",
    "somber": "sombre",
    "gray": "grey",
    "aging": "ageing",
    "judgment": "judgement",
    "acknowledgment": "acknowledgement",
    "fulfill": "fulfil",
    "enroll": "enrol",
    "skillful": "skilful",
    "catalog": "catalogue",
    "dialog": "dialogue",
    "analog": "analogue",
    "defense": "defence",
    "offense": "offence",
    "pediatric": "paediatric",
    "maneuver": "manoeuvre",
    "mold": "mould",
    "plow": "plough",
    "cozy": "cosy",
    "jewelry": "jewellery",
    "pajama": "pyjama",
    "sulfur": "sulphur",
    "tumor": "tumour",
    "anemi": "anaemi",
    "anesthe": "anaesthe",
    "estrogen": "oestrogen",
    "esophag": "oesophag",
    "gynecolog": "gynaecolog",
    "hemo": "haemo",
    "orthoped": "orthopaed",
    "encyclopedi": "encyclopaedi",
    "medieval": "mediaeval",
}

#: (American suffix pattern, British replacement): whole-word regular
#: expressions, applied one at a time.  The reverse direction is derived.
SPELLING_RULES: tuple[tuple[str, str], ...] = (
    (r"iz(e|ed|es|ing|er|ers|ation|ations|ational)$", r"is\1"),
    (r"yz(e|ed|es|ing|er|ers)$", r"ys\1"),
    (r"([^l])el(ed|ing|er|ers)$", r"\1ell\2"),
    (r"([tb])er(s?)$", r"\1re\2"),
    (r"og$", r"ogue"),
)
_REVERSE_RULES: tuple[tuple[str, str], ...] = (
    (r"is(e|ed|es|ing|er|ers|ation|ations|ational)$", r"iz\1"),
    (r"ys(e|ed|es|ing|er|ers)$", r"yz\1"),
    (r"([^l])ell(ed|ing|er|ers)$", r"\1el\2"),
    (r"([tb])re(s?)$", r"\1er\2"),
    (r"ogue$", r"og"),
)
_RULES = tuple((re.compile(p), r) for p, r in SPELLING_RULES + _REVERSE_RULES)
_STEMS = sorted(
    [(a, b) for a, b in SPELLING_STEMS.items()] + [(b, a) for a, b in SPELLING_STEMS.items()],
    key=lambda pair: -len(pair[0]),
)


@lru_cache(maxsize=4096)
def spelling_variants(word: str) -> tuple[str, ...]:
    """Other spellings of ``word`` (British <-> American), possibly non-words."""
    if len(word) < 4 or not word.isalpha():
        return ()
    out: dict[str, None] = {}
    for src, dst in _STEMS:
        if word.startswith(src) and not word.startswith(dst):
            out[dst + word[len(src) :]] = None
            break
    for pattern, repl in _RULES:
        other = pattern.sub(repl, word, count=1)
        if other != word:
            out[other] = None
    out.pop(word, None)
    return tuple(out)


# -- numbers ----------------------------------------------------------------

#: Number words and the digits they stand for.
NUMBER_WORDS: dict[str, str] = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
    "hundred": "100",
    "thousand": "1000",
}
_DIGITS_TO_WORD = {v: k for k, v in NUMBER_WORDS.items()}
_TENS = {"20", "30", "40", "50", "60", "70", "80", "90"}

#: Scale suffixes written onto a number ("£3.2m", "29.8bn", "5k").
_SCALES = {
    "m": "million",
    "mn": "million",
    "million": "million",
    "bn": "billion",
    "b": "billion",
    "billion": "billion",
    "k": "thousand",
    "thousand": "thousand",
}
_SCALED = re.compile(r"(\d+(?:[.,]\d+)*)(m|mn|bn|b|k)")
_PERCENT_WORDS = frozenset({"percent", "pct", "percentage"})
#: The index words alias_spans gives besides numbers.
ALIAS_WORDS = frozenset({"percent", "million", "billion", "thousand"})
#: The one word that "per cent", "percent" and "%" all become.
PERCENT = "percent"


def number_alternatives(word: str) -> tuple[str, ...]:
    """``twenty`` <-> ``20``."""
    other = NUMBER_WORDS.get(word) or _DIGITS_TO_WORD.get(word)
    return (other,) if other else ()


def _scaled(word: str) -> tuple[str, str] | None:
    m = _SCALED.fullmatch(word)
    if m is None:
        return None
    return m.group(1), _SCALES[m.group(2)]


_PER_CENT = re.compile(r"per\s+cent\b")
# A number (group 1), and what follows it: a percent sign or word (group 2)
# or a scale ("3.2m", group 3).
_NUMBER_FORM = re.compile(
    r"(\d+(?:[.,]\d+)*)(?:(\s?%|\s+per\s+cent\b|\s+percent\b)|(m|mn|bn|b|k)\b)"
)


def alias_spans(norm: str) -> list[tuple[int, int, str]]:
    """Extra index words of a normalised text, each with its span there:
    ``percent`` for ``20%``/``20 per cent``/``per cent``, and the number and
    its scale for ``£3.2m`` (``3.2`` and ``million``)."""
    out: list[tuple[int, int, str]] = []
    if "cent" in norm:
        # "per" starting a word (checked here: a pattern starting with a
        # literal is found fast).
        out += [
            (m.start(), m.end(), PERCENT)
            for m in _PER_CENT.finditer(norm)
            if not m.start() or not (norm[m.start() - 1].isalnum() or norm[m.start() - 1] == "_")
        ]
    if not _DIGIT.search(norm):
        return out
    # One pass: a number, then a percent sign or word, else a scale.  A
    # number starts a word: not after a letter, digit, "_", "." or ","
    # (checked here: a pattern that starts with a digit is found fast).
    for m in _NUMBER_FORM.finditer(norm):
        start = m.start()
        if start and (norm[start - 1].isalnum() or norm[start - 1] in "_.,"):
            continue
        if m.group(2) is not None:
            out.append((m.start(), m.end(), PERCENT))
        else:
            scale = _SCALES[m.group(3)]
            out.append((m.start(), m.end(), m.group(1)))
            out.append((m.start(), m.end(), scale))
    return out


_DIGIT = re.compile(r"[0-9]")


def query_words(words: tuple[str, ...], norm: str) -> tuple[str, ...]:
    """A query's words with number forms rewritten as passages are indexed:
    ``per cent``/``%`` -> ``percent``, ``2.4m`` -> ``2.4 million``,
    ``twenty five`` -> ``25``."""
    if not any(w[0].isdigit() or w in NUMBER_WORDS or w in _PERCENT_WORDS for w in words) and (
        "%" not in norm and "cent" not in words
    ):
        return words
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        scaled = _scaled(w)
        if w == "per" and nxt == "cent":
            out.append(PERCENT)
            i += 2
            continue
        if w in _PERCENT_WORDS:
            out.append(PERCENT)
        elif scaled is not None:
            out += scaled
        elif w in _SCALES and len(w) > 2:
            out.append(_SCALES[w])
        elif NUMBER_WORDS.get(w) in _TENS and NUMBER_WORDS.get(nxt, "x") in "123456789":
            out.append(str(int(NUMBER_WORDS[w]) + int(NUMBER_WORDS[nxt])))
            i += 2
            continue
        else:
            out.append(w)
        i += 1
    if "%" in norm and PERCENT not in out:
        out.append(PERCENT)
    return tuple(out)


# -- questions --------------------------------------------------------------

_AUX = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "does",
        "do",
        "did",
        "can",
        "could",
        "will",
        "would",
        "should",
        "has",
        "have",
        "had",
        "s",
    ]
)
_QUANTITY = frozenset(["many", "much", "long", "often", "big", "large", "far", "old"])
_DEFINE = frozenset(
    [
        "definition",
        "definitions",
        "define",
        "defined",
        "defining",
        "meaning",
        "meanings",
        "mean",
        "means",
        "meant",
    ]
)
_WH = frozenset(["what", "whats", "which", "who", "whom", "why", "where", "when", "how"])


def question(words: tuple[str, ...]) -> tuple[str | None, frozenset[str]]:
    """(answer wanted, scaffolding words) of a query.

    The answer is ``"figure"`` for how many/much/long..., "what percentage"
    and "when"; ``"definition"`` for what is/are, what does X mean, meaning
    of X, define X, X definition; else None.  Scaffolding words are the
    question's own words (``how many``, ``what is``, ``mean``), searched
    for only as themselves and at a low weight."""
    if not words:
        return None, frozenset()
    if all(w[0].isdigit() or w in _SCALES or w == PERCENT for w in words):
        return "figure", frozenset()  # "20%", "£3.2 million": the figure
    scaffold: set[str] = set()
    intent: str | None = None
    first = words[0]
    second = words[1] if len(words) > 1 else ""
    if first == "how":
        scaffold.add("how")
        if second in _QUANTITY:
            intent = "figure"
            scaffold.add(second)
        elif second in _AUX:
            scaffold.add(second)
    elif first in ("what", "whats", "which"):
        scaffold.add(first)
        if second in ("percentage", "proportion", "share", "number", "fraction", "amount"):
            intent = "figure"
        elif second in _AUX or first == "whats":
            intent = "definition"
            scaffold.add(second)
            if second in ("does", "do", "did") and words[-1] in _DEFINE:
                scaffold.add(words[-1])
    elif first == "when":
        intent = "figure"
        scaffold.add("when")
        if second in _AUX:
            scaffold.add(second)
    elif first in _WH:
        scaffold.add(first)
        if second in _AUX:
            scaffold.add(second)
    elif first in ("define", "meaning", "definition") and len(words) > 1:
        intent = "definition"
        scaffold.add(first)
        if second == "of":
            scaffold.add("of")
    if len(words) > 1 and words[-1] in _DEFINE:
        intent = "definition"
        scaffold.add(words[-1])
    if first in _WH:
        # "how many neighbourhoods are left behind": "are" asks, too.
        scaffold.update(w for w in words[1:] if w in _AUX)
    # Scaffolding never the whole query ("what is", "meaning").
    if len(scaffold) >= len(set(words)):
        return None, frozenset()
    return intent, frozenset(scaffold)


# What follows a term being defined, anywhere in a sentence: "X – ...",
# "X: ...", "X (...)", "X, an approach ...", "X such as ...".
_DEFINING = re.compile(
    r"['\"]?\s*(?:"
    r"[-:]\s"
    r"|\("
    r"|,\s+(?:an?|the|such as|which|that is|i\.e\.|e\.g\.|including)\b"
    r"|\s*such as\b"
    r"|\.\s+(?:it|they|this|these)\s+(?:is|are)\b"
    r")"
)
# ...and when the term opens its sentence: "X is ...", "X are ...".
_DEFINING_OPENER = re.compile(r"['\"]?\s*(?:is|are|means|refers to|describes)\b")
# What may stand between a sentence's start and the term: "The ", "‘".
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+)(?:the\s+|an?\s+)?['\"]?$")


def counted(noun: str) -> re.Pattern[str]:
    """A number directly followed by ``noun`` (at most one word between):
    the answer to "how many <noun>" ("225 neighbourhoods", "30 million: gp
    appointments", "40 years")."""
    stem = re.escape(noun.rstrip("s") or noun)
    return re.compile(
        r"\d(?:[\d.,]*\d)?(?:\s*(?:m|bn|k|million|billion|thousand|%|per cent|percent)\b)?"
        r"[\s:'\"-]+(?:\w+\s+)?" + stem + r"\w*"
    )


def defines_at(norm: str, start: int, end: int) -> bool:
    """Whether the normalised text reads as defining the term at
    ``start:end`` (``end`` may fall inside the term's last word)."""
    # Finish the word the term ends in ("neighbourhood|s are ...").
    while end < len(norm) and norm[end].isalnum():
        end += 1
    if _DEFINING.match(norm, end) is not None:
        return True
    if _DEFINING_OPENER.match(norm, end) is None:
        return False
    return _SENTENCE_START.search(norm, max(0, start - 40), start) is not None


# -- word forms ------------------------------------------------------------

#: Endings stripped by :func:`light_stem`, longest first; the stem keeps at
#: least four letters.  (Not "-ly": "lonely" would be "lone", not "loneli"
#: as "loneliness" is.)  A final "y" or "ie" becomes "i" ("community",
#: "communities" -> "communiti").
_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        [
            "ations",
            "ation",
            "ments",
            "ment",
            "ings",
            "ing",
            "ions",
            "ion",
            "ated",
            "ates",
            "ate",
            "ers",
            "er",
            "ed",
            "es",
            "s",
            "als",
            "al",
            "ness",
        ],
        key=len,
        reverse=True,
    )
)


@lru_cache(maxsize=8192)
def light_stem(word: str) -> str:
    """A rough stem (one ending off, then y/ie -> i): ``relocation`` and
    ``relocate`` -> ``reloc``; ``empowering``/``empowered`` -> ``empower``;
    ``identify``/``identified``/``identifying`` -> ``identifi``;
    ``referral``/``referring`` -> ``referr``."""
    stem = word
    if word.endswith(("ies", "ied")) and len(word) >= 7:
        return word[:-2]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            stem = word[: -len(suffix)]
            break
    if stem.endswith("y") and len(stem) >= 5:
        stem = stem[:-1] + "i"
    elif stem.endswith("e") and len(stem) >= 5:
        stem = stem[:-1]
    return stem
