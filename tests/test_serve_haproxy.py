"""Three real ``lbn-tui serve --proxy-protocol`` instances behind a real
HAProxy (Debian's ``haproxy`` package, started here on loopback with a
generated configuration: TCP mode, ``send-proxy-v2``, ``tcp-check`` on each
instance's ``--health-port``), read by asyncssh clients with a PTY from
several loopback addresses (127.0.0.11 to 127.0.0.20).

- 12 readers from 6 addresses (2 each) are all served, although every
  connection reaches the instances from 127.0.0.1 (HAProxy): the
  per-address cap (2) is applied to the address in the PROXY header (from
  the proxy's own address only 3 x 2 = 6 could be).
- One instance is killed (SIGKILL) with readers on it: their connections
  close, their apps end, everyone else's sessions carry on; HAProxy's check
  marks it down and new readers go to the two others, where one address's
  readers beyond 2 per instance are refused with the cap's message.
- A second instance is stopped with SIGTERM: its readers are told "the
  server is shutting down" through HAProxy, it exits 0 with no app left,
  and the last instance's readers quit normally.
Bounded: every wait has a timeout; HAProxy and the servers are stopped
whatever happens."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

asyncssh = pytest.importorskip("asyncssh")

from test_serve import (  # noqa: E402
    APP_TEXT,
    HAVE_SSH,
    HAVE_TMUX,
    Server,
    Tmux,
    _environ,
    _open_reader,
    _read_all,
    _read_until,
    _ssh,
    _wait,
)

HAPROXY = shutil.which("haproxy") or (
    "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
)
REPO = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="the server is Linux-only"),
    pytest.mark.skipif(
        HAPROXY is None, reason="needs haproxy (Debian package; .ci/run installs it)"
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def haproxy_config(
    front_port: int, backends: list[tuple[int, int]], stats_socket: Path, check_ms: int = 200
) -> str:
    """deploy/haproxy/haproxy.cfg's settings, on loopback ports, checks faster."""
    servers = "\n".join(
        f"    server serve{i} 127.0.0.1:{port} check port {health}"
        for i, (port, health) in enumerate(backends, 1)
    )
    return f"""\
global
    maxconn 1000
    stats socket {stats_socket} mode 600 level admin

defaults
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    retries 1
    option redispatch

frontend ssh
    bind 127.0.0.1:{front_port}
    default_backend lbn_tui

backend lbn_tui
    balance leastconn
    option tcp-check
    tcp-check expect string ok
    default-server send-proxy-v2 check inter {check_ms}ms fall 1 rise 1
{servers}
"""


class HAProxy:
    def __init__(self, tmp: Path, backends: list[tuple[int, int]]) -> None:
        assert HAPROXY is not None
        self.port = free_port()
        self.stats = tmp / "haproxy.sock"
        self.config = tmp / "haproxy.cfg"
        self.config.write_text(haproxy_config(self.port, backends, self.stats))
        self.output = tmp / "haproxy.out"
        with open(self.output, "wb") as out:
            self.proc = subprocess.Popen(
                [HAPROXY, "-db", "-f", str(self.config)], stdout=out, stderr=out
            )

    def status(self) -> dict[str, str]:
        """Each server's status (UP, DOWN, ...) from the stats socket."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(2)
            sock.connect(str(self.stats))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        found = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == "lbn_tui" and row.get("svname", "").startswith("serve"):
                found[row["svname"]] = row["status"]
        return found

    def wait_status(self, expected: dict[str, str], timeout: float = 15) -> None:
        def matches() -> bool:
            try:
                status = self.status()
            except OSError:
                return False
            return all(status.get(k, "").startswith(v) for k, v in expected.items())

        _wait(matches, timeout, f"HAProxy to see {expected}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[dict[str, Any]]:
    started: dict[str, Any] = {"servers": [], "haproxy": None}
    yield started
    if started["haproxy"] is not None:
        started["haproxy"].stop()
    for server in started["servers"]:
        server.stop()


def test_the_shipped_haproxy_config_is_valid() -> None:
    assert HAPROXY is not None
    result = subprocess.run(
        [HAPROXY, "-c", "-f", str(REPO / "deploy/haproxy/haproxy.cfg")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = (REPO / "deploy/haproxy/haproxy.cfg").read_text()
    assert "send-proxy-v2" in text and "tcp-check expect string ok" in text
    unit = (REPO / "deploy/systemd/lbn-tui-serve@.service").read_text()
    assert "--proxy-protocol --proxy-from 127.0.0.1" in unit and "--health-port 820%i" in unit


async def _reader(port: int, source: str) -> tuple[Any, Any, int]:
    conn = await asyncssh.connect(
        "127.0.0.1",
        port,
        local_addr=(source, 0),
        username="reader",
        known_hosts=None,
        config=None,
        client_keys=None,
        agent_path=None,
    )
    proc = await _open_reader(conn)
    return conn, proc, int(conn.get_extra_info("sockname")[1])


def _instance_of(servers: list[Server], source: str, port: int) -> int:
    pattern = rf" connect conn=\d+ addr={re.escape(source)} port={port} via=127\.0\.0\.1:"
    for i, server in enumerate(servers):
        if re.search(pattern, server.log()):
            return i
    return -1


def _sources(readers: list[Any]) -> list[tuple[str, int]]:
    return [(str(conn.get_extra_info("sockname")[0]), int(port)) for conn, _, port in readers]


async def _screen_or_end(proc: Any, timeout: float) -> bytes:
    """Output until the app's first screen or the end of the session."""
    seen = b""
    async with asyncio.timeout(timeout):
        while APP_TEXT not in seen:
            chunk = await proc.stdout.read(65536)
            if not chunk:
                break
            seen += chunk
    return seen


