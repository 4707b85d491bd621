"""Shared fixtures: small and additive."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from lbn_tui.loader import bundled_briefings_dir, load_corpus
from lbn_tui.model import Corpus

MINI_BRIEFINGS = Path(__file__).parent / "fixtures" / "mini-briefings"

# On CI, property tests replay the same examples every run (a landing must
# not depend on luck); on a developer's machine they explore new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _private_state_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test writes to the real ~/.local/state."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))


@pytest.fixture(scope="session")
def mini_corpus() -> Corpus:
    """A tiny corpus (tests/fixtures/mini-briefings) with every kind of entry."""
    return load_corpus([MINI_BRIEFINGS])


@pytest.fixture(scope="session")
def bundled_corpus() -> Corpus:
    return load_corpus([bundled_briefings_dir()])
