"""The installed `lbn-tui` under the terminals readers really have: 16 and 256
colours, screen/tmux, NO_COLOR, a C locale, and a 60x20 window; a dumb
terminal gets a one-line refusal instead of a broken screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_e2e_tmux import Terminal

CASES = {
    "xterm-16-colours": {"TERM": "xterm"},
    "xterm-256color": {"TERM": "xterm-256color"},
    "screen": {"TERM": "screen"},
    "no-color": {"TERM": "xterm-256color", "NO_COLOR": "1"},
    "c-locale": {"TERM": "xterm-256color", "LANG": "C", "LC_ALL": "C"},
}


def start(tmp_path: Path, env: dict[str, str], size: tuple[int, int], name: str) -> Terminal:
    return Terminal.start(f"lbn-e2e-term-{name}", tmp_path, tmp_path, size, env)


@pytest.fixture
def cleanup() -> Iterator[list[Terminal]]:
    terms: list[Terminal] = []
    yield terms
    for term in terms:
        term.tmux("kill-server")


@pytest.mark.parametrize("name", list(CASES))
def test_browser_works_at_60x20_in_each_terminal(
    tmp_path: Path, name: str, cleanup: list[Terminal]
) -> None:
    term = start(tmp_path, CASES[name], (60, 20), name)
    cleanup.append(term)
    term.wait_for("Briefing pack")
    screen = term.wait_for("t Contents")  # the whole footer fits in 60 columns
    assert screen.splitlines()[-1].startswith("? Help q Quit / Search")
    term.keys("/")
    term.type("socal prescribing")
    term.wait_for("/ socal prescribing")  # the whole query has arrived
    results = term.wait_for("Jim Burt")
    assert "social prescribing" in results.lower()
    term.keys("Escape")
    term.wait_for("Briefing pack")  # back in the reader (ESC then q at once would be alt+q)
    term.keys("q")
    after = term.wait_for("lbn-tui exited 0")
    assert term.tmux("display-message", "-p", "-t", "reader", "#{alternate_on}").strip() == "0"
    assert "Jim Burt" not in after


def test_dumb_terminal_gets_one_line_not_a_broken_screen(
    tmp_path: Path, cleanup: list[Terminal]
) -> None:
    term = start(tmp_path, {"TERM": "dumb"}, (80, 24), "dumb")
    cleanup.append(term)
    screen = term.wait_for("lbn-tui exited 1")
    message, _, rest = screen.partition("lbn-tui exited 1")
    # One line (the terminal wraps it at 80 columns), and nothing else.
    assert " ".join(message.split()).startswith("lbn-tui: this terminal (TERM=dumb)")
    assert "\x1b" not in screen and not rest.strip()
