"""Hostile briefing packs, run through the real command as a subprocess.

Every pack gives one ``path:line:col: message`` line per problem from
``lbn-tui check`` (stdout) and from ``lbn-tui search`` and the app itself
(``lbn-tui`` with no command), which refuse to start: the same lines on
stderr, then one summary line, exit 1.  Always within a hang guard
(`TIME_LIMIT`) and a 1 GiB address-space limit, never a traceback, never a
raw escape character in the output.

The small text packs are in tests/fixtures/hostile/; large, binary, symlink,
FIFO and permission cases are made here in tmp_path.
"""

from __future__ import annotations

import ctypes
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lbn_tui.corpus import loader
from lbn_tui.corpus.loader import BriefingsError, check, load_corpus

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
HEAD = "source:\n  title: T\n  url: https://example.invalid/t/\nentries:\n"
GOOD = HEAD + "  - id: good-entry\n    kind: faq\n    question: q\n    answer: a\n"

TIME_LIMIT = 10  # seconds: a hang guard, not a performance assertion
MEMORY_LIMIT = 1 << 30  # RLIMIT_AS for every subprocess

PROBLEM_LINE = re.compile(r"^(?P<path>[^\n]+?):(?P<line>\d+):(?P<col>\d+): (?P<message>\S.*)$")
SUMMARY = re.compile(r"^lbn-tui: the briefings have \d+ problems?; see 'lbn-tui check[^'\x1b]*'$")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def lbn(
    *args: str | Path,
    env: dict[str, str],
    preexec: Callable[[], None] = _limit_memory,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "lbn_tui", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=TIME_LIMIT,
        preexec_fn=preexec,
    )
    assert result.returncode >= 0, f"killed by signal {-result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    for stream in (result.stdout, result.stderr):
        assert "\x1b" not in stream and "\x07" not in stream and "\x9b" not in stream
    return result


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "LBN_TUI_BRIEFINGS"}
    out["XDG_STATE_HOME"] = str(tmp_path / "state")
    out["PYTHONIOENCODING"] = "utf-8"
    out["TERM"] = "xterm-256color"
    return out


# --------------------------------------------------------------------------
# The hostile packs.  Each builder fills a folder and returns the problems
# expected, in order: (file name, line or None, column or None, part of the
# message).


Expected = list[tuple[str, int | None, int | None, str]]


def _fixture(name: str) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        shutil.copytree(HOSTILE / name, folder, dirs_exist_ok=True, symlinks=True)

    return build


def _write(name: str, data: str | bytes) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        raw = data.encode() if isinstance(data, str) else data
        (folder / name).write_bytes(raw)

    return build


def _twenty_megabytes(folder: Path) -> None:
    line = b"# " + b"x" * 1021 + b"\n"
    with (folder / "big.yaml").open("wb") as handle:
        handle.write(GOOD.replace("good-entry", "big").encode())
        for _ in range(20 * 1024):
            handle.write(line)


def _symlink(name: str, target: str | Path) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        (folder / name).symlink_to(target)

    return build


def _inner_folder_link(folder: Path) -> None:
    (folder / "inner").mkdir()
    (folder / "inner.yaml").symlink_to(folder / "inner")


def _fifo(folder: Path) -> None:
    os.mkfifo(folder / "pipe.yaml")


def _directory(folder: Path) -> None:
    (folder / "x.yaml").mkdir()
    (folder / "x.yaml" / "inside.yaml").write_text("- never read\n")


@dataclass(frozen=True)
class Case:
    build: Callable[[Path], None]
    expected: Expected


_ESC_KEY = "unknown key '\\x1b]52;c;cHduZWQ=\\x07\\x1b]0;title\\x07\\nfake.yaml:1:1: injected'"
_ALIAS = "YAML aliases (*a0) are not supported"
_TOO_DEEP = "nested too deeply (more than 64 levels)"

