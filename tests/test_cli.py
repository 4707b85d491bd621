"""The `lbn-tui` command, as a person runs it: stdout, stderr, exit code."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lbn_tui import __version__, cli
from lbn_tui.corpus import model
from lbn_tui.corpus.loader import check

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid-basic"
HOSTILE = FIXTURES / "valid-hostile"
INVALID = FIXTURES / "invalid-many"

BURT = "Jim Burt, National Academy for Social Prescribing, oral evidence to inquiry session one"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != cli.ENV_BRIEFINGS}
    out["XDG_STATE_HOME"] = str(tmp_path / "state")
    out["PYTHONIOENCODING"] = "utf-8"
    return out


def run(
    *args: str | Path, env: dict[str, str], stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "lbn_tui", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        stdin=stdin,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def json_out(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(autouse=True)
def _no_env_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(cli.ENV_BRIEFINGS, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def main(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# --------------------------------------------------------------------------
# --version, usage errors.


def test_version(env: dict[str, str]) -> None:
    result = run("--version", env=env)
    assert result.returncode == 0
    assert result.stdout.strip() == f"lbn-tui {__version__}"


def test_help_lists_the_subcommands(env: dict[str, str]) -> None:
    result = run("--help", env=env)
    assert result.returncode == 0
    for command in ("search", "show", "list", "check", "open", "export"):
        assert command in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("frobnicate",),
        ("show",),
        ("search",),
        ("search", "x", "--limit", "0"),
        ("search", "x", "--limit", "many"),
        ("list", "--kind", "poem"),
        ("export",),
        ("export", "--starred", "--format", "pdf"),
    ],
)
def test_bad_usage_exits_2(env: dict[str, str], args: tuple[str, ...]) -> None:
    result = run(*args, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "usage: lbn-tui" in result.stderr


def test_bad_kind_names_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["list", "--kind", "poem"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown kind 'poem'" in err
    assert "case-study" in err


# --------------------------------------------------------------------------
# list.


def test_list_text(env: dict[str, str]) -> None:
    result = run("list", "--briefings", VALID, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 10
    first = lines[0].split()
    assert first[:2] == ["session-one", "session"]
    assert lines[0].endswith("Health and wellbeing")
    assert any(line.startswith("quote-burt ") and " quote " in line for line in lines)


def test_list_json_and_kind_filter(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = main(capsys, "list", "--briefings", VALID, "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows][:2] == ["session-one", "pack-health"]
    assert all(set(r) == {"id", "kind", "title"} for r in rows)
    code, out, _ = main(
        capsys, "list", "--briefings", VALID, "--json", "--kind", "quote", "--kind", "FAQ"
    )
    assert code == 0
    assert [(r["id"], r["kind"]) for r in json.loads(out)] == [
        ("quote-burt", "quote"),
        ("faq-what", "faq"),
    ]
    code, out, _ = main(capsys, "list", "--briefings", VALID, "--kind", "case")
    assert code == 0
    assert out.split()[:2] == ["case-hub", "case-study"]


def test_list_bundled_set(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = main(capsys, "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) > 20
    assert {r["kind"] for r in rows} <= set(model.KINDS)


# --------------------------------------------------------------------------
# search.


def test_search_json_shape(env: dict[str, str]) -> None:
    hits = json_out(run("search", "social prescribing", "--json", "--briefings", VALID, env=env))
    assert isinstance(hits, list) and hits
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        assert {"id", "kind", "title", "text", "source", "score", "spans"} <= set(hit)
        assert hit["kind"] in model.KINDS
        assert isinstance(hit["score"], (int, float)) and 0 <= hit["score"] <= 100
        assert isinstance(hit["spans"], list)
        for span in hit["spans"]:
            assert isinstance(span, list) and len(span) == 2
            start, end = span
            assert 0 <= start < end <= len(hit["text"])
        if hit["kind"] == "quote":
            assert hit["speaker"] == "Jim Burt"
            assert hit["attribution"] == BURT
        else:
            assert "speaker" not in hit and "attribution" not in hit
    assert "quote" in {h["kind"] for h in hits}
    quote = next(h for h in hits if h["id"] == "quote-burt")
    assert quote["text"].startswith("Social prescribing only works")
    assert quote["source"] == "Inquiry session one: health"
    spanned = [quote["text"][s:e].lower() for s, e in quote["spans"]]
    assert any("prescrib" in s for s in spanned), spanned


def test_search_limit_and_repeated_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = main(capsys, "search", "social", "--json", "--limit", "2")
    assert code == 0
    assert len(json.loads(out)) == 2
    code, out, _ = main(
        capsys, "search", "social", "--json", "--kind", "quote", "--kind", "faq", "--limit", "50"
    )
    hits = json.loads(out)
    assert hits
    assert {h["kind"] for h in hits} <= {"quote", "faq"}
    assert {h["kind"] for h in hits} == {"quote", "faq"}


def test_search_with_typos_ranks_a_jim_burt_quote_first(env: dict[str, str]) -> None:
    hits = json_out(run("search", "nationl academy socal prescribing", "--json", env=env))
    assert hits
    assert hits[0]["kind"] == "quote"
    assert hits[0]["speaker"] == "Jim Burt"


def test_search_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = main(capsys, "search", "community hub", "--briefings", VALID)
    assert code == 0
    assert out.splitlines()[0].startswith(" 1. [")
    assert "score" in out


def test_search_without_matches(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = main(capsys, "search", "xyzzyq", "--briefings", VALID)
    assert code == 1  # like grep: nothing found
    assert out == ""
    assert "no matches" in err
    code, out, _ = main(capsys, "search", "xyzzyq", "--briefings", VALID, "--json")
    assert code == 1
    assert json.loads(out) == []


def test_search_with_a_blank_query_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = main(capsys, "search", "   ", "--briefings", VALID)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and "the query is empty" in err


def test_search_in_an_invalid_folder(env: dict[str, str]) -> None:
    result = run("search", "social", "--briefings", INVALID, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    problems = [line for line in lines if not line.startswith("lbn-tui:")]
    assert problems == [str(p) for p in check([INVALID])]
    assert problems[0] == (
        f"{INVALID / 'a.yaml'}:10:5: entry 'quote-a' (kind 'quote') is missing required key "
        "'speaker'"
    )
    assert lines[-1] == (f"lbn-tui: the briefings have 5 problems; see 'lbn-tui check {INVALID}'")


def test_search_in_a_missing_folder(tmp_path: Path, env: dict[str, str]) -> None:
    missing = tmp_path / "nowhere"
    result = run("search", "x", "--briefings", missing, env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == f"{missing}:1:1: no such folder"


# --------------------------------------------------------------------------
# show.


def test_show_plain_text(env: dict[str, str]) -> None:
    result = run("show", "quote-burt", "--briefings", VALID, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(
        "Jim Burt: “Social prescribing only works where there is something in the community "
        "to prescribe.” (title by lbn-tui)\n"
    )
    flat = " ".join(out.split())
    assert "“Social prescribing only works where there is something in the community" in flat
    assert f"— {BURT}" in flat
    assert "Source: Inquiry session one: health" in out
    assert "https://example.invalid/inquiry-one/" in out


def test_show_one_passage_of_an_entry(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = main(capsys, "show", "vision#3", "--briefings", VALID)
    assert code == 0
    assert out == (
        "“A closing note.” — *The vision* (n.d.), The vision: a neighbourhood strategy. "
        "Available at: https://example.invalid/vision/. [vision#3]\n"
    )


def test_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = main(capsys, "show", "quote-burt", "--briefings", VALID, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["id"] == "quote-burt"
    assert data["kind"] == "quote"
    assert data["speaker"] == "Jim Burt"
    assert data["attribution"] == BURT
    assert data["source"] == {
        "title": "Inquiry session one: health",
        "url": "https://example.invalid/inquiry-one/",
    }
    assert data["passages"][0]["ref"] == "quote-burt"
    assert data["linked_from"] == ["session-one"]
    assert data["file"].endswith("session.yaml:30:5")


def test_show_json_of_an_article_and_a_reference(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = main(capsys, "show", "vision", "--briefings", VALID, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["paragraphs"][0]["cites"] == ["onward-2021"]
    assert [p["ref"] for p in data["passages"]] == ["vision#1", "vision#2", "vision#3"]
    code, out, _ = main(capsys, "show", "onward-2021", "--briefings", VALID, "--json")
    assert json.loads(out)["cited_by"] == ["session-one#1", "vision#1"]


def test_show_unknown_id(env: dict[str, str]) -> None:
    result = run("show", "no-such-entry", "--briefings", VALID, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "no-such-entry" in result.stderr


def test_show_passage_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = main(capsys, "show", "vision#9", "--briefings", VALID)
    assert code == 1
    assert out == ""
    assert err == "lbn-tui: 'vision#9': entry 'vision' has passages #1 to #3\n"


def test_show_bundled_quote(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = main(capsys, "search", "nationl academy socal prescribing", "--json")
    top = json.loads(out)[0]
    code, out, _ = main(capsys, "show", top["id"])
    assert code == 0
    assert top["title"] in out
    assert "Jim Burt" in out


# --------------------------------------------------------------------------
# Hostile text: markup literal, no escape bytes.


def test_show_prints_markup_literally_and_no_escape_bytes(env: dict[str, str]) -> None:
    for entry_id in ("quote-hostile", "quote-markup", "article-hostile"):
        result = subprocess.run(
            [sys.executable, "-m", "lbn_tui", "show", entry_id, "--briefings", str(HOSTILE)],
            capture_output=True,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert b"\x1b" not in result.stdout
        assert b"\x9b" not in result.stdout and "\x9b".encode() not in result.stdout
        assert b"\x07" not in result.stdout and b"\r" not in result.stdout
    result = run("show", "quote-markup", "--briefings", HOSTILE, env=env)
    markup = "[@click=app.quit]x[/] [red]y[/red] [link=https://e.invalid]z[/link]"
    assert markup in result.stdout
    result = run("show", "quote-hostile", "--briefings", HOSTILE, env=env)
    assert "— Eve Blink, [red]markup[/red]" in result.stdout


def test_search_json_keeps_markup_literally(env: dict[str, str]) -> None:
    hits = json_out(
        run("search", "click app quit red link", "--json", "--briefings", HOSTILE, env=env)
    )
    texts = [h["text"] for h in hits]
    assert "[@click=app.quit]x[/] [red]y[/red] [link=https://e.invalid]z[/link]" in texts
    result = run("search", "blink", "--json", "--briefings", HOSTILE, env=env)
    assert "\x1b" not in result.stdout and "\\u001b" not in result.stdout


# --------------------------------------------------------------------------
# check.


def test_check_bundled_set(env: dict[str, str]) -> None:
    result = run("check", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: ")


def test_check_invalid_folder_prints_every_problem(env: dict[str, str]) -> None:
    result = run("check", INVALID, env=env)
    assert result.returncode == 1
    a, b = INVALID / "a.yaml", INVALID / "b.yaml"
    lines = result.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{a}:10:5",
        f"{a}:13:5",
        f"{a}:19:17",
        f"{b}:5:5",
        f"{b}:11:11",
    ]
    assert lines[3] == f"{b}:5:5: duplicate id 'shared-id' (first defined at {a}:5:5)"
    assert result.stderr.strip() == "5 problems in 2 file(s)"


def test_check_several_folders_and_the_briefings_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = main(capsys, "check", VALID, HOSTILE)
    assert code == 0
    assert out.startswith("ok: 13 entries")
    code, out, _ = main(capsys, "check", "--briefings", VALID)
    assert code == 0
    assert out.startswith("ok: 10 entries")
    code, out, err = main(capsys, "check", VALID, tmp_path / "missing")
    assert code == 1
    assert out == f"{tmp_path / 'missing'}:1:1: no such folder\n"
    assert err == "1 problem in 1 file(s)\n"


# --------------------------------------------------------------------------
# Choosing the briefing folders.


def test_briefings_option_is_repeatable(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = main(capsys, "list", "--json", "--briefings", VALID, "--briefings", HOSTILE)
    assert code == 0
    ids = {r["id"] for r in json.loads(out)}
    assert {"quote-burt", "quote-markup"} <= ids
    # Before the subcommand, too.
    code, out, _ = main(capsys, "--briefings", HOSTILE, "list", "--json")
    assert code == 0
    assert {r["id"] for r in json.loads(out)} == {
        "quote-hostile",
        "quote-markup",
        "article-hostile",
    }


def test_env_variable_names_colon_separated_folders(env: dict[str, str]) -> None:
    env[cli.ENV_BRIEFINGS] = os.pathsep.join([str(VALID), str(HOSTILE)])
    rows = json_out(run("list", "--json", env=env))
    ids = {r["id"] for r in rows}
    assert len(ids) == 13
    assert {"quote-burt", "quote-markup"} <= ids


def test_briefings_option_wins_over_env(env: dict[str, str]) -> None:
    env[cli.ENV_BRIEFINGS] = str(INVALID)
    rows = json_out(run("list", "--json", "--briefings", HOSTILE, env=env))
    assert len(rows) == 3


def test_with_bundled_adds_the_bundled_set(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = main(capsys, "list", "--json")
    bundled = {r["id"] for r in json.loads(out)}
    code, out, err = main(capsys, "list", "--json", "--briefings", HOSTILE, "--with-bundled")
    assert code == 0, err
    ids = {r["id"] for r in json.loads(out)}
    assert ids == bundled | {"quote-hostile", "quote-markup", "article-hostile"}


def test_env_folder_with_problems_fails_search(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cli.ENV_BRIEFINGS, str(INVALID))
    code, out, err = main(capsys, "search", "x")
    assert code == 1
    assert out == ""
    assert f"{INVALID / 'b.yaml'}:11:11: unknown kind 'poem'" in err


# --------------------------------------------------------------------------
# export --starred.


def write_stars(tmp_path: Path, refs: list[str]) -> Path:
    folder = tmp_path / "state" / "lbn-tui"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "starred.json"
    path.write_text(json.dumps({"version": 1, "starred": refs}), encoding="utf-8")
    return path


def test_export_starred_markdown(tmp_path: Path, env: dict[str, str]) -> None:
    write_stars(tmp_path, ["quote-burt", "vision#3", "gone"])
    result = run("export", "--starred", "--briefings", VALID, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("# Starred passages\n")
    assert "“Social prescribing only works where there is something" in out
    assert f"” — {BURT}. Quoted in: " in out
    assert "*Inquiry session one: health*. Available at: https://example.invalid/inquiry-one/" in (
        out
    )
    assert "“A closing note.” — *The vision*" in out
    assert "(Not found in the loaded briefings: gone)" in out


def test_export_starred_text_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_stars(tmp_path, ["quote-burt"])
    target = tmp_path / "out.txt"
    code, out, err = main(
        capsys, "export", "--starred", "--format", "text", "-o", target, "--briefings", VALID
    )
    assert code == 0
    assert out == ""
    assert err == f"wrote 1 starred passage(s) to {target}\n"
    assert target.read_text(encoding="utf-8").startswith("“Social prescribing only works")
    written = target.read_text(encoding="utf-8")
    assert f"— {BURT}. Quoted in: Test publisher (n.d.) Inquiry session one: health." in written
    assert written.endswith("Available at: https://example.invalid/inquiry-one/. [quote-burt]\n")


def test_export_to_an_unwritable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_stars(tmp_path, ["quote-burt"])
    code, _out, err = main(
        capsys, "export", "--starred", "-o", tmp_path / "no" / "dir" / "x.md", "--briefings", VALID
    )
    assert code == 1
    assert err.startswith("lbn-tui: cannot write ")
    assert err.count("\n") == 1


def test_export_with_a_corrupt_stars_file(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_stars(tmp_path, [])
    path.write_text("{broken", encoding="utf-8")
    result = run("export", "--starred", "--briefings", VALID, env=env)
    assert result.returncode == 0
    assert result.stdout == "# Starred passages\n"
    assert result.stderr.startswith("lbn-tui: ")
    assert "moved to starred.json.corrupt-" in result.stderr


# --------------------------------------------------------------------------
# No terminal: the browser is not started.


def test_no_tty_exits_1_with_one_line(env: dict[str, str]) -> None:
    result = run(env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "terminal" in result.stderr
    assert "\x1b" not in result.stderr


def test_open_without_tty_exits_1(env: dict[str, str]) -> None:
    result = run("open", "quote-burt", "--briefings", VALID, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    result = run("open", "no-such-entry", "--briefings", VALID, env=env)
    assert result.returncode == 1
    assert "no-such-entry" in result.stderr


def test_no_tty_on_stdin_alone_is_enough_to_refuse(env: dict[str, str]) -> None:
    # stdout is a terminal, stdin is not: still no full-screen app.
    leader, follower = os.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "lbn_tui", "--briefings", str(VALID)],
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            env={**env, "TERM": "xterm-256color"},
            timeout=20,
        )
        os.close(follower)
        follower = -1
        shown = b""
        os.set_blocking(leader, False)
        try:
            while chunk := os.read(leader, 65536):
                shown += chunk
        except OSError:
            pass
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert result.returncode == 1
    assert result.stderr.decode().count("\n") == 1
    assert b"\x1b" not in shown


def test_check_prints_one_path_line_col_line_per_problem(
    tmp_path: Path, env: dict[str, str]
) -> None:
    head = "source:\n  title: T\n  url: u\nentries:\n"
    files = {
        "empty.yaml": b"",
        "list.yaml": b"- a\n",
        "latin1.yaml": head.encode() + b"  - id: caf\xe9\n",
        "tab.yaml": head.encode() + b"  - id: a\n\tkind: quote\n",
        "raw-escape.yaml": head.encode() + b'  - id: a\n    kind: quote\n    text: "\x1b[31m"\n',
        "two-docs.yaml": b"a: 1\n---\nb: 2\n",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    result = run("check", tmp_path, env=env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    pattern = re.compile(rf"^{re.escape(str(tmp_path))}/[a-z0-9-]+\.yaml:\d+:\d+: \S")
    bad = [line for line in lines if not pattern.match(line)]
    assert bad == [], bad
    assert {line.split(":", 1)[0] for line in lines} == {str(tmp_path / n) for n in files}


def test_an_empty_folder_name_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    # "" would become Path(".") and scan whatever folder the reader is in.
    for args in (("--briefings", "", "list"), ("check", "")):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(list(args))
        assert exit_info.value.code == 2
        assert "a folder name is needed" in capsys.readouterr().err


def test_kind_takes_the_apps_search_prefixes_too(capsys: pytest.CaptureFixture[str]) -> None:
    """One table of kind names: what the app's q:/recs:/read: prefixes mean, --kind means."""
    from lbn_tui.search.filters import FILTERS, kinds_named

    for kind_filter in FILTERS:
        for prefix in kind_filter.prefixes:
            named = kinds_named(prefix)
            assert named is not None, prefix
            if prefix not in model.KINDS and kind_filter.kinds is not None:
                assert named == kind_filter.kinds, prefix
    assert kinds_named("reading") == {"reading"}  # a kind's own name is just that kind
    code, out, _ = main(capsys, "list", "--kind", "quotes", "--json")
    assert code == 0
    assert {row["kind"] for row in json.loads(out)} == {"quote"}


