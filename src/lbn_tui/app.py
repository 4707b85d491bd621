"""The Textual app: `LbnApp` and `run_app`, the entry point cli.py calls."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath
from typing import ClassVar, cast

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.theme import Theme

from lbn_tui import input_limits, model
from lbn_tui.screens.browser import BrowserScreen, IndexHolder
from lbn_tui.screens.commands import EntryCommands
from lbn_tui.state import StarStore

_HERE = Path(__file__).parent

CALM = Theme(
    name="lbn-calm",
    primary="#7BA8A1",
    secondary="#C9AE7C",
    accent="#D9925B",
    foreground="#DAD6CC",
    background="#1C2124",
    surface="#232A2E",
    panel="#2C353A",
    success="#8DB77A",
    warning="#E0B65A",
    error="#D9705F",
    dark=True,
    variables={
        "footer-key-foreground": "#D9925B",
        "block-cursor-text-style": "bold",
    },
)

PAPER = Theme(
    name="lbn-paper",
    primary="#2F6F69",
    secondary="#7D6231",
    accent="#B0552A",
    foreground="#2A2925",
    background="#F5F2EA",
    surface="#ECE8DD",
    panel="#E2DDCF",
    success="#4E7A3A",
    warning="#8A6100",
    error="#A63A2B",
    dark=False,
)

DEFAULT_THEME = CALM.name
PALETTE_PLACEHOLDER = "Jump to an entry, or run a command…"


class LbnApp(App[int]):
    """Browse the APPG's briefings: tree, reader, search, quotes to take away."""

    TITLE = "lbn-tui"
    SUB_TITLE = "APPG for ‘left behind’ neighbourhoods"
    CSS_PATH: ClassVar[list[str | PurePath]] = [
        str(_HERE / "screens" / "browser.tcss"),
        str(_HERE / "widgets" / "navigator.tcss"),
        str(_HERE / "widgets" / "reader.tcss"),
        str(_HERE / "widgets" / "search_panel.tcss"),
    ]
    COMMANDS = App.COMMANDS | {EntryCommands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark,f1", "help", "Help", key_display="?", id="app.help"),
    ]

    def __init__(
        self,
        corpus: model.Corpus,
        *,
        open_ref: str | None = None,
        star_store: StarStore | None = None,
        served: bool = False,
        notices: Sequence[str] = (),
        theme: str | None = None,
    ) -> None:
        super().__init__()
        self.corpus = corpus
        self.open_ref = open_ref
        self.star_store = star_store
        self.served = served
        self.notices = tuple(notices)
        self.index = IndexHolder(corpus.passages)
        self.crash_report: str | None = None
        """The traceback of an internal error that stopped the app, if any."""
        self.register_theme(CALM)
        self.register_theme(PAPER)
        self._set_initial_theme(theme or DEFAULT_THEME)

    def _set_initial_theme(self, name: str) -> None:
        """What setting ``self.theme`` does, less its CSS refresh.

        Before the app runs there is no CSS to refresh, and the refresh that
        setting the theme schedules would re-parse every stylesheet and restyle
        every widget just before the first frame (~4 ms).  App.__init__ sets up
        its default theme the same way.
        """
        self.set_reactive(LbnApp.theme, self._validate_theme(name))
        dark = self.current_theme.dark
        classes = {c: False for c in self.classes if c.startswith("-theme-")}
        classes.update({f"-theme-{name}": True, "-dark-mode": dark, "-light-mode": not dark})
        self.update_classes(classes, update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        # The stylesheet was made with the default theme's variables.
        self.stylesheet.set_variables(self.get_css_variables())

    def get_default_screen(self) -> Screen[None]:
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

    def on_mount(self) -> None:
        for notice in self.notices:
            self.notify(notice, severity="warning", timeout=8, markup=False)

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
        self._exit_renderables.append(
            Text(f"lbn-tui stopped after an internal error; the details are in {where}.")
        )
        self._close_messages_no_wait()

    @staticmethod
    def _write_crash_report(report: str) -> str:
        import tempfile
        import time

        from lbn_tui.state import default_state_dir

        name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        for folder in (default_state_dir(), Path(tempfile.gettempdir())):
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
        from textual.command import CommandPalette

        app = cast("App[object]", self)  # is_open is typed for App[object]
        if self.use_command_palette and not CommandPalette.is_open(app):
            self.push_screen(
                CommandPalette(id="--command-palette", placeholder=PALETTE_PLACEHOLDER)
            )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        hidden = {"Screenshot", "Suspend"} if self.served else set()
        for command in super().get_system_commands(screen):
            if command.title not in hidden:
                yield command
        yield SystemCommand("Help", "List every key", self.action_help)
        yield SystemCommand("Search", "Search every passage", self._search)
        yield SystemCommand("Export starred", "Copy or save the starred passages", self._export)

    def action_suspend_process(self) -> None:
        if self.served:
            self.notify("Suspend is not available here", severity="warning")
            return
        super().action_suspend_process()

    # -- actions ------------------------------------------------------------

    @property
    def browser(self) -> BrowserScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, BrowserScreen):
                return screen
        return None

    async def open_target(self, target: str) -> None:
        browser = self.browser
        if browser is not None:
            await browser.open_target(target)
            browser.reader.focus()

    async def _search(self) -> None:
        if self.browser is not None:
            await self.browser.action_search()

    def _export(self) -> None:
        if self.browser is not None:
            self.browser.action_export()

    def action_help(self) -> None:
        from lbn_tui.screens.help import HelpScreen, binding_rows
        from lbn_tui.widgets.navigator import Navigator
        from lbn_tui.widgets.reader import Reader
        from lbn_tui.widgets.search_panel import SearchPanel

        if isinstance(self.screen, HelpScreen):
            return
        everywhere = binding_rows(
            [*self.BINDINGS, *BrowserScreen.BINDINGS],
            pairs=[("browser.back", "browser.forward", "[ ]", "Back / Forward")],
            skip=["browser.leave-hit"],
        )
        everywhere += [
            ("tab ⇧tab", "Next / previous pane"),
            ("ctrl+p", "Jump to an entry; themes"),
        ]
        reader = binding_rows(
            Reader.BINDINGS,
            pairs=[
                ("reader.next", "reader.previous", "j k ↓ ↑", "Next / previous"),
                ("reader.first", "reader.last", "g G", "First / last"),
            ],
        )
        reader.append(("esc", "Back from a search hit"))
        search = binding_rows(
            SearchPanel.BINDINGS,
            pairs=[
                ("search.filter", "search.filter-back", "tab ⇧tab", "Kind filter, next/prev"),
                ("search.down", "search.up", "↓ ↑", "Next / previous hit"),
                ("search.pagedown", "search.pageup", "pgdn pgup", "Page down / up"),
            ],
        )
        search.insert(1, ("enter", "Open the hit"))
        tree = [
            ("↑ ↓", "Move"),
            ("enter", "Open; expand a group"),
            *binding_rows(
                Navigator.BINDINGS,
                pairs=[("nav.expand", "nav.collapse", "l h → ←", "Expand / collapse")],
            ),
        ]
        columns = [
            [("Everywhere", everywhere)],
            [("Reader", reader), ("Search", search), ("Contents tree", tree)],
        ]
        self.push_screen(HelpScreen(columns))


class AppCrashed(Exception):
    """The app stopped after an internal error; the message is the traceback."""


def run_app(
    corpus: model.Corpus,
    *,
    open_ref: str | None = None,
    star_store: StarStore | None = None,
    served: bool = False,
    notices: Sequence[str] = (),
) -> int:
    """Run the browser until the reader quits; returns the exit code."""
    app = LbnApp(corpus, open_ref=open_ref, star_store=star_store, served=served, notices=notices)
    input_limits.install(app)
    result = app.run()
    if app.crash_report is not None and served:
        # Served: the reader saw one line; the server logs the traceback.
        raise AppCrashed(app.crash_report)
    return int(result or app.return_code or 0)
