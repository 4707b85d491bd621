"""Bounded load test of ``lbn-tui serve`` on loopback: the two ways a
reader's app starts, compared in one run.

For each start path (``--reader-start spawn``, a fresh python per reader, the
old way; then ``--reader-start zygote``, forked from a pre-loaded parent),
starts the real server and N concurrent asyncssh clients with a PTY (30 by
default), all arriving at once: each waits for the app's first screen and
stays connected.  With all N connected and idle, it reads every reader's PSS
and RSS from /proc/PID/smaps_rollup (and the zygote's), one reader's
Private_Dirty by kind of mapping from /proc/PID/smaps (what a forked reader
wrote to: heap, anon, python, other), then times a few
more readers arriving one at a time to their first screen (N already
connected).  Then the N type a search, wait for its hits and quit (Ctrl+Q);
no process or session directory may be left behind, and the server must
exit 0.  Prints each path's figures and the ratios new/old.  Exit status 1
if a check fails.

    python benchmarks/serve_load.py [--sessions 30] [--arrivals 5] [--timeout 300]
    python benchmarks/serve_load.py --only zygote     # one path

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
CHILD_MARK = b"lbn_tui"  # in each served app's command line (policy.*_BOOTSTRAP)


def serve_command() -> list[str]:
    return [sys.executable, "-m", "lbn_tui", "serve"]


def ppid(pid: int) -> int:
    fields = proc_stat(pid)
    return int(fields[1]) if fields else -1


def proc_stat(pid: int) -> list[str] | None:
    """/proc/PID/stat from field 3 on (state, ppid, pgrp, session, ...)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def app_children(server_pid: int) -> list[int]:
    """The readers' apps: live descendants of the server (its children, or its
    zygote's) that lead their own session and run lbn-tui."""
    parents: dict[int, int] = {}
    leaders = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = proc_stat(int(entry.name))
            if fields is None or fields[0] in ("Z", "X"):
                continue
            parents[int(entry.name)] = int(fields[1])
            if int(fields[3]) == int(entry.name):
                leaders.append(int(entry.name))
    found = []
    for pid in leaders:
        ancestor, hops = parents.get(pid, 0), 0
        while ancestor > 1 and ancestor != server_pid and hops < 8:
            ancestor, hops = parents.get(ancestor, 0), hops + 1
        try:
            if ancestor == server_pid and CHILD_MARK in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            pass
    return found


def zygote_of(server_pid: int) -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and ppid(int(entry.name)) == server_pid:
            try:
                if b"zygote.main" in (entry / "cmdline").read_bytes():
                    return int(entry.name)
            except OSError:
                pass
    return None


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


def private_dirty_kib(pid: int) -> dict[str, int]:
    """One process's Private_Dirty (KiB) by kind of mapping, from
    /proc/PID/smaps: what it wrote to (its copies of a zygote's pages, and
    its own new pages).  ``heap`` is the C library's heap (Python objects
    over 512 bytes), ``anon`` anonymous mappings (pymalloc's arenas, thread
    stacks), ``python`` the interpreter library's data."""
    kinds: Counter[str] = Counter()
    kind = "other"
    try:
        text = Path(f"/proc/{pid}/smaps").read_text()
    except OSError:
        return {}
    for line in text.splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            fields = line.split(None, 5)
            name = fields[5] if len(fields) > 5 else ""
            if name == "[heap]":
                kind = "heap"
            elif not name:
                kind = "anon"
            elif "libpython" in name:
                kind = "python"
            else:
                kind = "other"
        elif line.startswith("Private_Dirty:"):
            kinds[kind] += int(line.split()[1])
    return dict(kinds)


def memory_of(pids: list[int]) -> tuple[int, int]:
    """(PSS, RSS) summed over these processes, KiB, from smaps_rollup."""
    pss = sum(memory_kib(pid, "Pss", "smaps_rollup") for pid in pids)
    rss = sum(memory_kib(pid, "Rss", "smaps_rollup") for pid in pids)
    return pss, rss


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


