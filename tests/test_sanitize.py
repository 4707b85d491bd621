"""Escape sequences and control characters never reach the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lbn_tui.corpus import model
from lbn_tui.corpus.loader import load_corpus
from lbn_tui.sanitize import clean_text

HOSTILE = Path(__file__).parent / "fixtures" / "valid-hostile"

ESC = "\x1b"
BEL = "\x07"
ST = "\x1b\\"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        # CSI: colours, cursor moves, screen clear.
        (f"a{ESC}[31mred{ESC}[0m b", "ared b"),
        (f"x{ESC}[2J{ESC}[Hy", "xy"),
        (f"x{ESC}[?1049hy", "xy"),
        # OSC 52: write to the clipboard, BEL- and ST-terminated.
        (f"a{ESC}]52;c;SGVsbG8={BEL}b", "ab"),
        (f"a{ESC}]52;c;SGVsbG8={ST}b", "ab"),
        # OSC 8: hyperlink; the visible text stays.
        (f"{ESC}]8;;https://evil.invalid/{ST}click{ESC}]8;;{ST}", "click"),
        # OSC 0/2: window title, BEL- and ST-terminated.
        (f"a{ESC}]0;pwned{BEL}b", "ab"),
        (f"a{ESC}]2;pwned{ST}b", "ab"),
        # DCS (sixel, DECRQSS...).
        (f"a{ESC}Pq#0;2;0;0;0#0~~{ST}b", "ab"),
        (f"a{ESC}P$qm{ST}b", "ab"),
        # APC / PM / SOS.
        (f"a{ESC}_payload{ST}b", "ab"),
        # 8-bit C1 CSI and OSC.
        ("a\x9b31mb", "ab"),
        ("a\x9d0;title\x9cb", "ab"),
        # Other two-byte escapes (RIS, charset switch).
        (f"a{ESC}cb", "ab"),
        (f"a{ESC}(0b", "ab"),
        # A lone ESC at the end.
        (f"ab{ESC}", "ab"),
        # Bare C0 controls, DEL, C1, CR.
        ("a\x00b\x01c\x07d\x08e", "abcde"),
        ("a\x7fb", "ab"),
        ("a\x85b\x80c", "abc"),
        ("line one\r\nline two\r", "line one\nline two"),
        # Tab and newline stay.
        ("a\tb\nc", "a\tb\nc"),
    ],
)
def test_clean_text_removes_escapes_and_controls(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_unterminated_osc_does_not_swallow_the_next_line() -> None:
    assert clean_text(f"a{ESC}]0;title\nnext line") == "a\nnext line"


@pytest.mark.parametrize(
    "markup",
    [
        "[red]x[/red]",
        "[@click=app.quit]x[/]",
        "[link=https://x]y[/link]",
        "[bold]“quoted” — ‘left behind’ café[/bold]",
        "\\[escaped] and a lone [",
    ],
)
def test_markup_and_unicode_are_kept_literally(markup: str) -> None:
    assert clean_text(markup) == markup


@given(st.text())
def test_clean_text_output_has_no_controls_and_is_stable(text: str) -> None:
    out = clean_text(text)
    for ch in out:
        code = ord(ch)
        assert ch in "\t\n" or not (code < 0x20 or 0x7F <= code <= 0x9F), repr(out)
    assert clean_text(out) == out


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"))))
def test_text_without_controls_is_unchanged(text: str) -> None:
    assert clean_text(text) == text


# --------------------------------------------------------------------------
# Through the loader: every string of a file is cleaned.


@pytest.fixture(scope="module")
def corpus() -> model.Corpus:
    return load_corpus([HOSTILE])


def _all_strings(corpus: model.Corpus) -> list[str]:
    out: list[str] = []
    for entry in corpus:
        out += [entry.id, entry.title, entry.source.title, entry.source.url]
        for passage in entry.passages():
            out += [passage.text, passage.heading, passage.speaker]
        if isinstance(entry, model.Quote):
            out += [entry.speaker, entry.role, entry.given_at, entry.attribution]
    return out


def test_loaded_quote_text_is_clean(corpus: model.Corpus) -> None:
    quote = corpus.get("quote-hostile")
    assert isinstance(quote, model.Quote)
    # Written with YAML escapes: OSC 52, OSC 8 (twice), OSC 2 (ST), DCS,
    # CSI, 8-bit CSI, C0 controls, DEL, CR, then tab and newline.
    assert quote.text == "ABCDEFGHIJK\tL\nM"
    assert quote.speaker == "Eve Blink"


def test_every_loaded_string_is_clean(corpus: model.Corpus) -> None:
    strings = _all_strings(corpus)
    assert any("[red]markup[/red]" in s for s in strings)
    for s in strings:
        assert clean_text(s) == s, repr(s)
        assert ESC not in s and "\x9b" not in s and "\r" not in s and "\x7f" not in s


def test_source_title_heading_and_title_are_clean(corpus: model.Corpus) -> None:
    article = corpus.get("article-hostile")
    assert isinstance(article, model.Article)
    assert article.title == "Title  cleared"
    assert article.paragraphs[0].heading == "Head ing"
    assert article.paragraphs[0].text == "para bold text"
    assert article.source.title == "Hostile  source"


def test_markup_is_loaded_literally(corpus: model.Corpus) -> None:
    quote = corpus.get("quote-markup")
    assert isinstance(quote, model.Quote)
    assert quote.text == "[@click=app.quit]x[/] [red]y[/red] [link=https://e.invalid]z[/link]"
    hostile = corpus.get("quote-hostile")
    assert isinstance(hostile, model.Quote)
    assert hostile.role == "[red]markup[/red]"
