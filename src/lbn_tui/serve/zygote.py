"""Readers' apps forked from a pre-loaded parent: the zygote.

A fresh ``python`` per reader imports Textual and loads the briefings every
time (~31 MiB PSS and a slow first screen each).  Instead the SSH server
starts one helper process, the *zygote* (``policy.ZYGOTE_BOOTSTRAP``, started
with ``subprocess``, so the server's threads never meet a fork), which
imports everything a reader's app uses (``policy.ZYGOTE_PRELOAD``), loads and
validates the corpus once, visits the app's first screen once, headless
(`Zygote.warm_up`), freezes the garbage collector's objects so that the
pages stay shared, and then waits on a Unix socket.

What a forked reader costs is the pages it writes to: Python writes to an
object whenever it takes or drops a reference to it, so every page holding
an object the reader's app uses is copied into the reader (measured with
/proc/PID/smaps and pagemap: almost all of a reader's private memory is such
copies).  Before its first fork the zygote lowers that (`Zygote.warm_up`;
docs/serving.md has the figures): a headless visit to the first screen
imports, parses and caches once what each reader's first screen would
(Textual's CSS, themes, the corpus's outline); a rehearsal reader, forked
as a real one on a terminal of the zygote's own, tells which code a reader
calls, and that code is copied one piece after another into fewer pages
(`gather_code`); and on CPython 3.11 the code loaded is marked as already
specialised (`keep_bytecode_shared`), so that running a function in a
reader no longer rewrites its bytecode in place.

For each reader the server creates the pseudo-terminal and sends its slave
side (SCM_RIGHTS) with the reader's environment and home; the zygote checks
that it still has one thread and that the briefings have not changed
(reloading them if they have), forks, and answers with the reader's pid and
a pidfd.  The child becomes what the old path's child is: a session leader
with the pty as controlling terminal and as stdin/stdout/stderr, every other
descriptor closed, the clean environment and working folder of the session,
the signal dispositions of a new interpreter, ``RLIMIT_AS``, a fresh
``random`` seed; then it runs ``lbn_tui.cli.main`` with the corpus already
in memory.  The zygote reaps its children and reports each exit status.

The zygote never reads a byte of reader input: it only receives descriptors
and JSON requests from the server, and the pty's master side stays in the
server (the only terminal it reads is its rehearsal reader's, before any
reader).  If it dies, `ZygoteClient` says so, new readers are started the old
way (a fresh ``python``) and the zygote is started again after a pause;
readers it had forked carry on.

No asyncssh here (`ZygoteClient` is plain asyncio); the zygote side imports
only the standard library and the corpus modules, plus the app through the
bootstrap.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lbn_tui.serve import policy

#: The largest control message (a request carries an environment of at most
#: a few KiB).
MAX_MESSAGE = 64 * 1024
#: Seconds to wait before starting a zygote again after one died (then the
#: next delay, up to the last).
RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
#: How long the server waits at start for the zygote before listening anyway
#: (readers arriving meanwhile are started the old way).
READY_TIMEOUT = 60.0
#: Exit status of a reader whose exit was not seen by its zygote (which died
#: first) and could not be read from /proc either.
UNKNOWN_STATUS = 0
ZYGOTE_HOME_PREFIX = "lbn-tui-zygote-"
#: A forked reader's collector runs more often than Python's default
#: (700, 10, 10): its cyclic garbage is freed sooner, so the app's next
#: objects take that memory rather than more of the zygote's pages (0.2 MiB
#: less per reader at the first screen; the zygote's frozen objects are
#: never scanned).
READER_GC_THRESHOLDS = (100, 5, 5)
#: The longest the zygote's rehearsal reader may take (`Zygote.rehearse`).
REHEARSAL_SECONDS = 20.0

Runner = Callable[[list[str], Any], int]
Visit = Callable[[Any], None]


# --------------------------------------------------------------------------
# The zygote process.


def main(argv: list[str], run: Runner, visit: Visit | None = None) -> int:
    """The zygote: ``argv`` is the control socket's descriptor and the
    readers' ``lbn-tui`` options; ``run(options, corpus)`` is a reader's app;
    ``visit(corpus)`` runs it once to its first screen, headless (see
    `Zygote.warm_up`)."""
    control = socket.socket(fileno=int(argv[0]))
    options = argv[1:]
    # A Ctrl+C typed at the server's terminal reaches its whole process group:
    # the server decides what happens (it closes our socket, and we exit).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import resource

    limit = policy.CHILD_MEMORY_LIMIT
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for name in policy.ZYGOTE_PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    zygote = Zygote(control, run, options)
    zygote.load()
    warm = zygote.warm_up(visit)
    zygote.send({"ready": os.getpid(), "warm": warm, "gathered": len(zygote.gathered)})
    code = zygote.serve()
    # Our home (the working folder the server made), also when the server was
    # killed outright and cannot remove it.
    home = Path.cwd()
    if home.name.startswith(ZYGOTE_HOME_PREFIX):
        shutil.rmtree(home, ignore_errors=True)
    return code


def briefing_dirs(options: Sequence[str]) -> list[Path]:
    """The folders a reader's ``lbn-tui`` started with these options loads."""
    from lbn_tui.folders import briefing_folders

    named = [Path(options[i + 1]) for i, o in enumerate(options[:-1]) if o == "--briefings"]
    return briefing_folders(named, "--with-bundled" in options)