CASES: dict[str, Case] = {
    # Invalid YAML of each kind the parser reports.
    "scanner-error": Case(
        _fixture("scanner-error"),
        [("f.yaml", 7, 14, "invalid YAML: found character that cannot start any token")],
    ),
    "parser-error": Case(
        _fixture("parser-error"),
        [("f.yaml", 9, 3, "invalid YAML: did not find expected '-' indicator")],
    ),
    "composer-error": Case(
        _fixture("composer-error"),
        [("f.yaml", 9, 1, "invalid YAML: but found another document")],
    ),
    "reader-error": Case(
        _fixture("reader-error"),
        [("f.yaml", 8, 14, "control characters are not allowed (character U+FFFF)")],
    ),
    "non-utf8": Case(
        _write("f.yaml", (HEAD + "  - id: caf").encode() + b"\xe9\n"),
        [("f.yaml", 5, 12, "not UTF-8: byte 0xe9 cannot be decoded")],
    ),
    # Shapes and types.
    "wrong-types": Case(
        _fixture("wrong-types"),
        [
            ("f.yaml", 7, 12, "title must be a string, not a list"),
            ("f.yaml", 9, 13, "number must be a whole number, not a string"),
            ("f.yaml", 10, 20, "briefing_pack must be a list of ids, not a string"),
        ],
    ),
    "missing-keys": Case(
        _fixture("missing-keys"),
        [
            ("f.yaml", 5, 5, "entry 'q' (kind 'quote') is missing required key 'speaker'"),
            ("f.yaml", 8, 5, "entry is missing required key 'id'"),
        ],
    ),
    "unknown-keys": Case(
        _fixture("unknown-keys"),
        [
            ("f.yaml", 9, 5, "unknown key 'colour' for kind 'quote'"),
            ("f.yaml", 10, 5, "unknown key 'shape' for kind 'quote'"),
        ],
    ),
    "duplicate-ids": Case(
        _fixture("duplicate-ids"),
        [("b.yaml", 9, 5, "duplicate id 'shared' (first defined at ")],
    ),
    "dangling-refs": Case(
        _fixture("dangling-refs"),
        [
            ("f.yaml", 10, 13, "cites: no entry has id 'no-such-reference'"),
            ("f.yaml", 15, 14, "session: no entry has id 'no-such-session'"),
        ],
    ),
    "empty": Case(_fixture("empty"), [("f.yaml", 1, 1, "the file is empty")]),
    "list": Case(
        _fixture("list"), [("f.yaml", 1, 1, "a briefing file must be a mapping, not a list")]
    ),
    "python-tag": Case(
        _fixture("python-tag"),
        [
            ("f.yaml", 7, 14, "speaker must be a string, not a list"),
            ("f.yaml", 8, 11, "text must be a string, not a value tagged !!python/name:os.system"),
        ],
    ),
    "escapes-in-keys": Case(_fixture("escapes-in-keys"), [("f.yaml", 9, 5, _ESC_KEY)]),
    "megabyte-value": Case(
        _write("f.yaml", HEAD + "  - id: a\n    kind: " + "x" * 1_000_000 + "\n"),
        [("f.yaml", 6, 11, "unknown kind 'xxxxxxxx")],
    ),
    # Limits.
    "twenty-megabytes": Case(
        _twenty_megabytes, [("big.yaml", 1, 1, "file is too large (21.0 MB; the limit is 8 MiB)")]
    ),
    "alias-bomb": Case(
        _fixture("alias-bomb"),
        [("f.yaml", 10, 20 + 5 * i, _ALIAS) for i in range(10)]
        + [("f.yaml", 11, 20, "this and 289 more YAML aliases (not shown)")],
    ),
    "nested-brackets": Case(_write("f.yaml", "[" * 100_000), [("f.yaml", 1, 65, _TOO_DEEP)]),
    "nested-closed-brackets": Case(
        _write("f.yaml", "a: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        [("f.yaml", 1, 67, _TOO_DEEP)],
    ),
    "nested-mappings": Case(_write("f.yaml", "a: {" * 100_000), [("f.yaml", 1, 256, _TOO_DEEP)]),
    "nested-block-lists": Case(
        _write("f.yaml", "- " * 100_000 + "x\n"), [("f.yaml", 1, 129, _TOO_DEEP)]
    ),
    "too-many-values": Case(
        _write("f.yaml", HEAD + "  - a\n" * 250_001),
        [("f.yaml", 249_996, 5, "too many values (more than 250,000); split the file")],
    ),
    # Files that are not briefing files.
    "symlink-to-etc-passwd": Case(
        _symlink("passwd.yaml", "/etc/passwd"),
        [("passwd.yaml", 1, 1, "is a symbolic link to /etc/passwd, outside the briefing folder")],
    ),
    "symlink-to-outside-folder": Case(
        _symlink("etc.yaml", "/etc"),
        [("etc.yaml", 1, 1, "is a symbolic link to /etc, outside the briefing folder")],
    ),
    "symlink-to-inside-folder": Case(
        _inner_folder_link, [("inner.yaml", 1, 1, "is a folder, not a briefing file")]
    ),
    "directory-named-yaml": Case(
        _directory, [("x.yaml", 1, 1, "is a folder, not a briefing file")]
    ),
    "fifo": Case(_fifo, [("pipe.yaml", 1, 1, "is not a regular file (a named pipe)")]),
    "symlink-loop": Case(
        _symlink("loop.yaml", "loop.yaml"),
        [("loop.yaml", 1, 1, "cannot read file: Too many levels of symbolic links")],
    ),
    "dangling-symlink": Case(
        _symlink("gone.yaml", "nowhere.yaml"),
        [("gone.yaml", 1, 1, "cannot read file: No such file or directory")],
    ),
    # Values that passed `check` and crashed `show` and the app (round two).
    "hex-number": Case(
        _write(
            "f.yaml",
            HEAD + "  - id: s\n    kind: session\n    title: S\n    series: evidence\n"
            "    number: 0x" + "f" * 4000 + "\n",
        ),
        [("f.yaml", 9, 13, "number must be a whole number in decimal digits (at most 9), not '0x")],
    ),
    "long-decimal-number": Case(
        _write(
            "f.yaml",
            HEAD + "  - id: r\n    kind: recommendation\n    group: building-blocks\n"
            "    text: t\n    number: " + "9" * 5000 + "\n",
        ),
        [("f.yaml", 9, 13, "number must be a whole number in decimal digits (at most 9)")],
    ),
    "faq-answer-only-a-heading": Case(
        _write(
            "f.yaml",
            HEAD + "  - id: f\n    kind: faq\n    question: q\n    answer:\n"
            "      - heading: Only a heading\n",
        ),
        [("f.yaml", 9, 7, "entry 'f' has no text: its 'answer' needs at least one paragraph")],
    ),
    "embedded-article-only-a-heading": Case(
        _write(
            "f.yaml",
            HEAD + "  - id: host\n    kind: article\n    title: Host\n    paragraphs:\n"
            "      - text: hello\n        embed: [inner]\n"
            "  - id: inner\n    kind: article\n    title: Inner\n    paragraphs:\n"
            "      - heading: Only a heading\n",
        ),
        [("f.yaml", 15, 7, "entry 'inner' has no text: its 'paragraphs' needs at least one")],
    ),
    "bidi-controls-in-file-name": Case(
        _write("\u2066x\u202elmay.y\u2069.yaml", ""),
        [("\\u2066x\\u202elmay.y\\u2069.yaml", 1, 1, "the file is empty")],
    ),
    "utf-16-without-bom": Case(
        _write("f.yaml", GOOD.encode("utf-16-le")),
        [("f.yaml", 1, 2, "not UTF-8: byte 0x00 (a NUL; is the file UTF-16 or UTF-32?)")],
    ),
    "utf-32-without-bom": Case(
        _write("f.yaml", ("# x\n" + GOOD).encode("utf-32-le")),
        [("f.yaml", 1, 2, "not UTF-8: byte 0x00")],
    ),
    "control-characters-in-file-name": Case(
        _write("\x1b]0;pwned\x07.yaml", ""),
        [("\\x1b]0;pwned\\x07.yaml", 1, 1, "the file is empty")],
    ),
}


def _parse(lines: list[str]) -> list[tuple[str, int, int, str]]:
    out = []
    for line in lines:
        match = PROBLEM_LINE.match(line)
        assert match, f"not path:line:col: message: {line!r}"
        out.append((match["path"], int(match["line"]), int(match["col"]), match["message"]))
    return out


def _assert_expected(
    problems: list[tuple[str, int, int, str]], folder: Path, expected: Expected
) -> None:
    assert len(problems) == len(expected), problems
    for (path, line, col, message), (name, want_line, want_col, part) in zip(
        problems, expected, strict=True
    ):
        assert path == f"{folder}/{name}"
        if want_line is not None:
            assert line == want_line, (line, message)
        if want_col is not None:
            assert col == want_col, (col, message)
        assert part in message, message
        assert len(message) <= loader.MAX_MESSAGE_CHARS


@pytest.mark.parametrize("name", CASES)
def test_hostile_pack_gives_located_problems_everywhere(
    name: str, tmp_path: Path, env: dict[str, str]
) -> None:
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD, encoding="utf-8")
    case = CASES[name]
    case.build(folder)

    started = time.monotonic()
    checked = lbn("check", folder, env=env)
    assert checked.returncode == 1
    problems = _parse(checked.stdout.splitlines())
    _assert_expected(problems, folder, case.expected)
    assert checked.stderr.splitlines() == [
        f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in "
        f"{len({p[0] for p in problems})} file(s)"
    ]

    # The subcommands and the app itself refuse to start, saying the same.
    for command in (["search", "x"], []):
        refused = lbn("--briefings", folder, *command, env=env)
        assert refused.returncode == 1
        assert refused.stdout == ""
        *lines, summary = refused.stderr.splitlines()
        assert lines == checked.stdout.splitlines()
        assert SUMMARY.match(summary), summary
    assert time.monotonic() - started < 3 * TIME_LIMIT

    if name == "symlink-to-etc-passwd":
        assert "root:" not in checked.stdout + checked.stderr
    if name == "python-tag":
        assert not list(tmp_path.rglob("lbn-tui-canary"))
        assert not Path("lbn-tui-canary").exists()


