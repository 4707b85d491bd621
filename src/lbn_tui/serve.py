"""``lbn-tui serve``: the briefings over SSH, one ``lbn-tui`` process per reader.

An embedded asyncssh server (see :mod:`lbn_tui.serve_ssh`) accepts readers on
a loopback or public port.  Every session that asks for a terminal gets its own
``lbn-tui`` process on a fresh pseudo-terminal, with an environment built from
scratch; everything else a client may ask for (exec, sftp, forwarding of any
kind, arbitrary environment variables) is refused.

This module holds the command-line side and everything that does not need
asyncssh, so that ``cli.py`` can import it to build its parser without pulling
asyncssh (or anything else) onto the app's start-up path.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 2222
DEFAULT_MAX_SESSIONS = 40
DEFAULT_MAX_PER_ADDRESS = 4
DEFAULT_IDLE_TIMEOUT = 900.0
DEFAULT_LOGIN_TIMEOUT = 30.0
DEFAULT_TERM = "xterm-256color"
HOST_KEY_NAME = "ssh_host_ed25519_key"

#: Terminal types that cannot show the browser.
DUMB_TERMS = frozenset({"", "dumb", "unknown"})

#: Client environment variables passed to the app (everything else is dropped).
_PASSED_ENV = re.compile(r"\A(?:LANG|LC_[A-Z]{1,20}|COLORTERM|NO_COLOR)\Z")
#: What such a value may look like: short, printable ASCII, no shell-ish surprises.
_ENV_VALUE = re.compile(r"\A[A-Za-z0-9_.@:+=,/-]{0,64}\Z")
#: What LANG and LC_* may hold: a locale name (``language[_territory][.codeset]
#: [@modifier]``, C, POSIX), or nothing.  Anything with a slash would make the C
#: library load locale files from that path.
_LOCALE_VALUE = re.compile(
    r"\A(?:(?:C|POSIX|[A-Za-z]{2,8}(?:_[A-Za-z0-9]{2,8})?)"
    r"(?:\.[A-Za-z0-9_-]{1,20})?(?:@[A-Za-z0-9_-]{1,20})?)?\Z"
)
_TERM_VALUE = re.compile(r"\A[A-Za-z0-9_.+-]{1,64}\Z")

#: One reader's app may map at most this much memory (RLIMIT_AS, set in the
#: child before anything is imported).  The app maps about 300 MB at the
#: largest window (1000x500; 45 MB resident at 80x24): whatever a reader makes
#: it allocate beyond the limit fails, and only that reader's session ends.
CHILD_MEMORY_LIMIT = 1 << 30

#: The child claims its pseudo-terminal as controlling terminal (it is a session
#: leader thanks to ``start_new_session``), then runs ``lbn-tui`` exactly as
#: ``python -m lbn_tui ARGS`` would.  Doing this in the child rather than in a
#: ``preexec_fn`` keeps the fork in the (threaded) server free of Python code.
#: A traceback escaping ``main`` goes to $HOME/crash.txt (the session's temp
#: dir), which the server logs, instead of to the reader's screen.  The app's
#: address space is capped first (see CHILD_MEMORY_LIMIT).
CHILD_BOOTSTRAP = """\
import fcntl, os, resource, sys, termios
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
sys.argv[0] = "lbn-tui"
try:
    from lbn_tui.cli import main
    code = main()
except (SystemExit, KeyboardInterrupt):
    raise
except BaseException:
    import traceback
    with open(os.path.join(os.environ["HOME"], "crash.txt"), "w") as report:
        traceback.print_exc(file=report)
    code = 70
raise SystemExit(code)
""".replace("MEMORY_LIMIT", str(CHILD_MEMORY_LIMIT))

CHILD_PATH = "/usr/local/bin:/usr/bin:/bin"


# --------------------------------------------------------------------------
# Command line.


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
    p.set_defaults(func=run_serve)


# --------------------------------------------------------------------------
# Things the server needs that do not need asyncssh.


def default_host_key_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "lbn-tui" / HOST_KEY_NAME


def check_private_file(path: Path) -> str | None:
    """Why ``path`` is not fit to hold a private key, or None."""
    try:
        info = path.stat()
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file"
    if info.st_mode & 0o077:
        return (
            f"{path} can be read by other users (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"chmod 600 {path}"
        )
    return None


def clean_terminal_type(term_type: str | None) -> str:
    """The TERM for the child: the client's, if it looks like a terminal name."""
    if term_type is None:
        return DEFAULT_TERM
    term = term_type.strip()
    if term.lower() in DUMB_TERMS:
        return "dumb"
    return term if _TERM_VALUE.match(term) else DEFAULT_TERM


