"""Entries as JSON values and back, for the corpus caches (`cache`, `store`).

Nothing read back is trusted: every value is type-checked against the
entry class's fields (`Bad` when it does not fit) and every string is
cleaned as the loader cleans it, so a cache file edited by hand cannot put
escape sequences on the terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lbn_tui.corpus import model


def encode_entry(entry: model.Entry) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": entry.kind}
    for name in entry.__struct_fields__:
        value = getattr(entry, name)
        if isinstance(value, model.Source):
            value = [
                value.title,
                value.url,
                value.publisher,
                value.note,
                [_encode_fact(f) for f in value.facts],
            ]
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


def clean(text: str) -> str:
    """What the loader does to every string: a cache file edited by hand
    still cannot put escape sequences on the terminal."""
    if text.isprintable():
        return text
    from lbn_tui.sanitize import clean_text

    return clean_text(text)
