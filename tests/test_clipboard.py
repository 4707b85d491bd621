"""Copying: OSC 52's size limit (the text shown to select instead) and tmux's set-clipboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import TextArea

from lbn_tui.corpus.model import Corpus
from lbn_tui.state import StarStore
from lbn_tui.tui import clipboard
from lbn_tui.tui.app import LbnApp
from lbn_tui.tui.browser.screen import BrowserScreen
from lbn_tui.tui.dialogs.copy_text import CopyTextScreen

BIG = "All work and no play makes Jack a dull boy.\n" * 2_000  # 88,000 bytes


def make_app(corpus: Corpus, tmp_path: Path, **kw: object) -> LbnApp:
    store = StarStore(tmp_path / "stars.json")
    store.load()
    return LbnApp(corpus, star_store=store, **kw)  # type: ignore[arg-type]


async def settle(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def messages(app: LbnApp) -> list[str]:
    return [n.message for n in app._notifications]


class FakeTmux:
    """What tmux says set-clipboard is, and each time it was asked."""

    def __init__(self) -> None:
        self.answer: str | None = "external"
        self.asked: list[str | None] = []

    def ask(self, timeout: float = clipboard.TMUX_TIMEOUT) -> str | None:
        self.asked.append(self.answer)
        return self.answer


@pytest.fixture
def tmux(monkeypatch: pytest.MonkeyPatch) -> FakeTmux:
    """Inside tmux, with its answer faked."""
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    fake = FakeTmux()
    monkeypatch.setattr(clipboard, "ask_tmux_set_clipboard", fake.ask)
    return fake


def test_the_limit_counts_utf8_bytes() -> None:
    assert clipboard.fits_osc52("x" * clipboard.OSC52_MAX_BYTES)
    assert not clipboard.fits_osc52("x" * (clipboard.OSC52_MAX_BYTES + 1))
    assert not clipboard.fits_osc52("’" * (clipboard.OSC52_MAX_BYTES // 3 + 1))  # 3 bytes each
    # The whole sequence stays within 100,000 bytes: ESC ] 52 ; c ; <base64> BEL.
    import base64

    payload = base64.b64encode(b"x" * clipboard.OSC52_MAX_BYTES)
    assert len(b"\x1b]52;c;" + payload + b"\x07") == 100_000


def test_tmux_is_asked_with_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    seen: dict[str, object] = {}

    def run(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        seen.update(kw, args=args)
        raise subprocess.TimeoutExpired(args, 1.0)

    monkeypatch.setattr(subprocess, "run", run)
    assert clipboard.ask_tmux_set_clipboard() is None
    assert seen["args"] == ["tmux", "show-options", "-gv", "set-clipboard"]
    assert seen["timeout"] == clipboard.TMUX_TIMEOUT


async def test_a_copy_within_the_limit_goes_to_the_terminal(
    mini_corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert "Social prescribing" in app.clipboard
        assert isinstance(app.screen, BrowserScreen)
        assert not any("tmux" in m for m in messages(app))


async def test_too_long_a_copy_is_shown_to_select(mini_corpus: Corpus, tmp_path: Path) -> None:
    app = make_app(mini_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.copy_to_clipboard(BIG)
        await settle(pilot)
        assert app.clipboard != BIG  # nothing was sent
        assert isinstance(app.screen, CopyTextScreen)
        area = app.screen.query_one(TextArea)
        assert area.text == BIG and area.read_only and app.focused is area
        assert any("88,000 bytes" in m and "74,994" in m for m in messages(app))

        # A part of it, selected, copies (through the same check).
        area.select_line(0)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert app.clipboard.startswith("All work and no play makes Jack a dull boy.")
        assert len(app.screen_stack) == 2

        # All of it, still too long: said, and no second view.
        await pilot.press("f7", "ctrl+c")
        await settle(pilot)
        assert any(m.startswith("Still too long") for m in messages(app))
        assert len(app.screen_stack) == 2

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)


async def test_in_tmux_without_set_clipboard_the_copy_says_so(
    mini_corpus: Corpus, tmp_path: Path, tmux: FakeTmux
) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert tmux.asked == []  # never at start-up
        await pilot.press("c")
        await settle(pilot)
        assert tmux.asked == ["external"]
        notices = messages(app)
        assert any(clipboard.TMUX_FIX in m for m in notices), notices
        assert any(m.startswith("Copied") for m in notices)  # the copy's own notice stays
        await pilot.press("c")
        await settle(pilot)
        assert tmux.asked == ["external"]  # asked once
        assert any(clipboard.TMUX_FIX in m for m in messages(app))


@pytest.mark.parametrize("answer", ["on", None])
async def test_in_tmux_with_set_clipboard_on_or_unknown_nothing_is_said(
    mini_corpus: Corpus, tmp_path: Path, tmux: FakeTmux, answer: str | None
) -> None:
    tmux.answer = answer
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert tmux.asked == [answer]
        assert not any("tmux" in m for m in messages(app))


async def test_served_never_asks_tmux(mini_corpus: Corpus, tmp_path: Path, tmux: FakeTmux) -> None:
    app = make_app(mini_corpus, tmp_path, open_ref="quote-burt", served=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert tmux.asked == []
        assert not any("tmux" in m for m in messages(app))
