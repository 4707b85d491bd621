"""``lbn-tui serve --web``: the browser in a web browser, through textual-serve.

Imported only by :func:`lbn_tui.serve.run_serve` when ``--web`` is given, and
the only module that imports textual-serve (and aiohttp); install it with
``pip install 'lbn-tui[web]'``.  No asyncssh here.

Each WebSocket gets its own ``lbn-tui`` process (textual-serve's
``AppService``), started like an SSH reader's: ``python -I``, the same
``--briefings``, a 1 GiB address-space limit, an environment built from
scratch with ``LBN_TUI_SERVED=1`` and a fresh ``HOME`` removed at the end.
The limits of ``serve`` apply: ``--max-sessions``, ``--max-per-address``
(the peer's address, or the rightmost ``X-Forwarded-For`` entry when the peer
is a ``--proxy-from`` reverse proxy), ``--idle-timeout`` (only the reader's
keys and clicks count), window sizes clamped to 1000 x 500.  File downloads
and links sent to the browser are refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import shutil
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from lbn_tui.serve import policy, proxy
from lbn_tui.serve.options import ServeConfig

MAX_COLUMNS = 1000
MAX_ROWS = 500
#: The largest WebSocket message taken from a browser (keys, a paste, a resize).
MAX_MESSAGE_BYTES = 64 * 1024
#: A paste is cut to this many characters (as over SSH).
MAX_STDIN_CHARS = 16_384
#: The web child cannot claim a controlling terminal (its stdin is a pipe).
WEB_BOOTSTRAP = policy.CHILD_BOOTSTRAP.replace("fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n", "")


def web_child_command(config: ServeConfig) -> str:
    """The shell command textual-serve runs for each reader: ``exec``, so that
    the process textual-serve holds (and kills if it must) is the app."""
    argv = policy.child_argv(config.folders, config.with_bundled)
    argv[3] = WEB_BOOTSTRAP  # [python, -I, -c, BOOTSTRAP, ...]
    return "exec " + shlex.join(argv)


def _clamp(value: object, default: int, limit: int) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    return min(max(number, 1), limit)


class ReaderAppService(AppService):
    """One reader's app: a clean environment, its own home, clamped sizes,
    no downloads or links."""

    def __init__(self, *args: Any, log: policy.EventLog, session: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log = log
        self.session = session
        self.home = Path(tempfile.mkdtemp(prefix="lbn-tui-web-session-"))

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        state = self.home / "state"
        state.mkdir(mode=0o700, exist_ok=True)
        env = policy.child_environment({}, policy.DEFAULT_TERM, self.home, state)
        env.update(
            {
                "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
                "TEXTUAL_FPS": "60",
                "TEXTUAL_COLOR_SYSTEM": "truecolor",
                "TERM_PROGRAM": "textual",
                "COLUMNS": str(_clamp(width, 80, MAX_COLUMNS)),
                "ROWS": str(_clamp(height, 24, MAX_ROWS)),
            }
        )
        return env

    async def set_terminal_size(self, width: int, height: int) -> None:
        await super().set_terminal_size(
            _clamp(width, 80, MAX_COLUMNS), _clamp(height, 24, MAX_ROWS)
        )

    async def on_meta(self, data: bytes) -> None:
        try:
            kind = json.loads(data).get("type")
        except (ValueError, AttributeError):
            return
        if kind in ("open_url", "deliver_file_start"):
            self.log("refuse", session=self.session, what=kind)
            return
        await super().on_meta(data)

    async def on_packed(self, payload: bytes) -> None:
        return  # file chunks: no downloads

    def pid(self) -> int:
        return self._process.pid if self._process is not None else 0

    async def stop(self) -> None:
        with contextlib.suppress(TimeoutError, OSError, RuntimeError):
            await asyncio.wait_for(super().stop(), 5)
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(OSError):
                process.send_signal(signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5)
        self._log_crash()
        shutil.rmtree(self.home, ignore_errors=True)

    def _log_crash(self) -> None:
        """An exception that escaped the app is in $HOME/crash.txt: its last line
        goes to the log, as for an SSH reader."""
        try:
            text = (self.home / "crash.txt").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        status = self._process.returncode if self._process is not None else None
        self.log("crash", session=self.session, status=status, error=(lines or ["-"])[-1][:300])


class WebReadingRoom(Server):
    """textual-serve's server with our limits and log; no download route."""

    def __init__(self, config: ServeConfig, log: policy.EventLog, public_url: str | None) -> None:
        super().__init__(
            web_child_command(config),
            host=config.host,
            port=config.port,
            title="lbn-tui",
            public_url=public_url,
        )
        self.log = log
        self.max_sessions = config.max_sessions
        self.max_per_address = config.max_per_address
        self.idle_timeout = config.idle_timeout
        self.proxies = proxy.ProxyAllowList(config.proxy_from)
        self.sessions: dict[str, ReaderAppService] = {}
        self.by_address: Counter[str] = Counter()
        self._next = 0

    def initialize_logging(self) -> None:
        pass  # our EventLog, not Rich

    async def on_startup(self, app: web.Application) -> None:
        self.log(
            "listen",
            host=self.host,
            port=self.port,
            web=self.public_url,
            max_sessions=self.max_sessions,
            max_per_address=self.max_per_address,
            idle_timeout=f"{self.idle_timeout:g}",
            **({"proxy_from": str(self.proxies)} if self.proxies.networks else {}),
        )

    async def _make_app(self) -> web.Application:
        """textual-serve's routes but the download route (and no folder
        listings of the static files)."""
        app = web.Application(client_max_size=MAX_MESSAGE_BYTES)
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    def reader_address(self, request: web.Request) -> str:
        peer = request.remote or "?"
        if peer in self.proxies:
            forwarded = request.headers.get("X-Forwarded-For", "")
            last = forwarded.split(",")[-1].strip()
            if last:
                return last[:64]
        return peer

    async def on_shutdown(self, app: web.Application) -> None:
        self.log("shutdown", sessions=len(self.sessions))
        await asyncio.gather(*(s.stop() for s in list(self.sessions.values())))

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE_BYTES)
        await websocket.prepare(request)
        address = self.reader_address(request)
        self._next += 1
        session = str(self._next)
        refusal = None
        if len(self.sessions) >= self.max_sessions:
            refusal = (
                f"lbn-tui: the reading room is full ({self.max_sessions} readers); try again later"
            )
        elif self.by_address[address] >= self.max_per_address:
            refusal = (
                f"lbn-tui: {self.max_per_address} readers are already connected from your "
                "address; close one, or try again later"
            )
        if refusal:
            self.log("refuse", session=session, addr=address, what="limit", message=refusal)
            await websocket.send_bytes(refusal.encode() + b"\r\n")
            await websocket.close()
            return websocket
        width = _clamp(request.query.get("width", "80"), 80, MAX_COLUMNS)
        height = _clamp(request.query.get("height", "24"), 24, MAX_ROWS)
        service = ReaderAppService(
            self.command,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            log=self.log,
            session=session,
        )
        self.sessions[session] = service
        self.by_address[address] += 1
        started = time.monotonic()
        reason = "quit"
        try:
            await service.start(width, height)
            self.log(
                "session",
                session=session,
                addr=address,
                web=1,
                size=f"{width}x{height}",
                pid=service.pid(),
                readers=len(self.sessions),
            )
            reason = await self._pump(websocket, service)
        except (OSError, RuntimeError, ValueError) as exc:
            self.log("error", session=session, what="web", error=repr(exc)[:200])
            reason = "error"
        finally:
            await service.stop()
            del self.sessions[session]
            self.by_address[address] -= 1
            if self.by_address[address] <= 0:
                del self.by_address[address]
            self.log(
                "session-end",
                session=session,
                addr=address,
                seconds=f"{time.monotonic() - started:.1f}",
                reason=reason,
            )
        return websocket

    async def _pump(self, websocket: web.WebSocketResponse, service: ReaderAppService) -> str:
        """The browser's messages to the app, until either side ends or the
        reader is idle for --idle-timeout seconds."""
        loop = asyncio.get_running_loop()
        last_input = loop.time()
        messages = aiter(websocket)
        while True:
            remaining = last_input + self.idle_timeout - loop.time()
            if remaining <= 0:
                text = (
                    f"\r\nlbn-tui: closed after {self.idle_timeout:g} seconds without a key "
                    "press; reload the page to carry on reading\r\n"
                )
                with contextlib.suppress(OSError, RuntimeError):
                    await websocket.send_bytes(text.encode())
                await websocket.close()
                return "idle"
            try:
                message = await asyncio.wait_for(anext(messages), remaining)
            except TimeoutError:
                continue
            except StopAsyncIteration:
                return "hangup"
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
                kind, data = envelope[0], envelope[1]
            except (ValueError, TypeError, IndexError, KeyError):
                continue
            if kind == "stdin" and isinstance(data, str):
                last_input = loop.time()
                await service.send_bytes(data[:MAX_STDIN_CHARS].encode("utf-8", "replace"))
            elif kind == "resize" and isinstance(data, dict):
                await service.set_terminal_size(data.get("width", 80), data.get("height", 24))
            elif kind == "ping":
                await websocket.send_json(["pong", str(data)[:64]])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()


def serve_web(config: ServeConfig, log: policy.EventLog, public_url: str | None) -> int:
    room = WebReadingRoom(config, log, public_url)
    room.serve()
    log("stopped")
    return 0