class Zygote:
    """The zygote's loop: requests in, forked readers and exit statuses out."""

    def __init__(self, control: socket.socket, run: Runner, options: list[str]) -> None:
        self.control = control
        self.run = run
        self.options = options
        self.dirs = briefing_dirs(options)
        self.key: str | None = None
        self.corpus: Any = None
        self.children: dict[int, int] = {}  # pidfd -> pid
        #: The code `gather_code` replaced, kept (see there).
        self.gathered: list[types.CodeType] = []

    def load(self) -> None:
        """Load (or reload) the corpus, as a reader's app would, and make
        what exists now permanent for the collector (shared pages stay shared)."""
        from lbn_tui.corpus import cache as corpus_cache

        self.key = corpus_cache.corpus_key(self.dirs)
        corpus = corpus_cache.load_corpus(self.dirs)
        _ = corpus.passages
        self.corpus = corpus
        gc.collect()
        gc.freeze()

    def warm_up(self, visit: Visit | None) -> str:
        """Before the first fork: keep the code loaded so far from being
        specialised in the readers, then run ``visit`` (the app to its first
        screen, headless) so that what it imports, parses and caches is
        shared, and gather the code a reader runs (learnt from a rehearsal
        reader, `rehearse`, else from the visit) into pages of its own
        (`gather_code`); then make the lot permanent for the collector.  What
        happened, for the server's log: ``ok``, ``-`` (no visit) or the error
        (the readers are then forked without it: it only saves memory)."""
        gc.unfreeze()  # (`loaded_code` sees only what the collector may collect)
        with contextlib.suppress(Exception):
            keep_bytecode_shared(loaded_code())
        outcome = "-"
        ran: dict[int, types.CodeType] = {}
        if visit is not None:
            sys.setprofile(_call_recorder(ran))
            try:
                visit(self.corpus)
                outcome = "ok"
            except Exception as exc:
                outcome = f"{type(exc).__name__}: {exc}"[:200]
            finally:
                sys.setprofile(None)
        threads = len(os.listdir("/proc/self/task"))
        if threads != 1 and outcome == "ok":
            outcome = f"the visit left {threads} threads"
        gc.collect()
        try:
            if outcome == "ok":
                # What a reader runs, rather than the headless visit, if we can.
                known = {id(code): code for code in loaded_code()}
                rehearsed = [known[i] for i in self.rehearse() if i in known]
                self.gathered = gather_code(rehearsed or list(ran.values()))
                known.clear()
            # What the visit loaded too, and the copies.
            keep_bytecode_shared(loaded_code())
        except Exception as exc:  # only memory is at stake: readers are forked anyway
            outcome = f"{type(exc).__name__}: {exc}"[:200]
        ran.clear()
        gc.collect()
        gc.freeze()
        return outcome

    def rehearse(self, seconds: float = REHEARSAL_SECONDS) -> list[int]:
        """Fork one reader as for a real one, on a pseudo-terminal of our own
        (80x24, no input but a Ctrl+Q once its first screen is drawn), and
        return the ids of the code objects it called, in the order of their
        first call: the child is our copy, so they are our objects' ids.
        Nothing on failure (the reader is then not needed for anything)."""
        import fcntl
        import pty
        import struct
        import termios

        home = Path(tempfile.mkdtemp(prefix="rehearsal-", dir=Path.cwd()))
        master = slave = -1
        try:
            (home / "state").mkdir(mode=0o700)
            env = policy.child_environment({}, policy.DEFAULT_TERM, home, home / "state")
            master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            calls = home / "calls.txt"
            pid = os.fork()
            if pid == 0:
                with contextlib.suppress(OSError):
                    os.close(master)
                self.become_reader(slave, env, str(home), calls)  # never returns
            os.close(slave)
            slave = -1
            _drive_rehearsal(master, pid, seconds)
            text = calls.read_text() if calls.exists() else ""
            return [int(line) for line in text.split()]
        except (OSError, ValueError):
            return []
        finally:
            for fd in (master, slave):
                if fd >= 0:
                    os.close(fd)
            shutil.rmtree(home, ignore_errors=True)

    def send(self, message: Mapping[str, Any], fds: Sequence[int] = ()) -> None:
        data = json.dumps(message).encode("utf-8")
        if fds:
            socket.send_fds(self.control, [data], list(fds))
        else:
            self.control.send(data)

    def serve(self) -> int:
        poller = select.poll()
        poller.register(self.control, select.POLLIN)
        while True:
            for fd, _events in poller.poll():
                if fd == self.control.fileno():
                    try:
                        data, fds, _flags, _addr = socket.recv_fds(self.control, MAX_MESSAGE, 4)
                    except OSError:
                        return 0
                    if not data:  # the server has gone: so do we
                        return 0
                    pidfd = self.handle(data, fds)
                    if pidfd >= 0:
                        poller.register(pidfd, select.POLLIN)
                elif fd in self.children:
                    poller.unregister(fd)
                    self.reap(fd)

    def reap(self, pidfd: int) -> None:
        pid = self.children.pop(pidfd)
        os.close(pidfd)
        try:
            _pid, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return
        self.send({"exit": pid, "status": _returncode(status)})

    def handle(self, data: bytes, fds: list[int]) -> int:
        """One request: fork a reader on the descriptor sent; its pidfd, or -1."""
        request_id: Any = None
        try:
            request = json.loads(data)
            request_id = request["id"]
            env = {str(k): str(v) for k, v in request["env"].items()}
            home = str(request["home"])
            if len(fds) != 1:
                raise ValueError(f"expected one terminal, got {len(fds)} descriptors")
            problem = self.unfit()
            if problem:
                raise RuntimeError(problem)
        except Exception as exc:
            for fd in fds:
                os.close(fd)
            self.send({"id": request_id, "error": str(exc)[:300] or type(exc).__name__})
            return -1
        (tty,) = fds
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        gc.freeze()
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(tty)
            self.send({"id": request_id, "error": f"cannot fork: {exc}"})
            return -1
        if pid == 0:  # the reader
            self.become_reader(tty, env, home)  # never returns
        os.close(tty)
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = pid
        self.send({"id": request_id, "pid": pid}, [pidfd])
        return pidfd

    def unfit(self) -> str | None:
        """Why this process must not fork a reader now, or None.  Reloads the
        corpus if the briefings changed (a reader started the old way would
        see the change); a failed reload is the answer, and the server starts
        that reader the old way, which tells the reader about the problem."""
        threads = len(os.listdir("/proc/self/task"))
        if threads != 1:
            return f"the zygote has {threads} threads; it forks only with one"
        from lbn_tui.corpus import cache as corpus_cache

        key = corpus_cache.corpus_key(self.dirs)
        if key is None or key != self.key:
            try:
                self.load()
            except Exception as exc:
                return f"the briefings changed and cannot be loaded: {exc}"[:300]
        return None

    def become_reader(
        self, tty: int, env: dict[str, str], home: str, calls_to: Path | None = None
    ) -> None:
        """In the forked child: a reader's process, then its app; never returns.
        With ``calls_to`` (a rehearsal, `rehearse`): the ids of the code
        objects it calls are written there at the end."""
        code = 70
        try:
            if calls_to is not None:
                ran: dict[int, types.CodeType] = {}
                profile = _call_recorder(ran)

                def write_calls(path: Path = calls_to) -> None:
                    path.write_text("\n".join(map(str, ran)))

                import atexit
                import threading

                atexit.register(write_calls)
                sys.setprofile(profile)
                threading.setprofile(profile)
            os.setsid()
            import fcntl
            import termios

            fcntl.ioctl(tty, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(tty, fd)
            if tty > 2:
                os.close(tty)
            # Nothing of the zygote's: its socket, its children's pidfds, anything else.
            self.control.close()
            for pidfd in self.children:
                os.close(pidfd)
            self.children.clear()
            os.closerange(3, os.sysconf("SC_OPEN_MAX"))
            # The dispositions of a new interpreter.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGQUIT, signal.SIGCHLD):
                signal.signal(signum, signal.SIG_DFL)
            os.chdir(home)
            os.environ.clear()
            os.environ.update(env)
            show_environment(os.environ)
            import random

            random.seed()  # (also done by random's own at-fork hook)
            gc.set_threshold(*READER_GC_THRESHOLDS)
            sys.argv = ["lbn-tui", *self.options]
            try:
                code = self.run(list(self.options), self.corpus)
            except SystemExit as exc:
                code = _exit_code(exc.code)
            except KeyboardInterrupt:
                code = 130
            except BaseException:
                import traceback

                with open(os.path.join(home, "crash.txt"), "w") as report:
                    traceback.print_exc(file=report)
                code = 70
            import atexit

            atexit._run_exitfuncs()
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
        finally:
            os._exit(code)


#: CPython 3.11's code object (``PyCodeObject``): ``co_warmup``, a C short at
#: this offset, counts calls up from -8; at 0 the interpreter rewrites the
#: code's bytecode in place with adaptive instructions ("quickening"), whose
#: counters and caches it then keeps writing.  0 also means "quickened".
_CO_WARMUP = 52
_CO_WARMUP_START = -8


def loaded_code() -> list[types.CodeType]:
    """The code objects of every function that exists now, and the code
    nested in them (functions, lambdas and classes not yet created)."""
    found: dict[int, types.CodeType] = {}
    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType):
            found.setdefault(id(obj.__code__), obj.__code__)
    todo = list(found.values())
    while todo:
        for const in todo.pop().co_consts:
            if isinstance(const, types.CodeType) and id(const) not in found:
                found[id(const)] = const
                todo.append(const)
    return list(found.values())


