"""Settings: the file (located problems, atomic writes), and the app applying
them: theme, keys, the theme saved from the palette, reopening the last place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lbn_tui import cli, settings
from lbn_tui.corpus.model import Corpus
from lbn_tui.settings import Settings, SettingsError
from lbn_tui.state import StarStore
from lbn_tui.tui.app import LbnApp
from lbn_tui.tui.browser.screen import BrowserScreen


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("LBN_TUI_SERVED", raising=False)
    path = tmp_path / "config" / "lbn-tui" / "config.toml"
    assert settings.config_path() == path
    return path


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def error_of(path: Path, text: str) -> str:
    write(path, text)
    with pytest.raises(SettingsError) as info:
        settings.load()
    message = str(info.value)
    assert "\n" not in message
    return message


# -- the file ----------------------------------------------------------------------


def test_no_file_means_the_defaults(config: Path) -> None:
    assert not config.exists()
    loaded = settings.load()
    assert loaded == Settings()
    assert loaded.path is None


def test_reading_every_key(config: Path) -> None:
    write(
        config,
        '# mine\ntheme = "lbn-paper"\nreopen_last = true\n\n[keys]\n'
        '"browser.search" = "ctrl+f"\n"app.quit" = ["q", "ctrl+d"]\n"app.help" = "?"\n',
    )
    loaded = settings.load()
    assert loaded.theme == "lbn-paper"
    assert loaded.reopen_last is True
    assert dict(loaded.keys) == {
        "browser.search": "ctrl+f",
        "app.quit": "q,ctrl+d",
        "app.help": "?",
    }
    assert loaded.path == config


def test_a_toml_syntax_error_keeps_tomllib_line_and_column(config: Path) -> None:
    message = error_of(config, 'reopen_last = true\ntheme = "lbn-paper\n')
    assert message.startswith(f"{config}:2:")
    assert message.split(":")[2].isdigit()  # path:line:column: message


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('theme = "lbn-paper"\ncolour = "red"\n', 2, "unknown setting 'colour'"),
        ('\n\nreopen_last = "yes"\n', 3, "reopen_last must be true or false"),
        ("theme = 3\n", 1, "theme must be a theme name"),
        ('theme = ""\n', 1, "theme must be a theme name"),
        ('keys = "x"\n', 1, "keys must be a table"),
        ('[keys]\n"app.quit" = 3\n', 2, "keys.app.quit must be a key name"),
        ('[keys]\n"app.quit" = []\n', 2, "keys.app.quit must be a key name"),
        ('[keys]\n"app.quit" = "ctrl f"\n', 2, "keys.app.quit must be a key name"),
        ('[keys]\napp.quit = "x"\n', 2, 'quote the binding id: "app.…"'),
        ("[colours]\nx = 1\n", 1, "unknown setting 'colours'"),
    ],
)
def test_a_wrong_key_or_value_is_located(config: Path, text: str, line: int, words: str) -> None:
    message = error_of(config, text)
    assert message.startswith(f"{config}:{line}: ")
    assert words in message


def test_unknown_themes_and_binding_ids_are_located(config: Path) -> None:
    write(config, 'theme = "neon"\n[keys]\n"browser.search" = "x"\n"browser.serch" = "y"\n')
    loaded = settings.load()
    with pytest.raises(SettingsError, match=r":1: unknown theme 'neon' \(choose from a, b\)"):
        settings.check(loaded, themes=["b", "a"])
    with pytest.raises(SettingsError, match=r":4: no key binding has the id 'browser.serch'"):
        settings.check(loaded, binding_ids={"browser.search"})


def test_not_utf8_and_not_a_file(config: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_bytes(b'theme = "lbn-paper"\ntheme2 = "\xff"\n')
    with pytest.raises(SettingsError, match=r":2: not UTF-8 text"):
        settings.load()
    config.unlink()
    config.mkdir()
    with pytest.raises(SettingsError, match=r":1: cannot read the settings: .* is a folder"):
        settings.load()


def test_saving_writes_atomically_what_reads_back(config: Path) -> None:
    original = Settings(theme="lbn-paper", keys={"app.quit": "q,ctrl+d"}, reopen_last=True)
    settings.save(original)
    assert settings.load() == original
    assert [p.name for p in config.parent.iterdir()] == ["config.toml"]  # no temporary left
    assert settings.parse(settings.dump(Settings()), config) == Settings()


def test_loading_without_a_file_imports_no_toml_parser(tmp_path: Path) -> None:
    program = (
        "import sys\nfrom lbn_tui import settings\nsettings.load()\n"
        "print('tomllib' in sys.modules)\n"
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_the_binding_id_table_lists_every_binding_id() -> None:
    from lbn_tui.tui import preferences
    from lbn_tui.tui.binding_ids import BINDING_IDS

    found = {b.id for b in preferences.all_bindings(LbnApp.BINDINGS)}
    assert found == BINDING_IDS


def test_a_keymap_is_checked_without_importing_the_dialogs(tmp_path: Path) -> None:
    folder = tmp_path / "lbn-tui"
    folder.mkdir()
    (folder / "config.toml").write_text('[keys]\n"search.close" = "f2"\n"app.quit" = "x"\n')
    program = (
        "import sys\n"
        "from lbn_tui import settings\n"
        "from lbn_tui.tui import preferences\n"
        "from lbn_tui.tui.app import LbnApp\n"
        "checked, problem = preferences.checked(settings.load(), ['lbn-calm'], LbnApp.BINDINGS)\n"
        "print(problem, dict(checked.keys))\n"
        "print(sorted(m for m in sys.modules if m.startswith('lbn_tui.tui.dialogs')))\n"
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )
    checked_line, dialogs = out.stdout.splitlines()
    assert checked_line == "None {'search.close': 'f2', 'app.quit': 'x'}"
    assert dialogs == "[]"


def test_the_last_place(config: Path, tmp_path: Path) -> None:
    assert settings.read_last_place() is None
    settings.write_last_place("inquiry-one#2")
    assert settings.read_last_place() == "inquiry-one#2"
    where = tmp_path / "state" / "lbn-tui" / "last-place.json"
    assert json.loads(where.read_text()) == {"place": "inquiry-one#2"}
    for junk in ("{", "[]", '{"place": 3}', '{"place": "a\\u001b[2J"}'):
        where.write_text(junk)
        assert settings.read_last_place() is None


def test_the_command_line_gives_the_app_defaults_and_a_notice(config: Path) -> None:
    write(config, "colour = 1\n")
    given, notices = cli._app_settings(served=False)
    assert given == Settings()
    assert len(notices) == 1 and notices[0].startswith(f"{config}:1: unknown setting")
    write(config, 'theme = "lbn-paper"\n')
    assert cli._app_settings(served=True) == (Settings(), ())  # served: nothing is read
    assert cli._app_settings(served=False)[0].theme == "lbn-paper"


# -- the app -----------------------------------------------------------------------


def make_app(corpus: Corpus, tmp_path: Path, **kw: object) -> LbnApp:
    store = StarStore(tmp_path / "stars.json")
    store.load()
    return LbnApp(corpus, star_store=store, **kw)  # type: ignore[arg-type]


async def settle(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def browser(app: LbnApp) -> BrowserScreen:
    assert isinstance(app.screen, BrowserScreen), app.screen
    return app.screen


def messages(app: LbnApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_the_theme_and_keys_apply(mini_corpus: Corpus, tmp_path: Path, config: Path) -> None:
    write(config, 'theme = "lbn-paper"\n[keys]\n"browser.search" = "ctrl+f"\n')
    app = make_app(mini_corpus, tmp_path, settings=settings.load())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "lbn-paper"
        await pilot.press("slash")
        await settle(pilot)
        assert not browser(app).has_class("-searching")
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert browser(app).has_class("-searching")


async def test_a_bad_setting_means_the_defaults_and_a_notice(
    mini_corpus: Corpus, tmp_path: Path, config: Path
) -> None:
    write(config, 'theme = "lbn-paper"\n[keys]\n"browser.serch" = "ctrl+f"\n')
    app = make_app(mini_corpus, tmp_path, settings=settings.load())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "lbn-calm"
        assert any(
            m.startswith(f"{config}:3: no key binding has the id 'browser.serch'")
            for m in messages(app)
        )
        app.theme = "lbn-paper"  # what the palette's theme list does
        await settle(pilot)
        assert "browser.serch" in config.read_text()  # the reader's file is left alone
        assert any("Theme not saved" in m for m in messages(app))


async def test_choosing_a_theme_saves_it_and_keeps_the_rest(
    mini_corpus: Corpus, tmp_path: Path, config: Path
) -> None:
    write(config, 'reopen_last = true\n[keys]\n"app.quit" = ["q", "ctrl+d"]\n')
    app = make_app(mini_corpus, tmp_path, settings=settings.load())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.action_change_theme()
        await settle(pilot)
        await pilot.press(*"lbn-paper")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "lbn-paper"
    saved = settings.load()
    assert saved.theme == "lbn-paper"
    assert saved.reopen_last is True
    assert dict(saved.keys) == {"app.quit": "q,ctrl+d"}


async def test_served_saves_nothing(mini_corpus: Corpus, tmp_path: Path, config: Path) -> None:
    app = make_app(mini_corpus, tmp_path, served=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.theme = "lbn-paper"
        await settle(pilot)
        await pilot.press("q")
    assert not config.exists()
    assert settings.read_last_place() is None


async def test_reopen_last_returns_to_the_passage(
    mini_corpus: Corpus, tmp_path: Path, config: Path
) -> None:
    write(config, "reopen_last = true\n")
    app = make_app(mini_corpus, tmp_path, settings=settings.load(), open_ref="inquiry-one#2")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        passage = browser(app).reader.current_passage
        assert passage is not None and passage.index == 1
        await pilot.press("q")
    assert settings.read_last_place() == "inquiry-one#2"

    again = make_app(mini_corpus, tmp_path, settings=settings.load())
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        passage = browser(again).reader.current_passage
        assert passage is not None
        assert (passage.entry_id, passage.index) == ("inquiry-one", 1)
        await pilot.press("down")  # onto the quote the entry embeds: the entry is the place
        await settle(pilot)
        passage = browser(again).reader.current_passage
        assert passage is not None and passage.entry_id == "quote-burt"
        await pilot.press("q")
    assert settings.read_last_place() == "inquiry-one"


async def test_reopen_last_a_list_and_not_what_no_longer_resolves(
    mini_corpus: Corpus, tmp_path: Path, config: Path
) -> None:
    write(config, "reopen_last = true\n")
    settings.write_last_place("list:figures")
    app = make_app(mini_corpus, tmp_path, settings=settings.load())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        current = browser(app).history.current
        assert current is not None and current.key == "list:figures"
    for gone in ("no-such-entry", "inquiry-one#99", "list:nothing"):
        settings.write_last_place(gone)
        app = make_app(mini_corpus, tmp_path, settings=settings.load())
        assert app.open_ref is None
    settings.write_last_place("quote-burt")  # an explicit `lbn-tui open` wins
    app = make_app(mini_corpus, tmp_path, settings=settings.load(), open_ref="vision")
    assert app.open_ref == "vision"


async def test_without_reopen_last_nothing_is_kept(
    mini_corpus: Corpus, tmp_path: Path, config: Path
) -> None:
    app = make_app(mini_corpus, tmp_path, settings=settings.load(), open_ref="vision")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
    assert settings.read_last_place() is None


async def test_ctrl_c_names_the_reader_s_own_quit_key(
    mini_corpus: Corpus, tmp_path: Path, config: Path
) -> None:
    write(config, '[keys]\n"app.quit" = "x"\n')
    app = make_app(mini_corpus, tmp_path, settings=settings.load())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert "Press x (or ctrl+q) to quit" in messages(app)


async def test_help_shows_the_reader_s_keys(
    mini_corpus: Corpus, tmp_path: Path, config: Path
) -> None:
    from lbn_tui.tui.dialogs.help import HelpScreen

    write(config, '[keys]\n"browser.search" = "ctrl+f"\n"reader.next" = ["n", "down"]\n')
    app = make_app(mini_corpus, tmp_path, settings=settings.load())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = {desc: keys for _, group in app.screen.groups for keys, desc in group}
        assert rows["Search"] == "ctrl+f"
        assert rows["Next / previous"].startswith("n ")