def child_environment(
    client_env: Mapping[str, str], term: str, home: Path, state_home: Path
) -> dict[str, str]:
    """The whole environment of a served ``lbn-tui``: built from scratch."""
    env = {
        "PATH": CHILD_PATH,
        "HOME": str(home),
        "TERM": term,
        "LBN_TUI_SERVED": "1",
        "XDG_STATE_HOME": str(state_home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
    }
    for name, value in client_env.items():
        if _passed(name, value):
            env[name] = value
    return env


def _passed(name: str, value: str) -> bool:
    if not _PASSED_ENV.match(name):
        return False
    if name == "LANG" or name.startswith("LC_"):
        return bool(_LOCALE_VALUE.match(value))
    return bool(_ENV_VALUE.match(value))


def refused_env(client_env: Mapping[str, str]) -> list[str]:
    """Names of the client's variables that are not passed (TERM comes by PTY)."""
    return sorted(name for name, value in client_env.items() if not _passed(name, value))


def served_folders(args: argparse.Namespace) -> list[Path]:
    """The briefing folders named to ``serve`` (options or environment), absolute."""
    from lbn_tui.cli import ENV_BRIEFINGS

    folders: list[Path] = list(getattr(args, "briefings", None) or [])
    if not folders:
        env = os.environ.get(ENV_BRIEFINGS, "")
        folders = [Path(p) for p in env.split(os.pathsep) if p.strip()]
    return [folder.resolve() for folder in folders]


def child_argv(args: argparse.Namespace) -> list[str]:
    """How to start one reader's ``lbn-tui``: the briefing options of ``serve``.

    The child's environment is clean, so folders named by ``$LBN_TUI_BRIEFINGS``
    are passed as ``--briefings`` options."""
    folders = served_folders(args)
    argv = [sys.executable, "-I", "-c", CHILD_BOOTSTRAP]
    for folder in folders:
        argv += ["--briefings", str(folder)]
    if folders and getattr(args, "with_bundled", False):
        argv.append("--with-bundled")
    return argv


class EventLog:
    """One line per event: ``2024-05-01T10:00:00Z event key=value ...``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, event: str, **fields: object) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        parts = [stamp, event]
        for key, value in fields.items():
            text = str(value)
            if not text or any(c.isspace() or c in '"\\' for c in text):
                text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
            text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
            parts.append(f"{key}={text}")
        try:
            self.stream.write(" ".join(parts) + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass


# --------------------------------------------------------------------------
# Entry point.


def run_serve(args: argparse.Namespace) -> int:
    """``lbn-tui serve``: returns the exit code (0 after SIGTERM/SIGINT)."""
    from lbn_tui.loader import check

    folders = served_folders(args)
    if folders:
        if getattr(args, "with_bundled", False):
            from lbn_tui.loader import bundled_briefings_dir

            folders.append(bundled_briefings_dir())
        problems = check(folders)
        if problems:
            for problem in problems:
                print(problem, file=sys.stderr)
            print(
                f"lbn-tui: the briefings have {len(problems)} problem(s); see 'lbn-tui check'",
                file=sys.stderr,
            )
            return 1
    if args.authorized_keys is not None and not args.authorized_keys.is_file():
        print(f"lbn-tui: no authorized keys file at {args.authorized_keys}", file=sys.stderr)
        return 1
    try:
        from lbn_tui import serve_ssh
    except ImportError as exc:
        print(
            f"lbn-tui: serving needs asyncssh ({exc}); pip install 'asyncssh>=2.14'",
            file=sys.stderr,
        )
        return 1
    log_stream: TextIO = sys.stderr
    if args.log is not None:
        try:
            log_stream = open(args.log, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            print(f"lbn-tui: cannot open log {args.log}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    try:
        return serve_ssh.serve(args, EventLog(log_stream))
    finally:
        if log_stream is not sys.stderr:
            log_stream.close()


def _standalone_main(argv: Sequence[str] | None = None) -> int:
    """``python -m lbn_tui.serve serve ...``: the same as ``lbn-tui serve ...``."""
    from lbn_tui.cli import _add_folder_options

    parser = argparse.ArgumentParser(prog="lbn-tui")
    _add_folder_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _add_folder_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_serve_parser(sub, [common])
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(_standalone_main())
