"""The app with a pack large enough for the candidate index: search still
finds the passage, and the index is cached on disk for the next start."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from textual.pilot import Pilot

from lbn_tui.corpus.loader import load_corpus
from lbn_tui.tui.app import LbnApp
from lbn_tui.tui.widgets.search_panel import SearchPanel

WORDS = [
    "community",
    "neighbourhood",
    "funding",
    "regeneration",
    "local",
    "residents",
    "health",
    "social",
    "infrastructure",
    "council",
    "housing",
    "youth",
    "skills",
    "training",
    "transport",
    "digital",
    "connectivity",
    "wellbeing",
    "volunteers",
    "charity",
    "investment",
    "partnership",
    "trust",
]


def write_large_pack(folder: Path, quotes: int) -> str:
    rng = random.Random(7)
    entries = []
    for i in range(quotes):
        text = " ".join(rng.choice(WORDS) for _ in range(40))
        entries.append({"id": f"q{i}", "kind": "quote", "text": text, "speaker": f"Speaker {i}"})
    needle = "the allotment cooperative in Grimsby trebled its membership"
    entries.append({"id": "needle", "kind": "quote", "text": needle, "speaker": "Pat Example"})
    doc = {"source": {"title": "Generated", "url": "https://example.invalid/"}, "entries": entries}
    folder.mkdir()
    (folder / "large.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return needle


@pytest.mark.asyncio
async def search_for_the_needle(app: LbnApp, pilot: Pilot[None]) -> SearchPanel:
    """Types a typo'd fragment of the needle's passage; the panel once it has
    hits (or after 5 s)."""
    await pilot.press("slash", *"alotment coperative grimsby")
    panel = app.screen.query_one(SearchPanel)
    for _ in range(100):
        await pilot.pause(0.05)
        if panel.hits:
            break
    return panel


async def test_large_pack_search_uses_a_cached_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    write_large_pack(tmp_path / "pack", quotes=2600)
    corpus = load_corpus([tmp_path / "pack"])
    app = LbnApp(corpus)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await search_for_the_needle(app, pilot)
        assert panel.hits, "no hits for a typo'd fragment of a passage in a large pack"
        assert panel.hits[0].passage.entry_id == "needle"
    assert list((cache / "lbn-tui").iterdir()), "the candidate index was not cached"


@pytest.mark.asyncio
async def test_a_stored_pack_decodes_only_what_the_app_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's path for a large pack (the loader behind the loading screen,
    the corpus store): the contents tree and a search decode next to no
    entries, and the index reads the passages from the store file."""
    from lbn_tui.cli import _deferred_loader
    from lbn_tui.corpus import cache as corpus_cache
    from lbn_tui.corpus.store import StoredCorpus, StoredPassages
    from lbn_tui.tui.browser.screen import BrowserScreen

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(corpus_cache, "RACY_SECONDS", 0.0)
    pack = tmp_path / "pack"
    write_large_pack(pack, quotes=2600)
    assert isinstance(corpus_cache.load_corpus([pack]), StoredCorpus)  # the store written
    app = LbnApp(None, loader=_deferred_loader([pack], None))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if isinstance(app.screen, BrowserScreen):
                break
        corpus = app.corpus
        assert isinstance(corpus, StoredCorpus)
        assert isinstance(corpus.passages, StoredPassages)
        panel = await search_for_the_needle(app, pilot)
        assert panel.hits[0].passage.entry_id == "needle"
        decoded = [entry.id for entry in corpus._decoded if entry is not None]
        assert len(decoded) <= 5, decoded
