"""An internal error in the app: one line for the reader, never a traceback
(with local variables) on the screen; the traceback goes to a file locally,
or to the server's log when served."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# A copy of the real app whose first frame is followed by a bug.
SCRIPT = """
import sys
from lbn_tui.tui import app as app_module
from lbn_tui.corpus.loader import load_corpus
from lbn_tui.corpus.sources import bundled_briefings_dir

class BuggyApp(app_module.LbnApp):
    def on_ready(self) -> None:
        self.set_timer(0.3, self.boom)

    def boom(self) -> None:
        secret_local = "do-not-show-me"
        raise ValueError("a bug " + secret_local)

app_module.LbnApp = BuggyApp
served = sys.argv[1] == "served"
try:
    code = app_module.run_app(load_corpus([bundled_briefings_dir()]), served=served)
except app_module.AppCrashed as crash:
    print("APP-CRASHED", "do-not-show-me" in str(crash), file=sys.stderr)
    code = 70
raise SystemExit(code)
"""


def run_on_pty(mode: str, state: Path) -> tuple[bytes, int]:
    main, child = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "XDG_STATE_HOME": str(state)}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, mode],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        start_new_session=True,
    )
    os.close(child)
    output = bytearray()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        elif proc.poll() is not None:
            break
    try:
        code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # never leave a hung app behind
        proc.wait()
        code = None
    finally:
        os.close(main)
    assert code is not None, (
        "the app did not exit after its internal error:\n"
        + output.decode("utf-8", "replace")[-2000:]
    )
    return bytes(output), code


@pytest.mark.parametrize("mode", ["local", "served"])
def test_internal_error_shows_one_line_not_a_traceback(tmp_path: Path, mode: str) -> None:
    output, code = run_on_pty(mode, tmp_path)
    text = output.decode("utf-8", "replace")
    assert code != 0
    assert "lbn-tui stopped after an internal error" in text
    assert "Traceback" not in text
    assert "do-not-show-me" not in text.split("APP-CRASHED")[0]
    if mode == "local":
        reports = list((tmp_path / "lbn-tui").glob("crash-*.txt"))
        assert len(reports) == 1
        assert "ValueError: a bug do-not-show-me" in reports[0].read_text()
        assert str(reports[0]) in "".join(text.split())  # wrapped at the edge
    else:
        assert "the server's log" in text
        assert "APP-CRASHED True" in text  # the traceback reaches the server