async def held_reader(port: int, go: asyncio.Event, release: asyncio.Event) -> tuple[float, float]:
    """Arrive when ``go`` is set, wait for the first screen, stay connected
    until ``release``; then search, wait for the hits and quit.  (seconds to
    the first screen, seconds for the whole visit)."""
    await go.wait()
    begin = time.perf_counter()
    async with asyncssh.connect(
        "127.0.0.1",
        port,
        username="reader",
        known_hosts=None,
        config=None,
        client_keys=None,
        agent_path=None,
    ) as conn:
        proc = await conn.create_process(
            term_type="xterm-256color", term_size=(80, 24), encoding=None
        )
        await read_until(proc, FIRST_SCREEN, 120)
        first = time.perf_counter() - begin
        await release.wait()
        proc.stdin.write(b"/")
        await asyncio.sleep(0.3)
        proc.stdin.write(QUERY)
        await read_until(proc, b"prescrib", 60)
        await asyncio.sleep(0.5)
        proc.stdin.write(b"\x11")  # Ctrl+Q
        await read_to_end(proc, 30)
    return first, time.perf_counter() - begin


class Figures:
    """One start path's measurements."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.burst: list[float] = []  # first screens, N arriving at once
        self.arrivals: list[float] = []  # first screens, one at a time, N connected
        self.readers = 0  # processes seen with N connected
        self.pss = 0  # KiB, summed over the readers
        self.rss = 0
        self.dirty: dict[str, int] = {}  # one reader's Private_Dirty by mapping, KiB
        self.zygote_pss = 0
        self.zygote_rss = 0
        self.server_rss = 0
        self.wall = 0.0
        self.failures = 0
        self.ok = True

    def pss_per_reader(self, with_zygote: bool = False) -> float:
        extra = self.zygote_pss if with_zygote else 0
        return (self.pss + extra) / max(self.readers, 1) / 1024

    def rss_per_reader(self) -> float:
        return self.rss / max(self.readers, 1) / 1024


async def measure(port: int, server_pid: int, sessions: int, arrivals: int, out: Figures) -> None:
    go, release = asyncio.Event(), asyncio.Event()
    homes: set[Path] = set()
    tasks = [asyncio.create_task(held_reader(port, go, release)) for _ in range(sessions)]
    begin = time.perf_counter()
    go.set()
    # Wait until every reader has its first screen (or has failed).
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        done = sum(1 for t in tasks if t.done())
        if len(app_children(server_pid)) + done >= sessions:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.0)  # every first screen drawn, the apps idle
    pids = app_children(server_pid)
    out.readers = len(pids)
    out.pss, out.rss = await asyncio.to_thread(memory_of, pids)
    if pids:
        out.dirty = private_dirty_kib(pids[0])
    zygote = zygote_of(server_pid)
    if zygote is not None:
        out.zygote_pss, out.zygote_rss = memory_of([zygote])
    out.server_rss = memory_kib(server_pid, "VmRSS")
    for pid in pids:
        home = session_home(pid)
        if home is not None:
            homes.add(home)
    # New readers, one at a time, with the N still connected.
    for _ in range(arrivals):
        first, _total = await one_reader(port, _set_event())
        out.arrivals.append(first)
        await asyncio.sleep(0.5)
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    out.wall = time.perf_counter() - begin
    failures = [r for r in results if isinstance(r, BaseException)]
    for failure in failures[:5]:
        print(f"  a reader failed: {failure!r}", file=sys.stderr)
    out.failures = len(failures)
    out.burst = sorted(r[0] for r in results if not isinstance(r, BaseException))
    # Nothing left behind.
    deadline = time.monotonic() + 10
    while app_children(server_pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    left = app_children(server_pid)
    left_homes = [h for h in homes if h.exists()]
    print(f"  left behind:        {len(left)} processes, {len(left_homes)} session dirs")
    out.ok &= not left and not left_homes and not failures


def run_mode(mode: str, sessions: int, arrivals: int, timeout: float) -> Figures:
    out = Figures(mode)
    print(f"--reader-start {mode}: {sessions} readers at once, then {arrivals} one at a time")
    with tempfile.TemporaryDirectory(prefix="lbn-serve-load-") as tmp:
        log_path = Path(tmp) / "serve.log"
        command = [
            *serve_command(),
            "--host", "127.0.0.1", "--port", "0",
            "--host-key", str(Path(tmp) / "host_key"),
            "--log", str(log_path),
            "--max-sessions", str(sessions + 2),
            "--max-per-address", str(sessions + 2),
            "--reader-start", mode,
        ]  # fmt: skip
        server = subprocess.Popen(command, stderr=subprocess.PIPE)
        try:
            match = wait_log(log_path, r" listen .*port=(\d+)", 90)
            if not match:
                print("  the server did not start", file=sys.stderr)
                out.ok = False
                return out
            port = int(match.group(1))
            asyncio.run(
                asyncio.wait_for(measure(port, server.pid, sessions, arrivals, out), timeout)
            )
            text = log_path.read_text()
            ends = len(re.findall(r" session-end ", text))
            starts = Counter(re.findall(r" session session=.* start=(\w+)", text))
            print(f"  session-end lines:  {ends}; started by {dict(starts)}")
            out.ok &= ends == sessions + arrivals and set(starts) == {mode}
        except (TimeoutError, OSError) as exc:
            print(f"  failed: {exc!r}", file=sys.stderr)
            out.ok = False
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                code = server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                code = -9
        print(f"  server exit status: {code}")
        out.ok &= code == 0
    return out


def report(results: list[Figures], sessions: int) -> None:
    def median(values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    def p95(values: list[float]) -> float:
        return values[min(len(values) - 1, int(0.95 * len(values)))] if values else float("nan")

    rows: list[tuple[str, Any]] = [
        ("readers connected", lambda f: f"{f.readers}"),
        ("PSS per reader (MiB)", lambda f: f"{f.pss_per_reader():.1f}"),
        ("  + zygote's share", lambda f: f"{f.pss_per_reader(with_zygote=True):.1f}"),
        ("RSS per reader (MiB)", lambda f: f"{f.rss_per_reader():.1f}"),
        (
            "one reader's Private_Dirty",
            lambda f: " ".join(f"{k} {v / 1024:.1f}" for k, v in sorted(f.dirty.items())) + " MiB",
        ),
        ("zygote PSS/RSS (MiB)", lambda f: f"{f.zygote_pss / 1024:.1f}/{f.zygote_rss / 1024:.1f}"),
        ("server RSS (MiB)", lambda f: f"{f.server_rss / 1024:.1f}"),
        (
            f"first screen, {sessions} connected",
            lambda f: f"median {median(f.arrivals):.3f} s, max {max(f.arrivals, default=0):.3f} s",
        ),
        (
            f"first screen, {sessions} at once",
            lambda f: f"median {median(f.burst):.2f} s, p95 {p95(sorted(f.burst)):.2f} s",
        ),
        ("wall time (all visits)", lambda f: f"{f.wall:.1f} s"),
        ("failed readers", lambda f: f"{f.failures}"),
    ]
    width = max(len(name) for name, _ in rows) + 2
    print()
    print(" " * width + "".join(f"{f.mode:<46}" for f in results))
    for name, cell in rows:
        print(f"{name:<{width}}" + "".join(f"{cell(f):<46}" for f in results))
    by = {f.mode: f for f in results}
    if "spawn" in by and "zygote" in by:
        old, new = by["spawn"], by["zygote"]

        def ratio(a: float, b: float) -> str:
            return f"{a / b:.2f}" if b else "n/a"

        print()
        print("ratios new/old (zygote/spawn), same run:")
        pss = ratio(new.pss_per_reader(), old.pss_per_reader())
        print(f"  PSS per reader:                  {pss}")
        print(
            "  PSS per reader + zygote's share: "
            f"{ratio(new.pss_per_reader(True), old.pss_per_reader())}"
        )
        print(
            f"  first screen, {sessions} connected (median): "
            f"{ratio(median(new.arrivals), median(old.arrivals))}"
        )
        print(
            f"  first screen, {sessions} at once (median):  "
            f"{ratio(median(new.burst), median(old.burst))}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent readers (max 100)")
    parser.add_argument(
        "--arrivals", type=int, default=5, help="readers arriving one at a time afterwards"
    )
    parser.add_argument("--only", choices=("spawn", "zygote"), help="measure one start path only")
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
    timeout = args.timeout or 300
    sessions = max(1, min(args.sessions, MAX_SESSIONS))
    arrivals = max(1, min(args.arrivals, 20))
    modes = [args.only] if args.only else ["spawn", "zygote"]
    results = [run_mode(mode, sessions, arrivals, timeout) for mode in modes]
    report(results, sessions)
    ok = all(f.ok for f in results)
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
