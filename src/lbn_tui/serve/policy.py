"""What ``lbn-tui serve`` allows a reader, and how a reader's app is started.

No asyncssh here: the terminal type and environment a reader's app gets, its
command line, the host key's file checks and the event log.
"""

from __future__ import annotations

import re
import stat
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from lbn_tui import paths
from lbn_tui.folders import ENV_SERVED

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
#: ``python -m lbn_tui ARGS`` would (the collector paused until the first
#: frame, `lbn_tui.collector`).  Doing this in the child rather than in a
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
    from lbn_tui.__main__ import run
    code = run()
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

#: How readers' apps are started: forked from a pre-loaded zygote (the
#: default; `lbn_tui.serve.zygote`), or each one a fresh ``python`` (the old
#: path, kept for comparison and as the fallback while no zygote is ready).
READER_STARTS = ("zygote", "spawn")

#: What the zygote imports before it forks any reader: everything a reader's
#: app imports during a session (its first screen, a search, the palette, the
#: help), so that those pages are shared by all readers instead of each
#: reader's own.  No numpy (OpenBLAS starts threads, and the zygote must have
#: none when it forks) and no asyncssh.  Names missing from an installed
#: version are skipped.
ZYGOTE_PRELOAD = (
    "lbn_tui.cli",
    "lbn_tui.render",
    "lbn_tui.state",
    "lbn_tui.settings",
    "lbn_tui.search.engine",
    "lbn_tui.search.lazy",
    "lbn_tui.tui.app",
    "lbn_tui.tui.loading",
    "lbn_tui.tui.browser.commands",
    "lbn_tui.tui.dialogs.export",
    "lbn_tui.tui.dialogs.help",
    "lbn_tui.tui.dialogs.palette",
    "lbn_tui.tui.widgets.breadcrumb",
    "lbn_tui.tui.widgets.search_panel",
    "rapidfuzz.process",
    "rapidfuzz.fuzz",
    "textual.drivers.linux_driver",
    "textual.drivers.linux_inline_driver",
    "textual.drivers.headless_driver",
    "textual.layouts.horizontal",
    "textual.layouts.stream",
    "textual.scrollbar",
    "textual.system_commands",
    "textual._xterm_parser",
    "textual.pilot",
    "concurrent.futures.thread",
    "rich._unicode_data.unicode17-0-0",
)

#: The zygote's program: `lbn_tui.serve.zygote.main` with the served app's
#: entry point (``lbn_tui.cli.main`` given the pre-loaded corpus) and a
#: headless visit to the app's first screen (run once before any fork).  Its
#: argv: the control socket's descriptor, then the readers' ``lbn-tui``
#: options (as `child_argv`'s).  Readers forked from it show this command
#: line in ``ps``; their environment is their own (see zygote.py).
ZYGOTE_BOOTSTRAP = """\
import sys
from lbn_tui.serve import zygote
from lbn_tui.cli import main

def visit(corpus):
    # The served app to its first screen, headless, once (nothing saved).
    import asyncio
    from lbn_tui.state import StarStore
    from lbn_tui.tui.app import LbnApp

    async def first_screen():
        app = LbnApp(corpus, star_store=StarStore(), served=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.pause(0.1)

    asyncio.run(asyncio.wait_for(first_screen(), 30))

raise SystemExit(
    zygote.main(sys.argv[1:], lambda argv, corpus: main(argv, preloaded=corpus), visit)
)
"""

#: Room kept in the zygote's environment block so that each reader can show
#: its own environment there (``/proc/PID/environ``, ``ps e``): see
#: `lbn_tui.serve.zygote.show_environment`.
ENV_ROOM_NAME = "LBN_TUI_ENV_ROOM"
ENV_ROOM_BYTES = 8192


def default_host_key_path() -> Path:
    return paths.data_dir() / HOST_KEY_NAME


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
        ENV_SERVED: "1",
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


def child_argv(folders: Sequence[Path], with_bundled: bool) -> list[str]:
    """How to start one reader's ``lbn-tui``: the briefing folders of ``serve``.

    The child's environment is clean, so folders named by ``$LBN_TUI_BRIEFINGS``
    are passed as ``--briefings`` options, as absolute paths."""
    argv = [sys.executable, "-I", "-c", CHILD_BOOTSTRAP]
    for folder in folders:
        argv += ["--briefings", str(folder.resolve())]
    if folders and with_bundled:
        argv.append("--with-bundled")
    return argv


def zygote_argv(control_fd: int, folders: Sequence[Path], with_bundled: bool) -> list[str]:
    """How to start the zygote: its control socket, then the readers' options."""
    options = child_argv(folders, with_bundled)[4:]
    return [sys.executable, "-I", "-c", ZYGOTE_BOOTSTRAP, str(control_fd), *options]


def zygote_environment(home: Path) -> dict[str, str]:
    """The zygote's environment: a reader's, without the reader (no TERM, no
    client variables), and room for each reader to show its own."""
    env = child_environment({}, "", home, home / "state")
    del env["TERM"]
    env[ENV_ROOM_NAME] = "." * ENV_ROOM_BYTES
    return env


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
