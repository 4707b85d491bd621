"""Saving a star waits for a file lock and fsyncs: the app must not freeze meanwhile."""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from pathlib import Path

from lbn_tui.corpus.model import Corpus
from lbn_tui.state import StarStore
from lbn_tui.tui.app import LbnApp


async def test_the_app_keeps_running_while_a_star_save_waits(
    mini_corpus: Corpus, tmp_path: Path
) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    store = StarStore(folder / "starred.json")
    store.load()
    app = LbnApp(mini_corpus, star_store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # Another lbn-tui is saving: it holds the state folder's lock.
        lock = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(lock, fcntl.LOCK_EX)
        fired: list[float] = []
        start = time.monotonic()
        # A widget's timer: it runs only if the event loop is free while the
        # save waits (the app's own queue is busy with the key press).
        reader = app.screen.query_one("#reader")
        reader.set_timer(0.05, lambda: fired.append(time.monotonic() - start))
        press = asyncio.create_task(pilot.press("s"))
        await asyncio.sleep(0.4)
        released = time.monotonic() - start
        os.close(lock)  # the other save is done
        await press
        await pilot.pause(0.2)
        assert fired and fired[0] < released, (fired, released)
        assert len(store.refs) == 1  # the save went through once the lock was free
    saved = StarStore(folder / "starred.json")
    saved.load()
    assert saved.refs == store.refs
