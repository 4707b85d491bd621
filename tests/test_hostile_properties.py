"""Property-based tests: any text survives load → sanitise → show/export, and the
loader never raises anything but `BriefingsError`.

The expected value is computed by an independent oracle (`oracle`): drop
every character of the C0 set but tab and newline, DEL and the C1 set.
For text with no escape-sequence introducer (ESC or an 8-bit C1 introducer)
the output must equal the oracle exactly; with introducers, whole escape
sequences go too, so the output must be a subsequence of the oracle, and in
every case no control character may reach the output.

Example counts are fixed here and quoted in SECURITY.md (`EXAMPLES`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbn_tui import cli
from lbn_tui.corpus.loader import BriefingsError, check, load_corpus
from lbn_tui.paths import state_dir as default_state_dir
from lbn_tui.sanitize import clean_text

EXAMPLES = {
    "exact": 200,
    "general": 200,
    "subprocess": 12,
    "binary": 300,
    "mutated": 300,
    "clean_text": 1000,
}

FIXTURES = Path(__file__).parent / "fixtures"
OPEN, CLOSE = "⟦", "⟧"  # around the text, so the loader's strip() cannot bite

ESCAPE_INTRODUCERS = "\x1b\x90\x98\x9b\x9d\x9e\x9f"
CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n"] + [
    chr(c) for c in range(0x7F, 0xA0)
]
PIECES = [
    "\x1b[31m",
    "\x1b[2J\x1b[H",
    "\x1b]52;c;cHduZWQ=\x07",
    "\x1b]8;;https://evil.invalid/\x1b\\",
    "\x1b]0;title\x07",
    "\x1b]2;title\x1b\\",
    "\x1bPq#0;2;0;0;0#0~~\x1b\\",
    "\x1b_apc\x1b\\",
    "\x9b2J",
    "\x9d0;t\x9c",
    "[red]",
    "[/red]",
    "[link=https://evil.invalid]",
    "[@click=app.quit]",
    "[bold]",
    "\\[",
    "\u202e",
    "\u2066",
    "\u200b",
    "\u200d",
    "e\u0301",
    "\ufeff",
    "\u2028",
    "\t",
    "\n",
    "\r\n",
    " ",
    "  ",
    "👩‍👩‍👧",
    "עברית",
]
_chars = st.characters(exclude_categories=("Cs",))
hostile_text = st.lists(
    st.one_of(st.text(_chars, max_size=8), st.sampled_from(CONTROLS), st.sampled_from(PIECES)),
    max_size=30,
).map("".join)
no_introducers = hostile_text.map(
    lambda s: s.translate({ord(c): None for c in ESCAPE_INTRODUCERS})
).filter(lambda s: OPEN not in s and CLOSE not in s)


def is_control(ch: str) -> bool:
    code = ord(ch)
    return ch not in "\t\n" and (code < 0x20 or 0x7F <= code <= 0x9F)


def oracle(text: str) -> str:
    return "".join(ch for ch in text if not is_control(ch))


def assert_no_controls(out: str) -> None:
    bad = sorted({f"U+{ord(ch):04X}" for ch in out if is_control(ch)})
    assert not bad, bad


def is_subsequence(small: str, big: str) -> bool:
    it = iter(big)
    return all(ch in it for ch in small)


def nonspace(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


def pack(text: str) -> str:
    """A briefing file holding ``text`` in a quote, as valid YAML."""
    doc = {
        "source": {"title": "S", "url": "https://example.invalid/"},
        "entries": [
            {"id": "q", "kind": "quote", "speaker": "Speaker", "text": OPEN + text + CLOSE}
        ],
    }
    return yaml.safe_dump(doc, default_style='"', allow_unicode=False, sort_keys=False)


def star_q() -> None:
    folder = default_state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "starred.json").write_text(json.dumps({"version": 1, "starred": ["q"]}))


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    assert_no_controls(out)
    assert_no_controls(err)
    return out


def outputs(capsys: pytest.CaptureFixture[str], folder: Path) -> dict[str, str]:
    b = ("--briefings", folder)
    return {
        "json": run(capsys, *b, "show", "q", "--json"),
        "show": run(capsys, *b, "show", "q"),
        "passage": run(capsys, *b, "show", "q#1"),
        "text": run(capsys, *b, "export", "--starred", "--format", "text"),
        "markdown": run(capsys, *b, "export", "--starred", "--format", "markdown"),
        "list": run(capsys, *b, "list"),
        "search": run(capsys, *b, "search", "Speaker"),
    }


def between(out: str) -> str:
    # The last one: a title made from the text may come first.
    return out[out.rindex(OPEN) : out.rindex(CLOSE) + 1]


_FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=EXAMPLES["exact"], deadline=None, suppress_health_check=_FIXTURE_OK)
@given(text=no_introducers)
def test_text_survives_load_show_and_export_minus_controls(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "f.yaml").write_text(pack(text), encoding="utf-8")
    star_q()
    expected = OPEN + oracle(text) + CLOSE
    out = outputs(capsys, tmp_path)
    assert json.loads(out["json"])["text"] == expected
    assert json.loads(out["json"])["passages"][0]["text"] == expected
    # Plain text is wrapped at 78 columns: only whitespace may differ.
    assert nonspace(between(out["show"])) == nonspace(expected)
    assert between(out["passage"]) == expected
    assert between(out["text"]) == expected
    # Markdown holds each citation as it is copied: the text inside unchanged.
    assert between(out["markdown"]) == expected


@settings(max_examples=EXAMPLES["general"], deadline=None, suppress_health_check=_FIXTURE_OK)
@given(text=hostile_text.filter(lambda s: OPEN not in s and CLOSE not in s))
def test_escape_sequences_are_removed_whole_and_nothing_else_is_added(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "f.yaml").write_text(pack(text), encoding="utf-8")
    star_q()
    out = outputs(capsys, tmp_path)  # asserts no control character in any output
    loaded = json.loads(out["json"])["text"]
    assert loaded.startswith(OPEN)
    assert is_subsequence(loaded, OPEN + oracle(text) + CLOSE), (loaded, text)
    for name in ("passage", "text"):
        assert loaded in out[name]


@settings(max_examples=EXAMPLES["subprocess"], deadline=None, suppress_health_check=_FIXTURE_OK)
@given(text=no_introducers)
def test_real_process_writes_the_same_bytes(text: str, tmp_path: Path) -> None:
    # The bytes a real `lbn-tui` process writes to its stdout: UTF-8, no controls.
    (tmp_path / "b").mkdir(exist_ok=True)
    (tmp_path / "b" / "f.yaml").write_text(pack(text), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != cli.ENV_BRIEFINGS}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    (tmp_path / "state" / "lbn-tui").mkdir(parents=True, exist_ok=True)
    (tmp_path / "state" / "lbn-tui" / "starred.json").write_text('{"starred": ["q"]}')
    expected = OPEN + oracle(text) + CLOSE
    for args in (["show", "q#1"], ["export", "--starred", "--format", "text"]):
        result = subprocess.run(
            [sys.executable, "-m", "lbn_tui", "--briefings", str(tmp_path / "b"), *args],
            capture_output=True,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=20,
        )
        assert result.returncode == 0, result.stderr
        assert b"Traceback" not in result.stderr
        out = result.stdout.decode("utf-8")  # strict: only valid UTF-8
        assert_no_controls(out)
        assert between(out) == expected


# --------------------------------------------------------------------------
# The loader on arbitrary bytes: only BriefingsError, every problem located.


def assert_only_briefings_error(folder: Path, data: bytes) -> None:
    path = folder / "f.yaml"
    path.write_bytes(data)
    problems = check([folder])
    lines = data.count(b"\n") + 1
    for p in problems:
        assert p.path == str(path)
        assert p.line >= 1 and p.column >= 1, p
        assert "\n" not in str(p)
        assert_no_controls(str(p))
        assert p.line <= lines + 1, (p, lines)
    try:
        corpus = load_corpus([folder])
    except BriefingsError as exc:
        assert list(exc.problems) == problems
    else:
        assert problems == []
        for entry in corpus:
            for passage in entry.passages():
                assert_no_controls(passage.text)


@settings(max_examples=EXAMPLES["binary"], deadline=None, suppress_health_check=_FIXTURE_OK)
@given(data=st.binary(max_size=2000))
def test_loader_on_arbitrary_bytes(data: bytes, tmp_path: Path) -> None:
    assert_only_briefings_error(tmp_path, data)


BASE = (FIXTURES / "valid-basic" / "vision.yaml").read_bytes()
_insertions = st.one_of(
    st.binary(max_size=8),
    st.sampled_from(
        [
            b"&a ",
            b"*a",
            b"[",
            b"{",
            b"]",
            b"\t",
            b"\xff",
            b"\xef\xbb\xbf",
            b"\x1b[31m",
            b"\x00",
            b"- ",
            b": ",
            b"? ",
            b"!!python/object/apply:os.system ",
            b"!!binary ",
            b"\n",
            b"\n  ",
            b'"',
            b"'",
            b"---\n",
            b"%YAML 1.1\n",
            b"\xe2\x80\xa8",
            b"[" * 200,
        ]
    ),
)
_mutation = st.tuples(
    st.sampled_from(["delete", "insert", "replace", "duplicate"]),
    st.integers(0, len(BASE)),
    st.integers(0, 40),
    _insertions,
)


def mutate(data: bytes, mutations: list[tuple[str, int, int, bytes]]) -> bytes:
    for op, at, length, insert in mutations:
        at = min(at, len(data))
        if op == "delete":
            data = data[:at] + data[at + length :]
        elif op == "insert":
            data = data[:at] + insert + data[at:]
        elif op == "replace":
            data = data[:at] + insert + data[at + len(insert) :]
        else:
            data = data[:at] + data[at : at + length] * 2 + data[at + length :]
    return data


@settings(max_examples=EXAMPLES["mutated"], deadline=None, suppress_health_check=_FIXTURE_OK)
@given(mutations=st.lists(_mutation, min_size=1, max_size=6))
def test_loader_on_mutated_briefing_files(mutations: Any, tmp_path: Path) -> None:
    assert_only_briefings_error(tmp_path, mutate(BASE, mutations))


# --------------------------------------------------------------------------
# clean_text against the oracle.


@settings(max_examples=EXAMPLES["clean_text"], deadline=None)
@given(text=hostile_text)
def test_clean_text_only_removes_and_removes_every_control(text: str) -> None:
    out = clean_text(text)
    assert_no_controls(out)
    assert clean_text(out) == out
    assert is_subsequence(out, oracle(text))
    if not any(c in text for c in ESCAPE_INTRODUCERS):
        assert out == oracle(text)
