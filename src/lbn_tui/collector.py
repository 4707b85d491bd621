"""Python's cyclic garbage collector, paused while `lbn-tui` starts.

While Textual and the app are imported and the first screen is built, the
collector runs about a hundred times and frees almost nothing: what is made
then (modules, classes, styles, the corpus) lives as long as the process.
The command pauses it at launch (`pause_for_start_up`, called by
`lbn_tui.__main__` before anything else is imported); the app resumes it
once its first frame is on the screen, every other command as soon as its
arguments are parsed.  Resuming first makes what exists permanent for the
collector (`gc.freeze`), so later collections skip it.

Only the command pauses: importing lbn-tui as a library (or in the tests)
leaves the collector alone, and `resume` then does nothing.

`off()` keeps it off around allocation-heavy work that makes no cycles
(reading a pack, writing its store): the corpus is read in a thread while
the app's first frame resumes the collector, so the two share one count
under a lock, and the collector runs again only when neither holds it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = False
"""Paused by `pause_for_start_up`, not resumed yet."""
_holds = 0
"""How many `off` stretches are under way (in any thread)."""
_runs = True
"""Whether the collector runs when neither the pause nor a stretch holds it:
as it was when the pause or the outermost stretch began."""


def _apply() -> None:
    if _runs and not _paused and _holds == 0:
        gc.enable()
    else:
        gc.disable()


def pause_for_start_up() -> None:
    """Stop the collector until `resume` (if it runs now)."""
    global _paused, _runs
    with _lock:
        if gc.isenabled():
            _runs = True
            _paused = True
            _apply()


def resume() -> None:
    """Start the collector again, after freezing what exists (once; no-op
    unless paused; if an `off` stretch is under way, at its end)."""
    global _paused
    with _lock:
        if _paused:
            _paused = False
            gc.freeze()
            _apply()


@contextmanager
def off() -> Iterator[None]:
    """The collector off for this stretch; afterwards as it was before."""
    global _holds, _runs
    with _lock:
        if _holds == 0 and not _paused:
            _runs = gc.isenabled()
        _holds += 1
        _apply()
    try:
        yield
    finally:
        with _lock:
            _holds -= 1
            _apply()


def paused() -> bool:
    """Whether `pause_for_start_up` stopped the collector and it has not resumed."""
    return _paused