# --------------------------------------------------------------------------
# Hostile input, round two: odd passage numbers, export's output file, refs
# in the stars file.


@pytest.mark.parametrize("command", ["show", "open"])
@pytest.mark.parametrize(
    "ref", ["vision#²", "vision#٣", "vision#" + "9" * 5000, "vision#+1", "vision#-1", "vision# 1"]
)
def test_an_odd_passage_number_is_a_one_line_error(
    command: str, ref: str, env: dict[str, str]
) -> None:
    result = run(command, ref, "--briefings", VALID, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "entry 'vision' has passages #1 to #3" in result.stderr
    assert len(result.stderr) < 200


def test_export_does_not_replace_a_file_without_force(tmp_path: Path, env: dict[str, str]) -> None:
    write_stars(tmp_path, ["quote-burt"])
    target = tmp_path / "out.md"
    target.write_text("my notes\n", encoding="utf-8")
    refused = run("export", "--starred", "-o", target, "--briefings", VALID, env=env)
    assert refused.returncode == 1
    assert refused.stderr == f"lbn-tui: {target} exists; use --force to replace it\n"
    assert target.read_text(encoding="utf-8") == "my notes\n"
    forced = run("export", "--starred", "-o", target, "--force", "--briefings", VALID, env=env)
    assert forced.returncode == 0, forced.stderr
    assert "Social prescribing only works" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.md", "state"]


def _tiny_file_size_limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))


