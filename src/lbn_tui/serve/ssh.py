"""The asyncssh server behind ``lbn-tui serve``.

Imported only by :func:`lbn_tui.serve.run_serve`.  One :class:`Hub` per
server keeps the limits and the log; one :class:`ReaderConnection` per SSH
connection handles authentication and refuses forwarding; one
:class:`ReaderSession` per session channel runs a reader's ``lbn-tui`` on its
own pseudo-terminal and bridges it to the channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import pty
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncssh

from lbn_tui.serve import policy, proxy
from lbn_tui.serve.options import ServeConfig
from lbn_tui.serve.zygote import ForkedReader, ZygoteClient

#: Sent before a message when the server ends a session itself: leave the
#: alternate screen and every input mode the app may have turned on, so the
#: reader's terminal is usable again after the connection closes.
RESET_TERMINAL = (
    b"\x1b[<u"  # pop the kitty keyboard mode
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l"  # mouse reporting off
    b"\x1b[?1004l\x1b[?2004l"  # focus events, bracketed paste off
    b"\x1b[0m\x1b[?25h\x1b[?1049l"  # plain text, cursor shown, main screen
)

MAX_COLUMNS = 1000
MAX_ROWS = 500
KILL_GRACE = 1.5  # seconds between SIGHUP and SIGKILL
INPUT_HIGH_WATER = 256 * 1024  # bytes queued for the app before we stop reading the channel
INPUT_LOW_WATER = 16 * 1024
#: How much a client may send on a channel before the server has read it (the
#: SSH channel window; asyncssh's default is 2 MiB).  Input is key presses and
#: pastes; what a channel holds before its session starts is bounded by this.
CHANNEL_WINDOW = 256 * 1024
KEEPALIVE_INTERVAL = 30.0
KEEPALIVE_COUNT_MAX = 4
CRASH_FILE = "crash.txt"

#: Messages asyncssh logs when it refuses something on its own (agent and X11
#: forwarding, a second PTY); copied to our log as refusals.
_ASYNCSSH_REFUSALS = ("denied", "not permitted", "already requested")


def _plural(n: float, unit: str) -> str:
    shown = f"{n:g}"
    return f"{shown} {unit}" + ("" if shown == "1" else "s")


def _duration(seconds: float) -> str:
    if seconds >= 120 and seconds % 60 == 0:
        return _plural(seconds / 60, "minute")
    return _plural(seconds, "second")


def winsize(columns: int, rows: int, xpixels: int = 0, ypixels: int = 0) -> bytes:
    columns = min(max(columns or 80, 1), MAX_COLUMNS)
    rows = min(max(rows or 24, 1), MAX_ROWS)
    return struct.pack("HHHH", rows, columns, min(xpixels, 65535), min(ypixels, 65535))


class HostKeyError(Exception):
    pass


def load_or_create_host_key(path: Path) -> tuple[asyncssh.SSHKey, bool]:
    """The ed25519 host key at ``path``, created (mode 0600) if missing."""
    if path.exists():
        problem = policy.check_private_file(path)
        if problem:
            raise HostKeyError(problem)
        try:
            return asyncssh.read_private_key(str(path)), False
        except (OSError, asyncssh.KeyImportError) as exc:
            raise HostKeyError(f"cannot read the host key {path}: {exc}") from None
    key = asyncssh.generate_private_key("ssh-ed25519", comment="lbn-tui host key")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key.export_private_key())
    except OSError as exc:
        raise HostKeyError(f"cannot create the host key {path}: {exc.strerror or exc}") from None
    return key, True


class Hub:
    """What the whole server shares: options, limits, live sessions, the log."""

    def __init__(self, config: ServeConfig, log: policy.EventLog) -> None:
        self.log = log
        self.argv = policy.child_argv(config.folders, config.with_bundled)
        self.open_to_all = config.authorized_keys is None
        self.max_sessions: int = config.max_sessions
        self.max_per_address: int = config.max_per_address
        self.idle_timeout: float = config.idle_timeout
        self.login_timeout: float = config.login_timeout
        # Connections (logged in or not) are capped too, more loosely than
        # sessions, so that handshakes cannot pile up.
        self.max_connections = 2 * self.max_sessions + 8
        self.max_connections_per_address = 2 * self.max_per_address + 2
        # Open session channels per connection (readers or not): each holds
        # up to CHANNEL_WINDOW of the client's input, so a client opening
        # channels that ask for nothing must not be able to hold hundreds.
        # One more than a connection can have readers, so that the reader
        # over the limit still gets the limit's message.
        self.max_channels_per_connection = min(self.max_per_address, self.max_sessions) + 1
        self.connections: set[ReaderConnection] = set()
        self.connections_by_address: Counter[str] = Counter()
        self.sessions: set[ReaderSession] = set()
        self.sessions_by_address: Counter[str] = Counter()
        self.shutting_down = False
        self._next_connection = 0
        #: Where readers' apps come from: forked by the zygote, or (None, or
        #: while it is not ready) each a fresh ``python`` (`policy.READER_STARTS`).
        self.zygote: ZygoteClient | None = None
        if config.uses_zygote:
            self.zygote = ZygoteClient(config.folders, config.with_bundled, log)

    def new_connection_id(self) -> int:
        self._next_connection += 1
        return self._next_connection

    # Connections.

    def admit_connection(self, conn: ReaderConnection) -> str | None:
        if self.shutting_down:
            return "the server is shutting down"
        if len(self.connections) >= self.max_connections:
            return "the server has too many connections"
        if self.connections_by_address[conn.address] >= self.max_connections_per_address:
            return "too many connections from your address"
        self.connections.add(conn)
        self.connections_by_address[conn.address] += 1
        return None

    def forget_connection(self, conn: ReaderConnection) -> None:
        if conn in self.connections:
            self.connections.discard(conn)
            self.connections_by_address[conn.address] -= 1
            if self.connections_by_address[conn.address] <= 0:
                del self.connections_by_address[conn.address]

    # Sessions.

    def admit_session(self, session: ReaderSession) -> str | None:
        if self.shutting_down:
            return "lbn-tui: the server is shutting down"
        if len(self.sessions) >= self.max_sessions:
            return (
                f"lbn-tui: the reading room is full ({self.max_sessions} readers); try again later"
            )
        address = session.owner.address
        if self.sessions_by_address[address] >= self.max_per_address:
            return (
                f"lbn-tui: {self.max_per_address} readers are already connected from your "
                "address; close one, or try again later"
            )
        self.sessions.add(session)
        self.sessions_by_address[address] += 1
        return None

    def forget_session(self, session: ReaderSession) -> None:
        if session in self.sessions:
            self.sessions.discard(session)
            address = session.owner.address
            self.sessions_by_address[address] -= 1
            if self.sessions_by_address[address] <= 0:
                del self.sessions_by_address[address]
            if not self.holds_session(session.owner):
                session.owner.expect_session()

    def holds_session(self, conn: ReaderConnection) -> bool:
        return any(session.owner is conn for session in self.sessions)

    def health(self) -> str:
        """The health check's answer: ``ok`` while a reader would be admitted."""
        if self.shutting_down:
            return "stopping"
        if len(self.sessions) >= self.max_sessions:
            return "full"
        return "ok"

    async def shutdown(self, servers: list[Any]) -> None:
        self.shutting_down = True
        self.log("shutdown", sessions=len(self.sessions), connections=len(self.connections))
        for server in servers:
            server.close()
        for session in list(self.sessions):
            session.end("shutdown", "lbn-tui: the server is shutting down")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + KILL_GRACE + 3
        while self.sessions and loop.time() < deadline:
            await asyncio.sleep(0.05)
        # Let the goodbyes reach the readers, then hang up on everyone left.
        deadline = loop.time() + 1.0
        while self.connections and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for conn in list(self.connections):
            conn.hang_up()
        if self.zygote is not None:
            await self.zygote.close()
        await asyncio.sleep(0.1)