async def _closed(proc: Any, timeout: float) -> bool:
    """True when the connection ends (end of output, or lost) within ``timeout``."""
    try:
        await _read_all(proc, timeout)
    except AssertionError:  # still open
        return False
    except (OSError, asyncssh.Error):
        pass
    return True


async def test_three_instances_behind_haproxy(farm: dict[str, Any], tmp_path: Path) -> None:
    options = (
        "--proxy-protocol",
        "--proxy-from",
        "127.0.0.1",
        "--health-port",
        "0",
        "--max-per-address",
        "2",
        "--max-sessions",
        "12",
    )
    # One host key for all: the first instance creates it, the others read it.
    key = tmp_path / "shared_host_key"
    servers: list[Server] = farm["servers"]
    for _ in range(3):
        servers.append(Server(tmp_path, *options, host_key=key))
    assert len({s.fingerprint for s in servers}) == 1
    backends = []
    for server in servers:
        health = re.search(r"health_port=(\d+)", server.wait_for(" listen "))
        assert health
        backends.append((server.port, int(health[1])))
    haproxy = farm["haproxy"] = HAProxy(tmp_path, backends)
    await asyncio.to_thread(haproxy.wait_status, {"serve1": "UP", "serve2": "UP", "serve3": "UP"})

    # 12 readers from 6 addresses, all at once.
    sources = [f"127.0.0.{11 + i // 2}" for i in range(12)]
    readers = await asyncio.gather(*[_reader(haproxy.port, s) for s in sources])
    await asyncio.gather(*[_read_until(proc, APP_TEXT, timeout=60) for _, proc, _ in readers])
    placed = [
        _instance_of(servers, s, port) for s, (_, _, port) in zip(sources, readers, strict=True)
    ]
    assert -1 not in placed, [s.log() for s in servers]
    assert sorted(set(placed)) == [0, 1, 2], placed  # leastconn spread them
    for server in servers:
        assert " what=limit" not in server.log()
        assert re.search(r" session session=\S+ addr=127\.0\.0\.1[1-6] ", server.log())
        assert not re.search(r" (session|connect) \S+ addr=127\.0\.0\.1 ", server.log())
    # The health checks were never readers.
    assert all("what=proxy" not in s.log() for s in servers)

    # Kill one instance outright.
    victim = servers[0]
    victim_apps = victim.app_children()
    on_victim = [r for r, i in zip(readers, placed, strict=True) if i == 0]
    others = [r for r, i in zip(readers, placed, strict=True) if i != 0]
    assert on_victim and victim_apps
    victim_homes = [Path(_environ(pid)["HOME"]) for pid in victim_apps]
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(10)
    closed = await asyncio.gather(*[_closed(proc, 15) for _, proc, _ in on_victim])
    assert all(closed), "a reader of the killed instance was left hanging"
    await asyncio.to_thread(
        _wait,
        lambda: not any(Path(f"/proc/{pid}").exists() for pid in victim_apps),
        15,
        "the killed instance's apps to end",
    )
    # A server killed outright cannot remove its readers' session folders
    # (under systemd, PrivateTmp removes them); the test does.
    for home in victim_homes:
        assert home.name.startswith("lbn-tui-session-")
        shutil.rmtree(home, ignore_errors=True)
    await asyncio.to_thread(haproxy.wait_status, {"serve1": "DOWN", "serve2": "UP"})
    # The other readers are still there and still answer.
    for _, proc, _ in others:
        proc.stdin.write(b"/")
    for _, proc, _ in others:
        await _read_until(proc, b"earch", timeout=30)

    # New readers go to the two others; one address gets 2 per instance.
    new_sources = ["127.0.0.20"] * 5
    served, refused = 0, 0
    new: list[Any] = []
    new_served: list[Any] = []
    for source in new_sources:
        conn, proc, port = await _reader(haproxy.port, source)
        new.append((conn, proc, port))
        seen = await _screen_or_end(proc, 60)
        if APP_TEXT in seen:
            served += 1
            new_served.append((conn, proc, port))
        else:
            assert b"already connected from your address" in seen, seen[-300:]
            refused += 1
        assert _instance_of(servers, source, port) in (1, 2)
    assert 2 <= served <= 4 and refused >= 1 and served + refused == 5
    for server in servers[1:]:
        assert re.search(r" refuse session=\S+ addr=127\.0\.0\.20 .*what=limit", server.log()) or (
            len(re.findall(r" session session=\S+ addr=127\.0\.0\.20 ", server.log())) <= 2
        )

    # Stop the second instance cleanly (SIGTERM): its readers are told, through
    # HAProxy, and it exits 0; the third instance's readers carry on.
    stopping = servers[1]
    everyone = others + new_served
    refused_readers = [r for r in new if r not in new_served]
    placed_now = [_instance_of(servers, s, p) for s, p in _sources(everyone)]
    on_stopping = [r for r, i in zip(everyone, placed_now, strict=True) if i == 1]
    staying = [r for r, i in zip(everyone, placed_now, strict=True) if i == 2]
    assert on_stopping and staying
    stopping.proc.send_signal(signal.SIGTERM)
    for _, proc, _ in on_stopping:
        output = await _read_all(proc, 20)
        assert b"the server is shutting down" in output
    assert stopping.proc.wait(20) == 0
    assert stopping.stderr_path.read_text() == ""
    assert not stopping.app_children()
    for _, proc, _ in staying:
        proc.stdin.write(b"\x1b")
    others, new = staying, []

    # Everyone left quits normally.
    for _conn, proc, _ in others + new:
        with contextlib.suppress(OSError, asyncssh.Error):
            proc.stdin.write(b"\x11")
    for conn, proc, _ in others + new:
        with contextlib.suppress(AssertionError, OSError, asyncssh.Error):
            await _read_all(proc, 20)
        conn.close()
    for conn, _, _ in on_victim + on_stopping + refused_readers:
        conn.close()
    last = servers[2]
    await asyncio.to_thread(
        _wait,
        lambda: len(re.findall(r" session-end .*reason=quit", last.log())) >= len(staying),
        20,
        "the last instance's readers to quit",
    )
    for server in servers[2:]:
        await asyncio.to_thread(_wait, lambda s=server: not s.app_children(), 20, "apps to end")
        assert server.stop() == 0
        assert server.stderr_path.read_text() == ""
    assert os.path.exists(haproxy.stats)


