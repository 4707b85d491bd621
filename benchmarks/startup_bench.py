"""Start-up benchmark: lbn-tui against a bare Textual app, in the same run.

Each program is started in a real terminal (a detached tmux session at
80x24); "time to first frame" is the time from launch until its first
screen's marker text appears in `tmux capture-pane`, polled every 5 ms.
"CPU to first frame" is the CPU time the program (all its threads) had used
at that moment, from /proc/PID/task/*/schedstat: unlike the wall clock, it
barely moves when other programs load the machine.  lbn-tui reads a
settings file (a theme, a key, "reopen where I left off").  Peak memory is the
child's maximum resident set size, read by a small launcher with
`getrusage(RUSAGE_CHILDREN)` after the program quits.

Runs alternate between the two programs so machine noise hits both alike.
One *repeat* is ``--runs`` such pairs and gives medians and lbn-tui's ratios
to the bare app; the figures printed are the medians over ``--repeat``
repeats (three by default: "the median of three runs"), with each repeat's
ratios listed so the spread shows.

    python benchmarks/startup_bench.py [--runs 7] [--repeat 3] [--lbn-tui PATH]

Prints one JSON line:
    {"runs": 7, "repeats": 3, "bare_first_frame_s": ..., "lbn_first_frame_s": ...,
     "time_ratio": ..., "bare_cpu_to_first_frame_s": ..., "lbn_cpu_to_first_frame_s": ...,
     "cpu_ratio": ..., "bare_peak_rss_mb": ..., "lbn_peak_rss_mb": ...,
     "memory_ratio": ..., "time_ratio_per_repeat": [...], "cpu_ratio_per_repeat": [...],
     "target_time_ratio": 1.10, "target_memory_ratio": 1.3}
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BARE_APP = HERE / "bare_app.py"
LBN_MARKER = "Briefing pack"  # on the start screen: session 1's pack
BARE_MARKER = "bare app ready"

_RUN_NUMBER = itertools.count()

#: lbn-tui starts with a settings file, as a reader who has chosen a theme,
#: rebound a key and asked to reopen where they left off would (the bare app
#: ignores it).  With no last place yet, it opens at session 1 as always.
SETTINGS = """\
theme = "lbn-paper"
reopen_last = true

[keys]
"browser.search" = ["slash", "ctrl+f"]
"""

LAUNCHER = """
import resource, subprocess, sys
child = subprocess.Popen(sys.argv[3:])
with open(sys.argv[2], "w") as out:
    out.write(str(child.pid))
code = child.wait()
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[1], "w") as out:
    out.write(str(kb))
raise SystemExit(code)
"""


def tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, check=False
    ).stdout


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


def cpu_seconds(pid: int) -> float:
    """CPU time a process has had so far, all its threads (schedstat: ns)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


def measure(command: list[str], marker: str, timeout: float = 30.0) -> tuple[float, float, float]:
    """(seconds to first frame, CPU seconds to first frame, peak RSS in MiB) of one run."""
    socket = f"lbn-bench-{os.getpid()}-{next(_RUN_NUMBER)}"  # a fresh server per run
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = Path(tmp) / "rss"
        pid_file = Path(tmp) / "pid"
        launcher = Path(tmp) / "launch.py"
        launcher.write_text(LAUNCHER)
        full = [sys.executable, str(launcher), str(rss_file), str(pid_file), *command]
        config = Path(tmp) / "config" / "lbn-tui"
        config.mkdir(parents=True)
        (config / "config.toml").write_text(SETTINGS)
        env_prefix = (
            f"cd {shlex.quote(tmp)} && XDG_STATE_HOME={shlex.quote(tmp)} "
            f"XDG_CONFIG_HOME={shlex.quote(str(config.parent))} "
        )
        shell = env_prefix + " ".join(shlex.quote(c) for c in full)
        start = time.perf_counter()
        subprocess.run(
            [
                "tmux",
                "-L",
                socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "80",
                "-y",
                "24",
                "-s",
                "bench",
                shell,
            ],
            check=True,
        )
        first = None
        cpu = 0.0
        try:
            while time.perf_counter() - start < timeout:
                screen = tmux(socket, "capture-pane", "-p", "-t", "bench")
                if marker in screen:
                    first = time.perf_counter() - start
                    cpu = cpu_seconds(int(_read(pid_file)))
                    break
                time.sleep(0.005)
            if first is None:
                raise RuntimeError(f"{command!r}: marker {marker!r} never appeared")
            tmux(socket, "send-keys", "-t", "bench", "C-q")
            deadline = time.perf_counter() + 10
            # The launcher creates the file, then writes it: wait for the number.
            while not _read(rss_file) and time.perf_counter() < deadline:
                time.sleep(0.02)
        finally:
            tmux(socket, "kill-server")
        kb = _read(rss_file)
        if not kb:
            raise RuntimeError(f"{command!r} did not quit on ctrl+q")
        return first, cpu, int(kb) / 1024


