"""``lbn-tui serve``: the real server in a subprocess, real clients.

End-to-end: the OpenSSH client inside tmux reads the briefings.  Refusals and
limits: an asyncssh client asks for what must be refused.  Everything runs on
127.0.0.1 (and 127.0.0.2 as a second loopback "address")."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

asyncssh = pytest.importorskip("asyncssh")

from lbn_tui.corpus.sources import bundled_briefings_dir  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the server is Linux-only")

HAVE_SSH = shutil.which("ssh") is not None
HAVE_TMUX = shutil.which("tmux") is not None
CHILD_MARK = "lbn_tui"  # in every served lbn-tui's command line (policy.*_BOOTSTRAP)


def _serve_command() -> list[str]:
    """``lbn-tui serve`` once cli.py knows it; the module entry point until then."""
    from lbn_tui.cli import build_parser

    try:
        build_parser().parse_args(["serve", "--port", "0"])
    except SystemExit:
        return [sys.executable, "-m", "lbn_tui.serve", "serve"]
    return [sys.executable, "-m", "lbn_tui", "serve"]


def _ppid(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat.rsplit(")", 1)[1].split()[1])


def _children(pid: int) -> list[int]:
    return [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _ppid(int(p.name)) == pid
    ]


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3 on of /proc/PID/stat (state, ppid, pgrp, session, ...)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _reader_pids(server_pid: int) -> list[int]:
    """The readers' apps of a server, however they were started: live
    descendants (its children, or the zygote's) that lead their own session
    (each reader's pty is its controlling terminal) and run lbn-tui."""
    parents: dict[int, int] = {}
    leaders: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _proc_stat(int(entry.name))
        if fields is None or fields[0] in ("Z", "X"):
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        if int(fields[3]) == pid:
            leaders.add(pid)
    found = []
    for pid in leaders:
        ancestor, hops = parents.get(pid, 0), 0
        while ancestor > 1 and ancestor != server_pid and hops < 8:
            ancestor, hops = parents.get(ancestor, 0), hops + 1
        if ancestor != server_pid:
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if CHILD_MARK in cmdline:
            found.append(pid)
    return sorted(found)


def _zygote_pids(server_pid: int) -> list[int]:
    """The server's zygote (serve/zygote.py), if it has one."""
    found = []
    for pid in _children(server_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"zygote.main" in cmdline and pid not in _reader_pids(server_pid):
            found.append(pid)
    return found


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = [item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item]
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Server:
    """``lbn-tui serve`` on 127.0.0.1, an ephemeral port, a temporary host key."""

    def __init__(self, tmp: Path, *options: str, host_key: Path | None = None) -> None:
        self.host_key = host_key or tmp / "host_key"
        self.log_path = tmp / f"serve-{time.monotonic_ns()}.log"
        self.stderr_path = self.log_path.with_suffix(".stderr")
        command = [
            *_serve_command(),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--host-key",
            str(self.host_key),
            "--log",
            str(self.log_path),
            *options,
        ]
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(command, stdout=err, stderr=err)
        line = self.wait_for(r"^\S+ listen .*port=(\d+)", timeout=30)
        match = re.search(r"port=(\d+)", line)
        assert match
        self.port = int(match.group(1))
        fingerprint = re.search(r"fingerprint=(\S+)", line)
        assert fingerprint
        self.fingerprint = fingerprint.group(1)

    def log(self) -> str:
        try:
            return self.log_path.read_text()
        except FileNotFoundError:
            return ""

    def wait_for(self, pattern: str, timeout: float = 15) -> str:
        regex = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = regex.search(self.log())
            if match:
                start = self.log().rfind("\n", 0, match.start()) + 1
                return self.log()[start:].split("\n", 1)[0]
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(
            f"no log line matching {pattern!r}; log:\n{self.log()}\n"
            f"stderr:\n{self.stderr_path.read_text()}"
        )

    def app_children(self) -> list[int]:
        """The readers' apps (the server's children, or its zygote's)."""
        return _reader_pids(self.proc.pid)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


StartServer = Callable[..., Server]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    servers: list[Server] = []

    def start(*options: str, host_key: Path | None = None) -> Server:
        server = Server(tmp_path, *options, host_key=host_key)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


async def _connect(port: int, **kwargs: object) -> asyncssh.SSHClientConnection:
    options: dict[str, object] = {
        "username": "reader",
        "known_hosts": None,
        "config": None,
        "client_keys": None,
        "agent_path": None,
    }
    options.update(kwargs)
    return await asyncssh.connect("127.0.0.1", port, **options)


async def _read_until(
    proc: asyncssh.SSHClientProcess[bytes], needle: bytes, timeout: float = 20
) -> bytes:
    seen = b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while needle not in seen:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"{needle!r} never came; got {seen[-600:]!r}")
        try:
            chunk = await asyncio.wait_for(proc.stdout.read(65536), remaining)
        except TimeoutError:
            continue
        if not chunk:
            raise AssertionError(f"closed before {needle!r}; got {seen[-600:]!r}")
        seen += chunk
    return seen


async def _read_all(proc: asyncssh.SSHClientProcess[bytes], timeout: float = 20) -> bytes:
    """Everything until the server closes the channel (at most ``timeout`` seconds)."""
    seen = b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"still open after {timeout}s; got {seen[-600:]!r}")
        try:
            chunk = await asyncio.wait_for(proc.stdout.read(65536), remaining)
        except TimeoutError:
            continue
        if not chunk:
            return seen
        seen += chunk


async def _open_reader(
    conn: asyncssh.SSHClientConnection, **kwargs: object
) -> asyncssh.SSHClientProcess[bytes]:
    options: dict[str, object] = {
        "term_type": "xterm-256color",
        "term_size": (80, 24),
        "encoding": None,
    }
    options.update(kwargs)
    return await conn.create_process(**options)


APP_TEXT = b"behind"  # the app's first screen: "What makes a neighbourhood 'left behind'..."


# --------------------------------------------------------------------------
# End to end with the OpenSSH client inside tmux.


class Tmux:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", *args], check=True, capture_output=True, text=True, timeout=10
        ).stdout

    def capture(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def wait_for(self, *needles: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if all(needle in screen for needle in needles):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{needles!r} never appeared; screen:\n{screen}")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    name = f"lbn-serve-{os.getpid()}-{time.monotonic_ns()}"
    session = Tmux(name)
    yield session
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def _ssh(port: int, known_hosts: Path, *extra: str, command: tuple[str, ...] = ()) -> list[str]:
    return [
        "ssh",
        "-F",
        "/dev/null",
        "-p",
        str(port),
        "-o",
        "StrictHostKeyChecking=accept-new",
        "-o",
        f"UserKnownHostsFile={known_hosts}",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentityAgent=none",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "LogLevel=ERROR",
        *extra,
        "reader@127.0.0.1",
        *command,
    ]


@pytest.mark.skipif(not (HAVE_SSH and HAVE_TMUX), reason="needs ssh and tmux")
def test_openssh_reader_browses_searches_resizes_and_quits(
    start_server: StartServer, tmux: Tmux, tmp_path: Path
) -> None:
    server: Server = start_server()
    known = tmp_path / "known_hosts"
    command = shlex.join(_ssh(server.port, known, "-tt"))
    tmux.run(
        "new-session", "-d", "-s", tmux.name, "-x", "80", "-y", "24",
        f"{command}; echo SSH-EXIT=$?; sleep 60",
    )  # fmt: skip
    # The app's first screen: the first session's title, and the key bar.
    tmux.wait_for("left behind", "Search")
    server.wait_for(r" session .*user=reader .*size=80x24")
    (child,) = server.app_children()
    env = _environ(child)
    assert env["LBN_TUI_SERVED"] == "1"
    assert env["TERM"] == "tmux-256color" or env["TERM"].startswith(("screen", "tmux", "xterm"))

    # A search: "/" then type; the hits show the typed words in other lines.
    tmux.run("send-keys", "-t", tmux.name, "/")
    time.sleep(0.5)
    tmux.run("send-keys", "-t", tmux.name, "-l", "social prescribing")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        lines = tmux.capture().splitlines()
        # The search box's line ("/ social prescribing"); hits are the others.
        query_lines = [n for n, line in enumerate(lines) if "/ social prescribing" in line]
        hit_lines = [
            n for n, line in enumerate(lines) if "prescrib" in line.lower() and n not in query_lines
        ]
        if query_lines and hit_lines:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("no search hits:\n" + tmux.capture())
    tmux.run("send-keys", "-t", tmux.name, "Escape")

    # A resize reaches the app: it lays itself out on 100x30.
    tmux.run("resize-window", "-t", tmux.name, "-x", "100", "-y", "30")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        lines = tmux.capture().splitlines()
        if len(lines) >= 30 and lines[29].strip() and max(len(line) for line in lines) > 80:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("no re-layout at 100x30:\n" + tmux.capture())
    assert tmux.run("display", "-p", "-t", tmux.name, "#{pane_width}x#{pane_height}").strip() == (
        "100x30"
    )

    # q quits the app, which closes the connection.
    time.sleep(0.3)
    tmux.run("send-keys", "-t", tmux.name, "q")
    tmux.wait_for("SSH-EXIT=0")
    server.wait_for(r"session-end .*status=0 reason=quit")
    server.wait_for(r" disconnect conn=1 ")
    _wait(lambda: not server.app_children(), 10, "the app process to be gone")
    assert known.read_text().count("ssh-ed25519") == 1


@pytest.mark.skipif(not HAVE_SSH, reason="needs ssh")
def test_host_key_is_created_once_and_survives_a_restart(
    start_server: StartServer, tmp_path: Path
) -> None:
    key = tmp_path / "keys" / "ssh_host_ed25519_key"
    first: Server = start_server(host_key=key)
    assert key.stat().st_mode & 0o777 == 0o600
    assert "host-key-created" in first.log()
    known = tmp_path / "known_hosts"
    # Exec is refused, but the host key is recorded on the way.
    probe = subprocess.run(
        _ssh(first.port, known, "-T", command=("true",)), capture_output=True, text=True, timeout=20
    )
    assert "exec request failed" in probe.stderr, probe.stderr
    assert "ssh-ed25519" in known.read_text()
    assert first.stop() == 0

    second: Server = start_server(host_key=key)
    assert second.fingerprint == first.fingerprint
    assert "host-key-created" not in second.log()
    strict = _ssh(second.port, known, "-T", "-o", "StrictHostKeyChecking=yes")
    result = subprocess.run(strict, capture_output=True, text=True, timeout=20)
    # The host is still known (no "host key verification failed"); the shell
    # without a terminal is then refused with a one-line message.
    assert "verification failed" not in result.stderr.lower()
    assert "needs a terminal" in result.stdout + result.stderr
    assert result.returncode == 1


def test_a_host_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "key"
    server = Server(tmp_path, host_key=key)
    server.stop()
    key.chmod(0o644)
    result = subprocess.run(
        [*_serve_command(), "--port", "0", "--host-key", str(key)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "chmod 600" in result.stderr


@pytest.mark.skipif(not HAVE_SSH, reason="needs ssh")
def test_openssh_exec_and_no_terminal_are_refused(
    start_server: StartServer, tmp_path: Path
) -> None:
    server: Server = start_server()
    known = tmp_path / "known_hosts"
    result = subprocess.run(
        _ssh(server.port, known, "-T", command=("touch", str(tmp_path / "pwned"))),
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode != 0
    assert "exec request failed" in result.stderr
    assert not (tmp_path / "pwned").exists()
    server.wait_for(r"refuse .*what=exec")

    result = subprocess.run(
        _ssh(server.port, known, "-T"), capture_output=True, text=True, timeout=20
    )
    assert result.returncode == 1
    assert result.stdout.count("\n") == 1
    assert "needs a terminal" in result.stdout
    server.wait_for(r"refuse .*what=no-pty")


# --------------------------------------------------------------------------
# Refusals, with an asyncssh client.


async def test_sftp_and_port_forwarding_are_refused(start_server: StartServer) -> None:
    server: Server = start_server()
    # Something that must stay unreachable through the server.
    target = socket.socket()
    target.bind(("127.0.0.1", 0))
    target.listen()
    target.setblocking(False)
    target_port = target.getsockname()[1]
    async with await _connect(server.port) as conn:
        with pytest.raises((asyncssh.Error, OSError)):
            await conn.start_sftp_client()
        with pytest.raises(asyncssh.ChannelOpenError):  # ssh -L
            await conn.open_connection("127.0.0.1", target_port)
        with pytest.raises(asyncssh.ChannelListenError):  # ssh -R
            await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", target_port)
        with pytest.raises(asyncssh.ChannelOpenError):  # ssh -L to a socket path
            await conn.open_unix_connection("/run/sshd.sock")
        with pytest.raises(asyncssh.ChannelOpenError):  # ssh -w
            await conn.open_tun()
    with pytest.raises(BlockingIOError):
        target.accept()
    target.close()
    log = server.log()
    assert re.search(r"refuse .*what=subsystem name=sftp", log)
    assert re.search(rf"refuse .*what=tcp-forwarding to=127.0.0.1:{target_port}", log)
    assert re.search(r"refuse .*what=remote-forwarding", log)
    assert re.search(r"refuse .*what=unix-forwarding", log)
    assert re.search(r"refuse .*what=tun-forwarding", log)
    assert not server.app_children()


async def test_exec_is_refused(start_server: StartServer, tmp_path: Path) -> None:
    server: Server = start_server()
    marker = tmp_path / "pwned"
    async with await _connect(server.port) as conn:
        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.create_process(f"touch {marker}", term_type="xterm")
    assert not marker.exists()
    server.wait_for(r"refuse .*what=exec")


@pytest.mark.skipif(shutil.which("ssh-agent") is None, reason="needs ssh-agent")
async def test_agent_forwarding_and_unlisted_environment_never_reach_the_app(
    start_server: StartServer, tmp_path: Path
) -> None:
    server: Server = start_server()
    agent_sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(agent_sock)], stdout=subprocess.DEVNULL)
    try:
        _wait(agent_sock.exists, 10, "ssh-agent")
        client_env = {
            "TEXTUAL_DRIVER": "os:getcwd",
            "PYTHONSTARTUP": "/tmp/evil.py",
            "PYTHONPATH": "/tmp",
            "LD_PRELOAD": "/tmp/evil.so",
            "LBN_TUI_SERVED": "0",
            "LANG": "en_GB.UTF-8",
            "LC_TIME": "C",
            "COLORTERM": "truecolor",
            "NO_COLOR": "1",
        }
        async with await _connect(
            server.port, agent_path=str(agent_sock), agent_forwarding=True
        ) as conn:
            proc = await _open_reader(conn, env=client_env)
            await _read_until(proc, APP_TEXT)
            (child,) = server.app_children()
            env = _environ(child)
            proc.stdin.write(b"q")
            await _read_all(proc)
    finally:
        agent.terminate()
        agent.wait()
    for name in ("TEXTUAL_DRIVER", "PYTHONSTARTUP", "PYTHONPATH", "LD_PRELOAD", "SSH_AUTH_SOCK"):
        assert name not in env
    assert env["LBN_TUI_SERVED"] == "1"
    assert env["LANG"] == "en_GB.UTF-8"
    assert env["LC_TIME"] == "C"
    assert env["COLORTERM"] == "truecolor"
    assert env["NO_COLOR"] == "1"
    assert env["TERM"] == "xterm-256color"
    assert Path(env["XDG_STATE_HOME"]).is_relative_to(env["HOME"])
    assert not Path(env["HOME"]).exists(), "the session's home is removed at the end"
    log = server.log()
    assert re.search(r"refuse .*what=request .*[Aa]gent forwarding", log)
    refused_env = re.search(r"refuse .*what=env names=(\S+)", log)
    assert refused_env
    assert "TEXTUAL_DRIVER" in refused_env.group(1)


async def test_a_session_without_a_terminal_gets_one_line(start_server: StartServer) -> None:
    server: Server = start_server()
    async with await _connect(server.port) as conn:
        proc = await conn.create_process(encoding=None)
        output = await _read_all(proc)
        await proc.wait_closed()
    assert output.count(b"\n") == 1
    assert b"needs a terminal" in output
    assert proc.exit_status == 1
    assert not server.app_children()


async def test_a_dumb_terminal_gets_one_line(start_server: StartServer) -> None:
    server: Server = start_server()
    async with await _connect(server.port) as conn:
        proc = await _open_reader(conn, term_type="dumb")
        output = await _read_all(proc)
    assert b"TERM=dumb" in output
    assert output.count(b"\n") == 1
    server.wait_for(r"refuse .*what=dumb-terminal")


async def test_total_session_limit(start_server: StartServer) -> None:
    server: Server = start_server("--max-sessions", "2", "--max-per-address", "5")
    conns = [await _connect(server.port) for _ in range(3)]
    try:
        readers = [await _open_reader(c) for c in conns[:2]]
        for reader in readers:
            await _read_until(reader, APP_TEXT)
        third = await _open_reader(conns[2])
        output = await _read_all(third)
        assert b"the reading room is full (2 readers); try again later" in output
        assert len(server.app_children()) == 2
        # A place frees up when a reader leaves.
        readers[0].stdin.write(b"q")
        await _read_all(readers[0])
        server.wait_for(r"session-end .*reason=quit")
        again = await _open_reader(conns[2])
        await _read_until(again, APP_TEXT)
    finally:
        for conn in conns:
            conn.close()
    server.wait_for(r"refuse .*what=limit")


async def test_per_address_session_limit(start_server: StartServer) -> None:
    server: Server = start_server("--max-sessions", "5", "--max-per-address", "1")
    first = await _connect(server.port)
    same = await _connect(server.port)
    other = await _connect(server.port, local_addr=("127.0.0.2", 0))
    try:
        reader = await _open_reader(first)
        await _read_until(reader, APP_TEXT)
        # A second session on the same connection counts too.
        output = await _read_all(await _open_reader(first))
        assert b"already connected from your address" in output
        output = await _read_all(await _open_reader(same))
        assert b"already connected from your address" in output
        from_elsewhere = await _open_reader(other)
        await _read_until(from_elsewhere, APP_TEXT)
        assert len(server.app_children()) == 2
    finally:
        for conn in (first, same, other):
            conn.close()


async def test_idle_timeout_is_driven_by_input(start_server: StartServer) -> None:
    server: Server = start_server("--idle-timeout", "2")
    async with await _connect(server.port) as conn:
        proc = await _open_reader(conn)
        await _read_until(proc, APP_TEXT)
        # Keys keep the session open past the timeout...
        for _ in range(6):
            proc.stdin.write(b"\x1b[B")  # cursor down
            await asyncio.sleep(0.5)
        # (the last ones open the search box, whose blinking cursor keeps the
        # app writing: output must not count as activity)
        proc.stdin.write(b"/")
        await asyncio.sleep(0.5)
        proc.stdin.write(b"idle")
        await _read_until(proc, b"idle", timeout=5)
        assert not proc.stdout.at_eof()
        assert "reason=idle" not in server.log()
        # ...and it closes about two seconds after the last one.
        started = time.monotonic()
        output = await _read_all(proc, timeout=10)
        waited = time.monotonic() - started
    assert b"closed after 2 seconds without a key press" in output
    assert b"\x1b[?1049l" in output  # the reader's screen is given back
    assert 1.0 < waited < 5.0
    server.wait_for(r"session-end .*reason=idle")
    _wait(lambda: not server.app_children(), 5, "the app to be gone")


async def test_login_timeout_and_public_key_only(start_server: StartServer, tmp_path: Path) -> None:
    allowed = asyncssh.generate_private_key("ssh-ed25519")
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    keys = tmp_path / "authorized_keys"
    keys.write_bytes(allowed.export_public_key())
    server: Server = start_server("--authorized-keys", str(keys), "--login-timeout", "1")
    with pytest.raises(asyncssh.PermissionDenied):
        await _connect(server.port)
    with pytest.raises(asyncssh.PermissionDenied):
        await _connect(server.port, client_keys=[stranger])
    with pytest.raises(asyncssh.PermissionDenied):
        await _connect(server.port, password="", client_keys=None)
    assert not re.search(r" auth ", server.log())
    async with await _connect(server.port, client_keys=[allowed]) as conn:
        proc = await _open_reader(conn)
        await _read_until(proc, APP_TEXT)
    assert re.search(r" auth .*user=reader", server.log())

    # A connection that never logs in is dropped after the login timeout.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        started = time.monotonic()
        assert raw.recv(100).startswith(b"SSH-2.0-")
        while raw.recv(4096):
            pass
        assert time.monotonic() - started < 5
    server.wait_for(r"disconnect .*sessions=0 .*[Ll]ogin timeout")


async def test_a_crash_is_apologised_for_and_spares_other_readers(
    start_server: StartServer, tmp_path: Path
) -> None:
    briefings = tmp_path / "briefings"
    shutil.copytree(bundled_briefings_dir(), briefings)
    server: Server = start_server("--briefings", str(briefings))
    async with await _connect(server.port) as conn:
        healthy = await _open_reader(conn)
        await _read_until(healthy, APP_TEXT)
        # The briefings break under the server's feet: new readers' apps fail.
        for path in briefings.rglob("*.yaml"):
            path.write_text("{ not: [valid", encoding="utf-8")
        broken = await _open_reader(conn)
        output = await _read_all(broken)
        assert b"sorry, the browser stopped unexpectedly" in output
        assert broken.exit_status not in (0, None)
        server.wait_for(r" crash session=1.2 status=1")
        # The first reader carries on.
        healthy.stdin.write(b"/")
        await _read_until(healthy, b"Search", timeout=10)
        assert len(server.app_children()) == 1
        healthy.stdin.write(b"\x1b")
        await asyncio.sleep(0.5)
        healthy.stdin.write(b"q")
        await _read_all(healthy)
    server.wait_for(r"session-end session=1.1 .*status=0 reason=quit")


async def test_sigterm_tells_readers_and_leaves_nothing_behind(start_server: StartServer) -> None:
    server: Server = start_server()
    conn = await _connect(server.port)
    proc = await _open_reader(conn)
    await _read_until(proc, APP_TEXT)
    (child,) = server.app_children()
    home = Path(_environ(child)["HOME"])
    server.proc.send_signal(signal.SIGTERM)
    output = await _read_all(proc)
    assert b"lbn-tui: the server is shutting down" in output
    conn.close()
    assert await asyncio.to_thread(server.proc.wait, 15) == 0
    assert child not in _reader_pids(server.proc.pid)
    stat = _proc_stat(child)
    assert stat is None or stat[0] == "Z" or int(stat[3]) != child, "the reader's app is gone"
    assert not home.exists()
    assert re.search(r"session-end .*reason=shutdown", server.log())
    assert server.log().rstrip().endswith("stopped")


def test_child_command_runs_lbn_tui_with_the_briefings_of_serve(tmp_path: Path) -> None:
    from lbn_tui.serve import policy as serve

    argv = serve.child_argv([tmp_path], with_bundled=True)
    assert argv[:3] == [sys.executable, "-I", "-c"]
    assert argv[4:] == ["--briefings", str(tmp_path.resolve()), "--with-bundled"]
    env = serve.child_environment(
        {"TEXTUAL_DRIVER": "x:y", "LANG": "C.UTF-8", "LC_ALL": "$(reboot)", "NO_COLOR": "1"},
        "xterm",
        tmp_path,
        tmp_path / "state",
    )
    assert set(env) == {
        "PATH",
        "HOME",
        "TERM",
        "LBN_TUI_SERVED",
        "XDG_STATE_HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "XDG_DATA_HOME",
        "LANG",
        "NO_COLOR",
    }


LOCALE_NAMES = ["en_GB.UTF-8", "C", "C.UTF-8", "POSIX", "de_DE@euro", "sr_RS.UTF-8@latin", ""]
NOT_LOCALE_NAMES = ["/tmp/evil", "../../tmp/locale", "en_GB/../../x", "C.UTF-8/x", "$(reboot)", "x"]


def test_locale_variables_pass_only_as_locale_names(tmp_path: Path) -> None:
    from lbn_tui.serve import policy as serve

    for value in LOCALE_NAMES:
        env = serve.child_environment({"LANG": value, "LC_ALL": value}, "xterm", tmp_path, tmp_path)
        assert env["LANG"] == env["LC_ALL"] == value
    for value in NOT_LOCALE_NAMES:
        client = {"LANG": value, "LC_MESSAGES": value, "NO_COLOR": "1"}
        env = serve.child_environment(client, "xterm", tmp_path, tmp_path)
        assert "LANG" not in env and "LC_MESSAGES" not in env, value
        assert env["NO_COLOR"] == "1"
        assert serve.refused_env(client) == ["LANG", "LC_MESSAGES"]


async def test_a_locale_path_never_reaches_the_app(start_server: StartServer) -> None:
    """glibc loads locale files from a LANG or LC_* value with a slash in it."""
    server: Server = start_server()
    client_env = {"LANG": "/tmp/evil", "LC_CTYPE": "en_GB.UTF-8", "LC_ALL": "../x"}
    async with await _connect(server.port) as conn:
        proc = await _open_reader(conn, env=client_env)
        await _read_until(proc, APP_TEXT)
        (child,) = server.app_children()
        env = _environ(child)
        proc.stdin.write(b"q")
        await _read_all(proc)
    assert "LANG" not in env and "LC_ALL" not in env
    assert env["LC_CTYPE"] == "en_GB.UTF-8"
    server.wait_for(r"refuse .*what=env names=LANG,LC_ALL\b")
