"""The app's search index, built once, off the UI thread, when first needed.

Importing the search modules and indexing would slow the first frame, so
the browser starts `LazyIndex` when search is first opened (in a worker);
whichever thread asks first builds it, the others wait for it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lbn_tui.corpus.model import Passage

if TYPE_CHECKING:
    from lbn_tui.search.engine import SearchIndex


class LazyIndex:
    """A `SearchIndex` over these passages, built on first `get()`."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._passages = passages
        self._index: SearchIndex | None = None
        self._lock = threading.Lock()
        self._started = False

    @property
    def started(self) -> bool:
        """True once `start` has been called (the build may still be running)."""
        return self._started

    def start(self) -> bool:
        """Claim the build (True the first time only): the caller runs `get` in a worker."""
        with self._lock:
            first = not self._started
            self._started = True
            return first

    def get(self) -> SearchIndex:
        with self._lock:
            self._started = True
            if self._index is None:
                from lbn_tui.search.engine import SearchIndex

                # Large packs: the candidate index comes from the disk cache
                # when the content is unchanged (built and cached otherwise).
                index = SearchIndex.load_or_build(self._passages)
                if index.uses_candidate_index:
                    freeze_long_lived()
                self._index = index
            return self._index


def freeze_long_lived() -> None:
    """Move what exists now out of the garbage collector's generations.

    For the app (and the benchmark that stands for it): a large pack's
    passages and index live as long as the process, and full collections
    walking them stalled keystrokes by tens of milliseconds.  A process-wide
    change, so it is the app's decision, not the search engine's.
    """
    import gc

    gc.freeze()
