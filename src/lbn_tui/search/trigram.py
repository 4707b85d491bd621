"""Character-trigram candidate index for large corpora (numpy).

Imported only when a corpus is large (see ``lbn_tui.search.engine.INDEX_THRESHOLD``):
numpy costs start-up time that the bundled briefings do not need.

Each passage is indexed as one string of its words (the words of
:func:`lbn_tui.search.engine.word_spans`, joined by single spaces), field by field::

    FIELD_START text words SEP FIELD_START title words SEP FIELD_START speaker words SEP

Characters map to 7-bit symbols (letters, digits, space, a little
punctuation, and the rest of Unicode hashed onto the remaining symbols), so a
trigram is a 21-bit key.  No trigram spans a separator.  The posting list of a
key holds, once each and in ascending order, the passages containing it.

A query of three or more characters is indexed the same way (with a leading
space); every passage gets one point per distinct query trigram it contains,
plus a fraction of a point for its kind/length bonus so that ties break as
the scorer's do, and the best ``limit`` are the candidates.  A shorter query
is a *prefix*: passages with a field starting with it rank above passages
with a word starting with it.  Because the key is symbol-by-symbol, every
trigram starting with a given prefix lies in one contiguous run of keys, and
so its postings lie in one contiguous run of the postings array.

Per keystroke, the cost is the postings the query's trigrams add or drop
(the counts of the last few trigram sets are kept, and typing changes a
trigram or two) plus a few passes over one count per passage: the best are
found from the counts' histogram, sorting only the passages at or above the
lowest count taken.  Hot operations are numpy calls (``concatenate``,
``bincount``, ``flatnonzero``), which run in C and mostly release the GIL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["TrigramBuilder", "TrigramIndex", "field_string"]

SEP = "\x00"
FIELD_START = "\x01"
_SEP_SYM = 0
_FIELD_SYM = 1
_SPACE_SYM = 2
_BITS = 7
_NSYM = 1 << _BITS
_KEY_SPACE = 1 << (3 * _BITS)

# Latin-1 code points -> symbol; anything above is hashed (see _symbols).
_TABLE = np.full(256, _SPACE_SYM, dtype=np.uint32)
_TABLE[0] = _SEP_SYM
_TABLE[1] = _FIELD_SYM
_next = 3
for _ch in "abcdefghijklmnopqrstuvwxyz0123456789'.,_":
    _TABLE[ord(_ch)] = _next
    _next += 1
for _cp in range(0xC0, 0x100):  # accented Latin-1 letters (rare after folding)
    _TABLE[_cp] = _next + _cp % 16
_HASH_BASE = _next + 16
_HASH_SLOTS = _NSYM - _HASH_BASE
del _next, _ch, _cp

IntArray = npt.NDArray[np.int64]


def field_string(words: Sequence[str]) -> str:
    """One field's part of an indexed string."""
    return FIELD_START + " ".join(words) + SEP


def _symbols(text: str) -> npt.NDArray[np.uint32]:
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    sym = _TABLE[np.minimum(cp, 255)]
    wide = np.flatnonzero(cp >= 256)
    if len(wide):
        sym[wide] = _HASH_BASE + cp[wide] % _HASH_SLOTS
    return sym


