"""Scale benchmark: a generated pack of N passages against the bundled one.

    python benchmarks/scale_bench.py [--passages 100000] [--runs 5]
        [--pack-dir DIR] [--lbn-tui PATH] [--skip-app]

The generated pack recombines the bundled briefings' own sentences (real
text, not random words) into articles, quotes and FAQs, with a fixed seed,
written as several YAML files of at most 6 MiB each (the loader's limit is
8 MiB).  It is written once to ``--pack-dir`` (default: a folder under the
system's temporary folder named after N) and reused by later runs.

Measured in one run for both packs, each with its own fresh
``XDG_CACHE_HOME`` (and ``XDG_STATE_HOME``, ``XDG_CONFIG_HOME``):

- ``search_first_s``: ``lbn-tui search Q --json`` with an empty cache
  folder; ``search_later_s``: the median of the later calls (wall time of
  the subprocess); ``search_later_rss_mb``: the peak resident set of the
  last of them;
- ``show_first_s``, ``list_first_s``: ``show ID`` and ``list``, each with
  an empty cache folder of its own; ``show_later_s``, ``list_later_s``:
  later calls (median);
- ``app_cold_s``: the app's first frame in tmux at 80x24 with an empty
  cache folder (the time until ``lbn-tui · t contents``, the breadcrumb's
  start, appears in ``tmux capture-pane``); ``app_warm_s``: median of later
  starts; ``app_ready_s``: median time until the browser's contents list is
  up (``Contents`` on screen and no loading indicator) on warm starts;
- ``app_rss_mb``: the app's resident set (``/proc/PID/status`` VmRSS) once
  the first search's hits are shown.

Prints one JSON line per pack, one with the ratios (big / bundled), and
one with issue 12's app targets (`TARGETS`: the app's resident set after
the first search, in MB, and its warm first frame against the bundled
pack's) and whether this run met them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

GENERATOR_VERSION = 1
MAX_FILE_BYTES = 6 * 1024 * 1024
MARKER = "lbn-tui · t contents"
QUERY = "community wealth fund"
SEED = 20261127

#: Issue 12's targets for the app on the generated pack (at most).
TARGETS = {"app_rss_mb": 150.0, "app_warm_s_ratio": 1.2}

_RUN = itertools.count()
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z‘“(])")


def _bundled_sentences() -> tuple[list[str], list[str], list[str], list[str]]:
    """Sentences, headings, titles and speakers of the bundled briefings."""
    from lbn_tui.corpus.loader import load_corpus
    from lbn_tui.corpus.sources import bundled_briefings_dir

    corpus = load_corpus([bundled_briefings_dir()])
    sentences: list[str] = []
    headings: set[str] = set()
    titles: list[str] = []
    speakers: set[str] = set()
    for entry in corpus:
        titles.append(entry.title)
        for passage in entry.passages():
            if passage.heading:
                headings.add(passage.heading)
            if passage.speaker:
                speakers.add(passage.speaker)
            for sentence in _SENTENCE.split(" ".join(passage.text.split())):
                if len(sentence) > 20:
                    sentences.append(sentence)
    return sorted(set(sentences)), sorted(headings), titles, sorted(speakers)


def generate(folder: Path, passages: int) -> str:
    """Write the pack; returns the id of one entry (for ``show``)."""
    rng = random.Random(SEED)
    sentences, headings, titles, speakers = _bundled_sentences()

    def text(low: int = 1, high: int = 3) -> str:
        return " ".join(rng.choice(sentences) for _ in range(rng.randint(low, high)))

    def title() -> str:
        words = rng.choice(titles).split()
        return " ".join(words[: rng.randint(3, 12)])

    folder.mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    count = 0
    number = 0
    chunk: list[str] = []
    size = 0
    file_number = 0

    def flush() -> None:
        nonlocal chunk, size, file_number
        if not chunk:
            return
        head = yaml.dump(
            {"source": {"title": f"Generated {file_number}", "url": "https://example.invalid/"}},
            Dumper=dumper,
            allow_unicode=True,
        )
        body = head + "entries:\n" + "".join(chunk)
        (folder / f"generated-{file_number:03}.yaml").write_text(body, encoding="utf-8")
        file_number += 1
        chunk = []
        size = 0

    first_id = ""
    while count < passages:
        number += 1
        roll = rng.random()
        entry: dict[str, Any]
        if roll < 0.45:
            n = min(rng.randint(2, 8), passages - count)
            paragraphs = []
            for i in range(n):
                para: dict[str, Any] = {"text": text()}
                if i == 0 or rng.random() < 0.2:
                    para["heading"] = rng.choice(headings)
                paragraphs.append(para)
            entry = {
                "id": f"gen-article-{number}",
                "kind": "article",
                "title": title(),
                "paragraphs": paragraphs,
            }
            count += n
        elif roll < 0.85:
            entry = {
                "id": f"gen-quote-{number}",
                "kind": "quote",
                "text": text(1, 2),
                "speaker": rng.choice(speakers),
            }
            count += 1
        else:
            n = min(rng.randint(1, 3), passages - count)
            entry = {
                "id": f"gen-faq-{number}",
                "kind": "faq",
                "question": text(1, 1).rstrip(".") + "?",
                "answer": [text() for _ in range(n)],
            }
            count += n
        first_id = first_id or entry["id"]
        item = yaml.dump([entry], Dumper=dumper, allow_unicode=True, width=100)
        encoded = len(item.encode("utf-8"))
        if size + encoded > MAX_FILE_BYTES - 4096:
            flush()
        chunk.append(item)
        size += encoded
    flush()
    (folder / ".generated").write_text(json.dumps({"first_id": first_id, "passages": passages}))
    return first_id


def pack(folder: Path, passages: int) -> str:
    marker = folder / ".generated"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("passages") == passages:
            return str(info["first_id"])
    if folder.exists():
        shutil.rmtree(folder)
    return generate(folder, passages)


# --------------------------------------------------------------------------


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("CACHE", "STATE", "CONFIG", "DATA"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    env.pop("LBN_TUI_BRIEFINGS", None)
    return env


_LAST_RSS_MB = [0.0]


def _cli(lbn: str, folder_args: list[str], args: list[str], env: dict[str, str]) -> float:
    """Wall time of one call; its peak resident set goes to ``_LAST_RSS_MB``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen([lbn, *folder_args, *args], env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        took = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        _LAST_RSS_MB[0] = usage.ru_maxrss / 1024
        if child.returncode not in (0, 1):
            err.seek(0)
            raise RuntimeError(f"{args}: exit {child.returncode}: {err.read().decode()[-500:]}")
    return took


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, check=False
    ).stdout


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


