"""Fuzzy, typo-tolerant search over passages (search engine v3).

No Textual here: the CLI and the app both use this module.

Three stages, the same for every corpus size:

1. **Query analysis** (:meth:`SearchIndex._analyse`): the query is
   normalised with :func:`normalize`, capped at :data:`MAX_QUERY_CHARS`
   and split into words.  Each query word is matched once against the index
   *vocabulary* (exact, prefix, or ``fuzz.ratio`` >= 80 against the words
   sharing one of its first two letters), giving a small table ``vocabulary
   word -> match quality`` and an IDF weight.  Analysed words are cached, so
   a keystroke re-analyses only the word being typed.  A query shorter than
   three characters is a *prefix*: of a word, or of a whole title, speaker
   line or text.  What :mod:`lbn_tui.search.language` knows joins in here:
   British and American spellings of a word and its other forms (same rough
   stem) are the word itself; number forms are rewritten as passages are
   indexed (``twenty percent`` -> ``20 percent``, which passages with ``20%``
   or ``20 per cent`` are also indexed under; ``2.4m`` -> ``2.4 million``);
   a question's own words (``how many``, ``what is``, ``mean``) weigh little
   and match only themselves, and the question says what answer is wanted
   (a figure, a defining sentence).  The editorial glossary
   (:mod:`lbn_tui.search.glossary`) adds a term of art when the query uses
   one of its plain-language phrasings (``places to meet`` -> ``social
   infrastructure``), a little below the words typed.
2. **Candidate selection** (:meth:`SearchIndex._candidates`): a small corpus
   (up to :data:`INDEX_THRESHOLD` passages, such as the bundled briefings)
   scores every passage.  A large one asks a character-trigram index
   (:mod:`lbn_tui.search.trigram`, numpy, imported only then) for the
   :data:`DEFAULT_CANDIDATES` passages sharing most trigrams with the query
   (:data:`SHORT_CANDIDATES` for a query of one or two characters).  A
   query word found nowhere brings the trigrams of the word it most likely
   is instead of its own (:meth:`SearchIndex._trigram_words`): a typo
   shares few trigrams with the word meant.  A glossary term is asked for
   apart (:data:`GLOSS_CANDIDATES`).
3. **Scoring** (:meth:`SearchIndex._score`): per candidate, for each field
   (text, title, speaker line) a phrase score (``fuzz.partial_ratio`` on the
   normalised strings) and an IDF-weighted word coverage (handles word order
   and typos), combined into 0-100 with a small tie-break towards quotes and
   recommendations over long paragraphs.  The phrase is also matched as the
   corpus would write it (spellings, numbers, the question's content alone,
   a glossary term), for a share of the score.  A field counts only if one
   of its words really matches a query word (not a stopword, nor letters in
   common): a query that matches nothing finds nothing.  A how-many question
   lifts figures, and passages giving the count asked for; a what-is question
   lifts the passages that define the term (``X is ...``, ``X – ...``, ``X,
   an ...``, checked among the best :data:`RERANK_DEPTH`).  A search from
   the index computes a text's phrase score only for candidates whose
   bound (a perfect phrase) could still put them among the best ``limit``
   + :data:`PRUNE_MARGIN`: the same hits, with fewer rapidfuzz calls.  Spans are
   computed only for the hits returned, on the original text (``20%`` for
   ``twenty percent``).  :meth:`SearchIndex.scan` is the same search with every
   passage a candidate: the reference the index is measured against.

Large corpora: ``SearchIndex(passages)`` is cheap; the trigram index is
built on the first search, or by :meth:`SearchIndex.prepare`.
:meth:`SearchIndex.load_or_build` also keeps it in a cache file under
``$XDG_CACHE_HOME/lbn-tui/`` (see :mod:`lbn_tui.search.index_cache`), so a
second start maps it instead.  Passages read from the corpus store
(`lbn_tui.corpus.store`) name the file they came from (``source``), and the
cache file is keyed by that; other passages by a hash of their content.
The file also keeps each passage's words, field by field, as ids in the
vocabulary (`_DocWords`): a candidate's words are read, not found again in
its text, and a field's normalised string is made only when its phrase
score is needed.
The passages may be a `lbn_tui.corpus.store.StoredPassages` (a stored
corpus's ``passages``), which reads a passage only when it is asked for
(the app's and the command line's search: only the candidates are read).

Threads: a search holds no lock and changes nothing but size-capped caches,
so searches may run in worker threads and overlap.  The heavy steps are
numpy and rapidfuzz C calls of a millisecond or so, and the Python scoring
loop gives the GIL away every ``sys.getswitchinterval()`` (5 ms), so the UI
thread keeps running.  Pass ``cancelled=`` (for a Textual worker:
``lambda: worker.is_cancelled``) and a superseded search stops between
stages and returns ``[]``.

All rapidfuzz calls get ``processor=None``: strings are normalised once, and
:func:`normalize` keeps lengths so that offsets found on normalised text are
valid offsets into the original text.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import sys
import threading
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from lbn_tui.corpus.model import Passage

from . import language

if TYPE_CHECKING:
    from .trigram import TrigramIndex

__all__ = [
    "DEFAULT_CANDIDATES",
    "INDEX_THRESHOLD",
    "MAX_QUERY_CHARS",
    "Hit",
    "SearchIndex",
    "normalize",
    "word_spans",
]

#: Only the first this-many characters of a query are scored.
MAX_QUERY_CHARS = 200
#: At most this many query words take part in word matching.
MAX_QUERY_WORDS = 24
#: ``fuzz.ratio`` at or above this counts as a typo'd version of a word.
WORD_RATIO_CUTOFF = 80.0
#: Match quality of another form of a word (the same language.light_stem).
STEM_QUALITY = 0.92
#: At most this many vocabulary words are stemmed per query word.
STEM_CANDIDATES = 64
#: ...or this, for a word of LONG_WORD_LEN letters or more matching no word.
LONG_WORD_RATIO_CUTOFF = 75.0
LONG_WORD_LEN = 8
#: Words shorter than this match only exactly (prefix and fuzzy need more),
#: except in a query shorter than MIN_PREFIX_LEN, which is all prefix.
MIN_FUZZY_LEN = 4
MIN_PREFIX_LEN = 3
#: Match quality of a word that merely starts with a short query.
SHORT_PREFIX_QUALITY = 0.8
#: Phrase score of a text (not a title or name) starting with a short query.
SHORT_TEXT_START = 60.0
#: A query word keeps the vocabulary words matching within this of its best.
RELATIVE_SLACK = 0.1
#: Speaker-line field scores are multiplied by this (see _score).
SPEAKER_WEIGHT = 0.97
#: Corpora larger than this use the trigram candidate index (and numpy).
INDEX_THRESHOLD = 2000
#: Passages re-scored per search when the candidate index is used.
DEFAULT_CANDIDATES = 300
#: Passages re-scored for a query shorter than MIN_PREFIX_LEN: the
#: trigram index already ranks them as the scorer would (field starts
#: first, then the kind and length bonus), and thousands match equally.
SHORT_CANDIDATES = 100
#: Passages with a glossary term called up by the query (see _glossary)
#: that are also re-scored: the term is asked for on its own.
GLOSS_CANDIDATES = 100
#: The trigram index is also asked for at most this many corrections of a
#: query word found nowhere (see _corrections).
MAX_CORRECTIONS = 2
#: A search is sure of the exact scores of its best ``limit`` plus this
#: many candidates (see _score); more are scored only when the hits need
#: them (an entry's title matched by many of its passages).
PRUNE_MARGIN = 30
#: A long query reads at most this many postings per passage in the corpus
#: (its rarest trigrams first): bounds the cost of queries of common words.
POSTINGS_BUDGET = 6
#: Bump when tokenising, the trigram layout or the bonus change: the cache
#: key includes it, so old cache files are simply not found.
INDEX_FORMAT = "v3.1"

#: Hits scoring below this (0–100) are not shown at all.
MIN_SCORE = 30.0
#: ...nor those scoring below this share of the best hit's score.
RELATIVE_FLOOR = 0.4
#: A question's own words ("how many", "what is", "mean") weigh this share
#: of their IDF weight, and match only themselves (see language.question).
SCAFFOLD_WEIGHT = 0.05
#: Phrase scores of a rewritten query (spelling variants, number forms, the
#: question's content alone) count this share of a phrase score as typed.
ALT_QUALITY = 0.97
#: ...and a question as typed, whose content (without "how many", "what
#: is", "mean") is matched in full.
QUESTION_TYPED_SHARE = 0.9
#: ...and of the glossary term a plain-language phrasing stands for.
GLOSS_QUALITY = 0.9
#: A glossary term's words together weigh this share of the weight of the
#: query words that called it up.
GLOSS_WEIGHT = 1.0
#: Added to a figure's score for a how many/how much/when question.
FIGURE_BOOST = 10.0
#: Added to a passage that defines the term asked about ("X is ...", "X –
#: ...", "X, an ...") for a what-is/definition question; half of it for a
#: glossary term.
DEFINITION_BOOST = 6.0
#: Added to a passage giving the count a how-many question asks for
#: ("how many neighbourhoods" -> "225 neighbourhoods").
COUNT_BOOST = 10.0
#: The definition and count checks look at this many of the best hits.
RERANK_DEPTH = 40
#: A text whose phrase score (see _phrase) is at least this nearly has the
#: query in it: there, a word one slip from a query word counts as that
#: word ("mal. if a can" in "...mail. If a can..."), though the word as
#: typed is in the vocabulary too and so is taken as it is elsewhere.
NEAR_PHRASE = 90.0
#: At most this many such words are kept per query word (the closest).
MAX_NEAR = 8

# Size caps of the per-index caches used by searches on a large corpus.
_DOC_CACHE = 4096
_TERM_CACHE = 2048
_SHORT_CACHE = 64


def _make_room(cache: OrderedDict[Any, Any], size: int) -> None:
    """Drop the oldest entries of a cache holding ``size`` or more, one
    for each one added: a new entry costs the same every time, where
    dropping a share of a full cache at once stalled the keystroke that
    did it.  (Another thread's search may empty it meanwhile.)"""
    while len(cache) >= size:
        try:
            cache.popitem(last=False)
        except KeyError:
            return


# Kinds whose passages are short, self-contained and quotable: a small
# tie-break towards them over long article paragraphs.
_KIND_BONUS = {
    "quote": 3.0,
    "recommendation": 2.0,
    "figure": 1.5,
    "faq": 0.5,
    "reading": 0.5,
    "reference": 0.5,
}

# Very common words: still matched and scored (with a low IDF weight), but
# highlighted only inside the stretch of text that matches the phrase.
_STOPWORD_TEXT = """a an and are as at be been but by do for from had has have he her his
    i if in into
    is it its me my no not of on or our she so that the their them there these they this
    those to too us was we were what when which who will with you your"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_FOLD = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u00a0": " ",
    "\u202f": " ",
}


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """Fold one character to exactly one character."""
    folded = _FOLD.get(ch)
    if folded is not None:
        return folded
    if not ch.isascii():
        decomposed = unicodedata.normalize("NFD", ch)
        if len(decomposed) > 1 and decomposed[0].isascii():
            ch = decomposed[0]
    lower = ch.lower()
    return lower if len(lower) == 1 else ch


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def normalize(text: str) -> str:
    """Lower-case and fold ``text`` one character at a time.

    The result has the same length as ``text`` and character ``i`` of the
    result comes from character ``i`` of ``text``, so offsets found in the
    result are valid in the original.  Typographic quotes and dashes fold to
    their ASCII forms, accented Latin letters to their base letter, and a
    character whose lower case is longer than one character (``İ``) is
    folded or kept as it is.
    """
    if text.isascii():
        return text.lower()
    lowered = text.lower()
    if len(lowered) != len(text):  # a character lower-cased to two ("İ")
        return "".join([_fold_char(ch) for ch in text])
    # Same length: character i of ``lowered`` comes from character i of
    # ``text``; only the non-ASCII ones need folding, from the original.
    return _NON_ASCII.sub(lambda m: _fold_char(text[m.start()]), lowered)


# A word: letters/digits, keeping "29.8", "1,000" and "don't" whole.
_WORD_RE = re.compile(r"\w+(?:(?<=\d)[.,](?=\d)\w+|'\w+)*")


def _index_words(norm: str) -> list[str]:
    """The words a normalised field is indexed under: its words, plus the
    number forms of language.alias_spans ("percent" for "20%", "3.2" and
    "million" for "£3.2m")."""
    words = _WORD_RE.findall(norm)
    aliases = language.alias_spans(norm)
    if aliases:
        words += [alias for _, _, alias in aliases]
    return words


def word_spans(normalised: str) -> list[tuple[int, int, str]]:
    """(start, end, word) for each word of an already normalised string."""
    return [(m.start(), m.end(), m.group()) for m in _WORD_RE.finditer(normalised)]


@dataclass(frozen=True, slots=True)
class Hit:
    """One passage found by a search."""

    passage: Passage
    score: float
    """0..100, higher is better."""
    spans: tuple[tuple[int, int], ...]
    """Matched words as (start, end) offsets into ``passage.text``: sorted,
    non-overlapping, whole words; empty for a title- or speaker-only match."""
    field: str
    """Where the best match was: "text", "title" or "speaker"."""


class _Field:
    """A passage's field (its text, title or speaker line): its words now,
    as ids in the index's vocabulary (`_Vocabulary`), and its normalised
    string (:func:`normalize`) when first asked for.  A large corpus's
    candidates mostly fall short of the hits on their words alone, so most
    texts are never normalised.  (Two threads may both normalise one: the
    same string.)  Titles and speaker lines are shared between passages."""

    __slots__ = ("_norm", "_raw", "words")

    def __init__(self, raw: str, words: frozenset[int], norm: str | None = None) -> None:
        self._raw = raw
        self._norm = norm
        self.words = words

    @classmethod
    def of(cls, raw: str, ids: dict[str, int]) -> _Field:
        """The field, its words found in its text (those in the vocabulary)."""
        norm = normalize(raw)
        words = frozenset([ids[w] for w in _index_words(norm) if w in ids])
        return cls(raw, words, norm)

    @property
    def norm(self) -> str:
        norm = self._norm
        if norm is None:
            norm = self._norm = normalize(self._raw)
        return norm


@dataclass(frozen=True, slots=True)
class _Doc:
    text: _Field
    title: _Field
    speaker: _Field
    bonus: float
    kind: str


@dataclass(frozen=True, slots=True)
class _Term:
    """One query word and the vocabulary words it matches."""

    word: str
    weight: float
    matches: dict[str, float]  # vocabulary word -> quality in (0, 1]
    significant: bool  # highlight it outside the phrase window too; a real match
    forms: tuple[str, ...] = ()  # other spellings/number forms in the vocabulary
    # Vocabulary words one slip away that are not matches (see NEAR_PHRASE).
    near: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class _Query:
    norm: str
    words: tuple[str, ...]  # every word of norm, in order
    terms: tuple[_Term, ...]
    total_weight: float
    short: bool  # shorter than MIN_PREFIX_LEN: a prefix
    # Vocabulary word id -> (term number, quality) for every term it matches.
    lookup: dict[int, tuple[tuple[int, float], ...]]
    # Other strings to phrase-match, with the share of the score they get.
    alts: tuple[tuple[str, float], ...] = ()
    intent: str | None = None  # "figure", "definition" (language.question)
    # Phrases whose defining sentence is an answer, with the boost it gets.
    focus: tuple[tuple[tuple[str, ...], float], ...] = ()
    # For "how many X": X, whose count ("225 neighbourhoods") is the answer.
    counted: tuple[str, ...] = ()
    # A question's content ("what is X" -> "X"): a text's phrase is matched
    # against it in full, and against the question as typed for a share; a
    # title's (an FAQ's question) the other way round.
    question: str = ""
    # Words for the trigram candidate index (with the other forms found).
    index_words: tuple[str, ...] = ()
    # The glossary terms' words: asked for apart (see GLOSS_CANDIDATES).
    gloss_words: tuple[str, ...] = ()
    # Vocabulary word ids that are a real match (of a significant term).
    real: frozenset[int] = frozenset()
    # The word ids of lookup, as a set (a field's matches: one intersection).
    matched: frozenset[int] = frozenset()
    weights: tuple[float, ...] = ()  # of the terms, in order
    # Word id -> (term number, quality) of the terms' near words, which
    # count only in a text that has the phrase (see NEAR_PHRASE).
    near_lookup: dict[int, tuple[tuple[int, float], ...]] | None = None
    near: frozenset[int] = frozenset()  # the word ids of near_lookup


#: A candidate whose text's phrase is still to score (see SearchIndex._score):
#: its text, the other fields' best score and that field, its bonus, and
#: its text's coverage and spread, without and with the near words.
_Pending = tuple[_Field, float, str, float, float, float, float, float]


def _bonus(passage: Passage) -> float:
    bonus = _KIND_BONUS.get(passage.kind, 0.0)
    # Long passages match more by chance: a small penalty.
    return bonus - min(1.0, max(0, len(passage.text) - 300) / 1000)


@lru_cache(maxsize=1)
def _glossary_stems() -> tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]:
    """The glossary (lbn_tui.search.glossary): (term, the stems of each
    phrasing's content words), read on first use."""
    from .glossary import entries

    out = []
    for term, phrasings in entries():
        stemmed = []
        for phrasing in phrasings:
            words = _content_words(phrasing)
            if words:
                stemmed.append(tuple(language.light_stem(w) for w in words))
        out.append((normalize(term), tuple(stemmed)))
    return tuple(out)


def _content_words(phrasing: str) -> list[str]:
    """A glossary phrasing's words, without stopwords, normalised."""
    return [w for w in _WORD_RE.findall(normalize(phrasing)) if w not in _STOPWORDS]


@lru_cache(maxsize=1)
def _glossary_words() -> dict[str, str]:
    """The content words of the glossary's phrasings, with their stems."""
    from .glossary import entries

    return {
        word: language.light_stem(word)
        for _, phrasings in entries()
        for phrasing in phrasings
        for word in _content_words(phrasing)
    }


@lru_cache(maxsize=4096)
def _glossary_slips(word: str) -> tuple[str, ...]:
    """The stems of the glossary's words that ``word`` may be typed with a
    slip (``fuzz.ratio`` at least WORD_RATIO_CUTOFF); none for a glossary
    word itself or a short word."""
    known = _glossary_words()
    if len(word) < MIN_FUZZY_LEN or word in known:
        return ()
    found = process.extract(
        word,
        list(known),
        scorer=fuzz.ratio,
        processor=None,
        score_cutoff=WORD_RATIO_CUTOFF,
        limit=None,
    )
    return tuple(known[other] for other, _, _ in found)


class _Vocabulary:
    """The words indexed: each one's id (its place in ``words``), document
    frequencies by id, the words sorted, and first/second-letter buckets.
    A large corpus's ids are the sorted order (its index cache keeps
    passages' words as ids)."""

    __slots__ = ("_buckets", "counts", "ids", "n", "sorted", "words")

    def __init__(
        self, words: list[str], counts: Sequence[int], n: int, *, in_order: bool = False
    ) -> None:
        """``words`` by id, ``counts`` their document frequencies;
        ``in_order``: the words are sorted."""
        self.words = words
        self.ids = {word: i for i, word in enumerate(words)}
        self.counts = counts
        self.n = max(1, n)
        self.sorted = words if in_order else sorted(words)
        self._buckets: tuple[dict[str, list[str]], dict[str, list[str]]] | None = None

    @classmethod
    def counted(cls, df: dict[str, int], n: int) -> _Vocabulary:
        """From document frequencies: ids in sorted order."""
        words = sorted(df)
        return cls(words, array("q", [df[w] for w in words]), n, in_order=True)

    def __contains__(self, word: str) -> bool:
        return word in self.ids

    def idf(self, word: str) -> float:
        i = self.ids.get(word)
        return math.log(1.0 + self.n / (1 + (0 if i is None else self.counts[i])))

    def prefixed(self, prefix: str) -> Iterator[str]:
        vocab = self.sorted
        i = bisect_left(vocab, prefix)
        while i < len(vocab) and vocab[i].startswith(prefix):
            yield vocab[i]
            i += 1

    def near(self, word: str) -> list[str]:
        """Words that may be ``word`` with a typo or two: those sharing its
        first or second letter in either of the first two places (a typo in
        both of a word's first two letters is not looked for)."""
        if self._buckets is None:
            firsts: dict[str, list[str]] = {}
            seconds: dict[str, list[str]] = {}
            for w in self.sorted:
                if len(w) >= MIN_FUZZY_LEN - 1:
                    firsts.setdefault(w[0], []).append(w)
                    seconds.setdefault(w[1], []).append(w)
            self._buckets = (firsts, seconds)
        firsts, seconds = self._buckets
        out: list[str] = []
        for letter in dict.fromkeys(word[:2]):
            out += firsts.get(letter, ())
            out += seconds.get(letter, ())
        return out


#: The typecode of 4-byte unsigned ints in `array.array`s.
_U32 = next(code for code in "IL" if array(code).itemsize == 4)
_BIG_ENDIAN = sys.byteorder == "big"


def _little_endian(values: array[int]) -> array[int]:
    """``values`` as stored in a cache file (little-endian)."""
    if _BIG_ENDIAN:  # pragma: no cover - no big-endian machine here
        values = array(values.typecode, values)
        values.byteswap()
    return values


class _WordIds:
    """Each passage's distinct words as it is indexed, field by field (text,
    title, speaker line), as numbers in order of first sight; see
    `_DocWords` for what becomes of them."""

    __slots__ = ("ids", "number", "starts")

    def __init__(self) -> None:
        self.number: dict[str, int] = {}
        self.ids = array(_U32)
        self.starts = array("q", [0])

    def add(self, *fields: Collection[str]) -> None:
        """One passage's fields' words (each distinct)."""
        number = self.number
        for words in fields:
            # (set.difference looks each word up in the dict; ``words -
            # number.keys()`` would walk the whole dict every time.)
            for word in set(words).difference(number):
                number[word] = len(number)
            self.ids.extend([number[word] for word in words])
            self.starts.append(len(self.ids))

    def in_vocabulary(self, vocab: _Vocabulary) -> _DocWords:
        """The words as ids of ``vocab`` (which has every word added)."""
        renumber = [vocab.ids[word] for word in self.number]
        ids = array(_U32, map(renumber.__getitem__, self.ids))
        return _DocWords(ids, self.starts, len(vocab.words))


def _tokenise(
    passages: Sequence[Passage],
    sink: Callable[[list[str]], None] | None,
    chunk: int = 8192,
    word_ids: _WordIds | None = None,
) -> tuple[dict[str, int], list[float]]:
    """Document frequencies and bonuses; with ``sink``, also the trigram
    index strings, ``chunk`` passages at a time; with ``word_ids``, each
    passage's words, field by field."""
    df: Counter[str] = Counter()
    bonus: list[float] = []
    fields: dict[str, tuple[str, frozenset[str]]] = {}
    strings: list[str] = []
    if sink is not None:
        from .trigram import field_string
    for passage in passages:
        words = _index_words(normalize(passage.text))
        title = fields.get(passage.title)
        if title is None:
            title_words = _index_words(normalize(passage.title))
            title = (field_string(title_words) if sink else "", frozenset(title_words))
            fields[passage.title] = title
        speaker = fields.get(passage.speaker)
        if speaker is None:
            speaker_words = _index_words(normalize(passage.speaker))
            speaker = (field_string(speaker_words) if sink else "", frozenset(speaker_words))
            fields[passage.speaker] = speaker
        if len(fields) > 65536:
            fields.clear()
        text_words = set(words)
        if word_ids is not None:
            word_ids.add(text_words, title[1], speaker[1])
        df.update(text_words.union(title[1], speaker[1]))
        bonus.append(_bonus(passage))
        if sink is not None:
            strings.append(field_string(words) + title[0] + speaker[0])
            if len(strings) >= chunk:
                sink(strings)
                strings = []
    if sink is not None and strings:
        sink(strings)
    return dict(df), bonus


class _DocWords:
    """The words of each passage's fields (see `_WordIds`), as ids in the
    index's `_Vocabulary`: ``ids[starts[3 * i]:starts[3 * i + 1]]`` is
    passage ``i``'s text, then come its title and speaker line.

    A cached index leaves the ids in the cache file (an
    `index_cache.FilePart`) and reads one passage's at a time, so that a
    candidate's words are looked up rather than found again in its text.
    A read that comes up short, or an id out of range (the file changed in
    place since it was checked), gives None: the caller finds the words in
    the fields instead."""

    __slots__ = ("_ids", "_limit", "_starts")

    def __init__(self, ids: array[int] | Any, starts: array[int], vocabulary_size: int) -> None:
        self._ids = ids  # an array, or a FilePart of little-endian ids
        self._starts = starts
        self._limit = vocabulary_size

    @classmethod
    def checked(cls, ids: Any, starts: bytes, vocabulary_size: int, n: int) -> _DocWords | None:
        """None unless ``starts`` (little-endian int64s) are 0, ..., the
        number of ``ids`` (a FilePart of 4-byte ids), for ``n`` passages."""
        offsets = array("q")
        if len(starts) % 8 or ids.nbytes % 4:
            return None
        offsets.frombytes(starts)
        if _BIG_ENDIAN:  # pragma: no cover
            offsets.byteswap()
        if len(offsets) != 3 * n + 1 or offsets[0] != 0 or offsets[-1] != ids.nbytes // 4:
            return None
        if any(a > b for a, b in itertools.pairwise(offsets)):
            return None
        return cls(ids, offsets, vocabulary_size)

    def parts(self) -> list[tuple[str, str, array[int]]]:
        """The parts of a cache file (of ids in memory)."""
        assert isinstance(self._ids, array)
        return [
            ("doc_words", "<u4", _little_endian(self._ids)),
            ("doc_starts", "<i8", _little_endian(self._starts)),
        ]

    def get(self, i: int) -> tuple[frozenset[int], frozenset[int], frozenset[int]] | None:
        """Passage ``i``'s words: its text's, its title's, its speaker line's."""
        start, text_end, title_end, end = self._starts[3 * i : 3 * i + 4]
        stored = self._ids
        if isinstance(stored, array):
            numbers = stored[start:end].tolist()
        else:
            ids = array(_U32, [0]) * (end - start)
            if ids and not stored.read_into(memoryview(ids).cast("B"), start * 4):
                return None
            if _BIG_ENDIAN:  # pragma: no cover
                ids.byteswap()
            numbers = ids.tolist()
            if numbers and max(numbers) >= self._limit:
                return None
        text_end -= start
        title_end -= start
        return (
            frozenset(numbers[:text_end]),
            frozenset(numbers[text_end:title_end]),
            frozenset(numbers[title_end:]),
        )


def _posting_reader(part: Any, n: int) -> Callable[[int, int], Any]:
    """Reads postings ``start:end`` from a cache file's part (an
    `index_cache.FilePart`, checked when it was opened).  A read that comes
    up short, or a posting out of bounds (the file changed in place since),
    is no postings or those in bounds: fewer candidates, never a crash."""
    import numpy as np

    def read(start: int, end: int) -> Any:
        out = np.empty(max(0, end - start), dtype="<u4")
        if not len(out):
            return out
        if not part.read_into(out.data.cast("B"), start * 4):
            return out[:0]
        if int(out.max()) >= n:
            return out[out < n]
        return out

    return read


class SearchIndex:
    """Search over passages: :meth:`search` per keystroke.

    ``SearchIndex(passages)`` is cheap at any size.  A corpus of more than
    :data:`INDEX_THRESHOLD` passages gets a trigram candidate index, built
    on the first search or by :meth:`prepare`, and kept in ``cache_dir``
    (none by default; :meth:`load_or_build` uses the XDG cache directory).
    ``use_index`` forces the choice either way (tests); ``candidates`` is how
    many passages the index hands to the scorer.
    """

    __slots__ = (
        "_cache_dir",
        "_candidate_count",
        "_doc_words",
        "_docs",
        "_fields",
        "_kind_masks",
        "_kinds",
        "_lock",
        "_passages",
        "_short",
        "_source",
        "_terms",
        "_tri",
        "_use_index",
        "_vocab",
    )

    def __init__(
        self,
        passages: Sequence[Passage],
        *,
        cache_dir: Path | None = None,
        use_index: bool | None = None,
        candidates: int = DEFAULT_CANDIDATES,
    ) -> None:
        from lbn_tui.corpus.store import StoredPassages

        self._source: str | None = None
        self._kinds: Callable[[], Sequence[str]] | None = None
        self._passages: Sequence[Passage]
        if isinstance(passages, StoredPassages):
            self._passages = passages
            self._source = passages.source
            self._kinds = passages.kinds
        else:
            self._passages = tuple(passages)
        self._use_index = len(self._passages) > INDEX_THRESHOLD if use_index is None else use_index
        self._cache_dir = cache_dir
        self._candidate_count = max(1, candidates)
        # The caches below keep their entries oldest first (see _make_room).
        self._fields: OrderedDict[str, _Field] = OrderedDict()
        self._terms: OrderedDict[tuple[str, bool, bool], _Term] = OrderedDict()
        # Analysed queries shorter than MIN_PREFIX_LEN: a letter matches a
        # large share of the vocabulary (its lookup: milliseconds to make).
        self._short: OrderedDict[str, _Query] = OrderedDict()
        self._kind_masks: dict[frozenset[str], Any] = {}
        self._lock = threading.Lock()
        self._tri: TrigramIndex | None = None
        self._docs: OrderedDict[int, _Doc] = OrderedDict()
        self._doc_words: _DocWords | None = None
        self._vocab: _Vocabulary | None = None
        if not self._use_index:
            # Small: everything now (a few ms for the bundled briefings).
            self._find_words(None)
            for i, passage in enumerate(self._passages):
                self._docs[i] = self._make_doc(i, passage)

    @classmethod
    def load_or_build(
        cls, passages: Sequence[Passage], cache_dir: Path | None = None
    ) -> SearchIndex:
        """A ready index: loaded from the cache when the passages are unchanged,
        else built and cached.  ``cache_dir`` defaults to
        ``$XDG_CACHE_HOME/lbn-tui``.  Seconds for a large corpus the first
        time: call it from a worker thread."""
        if cache_dir is None:
            from lbn_tui.paths import cache_dir as default_cache_dir

            cache_dir = default_cache_dir()
        return cls(passages, cache_dir=cache_dir).prepare()

    def prepare(self) -> SearchIndex:
        """Load or build the candidate index now (no-op when small or done)."""
        if self._vocab is not None:
            return self
        with self._lock:
            if self._vocab is None:
                self._load_or_build()
        return self

    @property
    def uses_candidate_index(self) -> bool:
        """True for a large pack (searched through the trigram index)."""
        return self._use_index

    @property
    def ready(self) -> bool:
        """False until a large corpus's index is built (searching builds it)."""
        return self._vocab is not None

    @property
    def uses_index(self) -> bool:
        return self._use_index

    def __len__(self) -> int:
        return len(self._passages)

    # -- building ---------------------------------------------------------

    def _cache_path(self, key: str) -> Path | None:
        if self._cache_dir is None:
            return None
        return self._cache_dir / f"search-{key[:40]}.idx"

    def _cache_meta(self) -> tuple[Path | None, dict[str, Any]]:
        """The cache file and the meta it must have: keyed by the store file
        the passages were read from, else by a hash of their content."""
        from . import index_cache

        n = len(self._passages)
        if self._cache_dir is None:
            return None, {"key": None, "passages": n, "index": INDEX_FORMAT}
        if self._source is not None:
            from hashlib import blake2b

            named = f"lbn-tui search index {INDEX_FORMAT}\n{n}\n{self._source}"
            key = blake2b(named.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
            meta = {"source": self._source, "passages": n, "index": INDEX_FORMAT}
            return self._cache_path(key), meta
        key = index_cache.content_key(self._passages, INDEX_FORMAT)
        return self._cache_path(key), {"key": key, "passages": n, "index": INDEX_FORMAT}

    def _load_or_build(self) -> None:
        path, meta = self._cache_meta()
        if path is not None and self._load(path, meta):
            return
        from .trigram import TrigramBuilder

        builder = TrigramBuilder()
        bonus = self._find_words(builder)
        self._tri = builder.finish(bonus)
        if path is not None and self._save(path, meta):
            # Searches made now read words and postings from the file just
            # written, not from memory.
            self._load(path, meta)

    def _find_words(self, builder: Any) -> list[float]:
        """Find every passage's words: the vocabulary, and each passage's
        (kept in memory until a cache file has them); with a
        `trigram.TrigramBuilder`, feed it.  The bonuses, by passage."""
        word_ids = _WordIds()
        sink, chunk = (None, 8192) if builder is None else (builder.add, builder.CHUNK)
        df, bonus = _tokenise(self._passages, sink, chunk, word_ids)
        self._vocab = _Vocabulary.counted(df, len(self._passages))
        self._doc_words = word_ids.in_vocabulary(self._vocab)
        return bonus

    def _save(self, path: Path, meta: dict[str, Any]) -> bool:
        from . import index_cache

        assert self._tri is not None and self._vocab is not None
        assert self._doc_words is not None
        vocab = self._vocab
        words = "\n".join(vocab.words).encode("utf-8", "surrogatepass")
        df = _little_endian(array("q", vocab.counts))
        parts: list[tuple[str, str, Any]] = [("vocab", "|u1", words), ("df", "<i8", df)]
        parts += [(name, values.dtype.str, values) for name, values in self._tri.arrays()]
        parts += self._doc_words.parts()
        return index_cache.write(path, meta, parts)

    def _load(self, path: Path, meta: dict[str, Any]) -> bool:
        import numpy as np

        from . import index_cache
        from .trigram import TrigramIndex

        n = len(self._passages)

        def postings_in_bounds(chunk: memoryview) -> bool:
            # Checked as the file is read: the postings then stay on disk.
            if len(chunk) % 4:
                return False
            values = np.frombuffer(chunk, dtype="<u4")
            return not len(values) or int(values.max()) < n

        parts = index_cache.read(
            path, meta, {"postings": postings_in_bounds}, on_disk={"postings", "doc_words"}
        )
        if parts is None:
            return False
        try:
            dtype, postings = parts.pop("postings")
            if dtype != "<u4" or not isinstance(postings, index_cache.FilePart):
                return False
            dtype, doc_words = parts.pop("doc_words")
            if dtype != "<u4" or not isinstance(doc_words, index_cache.FilePart):
                return False
            arrays = {}
            for name, (dtype, buf) in parts.items():
                if isinstance(buf, index_cache.FilePart):
                    return False
                arrays[name] = np.frombuffer(buf, dtype=np.dtype(dtype))
            stored = (postings.nbytes // 4, _posting_reader(postings, n))
            tri = TrigramIndex.from_arrays(arrays, n, stored_postings=stored)
            words = bytes(arrays["vocab"]).decode("utf-8", "surrogatepass")
            vocab = words.split("\n") if words else []
            counts = arrays["df"]
            if counts.dtype != np.int64 or len(counts) != len(vocab):
                return False
            if len(vocab) and (counts.min() < 1 or counts.max() > n):
                return False
            if any(a >= b for a, b in itertools.pairwise(vocab)):
                return False  # not sorted, or a word twice
            starts = arrays["doc_starts"]
            if starts.dtype != np.int64:
                return False
            words_of = _DocWords.checked(doc_words, bytes(starts), len(vocab), n)
            if words_of is None:
                return False
        except (KeyError, ValueError, UnicodeDecodeError):
            return False
        self._tri = tri
        self._vocab = _Vocabulary(vocab, array("q", counts.tolist()), n, in_order=True)
        self._doc_words = words_of
        return True

    def _field(self, value: str, words: frozenset[int] | None) -> _Field:
        """The title or speaker field of this value (shared between
        passages); ``words``: its words as the index has them."""
        field = self._fields.get(value)
        if field is None:
            if words is None:
                assert self._vocab is not None
                field = _Field.of(value, self._vocab.ids)
            else:
                field = _Field(value, words)
            if self._use_index:
                _make_room(self._fields, _DOC_CACHE)
            self._fields[value] = field
        return field

    def _make_doc(self, i: int, passage: Passage) -> _Doc:
        """Passage ``i``'s fields."""
        stored = None if self._doc_words is None else self._doc_words.get(i)
        if stored is None:
            assert self._vocab is not None
            text = _Field.of(passage.text, self._vocab.ids)
            title = self._field(passage.title, None)
            speaker = self._field(passage.speaker, None)
        else:
            text = _Field(passage.text, stored[0])
            title = self._field(passage.title, stored[1])
            speaker = self._field(passage.speaker, stored[2])
        return _Doc(text, title, speaker, _bonus(passage), passage.kind)

    def _doc(self, i: int) -> _Doc:
        doc = self._docs.get(i)
        if doc is None:
            doc = self._make_doc(i, self._passages[i])
            _make_room(self._docs, _DOC_CACHE)
            self._docs[i] = doc
        return doc

    # -- public API -----------------------------------------------------

    def search(
        self,
        query: str,
        kinds: Collection[str] | None = None,
        limit: int = 20,
        *,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[Hit]:
        """The best ``limit`` passages for ``query``, best first.

        ``kinds`` restricts the search to passages of those kinds.  An empty
        query, or one without a letter or digit, returns no hits.  When
        ``cancelled`` returns true (checked between stages), the search stops
        and returns ``[]``.
        """
        return self._search(query, kinds, limit, cancelled, exhaustive=False)

    def scan(
        self,
        query: str,
        kinds: Collection[str] | None = None,
        limit: int = 20,
        *,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[Hit]:
        """:meth:`search` scoring every passage (slow on a large corpus): the
        reference the candidate index is measured against."""
        return self._search(query, kinds, limit, cancelled, exhaustive=True)

    def _search(
        self,
        query: str,
        kinds: Collection[str] | None,
        limit: int,
        cancelled: Callable[[], bool] | None,
        *,
        exhaustive: bool,
    ) -> list[Hit]:
        if limit <= 0:
            return []
        self.prepare()
        q = self._analyse(query)
        if q is None or (cancelled is not None and cancelled()):
            return []
        candidates = self._candidates(q, kinds, exhaustive)
        if cancelled is not None and cancelled():
            return []
        # The definition and count checks lift hits from below: they need
        # every candidate's score.
        keep = None if exhaustive or q.focus or q.counted else limit + PRUNE_MARGIN
        if keep is not None and not isinstance(candidates, list):
            candidates = list(candidates)
        hits = self._hits(q, candidates, limit, cancelled, keep)
        if hits is None:
            # More than ``keep`` of the best were the same entry's title or
            # speaker: score every candidate.
            hits = self._hits(q, candidates, limit, cancelled, None)
        return hits or []

    def _hits(
        self,
        q: _Query,
        candidates: Iterable[int],
        limit: int,
        cancelled: Callable[[], bool] | None,
        keep: int | None,
    ) -> list[Hit] | None:
        """The hits among these candidates; None when the best ``keep``
        (all that _score is sure of) did not make ``limit`` hits."""
        scored, complete = self._score(q, candidates, cancelled, keep)
        if cancelled is not None and cancelled():
            return []
        scored.sort(key=lambda s: (-s[0], s[1]))
        self._rerank(q, scored)
        # Letters in common are not a match: drop weak hits, absolutely and
        # relative to the best one ("29.8bn" shows its two real hits, not
        # eight more that share a digit; "xyzzyq" finds nothing).
        if scored:
            floor = max(MIN_SCORE, scored[0][0] * RELATIVE_FLOOR)
            scored = [s for s in scored if s[0] >= floor]
        hits: list[Hit] = []
        seen_entries: set[str] = set()
        for rank, (score, i, field) in enumerate(scored):
            if not complete and keep is not None and rank >= keep:
                return None
            passage = self._passages[i]
            entry_id = passage.entry_id
            # Every passage of an article shares its title: a title- or
            # speaker-only match shows the entry once, not once per paragraph.
            if field != "text" and entry_id in seen_entries:
                continue
            seen_entries.add(entry_id)
            score = round(min(100.0, max(0.0, score)), 1)
            hits.append(Hit(passage, score, self._spans(q, self._doc(i)), field))
            if len(hits) >= limit:
                return hits
        # Fewer than limit: the next hit may be one that was not scored.
        return hits if complete else None

    # -- stage 1: query analysis ----------------------------------------

    def _analyse(self, query: str) -> _Query | None:
        norm = " ".join(normalize(query.lstrip()[: MAX_QUERY_CHARS * 2]).split())[:MAX_QUERY_CHARS]
        if len(norm) >= MIN_PREFIX_LEN:
            return self._analyse_norm(norm)
        q = self._short.get(norm)
        if q is None:
            q = self._analyse_norm(norm)
            if q is not None:
                _make_room(self._short, _SHORT_CACHE)
                self._short[norm] = q
        return q

    def _analyse_norm(self, norm: str) -> _Query | None:
        typed = tuple(_WORD_RE.findall(norm))
        if not typed:
            return None
        short = len(norm) < MIN_PREFIX_LEN
        words = typed if short else language.query_words(typed, norm)
        counted: tuple[str, ...] = ()
        question = ""
        intent, scaffold = (None, frozenset[str]()) if short else language.question(words)
        # In a question, stopwords ("are there", "in") are scaffolding too.
        low = scaffold | _STOPWORDS.intersection(words) if scaffold else scaffold
        terms: list[_Term] = []
        for word in dict.fromkeys(words):
            terms.append(self._term(word, short, word in low))
            if len(terms) >= MAX_QUERY_WORDS:
                break
        if not any(t.significant for t in terms):
            # Only stopwords ("the", "what is"): they are the query.
            terms = [_Term(t.word, t.weight, t.matches, True, t.forms, t.near) for t in terms]
        typed_terms = len(terms)
        alts: dict[str, float] = {}
        focus: list[tuple[tuple[str, ...], float]] = []
        content = [t for t in terms if t.word not in scaffold]
        if not short:
            # The query as the corpus would spell it, without the question.
            spelled = " ".join(
                t.forms[0] if t.forms and t.word not in t.matches else t.word for t in content
            )
            if scaffold:
                # A question's content is what to find in a text: the
                # question as typed is found in texts that merely repeat it.
                question = spelled
            elif spelled and spelled != " ".join(typed):
                alts[spelled] = ALT_QUALITY
            if intent == "definition":
                focus.append((tuple(self._spelled(t) for t in content), DEFINITION_BOOST))
            if intent == "figure" and words[0] == "how":
                # "how many left behind neighbourhoods are there": the last of
                # the words before the first stopword is what is counted.
                by_word = {t.word: t for t in content}
                run: list[str] = []
                for word in words[2:]:
                    if word not in by_word or word in _STOPWORDS:
                        break
                    run.append(self._spelled(by_word[word]))
                counted = tuple(run[-1:])
            terms += self._glossary(typed, terms, alts, focus)
        total = sum(t.weight for t in terms)
        lookup: dict[int, list[tuple[int, float]]] = {}
        real: set[int] = set()
        assert self._vocab is not None
        ids = self._vocab.ids
        for number, term in enumerate(terms):
            for word, quality in term.matches.items():
                word_id = ids[word]  # every match is a vocabulary word
                lookup.setdefault(word_id, []).append((number, quality))
                if term.significant:
                    real.add(word_id)
        frozen = {word: tuple(pairs) for word, pairs in lookup.items()}
        near: dict[int, list[tuple[int, float]]] = {}
        for number, term in enumerate(terms):
            if term.significant:
                for word, quality in term.near:
                    near.setdefault(ids[word], []).append((number, quality))
        index_words = tuple(
            dict.fromkeys(w for t in terms[:typed_terms] for w in self._trigram_words(t))
        )
        gloss_words = tuple(dict.fromkeys(t.word for t in terms[typed_terms:]))
        return _Query(
            norm,
            words,
            tuple(terms),
            total,
            short,
            frozen,
            alts=tuple(alts.items()),
            intent=intent,
            focus=tuple(focus),
            counted=counted,
            question=question,
            index_words=index_words,
            gloss_words=gloss_words,
            real=frozenset(real),
            matched=frozenset(frozen),
            weights=tuple(t.weight for t in terms),
            near_lookup={word: tuple(pairs) for word, pairs in near.items()} if near else None,
            near=frozenset(near),
        )

    @classmethod
    def _trigram_words(cls, term: _Term) -> tuple[str, ...]:
        """What the trigram index is asked for a typed word: the word, or
        what a word found nowhere most likely is (a typo shares few trigrams
        with the word meant, and the trigrams only the typo has favour
        passages with other words that happen to have them), and its other
        forms."""
        return (cls._corrections(term) or (term.word,)) + term.forms

    @staticmethod
    def _corrections(term: _Term) -> tuple[str, ...]:
        """What a word found nowhere most likely is ("lcoal": "local").  Not
        for a word being typed (a prefix of words), nor a short query."""
        if not term.significant or not term.matches or term.word in term.matches:
            return ()
        if any(w.startswith(term.word) for w in term.matches):
            return ()
        best = max(term.matches.values())
        return tuple(sorted(w for w, q in term.matches.items() if q == best)[:MAX_CORRECTIONS])

    @staticmethod
    def _spelled(term: _Term) -> str:
        """The word as the corpus most likely has it: its best vocabulary
        match (typo, prefix, spelling or number form)."""
        if not term.matches or term.word in term.matches:
            return term.word
        return max(term.matches.items(), key=lambda kv: (kv[1], -len(kv[0])))[0]

    def _glossary(
        self,
        typed: tuple[str, ...],
        terms: list[_Term],
        alts: dict[str, float],
        focus: list[tuple[tuple[str, ...], float]],
    ) -> list[_Term]:
        """Extra terms for the glossary terms whose plain phrasing is in the
        query (see lbn_tui.search.glossary); updates ``alts`` and ``focus``."""
        stems: dict[str, str] = {}  # stem -> the query word it came from
        for word in typed:
            for form in (word, *language.spelling_variants(word)):
                stems.setdefault(language.light_stem(form), word)
        for word in typed:
            # A phrasing's word typed with a slip ("mony" for "money").
            for stem in _glossary_slips(word):
                stems.setdefault(stem, word)
        weights = {t.word: t.weight for t in terms}
        have = set(weights)
        extra: list[_Term] = []
        for term, phrasings in _glossary_stems():
            term_words = [w for w in _WORD_RE.findall(term) if w not in have]
            if not term_words or term in alts:
                continue
            for wanted in phrasings:
                cues = [stems.get(stem) for stem in wanted]
                if None in cues:
                    continue
                cue_weight = sum(weights.get(c or "", 0.0) for c in dict.fromkeys(cues))
                share = GLOSS_WEIGHT * cue_weight / len(term_words)
                for word in term_words:
                    matched = self._term(word, False, False)
                    extra.append(_Term(word, share, matched.matches, True, matched.forms))
                    have.add(word)
                alts[term] = GLOSS_QUALITY
                focus.append((tuple(_WORD_RE.findall(term)), DEFINITION_BOOST / 2))
                break
        return extra

    def _term(self, word: str, short: bool, scaffold: bool = False) -> _Term:
        key = (word, short, scaffold)
        term = self._terms.get(key)
        if term is None:
            term = self._analyse_term(word, short, scaffold)
            _make_room(self._terms, _TERM_CACHE)
            self._terms[key] = term
        return term

    def _analyse_term(self, word: str, short: bool, scaffold: bool = False) -> _Term:
        vocab = self._vocab
        assert vocab is not None
        matches: dict[str, float] = {}
        if word in vocab:
            matches[word] = 1.0
        if scaffold:
            # A question's own word: itself only, at a low weight ("meaning"
            # is not "meaningfully", "definition" not "definitive").
            weight = SCAFFOLD_WEIGHT * vocab.idf(word)
            return _Term(word, weight, matches, False)
        # Other spellings and number forms of the word are the same word.
        forms = tuple(
            f
            for f in (*language.spelling_variants(word), *language.number_alternatives(word))
            if f in vocab
        )
        for form in forms:
            matches[form] = 1.0
        if short:
            for other in vocab.prefixed(word):
                if other != word:
                    matches[other] = SHORT_PREFIX_QUALITY
        elif len(word) >= MIN_PREFIX_LEN and word not in _STOPWORDS:
            for base in (word, *language.spelling_variants(word)):
                for other in vocab.prefixed(base):
                    if other not in matches or matches[other] < 1.0:
                        quality = max(0.9, fuzz.ratio(base, other, processor=None) / 100)
                        matches[other] = max(matches.get(other, 0.0), quality)
        if len(word) >= MIN_FUZZY_LEN and word.isalpha():
            # Other forms of the word ("relocation": "relocate"; "empowering":
            # "empowered"), by language.light_stem, among the words sharing
            # its stem's first letters.
            for base in (word, *language.spelling_variants(word)):
                stem = language.light_stem(base)
                for n, other in enumerate(vocab.prefixed(stem[: max(4, len(stem) - 1)])):
                    if n >= STEM_CANDIDATES:
                        break
                    if other not in matches and language.light_stem(other) == stem:
                        matches[other] = STEM_QUALITY
        if len(word) >= MIN_FUZZY_LEN:
            # A long word found nowhere may have more typos ("iofluenec").
            cutoff = WORD_RATIO_CUTOFF
            if not matches and len(word) >= LONG_WORD_LEN and word not in vocab:
                cutoff = LONG_WORD_RATIO_CUTOFF
            for other, ratio, _ in process.extract(
                word,
                vocab.near(word),
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=cutoff,
                limit=None,
            ):
                quality = ratio / 100
                if quality > matches.get(other, 0.0):
                    matches[other] = quality
            if word.isalpha():
                # Two letters swapped ("meat" for "meta") are one slip, as one
                # letter dropped is (fuzz.ratio counts them as two).
                quality = 1.0 - 1.0 / (2 * len(word) - 1)
                for k in range(len(word) - 1):
                    other = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
                    if other != word and other in vocab and quality > matches.get(other, 0.0):
                        matches[other] = quality
        near: tuple[tuple[str, float], ...] = ()
        if matches:
            best = max(matches.values())
            # Keep only the readings closest to what was typed: "socal" is
            # "social", not also "local"; "burt" is not "but" when "burt" exists.
            # (A short query is a prefix: all its words stay.)
            if not short:
                matches = {w: q for w, q in matches.items() if q >= best - RELATIVE_SLACK}
                if word.isalpha() and word not in _STOPWORDS:
                    near = self._near(word, matches)
            # Weight of the word as the reader most likely meant it.
            weight = max(vocab.idf(w) for w, qual in matches.items() if qual == best)
        else:
            weight = vocab.idf(word)
        significant = short or word.isdigit() or (len(word) >= 3 and word not in _STOPWORDS)
        return _Term(word, weight, matches, significant, forms, near)

    def _near(self, word: str, matches: dict[str, float]) -> tuple[tuple[str, float], ...]:
        """Vocabulary words one slip (a letter dropped, added, changed, or two
        swapped) from ``word`` that are not among its ``matches`` and are as
        close as a typo (``fuzz.ratio`` at least WORD_RATIO_CUTOFF, their
        quality): the closest :data:`MAX_NEAR`.  They count only where the
        phrase is (see NEAR_PHRASE)."""
        if len(word) < MIN_PREFIX_LEN:
            return ()
        vocab = self._vocab
        assert vocab is not None
        letters = "abcdefghijklmnopqrstuvwxyz"
        slips = {word[:k] + word[k + 1 :] for k in range(len(word))}
        slips.update(word[:k] + word[k + 1] + word[k] + word[k + 2 :] for k in range(len(word) - 1))
        for k in range(len(word) + 1):
            slips.update(word[:k] + c + word[k:] for c in letters)
            if k < len(word):
                slips.update(word[:k] + c + word[k + 1 :] for c in letters)
        found = [
            (fuzz.ratio(word, other, processor=None), other)
            for other in slips
            if other in vocab and other not in matches and len(other) >= MIN_PREFIX_LEN
        ]
        # Not a letter changed in a short word ("bus" is not "but").
        found = [(ratio, other) for ratio, other in found if ratio >= WORD_RATIO_CUTOFF]
        found.sort(key=lambda qw: (-qw[0], qw[1]))
        return tuple((other, ratio / 100) for ratio, other in found[:MAX_NEAR])

    # -- stage 2: candidate selection -------------------------------------

    def _kind_filter(self, kinds: Collection[str] | None) -> frozenset[str] | None:
        if kinds is None:
            return None
        return frozenset((kinds,) if isinstance(kinds, str) else kinds)

    def _candidates(
        self, q: _Query, kinds: Collection[str] | None, exhaustive: bool
    ) -> Iterable[int]:
        """Indices of the passages worth scoring."""
        wanted = self._kind_filter(kinds)
        if self._tri is None or exhaustive:
            if wanted is None:
                return range(len(self._passages))
            return [i for i, kind in enumerate(self._passage_kinds()) if kind in wanted]
        allowed = None if wanted is None else self._kind_mask(wanted)
        n = len(self._passages)
        count = self._candidate_count
        if q.short:
            count = min(count, SHORT_CANDIDATES)
        budget = max(POSTINGS_BUDGET * n, 1000)
        found = self._tri.candidates(
            q.words if q.short else q.index_words, count, allowed, prefix=q.short, budget=budget
        )
        if q.gloss_words:
            # Apart: a glossary term's trigrams among the words typed would
            # favour passages with the term over those with what was typed.
            more = self._tri.candidates(q.gloss_words, GLOSS_CANDIDATES, allowed, budget=budget)
            seen = set(found)
            found += [i for i in more if i not in seen]
        return found

    def _passage_kinds(self) -> Iterable[str]:
        if self._kinds is not None:
            return self._kinds()
        return (p.kind for p in self._passages)

    def _kind_mask(self, wanted: frozenset[str]) -> Any:
        mask = self._kind_masks.get(wanted)
        if mask is None:
            import numpy as np

            mask = np.fromiter(
                (kind in wanted for kind in self._passage_kinds()),
                dtype=bool,
                count=len(self._passages),
            )
            if len(self._kind_masks) > 32:
                self._kind_masks.clear()
            self._kind_masks[wanted] = mask
        return mask

    # -- stage 3: scoring -------------------------------------------------

    @staticmethod
    def _best(q: _Query, words: frozenset[int]) -> dict[int, float]:
        """Per query term (by number), its best match quality among ``words`` (ids)."""
        best: dict[int, float] = {}
        if not words:
            return best
        lookup = q.lookup
        for word in q.matched & words:  # a C loop over the smaller side
            for number, quality in lookup[word]:
                if quality > best.get(number, 0.0):
                    best[number] = quality
        return best

    @staticmethod
    def _coverage(q: _Query, best: dict[int, float]) -> float:
        """IDF-weighted share (0..1) of the query words found (see _best)."""
        if q.total_weight <= 0 or not best:
            return 0.0
        weights = q.weights
        # Summed in term order, as a plain loop over the terms would.
        got = sum([weights[number] * best[number] for number in sorted(best)])
        return got / q.total_weight

    @staticmethod
    def _phrase(q: _Query, fnorm: str, is_text: bool = False) -> float:
        """How well the query, as typed or rewritten, matches a stretch of
        the field."""
        if not fnorm:
            return 0.0
        if q.short:
            # A prefix: of the whole field here, of its words in _coverage.
            # A title or a name is what a reader starts typing, more than the
            # first word of a paragraph.
            if fnorm.startswith(q.norm):
                return SHORT_TEXT_START if is_text else 100.0
            return 0.0
        best = 0.0
        phrases: tuple[tuple[str, float], ...] = ((q.norm, 1.0),)
        if q.question:
            phrases = (
                ((q.question, 1.0), (q.norm, QUESTION_TYPED_SHARE))
                if is_text
                else ((q.norm, 1.0), (q.question, QUESTION_TYPED_SHARE))
            )
        for phrase, share in (*phrases, *q.alts):
            if share * 100.0 <= best:
                continue
            if len(fnorm) >= len(phrase):
                score = fuzz.partial_ratio(phrase, fnorm, processor=None, score_cutoff=best / share)
            else:
                # The field is shorter than the query: the query must be (nearly) it.
                score = fuzz.ratio(phrase, fnorm, processor=None)
            best = max(best, share * score)
        return best

    def _field_score(
        self, q: _Query, field: _Field, is_text: bool = False
    ) -> tuple[float, dict[int, float]]:
        """The field's 0..100 score, and its _best table for the spread.

        A field none of whose words is a real match of the query (a
        significant word, or its typo, spelling, number form or glossary
        term) scores 0: letters in common are not a match."""
        if not field.norm or field.words.isdisjoint(q.real):
            return 0.0, {}
        best = self._best(q, field.words)
        score = 0.5 * self._phrase(q, field.norm, is_text) + 50.0 * self._coverage(q, best)
        return score, best

    def _score(
        self,
        q: _Query,
        candidates: Iterable[int],
        cancelled: Callable[[], bool] | None,
        keep: int | None = None,
    ) -> tuple[list[tuple[float, int, str]], bool]:
        """(score, passage index, best field) for each candidate, and whether
        that is every candidate that matches at all.

        The score is 0..100 give or take the small kind bonus.  With
        ``keep``, only the best ``keep`` candidates are sure to be there
        (with their exact scores): a text's phrase score, the costly part,
        is computed only for candidates that could still be among them
        (its bound is a perfect phrase), best bound first."""
        # By id, with the field kept alive: an id is unique only while its
        # object lives, and a large corpus's field cache lets fields go
        # while a search runs (a freed title's id reused by another title
        # gave that title the freed one's score).
        cache: dict[int, tuple[_Field, float, dict[int, float]]] = {}
        real = q.real
        best_of = self._best
        coverage = self._coverage
        figure = q.intent == "figure"

        def cached(field: _Field) -> tuple[float, dict[int, float]]:
            # Titles and speaker lines repeat across passages: score once.
            key = id(field)
            value = cache.get(key)
            if value is None or value[0] is not field:
                score, best = self._field_score(q, field)
                cache[key] = (field, score, best)
                return score, best
            return value[1], value[2]

        near = q.near

        def with_near(best: dict[int, float], words: frozenset[int]) -> dict[int, float]:
            # ``best`` with the near words among ``words`` (see NEAR_PHRASE).
            assert q.near_lookup is not None
            best = dict(best)
            for word in near & words:
                for number, quality in q.near_lookup[word]:
                    if quality > best.get(number, 0.0):
                        best[number] = quality
            return best

        out: list[tuple[float, int, str]] = []
        # Candidates whose text matches: (bound, index, text, the other
        # fields' best and its field, bonus, and the text's coverage and the
        # spread, without and with the near words (see NEAR_PHRASE).
        pending: list[tuple[float, int, _Pending]] = []

        def exact(candidate: _Pending) -> tuple[float, str] | None:
            # The score of a pending candidate, with its text's phrase.
            text, other, other_field, bonus, text_coverage, spread, near_coverage, near_spread = (
                candidate
            )
            phrase = self._phrase(q, text.norm, True)
            if phrase >= NEAR_PHRASE:
                text_coverage, spread = near_coverage, near_spread
            text_score = 0.5 * phrase + 50.0 * text_coverage
            best, field = (text_score, "text") if text_score >= other else (other, other_field)
            if best <= 0.0:
                return None
            return 0.85 * best + 0.15 * spread + bonus, field

        for count, i in enumerate(candidates):
            if cancelled is not None and count % 256 == 255 and cancelled():
                return [], True
            doc = self._doc(i)
            text = doc.text
            title, title_best = cached(doc.title)
            speaker, speaker_best = cached(doc.speaker)
            # An attribution that names another work (a figure's origin) is a
            # weaker match than that work's own title: a slight discount.
            speaker *= SPEAKER_WEIGHT
            other, other_field = (title, "title") if title > 0.0 else (0.0, "text")
            if speaker > other:
                other, other_field = speaker, "speaker"
            # (A text with words is not empty.)
            matches = not text.words.isdisjoint(real)
            text_best = spread_best = best_of(q, text.words) if matches else {}
            text_coverage = coverage(q, text_best) if matches else 0.0
            # Words spread over the fields (a fragment plus the speaker's name).
            if title_best or speaker_best:
                spread_best = dict(spread_best)
                for more in (title_best, speaker_best):
                    for number, quality in more.items():
                        if quality > spread_best.get(number, 0.0):
                            spread_best[number] = quality
            if not matches and other <= 0.0:
                continue  # no field really matches
            spread = 100.0 * coverage(q, spread_best)
            near_coverage, near_spread = text_coverage, spread
            if near and matches and not near.isdisjoint(text.words):
                near_coverage = coverage(q, with_near(text_best, text.words))
                near_spread = 100.0 * coverage(q, with_near(spread_best, text.words))
            bonus = doc.bonus
            if figure and doc.kind == "figure":
                bonus += FIGURE_BOOST
            if not matches:
                # Unclamped, so that the kind tie-break also works among
                # perfect matches; search() clamps what it reports.
                out.append((0.85 * other + 0.15 * spread + bonus, i, other_field))
                continue
            bound = 0.85 * max(50.0 + 50.0 * near_coverage, other) + 0.15 * near_spread + bonus
            candidate = (
                text,
                other,
                other_field,
                bonus,
                text_coverage,
                spread,
                near_coverage,
                near_spread,
            )
            pending.append((bound, i, candidate))
        if keep is None or len(pending) + len(out) <= keep:
            for _, i, candidate in pending:
                scored = exact(candidate)
                if scored is not None:
                    out.append((scored[0], i, scored[1]))
            return out, True
        # The keep-th best exact score so far: a candidate bounded below it
        # cannot be among the best ``keep``, nor can any after it.
        floor = heapq.nlargest(keep, (s[0] for s in out))
        heapq.heapify(floor)
        pending.sort(key=lambda p: (-p[0], p[1]))
        complete = True
        for bound, i, candidate in pending:
            if len(floor) >= keep and bound < floor[0]:
                complete = False
                break
            scored = exact(candidate)
            if scored is None:
                continue
            score = scored[0]
            out.append((score, i, scored[1]))
            if len(floor) < keep:
                heapq.heappush(floor, score)
            elif score > floor[0]:
                heapq.heapreplace(floor, score)
        return out, complete

    def _rerank(self, q: _Query, scored: list[tuple[float, int, str]]) -> None:
        """Lift the passages among the best that define what a what-is
        question (or a glossary term) asks about; ``scored`` is sorted."""
        if not (q.focus or q.counted) or not scored:
            return
        patterns: list[tuple[re.Pattern[str], float]] = []
        for words, boost in q.focus:
            # The whole phrase, else without its last or first word
            # ("index of multiple deprivation measure").
            content = [w for w in words if w]
            while content and content[0] in _STOPWORDS:
                content.pop(0)
            runs = [content]
            if len(content) > 2:
                runs += [content[:-1], content[1:]]
            for run in runs:
                if not run:
                    continue
                body = r"[\W_]+".join(re.escape(w.rstrip("s") or w) + r"\w*" for w in run)
                patterns.append((re.compile(r"\b" + body), boost))
        counts = [language.counted(noun) for noun in q.counted]
        depth = min(len(scored), RERANK_DEPTH)
        for n in range(depth):
            score, i, field = scored[n]
            norm = self._doc(i).text.norm
            if any(count.search(norm) for count in counts):
                score += COUNT_BOOST
                scored[n] = (score, i, field)
            for pattern, boost in patterns:
                if any(
                    language.defines_at(norm, m.start(), m.end()) for m in pattern.finditer(norm)
                ):
                    scored[n] = (score + boost, i, field)
                    break
        scored[:depth] = sorted(scored[:depth], key=lambda s: (-s[0], s[1]))

    # -- spans ------------------------------------------------------------

    def _spans(self, q: _Query, doc: _Doc) -> tuple[tuple[int, int], ...]:
        """Whole-word spans of the text words that match a query word (or
        whose number form does: "20%" for "twenty percent"), and of its near
        words inside the stretch that has the phrase (see NEAR_PHRASE)."""
        matched_ids = q.matched & doc.text.words
        if not matched_ids:
            return ()
        assert self._vocab is not None
        words = self._vocab.words
        near = {words[i] for i in q.near & doc.text.words}
        matched = {words[i] for i in matched_ids}
        significant = {words[i] for i in matched_ids & q.real}
        norm = doc.text.norm
        window = near_window = (0, 0)
        if (near or len(significant) < len(matched)) and len(norm) >= len(q.norm):
            # Stopwords and short words: only inside the stretch of text that
            # matches the query as typed.
            align = fuzz.partial_ratio_alignment(q.norm, norm, processor=None)
            if align is not None and align.score >= 60:
                window = (align.dest_start, align.dest_end)
                if align.score >= NEAR_PHRASE:
                    near_window = window
        # Stretches standing for a matched number form, by start offset.
        aliased: dict[int, int] = {}
        if any(w[0].isdigit() or w in language.ALIAS_WORDS for w in significant):
            for start, end, alias in language.alias_spans(norm):
                if alias in significant:
                    aliased[start] = max(end, aliased.get(start, 0))
        spans: list[tuple[int, int]] = []
        previous_marked = False
        reach = -1  # end of the number form being marked
        for m in _WORD_RE.finditer(norm):
            word = m.group()
            start, end = m.start(), m.end()
            alias_end = aliased.get(start)
            if alias_end is not None:
                reach = max(reach, alias_end)
            if (
                word in significant
                or start < reach
                or (word in matched and start < window[1] and end > window[0])
                or (word in near and start < near_window[1] and end > near_window[0])
            ):
                end = max(end, min(reach, len(norm))) if start < reach else end
                if previous_marked:
                    spans[-1] = (spans[-1][0], max(spans[-1][1], end))
                else:
                    spans.append((start, end))
                previous_marked = True
            else:
                previous_marked = False
        return tuple(spans)