class ReaderConnection(asyncssh.SSHServer):
    """One SSH connection: who it is, whether they may log in; refuses forwarding."""

    def __init__(
        self, hub: Hub, peer: tuple[str, int] | None = None, via: str | None = None
    ) -> None:
        self.hub = hub
        self.peer = peer  # the reader's address from a PROXY header
        self.via = via  # the proxy it came through
        self.id = hub.new_connection_id()
        self.conn: asyncssh.SSHServerConnection | None = None
        self.address = "?"
        self.username = ""
        self.logged_in = False
        self.opened = time.monotonic()
        self.session_count = 0
        self.open_channels = 0
        self._session_timer: asyncio.TimerHandle | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = self.peer or conn.get_extra_info("peername") or ("?", 0)
        self.address = str(peer[0])
        via = {"via": self.via} if self.via else {}
        self.hub.log("connect", conn=self.id, addr=self.address, port=peer[1], **via)
        refusal = self.hub.admit_connection(self)
        if refusal:
            self.hub.log("refuse", conn=self.id, addr=self.address, what="connection", why=refusal)
            asyncio.get_running_loop().call_soon(
                conn.disconnect,
                asyncssh.DISC_TOO_MANY_CONNECTIONS,
                f"lbn-tui: {refusal}; try again later",
            )

    def connection_lost(self, exc: Exception | None) -> None:
        if self._session_timer is not None:
            self._session_timer.cancel()
            self._session_timer = None
        self.hub.forget_connection(self)
        self.hub.log(
            "disconnect",
            conn=self.id,
            addr=self.address,
            user=self.username,
            seconds=f"{time.monotonic() - self.opened:.1f}",
            sessions=self.session_count,
            **({"error": exc} if exc else {}),
        )

    def hang_up(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def expect_session(self) -> None:
        """Drop this connection unless it holds a reader within the login
        timeout (from the login, or from the end of its last session)."""
        if self._session_timer is not None:
            self._session_timer.cancel()
        self._session_timer = asyncio.get_running_loop().call_later(
            self.hub.login_timeout, self._check_session
        )

    def _check_session(self) -> None:
        self._session_timer = None
        if self.conn is None or self.hub.holds_session(self) or self not in self.hub.connections:
            return
        self.hub.log(
            "refuse",
            conn=self.id,
            addr=self.address,
            user=self.username,
            what="no-session",
            seconds=f"{self.hub.login_timeout:g}",
        )
        # It no longer counts against the connection caps, whenever it goes.
        self.hub.forget_connection(self)
        self.conn.disconnect(
            asyncssh.DISC_BY_APPLICATION,
            f"lbn-tui: no terminal session was opened within {_duration(self.hub.login_timeout)}; "
            "connect with: ssh -t",
        )

    # Authentication.

    def begin_auth(self, username: str) -> bool:
        self.username = username
        if self.hub.open_to_all:
            self.logged_in = True
            self.hub.log("auth", conn=self.id, addr=self.address, user=username, method="none")
            return False
        return True

    def auth_completed(self) -> None:
        # Only called after a real login: asyncssh checks the signature of a
        # public key (the unsigned "would you accept this key?" probes that also
        # go through key validation never end up here).
        if not self.logged_in:
            self.logged_in = True
            self.hub.log("auth", conn=self.id, addr=self.address, user=self.username)
        # asyncssh's login timeout ends here: a logged-in connection that opens
        # no session must not hold its place for ever.
        self.expect_session()

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    # Channels.

    def session_requested(self) -> ReaderSession:
        if self.open_channels >= self.hub.max_channels_per_connection:
            self._refuse("channel", open=self.open_channels)
            raise asyncssh.ChannelOpenError(
                asyncssh.OPEN_RESOURCE_SHORTAGE,
                f"lbn-tui: at most {self.hub.max_channels_per_connection} sessions "
                "on one connection",
            )
        self.open_channels += 1
        self.session_count += 1
        return ReaderSession(self.hub, self, f"{self.id}.{self.session_count}")

    def _refuse(self, what: str, **fields: object) -> bool:
        self.hub.log("refuse", conn=self.id, addr=self.address, what=what, **fields)
        return False

    def connection_requested(
        self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
    ) -> bool:
        return self._refuse("tcp-forwarding", to=f"{dest_host}:{dest_port}")

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        return self._refuse("remote-forwarding", listen=f"{listen_host}:{listen_port}")

    def unix_connection_requested(self, dest_path: str) -> bool:
        return self._refuse("unix-forwarding", to=dest_path)

    def unix_server_requested(self, listen_path: str) -> bool:
        return self._refuse("unix-remote-forwarding", listen=listen_path)

    def tun_requested(self, unit: int | None) -> bool:
        return self._refuse("tun-forwarding")

    def tap_requested(self, unit: int | None) -> bool:
        return self._refuse("tap-forwarding")


class ReaderSession(asyncssh.SSHServerSession[bytes]):
    """One reader: a session channel bridged to ``lbn-tui`` on its own PTY."""

    def __init__(self, hub: Hub, owner: ReaderConnection, session_id: str) -> None:
        self.hub = hub
        self.owner = owner
        self.id = session_id
        self.loop = asyncio.get_running_loop()
        self.chan: asyncssh.SSHServerChannel[bytes] | None = None
        self.term_type: str | None = None
        self.size = (80, 24, 0, 0)
        self.proc: subprocess.Popen[bytes] | ForkedReader | None = None
        self.master = -1
        self._slave = -1  # the pty's other side, kept while the zygote forks
        self.pidfd = -1
        self.home: Path | None = None
        self.started = 0.0
        self.last_input = 0.0
        self.channel_open = False
        self._counted = True
        self.ending: str | None = None  # why the server ended the session
        self.finished = False
        self._master_eof = False
        self._output_paused = False
        self._input_paused = False
        self._writer_added = False
        self._to_child = bytearray()
        self._idle_handle: asyncio.TimerHandle | None = None
        self._kill_handle: asyncio.TimerHandle | None = None

    # -- Channel events.

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        self.chan = chan
        self.channel_open = True

    def pty_requested(
        self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Any
    ) -> bool:
        self.term_type = term_type
        self.size = term_size
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self._log_refusal("exec", command=command[:80])
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        self._log_refusal("subsystem", name=subsystem[:40])
        return False

    def break_received(self, msec: int) -> bool:
        return False

    def signal_received(self, signal: str) -> None:
        pass

    def session_started(self) -> None:
        assert self.chan is not None
        env = self.chan.get_environment()
        if self.hub.shutting_down:
            self._refuse_session("shutting-down", "lbn-tui: the server is shutting down")
            return
        if self.chan.get_terminal_type() is None:
            self._refuse_session(
                "no-pty",
                "lbn-tui: this server shows the briefing browser, which needs a terminal; "
                "connect with: ssh -t (and no command)",
            )
            return
        term = policy.clean_terminal_type(self.term_type)
        if term == "dumb":
            self._refuse_session(
                "dumb-terminal",
                f"lbn-tui: this terminal (TERM={self.term_type or 'dumb'}) cannot show the "
                "browser; connect from a terminal such as xterm, or use lbn-tui locally",
            )
            return
        refusal = self.hub.admit_session(self)
        if refusal:
            self._refuse_session("limit", refusal)
            return
        refused = policy.refused_env(env)
        if refused:
            self._log_refusal("env", names=",".join(refused)[:200])
        try:
            self._start_child(term, env)
        except OSError as exc:
            self._start_failed(exc)

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        self.last_input = self.loop.time()
        if self.master < 0 or self.ending is not None:
            return
        self._to_child += data
        self._flush_to_child()

    def eof_received(self) -> bool:
        # The reader's input has ended (``ssh -tt host </dev/null``): keep the
        # channel open for the app's output, as sshd does for a terminal.
        return True

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = (width, height, pixwidth, pixheight)
        if self.master < 0:
            return
        with contextlib.suppress(OSError):
            fcntl.ioctl(self.master, termios.TIOCSWINSZ, winsize(*self.size))
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGWINCH)

    def pause_writing(self) -> None:
        self._output_paused = True
        self._watch_master()

    def resume_writing(self) -> None:
        self._output_paused = False
        self._watch_master()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._counted:  # in the connection's open channels (session_requested)
            self._counted = False
            self.owner.open_channels -= 1
        self.channel_open = False
        if self.proc is None and self.master >= 0 and not self.finished:
            self.ending = self.ending or "hangup"  # the app is still being started
        if self.proc is not None and not self.finished:
            if self.ending is None:
                self.ending = "hangup"
            self._kill_child()

    # -- Ending.

    def end(self, reason: str, message: str) -> None:
        """End the session from the server's side, telling the reader why."""
        if self.ending is not None or self.finished:
            return
        self.ending = reason
        self._kill_child()
        self._watch_master()
        if self.channel_open and self.chan is not None:
            self._send(RESET_TERMINAL)
            self._write_line(message, leading=True)
            self._exit(0)

    def _refuse_session(self, why: str, message: str) -> None:
        self._log_refusal(why, message=message)
        self._write_line(message)
        self._exit(1)

    def _log_refusal(self, what: str, **fields: object) -> None:
        self.hub.log(
            "refuse",
            session=self.id,
            addr=self.owner.address,
            user=self.owner.username,
            what=what,
            **fields,
        )

    def _write_line(self, message: str, leading: bool = False) -> None:
        if not self.channel_open or self.chan is None:
            return
        newline = "\r\n" if self.term_type is not None else "\n"
        text = (newline if leading else "") + message + newline
        with contextlib.suppress(OSError, asyncssh.Error):
            self.chan.write(text.encode("utf-8"))

    def _send(self, data: bytes) -> None:
        """To the reader, if the channel still takes data: a client may close it
        (or its half) at any moment, before the server hears of it."""
        if self.channel_open and self.chan is not None:
            with contextlib.suppress(OSError, asyncssh.Error):
                self.chan.write(data)

    def _exit(self, status: int) -> None:
        if self.channel_open and self.chan is not None:
            with contextlib.suppress(OSError, asyncssh.Error):
                self.chan.exit(status)

    # -- The child.

    def _start_child(self, term: str, client_env: Any) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="lbn-tui-session-"))
        state = self.home / "state"
        state.mkdir(mode=0o700)
        env = policy.child_environment(client_env, term, self.home, state)
        master, slave = pty.openpty()
        try:
            fcntl.ioctl(slave, termios.TIOCSWINSZ, winsize(*self.size))
        except OSError:
            os.close(master)
            os.close(slave)
            raise
        # The master side is ours from now on: what the reader types while
        # the app starts waits in the terminal.
        self.master = master
        os.set_blocking(master, False)
        self._slave = slave
        self.started = self.last_input = self.loop.time()
        self._watch_master()
        zygote = self.hub.zygote
        if zygote is not None and zygote.usable():
            try:
                zygote.spawn(
                    env,
                    self.home,
                    slave,
                    lambda reader, error: self._zygote_answered(reader, error, term, env),
                )
                return
            except OSError as exc:
                self.hub.log("error", session=self.id, what="zygote", error=exc)
        self._spawn(term, env)

    def _zygote_answered(
        self, reader: ForkedReader | None, error: str | None, term: str, env: dict[str, str]
    ) -> None:
        if reader is None:
            # The old way for this reader (the zygote died, or would not fork).
            self.hub.log("error", session=self.id, what="zygote", error=error or "-")
            if self.finished or self._slave < 0:
                return
            if self.ending is not None or not self.channel_open:  # gone meanwhile
                self._close_slave()
                self._close_master()
                self.hub.forget_session(self)
                self._cleanup_home()
                self.finished = True
                return
            try:
                self._spawn(term, env)
            except OSError as exc:
                self._start_failed(exc)
            return
        self._close_slave()
        self.proc = reader
        reader.on_exit = self._child_exited
        self._started(term, "zygote")

    def _spawn(self, term: str, env: dict[str, str]) -> None:
        """The old way: a fresh ``python`` running ``lbn-tui`` (``policy.child_argv``)."""
        self.proc = subprocess.Popen(
            self.hub.argv,
            stdin=self._slave,
            stdout=self._slave,
            stderr=self._slave,
            env=env,
            cwd=self.home,
            start_new_session=True,
            close_fds=True,
        )
        self._close_slave()
        try:
            self.pidfd = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            self.pidfd = -1
        if self.pidfd >= 0:
            self.loop.add_reader(self.pidfd, self._child_exited)
        else:  # pragma: no cover - kernels before 5.3
            self.loop.call_later(0.25, self._poll_child)
        self._started(term, "spawn")

    def _started(self, term: str, how: str) -> None:
        assert self.proc is not None
        self._idle_handle = self.loop.call_later(self.hub.idle_timeout, self._check_idle)
        self.hub.log(
            "session",
            session=self.id,
            addr=self.owner.address,
            user=self.owner.username,
            term=term,
            size=f"{self.size[0]}x{self.size[1]}",
            pid=self.proc.pid,
            readers=len(self.hub.sessions),
            start=how,
        )
        # Ended while the zygote forked (hang-up, shutdown): end the app too.
        if self.ending is not None or not self.channel_open:
            self.ending = self.ending or "hangup"
            self._kill_child()
        else:
            # The size may have changed meanwhile.
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGWINCH)

    def _start_failed(self, exc: OSError) -> None:
        self._close_slave()
        self._close_master()
        self.hub.forget_session(self)
        self.hub.log("error", session=self.id, what="start", error=exc)
        self._cleanup_home()
        self.finished = True
        self._write_line("lbn-tui: sorry, the browser could not be started; try again later")
        self._exit(1)

    def _close_slave(self) -> None:
        if self._slave >= 0:
            os.close(self._slave)
            self._slave = -1

    def _watch_master(self) -> None:
        """Read the app's output while it has any and the channel can take it."""
        if self.master < 0:
            return
        want = not (self._master_eof or self._output_paused or self.ending is not None)
        if want:
            self.loop.add_reader(self.master, self._from_child)
        else:
            self.loop.remove_reader(self.master)

    def _from_child(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: every copy of the slave side is closed
            data = b""
        if not data:
            self._master_eof = True
            self._watch_master()
            return
        if self.ending is None:
            self._send(data)

    def _flush_to_child(self) -> None:
        while self._to_child and self.master >= 0:
            try:
                written = os.write(self.master, self._to_child)
            except BlockingIOError:
                break
            except OSError:
                self._to_child.clear()
                break
            del self._to_child[:written]
        pending = bool(self._to_child) and self.master >= 0
        if pending and not self._writer_added:
            self.loop.add_writer(self.master, self._flush_to_child)
            self._writer_added = True
        elif not pending and self._writer_added:
            if self.master >= 0:
                self.loop.remove_writer(self.master)
            self._writer_added = False
        if self.chan is None or not self.channel_open:
            return
        if not self._input_paused and len(self._to_child) > INPUT_HIGH_WATER:
            self._input_paused = True
            self.chan.pause_reading()
        elif self._input_paused and len(self._to_child) < INPUT_LOW_WATER:
            self._input_paused = False
            self.chan.resume_reading()

    def _check_idle(self) -> None:
        self._idle_handle = None
        if self.finished or self.ending is not None:
            return
        idle = self.loop.time() - self.last_input
        timeout = self.hub.idle_timeout
        if idle >= timeout:
            self.end(
                "idle",
                f"lbn-tui: closed after {_duration(timeout)} without a key press; "
                "connect again any time",
            )
        else:
            self._idle_handle = self.loop.call_later(timeout - idle + 0.01, self._check_idle)

    def _kill_child(self) -> None:
        if self.proc is None or self.proc.returncode is not None or self._kill_handle:
            return
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGHUP)
        self._kill_handle = self.loop.call_later(KILL_GRACE, self._kill_hard)

    def _kill_hard(self) -> None:
        if self.proc is not None and self.proc.returncode is None and not self.finished:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def _poll_child(self) -> None:  # pragma: no cover - kernels before 5.3
        if self.proc is not None and self.proc.poll() is None:
            self.loop.call_later(0.25, self._poll_child)
        else:
            self._child_exited()

    def _child_exited(self) -> None:
        if self.finished or self.proc is None:
            return
        self.finished = True
        if self.pidfd >= 0:
            self.loop.remove_reader(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = -1
        # What the app wrote last (its goodbye, or an error) goes out first.
        if self.ending is None and self.master >= 0:
            for _ in range(256):
                try:
                    data = os.read(self.master, 65536)
                except OSError:  # nothing more (EAGAIN), or the slave side is gone (EIO)
                    break
                if not data:
                    break
                self._send(data)
        status = self.proc.wait()
        for handle in (self._idle_handle, self._kill_handle):
            if handle is not None:
                handle.cancel()
        self._close_master()
        crash = self._crash_report()
        self._cleanup_home()
        self.hub.forget_session(self)
        crashed = status != 0 and self.ending is None
        if crashed:
            self.hub.log("crash", session=self.id, status=status, error=crash or "-")
            if self.channel_open and self.chan is not None:
                self._send(RESET_TERMINAL)
                self._write_line(
                    "lbn-tui: sorry, the browser stopped unexpectedly; the problem has been "
                    "logged. Connect again to carry on reading.",
                    leading=True,
                )
        self.hub.log(
            "session-end",
            session=self.id,
            addr=self.owner.address,
            user=self.owner.username,
            seconds=f"{self.loop.time() - self.started:.1f}",
            status=status,
            reason=self.ending or ("crash" if crashed else "quit"),
        )
        self._exit(status if status >= 0 else 128 - status)

    def _close_master(self) -> None:
        if self.master < 0:
            return
        self.loop.remove_reader(self.master)
        if self._writer_added:
            self.loop.remove_writer(self.master)
            self._writer_added = False
        os.close(self.master)
        self.master = -1

    def _crash_report(self) -> str:
        if self.home is None:
            return ""
        try:
            text = (self.home / CRASH_FILE).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[-1][:300] if lines else ""

    def _cleanup_home(self) -> None:
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None


class _RefusalLog(logging.Handler):
    """Copies asyncssh's own refusals (agent/X11 forwarding, ...) into our log."""

    def __init__(self, log: policy.EventLog) -> None:
        super().__init__(logging.INFO)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a malformed record
            return
        if any(word in message.lower() for word in _ASYNCSSH_REFUSALS):
            self.log("refuse", what="request", detail=message)


def serve(config: ServeConfig, log: policy.EventLog) -> int:
    path: Path = config.host_key or policy.default_host_key_path()
    try:
        key, created = load_or_create_host_key(path)
    except HostKeyError as exc:
        print(f"lbn-tui: {exc}", file=sys.stderr)
        return 1
    if created:
        log("host-key-created", path=path, fingerprint=key.get_fingerprint())
    ssh_logger = logging.getLogger("asyncssh")
    ssh_logger.setLevel(logging.INFO)
    ssh_logger.propagate = False
    ssh_logger.addHandler(_RefusalLog(log))
    return asyncio.run(_serve(config, log, key))


async def _serve(config: ServeConfig, log: policy.EventLog, key: asyncssh.SSHKey) -> int:
    loop = asyncio.get_running_loop()
    # Nothing a client does may put a traceback on the server's stderr: an
    # error escaping a callback is one line in the log, and the server carries on.
    loop.set_exception_handler(
        lambda _loop, context: log(
            "error",
            what="internal",
            error=repr(context.get("exception") or context.get("message", "?"))[:300],
        )
    )
    hub = Hub(config, log)
    if hub.zygote is not None:
        # Readers arriving before it is ready (or while it restarts) are
        # started the old way.
        hub.zygote.start()
        await hub.zygote.wait_ready()
    options: dict[str, Any] = {
        "server_host_keys": [key],
        "server_version": "lbn_tui",
        "encoding": None,
        "line_editor": False,
        "allow_pty": True,
        "agent_forwarding": False,
        "x11_forwarding": False,
        "allow_scp": False,
        "rdns_lookup": False,
        "login_timeout": config.login_timeout,
        "window": CHANNEL_WINDOW,
        "keepalive_interval": KEEPALIVE_INTERVAL,
        "keepalive_count_max": KEEPALIVE_COUNT_MAX,
    }
    if config.authorized_keys is not None:
        options["authorized_client_keys"] = str(config.authorized_keys)
    servers: list[Any] = []
    try:
        if config.proxy_protocol:
            front = ProxyFront(hub, proxy.ProxyAllowList(config.proxy_from), options)
            await front.start(config.host, config.port)
            servers.append(front)
            port = front.port
        else:
            server = await asyncssh.create_server(
                lambda: ReaderConnection(hub), config.host, config.port, **options
            )
            servers.append(server)
            sockets = server.sockets
            port = sockets[0].getsockname()[1] if sockets else config.port
    except (OSError, ValueError, asyncssh.Error) as exc:
        print(f"lbn-tui: cannot serve on {config.host} port {config.port}: {exc}", file=sys.stderr)
        if hub.zygote is not None:
            await hub.zygote.close()
        return 1
    health_port: int | None = None
    if config.health_port is not None:
        health_host = config.health_host or config.host
        try:
            health = await asyncio.start_server(
                lambda _r, w: _answer_health(hub, w), health_host, config.health_port
            )
        except OSError as exc:
            print(
                f"lbn-tui: cannot answer health checks on {health_host} port "
                f"{config.health_port}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            for server in servers:
                server.close()
            if hub.zygote is not None:
                await hub.zygote.close()
            return 1
        servers.append(health)
        health_port = health.sockets[0].getsockname()[1]
    extra: dict[str, object] = {}
    if config.proxy_protocol:
        extra["proxy_from"] = ",".join(config.proxy_from)
    if health_port is not None:
        extra["health_port"] = health_port
    log(
        "listen",
        host=config.host,
        port=port,
        fingerprint=key.get_fingerprint(),
        auth="none" if hub.open_to_all else "publickey",
        max_sessions=hub.max_sessions,
        max_per_address=hub.max_per_address,
        idle_timeout=f"{hub.idle_timeout:g}",
        readers="zygote" if hub.zygote is not None else "spawn",
        **extra,
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await hub.shutdown(servers)
    log("stopped")
    return 0


def _answer_health(hub: Hub, writer: asyncio.StreamWriter) -> None:
    """One line and close: never an SSH connection, never counted as a reader."""
    with contextlib.suppress(OSError):
        writer.write(hub.health().encode("ascii") + b"\n")
    writer.close()


class ProxyFront:
    """``--proxy-protocol``: the listening socket is ours.  Each connection
    from a listed proxy must start with a PROXY header (`proxy.read_header`
    reads exactly the header, no byte more); the same socket is then handed
    to asyncssh (``run_server``), whose `ReaderConnection` is given the
    reader's address from the header.  Anything else is closed and logged."""

    def __init__(self, hub: Hub, allowed: proxy.ProxyAllowList, options: dict[str, Any]) -> None:
        self.hub = hub
        self.allowed = allowed
        self.options = options
        self.listeners: list[socket.socket] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.closed = False
        # Connections still sending their header: at most as many as the
        # server keeps connections, so a stuck proxy cannot pile them up.
        self.max_pending = hub.max_connections

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        for family, kind, protocol, _name, address in infos[:1]:
            sock = socket.socket(family, kind, protocol)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6 and str(address[0]) == "::":
                    # "::": IPv4 proxies too (seen as ::ffff:a.b.c.d, which
                    # --proxy-from's IPv4 entries match).
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                sock.bind(address)
                sock.listen(128)
                sock.setblocking(False)
            except OSError:
                sock.close()
                raise
            self.listeners.append(sock)
            self.port = sock.getsockname()[1]
            self._spawn(self._accept(sock))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def pending(self) -> int:
        return len(self.tasks) - len(self.listeners)

    async def _accept(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while not self.closed:
            try:
                sock, address = await loop.sock_accept(listener)
            except OSError:
                if self.closed:
                    return
                await asyncio.sleep(0.1)  # EMFILE and the like: try again shortly
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            source = (str(address[0]), int(address[1]))
            if source[0] not in self.allowed:
                self._refuse(sock, source, "not a listed proxy (--proxy-from)")
            elif self.hub.shutting_down:
                self._refuse(sock, source, "the server is shutting down")
            elif self.pending() >= self.max_pending:
                self._refuse(sock, source, "too many connections waiting for their header")
            else:
                self._spawn(self._handle(sock, source))

    def _refuse(self, sock: socket.socket, source: tuple[str, int], why: str) -> None:
        self.hub.log("refuse", addr=source[0], port=source[1], what="proxy", why=why)
        sock.close()

    async def _handle(self, sock: socket.socket, source: tuple[str, int]) -> None:
        try:
            header = await proxy.read_header(sock)
        except proxy.ProxyHeaderError as exc:
            self._refuse(sock, source, str(exc))
            return
        peer = header.source or source
        via = f"{source[0]}:{source[1]}"
        # Errors end the connection, whose end is logged (disconnect).
        with contextlib.suppress(OSError, asyncssh.Error, TimeoutError):
            await asyncssh.run_server(
                sock,
                options=asyncssh.SSHServerConnectionOptions(
                    server_factory=lambda: ReaderConnection(self.hub, peer, via),
                    **self.options,
                ),
            )

    def close(self) -> None:
        self.closed = True
        for listener in self.listeners:
            listener.close()
        for task in list(self.tasks):
            task.cancel()