# --------------------------------------------------------------------------
# Unreadable files.  Root reads anything whatever the permission bits, so
# as root the subprocess runs without CAP_DAC_OVERRIDE and
# CAP_DAC_READ_SEARCH (dropped from its bounding set before exec): then the
# bits apply to it as to anyone.


def _without_read_override() -> None:
    _limit_memory()
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
        for cap in (cap_dac_override, cap_dac_read_search):
            if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_unreadable_file_is_a_located_problem(tmp_path: Path, env: dict[str, str]) -> None:
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD, encoding="utf-8")
    locked = folder / "locked.yaml"
    locked.write_text(GOOD.replace("good-entry", "locked"), encoding="utf-8")
    locked.chmod(0)
    try:
        try:
            checked = lbn("check", folder, env=env, preexec=_without_read_override)
        except subprocess.SubprocessError as exc:
            pytest.skip(f"cannot drop the capability to read anything: {exc}")
        assert checked.returncode == 1
        assert checked.stdout.splitlines() == [f"{locked}:1:1: cannot read file: Permission denied"]
        app = lbn("--briefings", folder, env=env, preexec=_without_read_override)
        assert app.returncode == 1
        assert app.stderr.splitlines()[0] == checked.stdout.splitlines()[0]
    finally:
        locked.chmod(0o600)


