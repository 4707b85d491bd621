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
"""

from __future__ import annotations

import gc

_paused = False


def pause_for_start_up() -> None:
    """Stop the collector until `resume` (if it runs now)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Start the collector again, after freezing what exists (once; no-op unless paused)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def paused() -> bool:
    """Whether `pause_for_start_up` stopped the collector and it has not resumed."""
    return _paused
