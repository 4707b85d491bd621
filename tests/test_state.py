"""The starred-passages store: persistence, atomic saves, merging, failures."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from lbn_tui.paths import state_dir as default_state_dir
from lbn_tui.state import STATE_FILE_NAME, StarStore, StateError


def saved(path: Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert isinstance(data["starred"], list)
    return list(data["starred"])


def test_default_dir_follows_xdg_state_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_state_dir() == tmp_path / "lbn-tui"
    assert StarStore().path == tmp_path / "lbn-tui" / STATE_FILE_NAME


def test_default_dir_ignores_a_relative_or_empty_xdg_state_home(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fallback = Path.home() / ".local" / "state" / "lbn-tui"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/dir")
    assert default_state_dir() == fallback
    monkeypatch.setenv("XDG_STATE_HOME", "")
    assert default_state_dir() == fallback


def test_missing_file_means_no_stars_and_no_notice(tmp_path: Path) -> None:
    store = StarStore(tmp_path / "none" / STATE_FILE_NAME)
    assert store.load() is None
    assert store.refs == ()
    assert not (tmp_path / "none").exists()


def test_toggle_persists_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / "state" / STATE_FILE_NAME
    store = StarStore(path)
    assert store.load() is None
    assert store.toggle("quote-a") is True
    assert store.toggle("article-b#2") is True
    assert store.is_starred("quote-a")
    assert store.refs == ("quote-a", "article-b#2")

    again = StarStore(path)
    assert again.load() is None
    assert again.refs == ("quote-a", "article-b#2")

    assert again.toggle("quote-a") is False
    assert not again.is_starred("quote-a")
    third = StarStore(path)
    third.load()
    assert third.refs == ("article-b#2",)


def test_add_and_remove_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    store = StarStore(path)
    store.add("a")
    store.add("a")
    assert saved(path) == ["a"]
    store.remove("a")
    store.remove("a")
    assert saved(path) == []


def test_file_is_valid_json_after_every_save(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    store = StarStore(path)
    expected: list[str] = []
    for i in range(6):
        ref = f"entry-{i}"
        store.toggle(ref)
        expected.append(ref)
        assert saved(path) == expected
    store.toggle("entry-2")
    expected.remove("entry-2")
    assert saved(path) == expected


def test_saves_leave_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    store = StarStore(path)
    for i in range(5):
        store.toggle(f"e-{i}")
    store.toggle("e-0")
    assert sorted(p.name for p in tmp_path.iterdir()) == [STATE_FILE_NAME]


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b'["a", "b"]',
        b'{"starred": "a"}',
        b'{"starred": [1, 2]}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_corrupt_file_is_moved_aside_with_a_notice(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / STATE_FILE_NAME
    path.write_bytes(content)
    store = StarStore(path)
    notice = store.load()
    assert notice is not None
    assert "\n" not in notice
    assert "moved to" in notice
    assert store.refs == ()
    assert not path.exists()
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(f"{STATE_FILE_NAME}.corrupt-")]
    assert len(aside) == 1
    assert aside[0].name in notice
    assert aside[0].read_bytes() == content
    # Starring works again afterwards; the set-aside file stays.
    store.toggle("quote-a")
    assert saved(path) == ["quote-a"]
    assert aside[0].exists()


def test_duplicate_refs_in_the_file_are_read_once(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    path.write_text(json.dumps({"version": 1, "starred": ["a", "b", "a"]}), encoding="utf-8")
    store = StarStore(path)
    assert store.load() is None
    assert store.refs == ("a", "b")


def test_two_instances_do_not_drop_each_others_stars(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    first, second = StarStore(path), StarStore(path)
    first.load()
    second.load()
    first.toggle("from-first")
    second.toggle("from-second")
    first.toggle("first-again")
    final = StarStore(path)
    final.load()
    assert set(final.refs) == {"from-first", "from-second", "first-again"}
    assert set(saved(path)) == {"from-first", "from-second", "first-again"}


def test_unstar_in_one_instance_survives_a_save_by_another(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    first = StarStore(path)
    first.add("keep")
    first.add("drop")
    second = StarStore(path)
    second.load()
    second.remove("drop")
    first.add("new")
    # `first` still believes "drop" is starred; whether it comes back is a
    # merge policy, but nothing else may be lost.
    assert {"keep", "new"} <= set(saved(path))


def _write_blocked(folder: Path) -> bool:
    """True when creating a file in ``folder`` really fails (not root)."""
    probe = folder / ".probe"
    try:
        probe.write_text("x")
    except OSError:
        return True
    probe.unlink()
    return False


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / STATE_FILE_NAME).write_text(
        json.dumps({"version": 1, "starred": ["old"]}), encoding="utf-8"
    )
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)  # 0o500
    try:
        yield folder
    finally:
        folder.chmod(0o700)


def test_read_only_state_folder_raises_a_one_line_state_error(
    tmp_path: Path, read_only_folder: Path
) -> None:
    if _write_blocked(read_only_folder):
        path = read_only_folder / STATE_FILE_NAME
        before = path.read_bytes()
        store = StarStore(path)
        assert store.load() is None
        assert store.refs == ("old",)
    else:
        # Running as root: permissions do not stop writes.  A parent that is
        # a regular file fails for everyone.
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("I am a file")
        path = blocker / "lbn-tui" / STATE_FILE_NAME
        before = b"I am a file"
        # Not loaded first, so the failure comes from the save itself.
        store = StarStore(path)
    with pytest.raises(StateError) as info:
        store.toggle("new")
    message = str(info.value)
    assert message
    assert "\n" not in message
    assert str(path) in message
    assert "new" not in store.refs
    if path.parent == read_only_folder:
        assert path.read_bytes() == before
        assert sorted(p.name for p in read_only_folder.iterdir()) == [STATE_FILE_NAME]
    else:
        assert (tmp_path / "not-a-folder").read_bytes() == before


def test_unreadable_state_file_turns_starring_off(tmp_path: Path) -> None:
    # A folder where the file should be: it cannot be read as a file.
    path = tmp_path / STATE_FILE_NAME
    path.mkdir()
    store = StarStore(path)
    notice = store.load()
    assert notice is not None and "\n" not in notice
    assert store.available is False
    with pytest.raises(StateError) as info:
        store.toggle("a")
    assert "\n" not in str(info.value)
    assert path.is_dir()
    assert not any(path.iterdir())
    assert os.listdir(tmp_path) == [STATE_FILE_NAME]


def test_state_folder_under_a_regular_file_gives_a_notice_then_state_error(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("I am a file")
    store = StarStore(blocker / "lbn-tui" / STATE_FILE_NAME)
    notice = store.load()
    assert notice is not None
    assert "\n" not in notice
    with pytest.raises(StateError) as info:
        store.toggle("a")
    assert "\n" not in str(info.value)
    assert blocker.read_text() == "I am a file"