def test_unreadable_subfolder_is_a_located_problem(tmp_path: Path, env: dict[str, str]) -> None:
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD, encoding="utf-8")
    locked = folder / "more"
    locked.mkdir()
    (locked / "hidden.yaml").write_text("not: [valid", encoding="utf-8")
    locked.chmod(0)
    try:
        try:
            checked = lbn("check", folder, env=env, preexec=_without_read_override)
        except subprocess.SubprocessError as exc:
            pytest.skip(f"cannot drop the capability to read anything: {exc}")
        assert checked.returncode == 1, checked.stdout
        assert checked.stdout.splitlines() == [
            f"{locked}:1:1: cannot read folder: Permission denied; "
            "its briefing files are not checked"
        ]
        app = lbn("--briefings", folder, env=env, preexec=_without_read_override)
        assert app.returncode == 1
        assert app.stderr.splitlines()[0] == checked.stdout.splitlines()[0]
    finally:
        locked.chmod(0o700)


# --------------------------------------------------------------------------
# What is accepted.


def test_utf8_bom_is_accepted(env: dict[str, str]) -> None:
    result = lbn("check", HOSTILE / "bom", env=env)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("ok: 1 entries")
    shown = lbn("--briefings", HOSTILE / "bom", "show", "bom-ok", env=env)
    assert shown.returncode == 0
    assert "\ufeff" not in shown.stdout


