"""Hostile readers against ``lbn-tui serve`` on loopback, with memory measured.

Starts the real server, then at once, each from its own loopback address:

- **resize**: sends the in-band resize report ``ESC[48;20000;20000;0;0t`` as
  input (it once grew a served app to 3.7 GB in a minute);
- **paste**: opens a bracketed paste (``ESC[200~``) and sends 40 MB that never
  end it (once kept at about 37 bytes per character);
- **keys**: types as fast as the connection takes it for 20 s;
- **normal**: a reader who presses a key every second and times the answer.

The server's RSS plus the RSS of all its children is sampled every 0.1 s
throughout.  Prints the peak, the outcome for each reader, and whether the
server is unharmed (still running, a new reader gets in, nothing on its
stderr, no process left).  Exit status 1 if a check fails.

    python benchmarks/serve_hostile_readers.py [--paste-mb 40] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncssh

FIRST_SCREEN = b"behind"  # on the app's first screen ("... 'left behind' ...")
PASTE_NOTICE = b"The paste was longer than"
RSS_LIMIT_MIB = 600
CURSOR_MOVE = re.compile(rb"\x1b\[(\d+);\d+H")


def serve_command() -> list[str]:
    return [sys.executable, "-m", "lbn_tui", "serve"]


def ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def children(pid: int) -> list[int]:
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and ppid(int(entry.name)) == pid
    ]


def rss_kib(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


class Sampler:
    """Peak of the server's RSS plus all its children's, every 0.1 s."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.peak_total = 0
        self.peak_server = 0
        self.peak_child = 0
        self.samples = 0

    def sample(self) -> None:
        server = rss_kib(self.server_pid)
        kids = [rss_kib(pid) for pid in children(self.server_pid)]
        self.peak_total = max(self.peak_total, server + sum(kids))
        self.peak_server = max(self.peak_server, server)
        self.peak_child = max([self.peak_child, *kids])
        self.samples += 1

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(0.1)


async def connect(port: int, address: str) -> asyncssh.SSHClientConnection:
    return await asyncssh.connect(
        "127.0.0.1",
        port,
        local_addr=(address, 0),
        username="reader",
        known_hosts=None,
        config=None,
        client_keys=None,
        agent_path=None,
    )


