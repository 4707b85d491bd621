"""``lbn-tui serve``: the briefings over SSH, one ``lbn-tui`` process per reader.

An embedded asyncssh server (`lbn_tui.serve.ssh`) accepts readers on a
loopback or public port.  Every session that asks for a terminal gets its own
``lbn-tui`` process on a fresh pseudo-terminal, with an environment built from
scratch (`policy`); everything else a client may ask for (exec, sftp,
forwarding of any kind, arbitrary environment variables) is refused.  The
options are parsed into a `ServeConfig` (`options`); asyncssh is imported
only when the server starts.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from lbn_tui.serve.options import ServeConfig
from lbn_tui.serve.policy import EventLog


def run_serve(config: ServeConfig) -> int:
    """``lbn-tui serve``: returns the exit code (0 after SIGTERM/SIGINT)."""
    from lbn_tui.corpus.loader import check
    from lbn_tui.corpus.sources import bundled_briefings_dir

    mismatch = config.problem()
    if mismatch:
        print(f"lbn-tui serve: {mismatch}", file=sys.stderr)
        return 2
    folders = list(config.folders)
    if folders:
        if config.with_bundled:
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
    if config.authorized_keys is not None and not config.authorized_keys.is_file():
        print(f"lbn-tui: no authorized keys file at {config.authorized_keys}", file=sys.stderr)
        return 1
    if config.web:
        try:
            from lbn_tui.serve import web
        except ImportError as exc:
            print(
                f"lbn-tui: --web needs textual-serve ({exc}); pip install 'lbn-tui[web]'",
                file=sys.stderr,
            )
            return 1
        return _with_log(config, lambda log: web.serve_web(config, log, config.public_url))
    try:
        from lbn_tui.serve import ssh as serve_ssh
    except ImportError as exc:
        print(
            f"lbn-tui: serving needs asyncssh ({exc}); pip install 'asyncssh>=2.14'",
            file=sys.stderr,
        )
        return 1
    return _with_log(config, lambda log: serve_ssh.serve(config, log))


def _with_log(config: ServeConfig, run: Callable[[EventLog], int]) -> int:
    """Run the server with its event log: ``--log FILE`` (appended) or stderr."""
    log_stream: TextIO = sys.stderr
    if config.log is not None:
        try:
            log_stream = open(config.log, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            print(f"lbn-tui: cannot open log {config.log}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    try:
        return run(EventLog(log_stream))
    finally:
        if log_stream is not sys.stderr:
            log_stream.close()
