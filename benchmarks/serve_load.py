"""Bounded load test of ``lbn-tui serve`` on loopback.

Starts the real server, then N concurrent asyncssh clients, each with a PTY:
wait for the app's first screen, type a search, wait for its hits, quit (Ctrl+Q).
Prints sessions/s, time to first screen, and memory at the peak (RSS and PSS
of the app processes per session, the server's RSS); then checks that no
process or session directory is left behind and that the server still takes
a new reader.  Exit status 1 if a check fails.

    python benchmarks/serve_load.py [--sessions 30] [--timeout 180]

``--haproxy N`` runs N servers (``--proxy-protocol``, one shared host key,
``--health-port``) behind a real HAProxy (Debian's package; TCP mode,
``send-proxy-v2``, ``tcp-check``, ``balance leastconn``) and sends the readers
(100 by default) through it from 50 loopback addresses, two each; prints
sessions served and lost, first-screen times and how the readers were spread.

    python benchmarks/serve_load.py --haproxy 3 [--sessions 100]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncssh

MAX_SESSIONS = 100
FIRST_SCREEN = b"behind"  # on the app's first screen ("... 'left behind' ...")
QUERY = b"social prescribing"
CHILD_MARK = b"TIOCSCTTY"  # in each served app's command line


def serve_command() -> list[str]:
    import contextlib
    import io

    from lbn_tui.cli import build_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            build_parser().parse_args(["serve", "--port", "0"])
    except SystemExit:
        return [sys.executable, "-m", "lbn_tui.serve", "serve"]
    return [sys.executable, "-m", "lbn_tui", "serve"]


def ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def app_children(server_pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and ppid(int(entry.name)) == server_pid:
            try:
                if CHILD_MARK in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def memory_kib(pid: int, field: str, source: str = "status") -> int:
    try:
        text = Path(f"/proc/{pid}/{source}").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


def session_home(pid: int) -> Path | None:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    for item in raw.split(b"\0"):
        if item.startswith(b"HOME="):
            return Path(item[5:].decode())
    return None


class Sampler:
    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.peak_children = 0
        self.peak_rss = 0  # sum over the app processes, KiB
        self.peak_pss = 0
        self.peak_server_rss = 0
        self.homes: set[Path] = set()

    def sample(self) -> None:
        children = app_children(self.server_pid)
        rss = sum(memory_kib(pid, "VmRSS") for pid in children)
        pss = sum(memory_kib(pid, "Pss", "smaps_rollup") for pid in children)
        if len(children) > self.peak_children or (
            len(children) == self.peak_children and rss > self.peak_rss
        ):
            self.peak_children, self.peak_rss, self.peak_pss = len(children), rss, pss
        self.peak_server_rss = max(self.peak_server_rss, memory_kib(self.server_pid, "VmRSS"))
        for pid in children:
            home = session_home(pid)
            if home is not None:
                self.homes.add(home)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(0.2)


async def read_until(proc: asyncssh.SSHClientProcess[bytes], needle: bytes, seconds: float) -> None:
    seen = b""
    try:
        async with asyncio.timeout(seconds):
            while needle not in seen:
                chunk = await proc.stdout.read(65536)
                if not chunk:
                    raise ConnectionError(f"closed before {needle!r}")
                seen = seen[-4096:] + chunk
    except TimeoutError:
        raise TimeoutError(f"no {needle!r} after {seconds}s; last {seen[-300:]!r}") from None


async def read_to_end(proc: asyncssh.SSHClientProcess[bytes], seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            while await proc.stdout.read(65536):
                pass
    except TimeoutError:
        raise TimeoutError(f"still open {seconds}s after q") from None


async def one_reader(
    port: int, started: asyncio.Event, source: str | None = None
) -> tuple[float, float]:
    """(seconds to the first screen, seconds for the whole visit)."""
    await started.wait()
    begin = time.perf_counter()
    async with asyncssh.connect(
        "127.0.0.1",
        port,
        local_addr=(source, 0) if source else None,
        username="reader",
        known_hosts=None,
        config=None,
        client_keys=None,
        agent_path=None,
    ) as conn:
        proc = await conn.create_process(
            term_type="xterm-256color", term_size=(80, 24), encoding=None
        )
        await read_until(proc, FIRST_SCREEN, 60)
        first = time.perf_counter() - begin
        proc.stdin.write(b"/")
        await asyncio.sleep(0.3)
        proc.stdin.write(QUERY)
        await read_until(proc, b"prescrib", 30)
        await asyncio.sleep(0.5)
        # Ctrl+Q quits from anywhere; Escape then q can reach a busy app as one
        # Alt+Q, as in any terminal.
        proc.stdin.write(b"\x11")
        await read_to_end(proc, 30)
    return first, time.perf_counter() - begin


async def load(
    port: int, server_pid: int, sessions: int
) -> tuple[list[tuple[float, float]], float, Sampler]:
    sampler = Sampler(server_pid)
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop))
    go = asyncio.Event()
    tasks = [asyncio.create_task(one_reader(port, go)) for _ in range(sessions)]
    begin = time.perf_counter()
    go.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter() - begin
    stop.set()
    await sampling
    failures = [r for r in results if isinstance(r, BaseException)]
    for failure in failures[:5]:
        print(f"  a reader failed: {failure!r}", file=sys.stderr)
    good = [r for r in results if not isinstance(r, BaseException)]
    return good, elapsed, sampler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent readers (max 100)")
    parser.add_argument("--timeout", type=float, default=None, help="give up after S seconds")
    parser.add_argument(
        "--haproxy",
        type=int,
        metavar="N",
        default=0,
        help="N servers behind a real HAProxy (default readers: 100)",
    )
    args = parser.parse_args(argv)
    if args.haproxy:
        return main_haproxy(args)
    args.timeout = args.timeout or 180
    sessions = max(1, min(args.sessions, MAX_SESSIONS))

    with tempfile.TemporaryDirectory(prefix="lbn-serve-load-") as tmp:
        log_path = Path(tmp) / "serve.log"
        command = [
            *serve_command(),
            "--host", "127.0.0.1", "--port", "0",
            "--host-key", str(Path(tmp) / "host_key"),
            "--log", str(log_path),
            "--max-sessions", str(sessions + 1),
            "--max-per-address", str(sessions + 1),
        ]  # fmt: skip
        server = subprocess.Popen(command, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            port = 0
            while time.monotonic() < deadline and not port:
                text = log_path.read_text() if log_path.exists() else ""
                match = re.search(r" listen .*port=(\d+)", text)
                port = int(match.group(1)) if match else 0
                time.sleep(0.05)
            if not port:
                print("the server did not start", file=sys.stderr)
                return 1
            runner = asyncio.wait_for(load(port, server.pid, sessions), args.timeout)
            results, elapsed, sampler = asyncio.run(runner)

            ok = True
            firsts = sorted(r[0] for r in results)
            print(f"readers:              {len(results)}/{sessions} completed")
            print(f"wall time:            {elapsed:.1f} s")
            print(f"sessions/s:           {len(results) / elapsed:.2f}")
            if firsts:
                p95 = firsts[min(len(firsts) - 1, int(0.95 * len(firsts)))]
                print(
                    f"first screen:         median {statistics.median(firsts):.2f} s, "
                    f"p95 {p95:.2f} s, max {firsts[-1]:.2f} s"
                )
            n = max(sampler.peak_children, 1)
            print(f"peak app processes:   {sampler.peak_children}")
            print(
                f"memory per session:   RSS {sampler.peak_rss / n / 1024:.1f} MiB, "
                f"PSS {sampler.peak_pss / n / 1024:.1f} MiB "
                f"(sum {sampler.peak_rss / 1024:.0f} MiB RSS)"
            )
            print(f"server RSS (peak):    {sampler.peak_server_rss / 1024:.1f} MiB")
            ok &= len(results) == sessions

            deadline = time.monotonic() + 10
            while app_children(server.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            left = app_children(server.pid)
            left_homes = [h for h in sampler.homes if h.exists()]
            print(f"left behind:          {len(left)} processes, {len(left_homes)} session dirs")
            ok &= not left and not left_homes

            after = asyncio.run(asyncio.wait_for(one_reader(port, _set_event()), 60))
            print(f"a new reader after:   first screen in {after[0]:.2f} s")
            ends = len(re.findall(r" session-end ", log_path.read_text()))
            print(f"log session-end lines: {ends}")
            ok &= ends == sessions + 1
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                code = server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                code = -9
        print(f"server exit status:   {code}")
        ok &= code == 0
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


# --------------------------------------------------------------------------
# --haproxy N


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def haproxy_config(front: int, backends: list[tuple[int, int]]) -> str:
    """deploy/haproxy/haproxy.cfg's settings on loopback ports."""
    servers = "\n".join(
        f"    server serve{i} 127.0.0.1:{port} check port {health}"
        for i, (port, health) in enumerate(backends, 1)
    )
    return f"""\
global
    maxconn 2000

defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    retries 1
    option redispatch

frontend ssh
    bind 127.0.0.1:{front}
    default_backend lbn_tui

backend lbn_tui
    balance leastconn
    option tcp-check
    tcp-check expect string ok
    timeout check 5s
    default-server send-proxy-v2 check inter 2s fall 2 rise 2
{servers}
"""