class Screen:
    """Everything a reader's channel brings, read in the background."""

    def __init__(self, proc: asyncssh.SSHClientProcess[bytes]) -> None:
        self.proc = proc
        self.data = bytearray()
        self.closed = asyncio.Event()
        self.last = time.monotonic()
        self.rows = 0  # the lowest row the app moved the cursor to
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while chunk := await self.proc.stdout.read(65536):
                self.data += chunk
                self.last = time.monotonic()
                for row in CURSOR_MOVE.findall(chunk):
                    self.rows = max(self.rows, int(row))
                del self.data[: max(0, len(self.data) - (1 << 20))]  # the last MiB
        except (asyncssh.Error, OSError):
            pass
        self.closed.set()

    async def wait_for(self, needle: bytes, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while needle not in self.data and time.monotonic() < deadline:
            if self.closed.is_set():
                return needle in self.data
            await asyncio.sleep(0.05)
        return needle in self.data


async def open_reader(port: int, address: str) -> tuple[asyncssh.SSHClientConnection, Screen]:
    conn = await connect(port, address)
    proc = await conn.create_process(term_type="xterm-256color", term_size=(80, 24), encoding=None)
    screen = Screen(proc)
    if not await screen.wait_for(FIRST_SCREEN, 60):
        raise RuntimeError(f"no first screen from {address}")
    return conn, screen


async def quit_reader(conn: asyncssh.SSHClientConnection, screen: Screen) -> str:
    """Escape, then Ctrl+Q; how the session ended."""
    if screen.closed.is_set():
        return "session closed by the server"
    screen.proc.stdin.write(b"\x1b")
    await asyncio.sleep(0.5)
    screen.proc.stdin.write(b"\x11")
    try:
        await asyncio.wait_for(screen.closed.wait(), 60)
        result = "quit normally"
    except TimeoutError:
        result = "did not quit within 60 s"
    conn.close()
    return result


async def resize_reader(port: int, seconds: float) -> str:
    conn, screen = await open_reader(port, "127.0.0.2")
    screen.proc.stdin.write(b"\x1b[48;20000;20000;0;0t")
    await asyncio.sleep(seconds)
    still = "session still open" if not screen.closed.is_set() else "session closed"
    drawn = f"app drew {screen.rows} rows at most (20000 asked)"
    return f"{drawn}, {still}; {await quit_reader(conn, screen)}"


async def paste_reader(port: int, megabytes: int) -> str:
    conn, screen = await open_reader(port, "127.0.0.3")
    stdin = screen.proc.stdin
    stdin.write(b"\x1b[200~")
    chunk = ("lorem ipsum dolor sit amet € ü " * 2048).encode()
    sent, began = 0, time.monotonic()
    while sent < megabytes * 1_000_000 and not screen.closed.is_set():
        stdin.write(chunk)
        await stdin.drain()
        sent += len(chunk)
    took = time.monotonic() - began
    told = await screen.wait_for(PASTE_NOTICE, 30)
    outcome = (
        f"{sent / 1e6:.0f} MB sent in {took:.0f} s, "
        f"{'paste cut, reader told' if told else 'NO NOTICE'}"
    )
    stdin.write(b"\x1b[201~")  # the paste's own end: keys are keys again
    await asyncio.sleep(0.5)
    return f"{outcome}; {await quit_reader(conn, screen)}"


async def keys_reader(port: int, seconds: float) -> str:
    """Keys as fast as they are taken; then the reader goes (a backlog of
    keys is the reader's own: the server holds at most its buffers of it)."""
    conn, screen = await open_reader(port, "127.0.0.4")
    sent, began = 0, time.monotonic()
    while time.monotonic() - began < seconds and not screen.closed.is_set():
        screen.proc.stdin.write(b"x" * 4096)
        try:
            await asyncio.wait_for(screen.proc.stdin.drain(), 0.5)
        except TimeoutError:
            continue  # the server has stopped reading: the app is behind
        sent += 4096
    conn.abort()
    return f"{sent / 1e3:.0f} kB of keys taken in {seconds:g} s; the reader left"


async def normal_reader(port: int, seconds: float) -> tuple[str, bool]:
    conn, screen = await open_reader(port, "127.0.0.1")
    answers: list[float] = []
    began = time.monotonic()
    down = True
    while time.monotonic() - began < seconds and not screen.closed.is_set():
        before = len(screen.data), time.monotonic()
        screen.proc.stdin.write(b"\x1b[B" if down else b"\x1b[A")
        down = not down
        while screen.last < before[1] and time.monotonic() - before[1] < 10:
            await asyncio.sleep(0.005)
        answers.append(screen.last - before[1])
        await asyncio.sleep(1)
    worst = max(answers) if answers else float("inf")
    ended = await quit_reader(conn, screen)
    ok = bool(answers) and worst < 5 and ended == "quit normally"
    return (
        f"{len(answers)} keys, answer median {sorted(answers)[len(answers) // 2] * 1000:.0f} ms, "
        f"worst {worst * 1000:.0f} ms; {ended}",
        ok,
    )


async def run(
    port: int, server_pid: int, args: argparse.Namespace
) -> tuple[dict[str, str], bool, Sampler]:
    sampler = Sampler(server_pid)
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop))
    results = await asyncio.gather(
        resize_reader(port, args.seconds),
        paste_reader(port, args.paste_mb),
        keys_reader(port, args.seconds),
        normal_reader(port, args.seconds + 10),
        return_exceptions=True,
    )
    stop.set()
    await sampling
    names = ["resize", "paste", "keys", "normal"]
    outcomes: dict[str, str] = {}
    ok = True
    for name, result in zip(names, results, strict=True):
        if isinstance(result, BaseException):
            outcomes[name] = f"FAILED: {result!r}"
            ok = False
        elif isinstance(result, tuple):
            outcomes[name], fine = result
            ok &= fine
        else:
            outcomes[name] = result
            ok &= "quit normally" in result or "left" in result
    return outcomes, ok, sampler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paste-mb", type=int, default=40, help="size of the endless paste")
    parser.add_argument("--seconds", type=float, default=20, help="how long the attacks go on")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lbn-serve-hostile-") as tmp:
        log_path = Path(tmp) / "serve.log"
        err_path = Path(tmp) / "serve.stderr"
        command = [
            *serve_command(),
            "--host", "127.0.0.1", "--port", "0",
            "--host-key", str(Path(tmp) / "host_key"),
            "--log", str(log_path),
        ]  # fmt: skip
        with open(err_path, "wb") as err:
            server = subprocess.Popen(command, stderr=err)
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
            began = time.monotonic()
            outcomes, ok, sampler = asyncio.run(asyncio.wait_for(run(port, server.pid, args), 300))
            print(f"wall time:                {time.monotonic() - began:.0f} s")
            for name, outcome in outcomes.items():
                print(f"reader {name + ':':<18}{outcome}")
            total = sampler.peak_total / 1024
            print(
                f"peak RSS, server + apps:  {total:.0f} MiB "
                f"(limit {RSS_LIMIT_MIB}; {sampler.samples} samples every 0.1 s)"
            )
            print(f"peak RSS, server:         {sampler.peak_server / 1024:.0f} MiB")
            print(f"peak RSS, one app:        {sampler.peak_child / 1024:.0f} MiB")
            ok &= total < RSS_LIMIT_MIB

            deadline = time.monotonic() + 10
            while children(server.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            after = asyncio.run(asyncio.wait_for(_a_new_reader(port), 60))
            left = children(server.pid)
            print(f"a new reader after:       {after}")
            print(f"left behind:              {len(left)} processes")
            ok &= after == "quit normally" and not left
            log = log_path.read_text()
            crashes = len(re.findall(r" crash ", log))
            print(
                f"log:                      {crashes} crash lines, "
                f"{len(re.findall(r' session-end ', log))} session-end lines"
            )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                code = server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                code = -9
        stderr = err_path.read_text()
        print(f"server stderr:            {len(stderr)} bytes")
        print(f"server exit status:       {code}")
        ok &= code == 0 and not stderr
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


async def _a_new_reader(port: int) -> str:
    conn, screen = await open_reader(port, "127.0.0.5")
    return await quit_reader(conn, screen)


if __name__ == "__main__":
    raise SystemExit(main())
