"""The reader's stars under faults: kill -9 mid-save, a full disk, a read-only
state folder, two instances saving at once.  Nothing confirmed is ever lost.

Figures quoted in SECURITY.md: `KILLS` kills, `ROUNDS` concurrent rounds.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import random
import resource
import select
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lbn_tui.state import STATE_FILE_NAME, StarStore, StateError

KILLS = 50
ROUNDS = 4
ADDS_PER_INSTANCE = 60

# A writer: stars a new ref and, between stars, toggles a churn ref on and
# off, forever; prints each new ref once its save has returned.
WRITER = """
import sys
from pathlib import Path
from lbn_tui.state import StarStore
path, prefix = Path(sys.argv[1]), sys.argv[2]
store = StarStore(path)
store.load()
print("ready", flush=True)
i = 0
while True:
    ref = f"{prefix}-{i}"
    store.add(ref)
    print(ref, flush=True)
    store.toggle("churn")
    i += 1
"""


def saved(path: Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == 1
    refs = data["starred"]
    assert isinstance(refs, list) and all(isinstance(r, str) for r in refs)
    return refs


def python(code: str, *args: str, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        **kw,
    )


def read_lines_until(proc: subprocess.Popen[str], marker: str, timeout: float) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
        if ready:
            line = proc.stdout.readline()
            if line.strip() == marker:
                return
            if not line:
                break
    proc.kill()
    raise AssertionError(
        f"writer never said {marker!r}: {proc.stderr.read() if proc.stderr else ''}"
    )


# --------------------------------------------------------------------------
# kill -9 at random moments.


def test_kill_9_at_any_moment_never_loses_a_confirmed_star(tmp_path: Path) -> None:
    path = tmp_path / "state" / STATE_FILE_NAME
    # Start from a file of some size, so that a save takes a little while.
    StarStore(path).add("seed")
    path.write_text(
        json.dumps({"version": 1, "starred": [f"seed-{i:04}" for i in range(2000)]}),
        encoding="utf-8",
    )
    confirmed = {f"seed-{i:04}" for i in range(2000)}
    rng = random.Random(20240601)
    # How long this machine takes per confirmed star, so that the kills land
    # mid-stream however busy it is (at least 60 ms of window).
    calibration = python(WRITER, str(path), "calibrate")
    read_lines_until(calibration, "ready", timeout=10)
    started = time.monotonic()
    read_lines_until(calibration, "calibrate-2", timeout=30)
    per_star = (time.monotonic() - started) / 3
    calibration.send_signal(signal.SIGKILL)
    out, _err = calibration.communicate(timeout=10)
    confirmed |= {f"calibrate-{i}" for i in range(3)}
    confirmed |= {line for line in out.split() if line.startswith("calibrate-")}
    window = max(0.06, 6 * per_star)
    saves_seen = 0
    for kill in range(KILLS):
        writer = python(WRITER, str(path), f"k{kill}")
        read_lines_until(writer, "ready", timeout=10)
        time.sleep(rng.uniform(0.0, window))
        writer.send_signal(signal.SIGKILL)
        out, _err = writer.communicate(timeout=10)
        assert writer.returncode == -signal.SIGKILL
        confirmed |= {line for line in out.split() if line.startswith(f"k{kill}-")}
        saves_seen += len(out.split())
        # After every kill: the file parses and holds every confirmed star.
        on_disk = set(saved(path))
        assert confirmed <= on_disk, sorted(confirmed - on_disk)[:5]
    assert saves_seen > KILLS, "the writer must have been killed mid-stream, not before"
    # Temporary files of killed saves are removed by the next start.
    store = StarStore(path)
    assert store.load() is None
    assert confirmed <= set(store.refs)
    assert sorted(p.name for p in path.parent.iterdir()) == [STATE_FILE_NAME]


# --------------------------------------------------------------------------
# Two instances saving at the same moment.

# An instance stars its own refs and toggles a shared one; after each star it
# looks at the file: the other instance's save must not have dropped it.
CONCURRENT = """
import json, sys
from pathlib import Path
from lbn_tui.state import StarStore
path, prefix, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = StarStore(path)
store.load()
print("ready", flush=True)
sys.stdin.readline()
dropped = 0
for i in range(count):
    store.add(f"{prefix}-{i}")
    on_disk = json.loads(path.read_text())["starred"]
    dropped += sum(ref not in on_disk for ref in store.refs if ref.startswith(prefix))
    store.toggle(f"{prefix}-churn")
    store.toggle("shared")