def test_a_failed_export_leaves_the_old_file_whole(tmp_path: Path, env: dict[str, str]) -> None:
    write_stars(tmp_path, ["quote-burt", "vision#1", "vision#2", "vision#3", "session-one"])
    target = tmp_path / "out.md"
    old = "x" * 900 + "\n"
    target.write_text(old, encoding="utf-8")
    command = ["export", "--starred", "-o", str(target), "--force", "--briefings", str(VALID)]
    result = subprocess.run(
        [sys.executable, "-m", "lbn_tui", *command],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        preexec_fn=_tiny_file_size_limit,  # like prlimit --fsize=1000
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"lbn-tui: cannot write {target}: File too large")
    assert result.stderr.count("\n") == 1
    assert target.read_text(encoding="utf-8") == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.md", "state"]


def test_export_refuses_its_own_stars_file(tmp_path: Path, env: dict[str, str]) -> None:
    stars = write_stars(tmp_path, ["quote-burt"])
    before = stars.read_bytes()
    for target in (stars, stars.parent / "elsewhere.md"):
        result = run("export", "--starred", "-o", target, "--force", "--briefings", VALID, env=env)
        assert result.returncode == 1
        assert (
            result.stderr == f"lbn-tui: will not write over lbn-tui's own state files: {target}\n"
        )
    link = tmp_path / "innocent.md"
    link.symlink_to(stars)
    result = run("export", "--starred", "-o", link, "--force", "--briefings", VALID, env=env)
    assert result.returncode == 1
    assert "own state files" in result.stderr
    assert stars.read_bytes() == before