PROXIED = (
    "--proxy-protocol",
    "--proxy-from",
    "127.0.0.1",
    "--health-port",
    "0",
)


def _farm(farm: dict[str, Any], tmp_path: Path, *options: str) -> HAProxy:
    key = tmp_path / "shared_host_key"
    servers: list[Server] = farm["servers"]
    backends = []
    for _ in range(3):
        server = Server(tmp_path, *PROXIED, *options, host_key=key)
        servers.append(server)
        health = re.search(r"health_port=(\d+)", server.wait_for(" listen "))
        assert health
        backends.append((server.port, int(health[1])))
    haproxy = farm["haproxy"] = HAProxy(tmp_path, backends)
    haproxy.wait_status({"serve1": "UP", "serve2": "UP", "serve3": "UP"})
    return haproxy


@pytest.mark.skipif(not (HAVE_SSH and HAVE_TMUX), reason="needs ssh and tmux")
def test_openssh_readers_through_haproxy_see_one_host_key(
    farm: dict[str, Any], tmp_path: Path
) -> None:
    """Three OpenSSH clients at once, from 127.0.0.31 to .33, land on the three
    instances (leastconn); the second and third check the host key strictly
    against what the first accepted: one key for the whole farm."""
    haproxy = _farm(farm, tmp_path)
    servers: list[Server] = farm["servers"]
    known = tmp_path / "known_hosts"
    panes = [Tmux(f"lbn-haproxy-{os.getpid()}-{n}-{time.monotonic_ns()}") for n in range(3)]
    try:
        for n, pane in enumerate(panes):
            strict = "accept-new" if n == 0 else "yes"
            command = _ssh(haproxy.port, known, "-tt", "-b", f"127.0.0.3{n + 1}")
            command[command.index("StrictHostKeyChecking=accept-new")] = (
                f"StrictHostKeyChecking={strict}"
            )
            pane.run(
                "new-session", "-d", "-s", pane.name, "-x", "80", "-y", "24",
                f"{shlex.join(command)}; echo SSH-EXIT=$?; sleep 60",
            )  # fmt: skip
            pane.wait_for("left behind", "Search", timeout=30)
        assert known.read_text().count("ssh-ed25519") == 1
        for n, server in enumerate(servers):
            sessions = re.findall(r" session session=\S+ addr=(\S+) ", server.log())
            assert len(sessions) == 1, (n, server.log())
            assert sessions[0].startswith("127.0.0.3")
        for pane in panes:
            pane.run("send-keys", "-t", pane.name, "q")
        for pane in panes:
            pane.wait_for("SSH-EXIT=0")
    finally:
        for pane in panes:
            subprocess.run(["tmux", "kill-session", "-t", pane.name], capture_output=True)
