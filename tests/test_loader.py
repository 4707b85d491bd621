"""The loader: YAML briefing files → the model, every problem as path:line:col."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbn_tui.corpus import model
from lbn_tui.corpus.loader import BriefingsError, Problem, check, load_corpus

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid-basic"
INVALID = FIXTURES / "invalid-many"

# Every file written by these tests starts with these four lines, so an
# entry's first key is on line 5, column 5.
HEAD = "source:\n  title: T\n  url: https://example.invalid/t/\nentries:\n"
REFERENCE = (
    '  - id: ref-a\n    kind: reference\n    citation: A, 2020\n    author: A\n    year: "2020"\n'
)


def write(folder: Path, name: str, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def found(folder: Path | list[Path]) -> list[tuple[str, int, int, str]]:
    folders = folder if isinstance(folder, list) else [folder]
    return [(Path(p.path).name, p.line, p.column, p.message) for p in check(folders)]


def only_problem(folder: Path) -> tuple[str, int, int, str]:
    problems = found(folder)
    assert len(problems) == 1, problems
    return problems[0]


def assert_one_line(problems: list[Problem]) -> None:
    for p in problems:
        text = str(p)
        assert "\n" not in text, text
        assert text.startswith(f"{p.path}:{p.line}:{p.column}: ")
        assert p.line >= 1 and p.column >= 1


# --------------------------------------------------------------------------
# Valid input.


def test_valid_fixture_loads_every_kind() -> None:
    corpus = load_corpus([VALID])
    assert check([VALID]) == []
    kinds = {e.kind for e in corpus}
    assert kinds == set(model.KINDS)
    quote = corpus.get("quote-burt")
    assert isinstance(quote, model.Quote)
    assert quote.speaker == "Jim Burt"
    assert quote.session == "session-one"
    assert quote.source.title == "Inquiry session one: health"
    assert quote.location.line == 30 and quote.location.column == 5
    assert quote.location.path.endswith("session.yaml")


def test_entries_keep_file_order_and_links() -> None:
    corpus = load_corpus([VALID])
    ids = [e.id for e in corpus]
    # session.yaml sorts before vision.yaml; entries keep their file order.
    assert ids[:5] == ["session-one", "pack-health", "read-fabric", "quote-burt", "onward-2021"]
    assert corpus.cited_by("onward-2021") == ("session-one", "vision")
    assert "session-one" in corpus.linked_from("quote-burt")


def test_tab_and_newline_are_kept_in_text() -> None:
    corpus = load_corpus([VALID])
    article = corpus.get("vision")
    assert isinstance(article, model.Article)
    assert article.paragraphs[2].text == (
        "First line of a two-line paragraph.\nSecond line\tafter a tab."
    )


def test_utf8_bom_loads(tmp_path: Path) -> None:
    write(tmp_path, "bom.yaml", b"\xef\xbb\xbf" + (HEAD + REFERENCE).encode())
    corpus = load_corpus([tmp_path])
    assert [e.id for e in corpus] == ["ref-a"]


def test_yml_suffix_and_subfolders_are_read(tmp_path: Path) -> None:
    write(tmp_path / "sub", "one.yml", HEAD + REFERENCE)
    write(tmp_path, "notes.txt", "not a briefing file")
    assert [e.id for e in load_corpus([tmp_path])] == ["ref-a"]


def test_several_folders_load_together(tmp_path: Path) -> None:
    write(tmp_path, "ref.yaml", HEAD + REFERENCE.replace("ref-a", "ref-extra"))
    corpus = load_corpus([VALID, tmp_path])
    assert corpus.get("ref-extra") is not None
    assert corpus.get("quote-burt") is not None


def test_the_same_folder_twice_is_not_a_duplicate_of_itself() -> None:
    # `--briefings DIR --briefings DIR`, or `--briefings briefings --with-bundled`
    # from a checkout: an id must never be reported as a duplicate of itself.
    problems = check([VALID, VALID])
    for p in problems:
        assert f"first defined at {p.path}:{p.line}:{p.column})" not in p.message, str(p)


# --------------------------------------------------------------------------
# Invalid YAML.


def test_bad_indentation_points_at_the_line(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", HEAD + "  - id: a\n    kind: quote\n      speaker: S\n    text: x\n")
    name, line, _col, message = only_problem(tmp_path)
    assert (name, line) == ("f.yaml", 7)
    assert message.startswith("invalid YAML: ")


def test_dedented_key_points_at_the_line(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", HEAD + "  - id: a\n    kind: quote\n   speaker: S\n    text: x\n")
    _name, line, col, message = only_problem(tmp_path)
    assert (line, col) == (7, 4)
    assert message.startswith("invalid YAML: ")


def test_tab_indentation_points_at_the_tab(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", HEAD + "  - id: a\n\tkind: quote\n")
    _name, line, col, message = only_problem(tmp_path)
    assert (line, col) == (6, 1)
    assert "tab" in message


def test_unclosed_quote_points_at_the_opening_quote(tmp_path: Path) -> None:
    text = (
        HEAD
        + '  - id: a\n    kind: quote\n    speaker: "Someone\n    text: x\n'
        + "  - id: b\n    kind: quote\n    speaker: S\n    text: y\n"
    )
    write(tmp_path, "f.yaml", text)
    _name, line, _col, message = only_problem(tmp_path)
    assert message.startswith("invalid YAML: ")
    # The quote opens on line 7; the parser only notices at the end of the
    # file (line 13).  The reader must be sent to line 7, by the location
    # or at least by the message.
    assert line == 7 or "line 7" in message, (line, message)


def test_multiple_documents_are_refused_at_the_separator(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", HEAD + REFERENCE + "---\nsource: {}\n")
    _name, line, col, message = only_problem(tmp_path)
    assert (line, col) == (10, 1)
    assert "document" in message


def test_non_utf8_byte_gives_its_line_and_column(tmp_path: Path) -> None:
    data = (HEAD + "  - id: a\n    kind: reference\n    citation: caf").encode() + b"\xe9\n"
    write(tmp_path, "f.yaml", data)
    assert only_problem(tmp_path) == ("f.yaml", 7, 18, "not UTF-8: byte 0xe9 cannot be decoded")


def test_raw_control_character_in_a_file_is_removed_or_located(tmp_path: Path) -> None:
    # An ESC byte pasted straight into a file (not written as "\e").
    write(
        tmp_path,
        "f.yaml",
        HEAD + '  - id: a\n    kind: quote\n    speaker: S\n    text: "x \x1b[31mred"\n',
    )
    problems = check([tmp_path])
    assert_one_line(problems)
    if problems:
        # Refusing is fine, but at the character: line 8, column 14.
        assert [(p.line, p.column) for p in problems] == [(8, 14)], [str(p) for p in problems]
    else:
        quote = load_corpus([tmp_path]).get("a")
        assert isinstance(quote, model.Quote)
        assert quote.text == "x red"


# --------------------------------------------------------------------------
# Shape and types.


def test_empty_file(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", "")
    name, line, col, message = only_problem(tmp_path)
    assert (name, line, col) == ("f.yaml", 1, 1)
    assert "empty" in message


def test_file_of_only_comments_is_empty(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", "# nothing here\n")
    assert "empty" in only_problem(tmp_path)[3]


def test_file_that_is_a_list(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", "- a\n- b\n")
    assert only_problem(tmp_path) == (
        "f.yaml",
        1,
        1,
        "a briefing file must be a mapping, not a list",
    )


def test_file_that_is_a_string(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", "# a comment\nhello\n")
    _name, line, _col, message = only_problem(tmp_path)
    assert line == 2
    assert "must be a mapping, not a string" in message


def test_string_where_a_list_is_expected(tmp_path: Path) -> None:
    text = HEAD + (
        "  - id: s\n    kind: session\n    title: t\n    series: inquiry\n    number: 1\n"
        "    briefing_pack: pack-one\n"
    )
    write(tmp_path, "f.yaml", text)
    assert only_problem(tmp_path) == (
        "f.yaml",
        10,
        20,
        "briefing_pack must be a list of ids, not a string",
    )


def test_list_where_a_mapping_is_expected(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", "source:\n  - title: T\nentries:\n" + REFERENCE)
    assert found(tmp_path) == [("f.yaml", 2, 3, "'source' must be a mapping, not a list")]


def test_mapping_where_entries_list_is_expected(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", HEAD + "  id: a\n  kind: quote\n")
    assert only_problem(tmp_path) == ("f.yaml", 5, 3, "'entries' must be a list, not a mapping")


def test_list_where_a_string_is_expected(tmp_path: Path) -> None:
    write(
        tmp_path, "f.yaml", HEAD + "  - id: a\n    kind: quote\n    speaker: S\n    text: [x, y]\n"
    )
    assert only_problem(tmp_path) == ("f.yaml", 8, 11, "text must be a string, not a list")


@pytest.mark.parametrize(
    ("value", "described"),
    [('"1"', "a string"), ("1.5", "a float"), ("one", "a string"), ("[1]", "a list")],
)
def test_number_must_be_a_whole_number(tmp_path: Path, value: str, described: str) -> None:
    text = (
        HEAD
        + f"  - id: s\n    kind: session\n    title: t\n    series: inquiry\n    number: {value}\n"
    )
    write(tmp_path, "f.yaml", text)
    assert only_problem(tmp_path) == (
        "f.yaml",
        9,
        13,
        f"number must be a whole number, not {described}",
    )


def test_empty_value_where_a_string_is_required(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", HEAD + "  - id: a\n    kind: quote\n    speaker:\n    text: x\n")
    _name, line, _col, message = only_problem(tmp_path)
    assert line == 7
    assert message == "speaker must be a string, not empty"


def test_choice_value_lists_the_choices(tmp_path: Path) -> None:
    text = HEAD + "  - id: s\n    kind: session\n    title: t\n    series: weekly\n    number: 1\n"
    write(tmp_path, "f.yaml", text)
    assert only_problem(tmp_path) == (
        "f.yaml",
        8,
        13,
        "series must be one of: evidence, inquiry (not 'weekly')",
    )


# --------------------------------------------------------------------------
# Missing and unknown keys.


def test_missing_required_field_points_at_the_entry(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", HEAD + REFERENCE + "  - id: q\n    kind: quote\n    text: x\n")
    assert only_problem(tmp_path) == (
        "f.yaml",
        10,
        5,
        "entry 'q' (kind 'quote') is missing required key 'speaker'",
    )


def test_missing_id_and_kind(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", HEAD + "  - kind: quote\n    speaker: S\n    text: x\n  - id: b\n")
    assert found(tmp_path) == [
        ("f.yaml", 5, 5, "entry is missing required key 'id'"),
        ("f.yaml", 8, 5, "entry 'b' is missing required key 'kind'"),
    ]


def test_missing_source_and_entries(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", "# header\nfoo: 1\n")
    problems = found(tmp_path)
    messages = [m for *_rest, m in problems]
    assert "missing key 'source'" in messages
    assert "missing key 'entries'" in messages
    assert ("f.yaml", 2, 1, "unknown key 'foo' (a briefing file has 'source' and 'entries')") in (
        problems
    )


def test_source_missing_url(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", "source:\n  title: T\nentries:\n" + REFERENCE)
    assert only_problem(tmp_path) == ("f.yaml", 2, 3, "'source' is missing required key 'url'")


def test_unknown_key_at_entry_level(tmp_path: Path) -> None:
    write(
        tmp_path,
        "f.yaml",
        HEAD + "  - id: a\n    kind: quote\n    speaker: S\n    text: x\n    colour: red\n",
    )
    assert only_problem(tmp_path) == (
        "f.yaml",
        9,
        5,
        "unknown key 'colour' for kind 'quote' (expected: title, text, speaker, role, "
        "given_at, session)",
    )


def test_unknown_key_at_paragraph_level(tmp_path: Path) -> None:
    text = HEAD + (
        "  - id: a\n    kind: article\n    title: t\n    paragraphs:\n"
        "      - text: x\n        colour: red\n"
    )
    write(tmp_path, "f.yaml", text)
    _name, line, col, message = only_problem(tmp_path)
    assert (line, col) == (10, 9)
    assert "unknown key 'colour' in a paragraph" in message
    assert "text, heading, cites, embed" in message


def test_unknown_key_at_source_level(tmp_path: Path) -> None:
    text = "source:\n  title: T\n  url: u\n  colour: red\nentries:\n" + REFERENCE
    write(tmp_path, "f.yaml", text)
    assert only_problem(tmp_path) == (
        "f.yaml",
        4,
        3,
        "unknown key 'colour' in 'source' (expected: title, url, publisher, note, editorial)",
    )


def test_unknown_key_at_top_level(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", HEAD + REFERENCE + "colour: red\n")
    assert only_problem(tmp_path) == (
        "f.yaml",
        10,
        1,
        "unknown key 'colour' (a briefing file has 'source' and 'entries')",
    )


def test_duplicate_key_in_a_mapping_names_the_first(tmp_path: Path) -> None:
    write(
        tmp_path,
        "f.yaml",
        HEAD + REFERENCE.replace('    year: "2020"\n', '    author: B\n    year: "2020"\n'),
    )
    assert only_problem(tmp_path) == ("f.yaml", 9, 5, "duplicate key 'author' (first at line 8)")


def test_key_that_is_not_a_name(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", HEAD + REFERENCE + "? [a, b]\n: c\n")
    assert ("f.yaml", 10, 3, "a briefing file has a key that is not a name") in found(tmp_path)


# --------------------------------------------------------------------------
# Ids, kinds and references.


def test_invalid_kind(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", HEAD + "  - id: a\n    kind: poem\n")
    _name, line, col, message = only_problem(tmp_path)
    assert (line, col) == (6, 11)
    assert message.startswith("unknown kind 'poem' (expected one of: session, briefing")


@pytest.mark.parametrize("bad", ["Bad_Id", "1abc", "a--b", "trailing-", "has space"])
def test_invalid_id(tmp_path: Path, bad: str) -> None:
    write(tmp_path, "f.yaml", HEAD + REFERENCE.replace("ref-a", f'"{bad}"'))
    _name, line, col, message = only_problem(tmp_path)
    assert (line, col) == (5, 9)
    assert message.startswith(f"id '{bad}' is not valid")


def test_duplicate_id_within_a_file_names_the_first(tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", HEAD + REFERENCE + REFERENCE)
    first = f"{tmp_path / 'f.yaml'}:5:5"
    assert only_problem(tmp_path) == (
        "f.yaml",
        10,
        5,
        f"duplicate id 'ref-a' (first defined at {first})",
    )


def test_duplicate_id_across_files_names_the_first(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", HEAD + REFERENCE)
    write(
        tmp_path,
        "b.yaml",
        HEAD + "  - id: other\n    kind: faq\n    question: q\n    answer: a\n" + REFERENCE,
    )
    first = f"{tmp_path / 'a.yaml'}:5:5"
    assert only_problem(tmp_path) == (
        "b.yaml",
        9,
        5,
        f"duplicate id 'ref-a' (first defined at {first})",
    )


def test_dangling_citation(tmp_path: Path) -> None:
    text = HEAD + (
        "  - id: a\n    kind: article\n    title: t\n    paragraphs:\n"
        "      - text: x\n        cites: [ref-nope]\n"
    )
    write(tmp_path, "f.yaml", text)
    assert only_problem(tmp_path) == (
        "f.yaml",
        10,
        17,
        "paragraphs: cites: no entry has id 'ref-nope'",
    )


def test_citation_of_the_wrong_kind(tmp_path: Path) -> None:
    text = (
        HEAD
        + REFERENCE
        + (
            "  - id: b\n    kind: recommendation\n    group: building-blocks\n    number: 1\n"
            "    text: x\n    cites: [b]\n"
        )
    )
    write(tmp_path, "f.yaml", text)
    assert only_problem(tmp_path) == (
        "f.yaml",
        15,
        13,
        "cites: 'b' is a recommendation, expected a reference",
    )


def test_session_pointing_at_an_entry_of_the_wrong_kind(tmp_path: Path) -> None:
    write(
        tmp_path,
        "f.yaml",
        HEAD
        + REFERENCE
        + "  - id: q\n    kind: quote\n    speaker: S\n    text: x\n    session: ref-a\n",
    )
    assert only_problem(tmp_path) == (
        "f.yaml",
        14,
        14,
        "session: 'ref-a' is a reference, expected a session",
    )


def test_reference_to_an_id_in_another_file_resolves(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", HEAD + REFERENCE)
    write(
        tmp_path,
        "b.yaml",
        HEAD + "  - id: f\n    kind: figure\n    value: '1'\n    measures: m\n    cites: [ref-a]\n",
    )
    corpus = load_corpus([tmp_path])
    assert corpus.cited_by("ref-a") == ("f",)


# --------------------------------------------------------------------------
# Aliases.


def test_alias_to_a_list_is_refused_at_the_alias(tmp_path: Path) -> None:
    text = HEAD + (
        "  - id: a\n    kind: article\n    title: t\n    paragraphs: &p\n      - text: x\n"
        "  - id: b\n    kind: article\n    title: t\n    paragraphs: *p\n"
    )
    write(tmp_path, "f.yaml", text)
    _name, line, _col, message = only_problem(tmp_path)
    assert "alias" in message
    assert line == 13, "should point at the alias '*p' on line 13, not the anchor"


def test_alias_to_a_mapping_is_refused(tmp_path: Path) -> None:
    text = HEAD + "  - &e\n    id: a\n    kind: faq\n    question: q\n    answer: a\n  - *e\n"
    write(tmp_path, "f.yaml", text)
    problems = check([tmp_path])
    assert any("alias" in p.message for p in problems), [str(p) for p in problems]
    with pytest.raises(BriefingsError):
        load_corpus([tmp_path])


def test_alias_to_a_string_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "f.yaml",
        HEAD + "  - id: a\n    kind: quote\n    speaker: &s Someone\n    text: *s\n",
    )
    problems = found(tmp_path)
    assert problems, "an alias (*s) was accepted; aliases must be refused"
    assert any("alias" in m for *_rest, m in problems), problems


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["      - text: &a0 lol\n"]
    lines += [f"      - text: &a{i + 1} [" + ", ".join([f"*a{i}"] * 10) + "]\n" for i in range(40)]
    text = (
        HEAD + "  - id: bomb\n    kind: article\n    title: t\n    paragraphs:\n" + "".join(lines)
    )
    write(tmp_path, "f.yaml", text)
    start = time.perf_counter()
    problems = check([tmp_path])
    with pytest.raises(BriefingsError):
        load_corpus([tmp_path])
    assert time.perf_counter() - start < 2
    assert problems
    assert_one_line(problems)


# --------------------------------------------------------------------------
# Folders.


def test_folder_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert check([missing]) == [Problem(str(missing), 1, 1, "no such folder")]


def test_folder_with_no_yaml_files(tmp_path: Path) -> None:
    write(tmp_path, "readme.txt", "hello")
    problems = check([tmp_path])
    assert len(problems) == 1
    assert problems[0].path == str(tmp_path)
    assert "no briefing files" in problems[0].message


def test_a_file_given_as_a_folder(tmp_path: Path) -> None:
    path = write(tmp_path, "f.yaml", HEAD + REFERENCE)
    assert check([path]) == [Problem(str(path), 1, 1, "not a folder")]


def test_directory_named_like_a_yaml_file(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").mkdir()
    write(tmp_path, "real.yaml", HEAD + REFERENCE)
    # Not a crash: either skipped or reported as a problem naming it.
    problems = check([tmp_path])
    assert all("x.yaml" in p.path for p in problems), [str(p) for p in problems]
    only_dir = tmp_path / "only"
    (only_dir / "x.yaml").mkdir(parents=True)
    problems = check([only_dir])
    assert len(problems) == 1
    assert_one_line(problems)


# --------------------------------------------------------------------------
# check and load_corpus together.


def test_check_reports_every_problem_in_every_file_sorted() -> None:
    problems = check([INVALID])
    a, b = str(INVALID / "a.yaml"), str(INVALID / "b.yaml")
    assert [(p.path, p.line, p.column) for p in problems] == [
        (a, 10, 5),
        (a, 13, 5),
        (a, 19, 17),
        (b, 5, 5),
        (b, 11, 11),
    ]
    messages = [p.message for p in problems]
    assert messages[0] == "entry 'quote-a' (kind 'quote') is missing required key 'speaker'"
    assert messages[1].startswith("unknown key 'colour' for kind 'quote'")
    assert messages[2] == "paragraphs: cites: no entry has id 'missing-ref'"
    assert messages[3] == f"duplicate id 'shared-id' (first defined at {a}:5:5)"
    assert messages[4].startswith("unknown kind 'poem'")
    assert problems == sorted(problems, key=lambda p: (p.path, p.line, p.column))
    assert_one_line(problems)


def test_load_corpus_raises_with_the_same_problems() -> None:
    with pytest.raises(BriefingsError) as info:
        load_corpus([INVALID])
    assert list(info.value.problems) == check([INVALID])
    assert str(info.value).splitlines() == [str(p) for p in check([INVALID])]


def test_problems_sorted_across_folders(tmp_path: Path) -> None:
    write(tmp_path / "b", "f.yaml", HEAD + "  - id: x\n    kind: poem\n")
    write(tmp_path / "a", "f.yaml", "- 1\n")
    problems = check([tmp_path / "b", tmp_path / "a"])
    assert [Path(p.path).parent.name for p in problems] == ["a", "b"]


def test_bundled_briefings_are_valid() -> None:
    from lbn_tui.corpus.sources import bundled_briefings_dir

    assert check([bundled_briefings_dir()]) == []


_HOSTILE_PIECES = st.sampled_from(
    [
        "source:",
        "entries:",
        "  - id: a",
        "    kind: quote",
        "    text: x",
        "    speaker: S",
        "    session: a",
        "  title: T",
        "  url: u",
        "&a",
        "*a",
        "[",
        "]",
        "{",
        "}",
        '"',
        "'",
        "\t",
        "- ",
        ": ",
        "? ",
        "---",
        "!!python/object:os.system",
        "!!binary",
        "%YAML 1.1",
        "\x1b[31m",
        "\x00",
        "\ufeff",
        "9" * 30,
        "\n",
        "\n    ",
    ]
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    pieces=st.lists(_HOSTILE_PIECES, max_size=40),
    noise=st.binary(max_size=20),
)
def test_loading_never_raises_anything_but_briefings_error(
    tmp_path: Path, pieces: list[str], noise: bytes
) -> None:
    write(tmp_path, "f.yaml", "".join(pieces).encode("utf-8", "surrogatepass") + noise)
    try:
        load_corpus([tmp_path])
    except BriefingsError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.line >= 1 and p.column >= 1
    problems = check([tmp_path])
    for p in problems:
        assert p.path == str(tmp_path / "f.yaml")


def test_invalid_single_id_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    # Found by the mutation fuzzer: `found_in: v ision` (an invalid id in a
    # single-id field) crashed the loader with an IndexError.
    write(
        tmp_path,
        "f.yaml",
        HEAD + "  - id: fig\n    kind: figure\n    value: '1'\n    measures: x\n"
        "    found_in: v ision\n",
    )
    _name, line, col, message = only_problem(tmp_path)
    assert (line, col) == (9, 15)
    assert "'v ision' is not a valid id" in message


def test_each_plain_scalar_is_typed_by_its_own_text(tmp_path: Path) -> None:
    """Plain scalars' tags are remembered by their text within a file
    (100 000 "text" keys resolved once): a value written the same way again,
    or the same text quoted, is typed as it is written each time."""
    values = ["1", "1", '"1"', "1.5", "1.5", "null", "'null'", "1"]
    sessions = "".join(
        f"  - {{id: s{i}, kind: session, title: t, series: inquiry, number: {value}}}\n"
        for i, value in enumerate(values)
    )
    write(tmp_path, "f.yaml", HEAD + sessions)
    assert [(line, message) for _, line, _, message in found(tmp_path)] == [
        (7, "number must be a whole number, not a string"),
        (8, "number must be a whole number, not a float"),
        (9, "number must be a whole number, not a float"),
        (10, "number must be a whole number, not empty"),
        (11, "number must be a whole number, not a string"),
    ]