def gather_code(ran: Sequence[types.CodeType]) -> list[types.CodeType]:
    """Copy the code objects ``ran`` (in that order: the order a reader's
    first screen first calls them) one after another, and point every
    function that has one at its copy (code nested in a copied one, for
    functions made later, is copied with it).  A reader then finds the code
    its first screen runs in fewer pages than the imports scattered it over
    (taking a reference to a code object, as each call does, writes to its
    page, which the reader then copies).  Returns the originals, which the
    caller keeps: freed, their memory would take readers' new objects, which
    would copy those pages again.  Code is immutable: a copy behaves as the
    original (``__code__`` is documented as assignable)."""
    # And the code nested in it: making a function (a closure, a lambda)
    # takes a reference to its code, called or not.
    order = list(ran)
    for code in order:
        order.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    wanted = {id(code) for code in order}
    copies: dict[int, types.CodeType] = {}

    def copy(code: types.CodeType) -> types.CodeType:
        done = copies.get(id(code))
        if done is not None:
            return done
        consts = code.co_consts
        if any(isinstance(c, types.CodeType) and id(c) in wanted for c in consts):
            nested = tuple(
                copy(c) if isinstance(c, types.CodeType) and id(c) in wanted else c for c in consts
            )
        else:
            nested = consts
        done = code.replace(co_consts=nested)
        copies[id(code)] = done
        return done

    for code in order:
        copy(code)
    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType):
            done = copies.get(id(obj.__code__))
            if done is not None:
                obj.__code__ = done
    return list(ran)


