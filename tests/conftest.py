"""Shared fixtures: small and additive."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from lbn_tui.corpus.loader import load_corpus
from lbn_tui.corpus.model import Corpus
from lbn_tui.corpus.sources import bundled_briefings_dir

MINI_BRIEFINGS = Path(__file__).parent / "fixtures" / "mini-briefings"

# On CI, property tests replay the same examples every run (a landing must
# not depend on luck); on a developer's machine they explore new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _private_xdg_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the real ~/.local/state, ~/.cache, ~/.config or ~/.local/share."""
    for name in ("STATE", "CACHE", "CONFIG", "DATA"):
        folder = tmp_path_factory.mktemp(f"xdg-{name.lower()}")
        monkeypatch.setenv(f"XDG_{name}_HOME", str(folder))


@pytest.fixture(scope="session")
def mini_corpus() -> Corpus:
    """A tiny corpus (tests/fixtures/mini-briefings) with every kind of entry."""
    return load_corpus([MINI_BRIEFINGS])


@pytest.fixture(scope="session")
def bundled_corpus() -> Corpus:
    return load_corpus([bundled_briefings_dir()])