def wait_log(path: Path, pattern: str, seconds: float) -> re.Match[str] | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        match = re.search(pattern, text)
        if match:
            return match
        time.sleep(0.05)
    return None


def wait_up(port: int, seconds: float) -> bool:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.settimeout(2)
                if sock.recv(20).startswith(b"SSH-2.0-lbn_tui"):
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


async def load_through(port: int, sessions: int) -> tuple[list[Any], float]:
    go = asyncio.Event()
    sources = [f"127.0.1.{1 + i // 2}" for i in range(sessions)]  # 2 readers per address
    tasks = [asyncio.create_task(one_reader(port, go, source)) for source in sources]
    begin = time.perf_counter()
    go.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    return list(results), time.perf_counter() - begin


def main_haproxy(args: argparse.Namespace) -> int:
    import shutil

    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        print("needs haproxy (apt-get install haproxy)", file=sys.stderr)
        return 1
    instances = max(1, min(args.haproxy, 10))
    sessions = max(1, min(args.sessions if args.sessions != 30 else 100, 200))
    per_instance = sessions // instances + 20  # leastconn is not perfectly even
    timeout = args.timeout or 600
    ok = True
    servers: list[subprocess.Popen[bytes]] = []
    proxy: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="lbn-serve-haproxy-") as tmp:
        logs = [Path(tmp) / f"serve{i}.log" for i in range(1, instances + 1)]
        try:
            backends = []
            for log_path in logs:
                command = [
                    *serve_command(),
                    "--host", "127.0.0.1", "--port", "0",
                    "--host-key", str(Path(tmp) / "host_key"),
                    "--log", str(log_path),
                    "--proxy-protocol", "--proxy-from", "127.0.0.1",
                    "--health-port", "0",
                    "--max-sessions", str(per_instance),
                    "--max-per-address", "4",
                ]  # fmt: skip
                servers.append(subprocess.Popen(command))
                match = wait_log(log_path, r" listen .*port=(\d+) .*health_port=(\d+)", 30)
                if not match:
                    print("a server did not start", file=sys.stderr)
                    return 1
                backends.append((int(match.group(1)), int(match.group(2))))
            front = free_port()
            config = Path(tmp) / "haproxy.cfg"
            config.write_text(haproxy_config(front, backends))
            proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)])
            if not wait_up(front, 15):
                print("HAProxy did not come up", file=sys.stderr)
                return 1
            time.sleep(2.5)  # every backend's first health check
            results, elapsed = asyncio.run(asyncio.wait_for(load_through(front, sessions), timeout))
            good = [r for r in results if not isinstance(r, BaseException)]
            lost = [r for r in results if isinstance(r, BaseException)]
            for failure in lost[:5]:
                print(f"  a reader failed: {failure!r}", file=sys.stderr)
            firsts = sorted(r[0] for r in good)
            print(f"instances:            {instances} behind HAProxy (send-proxy-v2, leastconn)")
            print(f"readers:              {sessions} at once from {(sessions + 1) // 2} addresses")
            print(f"sessions served:      {len(good)}")
            print(f"sessions lost:        {len(lost)}")
            print(f"wall time:            {elapsed:.1f} s ({len(good) / elapsed:.2f} sessions/s)")
            if firsts:
                p95 = firsts[min(len(firsts) - 1, int(0.95 * len(firsts)))]
                print(
                    f"first screen:         min {firsts[0]:.2f} s, median "
                    f"{statistics.median(firsts):.2f} s, p95 {p95:.2f} s, max {firsts[-1]:.2f} s"
                )
            spread = [len(re.findall(r" session session=", p.read_text())) for p in logs]
            print(f"sessions per instance: {', '.join(map(str, spread))}")
            proxied = sum(
                len(
                    re.findall(
                        r" connect conn=\d+ addr=127\.0\.1\.\d+ .*via=127\.0\.0\.1:", p.read_text()
                    )
                )
                for p in logs
            )
            print(f"real addresses seen:  {proxied} connections logged with the reader's address")
            ok &= not lost and proxied >= sessions
            texts = "".join(p.read_text() for p in logs)
            reasons = Counter(re.findall(r" session-end .*reason=(\w+)", texts))
            print(f"session ends:         {dict(sorted(reasons.items()))}")
            for line in re.findall(r"^.* (?:crash|error|refuse) .*$", texts, re.M)[:5]:
                print(f"  log: {line[:200]}", file=sys.stderr)
            deadline = time.monotonic() + 15
            while any(app_children(s.pid) for s in servers) and time.monotonic() < deadline:
                time.sleep(0.1)
            left = sum(len(app_children(s.pid)) for s in servers)
            print(f"left behind:          {left} processes")
            ok &= left == 0
        finally:
            if proxy is not None:
                proxy.terminate()
                proxy.wait(10)
            codes = []
            for server in servers:
                server.send_signal(signal.SIGTERM)
                try:
                    codes.append(server.wait(20))
                except subprocess.TimeoutExpired:
                    server.kill()
                    codes.append(-9)
        print(f"server exit statuses: {codes}")
        ok &= all(code == 0 for code in codes)
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


def _set_event() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event


if __name__ == "__main__":
    raise SystemExit(main())