def _keys(sym: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """Key of the trigram starting at each position (length - 2 of them)."""
    keys = (sym[:-2] << np.uint32(2 * _BITS)) | (sym[1:-1] << np.uint32(_BITS)) | sym[2:]
    return keys.astype(np.uint32, copy=False)


def _query_keys(words: Sequence[str]) -> list[int]:
    """Distinct trigram keys of a query's words (with a leading space)."""
    sym = _symbols(" " + " ".join(words))
    if len(sym) < 3:
        return []
    keys = _keys(sym)
    keys = keys[(sym[:-2] != _SEP_SYM) & (sym[1:-1] != _SEP_SYM) & (sym[2:] != _SEP_SYM)]
    return [int(k) for k in dict.fromkeys(keys.tolist())]


class TrigramBuilder:
    """Feeds chunks of indexed strings in passage order; :meth:`finish` merges.

    Each chunk is reduced to its distinct (key, passage) pairs, kept as
    16-bit passage offsets within the chunk grouped by key, so the transient
    memory is ~2 bytes per posting on top of the final 4.
    """

    CHUNK = 2048

    def __init__(self) -> None:
        self._counts = np.zeros(_KEY_SPACE, dtype=np.int64)
        self._chunks: list[
            tuple[int, npt.NDArray[np.uint32], IntArray, npt.NDArray[np.uint16]]
        ] = []
        self._n = 0

    def add(self, strings: Sequence[str]) -> None:
        """Index the next ``len(strings)`` passages (at most CHUNK)."""
        if len(strings) > self.CHUNK:
            raise ValueError("chunk too large")
        base = self._n
        self._n += len(strings)
        if not strings:
            return
        sym = _symbols("".join(strings))
        lengths = np.fromiter((len(s) for s in strings), dtype=np.int64, count=len(strings))
        if len(sym) < 3:
            return
        docs = np.repeat(np.arange(len(strings), dtype=np.uint64), lengths)[:-2]
        keys = _keys(sym)
        # A trigram may end at a field's end (so a one-letter word or field,
        # "a", is found by the prefix query "a"), but never spans two fields.
        ok = (sym[:-2] != _SEP_SYM) & (sym[1:-1] != _SEP_SYM)
        pairs = np.sort((keys[ok].astype(np.uint64) << np.uint64(16)) | docs[ok])
        del sym, keys, ok, docs
        if len(pairs) == 0:
            return
        keep = np.empty(len(pairs), dtype=bool)
        keep[0] = True
        np.not_equal(pairs[1:], pairs[:-1], out=keep[1:])
        pairs = pairs[keep]
        pair_keys = (pairs >> np.uint64(16)).astype(np.uint32)
        local = (pairs & np.uint64(0xFFFF)).astype(np.uint16)
        del pairs, keep
        starts = np.flatnonzero(np.concatenate(([True], pair_keys[1:] != pair_keys[:-1])))
        group_keys = pair_keys[starts]
        group_sizes = np.diff(np.append(starts, len(pair_keys)))
        self._counts[group_keys] += group_sizes
        self._chunks.append((base, group_keys, group_sizes, local))

    def finish(self, bonus: Sequence[float]) -> TrigramIndex:
        n = self._n
        if len(bonus) != n:
            raise ValueError("one bonus per passage")
        present = np.flatnonzero(self._counts).astype(np.uint32)
        sizes = self._counts[present]
        offsets = np.zeros(len(present) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        postings = np.empty(int(offsets[-1]), dtype=np.uint32)
        # Where the next posting of each key goes (dense, by key).
        fill = np.zeros(_KEY_SPACE, dtype=np.int64)
        fill[present] = offsets[:-1]
        self._counts = np.zeros(0, dtype=np.int64)
        while self._chunks:
            base, group_keys, group_sizes, local = self._chunks.pop(0)
            group_starts = np.zeros(len(group_sizes), dtype=np.int64)
            np.cumsum(group_sizes[:-1], out=group_starts[1:])
            dest = np.repeat(fill[group_keys] - group_starts, group_sizes)
            dest += np.arange(len(local), dtype=np.int64)
            postings[dest] = local.astype(np.uint32) + np.uint32(base)
            fill[group_keys] += group_sizes
        return TrigramIndex(present, offsets, postings, np.asarray(bonus, dtype=np.float64))


#: How many recent trigram sets' counts a `TrigramIndex` keeps (each an
#: array of 4 bytes per passage).
_MEMO_SIZE = 4


class _Memo:
    """The counts of the last few trigram sets (see `TrigramIndex._trigram_points`)."""

    __slots__ = ("lock", "points")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.points: dict[frozenset[tuple[int, int]], npt.NDArray[np.int32]] = {}


#: Reads ``postings[start:end]`` from where they are kept (a cache file).
PostingReader = Callable[[int, int], npt.NDArray[np.uint32]]


@dataclass(frozen=True, slots=True)
class TrigramIndex:
    """Posting lists in CSR form: ``keys`` sorted, ``postings[offsets[i]:offsets[i+1]]``
    the passages containing ``keys[i]``; ``bonus`` the scorer's per-passage bonus.

    ``read_postings``: the postings are not in memory (``postings`` is
    empty) but read a run at a time from a cache file."""

    keys: npt.NDArray[np.uint32]
    offsets: IntArray
    postings: npt.NDArray[np.uint32]
    bonus: npt.NDArray[np.float64]
    read_postings: PostingReader | None = None
    _memo: _Memo = field(default_factory=lambda: _Memo(), compare=False, repr=False)

    @property
    def size(self) -> int:
        return len(self.bonus)

    def arrays(self) -> Iterator[tuple[str, npt.NDArray[Any]]]:
        yield "keys", self.keys
        yield "offsets", self.offsets
        yield "postings", self.postings
        yield "bonus", self.bonus

    @classmethod
    def from_arrays(
        cls,
        arrays: dict[str, npt.NDArray[Any]],
        n: int,
        *,
        stored_postings: tuple[int, PostingReader] | None = None,
    ) -> TrigramIndex:
        """Check shapes and bounds (a cache file is not trusted); ValueError if bad.

        ``stored_postings``: (how many, what reads them) for postings left in
        a file, which the caller has checked are below ``n`` as it read them."""
        keys = arrays["keys"]
        offsets = arrays["offsets"]
        if stored_postings is None:
            postings = arrays["postings"]
            count = len(postings)
        else:
            postings = np.zeros(0, dtype=np.uint32)
            count = stored_postings[0]
        bonus = arrays["bonus"]
        if keys.dtype != np.uint32 or offsets.dtype != np.int64:
            raise ValueError("bad dtypes")
        if postings.dtype != np.uint32 or bonus.dtype != np.float64:
            raise ValueError("bad dtypes")
        if len(offsets) != len(keys) + 1 or len(bonus) != n:
            raise ValueError("bad lengths")
        if offsets[0] != 0 or offsets[-1] != count:
            raise ValueError("bad offsets")
        if len(keys) and (np.any(np.diff(offsets) <= 0) or np.any(np.diff(keys) <= 0)):
            raise ValueError("offsets or keys not increasing")
        if len(keys) and int(keys[-1]) >= _KEY_SPACE:
            raise ValueError("key out of range")
        if stored_postings is None and len(postings) and int(postings.max()) >= n:
            raise ValueError("posting out of range")
        if not np.all(np.isfinite(bonus)):
            raise ValueError("bad bonus")
        reader = None if stored_postings is None else stored_postings[1]
        return cls(keys, offsets, postings, bonus, reader)

    # -- queries ------------------------------------------------------------

    def _span(self, lo: int, hi: int) -> tuple[int, int]:
        """Where the postings of every key in [lo, hi) lie in the postings array."""
        a, b = np.searchsorted(self.keys, [lo, hi])
        return int(self.offsets[a]), int(self.offsets[b])

    def _read(self, start: int, end: int) -> npt.NDArray[np.uint32]:
        if self.read_postings is not None:
            return self.read_postings(start, end)
        return self.postings[start:end]

    def _run(self, lo: int, hi: int) -> npt.NDArray[np.uint32]:
        """Postings of every key in [lo, hi), concatenated."""
        return self._read(*self._span(lo, hi))

    def _count(self, spans: Sequence[tuple[int, int]]) -> IntArray:
        """Per passage, how many of these posting runs hold it."""
        parts = [self._read(a, b) for a, b in spans]
        if not parts:
            return np.zeros(self.size, dtype=np.int64)
        return np.bincount(np.concatenate(parts), minlength=self.size)

    def candidates(
        self,
        words: Sequence[str],
        limit: int,
        allowed: npt.NDArray[np.bool_] | None = None,
        *,
        prefix: bool = False,
        budget: int | None = None,
    ) -> list[int]:
        """Passages most likely to match a query of these (normalised) words.

        ``prefix``: the query is shorter than a trigram; match word and field
        starts.  ``budget`` bounds the postings read for a long query: its
        rarest trigrams are used first, and common ones only while the total
        stays under the budget.
        """
        n = self.size
        if n == 0 or not words or limit <= 0:
            return []
        if prefix:
            points = self._prefix_points(words[-1], limit, allowed)
        else:
            points = self._trigram_points(words, budget)
        if points is None and not prefix:
            # Words too short for a trigram ("😀 a", "i:a"): match the starts
            # of words instead, of every word of the query.
            found = [self._prefix_points(word, None, None) for word in dict.fromkeys(words)]
            points = None
            for more in found:
                if more is not None:
                    points = more if points is None else points + more
        if points is None:
            return []
        return self._best(points, limit, allowed)

    def _best(
        self, points: npt.NDArray[Any], limit: int, allowed: npt.NDArray[np.bool_] | None
    ) -> list[int]:
        """The ``limit`` passages of most points (at least one), ties broken
        as the scorer's (higher bonus first, then passage order).

        Points are small counts: their histogram gives the lowest count
        still taken, so only the passages at or above it are sorted (not all
        ``n``, as a partition of every passage's priority would)."""
        if allowed is not None:
            points = np.where(allowed, points, 0)
        hist = np.bincount(points)
        # at_least[t]: passages with t points or more.
        at_least = np.cumsum(hist[::-1])[::-1]
        enough = np.flatnonzero(at_least[1:] >= limit)
        floor = int(enough[-1]) + 1 if len(enough) else 1
        top = np.flatnonzero(points >= floor)
        # Ties break as the scorer's: higher bonus first (bonus is in [-1, 3]).
        priority = points[top] + (self.bonus[top] + 1.0) * 0.1
        if len(top) > limit:
            keep = np.argpartition(-priority, limit - 1)[:limit]
            top, priority = top[keep], priority[keep]
        order = np.lexsort((top, -priority))
        result: list[int] = top[order].tolist()
        return result

    def _prefix_points(
        self, word: str, limit: int | None, allowed: npt.NDArray[np.bool_] | None
    ) -> IntArray | None:
        """3 points for a field starting with ``word`` (its first two
        characters), 1 for a word starting with it.  With ``limit``: when at
        least that many passages have a field starting with it, the others
        cannot be among the best and the (long) word starts are not read."""
        sym = _symbols(word[:2])
        if len(sym) == 0:
            return None
        field_lo = (_FIELD_SYM << (2 * _BITS)) | (int(sym[0]) << _BITS)
        word_lo = (_SPACE_SYM << (2 * _BITS)) | (int(sym[0]) << _BITS)
        if len(sym) == 2:
            field_span = self._span(field_lo | int(sym[1]), (field_lo | int(sym[1])) + 1)
            word_span = self._span(word_lo | int(sym[1]), (word_lo | int(sym[1])) + 1)
        else:
            field_span = self._span(field_lo, field_lo + _NSYM)
            word_span = self._span(word_lo, word_lo + _NSYM)
        at_field = np.minimum(self._count([field_span]), 1)
        if limit is not None:
            starts = at_field if allowed is None else at_field & allowed
            if int(np.count_nonzero(starts)) >= limit:
                points: IntArray = 3 * at_field
                return points
        at_word = np.minimum(self._count([word_span]), 1)
        points = 2 * at_field + np.maximum(at_word, at_field)
        return points

    def _trigram_points(self, words: Sequence[str], budget: int | None) -> IntArray | None:
        """Per passage, how many of the query's trigrams it holds (its
        rarest ones, within ``budget`` postings).

        Typing adds a trigram or two to the last query's: the counts of the
        last few trigram sets are kept (a few arrays of ``n`` counts), and a
        new set is counted from the nearest one, reading only the trigrams
        added or dropped."""
        runs: list[tuple[int, tuple[int, int]]] = []
        for key in _query_keys(words):
            spans = [self._span(key, key + 1)]
            if key >> (2 * _BITS) == _SPACE_SYM:
                # A word start also matches at the start of a field.
                field_key = (_FIELD_SYM << (2 * _BITS)) | (key & ((1 << (2 * _BITS)) - 1))
                spans.append(self._span(field_key, field_key + 1))
            for span in spans:
                if span[1] > span[0]:
                    runs.append((span[1] - span[0], span))
        if not runs:
            return None
        runs.sort()
        chosen: set[tuple[int, int]] = set()
        total = 0
        for size, span in runs:
            if budget is not None and chosen and total + size > budget:
                break
            chosen.add(span)
            total += size
        wanted = frozenset(chosen)
        memo = self._memo
        with memo.lock:
            saved = list(memo.points.items())
        base: tuple[frozenset[tuple[int, int]], npt.NDArray[np.int32]] | None = None
        cost = total
        for kept, counted in saved:
            change = sum(b - a for a, b in kept ^ wanted)
            if change < cost:
                base, cost = (kept, counted), change
        if base is None:
            points = self._count(sorted(wanted)).astype(np.int32)
        else:
            points = base[1].copy()
            added = sorted(wanted - base[0])
            dropped = sorted(base[0] - wanted)
            if added:
                points += self._count(added).astype(np.int32)
            if dropped:
                points -= self._count(dropped).astype(np.int32)
        points.flags.writeable = False
        with memo.lock:
            memo.points.pop(wanted, None)
            memo.points[wanted] = points
            while len(memo.points) > _MEMO_SIZE:
                del memo.points[next(iter(memo.points))]
        return points.astype(np.int64)
