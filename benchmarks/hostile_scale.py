"""Large hostile packs, timed: the figures of SECURITY.md ("Bounded time").

Makes, in a temporary folder,

- ``quotes``: one session and 100 000 quotes linking it (five files, since a
  file holds at most 250 000 values), about 7.5 MB;
- ``article``: one reference and an article of 20 000 paragraphs, each
  citing it, about 1 MB;
- ``big``: 64 MiB of briefing files (eight files of 8 MiB), read by `check`;

then times, as real processes, ``lbn-tui check``, ``lbn-tui show`` of the
session, the article and the reference, and opening each of them in the app
(`App.run_test`, from a cold corpus cache, until the reader shows the entry).

    python benchmarks/hostile_scale.py [--skip-big]

Prints one line per measurement: seconds of wall-clock time and of CPU time
(user + system, of the process and its children: on a busy machine the wall
clock also counts the time other programs took), then the command.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAD = "source:\n  title: T\n  url: https://example.invalid/t/\nentries:\n"

APP = """
import asyncio, sys, time
from pathlib import Path
start = time.perf_counter()
from lbn_tui.corpus import cache as corpus_cache
from lbn_tui.tui.app import LbnApp
from lbn_tui.tui.browser.screen import BrowserScreen

async def main() -> None:
    corpus = corpus_cache.load_corpus([Path(sys.argv[1])])
    app = LbnApp(corpus, open_ref=sys.argv[2])
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(2000):
            await pilot.pause(0.01)
            screen = app.screen
            if isinstance(screen, BrowserScreen) and screen.reader.blocks:
                view = screen.history.current
                if view is not None and view.key == sys.argv[2]:
                    break
        else:
            raise SystemExit("the entry was never shown")
        print(f"{time.perf_counter() - start:.2f}", len(screen.reader.blocks), flush=True)

asyncio.run(main())
"""


def quotes_pack(folder: Path, quotes: int = 100_000, per_file: int = 20_000) -> None:
    folder.mkdir(parents=True)
    (folder / "session.yaml").write_text(
        HEAD + "  - {id: s, kind: session, title: The session, series: evidence, number: 1}\n"
    )
    for start in range(0, quotes, per_file):
        lines = [HEAD]
        lines += [
            f"  - {{id: q{i}, kind: quote, text: words {i}, speaker: S{i}, session: s}}\n"
            for i in range(start, min(quotes, start + per_file))
        ]
        (folder / f"quotes-{start // per_file:03}.yaml").write_text("".join(lines))


def article_pack(folder: Path, paragraphs: int = 20_000) -> None:
    folder.mkdir(parents=True)
    lines = [
        HEAD,
        "  - {id: r, kind: reference, citation: 'R, 2021', author: R, year: '2021'}\n",
        "  - id: a\n    kind: article\n    title: A\n    paragraphs:\n",
    ]
    lines += [
        f"      - {{text: 'paragraph {i} (R, 2021)', cites: [r]}}\n" for i in range(paragraphs)
    ]
    (folder / "article.yaml").write_text("".join(lines))


def big_pack(folder: Path, files: int = 8) -> None:
    """``files`` files just under 8 MiB each: few values, long texts."""
    folder.mkdir(parents=True)
    text = "word " * 200  # 1 000 characters
    for n in range(files):
        lines = [HEAD]
        size = len(HEAD)
        i = 0
        while size < 8 * 1024 * 1024 - 2_000:
            line = f"  - {{id: q{n}-{i}, kind: quote, speaker: S, text: {text}}}\n"
            lines.append(line)
            size += len(line)
            i += 1
        (folder / f"big-{n}.yaml").write_text("".join(lines))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str]) -> tuple[str, str]:
    """'wall s (cpu s)' of a run, and its last line of output."""
    start, cpu = time.perf_counter(), _cpu()
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    elapsed, used = time.perf_counter() - start, _cpu() - cpu
    if result.returncode != 0:
        raise SystemExit(f"{command} failed: {result.stderr[-2000:]}")
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    return f"{elapsed:6.2f} s (CPU {used:6.2f} s)", last


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = dict(os.environ, XDG_STATE_HOME=str(root / "state"))
        lbn = [sys.executable, "-m", "lbn_tui"]
        quotes_pack(root / "quotes")
        article_pack(root / "article")
        runs: list[tuple[str, list[str]]] = [
            ("check quotes", [*lbn, "check", str(root / "quotes")]),
            ("show s (quotes)", [*lbn, "show", "--briefings", str(root / "quotes"), "s"]),
            ("check article", [*lbn, "check", str(root / "article")]),
            ("show a (article)", [*lbn, "show", "--briefings", str(root / "article"), "a"]),
            ("show r (article)", [*lbn, "show", "--briefings", str(root / "article"), "r"]),
        ]
        for folder, ref in (("quotes", "s"), ("article", "a"), ("article", "r")):
            cache = root / f"cache-{folder}-{ref}"  # cold: the loader reads the YAML
            runs.append(
                (
                    f"app open {ref} ({folder}, cold cache)",
                    [sys.executable, "-c", APP, str(root / folder), ref],
                )
            )
            env_cold = dict(env, XDG_CACHE_HOME=str(cache))
            seconds, out = timed(runs[-1][1], env_cold)
            runs.pop()
            print(f"{seconds}  app open {ref} ({folder}, cold cache) [{out}]", flush=True)
            seconds, out = timed([sys.executable, "-c", APP, str(root / folder), ref], env_cold)
            print(f"{seconds}  app open {ref} ({folder}, warm cache) [{out}]", flush=True)
        for name, command in runs:
            seconds, out = timed(command, dict(env, XDG_CACHE_HOME=str(root / "cache")))
            print(f"{seconds}  {name}  [{out[:60]}]", flush=True)
        if not args.skip_big:
            big_pack(root / "big")
            size = sum(p.stat().st_size for p in (root / "big").iterdir()) / 1024 / 1024
            seconds, out = timed([*lbn, "check", str(root / "big")], env)
            print(f"{seconds}  check of {size:.0f} MiB  [{out[:60]}]", flush=True)


if __name__ == "__main__":
    main()