def summary(
    bare: list[tuple[float, float, float]], lbn: list[tuple[float, float, float]]
) -> dict[str, float]:
    """Medians of one repeat's runs, and lbn-tui's ratios to the bare app."""

    def median(runs: list[tuple[float, float, float]], field: int) -> float:
        return statistics.median(run[field] for run in runs)

    return {
        "bare_first_frame_s": round(median(bare, 0), 3),
        "lbn_first_frame_s": round(median(lbn, 0), 3),
        "time_ratio": round(median(lbn, 0) / median(bare, 0), 3),
        "bare_cpu_to_first_frame_s": round(median(bare, 1), 3),
        "lbn_cpu_to_first_frame_s": round(median(lbn, 1), 3),
        "cpu_ratio": round(median(lbn, 1) / median(bare, 1), 3),
        "bare_peak_rss_mb": round(median(bare, 2), 1),
        "lbn_peak_rss_mb": round(median(lbn, 2), 1),
        "memory_ratio": round(median(lbn, 2) / median(bare, 2), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="pairs of runs per repeat")
    parser.add_argument(
        "--repeat", type=int, default=3, help="repeats; the figures are their medians"
    )
    parser.add_argument("--lbn-tui", default=shutil.which("lbn-tui") or "lbn-tui")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("startup_bench: tmux is needed (apt-get install tmux)", file=sys.stderr)
        return 1
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        # An editable install with no .pyc files recompiles lbn-tui's sources
        # on every launch (Textual's are compiled): measure a `pip install .`
        # or run `python -m compileall src/lbn_tui` first.
        print(
            "startup_bench: PYTHONDONTWRITEBYTECODE is set; stale bytecode makes "
            "lbn-tui look slower than an installed copy",
            file=sys.stderr,
        )
    bare_cmd = [sys.executable, str(BARE_APP)]
    lbn_cmd = [args.lbn_tui]
    # One warm-up of each, not counted (fills the OS file cache).
    measure(bare_cmd, BARE_MARKER)
    measure(lbn_cmd, LBN_MARKER)
    repeats = []
    for _ in range(args.repeat):
        bare: list[tuple[float, float, float]] = []
        lbn: list[tuple[float, float, float]] = []
        for _ in range(args.runs):
            bare.append(measure(bare_cmd, BARE_MARKER))
            lbn.append(measure(lbn_cmd, LBN_MARKER))
        repeats.append(summary(bare, lbn))
    result = {
        "runs": args.runs,
        "repeats": args.repeat,
        **{key: statistics.median(r[key] for r in repeats) for key in repeats[0]},
        "time_ratio_per_repeat": [r["time_ratio"] for r in repeats],
        "cpu_ratio_per_repeat": [r["cpu_ratio"] for r in repeats],
        "target_time_ratio": 1.10,
        "target_memory_ratio": 1.3,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
