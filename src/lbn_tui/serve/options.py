"""``lbn-tui serve``'s options, parsed into a frozen `ServeConfig`.

No asyncssh here: the command line builds its parser from this module
without loading the server.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lbn_tui.folders import named_folders
from lbn_tui.serve.policy import HOST_KEY_NAME, READER_STARTS
from lbn_tui.serve.proxy import parse_proxy_network

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 2222
DEFAULT_MAX_SESSIONS = 40
DEFAULT_MAX_PER_ADDRESS = 4
DEFAULT_IDLE_TIMEOUT = 900.0
DEFAULT_LOGIN_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """Everything ``lbn-tui serve`` was told, checked by the parser."""

    folders: tuple[Path, ...]  # named by --briefings or $LBN_TUI_BRIEFINGS, absolute
    with_bundled: bool
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    host_key: Path | None = None
    authorized_keys: Path | None = None
    max_sessions: int = DEFAULT_MAX_SESSIONS
    max_per_address: int = DEFAULT_MAX_PER_ADDRESS
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    login_timeout: float = DEFAULT_LOGIN_TIMEOUT
    log: Path | None = None
    #: PROXY protocol: only the proxies in ``proxy_from`` (addresses or
    #: networks) may connect, each connection starting with a v1 or v2 header
    #: naming the reader (`lbn_tui.serve.proxy`).
    proxy_protocol: bool = False
    proxy_from: tuple[str, ...] = ()
    health_port: int | None = None
    health_host: str | None = None  # default: --host
    #: ``--web``: the browser over HTTP (textual-serve) instead of SSH.
    web: bool = False
    public_url: str | None = None
    #: How readers' apps start (SSH only): ``zygote`` (None: the default),
    #: forked from a pre-loaded parent, or ``spawn``, a fresh ``python`` each
    #: (`policy.READER_STARTS`).
    reader_start: str | None = None

    @property
    def uses_zygote(self) -> bool:
        return not self.web and self.reader_start in (None, "zygote")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServeConfig:
        folders = tuple(f.resolve() for f in named_folders(getattr(args, "briefings", None)))
        return cls(
            folders=folders,
            with_bundled=bool(getattr(args, "with_bundled", False)),
            host=args.host,
            port=args.port,
            host_key=args.host_key,
            authorized_keys=args.authorized_keys,
            max_sessions=args.max_sessions,
            max_per_address=args.max_per_address,
            idle_timeout=args.idle_timeout,
            login_timeout=args.login_timeout,
            log=args.log,
            proxy_protocol=bool(getattr(args, "proxy_protocol", False)),
            proxy_from=tuple(getattr(args, "proxy_from", None) or ()),
            health_port=getattr(args, "health_port", None),
            health_host=getattr(args, "health_host", None),
            web=bool(getattr(args, "web", False)),
            public_url=getattr(args, "public_url", None),
            reader_start=getattr(args, "reader_start", None),
        )

    def problem(self) -> str | None:
        """Options that only make sense together, or None."""
        if self.proxy_protocol and not self.proxy_from:
            return "--proxy-protocol needs --proxy-from ADDR[,ADDR...] (the proxies' addresses)"
        if self.web and (self.proxy_protocol or self.health_port is not None):
            return "--web serves HTTP: no --proxy-protocol or --health-port (see docs/serving.md)"
        if self.web and self.authorized_keys is not None:
            return "--web has no logins: --authorized-keys is for SSH only"
        if self.proxy_from and not (self.proxy_protocol or self.web):
            return "--proxy-from is only used with --proxy-protocol or --web"
        if self.public_url is not None and not self.web:
            return "--public-url is only used with --web"
        if self.web and self.reader_start is not None:
            return "--reader-start is for SSH readers (textual-serve starts web readers itself)"
        if self.health_host is not None and self.health_port is None:
            return "--health-host is only used with --health-port"
        return None


def positive_int(value: str) -> int:
    """argparse type: a whole number, at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of seconds") from None
    if not number > 0 or number != number or number == float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return number


def _port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a port number") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError("a port is 0 to 65535 (0: any free port)")
    return number


def _proxy_list(value: str) -> tuple[str, ...]:
    entries = tuple(part.strip() for part in value.split(",") if part.strip())
    if not entries:
        raise argparse.ArgumentTypeError("name at least one address")
    for entry in entries:
        try:
            parse_proxy_network(entry)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return entries