def test_symlink_to_a_file_inside_the_folder_is_followed(tmp_path: Path) -> None:
    (tmp_path / ".shared").mkdir()
    (tmp_path / ".shared" / "real.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "linked.yaml").symlink_to(tmp_path / ".shared" / "real.yaml")
    assert [e.id for e in load_corpus([tmp_path])] == ["good-entry"]


def test_briefing_folder_that_is_itself_a_symlink_is_read(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "f.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    assert [e.id for e in load_corpus([tmp_path / "alias"])] == ["good-entry"]


def test_symlinked_subfolders_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "f.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "g.yaml").write_text("- not read\n", encoding="utf-8")
    (tmp_path / "pack" / "more").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "pack" / "self").symlink_to(tmp_path / "pack")
    assert check([tmp_path / "pack"]) == []


def test_a_file_just_under_the_size_limit_is_read(tmp_path: Path) -> None:
    text = GOOD + "#" * (loader.MAX_FILE_BYTES - len(GOOD) - 1) + "\n"
    (tmp_path / "f.yaml").write_text(text, encoding="utf-8")
    assert len(text) == loader.MAX_FILE_BYTES
    assert check([tmp_path]) == []


def test_nesting_up_to_the_limit_is_parsed(tmp_path: Path) -> None:
    depth = loader.MAX_DEPTH - 1  # the file's own mapping is one level
    (tmp_path / "f.yaml").write_text("a: " + "[" * depth + "]" * depth + "\n")
    messages = [p.message for p in check([tmp_path])]
    assert not any("nested" in m for m in messages), messages


def test_total_size_of_all_files_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(5):
        (tmp_path / f"f{i}.yaml").write_text(
            GOOD.replace("good-entry", f"entry-{i}"), encoding="utf-8"
        )
    monkeypatch.setattr(loader, "MAX_TOTAL_BYTES", len(GOOD) * 2)
    problems = check([tmp_path])
    assert [(Path(p.path).name, p.line, p.column) for p in problems] == [("f3.yaml", 1, 1)]
    assert "together exceed" in problems[0].message
    with pytest.raises(BriefingsError):
        load_corpus([tmp_path])


def test_a_device_inside_the_folder_is_not_read(tmp_path: Path) -> None:
    # /dev/zero would never end; fstat says 0 bytes.  Only regular files are read.
    try:
        os.mknod(tmp_path / "zero.yaml", 0o600 | stat.S_IFCHR, os.makedev(1, 5))
    except OSError as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    problems = check([tmp_path])
    assert [p.message for p in problems] == ["is not a regular file (a device)"]


def test_running_out_of_memory_while_loading_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "f.yaml").write_text(GOOD, encoding="utf-8")

    class Exhausted:
        def __init__(self, _text: str) -> None:
            pass

        def get_event(self) -> None:
            raise MemoryError

        def dispose(self) -> None:
            pass

    # The loader parses each file once, building the nodes from the parser's
    # events (it no longer calls yaml.compose, nor yaml.parse: it takes the
    # events from the parser itself): exhaust memory in the parser.
    monkeypatch.setattr(loader, "_SafeLoader", Exhausted)
    problems = check([tmp_path])
    assert [(p.line, p.column, p.message) for p in problems] == [
        (1, 1, "the file is too complex to load (out of memory)")
    ]


def test_a_bad_file_leaves_no_cycle_holding_its_text(tmp_path: Path) -> None:
    """The loader reads the folders with the cyclic collector off: a file's
    parser error (whose traceback holds the frames that hold the text and
    the tree) must not stay in a cycle through its reader, or a folder of
    bad files would keep every one of them in memory until the load ends."""
    import gc

    bad = {
        "syntax": GOOD + "  - [unclosed\n",
        "second-document": GOOD + "---\n" + GOOD,
        "duplicate-anchor": GOOD + "  - &x {id: b}\n  - &x {id: c}\n",
        "alias": GOOD + "  - &x {id: b}\n  - *x\n",
        "too-deep": GOOD + "  - " + "[" * 70 + "\n",
    }
    for name, text in bad.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    gc.collect()
    problems = check([tmp_path])
    assert {Path(p.path).stem for p in problems} == set(bad)
    assert gc.collect() < 50