_HITS = re.compile(r"\d+\+? hits?")


def app_run(
    lbn: str, folder_args: list[str], env: dict[str, str], search: bool, timeout: float = 120
) -> dict[str, float]:
    """One start in tmux: first frame, ready, and (if ``search``) RSS after a search."""
    socket = f"lbn-scale-{os.getpid()}-{next(_RUN)}"
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        pid_file = Path(tmp) / "pid"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if k.startswith("XDG_"))
        command = " ".join(shlex.quote(c) for c in (lbn, *folder_args))
        shell = f"cd {shlex.quote(tmp)} && echo $$ > pid && exec env {exports} {command}"
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
        try:
            while time.perf_counter() - start < timeout:
                screen = _tmux(socket, "capture-pane", "-p", "-t", "bench")
                now = time.perf_counter() - start
                if "first_frame_s" not in out and MARKER in screen:
                    out["first_frame_s"] = now
                if "first_frame_s" in out and "Contents" in screen and "Loading" not in screen:
                    out["ready_s"] = now
                    break
                time.sleep(0.005)
            else:
                raise RuntimeError(f"the app never became ready: {screen[-400:]}")
            if search:
                pid = int(pid_file.read_text())
                _tmux(socket, "send-keys", "-t", "bench", "/")
                time.sleep(0.3)
                _tmux(socket, "send-keys", "-t", "bench", "-l", QUERY)
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < timeout:
                    screen = _tmux(socket, "capture-pane", "-p", "-t", "bench")
                    if _HITS.search(screen):
                        break
                    time.sleep(0.02)
                else:
                    raise RuntimeError(f"no hits shown: {screen[-400:]}")
                out["search_s"] = time.perf_counter() - t0
                time.sleep(0.5)  # let the search worker finish and settle
                out["rss_mb"] = _rss_mb(pid)
        finally:
            _tmux(socket, "kill-server")
    return out