def _call_recorder(
    ran: dict[int, types.CodeType],
) -> Callable[[types.FrameType, str, object], None]:
    """A profile function (`sys.setprofile`) that keeps in ``ran`` each code
    object called, by id, in the order of its first call."""

    def profile(frame: types.FrameType, event: str, _arg: object) -> None:
        if event == "call":
            ran.setdefault(id(frame.f_code), frame.f_code)

    return profile


def keep_bytecode_shared(codes: Sequence[types.CodeType]) -> int:
    """On CPython 3.11: mark these code objects, those not specialised yet,
    as specialised already, so that the interpreter never rewrites their
    bytecode (it runs it as it runs any code during its first calls).  In a
    forked reader those writes copied each code object's pages out of the
    zygote.  The cost: that code runs unspecialised (it is the app's code,
    which spends its time waiting for the reader).  Does nothing elsewhere,
    nor if a probe does not show the expected layout.  Returns how many
    code objects it marked."""
    if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11):
        return 0
    import ctypes

    def warmup(code: types.CodeType) -> Any:
        return ctypes.c_short.from_address(id(code) + _CO_WARMUP)

    def bytecode(code: types.CodeType) -> bytes:
        start = id(code) + type(code).__basicsize__  # co_code_adaptive
        return ctypes.string_at(start, len(code.co_code))

    # The probe: a fresh function counts up from the start, its bytecode
    # unchanged; marked, it stays so however often it is called.
    probe = types.FunctionType(compile("lambda x: x.real + 1", "<probe>", "eval").co_consts[0], {})
    code = probe.__code__
    if warmup(code).value != _CO_WARMUP_START or bytecode(code) != code.co_code:
        return 0
    probe(1)
    if warmup(code).value != _CO_WARMUP_START + 1:
        return 0
    warmup(code).value = 0
    for _ in range(3 * -_CO_WARMUP_START):
        probe(1)
    if warmup(code).value != 0 or bytecode(code) != code.co_code:
        return 0
    marked = 0
    for code in codes:
        counter = warmup(code)
        if counter.value < 0:
            counter.value = 0
            marked += 1
    return marked


