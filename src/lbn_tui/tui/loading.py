"""The loading screen: the first frame for a large pack, before its corpus.

A large pack (`cli.py` decides: more YAML than `LARGE_PACK_BYTES`) is not
loaded before the app starts: the app starts with a `Loader` and shows
`LoadingScreen`, whose first frame has the browser's welcome line; the
corpus (from the cache, or the YAML on a first start) and its passages are
read in a daemon thread (a reader who quits while it runs does not wait
for it).  The thread reports its phase, shown under a loading indicator;
when it is done, the app swaps in the browser (`LbnApp.loaded`).  If it
fails (the briefings have problems, or ``lbn-tui open`` named an entry that
does not exist), the app exits and `run_app` raises the error after the
terminal is restored, so the problems are printed as when loading first.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Label, LoadingIndicator

from lbn_tui.corpus import model
from lbn_tui.tui.widgets.breadcrumb import Breadcrumb
from lbn_tui.tui.widgets.footer import LeanFooter

if TYPE_CHECKING:
    from textual.app import App

#: Loads the corpus; calls its argument with each phase's description.
Loader = Callable[[Callable[[str], None]], model.Corpus]

#: The browser's welcome line (BrowserScreen shows the same on its first screen).
WELCOME = ("lbn-tui", "t contents", "/ search", "? help", "q quit")


class LoadingScreen(Screen[None]):
    """A breadcrumb, an indicator and the loader's phase, until the corpus is read."""

    DEFAULT_CSS = """
    LoadingScreen {
        layout: vertical;
    }
    LoadingScreen #loading-body {
        height: 1fr;
    }
    LoadingScreen LoadingIndicator {
        height: 1;
        width: 12;
    }
    LoadingScreen #loading-phase {
        color: $text-muted;
        width: auto;
    }
    """

    def __init__(
        self,
        loader: Loader,
        loaded: Callable[[model.Corpus], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        """``loaded`` and ``failed`` are called on the app's thread (the app
        decides what follows: the browser, or an exit with the problems)."""
        super().__init__()
        self._loader = loader
        self._loaded = loaded
        self._failed = failed
        self._owner: App[Any] | None = None

    def compose(self) -> ComposeResult:
        yield Breadcrumb(id="crumb")
        with Middle(id="loading-body"), Center():
            yield LoadingIndicator()
            with Center():
                yield Label("Loading the briefings…", id="loading-phase")
        yield LeanFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(Breadcrumb).show(*WELCOME)
        # The thread keeps the app: after a quit, the screen no longer knows it.
        self._owner = self.app
        # Started once the first frame is drawn: reading the corpus holds the
        # GIL for long stretches, and the first frame would wait on it.
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        thread = threading.Thread(target=self._load, name="lbn-tui-load", daemon=True)
        thread.start()

    def _load(self) -> None:
        app = self._owner
        assert app is not None
        try:
            corpus = self._loader(self._phase)
        except BaseException as exc:  # shown after the app exits
            self._tell(self._failed, exc)
            return
        self._tell(self._loaded, corpus)

    def _phase(self, text: str) -> None:
        self._tell(self._show_phase, text)

    def _tell(self, callback: Callable[[Any], None], value: object) -> None:
        """Call ``callback(value)`` on the app's thread, unless the app has quit."""
        app = self._owner
        if app is not None and app.is_running:
            with contextlib.suppress(RuntimeError):  # it quit just now
                app.call_from_thread(callback, value)

    def _show_phase(self, text: str) -> None:
        self.query_one("#loading-phase", Label).update(text)
