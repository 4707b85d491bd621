"""The reader's settings, applied to the app: theme, keys, the last place.

`lbn_tui.settings` reads and writes the file and knows no Textual; this
module knows what the app offers (its themes and every binding id) and
where the browser is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from textual.binding import Binding, BindingType
from textual.screen import Screen

from lbn_tui import settings as prefs
from lbn_tui.corpus import model
from lbn_tui.corpus.outline import LIST_PREFIX, STARRED_KEY, list_entries
from lbn_tui.settings import Settings, SettingsError
from lbn_tui.tui.browser.screen import BrowserScreen


def screen_bindings() -> list[tuple[str, Sequence[BindingType]]]:
    """Every screen's and widget's bindings, by where they work (not the app's)."""
    from lbn_tui.tui.dialogs.copy_text import CopyTextScreen
    from lbn_tui.tui.dialogs.export import ExportScreen
    from lbn_tui.tui.dialogs.help import HelpScreen
    from lbn_tui.tui.dialogs.palette import Palette
    from lbn_tui.tui.widgets.navigator import Navigator
    from lbn_tui.tui.widgets.reader import Reader
    from lbn_tui.tui.widgets.search_panel import SearchPanel

    return [
        ("browser", BrowserScreen.BINDINGS),
        ("reader", Reader.BINDINGS),
        ("search", SearchPanel.BINDINGS),
        ("contents tree", Navigator.BINDINGS),
        ("help", HelpScreen.BINDINGS),
        ("export", ExportScreen.BINDINGS),
        ("copy", CopyTextScreen.BINDINGS),
        ("palette", Palette.BINDINGS),
    ]


def bindings_with_ids(bindings: Iterable[BindingType]) -> list[Binding]:
    return [b for b in bindings if isinstance(b, Binding) and b.id]


def all_bindings(app_bindings: Sequence[BindingType]) -> list[Binding]:
    """Every binding that has an id: the app's, then each screen's and widget's."""
    return bindings_with_ids([*app_bindings, *(b for _, group in screen_bindings() for b in group)])


def checked(
    settings: Settings, themes: Collection[str], app_bindings: Sequence[BindingType]
) -> tuple[Settings, str | None]:
    """``settings`` if the app knows their theme and binding ids; else the
    defaults and the one-line problem."""
    try:
        ids = None
        if settings.keys:  # the table, not the widget modules (start-up time)
            from lbn_tui.tui.binding_ids import BINDING_IDS

            ids = BINDING_IDS
        prefs.check(settings, themes=themes, binding_ids=ids)
    except SettingsError as exc:
        return Settings(path=settings.path), f"{exc} (using the default settings)"
    return settings, None


def theme_names() -> list[str]:
    """The themes the app offers (Textual's and its own), without an app."""
    from textual.theme import BUILTIN_THEMES

    from lbn_tui.tui.themes import CALM, PAPER

    return sorted({*BUILTIN_THEMES, CALM.name, PAPER.name})


def config_text(
    settings: Settings, app_bindings: Sequence[BindingType], *, served: bool = False
) -> str:
    """The settings in effect, as a settings file: every binding id is listed,
    those not changed as comments with their default keys.  Raises
    `SettingsError` for a theme or a binding id the app does not know."""
    from lbn_tui.tui.themes import DEFAULT_THEME

    bindings = all_bindings(app_bindings)
    prefs.check(settings, themes=theme_names(), binding_ids={b.id or "" for b in bindings})
    where = settings.path or prefs.config_path()
    if served:
        head = f"served (LBN_TUI_SERVED=1): {where} is not read; these are the defaults"
    elif settings.path is None:
        head = f"{where} (no such file: these are the defaults)"
    else:
        head = str(where)
    lines = [
        f"# {head}",
        f"theme = {_quoted(settings.theme or DEFAULT_THEME)}",
        f"reopen_last = {'true' if settings.reopen_last else 'false'}",
        "",
        "[keys]",
        "# binding id = key or [keys]; the defaults are shown commented out",
    ]
    for binding in bindings:
        binding_id = binding.id or ""
        changed = settings.keys.get(binding_id)
        keys = (changed or binding.key).split(",")
        value = _quoted(keys[0].strip()) if len(keys) == 1 else _keys_list(keys)
        prefix = "" if changed else "# "
        lines.append(f"{prefix}{_quoted(binding_id)} = {value}  # {binding.description}")
    return "\n".join(lines) + "\n"


def _quoted(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _keys_list(keys: Sequence[str]) -> str:
    return "[" + ", ".join(_quoted(k.strip()) for k in keys) + "]"


def resolves(corpus: model.Corpus, place: str) -> bool:
    """Whether the browser can open ``place`` (an id, ``ID#N`` or a list key)."""
    if place.startswith(LIST_PREFIX):
        return place == STARRED_KEY or bool(list_entries(corpus, place))
    return model.resolve_ref(corpus, place) is not None


def last_place(corpus: model.Corpus) -> str | None:
    """The place saved when the app last quit, if it still resolves."""
    place = prefs.read_last_place()
    return place if place is not None and resolves(corpus, place) else None


def current_place(screens: Iterable[Screen[object]]) -> str | None:
    """Where the browser is: its entry (``ID#N`` when the cursor is past the
    entry's first passage) or list key; None without a browser."""
    for screen in screens:
        if not isinstance(screen, BrowserScreen):
            continue
        current = screen.history.current
        if current is None:
            return None
        if current.is_list:
            return current.key
        entry = screen.corpus.get(current.key)
        passage = screen.reader.current_passage if screen.reader.is_attached else None
        if entry is None or passage is None or passage.entry_id != entry.id or not passage.index:
            return current.key
        return model.passage_ref(passage, entry)
    return None