def _drive_rehearsal(master: int, pid: int, seconds: float) -> None:
    """The rehearsal's terminal: read what the app draws; once it has drawn
    and been quiet for a moment (or after a while), type Ctrl+Q; wait for
    the app to exit (killed after ``seconds``)."""
    start = time.monotonic()
    first: float | None = None
    last = start
    quit_sent = False
    while time.monotonic() - start < seconds:
        readable, _, _ = select.select([master], [], [], 0.1)
        now = time.monotonic()
        if readable:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the app has closed the terminal
                break
            if not data:
                break
            first = now if first is None else first
            last = now
        elif first is not None and not quit_sent and (now - last > 0.3 or now - first > 3):
            os.write(master, b"\x11")  # Ctrl+Q
            quit_sent = True
    # Its terminal closes as it exits; a moment for that, then no more.
    end = time.monotonic() + 2
    try:
        while os.waitpid(pid, os.WNOHANG)[0] == 0:
            if time.monotonic() > end or time.monotonic() - start > seconds:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.02)
    except ChildProcessError:
        pass


def show_environment(env: Mapping[str, str]) -> None:
    """Write ``env`` over this process's initial environment block, the one
    ``/proc/PID/environ`` (and ``ps e``) shows: a forked reader would show the
    zygote's otherwise.  The zygote is started with room for it
    (``policy.ENV_ROOM_BYTES``); what does not fit is left out of that view
    only.  Nothing reads the old block: the C library's ``environ`` was
    rebuilt by ``os.environ``."""
    import ctypes

    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start, env_end
    except (OSError, IndexError, ValueError):
        return
    room = end - start
    if room <= 0:
        return
    text = b""
    for name, value in env.items():
        item = f"{name}={value}".encode("utf-8", "surrogateescape") + b"\0"
        if len(text) + len(item) > room:
            break
        text += item
    ctypes.memmove(start, text.ljust(room, b"\0"), room)