def test_export_refuses_a_named_pipe(tmp_path: Path, env: dict[str, str]) -> None:
    write_stars(tmp_path, ["quote-burt"])
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)
    result = run("export", "--starred", "-o", pipe, "--force", "--briefings", VALID, env=env)
    assert result.returncode == 1
    assert result.stderr == f"lbn-tui: cannot write {pipe}: it is not a regular file\n"


def test_an_escape_in_the_stars_file_never_reaches_the_terminal(
    tmp_path: Path, env: dict[str, str]
) -> None:
    write_stars(tmp_path, ["quote-burt", "gone\x1b]0;pwned\x07", "vision#²"])
    result = run("export", "--starred", "--briefings", VALID, env=env)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "(Not found in the loaded briefings: gone\\x1b]0;pwned\\x07, vision#²)" in result.stdout


def test_check_parses_each_file_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lbn_tui.corpus import loader

    parsed: list[str] = []
    for name in ("parse", "compose"):
        real = getattr(loader.yaml, name)

        def spy(stream: str, *args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            parsed.append(_name)
            return _real(stream, *args, **kw)

        monkeypatch.setattr(loader.yaml, name, spy)
    # The loader takes the events from a parser it makes itself.
    make_parser = loader._SafeLoader

    def parser(stream: str) -> Any:
        parsed.append("parser")
        return make_parser(stream)

    monkeypatch.setattr(loader, "_SafeLoader", parser)
    code, out, _ = main(capsys, "check", VALID)
    assert code == 0, out
    assert len(parsed) == len(loader.briefing_files(VALID)), parsed


# --------------------------------------------------------------------------
# cite, and export of a bibliography.


def test_cite_prints_what_c_copies(capsys: pytest.CaptureFixture[str]) -> None:
    from lbn_tui.corpus.loader import load_corpus
    from lbn_tui.render import attributed_text

    corpus = load_corpus([VALID])
    code, out, _ = main(capsys, "cite", "quote-burt", "--briefings", VALID)
    assert code == 0
    assert out == attributed_text(corpus, corpus.passages_of("quote-burt")[0]) + "\n"
    assert out.startswith("“Social prescribing only works") and out.endswith("[quote-burt]\n")


def test_cite_an_entry_of_several_passages_gives_its_reference(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = main(capsys, "cite", "vision", "--briefings", VALID)
    assert code == 0
    assert out == "*The vision* (n.d.). Available at: https://example.invalid/vision/. [vision]\n"


@pytest.mark.parametrize("style", ["csl-json", "ris", "bibtex"])
def test_cite_as_a_record(capsys: pytest.CaptureFixture[str], style: str) -> None:
    import json

    import bibtexparser
    import rispy

    code, out, _ = main(capsys, "cite", "read-fabric", "--style", style, "--briefings", VALID)
    assert code == 0
    if style == "csl-json":
        (item,) = json.loads(out)
        assert (item["id"], item["type"], item["title"]) == (
            "read-fabric",
            "report",
            "The state of our social fabric",
        )
    elif style == "ris":
        (record,) = rispy.loads(out)
        assert record["title"] == "The state of our social fabric"
    else:
        library = bibtexparser.parse_string(out)
        assert [e.key for e in library.entries] == ["read-fabric"]


def test_cite_an_unknown_ref_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = main(capsys, "cite", "quote-bur", "--briefings", VALID)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "did you mean 'quote-burt'" in err


def test_export_a_bibliography(env: dict[str, str]) -> None:
    result = run(
        "export", "--kind", "reference", "--format", "bibtex", "--briefings", VALID, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("@") and "onward-2021" in result.stdout
    listed = run("export", "--kind", "reading", "--format", "text", "--briefings", VALID, env=env)
    assert listed.stdout == "Onward (2021) The state of our social fabric. [read-fabric]\n"


def test_export_needs_starred_or_a_kind(env: dict[str, str]) -> None:
    result = run("export", "--briefings", VALID, env=env)
    assert result.returncode == 2
    assert "one of the arguments --starred --kind is required" in result.stderr


def test_show_json_says_what_is_editorial(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code, out, _ = main(capsys, "show", "ref-onward-2021", "--json")
    assert code == 0
    data = json.loads(out)
    # Written by this project: the derived title and the note.
    assert data["editorial_fields"] == ["title", "note"]
    facts = {fact["name"]: fact for fact in data["facts"]}
    assert facts["authors"]["value"] == ["Tanner, Will", "Krasniqi, Fjolla", "Blagden, James"]
    assert all(fact["found_at"].startswith("https://") for fact in data["facts"])
    assert data["reference"].startswith("Tanner, W., Krasniqi, F. and Blagden, J. (2021)")
    code, out, _ = main(capsys, "show", "figure-29-8bn-a-year")
    assert "As printed [article-vision#20]: “Previous APPG research suggests" in " ".join(
        out.split()
    )