SERVE_DESCRIPTION = """\
Serve the briefing browser over SSH: every reader who connects with a
terminal (ssh -p PORT reader@HOST) gets their own browser; stars are kept
for that session only.  Open to anyone who can reach the port unless
--authorized-keys is given.  Exec, sftp, forwarding and environment
variables other than TERM, LANG, LC_*, COLORTERM and NO_COLOR are refused."""


def add_serve_parser(subparsers: Any, parents: Sequence[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand to ``subparsers`` (from ``add_subparsers``)."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        parents=list(parents),
        help="serve the browser over SSH",
        description=SERVE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        metavar="ADDR",
        help=f"address to listen on (default {DEFAULT_HOST}; 0.0.0.0 or :: for everyone)",
    )
    p.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        metavar="N",
        help=f"port to listen on (default {DEFAULT_PORT})",
    )
    p.add_argument(
        "--host-key",
        type=Path,
        metavar="PATH",
        help="ed25519 host key, created there (mode 0600) on first start "
        f"(default $XDG_DATA_HOME/lbn-tui/{HOST_KEY_NAME})",
    )
    p.add_argument(
        "--authorized-keys",
        type=Path,
        metavar="PATH",
        help="admit only the public keys in this OpenSSH authorized_keys file "
        "(default: anyone, any user name, no password)",
    )
    p.add_argument(
        "--max-sessions",
        type=positive_int,
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help=f"readers at once (default {DEFAULT_MAX_SESSIONS})",
    )
    p.add_argument(
        "--max-per-address",
        type=positive_int,
        default=DEFAULT_MAX_PER_ADDRESS,
        metavar="N",
        help=f"readers at once from one address (default {DEFAULT_MAX_PER_ADDRESS})",
    )
    p.add_argument(
        "--idle-timeout",
        type=_seconds,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="S",
        help="close a session after S seconds without a key press "
        f"(default {DEFAULT_IDLE_TIMEOUT:g})",
    )
    p.add_argument(
        "--login-timeout",
        type=_seconds,
        default=DEFAULT_LOGIN_TIMEOUT,
        metavar="S",
        help=f"drop connections not logged in after S seconds (default {DEFAULT_LOGIN_TIMEOUT:g})",
    )
    p.add_argument(
        "--log",
        type=Path,
        metavar="FILE",
        help="append the log (one line per event) to FILE instead of stderr",
    )
    p.add_argument(
        "--proxy-protocol",
        action="store_true",
        help="behind a TCP load balancer (HAProxy send-proxy-v2): every connection must "
        "come from a --proxy-from address and start with a PROXY v1 or v2 header; the "
        "reader's address in it is the one limited and logged (default: off)",
    )
    p.add_argument(
        "--proxy-from",
        type=_proxy_list,
        metavar="ADDR[,ADDR...]",
        help="the proxies' addresses or networks (10.0.0.5, 10.0.0.0/24, ::1); "
        "connections from anywhere else are refused",
    )
    p.add_argument(
        "--health-port",
        type=_port,
        metavar="N",
        help="also answer health checks on this TCP port: one line, 'ok' while readers "
        "are admitted, 'full' or 'stopping' otherwise; never counted as a reader",
    )
    p.add_argument(
        "--health-host",
        metavar="ADDR",
        help="address for --health-port (default: --host)",
    )
    p.add_argument(
        "--reader-start",
        choices=READER_STARTS,
        default=None,
        help="how each SSH reader's app starts: 'zygote' (default), forked from one "
        "process that has loaded the app and the briefings once (less memory per reader, "
        "faster first screens), or 'spawn', a fresh python per reader (the old way; "
        "also used while the zygote is not ready)",
    )
    p.add_argument(
        "--web",
        action="store_true",
        help="serve the browser to web browsers over HTTP (textual-serve; pip install "
        "'lbn-tui[web]') on --host/--port instead of SSH; put it behind a reverse proxy "
        "for HTTPS; --proxy-from then names the proxies whose X-Forwarded-For is trusted",
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="with --web: the address readers use, e.g. https://briefings.example.org "
        "(default http://HOST:PORT)",
    )
