"""The Textual app: `LbnApp` and `run_app`, the entry point cli.py calls."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar, cast

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from lbn_tui import collector, paths
from lbn_tui import settings as prefs
from lbn_tui.corpus import model
from lbn_tui.search.lazy import LazyIndex
from lbn_tui.state import StarStore
from lbn_tui.tui import clipboard, compat, input_limits, preferences
from lbn_tui.tui.browser.screen import BrowserScreen
from lbn_tui.tui.themes import CALM, DEFAULT_THEME, PAPER

if TYPE_CHECKING:
    from lbn_tui.tui.loading import Loader

_HERE = Path(__file__).parent

PALETTE_PLACEHOLDER = "Jump to an entry, or run a command…"
QUIT_KEYS = "q"


class LbnApp(App[int]):
    """Browse the APPG's briefings: tree, reader, search, quotes to take away."""

    TITLE = "lbn-tui"
    SUB_TITLE = "APPG for ‘left behind’ neighbourhoods"
    CSS_PATH: ClassVar[list[str | PurePath]] = [
        str(_HERE / "browser" / "browser.tcss"),
        str(_HERE / "widgets" / "navigator.tcss"),
        str(_HERE / "widgets" / "reader.tcss"),
        str(_HERE / "widgets" / "search_panel.tcss"),
    ]
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(QUIT_KEYS, "quit", "Quit", id="app.quit"),
        Binding("question_mark,f1", "help", "Help", key_display="?", id="app.help"),
    ]

    def __init__(
        self,
        corpus: model.Corpus | None,
        *,
        loader: Loader | None = None,
        open_ref: str | None = None,
        star_store: StarStore | None = None,
        served: bool = False,
        notices: Sequence[str] = (),
        theme: str | None = None,
        settings: prefs.Settings | None = None,
    ) -> None:
        super().__init__()
        # No corpus yet (a large pack): `loader` reads it in a thread behind
        # the loading screen, and `loaded` swaps the browser in.
        self._loader = loader if corpus is None else None
        self.corpus = corpus if corpus is not None else model.Corpus(())
        self.open_ref = open_ref
        self.star_store = star_store
        self.served = served
        self.notices = tuple(notices)
        self.index = LazyIndex(self.corpus.passages)
        self.load_error: BaseException | None = None
        """Why the loader failed (`run_app` raises it once the app has exited)."""
        self.crash_report: str | None = None
        """The traceback of an internal error that stopped the app, if any."""
        self.register_theme(CALM)
        self.register_theme(PAPER)
        # Settings (cli.py reads them; served readers get the defaults): a
        # theme or binding id the app does not know means the defaults and a notice.
        self.settings, problem = preferences.checked(
            settings or prefs.Settings(), self.available_themes, self.BINDINGS
        )
        self.notices += (problem,) if problem else ()
        self._settings_broken = problem is not None
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        if corpus is not None:
            self._reopen_last()
        self.tmux = clipboard.TmuxClipboard()
        self._set_initial_theme(theme or self.settings.theme or DEFAULT_THEME)

    def _set_initial_theme(self, name: str) -> None:
        """What setting ``self.theme`` does, less its CSS refresh.

        Before the app runs there is no CSS to refresh, and the refresh that
        setting the theme schedules would re-parse every stylesheet and restyle
        every widget just before the first frame (~4 ms).  App.__init__ sets up
        its default theme the same way.
        """
        compat.set_theme_before_run(self, name)

    def _reopen_last(self) -> None:
        if self.open_ref is None and self.settings.reopen_last and not self.served:
            self.open_ref = preferences.last_place(self.corpus)

    def get_default_screen(self) -> Screen[None]:
        if self._loader is not None:
            from lbn_tui.tui.loading import LoadingScreen

            return LoadingScreen(self._loader, self.loaded, self.load_failed)
        return self._browser()

    def _browser(self) -> BrowserScreen:
        # The browser is the default screen (not pushed over an empty one):
        # one screen to compose and style for the first frame.  Its CSS is
        # in CSS_PATH above, read with the app's: a screen's own CSS_PATH
        # would make Textual re-parse every stylesheet when it is shown.
        return BrowserScreen(
            self.corpus,
            self.star_store,
            self.index,
            open_ref=self.open_ref,
            served=self.served,
        )

    def loaded(self, corpus: model.Corpus) -> None:
        """The loader's corpus: the browser replaces the loading screen."""
        self._loader = None
        self.corpus = corpus
        self.index = LazyIndex(corpus.passages)
        self._reopen_last()
        # Pushed over the loading screen (switching away from the default
        # screen leaves Textual with none for a moment); it stays below, idle.
        loading = self.screen
        self.push_screen(self._browser())
        loading.query("#loading-body").remove()

    def load_failed(self, error: BaseException) -> None:
        """The loader failed: exit, and `run_app` raises ``error``."""
        self.load_error = error
        self.exit(1, return_code=1)

    def on_mount(self) -> None:
        # Paused by the command for start-up (lbn_tui.collector): resumed
        # once the first frame is on the screen.
        self.call_after_refresh(collector.resume)
        for notice in self.notices:
            self.notify(notice, severity="warning", timeout=8, markup=False)
        self.theme_changed_signal.subscribe(self, self._save_theme)

    # -- settings ------------------------------------------------------------

    def _save_theme(self, theme: object) -> None:
        """A theme chosen in the palette is kept in the settings file."""
        if self.served or self.theme == self.settings.theme:
            return
        if self._settings_broken:  # rewriting it would lose what the reader wrote
            self.notify(
                f"Theme not saved: {self.settings.path or prefs.config_path()} has a problem",
                severity="warning",
                markup=False,
            )
            return
        from dataclasses import replace

        settings = replace(self.settings, theme=self.theme)
        try:
            prefs.save(settings)
        except OSError as exc:
            self.notify(f"Could not save the theme: {exc.strerror or exc}", severity="error")
            return
        self.settings = settings

    async def action_quit(self) -> None:
        if self.settings.reopen_last and not self.served:
            place = preferences.current_place(self.screen_stack)
            if place is not None:
                import contextlib

                with contextlib.suppress(OSError):
                    prefs.write_last_place(place)
        await super().action_quit()

    def action_help_quit(self) -> None:
        """ctrl+c: Textual's notice names only ctrl+q; name our own key first."""
        keys = self.settings.keys.get("app.quit", QUIT_KEYS).split(",")
        shown = " or ".join(self.get_key_display(Binding(key, "")) for key in keys)
        self.notify(
            f"Press {shown} (or ctrl+q) to quit", title="Do you want to quit?", markup=False
        )

    # -- the clipboard -------------------------------------------------------

    def copy_to_clipboard(self, text: str) -> None:
        """Copy through OSC 52 (every copy comes here) and say when that cannot
        work: too long for a terminal (then shown to select in parts), or tmux
        not passing it on."""
        if not clipboard.fits_osc52(text):
            self.call_after_refresh(self._too_long_to_copy, text)
            return
        super().copy_to_clipboard(text)
        if self.served or not clipboard.inside_tmux():
            return
        if self.tmux.known:  # after the caller's own "Copied" notice
            self.call_after_refresh(self._tmux_notice)
        else:  # tmux is asked once, off the UI thread
            self.run_worker(self._ask_tmux, thread=True, group="tmux", exit_on_error=False)

    def _ask_tmux(self) -> None:
        self.tmux.blocks_copies()
        self.call_from_thread(self._tmux_notice)

    def _tmux_notice(self) -> None:
        if self.tmux.blocks_copies():  # asked already: returns at once
            self.notify(clipboard.TMUX_NOTICE, severity="warning", timeout=10, markup=False)

    def _too_long_to_copy(self, text: str) -> None:
        from lbn_tui.tui.dialogs.copy_text import CopyTextScreen

        self.clear_notifications()  # the caller's "Copied" notice
        size = clipboard.osc52_size(text)
        limit = clipboard.OSC52_MAX_BYTES
        if isinstance(self.screen, CopyTextScreen):  # a selection in it, still too long
            self.notify(
                f"Still too long ({size:,} bytes; at most {limit:,}): select less",
                severity="warning",
                markup=False,
            )
            return
        self.notify(
            f"Too long for the terminal's clipboard ({size:,} bytes; at most {limit:,}): "
            "select it here instead",
            severity="warning",
            timeout=6,
            markup=False,
        )
        self.push_screen(CopyTextScreen(text, size, limit))

    # -- safety --------------------------------------------------------------

    async def _on_resize(self, event: events.Resize) -> None:
        # Runs before App._on_resize: no size beyond the limits, whoever sent it.
        input_limits.clamp_resize(event)

    def _fatal_error(self) -> None:
        # Textual would print a traceback with local variables to the
        # terminal, which over SSH is a stranger's screen.  Show one line;
        # keep the traceback in a file (local) or for the server's log (served).
        import traceback

        from rich.text import Text

        self.crash_report = traceback.format_exc()
        where = "the server's log" if self.served else self._write_crash_report(self.crash_report)
        self.bell()
        compat.exit_with_message(
            self, Text(f"lbn-tui stopped after an internal error; the details are in {where}.")
        )

    @staticmethod
    def _write_crash_report(report: str) -> str:
        import tempfile
        import time

        name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        for folder in (paths.state_dir(), Path(tempfile.gettempdir())):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / name
                path.write_text(report, encoding="utf-8")
                return str(path)
            except OSError:
                continue
        return "no file (it could not be written)"

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Never launch a program: copy the URL and say so."""
        self.copy_to_clipboard(url)
        self.call_later(self.clear_notifications)
        self.notify(f"Link copied, not opened: {url}", timeout=3, markup=False)

    def action_command_palette(self) -> None:
        """The palette, with a placeholder that says it finds entries too."""
        from lbn_tui.tui.dialogs.palette import Palette

        app = cast("App[object]", self)  # is_open is typed for App[object]
        if self.use_command_palette and not Palette.is_open(app):
            self.push_screen(Palette(id="--command-palette", placeholder=PALETTE_PLACEHOLDER))

    def search_themes(self) -> None:
        """The palette's theme list, with the palette's footer."""
        from textual.theme import ThemeProvider

        from lbn_tui.tui.dialogs.palette import Palette

        self.push_screen(Palette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        hidden = {"Screenshot", "Suspend"} if self.served else set()
        for command in super().get_system_commands(screen):
            if command.title not in hidden:
                yield command
        yield SystemCommand("Help", "List every key", self.action_help)
        if isinstance(screen, BrowserScreen):
            yield SystemCommand("Search", "Search every passage", screen.action_search)
            yield SystemCommand(
                "Export starred", "Copy or save the starred passages", screen.action_export
            )

    def action_suspend_process(self) -> None:
        if self.served:
            self.notify("Suspend is not available here", severity="warning")
            return
        super().action_suspend_process()

    def get_key_display(self, binding: Binding) -> str:
        """Textual's key names, but ``⇧tab`` and ``ctrl+p`` (not ``^p``): the footer
        and the help screen both show keys this way."""
        if binding.key_display:
            return binding.key_display
        modifiers, key = binding.parse_key()
        if key == "tab" and modifiers == ["shift"]:
            return "⇧tab"
        if modifiers == ["ctrl"]:
            return f"ctrl+{key}"
        return super().get_key_display(binding)

    # -- actions ------------------------------------------------------------

    def action_help(self) -> None:
        from lbn_tui.tui.dialogs.help import HelpScreen, help_columns

        if isinstance(self.screen, HelpScreen):
            return
        everywhere = [*self.BINDINGS, *BrowserScreen.BINDINGS]
        columns = help_columns(everywhere, self.get_key_display, self.settings.keys)
        self.push_screen(HelpScreen(columns))


class AppCrashed(Exception):
    """The app stopped after an internal error; the message is the traceback."""


def run_app(
    corpus: model.Corpus | None,
    *,
    loader: Loader | None = None,
    open_ref: str | None = None,
    star_store: StarStore | None = None,
    served: bool = False,
    notices: Sequence[str] = (),
    settings: prefs.Settings | None = None,
) -> int:
    """Run the browser until the reader quits; returns the exit code.

    With no ``corpus``, ``loader`` reads it behind the loading screen; what
    it raises (`BriefingsError`, ...) is raised here once the app has exited.
    """
    app = LbnApp(
        corpus,
        loader=loader,
        open_ref=open_ref,
        star_store=star_store,
        served=served,
        notices=notices,
        settings=settings,
    )
    input_limits.install(app)
    result = app.run()
    if app.load_error is not None:
        raise app.load_error
    if app.crash_report is not None and served:
        # Served: the reader saw one line; the server logs the traceback.
        raise AppCrashed(app.crash_report)
    return int(result or app.return_code or 0)
