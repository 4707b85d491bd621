"""``lbn-tui serve``'s readers forked from the zygote (serve/zygote.py), with
the real server and real asyncssh clients: the first screen, what a reader's
process is (its own session, terminal, environment, limits, home removed at
the end), a reader killed, the zygote killed, and the old path kept."""

from __future__ import annotations

import asyncio
import ctypes
import gc
import os
import re
import signal
import socket
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

asyncssh = pytest.importorskip("asyncssh")

from test_serve import (  # noqa: E402
    APP_TEXT,
    Server,
    StartServer,
    _connect,
    _environ,
    _open_reader,
    _proc_stat,
    _read_all,
    _read_until,
    _reader_pids,
    _wait,
    _zygote_pids,
)

from lbn_tui.serve import zygote as zygote_module  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the server is Linux-only")

CLEAN_NAMES = {
    "PATH",
    "HOME",
    "TERM",
    "LBN_TUI_SERVED",
    "XDG_STATE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    "LANG",
    "COLORTERM",
}


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    servers: list[Server] = []

    def start(*options: str) -> Server:
        server = Server(tmp_path, *options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _session_pid(server: Server, session: str) -> tuple[int, str]:
    line = server.wait_for(rf" session session={re.escape(session)} .*pid=(\d+)")
    pid = re.search(r" pid=(\d+)", line)
    start = re.search(r" start=(\w+)", line)
    assert pid and start, line
    return int(pid.group(1)), start.group(1)


async def _quit(proc: asyncssh.SSHClientProcess[bytes]) -> bytes:
    # Not at once after the first screen: an app still mounting its contents
    # can fail on a quit (MountError), a race in the app, not in serving.
    await asyncio.sleep(0.7)
    proc.stdin.write(b"\x11")  # Ctrl+Q
    return await _read_all(proc)


async def test_a_reader_forked_by_the_zygote_is_its_own_clean_process(
    start_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Something in the server's own environment must reach neither the zygote
    # nor a reader.
    monkeypatch.setenv("LBN_TUI_TEST_SECRET", "server-only")
    server: Server = start_server()
    line = server.wait_for(r" zygote pid=(\d+)")
    zygote = int(re.search(r"pid=(\d+)", line).group(1))  # type: ignore[union-attr]
    # Before any fork it visited the app's first screen, headless, and
    # gathered the code a rehearsal reader ran.
    assert " warm=ok" in line, line
    gathered = re.search(r" gathered=(\d+)", line)
    assert gathered and int(gathered.group(1)) > 100, line
    assert _zygote_pids(server.proc.pid) == [zygote]
    assert "LBN_TUI_TEST_SECRET" not in _environ(zygote)
    assert re.search(r" listen .* readers=zygote", server.log())
    async with await _connect(server.port) as conn:
        proc = await _open_reader(
            conn,
            env={
                "LANG": "en_GB.UTF-8",
                "COLORTERM": "truecolor",
                "TEXTUAL_DRIVER": "os:getcwd",
                "PYTHONINSPECT": "1",
            },
        )
        await _read_until(proc, APP_TEXT)
        pid, start = _session_pid(server, "1.1")
        assert start == "zygote"
        stat = _proc_stat(pid)
        assert stat is not None
        # The zygote's child, leading its own session, on its own terminal.
        assert int(stat[1]) == zygote
        assert int(stat[3]) == pid == int(stat[2])
        assert int(stat[4]) != 0  # a controlling terminal
        tty = os.readlink(f"/proc/{pid}/fd/0")
        assert tty.startswith("/dev/pts/")
        assert os.readlink(f"/proc/{pid}/fd/1") == os.readlink(f"/proc/{pid}/fd/2") == tty
        # Nothing of the zygote's: no socket, no other reader's descriptor.
        assert sorted(os.listdir(f"/proc/{pid}/fd"))[:3] == ["0", "1", "2"]
        zygotes = {
            os.readlink(f"/proc/{zygote}/fd/{fd}") for fd in os.listdir(f"/proc/{zygote}/fd")
        }
        readers = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        assert any(link.startswith("socket:") for link in zygotes)  # its control socket
        assert not {link for link in zygotes & readers if link.startswith("socket:")}
        env = _environ(pid)
        assert set(env) == CLEAN_NAMES
        assert env["LBN_TUI_SERVED"] == "1"
        assert env["TERM"] == "xterm-256color"
        home = Path(env["HOME"])
        assert home.name.startswith("lbn-tui-session-") and home.is_dir()
        assert os.readlink(f"/proc/{pid}/cwd") == str(home)
        assert env["XDG_STATE_HOME"] == str(home / "state")
        limits = Path(f"/proc/{pid}/limits").read_text()
        assert re.search(r"Max address space\s+1073741824\s+1073741824", limits)
        # A search works (the corpus and the search engine came from the zygote).
        proc.stdin.write(b"/")
        await asyncio.sleep(0.3)
        proc.stdin.write(b"social prescribing")
        await _read_until(proc, b"prescrib")
        await asyncio.sleep(0.3)
        await _quit(proc)
    server.wait_for(r" session-end session=1.1 .*status=0 reason=quit")
    assert not home.exists(), "the session's home is removed at the end"
    assert "LBN_TUI_TEST_SECRET" not in server.log()


async def test_a_reader_killed_ends_that_reader_only(start_server: StartServer) -> None:
    server: Server = start_server()
    server.wait_for(r" zygote pid=")
    async with await _connect(server.port) as conn:
        victim = await _open_reader(conn)
        await _read_until(victim, APP_TEXT)
        other = await _open_reader(conn)
        await _read_until(other, APP_TEXT)
        victim_pid, _ = _session_pid(server, "1.1")
        other_pid, _ = _session_pid(server, "1.2")
        victim_home = Path(_environ(victim_pid)["HOME"])
        os.kill(victim_pid, signal.SIGKILL)
        output = await _read_all(victim)
        assert b"sorry, the browser stopped unexpectedly" in output
        server.wait_for(r" crash session=1.1 status=-9")
        server.wait_for(r" session-end session=1.1 .*status=-9 reason=crash")
        assert not victim_home.exists()
        # The other reader and the zygote carry on.
        assert _reader_pids(server.proc.pid) == [other_pid]
        assert _zygote_pids(server.proc.pid)
        other.stdin.write(b"/")
        await _read_until(other, b"Search", timeout=10)
        other.stdin.write(b"\x1b")
        await asyncio.sleep(0.3)
        await _quit(other)
    server.wait_for(r" session-end session=1.2 .*status=0 reason=quit")
    # And a new reader still comes from the zygote.
    async with await _connect(server.port) as conn:
        again = await _open_reader(conn)
        await _read_until(again, APP_TEXT)
        _pid, start = _session_pid(server, "2.1")
        assert start == "zygote"
        await _quit(again)


async def test_killing_the_zygote_does_not_stop_new_readers(start_server: StartServer) -> None:
    server: Server = start_server()
    line = server.wait_for(r" zygote pid=(\d+)")
    zygote = int(re.search(r"pid=(\d+)", line).group(1))  # type: ignore[union-attr]
    async with await _connect(server.port) as conn:
        early = await _open_reader(conn)
        await _read_until(early, APP_TEXT)
        early_pid, _ = _session_pid(server, "1.1")
        os.kill(zygote, signal.SIGKILL)
        server.wait_for(rf" zygote-exit pid={zygote} status=-9")
        # A reader arriving at once is served (the old way while no zygote runs).
        second = await _open_reader(conn)
        await _read_until(second, APP_TEXT)
        _pid, start = _session_pid(server, "1.2")
        assert start in ("spawn", "zygote")
        # The zygote is started again, and serves the next readers.
        await asyncio.to_thread(
            _wait,
            lambda: len(re.findall(r" zygote pid=", server.log())) == 2,
            20,
            "a new zygote",
        )
        (new_zygote,) = _zygote_pids(server.proc.pid)
        assert new_zygote != zygote
        third = await _open_reader(conn)
        await _read_until(third, APP_TEXT)
        third_pid, start = _session_pid(server, "1.3")
        assert start == "zygote"
        assert _proc_stat(third_pid)[1] == str(new_zygote)  # type: ignore[index]
        # The reader forked by the dead zygote carries on, and ends normally.
        assert early_pid in _reader_pids(server.proc.pid) or _proc_stat(early_pid)
        early.stdin.write(b"/")
        await _read_until(early, b"Search", timeout=10)
        early.stdin.write(b"\x1b")
        await asyncio.sleep(0.3)
        for proc in (early, second, third):
            await _quit(proc)
    for session in ("1.1", "1.2", "1.3"):
        server.wait_for(rf" session-end session={session} .*reason=quit")
    await asyncio.to_thread(_wait, lambda: not _reader_pids(server.proc.pid), 10, "no reader left")
    assert _proc_stat(early_pid) is None or _proc_stat(early_pid)[0] == "Z"  # type: ignore[index]


async def test_reader_start_spawn_keeps_the_old_path(start_server: StartServer) -> None:
    server: Server = start_server("--reader-start", "spawn")
    assert re.search(r" listen .* readers=spawn", server.log())
    assert not _zygote_pids(server.proc.pid)
    async with await _connect(server.port) as conn:
        proc = await _open_reader(conn)
        await _read_until(proc, APP_TEXT)
        pid, start = _session_pid(server, "1.1")
        assert start == "spawn"
        assert _proc_stat(pid)[1] == str(server.proc.pid)  # type: ignore[index]
        assert b"TIOCSCTTY" in Path(f"/proc/{pid}/cmdline").read_bytes()
        await _quit(proc)
    server.wait_for(r" session-end session=1.1 .*status=0 reason=quit")
    assert " zygote" not in server.log()


async def test_the_zygote_stops_with_the_server(start_server: StartServer) -> None:
    server: Server = start_server()
    line = server.wait_for(r" zygote pid=(\d+)")
    zygote = int(re.search(r"pid=(\d+)", line).group(1))  # type: ignore[union-attr]
    stat = _proc_stat(zygote)
    assert stat is not None
    home = Path(os.readlink(f"/proc/{zygote}/cwd"))
    assert home.name.startswith("lbn-tui-zygote-")
    server.proc.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(server.proc.wait, 15) == 0
    assert _proc_stat(zygote) is None
    assert not home.exists()


async def test_the_zygote_removes_its_home_when_the_server_is_killed(
    start_server: StartServer,
) -> None:
    server: Server = start_server()
    line = server.wait_for(r" zygote pid=(\d+)")
    zygote = int(re.search(r"pid=(\d+)", line).group(1))  # type: ignore[union-attr]
    home = Path(os.readlink(f"/proc/{zygote}/cwd"))
    server.proc.kill()
    await asyncio.to_thread(server.proc.wait, 10)
    await asyncio.to_thread(_wait, lambda: _proc_stat(zygote) is None, 10, "the zygote to exit")
    assert not home.exists()


# --------------------------------------------------------------------------
# What the zygote does to its code before it forks (serve/zygote.py).


def _fresh_function() -> Callable[[int], int]:
    code = compile("lambda x: x.real + 1", "<test>", "eval").co_consts[0]
    return types.FunctionType(code, {})  # type: ignore[return-value]


def _bytecode(code: types.CodeType) -> bytes:
    """The bytecode the interpreter runs (and rewrites), as it is now."""
    return ctypes.string_at(id(code) + type(code).__basicsize__, len(code.co_code))


@pytest.mark.skipif(
    sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11),
    reason="CPython 3.11's adaptive interpreter",
)
def test_marked_code_is_never_rewritten_in_place() -> None:
    marked, plain = _fresh_function(), _fresh_function()
    assert zygote_module.keep_bytecode_shared([marked.__code__]) == 1
    for _ in range(100):
        assert marked(1) == plain(1) == 2
    assert _bytecode(marked.__code__) == marked.__code__.co_code
    # Unmarked, the same code is specialised in place (the pages a reader copied).
    assert _bytecode(plain.__code__) != plain.__code__.co_code
    # Marked already: nothing to do.
    assert zygote_module.keep_bytecode_shared([marked.__code__]) == 0


def test_gathered_code_is_a_copy_that_the_functions_run() -> None:
    namespace: dict[str, object] = {}
    exec(
        "def outer(n):\n    def inner():\n        return n + 1\n    return inner()\n",
        namespace,
    )
    outer = namespace["outer"]
    assert isinstance(outer, types.FunctionType)
    original = outer.__code__
    (inner,) = [c for c in original.co_consts if isinstance(c, types.CodeType)]
    assert zygote_module.gather_code([original, inner]) == [original, inner]
    assert outer.__code__ is not original and outer.__code__ == original
    (copied,) = [c for c in outer.__code__.co_consts if isinstance(c, types.CodeType)]
    assert copied is not inner and copied == inner
    assert outer(1) == 2


def test_a_failed_visit_is_reported_and_the_heap_frozen_all_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (Not marking this process's code: the rest of the session would run slower.)
    monkeypatch.setattr(zygote_module, "keep_bytecode_shared", lambda codes: 0)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)

    def visit(corpus: object) -> None:
        raise RuntimeError("no terminal")

    zygote = zygote_module.Zygote(ours, lambda argv, corpus: 0, [])
    try:
        assert zygote.warm_up(visit) == "RuntimeError: no terminal"
        assert zygote.gathered == []
        # What exists now is out of the collector's reach, so that it never
        # writes to those pages in a reader.
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        ours.close()
        theirs.close()
