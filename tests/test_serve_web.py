"""``lbn-tui serve --web`` (textual-serve): the real server in a subprocess,
driven by aiohttp WebSocket clients (limits, refusals, the app's environment)
and by Debian's headless Chromium over the DevTools protocol (the page loads,
a search is typed, its hit comes back; a screenshot is saved in the test's
tmp dir and its path printed)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
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

aiohttp = pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")

from test_serve import _environ, _serve_command, _wait  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the server is Linux-only")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WebServer:
    def __init__(self, tmp: Path, *options: str) -> None:
        self.port = _free_port()
        self.log_path = tmp / f"web-{time.monotonic_ns()}.log"
        self.out_path = self.log_path.with_suffix(".out")
        command = [
            *_serve_command(),
            "--web",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log",
            str(self.log_path),
            *options,
        ]
        with open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen(command, stdout=out, stderr=out)
        self.wait_for(r" listen .*web=")
        self.url = f"http://127.0.0.1:{self.port}/"

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.log())
            if match:
                return match
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(
            f"no {pattern!r} in the log:\n{self.log()}\n{self.out_path.read_text()}"
        )

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def web_server(tmp_path: Path) -> Iterator[Any]:
    started: list[WebServer] = []

    def start(*options: str) -> WebServer:
        server = WebServer(tmp_path, *options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


async def _ws_reader(url: str, headers: dict[str, str] | None = None) -> tuple[Any, Any]:
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(url + "ws?width=100&height=30", headers=headers or {})
    return session, ws


async def _ws_output(ws: Any, needle: bytes | None, timeout: float = 30) -> bytes:
    """Binary frames until ``needle`` (or the close, when None)."""
    seen = b""
    async with asyncio.timeout(timeout):
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                seen += message.data
                if needle is not None and needle in seen:
                    return seen
    return seen


async def test_web_limits_environment_and_no_downloads(web_server: Any) -> None:
    server = web_server(
        "--max-per-address", "1", "--max-sessions", "2", "--idle-timeout", "4",
        "--proxy-from", "127.0.0.1",
    )  # fmt: skip
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "download/anything") as response:
            assert response.status == 404
        async with http.get(server.url) as response:
            assert response.status == 200 and "lbn-tui" in await response.text()
    # One reader per address (X-Forwarded-For from the trusted proxy 127.0.0.1).
    first = await _ws_reader(server.url, {"X-Forwarded-For": "198.51.100.1"})
    second = await _ws_reader(server.url, {"X-Forwarded-For": "198.51.100.1"})
    third = await _ws_reader(server.url, {"X-Forwarded-For": "evil, 198.51.100.2"})
    try:
        assert b"__GANGLION__" not in await _ws_output(first[1], b"\x1b[")
        refusal = await _ws_output(second[1], None)
        assert b"already connected from your address" in refusal
        await _ws_output(third[1], b"\x1b[")
        match = server.wait_for(r" session session=1 addr=198\.51\.100\.1 .*pid=(\d+)")
        pid = int(match[1])
        env = _environ(pid)
        # The shell textual-serve starts hands over to the app itself.
        assert b"TIOCSCTTY" not in Path(f"/proc/{pid}/cmdline").read_bytes()
        assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[1] == b"-I"
        assert env["LBN_TUI_SERVED"] == "1"
        assert env["HOME"].startswith("/tmp/lbn-tui-web-session-")
        assert not any(k.startswith(("PYTHON", "LD_")) for k in env)
        assert "PYTEST_CURRENT_TEST" not in env
        server.wait_for(r" session session=\d+ addr=198\.51\.100\.2 ")
        # Idle: no input for 4 s ends both sessions with a message.
        assert b"without a key press" in await _ws_output(first[1], None, timeout=20)
        server.wait_for(r" session-end session=1 .*reason=idle")
        _wait(lambda: not Path(env["HOME"]).exists(), 10, "the session's home to go")
        _wait(lambda: not Path(f"/proc/{pid}").exists(), 10, "the app to end")
    finally:
        for session, ws in (first, second, third):
            await ws.close()
            await session.close()
    assert server.stop() == 0


def test_web_options_go_together(tmp_path: Path) -> None:
    result = subprocess.run(
        [*_serve_command(), "--web", "--proxy-protocol", "--proxy-from", "127.0.0.1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "--web serves HTTP" in result.stderr
    result = subprocess.run(
        [*_serve_command(), "--web", "--authorized-keys", str(tmp_path / "keys")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "--web has no logins" in result.stderr


# --------------------------------------------------------------------------
# A real browser.


class Chromium:
    """Headless Chromium driven over the DevTools protocol (aiohttp WebSocket)."""

    def __init__(self, tmp: Path) -> None:
        assert CHROMIUM is not None
        self.profile = tmp / "chromium-profile"
        self.profile.mkdir()
        self.stderr = tmp / "chromium.stderr"
        with open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(
                [
                    CHROMIUM,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={self.profile}",
                    "--remote-debugging-port=0",
                    "--window-size=1280,800",
                    "about:blank",
                ],
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        self.frames: list[bytes] = []
        self._id = 0

    async def connect(self) -> None:
        port_file = self.profile / "DevToolsActivePort"
        await asyncio.to_thread(
            _wait, lambda: port_file.exists() and port_file.read_text().strip(), 30, "Chromium"
        )
        port = int(port_file.read_text().split()[0])
        self.http = aiohttp.ClientSession()
        async with self.http.get(f"http://127.0.0.1:{port}/json") as response:
            targets = await response.json()
        page = next(t for t in targets if t["type"] == "page")
        self.ws = await self.http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        ident = self._id
        await self.ws.send_json({"id": ident, "method": method, "params": params})
        async with asyncio.timeout(30):
            while True:
                message = json.loads((await self.ws.receive()).data)
                if message.get("method") == "Network.webSocketFrameReceived":
                    response = message["params"]["response"]
                    data = response["payloadData"]
                    self.frames.append(
                        base64.b64decode(data) if response.get("opcode") == 2 else data.encode()
                    )
                if message.get("id") == ident:
                    return dict(message.get("result", {}))

    async def type(self, text: str) -> None:
        for char in text:
            await self.call(
                "Input.dispatchKeyEvent", type="keyDown", key=char, text=char, unmodifiedText=char
            )
            await self.call("Input.dispatchKeyEvent", type="keyUp", key=char)

    async def received(self, needle: bytes, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in b"".join(self.frames):
                return True
            await self.call("Runtime.evaluate", expression="1")  # collect events
            await asyncio.sleep(0.2)
        return False

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
            await self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (Debian package; .ci/run installs it)")
async def test_a_real_browser_searches(web_server: Any, tmp_path: Path) -> None:
    server = web_server()
    browser = Chromium(tmp_path)
    try:
        await browser.connect()
        await browser.call("Network.enable")
        await browser.call("Page.enable")
        await browser.call("Page.navigate", url=server.url)
        # The app's first screen arrives over the page's WebSocket.
        assert await browser.received(b"behind", 60), browser.stderr.read_text()[-2000:]
        await asyncio.sleep(1.0)
        focused = await browser.call(
            "Runtime.evaluate",
            expression="document.querySelector('textarea.xterm-helper-textarea').focus() || 1",
        )
        assert "exceptionDetails" not in focused, focused
        await browser.type("/")
        await asyncio.sleep(1.5)  # the search panel is mounted on the first /
        before = len(b"".join(browser.frames))
        await browser.type("social prescribing")
        # The hits, not just the echo of the query: the count and a hit's text.
        assert await browser.received(b" hits", 30)
        assert await browser.received(b"engine room", 30)
        assert b"engine room" in b"".join(browser.frames)[before:]
        await asyncio.sleep(1.0)  # let the page draw the hits
        shot = await browser.call("Page.captureScreenshot", format="png")
        path = tmp_path / "web-search.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        print(f"screenshot: {path}")
        assert path.stat().st_size > 10_000
        server.wait_for(r" session session=1 addr=127\.0\.0\.1 web=1 ")
    finally:
        await browser.close()
    server.wait_for(r" session-end session=1 ", timeout=30)
    assert server.stop() == 0
