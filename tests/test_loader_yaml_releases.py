"""Deep nesting is reported at our own limit, whatever the YAML library does.

PyYAML up to 6.0.3 parses nesting of any depth and the loader's own event
check stops at 64 levels; PyYAML 6.0.4 refuses 1,000 levels in its scanner,
which reads flow brackets ahead of the parser, so the error arrives before
the 65th level's event.  These tests run against the installed release and
against a library that refuses even earlier (the next release may lower its
limit), and expect the same located problem from both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from lbn_tui.corpus.loader import MAX_DEPTH, check

TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} levels)"
HEAD = "source:\n  title: T\n  url: https://example.invalid/t/\nentries:\n"


def problems_of(tmp_path: Path, text: str) -> list[tuple[int, int, str]]:
    (tmp_path / "f.yaml").write_text(text, encoding="utf-8")
    return [(p.line, p.column, p.message) for p in check([tmp_path])]


def refusing_early(levels: int) -> object:
    """A `yaml.parse` that gives up at `levels` of flow nesting, before any event."""
    real = yaml.parse

    def parse(text: str, Loader: type) -> Iterator[yaml.Event]:
        depth = 0
        for index, char in enumerate(text):
            depth += (char == "[") - (char == "]")
            if depth > levels:
                mark = yaml.Mark("<unicode string>", index, 0, index, None, None)
                raise yaml.scanner.ScannerError(
                    "while increasing flow level", mark, "exceeded maximum nesting depth", mark
                )
        yield from real(text, Loader=Loader)

    return parse


def refusing_parser(levels: int) -> type:
    """The loader's parser class, refusing as `refusing_early` does: the
    loader takes its events from the parser itself (``get_event``)."""
    from lbn_tui.corpus import loader

    real: type = loader._SafeLoader

    class Refusing(real):  # type: ignore[misc, valid-type]
        def __init__(self, text: str) -> None:
            super().__init__(text)
            self.refusal = refusing_early(levels)(text, Loader=real)

        def get_event(self) -> yaml.Event | None:
            if self.refusal is not None:
                refusal, self.refusal = self.refusal, None
                next(iter(refusal), None)  # raises as that library would
            return super().get_event()  # type: ignore[no-any-return]

    return Refusing


CASES = {
    "brackets-at-the-start": ("[" * 100_000, (1, 65)),
    "brackets-in-a-value": ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", (1, 67)),
    "brackets-under-a-list": (HEAD + "  - " + "[" * 5_000 + "\n", (5, 67)),
    "quoted-brackets-do-not-count": ("'[[[[': " + "[" * 5_000 + "\n", (1, 72)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_deep_flow_nesting_is_located_at_our_limit(tmp_path: Path, name: str) -> None:
    text, (line, column) = CASES[name]
    assert problems_of(tmp_path, text) == [(line, column, TOO_DEEP)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_library_that_refuses_earlier_gives_the_same_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    from lbn_tui.corpus import loader

    monkeypatch.setattr(yaml, "parse", refusing_early(200))
    monkeypatch.setattr(loader, "_SafeLoader", refusing_parser(200))
    refused: list[int] = []  # where the library said it gave up
    too_deep = loader._FileReader._too_deep
    monkeypatch.setattr(
        loader._FileReader,
        "_too_deep",
        lambda reader, text, mark: refused.append(mark.index) or too_deep(reader, text, mark),
    )
    text, (line, column) = CASES[name]
    assert problems_of(tmp_path, text) == [(line, column, TOO_DEEP)]
    # The refusal at 200 levels (not the installed library's own, later one).
    depth, at_200 = 0, -1
    for index, char in enumerate(text):
        depth += (char == "[") - (char == "]")
        if depth > 200:
            at_200 = index
            break
    assert refused == [at_200]


def test_nesting_within_the_limit_is_not_refused(tmp_path: Path) -> None:
    text = HEAD + "  - id: a\n    kind: faq\n    question: q\n    answer: a\n    x: " + "[" * 60
    text += "]" * 60 + "\n"
    messages = [message for _, _, message in problems_of(tmp_path, text)]
    assert TOO_DEEP not in messages