print(f"dropped={dropped}", flush=True)
"""


def test_two_instances_starring_at_once_lose_nothing(tmp_path: Path) -> None:
    for round_ in range(ROUNDS):
        path = tmp_path / f"round-{round_}" / STATE_FILE_NAME
        StarStore(path).add("before")
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", CONCURRENT, str(path), name, str(ADDS_PER_INSTANCE)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in ("one", "two")
        ]
        for proc in procs:
            read_lines_until(proc, "ready", timeout=10)
        for proc in procs:  # go, together
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            assert out.split() == ["dropped=0"], "the other instance's save dropped a star"
        on_disk = set(saved(path))
        wanted = {"before"} | {f"{n}-{i}" for n in ("one", "two") for i in range(ADDS_PER_INSTANCE)}
        assert wanted <= on_disk, sorted(wanted - on_disk)
        assert sorted(p.name for p in path.parent.iterdir()) == [STATE_FILE_NAME]


# --------------------------------------------------------------------------
# A full disk.


@contextlib.contextmanager
def tmpfs(folder: Path, options: str) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
            check=True,
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {exc}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, timeout=10)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 512):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def test_full_disk_keeps_the_old_file_and_says_so_in_one_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "size=64k,mode=0700") as disk:
        path = disk / "lbn-tui" / STATE_FILE_NAME
        store = StarStore(path)
        for i in range(20):
            store.add(f"passage-{i}")
        before = path.read_bytes()
        filler = fill(disk)
        with pytest.raises(StateError) as info:
            store.add("x" * 8000)  # the new file cannot be written
        message = str(info.value)
        assert "\n" not in message and str(path) in message
        assert "No space left on device" in message
        assert path.read_bytes() == before
        assert store.refs == tuple(f"passage-{i}" for i in range(20))
        assert sorted(p.name for p in path.parent.iterdir()) == [STATE_FILE_NAME]
        # Space again: starring works again, nothing was lost.
        filler.unlink()
        store.add("after")
        assert saved(path) == [*(f"passage-{i}" for i in range(20)), "after"]


FSIZE_WRITER = """
import json, sys
from pathlib import Path
from lbn_tui.state import StarStore, StateError
store = StarStore(Path(sys.argv[1]))
print(json.dumps({"notice": store.load()}), flush=True)
try:
    store.add("y" * 6000)
except StateError as exc:
    print(json.dumps({"error": str(exc), "refs": list(store.refs)}), flush=True)
else:
    print(json.dumps({"saved": True}), flush=True)
"""


def _small_file_limit() -> None:
    # Writes past 4 KiB fail with EFBIG (SIGXFSZ ignored, as it stays across exec).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_file_size_limit_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / STATE_FILE_NAME
    StarStore(path).add("kept")
    before = path.read_bytes()
    result = subprocess.run(
        [sys.executable, "-c", FSIZE_WRITER, str(path)],
        capture_output=True,
        text=True,
        timeout=20,
        preexec_fn=_small_file_limit,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0] == {"notice": None}
    assert "error" in lines[1], lines
    assert "\n" not in lines[1]["error"] and "File too large" in lines[1]["error"]
    assert lines[1]["refs"] == ["kept"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [STATE_FILE_NAME]


# --------------------------------------------------------------------------
# A read-only state folder.


def test_read_only_file_system(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "size=64k,mode=0700") as disk:
        path = disk / "lbn-tui" / STATE_FILE_NAME
        StarStore(path).add("old")
        before = path.read_bytes()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True, timeout=10)
        store = StarStore(path)
        assert store.load() is None  # readable: the stars are shown
        assert store.refs == ("old",)
        with pytest.raises(StateError) as info:
            store.toggle("new")
        assert "\n" not in str(info.value)
        assert "Read-only file system" in str(info.value)
        assert store.refs == ("old",) and path.read_bytes() == before
        # And with no state folder yet on a read-only disk: no stars, then StateError.
        fresh = StarStore(disk / "elsewhere" / STATE_FILE_NAME)
        assert fresh.load() is None and fresh.refs == ()
        with pytest.raises(StateError):
            fresh.add("new")


READ_ONLY_FOLDER = """
import json, sys
from pathlib import Path
from lbn_tui.state import StarStore, StateError
store = StarStore(Path(sys.argv[1]))
out = {"notice": store.load(), "refs": list(store.refs), "available": store.available}
try:
    store.toggle("new")
except StateError as exc:
    out["error"] = str(exc)