def _returncode(status: int) -> int:
    """A wait status as ``subprocess``'s returncode (negative: the signal)."""
    return os.waitstatus_to_exitcode(status)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(Exception):
        print(code, file=sys.stderr)
    return 1


# --------------------------------------------------------------------------
# The server's side.


class ForkedReader:
    """A reader's process forked by the zygote: what `ReaderSession` needs of
    a ``subprocess.Popen`` (``pid``, ``returncode``, ``poll``, ``wait``).  The
    exit status comes from the zygote (or, if it died, from the pidfd and
    /proc); ``on_exit`` is called once, when it is known."""

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid = pid
        self.pidfd = pidfd
        self.returncode: int | None = None
        self.on_exit: Callable[[], None] | None = None

    def poll(self) -> int | None:
        return self.returncode

    def wait(self) -> int:
        return self.returncode if self.returncode is not None else UNKNOWN_STATUS

    def exited(self, status: int) -> None:
        if self.returncode is not None:
            return
        self.returncode = status
        if self.pidfd >= 0:
            with contextlib.suppress(OSError):
                asyncio.get_running_loop().remove_reader(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = -1
        if self.on_exit is not None:
            self.on_exit()


Answer = Callable[[ForkedReader | None, str | None], None]


class ZygoteClient:
    """The server's end: starts the zygote (again, after it dies), asks it
    for readers, hands out their exits.  ``log`` is the server's event log."""

    def __init__(
        self, folders: Sequence[Path], with_bundled: bool, log: Callable[..., None]
    ) -> None:
        self.folders = tuple(folders)
        self.with_bundled = with_bundled
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.home: Path | None = None
        self.ready = False
        self.closed = False
        self.failures = 0
        self.started_at = 0.0
        self._ready_event: asyncio.Event | None = None
        self._next_id = 0
        self._pending: dict[int, Answer] = {}
        self.readers: dict[int, ForkedReader] = {}
        self._restart: asyncio.TimerHandle | None = None

    # -- Life.

    def start(self) -> None:
        """Start a zygote; `ready` turns True when it has loaded everything."""
        loop = asyncio.get_running_loop()
        self._ready_event = asyncio.Event()
        self.home = Path(tempfile.mkdtemp(prefix=ZYGOTE_HOME_PREFIX))
        (self.home / "state").mkdir(mode=0o700)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with open(self.home / "stderr.txt", "wb") as err:
                self.proc = subprocess.Popen(
                    policy.zygote_argv(theirs.fileno(), self.folders, self.with_bundled),
                    stdin=subprocess.DEVNULL,
                    stdout=err,
                    stderr=err,
                    env=policy.zygote_environment(self.home),
                    cwd=self.home,
                    pass_fds=(theirs.fileno(),),
                    close_fds=True,
                )
        except OSError as exc:
            ours.close()
            self.log("error", what="zygote", error=exc)
            self._cleanup()
            self._schedule_restart()
            return
        finally:
            theirs.close()
        ours.setblocking(False)
        self.sock = ours
        self.started_at = loop.time()
        loop.add_reader(ours.fileno(), self._readable)

    async def wait_ready(self, timeout: float = READY_TIMEOUT) -> bool:
        if self._ready_event is None:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready_event.wait(), timeout)
        return self.ready

    def usable(self) -> bool:
        return self.ready and self.sock is not None and not self.closed

    async def close(self) -> None:
        """Stop the zygote (at the server's shutdown): it exits on EOF."""
        self.closed = True
        if self._restart is not None:
            self._restart.cancel()
            self._restart = None
        proc = self.proc
        self._disconnect()
        if proc is not None:
            try:
                await asyncio.wait_for(asyncio.to_thread(proc.wait), 5)
            except TimeoutError:
                proc.kill()
                await asyncio.to_thread(proc.wait)
        self._cleanup()

    # -- Readers.

    def spawn(self, env: Mapping[str, str], home: Path, tty: int, answer: Answer) -> None:
        """Ask for a reader on ``tty`` (the server keeps its copy); ``answer``
        gets the reader, or None and why (then start the reader the old way).
        Raises OSError if the request cannot be sent."""
        if self.sock is None:
            raise OSError("no zygote")
        self._next_id += 1
        request = {"id": self._next_id, "env": dict(env), "home": str(home)}
        socket.send_fds(self.sock, [json.dumps(request).encode("utf-8")], [tty])
        self._pending[self._next_id] = answer

    # -- Messages.

    def _readable(self) -> None:
        sock = self.sock
        if sock is None:
            return
        for _ in range(64):
            try:
                data, fds, _flags, _addr = socket.recv_fds(sock, MAX_MESSAGE, 4)
            except BlockingIOError:
                return
            except OSError:
                data, fds = b"", []
            if not data:
                for fd in fds:
                    os.close(fd)
                self._died()
                return
            try:
                message = json.loads(data)
            except ValueError:
                message = {}
            self._handle(message, fds)

    def _handle(self, message: dict[str, Any], fds: list[int]) -> None:
        if "ready" in message:
            self.ready = True
            self.failures = 0
            seconds = asyncio.get_running_loop().time() - self.started_at
            self.log(
                "zygote",
                pid=message["ready"],
                seconds=f"{seconds:.2f}",
                warm=str(message.get("warm", "-")),
                gathered=str(message.get("gathered", 0)),
            )
            if self._ready_event is not None:
                self._ready_event.set()
        elif "exit" in message:
            reader = self.readers.pop(int(message["exit"]), None)
            if reader is not None:
                reader.exited(int(message["status"]))
        elif "id" in message:
            answer = self._pending.pop(message["id"], None)
            if "pid" in message and len(fds) == 1:
                reader = ForkedReader(int(message["pid"]), fds[0])
                self.readers[reader.pid] = reader
                if answer is not None:
                    answer(reader, None)
                return
            if answer is not None:
                answer(None, str(message.get("error", "no answer")))
        for fd in fds:
            os.close(fd)

    def _died(self) -> None:
        proc = self.proc
        status: int | None = None
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                status = proc.wait(1)
        error = ""
        if self.home is not None:
            with contextlib.suppress(OSError):
                lines = (self.home / "stderr.txt").read_text(errors="replace").splitlines()
                error = next((line.strip() for line in reversed(lines) if line.strip()), "")
        if not self.closed:
            self.log(
                "zygote-exit",
                pid=proc.pid if proc is not None else "?",
                status=status if status is not None else "?",
                error=error[:300] or "-",
            )
        self._disconnect()
        self._cleanup()
        for answer in self._pending.values():
            answer(None, "the zygote stopped")
        self._pending.clear()
        # Its readers carry on (orphans now): watch them through their pidfds.
        loop = asyncio.get_running_loop()
        for reader in list(self.readers.values()):
            if reader.pidfd >= 0:
                loop.add_reader(reader.pidfd, self._orphan_exited, reader)
        self.readers.clear()
        if not self.closed:
            self.failures += 1
            self._schedule_restart()

    def _orphan_exited(self, reader: ForkedReader) -> None:
        reader.exited(_orphan_status(reader.pid))

    def _schedule_restart(self) -> None:
        if self.closed:
            return
        delay = RESTART_DELAYS[min(max(self.failures - 1, 0), len(RESTART_DELAYS) - 1)]
        self._restart = asyncio.get_running_loop().call_later(delay, self._restart_now)

    def _restart_now(self) -> None:
        self._restart = None
        if not self.closed:
            self.start()

    def _disconnect(self) -> None:
        self.ready = False
        if self.sock is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()
            self.sock = None
        self.proc = None

    def _cleanup(self) -> None:
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None


def _orphan_status(pid: int) -> int:
    """The exit status of a reader whose zygote died before it: ours to reap
    if we are its subreaper, else from /proc while it is a zombie, else unknown."""
    with contextlib.suppress(ChildProcessError, OSError):
        got, status = os.waitpid(pid, os.WNOHANG)
        if got == pid:
            return _returncode(status)
    for _ in range(3):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            break
        if fields[0] in ("Z", "X") and len(fields) > 49:
            return _returncode(int(fields[49]))
        time.sleep(0.01)
    return UNKNOWN_STATUS
