"""The command line into a terminal and into a pipe: exit codes, wrapping,
highlights, suggestions, widths, and `lbn-tui config`."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from lbn_tui import cli
from lbn_tui.clitext import MARK_OFF, MARK_ON, cells, snippet, suggestions, truncate, wrap

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid-basic"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {
        k: v
        for k, v in os.environ.items()
        if k not in (cli.ENV_BRIEFINGS, "COLUMNS", "LINES", "NO_COLOR", "LBN_TUI_SERVED")
    }
    out["XDG_STATE_HOME"] = str(tmp_path / "state")
    out["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    out["PYTHONIOENCODING"] = "utf-8"
    out["TERM"] = "xterm-256color"
    return out


def run(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "lbn_tui", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def run_in_terminal(*args: str | Path, env: dict[str, str], columns: int) -> tuple[int, str]:
    """Run with stdout on a pseudo-terminal ``columns`` wide; (exit code, output)."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    attrs = termios.tcgetattr(child)
    attrs[1] &= ~termios.ONLCR  # "\n" stays "\n"
    termios.tcsetattr(child, termios.TCSANOW, attrs)
    process = subprocess.Popen(
        [sys.executable, "-m", "lbn_tui", *map(str, args)],
        stdout=child,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    code = process.wait(timeout=60)
    assert process.stderr is not None
    assert b"Traceback" not in process.stderr.read()
    return code, b"".join(chunks).decode("utf-8")


# -- search --------------------------------------------------------------------


def test_search_exit_codes(env: dict[str, str]) -> None:
    assert run("search", "community hub", "--briefings", VALID, env=env).returncode == 0
    nothing = run("search", "xyzzyq", "--briefings", VALID, env=env)
    assert nothing.returncode == 1
    assert nothing.stdout == "" and "no matches" in nothing.stderr
    assert run("search", "xyzzyq", "--json", "--briefings", VALID, env=env).returncode == 1
    assert run("search", env=env).returncode == 2


def test_search_into_a_pipe_is_plain_and_unwrapped(env: dict[str, str]) -> None:
    result = run("search", "community hub", "--briefings", VALID, env=env)
    assert "\x1b" not in result.stdout
    assert any(cells(line) > 80 for line in result.stdout.splitlines())  # not wrapped
    as_json = run("search", "community hub", "--json", "--briefings", VALID, env=env)
    assert "\x1b" not in as_json.stdout


def test_search_into_a_terminal_wraps_and_highlights(env: dict[str, str]) -> None:
    code, out = run_in_terminal(
        "search", "community hub", "--briefings", VALID, env=env, columns=50
    )
    assert code == 0
    assert MARK_ON in out and MARK_OFF in out
    plain = out.replace(MARK_ON, "").replace(MARK_OFF, "")
    lines = plain.splitlines()
    assert len(lines) > 3
    assert all(cells(line) <= 50 for line in lines), lines
    assert lines[0].startswith(" 1. [")
    marked = [part.split(MARK_OFF)[0] for part in out.split(MARK_ON)[1:]]
    assert any("ommunit" in part.lower() or "hub" in part.lower() for part in marked), marked


def test_search_into_a_terminal_without_colour(env: dict[str, str]) -> None:
    env["NO_COLOR"] = "1"
    code, out = run_in_terminal(
        "search", "community hub", "--briefings", VALID, env=env, columns=50
    )
    assert code == 0
    assert "\x1b" not in out
    assert all(cells(line) <= 50 for line in out.splitlines())


def test_search_json_into_a_terminal_has_no_escapes(env: dict[str, str]) -> None:
    code, out = run_in_terminal(
        "search", "community hub", "--json", "--briefings", VALID, env=env, columns=40
    )
    assert code == 0
    assert "\x1b" not in out


# -- show / open -------------------------------------------------------------------


def test_show_an_unknown_id_suggests_the_nearest(env: dict[str, str]) -> None:
    result = run("show", "sesion-one", "--briefings", VALID, env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "did you mean 'session-one'" in result.stderr
    passage = run("show", "sesion-one#2", "--briefings", VALID, env=env)
    assert "did you mean 'session-one'" in passage.stderr


def test_open_an_unknown_id_suggests_too(env: dict[str, str]) -> None:
    result = run("open", "quote-brt", "--briefings", VALID, env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "did you mean" in result.stderr and "quote-burt" in result.stderr


def test_an_id_like_nothing_suggests_nothing(env: dict[str, str]) -> None:
    result = run("show", "zzzzzzzz", "--briefings", VALID, env=env)
    assert result.returncode == 1
    assert "did you mean" not in result.stderr
    assert "lbn-tui list" in result.stderr


def test_suggestions_are_at_most_three() -> None:
    ids = [f"quote-{n}" for n in ("burt", "burr", "bart", "bert", "birt")]
    found = suggestions("quote-bort", ids)
    assert 1 <= len(found) <= 3


# -- list ------------------------------------------------------------------------


def test_list_fits_80_columns_and_json_keeps_whole_titles(env: dict[str, str]) -> None:
    result = run("list", env=env)  # the bundled set: long titles
    lines = result.stdout.splitlines()
    assert all(cells(line) <= 80 for line in lines), max(lines, key=cells)
    assert any(line.endswith("…") for line in lines)
    import json

    rows = json.loads(run("list", "--json", env=env).stdout)
    assert any(cells(row["title"]) > 60 for row in rows)
    for line, row in zip(lines, rows, strict=True):
        assert line.startswith(row["id"] + " ")
        shown = line.split("  ")[-1].strip()
        assert shown == row["title"] or row["title"].startswith(shown.removesuffix("…"))


def test_list_follows_the_terminal_width(env: dict[str, str]) -> None:
    code, out = run_in_terminal("list", env=env, columns=100)
    assert code == 0
    lines = out.splitlines()
    assert all(cells(line) <= 100 for line in lines)
    assert max(cells(line) for line in lines) > 80


# -- the text helpers --------------------------------------------------------------------


def test_wrap_keeps_spans_on_their_words() -> None:
    text = "one two three four five six seven"
    lines = wrap(text, [(8, 13), (24, 27)], 14, "  ", "> ")
    assert [line for line, _ in lines] == ["> one two", "  three four", "  five six", "  seven"]
    assert lines[1][1] == [(2, 7)]  # "three"
    assert lines[2][1] == [(7, 10)]  # "six"


def test_snippet_moves_spans_past_folded_whitespace() -> None:
    text = "a  b\n\nneedle c"
    flat, spans = snippet(text, [(6, 12)])
    assert flat == "a b needle c"
    assert [flat[s:e] for s, e in spans] == ["needle"]


def test_truncate_counts_cells() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("a long title here", 8) == "a long…"
    assert cells(truncate("漢字漢字漢字", 7)) <= 7


# -- config ------------------------------------------------------------------------


def test_config_path_and_the_defaults(env: dict[str, str], tmp_path: Path) -> None:
    where = run("config", "--path", env=env)
    assert where.returncode == 0
    assert where.stdout.strip() == str(tmp_path / "config" / "lbn-tui" / "config.toml")
    shown = run("config", env=env)
    assert shown.returncode == 0
    assert "no such file" in shown.stdout
    assert 'theme = "lbn-calm"' in shown.stdout
    assert '# "browser.search" = "slash"' in shown.stdout


def test_config_shows_the_file_and_reads_back(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "config" / "lbn-tui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('theme = "lbn-paper"\n[keys]\n"browser.search" = "ctrl+f"\n')
    shown = run("config", env=env)
    assert shown.returncode == 0, shown.stderr
    assert 'theme = "lbn-paper"' in shown.stdout
    assert '\n"browser.search" = "ctrl+f"' in shown.stdout
    path.write_text(shown.stdout)  # what it prints is a valid settings file
    assert run("config", env=env).stdout == shown.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('theme = "lbn-paper\n', ":1:"),
        ("colour = 3\n", ":1: unknown setting 'colour'"),
        ('reopen_last = "yes"\n', ":1: reopen_last must be true or false"),
        ('theme = "neon"\n', ":1: unknown theme 'neon'"),
        ('\n[keys]\n"browser.serch" = "x"\n', ":3: no key binding has the id 'browser.serch'"),
    ],
)
def test_config_with_a_problem_exits_1_with_one_line(
    env: dict[str, str], tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "config" / "lbn-tui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    result = run("config", env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == result.stderr.strip() + "\n"  # one line
    assert result.stderr.startswith(f"{path}:")
    assert message in result.stderr


def test_config_served_shows_the_defaults(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "config" / "lbn-tui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('theme = "neon"\n')
    env["LBN_TUI_SERVED"] = "1"
    result = run("config", env=env)
    assert result.returncode == 0
    assert "served" in result.stdout and 'theme = "lbn-calm"' in result.stdout
