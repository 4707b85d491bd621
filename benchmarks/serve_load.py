"""Bounded load test of ``lbn-tui serve`` on loopback.

Starts the real server, then N concurrent asyncssh clients, each with a PTY:
wait for the app's first screen, type a search, wait for its hits, quit (Ctrl+Q).
Prints sessions/s, time to first screen, and memory at the peak (RSS and PSS
of the app processes per session, the server's RSS); then checks that no
process or session directory is left behind and that the server still takes
a new reader.  Exit status 1 if a check fails.

    python benchmarks/serve_load.py [--sessions 30] [--timeout 180]
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
from pathlib import Path

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


async def one_reader(port: int, started: asyncio.Event) -> tuple[float, float]:
    """(seconds to the first screen, seconds for the whole visit)."""
    await started.wait()
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent readers (max 100)")
    parser.add_argument("--timeout", type=float, default=180, help="give up after S seconds")
    args = parser.parse_args()
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


def _set_event() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event


if __name__ == "__main__":
    raise SystemExit(main())
