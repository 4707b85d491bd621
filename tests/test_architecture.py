"""The structure's promises, checked by running it.

- The first frame and the light commands load none of the heavy modules
  that the function-level imports keep off the start-up path.
- Every private Textual name in `lbn_tui.tui.compat` still exists.
- Every entry kind has its schema, label, search badge and filter, and
  renders in the reader, as plain text, as JSON and as an attribution.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lbn_tui.corpus import model

HEAVY = ("yaml", "rapidfuzz", "numpy", "asyncssh", "lbn_tui.corpus.loader")


def _loaded(program: str, env: dict[str, str]) -> list[str]:
    wrapped = (
        program
        + "\nimport sys\n"
        + f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapped], env=env, capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("LOADED "))
    loaded: list[str] = json.loads(line.removeprefix("LOADED ").replace("'", '"'))
    return loaded


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("LBN_TUI_BRIEFINGS", None)
    return env


FIRST_FRAME = """
import asyncio
from lbn_tui import folders
from lbn_tui.corpus import cache
corpus = cache.load_corpus(folders.briefing_folders(None, False))
from lbn_tui.tui.app import LbnApp

async def first_frame() -> None:
    app = LbnApp(corpus)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#reader") is not None

asyncio.run(first_frame())
"""


def test_the_first_frame_on_a_warm_cache_loads_no_heavy_module(env: dict[str, str]) -> None:
    cold = _loaded(FIRST_FRAME, env)
    assert "yaml" in cold  # the first start reads the YAML (and fills the cache)
    assert _loaded(FIRST_FRAME, env) == []


def test_version_and_list_load_no_search_textual_or_ssh(env: dict[str, str]) -> None:
    program = (
        "import contextlib, io, sys\n"
        "from lbn_tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(sys.argv[1:] or ['--version'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('TEXTUAL', 'textual' in sys.modules)\n"
    )
    assert _loaded(program, env) == []
    listing = program.replace("sys.argv[1:] or ['--version']", "['list']")
    out = subprocess.run(
        [sys.executable, "-c", listing + "\nprint(sorted(sys.modules))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "TEXTUAL False" in out
    for module in ("'rapidfuzz'", "'numpy'", "'asyncssh'"):
        assert module not in out


def test_every_private_textual_name_used_still_exists() -> None:
    import importlib

    from textual.app import App
    from textual.message_pump import MessagePump
    from textual.widgets import Footer

    from lbn_tui.tui import compat

    classes = {"App": App, "Footer": Footer, "MessagePump": MessagePump}
    for owner, names in compat.PRIVATE_NAMES.items():
        for name in names:
            cls = classes[owner]
            assert hasattr(cls, name) or name in _instance_attributes(cls), (owner, name)
    for module_name, names in compat.PRIVATE_MODULE_NAMES.items():
        module = importlib.import_module(module_name)
        for name in names:
            assert hasattr(module, name), (module_name, name)


def test_every_name_imported_from_a_private_textual_module_still_exists() -> None:
    import importlib

    from lbn_tui.tui import compat

    for module, names in compat.PRIVATE_MODULE_NAMES.items():
        for name in names:
            assert hasattr(importlib.import_module(module), name), (module, name)


def _instance_attributes(cls: type) -> set[str]:
    """Attributes set on ``self`` in the class's ``__init__`` chain (read from the source)."""
    import inspect

    found: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            source = inspect.getsource(init)
        except (OSError, TypeError):
            continue
        found.update(
            part.split("=")[0].split(":")[0].strip().removeprefix("self.")
            for part in source.splitlines()
            if part.strip().startswith("self._")
        )
    return found


async def test_setting_the_theme_before_the_run_takes_effect(mini_corpus: model.Corpus) -> None:
    from lbn_tui.tui.app import LbnApp

    app = LbnApp(mini_corpus, theme="lbn-paper")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "lbn-paper"
        assert app.has_class("-light-mode") and not app.has_class("-dark-mode")


# -- one entry kind, every place that must know it ---------------------------


@pytest.mark.parametrize("kind", model.KINDS)
def test_every_kind_is_known_everywhere(kind: str, mini_corpus: model.Corpus) -> None:
    from lbn_tui import cli, render
    from lbn_tui.corpus import loader
    from lbn_tui.search.filters import FILTERS
    from lbn_tui.tui.browser.history import Place
    from lbn_tui.tui.browser.views import entry_view
    from lbn_tui.tui.widgets.search_panel import BADGES

    cls = model.ENTRY_CLASSES[kind]
    # The class is the kind's home: label, badge, the keys of its schema
    # (each filling one of its fields), a derived title where none is given.
    assert cls.LABEL and cls.BADGE and cls.FIELDS
    names = set(cls.__struct_fields__)
    assert {spec.name for spec in cls.FIELDS} <= names
    title_required = any(spec.name == "title" and spec.required for spec in cls.FIELDS)
    assert title_required or "derive_title" in cls.__dict__, f"{kind}: no title, none derived"
    assert kind in model.KIND_LABELS
    assert kind in loader._SCHEMA
    assert kind in BADGES
    assert any(f.kinds is not None and kind in f.kinds for f in FILTERS)
    entries = mini_corpus.of_kind(kind)
    assert entries, f"tests/fixtures/mini-briefings has no {kind}"
    entry = entries[0]
    view = entry_view(mini_corpus, entry, Place(entry.id), lambda _: False)
    assert any(entry.title in block.content.plain for block in view.blocks)
    assert entry.title in render.entry_plain_text(mini_corpus, entry)
    assert cli._entry_json(mini_corpus, entry)["kind"] == kind
    copied = render.attributed_text(mini_corpus, entry.passages()[0])
    assert copied.strip() and f"[{entry.id}" in copied