def measure(
    name: str, lbn: str, folder_args: list[str], show_id: str, runs: int, app: bool
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = _env(home)
        result: dict[str, Any] = {"pack": name}
        search = ["search", QUERY, "--json"]
        result["search_first_s"] = round(_cli(lbn, folder_args, search, env), 3)
        later = [_cli(lbn, folder_args, search, env) for _ in range(runs)]
        result["search_later_s"] = round(statistics.median(later), 3)
        result["search_later_rss_mb"] = round(_LAST_RSS_MB[0], 1)
        for name, args in (("show", ["show", show_id]), ("list", ["list"])):
            first_env = _env(home / f"first-{name}")
            result[f"{name}_first_s"] = round(_cli(lbn, folder_args, args, first_env), 3)
        later = [_cli(lbn, folder_args, ["show", show_id], env) for _ in range(runs)]
        result["show_later_s"] = round(statistics.median(later), 3)
        later = [_cli(lbn, folder_args, ["list"], env) for _ in range(runs)]
        result["list_later_s"] = round(statistics.median(later), 3)
        if app:
            cold_home = home / "cold"
            cold = app_run(lbn, folder_args, _env(cold_home), search=False)
            result["app_cold_s"] = round(cold["first_frame_s"], 3)
            result["app_cold_ready_s"] = round(cold["ready_s"], 3)
            app_run(lbn, folder_args, env, search=False)  # warm-up (OS file cache)
            warm = [app_run(lbn, folder_args, env, search=False) for _ in range(runs)]
            result["app_warm_s"] = round(statistics.median(w["first_frame_s"] for w in warm), 3)
            result["app_ready_s"] = round(statistics.median(w["ready_s"] for w in warm), 3)
            searched = app_run(lbn, folder_args, env, search=True)
            result["app_search_s"] = round(searched["search_s"], 3)
            result["app_rss_mb"] = round(searched["rss_mb"], 1)
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pack-dir", type=Path)
    parser.add_argument("--lbn-tui", default=shutil.which("lbn-tui") or "lbn-tui")
    parser.add_argument("--skip-app", action="store_true", help="CLI figures only")
    args = parser.parse_args()
    if not args.skip_app and shutil.which("tmux") is None:
        print("scale_bench: tmux is needed (or --skip-app)", file=sys.stderr)
        return 1
    folder = args.pack_dir or Path(tempfile.gettempdir()) / (
        f"lbn-scale-pack-{args.passages}-v{GENERATOR_VERSION}"
    )
    started = time.perf_counter()
    show_id = pack(folder, args.passages)
    sizes = [p.stat().st_size for p in folder.glob("*.yaml")]
    print(
        json.dumps(
            {
                "pack_dir": str(folder),
                "passages": args.passages,
                "files": len(sizes),
                "yaml_mb": round(sum(sizes) / 2**20, 1),
                "largest_file_mb": round(max(sizes) / 2**20, 2),
                "generate_s": round(time.perf_counter() - started, 1),
            }
        ),
        flush=True,
    )
    app = not args.skip_app
    small = measure("bundled", args.lbn_tui, [], "faq-what-is-the-appg", args.runs, app)
    print(json.dumps(small), flush=True)
    big = measure(
        f"generated-{args.passages}",
        args.lbn_tui,
        ["--briefings", str(folder)],
        show_id,
        args.runs,
        app,
    )
    print(json.dumps(big), flush=True)
    ratios = {
        f"{k}_ratio": round(big[k] / small[k], 2)
        for k in big
        if k != "pack" and k in small and small[k]
    }
    print(json.dumps({"ratios": "generated / bundled", **ratios}), flush=True)
    if app:
        measured = {**big, **ratios}
        met = {name: measured[name] <= limit for name, limit in TARGETS.items()}
        print(json.dumps({"targets": TARGETS, "met": met}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
