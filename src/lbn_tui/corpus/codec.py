"""Entries as JSON values and back, for the corpus caches (`cache`, `store`).

The JSON cache (`cache`) writes an entry as an object of its fields
(`encode_entry`); the store (`store`), which holds packs of 100 000
entries, as a row (`Rows`, `decode_row`): ``[kind, value, ...]`` in the
order of the entry class's fields, its page (`model.Source`) the index of a
page in a table of pages, its location ``[index of a path in a table of
paths, line, column]`` (the pages and paths of a pack are few; written out
in every entry they were two thirds of its bytes and of the time to write
them).

Nothing read back is trusted: every value is type-checked against the
entry class's fields (`Bad` when it does not fit) and every string is
cleaned as the loader cleans it, so a cache file edited by hand cannot put
escape sequences on the terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from lbn_tui.corpus import model


def encode_entry(entry: model.Entry) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": entry.kind}
    for name in entry.__struct_fields__:
        value = getattr(entry, name)
        if isinstance(value, model.Source):
            value = encode_source(value)
        elif isinstance(value, model.Location):
            value = [value.path, value.line, value.column]
        elif isinstance(value, tuple):
            value = [
                [p.text, p.heading, list(p.cites), list(p.embed)]
                if isinstance(p, model.Paragraph)
                else _encode_fact(p)
                if isinstance(p, model.Fact)
                else p
                for p in value
            ]
        data[name] = value
    return data


def _encode_fact(fact: model.Fact) -> list[Any]:
    value = list(fact.value) if isinstance(fact.value, tuple) else fact.value
    return [fact.name, value, fact.found_at]


class Rows:
    """Entries as rows (see the module's text), and the tables they index:
    `sources` (each page as `encode_source` writes it) and `paths`."""

    __slots__ = ("_path_index", "_source_index", "pages", "paths", "sources")

    def __init__(self) -> None:
        self.sources: list[list[Any]] = []
        self.pages: list[model.Source] = []
        """The pages of `sources`, as they were given."""
        self.paths: list[str] = []
        # The entries of a file share its page (one object): one row of the
        # table per object (kept here, so that its id is not reused).
        self._source_index: dict[int, tuple[model.Source, int]] = {}
        self._path_index: dict[str, int] = {}

    def _source(self, source: model.Source) -> int:
        known = self._source_index.get(id(source))
        if known is not None and known[0] is source:
            return known[1]
        index = len(self.sources)
        self.sources.append(encode_source(source))
        self.pages.append(source)
        self._source_index[id(source)] = (source, index)
        return index

    def row(self, entry: model.Entry) -> list[Any]:
        """The entry as a row: ``[kind, value, ...]``, JSON values (a tuple
        is written as the list of its items)."""
        values, special = _row_getter(type(entry))
        row: list[Any] = [entry.kind, *values(entry)]
        for index, how in special:
            value = row[index]
            if how == _SOURCE:
                row[index] = self._source(value)
            elif how == _LOCATION:
                path = self._path_index.get(value.path)
                if path is None:
                    path = self._path_index[value.path] = len(self.paths)
                    self.paths.append(value.path)
                row[index] = [path, value.line, value.column]
            elif how == _FACTS:
                if value:
                    row[index] = [_encode_fact(f) for f in value]
            else:
                row[index] = [[p.text, p.heading, p.cites, p.embed] for p in value]
        return row


_PLAIN, _SOURCE, _LOCATION, _TEXTS, _FACTS, _PARAGRAPHS = range(6)
_ROW_KINDS = {
    "str": _PLAIN,
    "int": _PLAIN,
    "bool": _PLAIN,
    "tuple[str, ...]": _TEXTS,
    "Source": _SOURCE,
    "Location": _LOCATION,
    "tuple[Fact, ...]": _FACTS,
    "tuple[Paragraph, ...]": _PARAGRAPHS,
}
_ROW_PLANS: dict[type[model.Entry], tuple[tuple[str, int], ...]] = {}


_ROW_GETTERS: dict[
    type[model.Entry], tuple[Callable[[Any], tuple[Any, ...]], tuple[tuple[int, int], ...]]
] = {}


def _row_getter(
    cls: type[model.Entry],
) -> tuple[Callable[[Any], tuple[Any, ...]], tuple[tuple[int, int], ...]]:
    """What reads an entry's fields in order (one call, in C), and (place in
    the row, how it is written) of each that is not written as it is: a
    page, a location, facts, paragraphs (strings, numbers, flags and tuples
    of strings are JSON as they are)."""
    found = _ROW_GETTERS.get(cls)
    if found is None:
        plan = _row_plan(cls)
        special = tuple(
            (index, how) for index, (_, how) in enumerate(plan, 1) if how not in (_PLAIN, _TEXTS)
        )
        found = _ROW_GETTERS[cls] = (attrgetter(*(name for name, _ in plan)), special)
    return found


def _row_plan(cls: type[model.Entry]) -> tuple[tuple[str, int], ...]:
    """(field name, how it is written) of each field of an entry class, in order."""
    plan = _ROW_PLANS.get(cls)
    if plan is None:
        plan = tuple((name, _ROW_KINDS[written]) for name, written in model.field_annotations(cls))
        _ROW_PLANS[cls] = plan
    return plan


def encode_source(source: model.Source) -> list[Any]:
    return [
        source.title,
        source.url,
        source.publisher,
        source.note,
        [_encode_fact(f) for f in source.facts],
    ]


class Bad(Exception):
    """The cache file does not hold what it should."""


def _text(value: object) -> str:
    if type(value) is not str:
        raise Bad
    return clean(value)


def _number(value: object) -> int:
    if type(value) is not int:
        raise Bad
    return value


def _texts(value: object) -> tuple[str, ...]:
    if type(value) is not list:
        raise Bad
    return tuple(_text(v) for v in value)


def _flag(value: object) -> bool:
    if type(value) is not bool:
        raise Bad
    return value


def _facts(value: object) -> tuple[model.Fact, ...]:
    if type(value) is not list:
        raise Bad
    out = []
    for item in value:
        if type(item) is not list or len(item) != 3:
            raise Bad
        name, fact_value, found_at = item
        if type(name) is not str or name not in model.FACT_LABELS:
            raise Bad
        decoded: str | tuple[str, ...] = (
            _texts(fact_value) if type(fact_value) is list else _text(fact_value)
        )
        out.append(model.Fact(name, decoded, _text(found_at)))
    return tuple(out)


def _source(value: object) -> model.Source:
    if type(value) is not list or len(value) != 5:
        raise Bad
    title, url, publisher, note = (_text(v) for v in value[:4])
    return model.Source(title, url, publisher, note, _facts(value[4]))


def _location(value: object) -> model.Location:
    if type(value) is not list or len(value) != 3:
        raise Bad
    if type(value[0]) is not str:
        raise Bad
    return model.Location(clean(value[0]), _number(value[1]), _number(value[2]))


def _paragraphs(value: object) -> tuple[model.Paragraph, ...]:
    if type(value) is not list:
        raise Bad
    out = []
    for item in value:
        if type(item) is not list or len(item) != 4:
            raise Bad
        out.append(
            model.Paragraph(_text(item[0]), _text(item[1]), _texts(item[2]), _texts(item[3]))
        )
    return tuple(out)


_DECODERS: dict[str, Callable[[object], object]] = {
    "str": _text,
    "int": _number,
    "tuple[str, ...]": _texts,
    "Source": _source,
    "Location": _location,
    "tuple[Paragraph, ...]": _paragraphs,
    "tuple[Fact, ...]": _facts,
    "bool": _flag,
}
_SCHEMA: dict[str, tuple[tuple[str, Callable[[object], object]], ...]] = {}


def _schema(kind: str) -> tuple[tuple[str, Callable[[object], object]], ...]:
    schema = _SCHEMA.get(kind)
    if schema is None:
        cls = model.ENTRY_CLASSES[kind]
        schema = tuple((name, _DECODERS[written]) for name, written in model.field_annotations(cls))
        _SCHEMA[kind] = schema
    return schema


def decode_entry(data: object) -> model.Entry:
    if type(data) is not dict:
        raise Bad
    kind = data.get("kind")
    if type(kind) is not str or kind not in model.ENTRY_CLASSES:
        raise Bad
    schema = _schema(kind)
    if len(data) != len(schema) + 1:
        raise Bad
    values: dict[str, Any] = {name: decode(data[name]) for name, decode in schema}
    return model.ENTRY_CLASSES[kind](**values)


def decode_sources(value: object) -> list[model.Source]:
    """The table of pages of a store file (`Rows.sources`)."""
    if type(value) is not list:
        raise Bad
    return [_source(item) for item in value]


def decode_paths(value: object) -> list[str]:
    """The table of paths of a store file (`Rows.paths`)."""
    if type(value) is not list:
        raise Bad
    return [_text(item) for item in value]


def _index(value: object, size: int) -> int:
    if type(value) is not int or not 0 <= value < size:
        raise Bad
    return value


def decode_row(data: object, sources: Sequence[model.Source], paths: Sequence[str]) -> model.Entry:
    """The entry of a row (`Rows.row`), its page and path from the tables;
    every value checked and cleaned as `decode_entry` does."""
    if type(data) is not list or not data:
        raise Bad
    kind = data[0]
    if type(kind) is not str or kind not in model.ENTRY_CLASSES:
        raise Bad
    cls = model.ENTRY_CLASSES[kind]
    plan = _row_plan(cls)
    if len(data) != len(plan) + 1:
        raise Bad
    values: dict[str, Any] = {}
    for (name, how), value, (_, decode) in zip(plan, data[1:], _schema(kind), strict=True):
        if how == _SOURCE:
            values[name] = sources[_index(value, len(sources))]
        elif how == _LOCATION:
            if type(value) is not list or len(value) != 3:
                raise Bad
            path = paths[_index(value[0], len(paths))]
            values[name] = model.Location(path, _number(value[1]), _number(value[2]))
        else:
            values[name] = decode(value)
    return cls(**values)


def clean(text: str) -> str:
    """What the loader does to every string: a cache file edited by hand
    still cannot put escape sequences on the terminal."""
    if text.isprintable():
        return text
    from lbn_tui.sanitize import clean_text

    return clean_text(text)