out["after"] = list(store.refs)
print(json.dumps(out))
"""


def _without_write_override() -> None:
    # Root writes anywhere; without CAP_DAC_OVERRIDE the permission bits apply.
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_capbset_drop, cap_dac_override = 24, 1
        if libc.prctl(pr_capbset_drop, cap_dac_override, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_read_only_state_folder_by_permissions(tmp_path: Path) -> None:
    folder = tmp_path / "lbn-tui"
    path = folder / STATE_FILE_NAME
    StarStore(path).add("old")
    before = path.read_bytes()
    folder.chmod(0o500)
    preexec: Callable[[], None] = _without_write_override
    try:
        try:
            result = subprocess.run(
                [sys.executable, "-c", READ_ONLY_FOLDER, str(path)],
                capture_output=True,
                text=True,
                timeout=20,
                preexec_fn=preexec,
            )
        except subprocess.SubprocessError as exc:
            pytest.skip(f"cannot drop the capability to write anywhere: {exc}")
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout)
        assert out["notice"] is None and out["refs"] == ["old"]
        assert "Permission denied" in out["error"] and "\n" not in out["error"]
        assert out["after"] == ["old"]
        assert path.read_bytes() == before
    finally:
        folder.chmod(0o700)


# --------------------------------------------------------------------------
# A broken stars file is set aside, never fatal, never lost (round two).

LOADER = """
import sys
from pathlib import Path
from lbn_tui.state import StarStore
store = StarStore(Path(sys.argv[1]))
print(store.load())
store.toggle("after")
print(store.refs)
"""


def _memory_limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (512 << 20, 512 << 20))


def load_in_a_process(path: Path) -> list[str]:
    """StarStore.load() then a star, in a subprocess with a hang guard and a
    512 MiB address-space limit; its two printed lines."""
    result = subprocess.run(
        [sys.executable, "-c", LOADER, str(path)],
        capture_output=True,
        text=True,
        timeout=20,
        stdin=subprocess.DEVNULL,
        preexec_fn=_memory_limit,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout.splitlines()


def set_aside(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(f"{STATE_FILE_NAME}.corrupt-"))


def _assert_set_aside_then_usable(path: Path, lines: list[str]) -> Path:
    notice, refs = lines
    assert "moved to" in notice, notice
    (aside,) = set_aside(path.parent)
    assert aside.name in notice
    assert refs == "('after',)"
    assert saved(path) == ["after"]
    return aside


def test_a_named_pipe_as_the_stars_file_is_set_aside_not_waited_on(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    os.mkfifo(path)
    aside = _assert_set_aside_then_usable(path, load_in_a_process(path))
    assert stat.S_ISFIFO(os.lstat(aside).st_mode)


def test_a_gigabyte_stars_file_is_set_aside_unread(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    with path.open("wb") as handle:
        handle.write(b'{"version": 1, "starred": ["' + b"x" * 1000)
        handle.truncate(1 << 30)  # sparse: 1 GiB without the disk space
    aside = _assert_set_aside_then_usable(path, load_in_a_process(path))
    assert aside.stat().st_size == 1 << 30
    # The next start finds the new file (and unstars "after"), not the old one.
    assert load_in_a_process(path) == ["None", "()"]
    assert set_aside(tmp_path) == [aside]


def test_json_nested_100000_deep_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    content = b'{"version": 1, "starred": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    path.write_bytes(content)
    aside = _assert_set_aside_then_usable(path, load_in_a_process(path))
    assert aside.read_bytes() == content


def test_a_ref_with_a_lone_surrogate_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    content = b'{"version": 1, "starred": ["quote-a", "quote-b\\ud800"]}'
    path.write_bytes(content)
    aside = _assert_set_aside_then_usable(path, load_in_a_process(path))
    assert aside.read_bytes() == content


def test_two_corrupt_files_in_one_second_keep_two_backups(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    contents = [b"{first", b"{second", b"{third"]
    notices = []
    for content in contents:
        path.write_bytes(content)
        notice = StarStore(path).load()
        assert notice is not None and "moved to" in notice
        notices.append(notice)
    backups = set_aside(tmp_path)
    assert sorted(p.read_bytes() for p in backups) == sorted(contents)
    assert all(any(p.name in n for p in backups) for n in notices)


def test_a_file_broken_after_loading_is_set_aside_by_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    store = StarStore(path)
    store.load()
    store.add("first")
    path.write_bytes(b"{written by something else")
    store.add("second")
    assert saved(path) == ["first", "second"]
    (aside,) = set_aside(tmp_path)
    assert aside.read_bytes() == b"{written by something else"
