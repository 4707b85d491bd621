"""Works as CSL-JSON, RIS and BibTeX: the formats reference managers import.

Written by hand: each is simple data, and a library (citeproc-py, pybtex)
would put lxml or a parser on the start-up path for a few lines of output.
The tests read what is written here with real parsers (bibtexparser, rispy,
citeproc-py) and check CSL-JSON against the CSL data schema's rules.

Every text comes from briefing files, which may be hostile: nothing here is
interpreted, and each format's special characters are escaped so that a
title cannot end a record or open a new one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from lbn_tui.cite.works import Work, is_person
from lbn_tui.corpus import model

#: The record formats, and the styles ``lbn-tui cite`` prints.
RECORD_FORMATS = ("csl-json", "ris", "bibtex")
STYLES = ("harvard", *RECORD_FORMATS)

_RIS_TYPES = {
    "report": "RPRT",
    "article-journal": "JOUR",
    "article-newspaper": "NEWS",
    "article": "GEN",
    "book": "BOOK",
    "chapter": "CHAP",
    "webpage": "ELEC",
    "post-weblog": "BLOG",
    "dataset": "DATA",
    "speech": "GEN",
    "event": "GEN",
    "document": "GEN",
}
_BIBTEX_TYPES = {
    "report": "techreport",
    "article-journal": "article",
    "article-newspaper": "article",
    "book": "book",
    "chapter": "incollection",
}


def _date_parts(work: Work) -> list[int]:
    match = model.DATE_PATTERN.fullmatch(work.date)
    if match is None:
        return []
    return [int(part) for part in match.groups() if part is not None]


def _csl_name(name: str) -> dict[str, str]:
    if is_person(name):
        family, _, given = name.partition(", ")
        return {"family": family, "given": given}
    return {"literal": name}


def csl_item(work: Work) -> dict[str, Any]:
    """One CSL-JSON item (CSL data schema 1.0)."""
    item: dict[str, Any] = {"id": work.key, "type": work.type}
    if work.authors:
        item["author"] = [_csl_name(name) for name in work.authors]
    if work.title:
        item["title"] = work.title
    if work.container:
        item["container-title"] = work.container
    if work.publisher:
        item["publisher"] = work.publisher
    if work.event:
        item["event-title"] = work.event
    parts = _date_parts(work)
    if parts:
        item["issued"] = {"date-parts": [parts]}
    if work.url:
        item["URL"] = work.url
    if work.note:
        item["note"] = work.note
    return item


def csl_json(works: Iterable[Work]) -> str:
    return json.dumps([csl_item(w) for w in unique(works)], ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------
# RIS: one "TAG  - value" line per field, "ER  - " ends a record.


def _ris_value(text: str) -> str:
    # A value is one line: a line break would start a new tag (or end the
    # record with "ER  - ").
    return " ".join(text.split())


def ris_record(work: Work) -> str:
    lines = [f"TY  - {_RIS_TYPES.get(work.type, 'GEN')}", f"ID  - {work.key}"]
    lines += [f"AU  - {_ris_value(name)}" for name in work.authors]
    if work.title:
        lines.append(f"TI  - {_ris_value(work.title)}")
    if work.container:
        lines.append(f"T2  - {_ris_value(work.container)}")
    if work.event:
        lines.append(f"T3  - {_ris_value(work.event)}")
    if work.publisher:
        lines.append(f"PB  - {_ris_value(work.publisher)}")
    parts = _date_parts(work)
    if parts:
        lines.append(f"PY  - {parts[0]:04d}")
        month = f"{parts[1]:02d}" if len(parts) > 1 else ""
        day = f"{parts[2]:02d}" if len(parts) > 2 else ""
        lines.append(f"DA  - {parts[0]:04d}/{month}/{day}/")
    if work.url:
        lines.append(f"UR  - {_ris_value(work.url)}")
    if work.note:
        lines.append(f"N1  - {_ris_value(work.note)}")
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"


def ris(works: Iterable[Work]) -> str:
    return "\n".join(ris_record(w) for w in unique(works))


# --------------------------------------------------------------------------
# BibTeX (biblatex-friendly: url and date fields).

_TEX_SPECIAL = re.compile(r"[\\{}&%$#_^~]")
_TEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}


def _tex(text: str) -> str:
    return _TEX_SPECIAL.sub(lambda m: _TEX_ESCAPES[m.group()], " ".join(text.split()))


def _tex_url(url: str) -> str:
    # URLs are written as they are (the url field is verbatim), except what
    # would unbalance the braces or break the line.
    return "".join(url.split()).replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def _bibtex_name(name: str) -> str:
    if is_person(name):
        return _tex(name)
    # An organisation: braces keep "Local Trust and OCSI" one name.
    return "{" + _tex(name) + "}"


def bibtex_record(work: Work) -> str:
    entry_type = _BIBTEX_TYPES.get(work.type, "misc")
    fields: list[tuple[str, str]] = []
    if work.authors:
        fields.append(("author", " and ".join(_bibtex_name(n) for n in work.authors)))
    if work.title:
        fields.append(("title", _tex(work.title)))
    if work.container:
        key = "journal" if entry_type == "article" else "booktitle"
        if entry_type not in ("article", "incollection"):
            key = "howpublished"
        fields.append((key, _tex(work.container)))
    if work.publisher:
        key = "institution" if entry_type == "techreport" else "publisher"
        fields.append((key, _tex(work.publisher)))
    if work.event:
        fields.append(("eventtitle", _tex(work.event)))
    parts = _date_parts(work)
    if parts:
        fields.append(("year", f"{parts[0]:04d}"))
        fields.append(("date", work.date))
    elif work.year:
        fields.append(("year", _tex(work.year)))
    if work.url:
        fields.append(("url", _tex_url(work.url)))
    if work.note:
        fields.append(("note", _tex(work.note)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry_type}{{{work.key},\n{body}\n}}\n"


def bibtex(works: Iterable[Work]) -> str:
    return "\n".join(bibtex_record(w) for w in unique(works))


def unique(works: Iterable[Work]) -> list[Work]:
    """Each key once (a figure cites the work of the passage that states
    it: the same key, the same work)."""
    seen: dict[str, Work] = {}
    for work in works:
        seen.setdefault(work.key, work)
    return list(seen.values())


def write(works: Iterable[Work], style: str) -> str:
    """The works in one of the `RECORD_FORMATS`, each key once."""
    if style == "csl-json":
        return csl_json(works)
    if style == "ris":
        return ris(works)
    if style == "bibtex":
        return bibtex(works)
    raise ValueError(style)
