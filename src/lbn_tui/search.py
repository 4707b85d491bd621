"""Fuzzy, typo-tolerant search over passages (search engine v1).

No Textual here: the CLI and the app both use this module.

Design, in three stages so that each can be replaced on its own when the
corpus grows (see the 100k-passage issue):

1. **Query analysis** (:meth:`SearchIndex._analyse`): the query is
   normalised with :func:`normalize`, capped at :data:`MAX_QUERY_CHARS`
   and split into words.  Each query word is matched once against the
   index *vocabulary* (exact, prefix, or ``fuzz.ratio`` >= 80), giving a
   small table ``vocabulary word -> match quality`` and an IDF weight.
2. **Candidate selection** (:meth:`SearchIndex._candidates`): v1 returns
   every passage of the requested kinds.  A character-trigram index can
   slot in here later.
3. **Scoring** (:meth:`SearchIndex._score`): per candidate, for each field
   (text, title, speaker line) a phrase score (``fuzz.partial_ratio`` on the
   normalised strings) and an IDF-weighted word coverage (handles word
   order and typos), combined into 0-100.  Spans are computed only for the
   hits returned.

For the scaling issue: ``process.cdist`` (which releases the GIL) needs
numpy, which is not a dependency yet; the per-candidate Python loop in
``_score`` costs ~10 us per passage, fine for a few hundred candidates; and
query-word matching scans the whole vocabulary once per query word.

All rapidfuzz calls get ``processor=None``: strings are normalised once at
build time, and :func:`normalize` keeps lengths so that offsets found on
normalised text are valid offsets into the original text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from .model import Passage

__all__ = ["MAX_QUERY_CHARS", "Hit", "SearchIndex", "normalize", "word_spans"]

#: Only the first this-many characters of a query are scored.
MAX_QUERY_CHARS = 200
#: At most this many query words take part in word matching.
MAX_QUERY_WORDS = 24
#: ``fuzz.ratio`` at or above this counts as a typo'd version of a word.
WORD_RATIO_CUTOFF = 80.0
#: Words shorter than this match only exactly (prefix and fuzzy need more).
MIN_FUZZY_LEN = 4
MIN_PREFIX_LEN = 3
#: A query word keeps the vocabulary words matching within this of its best.
RELATIVE_SLACK = 0.1
#: Speaker-line field scores are multiplied by this (see _score).
SPEAKER_WEIGHT = 0.97

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
    return "".join([_fold_char(ch) for ch in text])


# A word: letters/digits, keeping "29.8", "1,000" and "don't" whole.
_WORD_RE = re.compile(r"\w+(?:(?<=\d)[.,](?=\d)\w+|'\w+)*")


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


@dataclass(frozen=True, slots=True)
class _Field:
    """A normalised string and its word set, shared between passages."""

    norm: str
    words: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Doc:
    passage: Passage
    text: _Field
    title: _Field
    speaker: _Field
    words: tuple[tuple[int, int, str], ...]  # word spans of the text
    all_words: frozenset[str]  # text, title and speaker words together
    bonus: float


@dataclass(frozen=True, slots=True)
class _Term:
    """One query word and the vocabulary words it matches."""

    word: str
    weight: float
    matches: dict[str, float]  # vocabulary word -> quality in (0, 1]
    significant: bool  # highlight it outside the phrase window too


@dataclass(frozen=True, slots=True)
class _Query:
    norm: str
    terms: tuple[_Term, ...]
    total_weight: float


class SearchIndex:
    """An in-memory index over passages; cheap to build for a few thousand."""

    __slots__ = ("_df", "_docs", "_fields", "_n", "_vocab", "_vocab_sorted")

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._fields: dict[str, _Field] = {}
        docs: list[_Doc] = []
        df: dict[str, int] = {}
        for passage in passages:
            text_norm = normalize(passage.text)
            words = tuple(word_spans(text_norm))
            text = _Field(text_norm, frozenset(w for _, _, w in words))
            title = self._field(passage.title)
            speaker = self._field(passage.speaker)
            all_words = text.words | title.words | speaker.words
            for word in all_words:
                df[word] = df.get(word, 0) + 1
            bonus = _KIND_BONUS.get(passage.kind, 0.0)
            # Long passages match more by chance: a small penalty.
            bonus -= min(1.0, max(0, len(passage.text) - 300) / 1000)
            docs.append(_Doc(passage, text, title, speaker, words, all_words, bonus))
        self._docs: tuple[_Doc, ...] = tuple(docs)
        self._df = df
        self._n = max(1, len(docs))
        self._vocab: list[str] = list(df)
        self._vocab_sorted: list[str] = sorted(df)

    def __len__(self) -> int:
        return len(self._docs)

    def _field(self, value: str) -> _Field:
        field = self._fields.get(value)
        if field is None:
            norm = normalize(value)
            field = _Field(norm, frozenset(w for _, _, w in word_spans(norm)))
            self._fields[value] = field
        return field

    # -- public API -----------------------------------------------------

    def search(
        self,
        query: str,
        kinds: Collection[str] | None = None,
        limit: int = 20,
    ) -> list[Hit]:
        """The best ``limit`` passages for ``query``, best first.

        ``kinds`` restricts the search to passages of those kinds.  An empty
        or whitespace-only query returns no hits.
        """
        if limit <= 0:
            return []
        q = self._analyse(query)
        if q is None:
            return []
        candidates = self._candidates(q, kinds)
        scored = self._score(q, candidates)
        scored.sort(key=lambda s: (-s[0], s[1]))
        hits: list[Hit] = []
        seen_entries: set[str] = set()
        for score, i, field in scored:
            doc = self._docs[i]
            entry_id = doc.passage.entry_id
            # Every passage of an article shares its title: a title- or
            # speaker-only match shows the entry once, not once per paragraph.
            if field != "text" and entry_id in seen_entries:
                continue
            seen_entries.add(entry_id)
            score = round(min(100.0, max(0.0, score)), 1)
            hits.append(Hit(doc.passage, score, self._spans(q, doc), field))
            if len(hits) >= limit:
                break
        return hits

    # -- stage 1: query analysis ----------------------------------------

    def _analyse(self, query: str) -> _Query | None:
        norm = " ".join(normalize(query.lstrip()[: MAX_QUERY_CHARS * 2]).split())[:MAX_QUERY_CHARS]
        if not norm:
            return None
        seen: set[str] = set()
        terms: list[_Term] = []
        for _, _, word in word_spans(norm):
            if word in seen:
                continue
            seen.add(word)
            terms.append(self._term(word))
            if len(terms) >= MAX_QUERY_WORDS:
                break
        total = sum(t.weight for t in terms)
        return _Query(norm, tuple(terms), total)

    def _idf(self, word: str) -> float:
        return math.log(1.0 + self._n / (1 + self._df.get(word, 0)))

    def _term(self, word: str) -> _Term:
        matches: dict[str, float] = {}
        if word in self._df:
            matches[word] = 1.0
        if len(word) >= MIN_PREFIX_LEN:
            vocab = self._vocab_sorted
            i = bisect_left(vocab, word)
            while i < len(vocab) and vocab[i].startswith(word):
                other = vocab[i]
                if other != word:
                    matches[other] = max(0.9, fuzz.ratio(word, other, processor=None) / 100)
                i += 1
        if len(word) >= MIN_FUZZY_LEN:
            for other, ratio, _ in process.extract(
                word,
                self._vocab,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=WORD_RATIO_CUTOFF,
                limit=None,
            ):
                if len(other) >= MIN_FUZZY_LEN - 1:
                    quality = ratio / 100
                    if quality > matches.get(other, 0.0):
                        matches[other] = quality
        if matches:
            best = max(matches.values())
            # Keep only the readings closest to what was typed: "socal" is
            # "social", not also "local"; "burt" is not "but" when "burt" exists.
            matches = {w: qual for w, qual in matches.items() if qual >= best - RELATIVE_SLACK}
            # Weight of the word as the reader most likely meant it.
            weight = max(self._idf(w) for w, qual in matches.items() if qual == best)
        else:
            weight = self._idf(word)
        significant = word.isdigit() or (len(word) >= 3 and word not in _STOPWORDS)
        return _Term(word, weight, matches, significant)

    # -- stage 2: candidate selection -------------------------------------

    def _candidates(self, q: _Query, kinds: Collection[str] | None) -> Iterable[int]:
        """Indices of the passages worth scoring.  v1: all of them."""
        del q  # a trigram index will use it
        if kinds is None:
            return range(len(self._docs))
        wanted = frozenset((kinds,) if isinstance(kinds, str) else kinds)
        return [i for i, d in enumerate(self._docs) if d.passage.kind in wanted]

    # -- stage 3: scoring -------------------------------------------------

    @staticmethod
    def _coverage(q: _Query, words: frozenset[str]) -> float:
        """IDF-weighted share (0..1) of the query words found in ``words``."""
        if q.total_weight <= 0 or not words:
            return 0.0
        got = 0.0
        for term in q.terms:
            best = 0.0
            matches = term.matches
            if len(matches) <= len(words):
                for word, quality in matches.items():
                    if quality > best and word in words:
                        best = quality
            else:
                for word in words:
                    quality = matches.get(word, 0.0)
                    if quality > best:
                        best = quality
            got += best * term.weight
        return got / q.total_weight

    @staticmethod
    def _phrase(qnorm: str, fnorm: str) -> float:
        """How well the query, as typed, matches a stretch of the field."""
        if not fnorm:
            return 0.0
        if len(fnorm) >= len(qnorm):
            return fuzz.partial_ratio(qnorm, fnorm, processor=None)
        # The field is shorter than the query: the query must be (nearly) it.
        return fuzz.ratio(qnorm, fnorm, processor=None)

    def _field_score(self, q: _Query, field: _Field) -> float:
        if not field.norm:
            return 0.0
        return 0.5 * self._phrase(q.norm, field.norm) + 50.0 * self._coverage(q, field.words)

    def _score(self, q: _Query, candidates: Iterable[int]) -> list[tuple[float, int, str]]:
        """(score, passage index, best field) for each candidate.

        The score is 0..100 give or take the small kind bonus."""
        cache: dict[int, float] = {}

        def cached(field: _Field) -> float:
            # Titles and speaker lines repeat across passages: score once.
            key = id(field)
            value = cache.get(key)
            if value is None:
                value = self._field_score(q, field)
                cache[key] = value
            return value

        out: list[tuple[float, int, str]] = []
        for i in candidates:
            doc = self._docs[i]
            text = self._field_score(q, doc.text)
            title = cached(doc.title)
            # An attribution that names another work (a figure's origin) is a
            # weaker match than that work's own title: a slight discount.
            speaker = SPEAKER_WEIGHT * cached(doc.speaker)
            best, field = text, "text"
            if title > best:
                best, field = title, "title"
            if speaker > best:
                best, field = speaker, "speaker"
            # Words spread over the fields (a fragment plus the speaker's name).
            spread = 100.0 * self._coverage(q, doc.all_words)
            # Unclamped, so that the kind tie-break also works among perfect
            # matches; search() clamps what it reports.
            out.append((0.85 * best + 0.15 * spread + doc.bonus, i, field))
        return out

    # -- spans ------------------------------------------------------------

    def _spans(self, q: _Query, doc: _Doc) -> tuple[tuple[int, int], ...]:
        """Whole-word spans of the text words that match a query word."""
        if not doc.words:
            return ()
        window = (0, 0)
        if len(doc.text.norm) >= len(q.norm):
            align = fuzz.partial_ratio_alignment(q.norm, doc.text.norm, processor=None)
            if align is not None and align.score >= 60:
                window = (align.dest_start, align.dest_end)
        marked: list[tuple[int, int]] = []
        for start, end, word in doc.words:
            in_window = start < window[1] and end > window[0]
            for term in q.terms:
                if word in term.matches and (term.significant or in_window):
                    marked.append((start, end))
                    break
            else:
                marked.append((-1, -1))
        spans: list[tuple[int, int]] = []
        previous_marked = False
        for start, end in marked:
            if start < 0:
                previous_marked = False
                continue
            if previous_marked and spans:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
            previous_marked = True
        return tuple(spans)
