"""Briefing files (YAML) → the content model, with validation.

Every problem is reported as ``path:line:col: message`` pointing at the
offending YAML node; all problems in all files are collected, so that one
run of ``lbn-tui check`` shows everything that needs fixing.

Each file is parsed once, by the safe (C, where available) parser: one pass
over its events checks the limits below and builds a light node tree (a
scalar is its event, its tag resolved as ``yaml.compose`` would; a
collection its start mark and items), which is walked along the schema, so
every value keeps its position and nothing in a file can construct Python
objects.  Aliases are refused before the walk (it never expands them, so an
alias bomb costs nothing).  Every string is passed through
`sanitize.clean_text`.

Limits, so that a hostile file costs bounded time and memory (SECURITY.md):
a file is read only if it is a regular file inside the briefing folder (a
symbolic link may point elsewhere in the folder, not outside it), of at most
`MAX_FILE_BYTES`; all files together at most `MAX_TOTAL_BYTES`.  Before the
node tree is built, one pass over the parser's events refuses nesting deeper
than `MAX_DEPTH` (libyaml's composer recurses in C and would crash the
process on ~50 000 nested brackets) and more than `MAX_NODES` values (each
node costs a few hundred bytes of memory).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from lbn_tui import collector, files
from lbn_tui.corpus import model
from lbn_tui.corpus.model import ID_PATTERN
from lbn_tui.corpus.problems import MAX_MESSAGE_CHARS, BriefingsError, Problem
from lbn_tui.corpus.sources import briefing_files
from lbn_tui.sanitize import clean_text

__all__ = [
    "MAX_MESSAGE_CHARS",
    "BriefingsError",
    "Problem",
    "check",
    "check_and_load",
    "load_corpus",
]

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 250_000
MAX_ALIAS_PROBLEMS = 10
#: Whole numbers (a session's or a recommendation's number): decimal digits
#: only, no leading zero (YAML 1.1 reads 012 as octal), at most 9 digits.
#: Hex, octal, binary, 1_000 and sexagesimal forms are refused: an unbounded
#: 0x... converts without Python's digit limit and then cannot be printed.
MAX_INT_DIGITS = 9
INT_PATTERN = re.compile(rf"[-+]?(?:0|[1-9][0-9]{{0,{MAX_INT_DIGITS - 1}}})")

#: Plain scalars up to this long have their resolved tags remembered (per file).
_RESOLVED_CHARS = 24
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_NULL = "tag:yaml.org,2002:null"
_TEXTUAL_SCALARS = {
    _STR,
    _INT,
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:timestamp",
}


# --------------------------------------------------------------------------
# The schema: per kind, the keys it takes.


# The keys each kind takes are its class's FIELDS (one home per kind: model.py).
_Field = model.FieldSpec
_ANY = ("",)
_SCHEMA: dict[str, tuple[_Field, ...]] = {
    kind: cls.FIELDS for kind, cls in model.ENTRY_CLASSES.items()
}
_FIELDS = {kind: {f.key: f for f in specs} for kind, specs in _SCHEMA.items()}
# Single-id fields: written as one id, not a list.
_SINGLE_ID = {(kind, f.key) for kind, specs in _SCHEMA.items() for f in specs if f.single}
_REQUIRED = {kind: tuple(f for f in specs if f.required) for kind, specs in _SCHEMA.items()}
_EDITORIAL_FIELDS = {kind: cls.editorial_fields() for kind, cls in model.ENTRY_CLASSES.items()}
_PARAGRAPH_KEYS = ("text", "heading", "cites", "embed")
_SOURCE_KEYS = {"title": True, "url": True, "publisher": False, "note": False, "editorial": False}
#: The facts a file's ``source`` may state about its page.
_SOURCE_FACTS = ("container", "date")
#: An address: http(s), a host, no spaces.
_URL = re.compile(r"https?://[^\s/?#]+[^\s]*")
_FACT_KEYS = ("value", "found_at")


# --------------------------------------------------------------------------
# Walking one file.


@dataclass(slots=True)
class _Ref:
    path: str
    mark: Any
    """Where the id is written: its parser mark (0-based line and column)."""
    target: str
    kinds: tuple[str, ...]
    key: str


# The node tree `_prescan` builds: a scalar is the parser's event itself (its
# ``tag`` resolved as `yaml.compose` resolves it); a collection holds its
# start mark and its items (a mapping's as (key, value) pairs).  Without
# aliases (refused before the tree is walked) each node is in the tree once.
_Scalar = yaml.ScalarEvent


class _Collection:
    __slots__ = ("start_mark", "value")

    def __init__(self, start_mark: Any) -> None:
        self.start_mark = start_mark
        self.value: list[Any] = []


class _Mapping(_Collection):
    __slots__ = ()
    value: list[tuple[_Node, _Node]]


class _Sequence(_Collection):
    __slots__ = ()
    value: list[_Node]


_Node = _Scalar | _Mapping | _Sequence


class _FileReader:
    def __init__(self, path: Path, shown: str, root: Path | None = None) -> None:
        self.path = path
        self.shown = shown
        self.root = root
        self.size = 0
        self.problems: list[Problem] = []
        self.refs: list[_Ref] = []
        self.entries: list[model.Entry] = []
        self.declared: list[tuple[str, model.Location]] = []
        # Set by `_prescan`, which builds the node tree from the same events.
        self._root: _Node | None = None
        self._compose_error: yaml.YAMLError | None = None

    # -- reporting ---------------------------------------------------------

    def at(self, node: _Node) -> model.Location:
        mark: Any = node.start_mark
        return model.Location(self.shown, mark.line + 1, mark.column + 1)

    def problem(self, node: _Node | None, message: str) -> None:
        if node is None:
            self.problems.append(Problem(self.shown, 1, 1, message))
        else:
            loc = self.at(node)
            self.problems.append(Problem(loc.path, loc.line, loc.column, message))

    # -- reading -----------------------------------------------------------

    def read(self) -> None:
        # The node tree holds no reference cycles; without the cyclic
        # collector walking it again and again while it grows, a large file
        # loads in less than half the time.
        with collector.off():
            try:
                self._read()
            except MemoryError:
                self.problems.append(
                    Problem(self.shown, 1, 1, "the file is too complex to load (out of memory)")
                )
            except RecursionError:
                self.problems.append(Problem(self.shown, 1, 1, "invalid YAML: nested too deeply"))
            finally:
                # Nothing of the file is kept: neither the tree nor the parser's
                # error, whose traceback holds the frames that hold the text and
                # the tree (a cycle through this reader, which only the cyclic
                # collector would free: it is off while the folders are read).
                self._root = None
                self._compose_error = None

    def _read(self) -> None:
        text = self._read_text()
        if text is None:
            return
        # Raw escape sequences and control bytes are removed before parsing
        # (YAML would refuse most of them); newlines stay, so lines still match.
        text = clean_text(text)
        if not self._prescan(text):
            return
        try:
            # The file is parsed once: `_prescan` composed the tree as it went.
            if self._compose_error is not None:
                raise self._compose_error
            root = self._root
        except yaml.MarkedYAMLError as exc:
            self._yaml_problem(exc)
            return
        except yaml.reader.ReaderError as exc:
            before = text[: exc.position]
            line = before.count("\n") + 1
            column = exc.position - (before.rfind("\n") + 1) + 1
            self.problems.append(
                Problem(
                    self.shown,
                    line,
                    column,
                    f"invalid YAML: {exc.reason} ({_character(exc.character)})",
                )
            )
            return
        except yaml.YAMLError as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "not valid YAML"
            self.problems.append(Problem(self.shown, 1, 1, f"invalid YAML: {first_line}"))
            return
        if root is None:
            self.problem(None, "the file is empty (expected a mapping with 'source' and 'entries')")
            return
        self._read_file_node(root)

    def _yaml_problem(self, exc: yaml.MarkedYAMLError) -> None:
        problem = exc.problem or "not valid YAML"
        context = exc.context or ""
        mark = exc.problem_mark or exc.context_mark
        start = exc.context_mark
        opened = ("while scanning a quoted scalar", "while parsing a flow")
        if start is not None and context.startswith(opened) and start is not mark:
            # An unclosed quote or bracket: point at where it was opened.
            what = context.removeprefix("while scanning ").removeprefix("while parsing ")
            message = f"invalid YAML: {problem} ({what} opened here is never closed)"
            mark = start
        elif context and start is not None and mark is not None and start.line != mark.line:
            message = f"invalid YAML: {problem} ({context} at line {start.line + 1})"
        else:
            message = f"invalid YAML: {problem}" + (f" {context}" if context else "")
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        self.problems.append(Problem(self.shown, line, col, " ".join(message.split())))

    def _prescan(self, text: str) -> bool:
        """The one pass over the parser's events: checks, then the node tree.

        Reports every alias (at the alias itself), nesting deeper than
        `MAX_DEPTH` and more than `MAX_NODES` values, each as soon as its
        event is seen, so that no more than `MAX_NODES` nodes and
        `MAX_DEPTH` levels are ever built; True when the file may be walked.
        Builds the tree as `yaml.compose` would (the same scalar tags, marks
        and errors), without recursion, into `_root`: a scalar is its parser
        event (its tag resolved), a collection a `_Mapping` or `_Sequence`
        (no `yaml.Node`s: they cost more than the parsing).  A syntax error
        is left in `_compose_error` for `_read` to report, unless an alias or
        a limit was reported.  The file is parsed once.
        """
        aliases = 0
        hidden: yaml.Event | None = None
        depth = 0
        nodes = 0
        resolver = yaml.resolver.Resolver()
        resolve = cast("Callable[[type[yaml.Node], str | None, Any], str]", resolver.resolve)
        # Plain scalars whose first character no implicit tag starts with are
        # strings; only the others go through the resolver's patterns.
        implicit = resolver.yaml_implicit_resolvers
        may_resolve: set[str] | None = set(implicit) if None not in implicit else None
        resolved: dict[str, str] = {}
        anchors: dict[str, Any] = {}
        documents = 0
        building = True
        self._root = None
        self._compose_error = None
        # The collection being filled (the top level is a list of one root),
        # whether it is a sequence, a mapping's key waiting for its value;
        # the same of every open collection around it.
        top: list[Any] = []
        current: list[Any] = top
        in_sequence = True
        key: _Node | None = None
        outer: list[tuple[list[Any], bool, _Node | None]] = []
        scalar_event = yaml.ScalarEvent
        mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        node: _Node
        event: Any  # the C parser's marks are typed apart
        # The parser's events as `yaml.parse` yields them, without its
        # generator around each (`get_event` returns None after the last).
        parser = _SafeLoader(text)
        try:
            for event in iter(parser.get_event, None):
                kind = type(event)
                if kind is scalar_event:
                    nodes += 1
                    if nodes > MAX_NODES:
                        self._too_many(event)
                        return False
                    if not building:
                        continue
                    tag = event.tag
                    if tag is None or tag == "!":
                        if may_resolve is not None and (
                            not event.implicit[0] or event.value[:1] not in may_resolve
                        ):
                            event.tag = _STR
                        elif event.implicit[0] and len(event.value) <= _RESOLVED_CHARS:
                            # A plain scalar's tag depends on its text alone:
                            # a key such as "text" is resolved once a file.
                            found = resolved.get(event.value)
                            if found is None:
                                found = resolve(yaml.ScalarNode, event.value, event.implicit)
                                resolved[event.value] = found
                            event.tag = found
                        else:
                            event.tag = resolve(yaml.ScalarNode, event.value, event.implicit)
                    if event.anchor is not None and not self._anchored(
                        anchors, event.anchor, event
                    ):
                        building = False
                        continue
                    node = event
                elif kind is mapping_start or kind is sequence_start:
                    nodes += 1
                    depth += 1
                    if depth > MAX_DEPTH:
                        self._event_problem(
                            event, f"nested too deeply (more than {MAX_DEPTH} levels)"
                        )
                        return False
                    if nodes > MAX_NODES:
                        self._too_many(event)
                        return False
                    if not building:
                        continue
                    node = (_Sequence if kind is sequence_start else _Mapping)(event.start_mark)
                    if event.anchor is not None and not self._anchored(anchors, event.anchor, node):
                        building = False
                        continue
                elif kind is mapping_end or kind is sequence_end:
                    depth -= 1
                    if building:
                        current, in_sequence, key = outer.pop()
                    continue
                elif kind is yaml.AliasEvent:
                    nodes += 1
                    aliases += 1
                    building = False  # the tree is never used
                    alias = event
                    if aliases <= MAX_ALIAS_PROBLEMS:
                        self._event_problem(
                            alias,
                            f"YAML aliases (*{alias.anchor}) are not supported; write it out",
                        )
                    elif hidden is None:
                        hidden = alias
                    if nodes > MAX_NODES:
                        self._too_many(alias)
                        return False
                    continue
                elif kind is yaml.DocumentStartEvent:
                    documents += 1
                    if documents > 1 and building:
                        building = False
                        self._compose_error = yaml.composer.ComposerError(
                            "expected a single document in the stream",
                            top[0].start_mark if top else None,
                            "but found another document",
                            event.start_mark,
                        )
                    continue
                else:
                    continue
                # A scalar or a collection, while building: into the collection
                # being filled; a collection is then the one filled until it ends.
                if in_sequence:
                    current.append(node)
                elif key is None:
                    key = node
                else:
                    current.append((key, node))
                    key = None
                if kind is not scalar_event:
                    outer.append((current, in_sequence, key))
                    collection = cast("_Mapping | _Sequence", node)
                    current, in_sequence, key = collection.value, kind is sequence_start, None
        except yaml.MarkedYAMLError as exc:
            if "nesting depth" not in (exc.problem or ""):
                # Reported by `_read`, as `yaml.compose` would have raised it
                # (unless the composer had already stopped at a second document).
                if building:
                    self._compose_error = exc
            else:
                # PyYAML 6.0.4 and later refuse 1,000 levels in the scanner,
                # which reads flow brackets ahead of the events seen here, so
                # the error comes before our own limit is reached.
                self._too_deep(text, exc.problem_mark)
                return False
        except yaml.YAMLError as exc:
            if building:
                self._compose_error = exc
        finally:
            parser.dispose()
        if building and self._compose_error is None and top:
            self._root = top[0]
        if hidden is not None:
            more = aliases - MAX_ALIAS_PROBLEMS
            self._event_problem(hidden, f"this and {more - 1} more YAML aliases (not shown)")
        return not aliases

    def _too_many(self, event: yaml.Event) -> None:
        self._event_problem(event, f"too many values (more than {MAX_NODES:,}); split the file")

    def _anchored(self, anchors: dict[str, Any], anchor: str, node: _Node) -> bool:
        """Records an anchor; False (the composer's error kept) if it is a duplicate."""
        mark: Any = node.start_mark
        if anchor in anchors:
            self._compose_error = yaml.composer.ComposerError(
                "found duplicate anchor; first occurrence",
                anchors[anchor].start_mark,
                "second occurrence",
                mark,
            )
            return False
        anchors[anchor] = node
        return True

    def _too_deep(self, text: str, library_mark: yaml.Mark | None) -> None:
        """Report nesting deeper than `MAX_DEPTH` where our limit is crossed.

        The text is cut just after the flow bracket that alone goes past the
        limit and the cut text's events are counted again: the library sees
        no more than `MAX_DEPTH` + 1 levels there, and block levels before the
        brackets count as they do in `_prescan`.
        """
        cut = _past_flow_limit(text, MAX_DEPTH)
        event = None if cut is None else _first_too_deep(text[:cut])
        if event is not None:
            self._event_problem(event, f"nested too deeply (more than {MAX_DEPTH} levels)")
            return
        line, col = (library_mark.line + 1, library_mark.column + 1) if library_mark else (1, 1)
        self.problems.append(
            Problem(self.shown, line, col, f"nested too deeply (more than {MAX_DEPTH} levels)")
        )

    def _event_problem(self, event: yaml.Event, message: str) -> None:
        mark = event.start_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        self.problems.append(Problem(self.shown, line, col, message))

    def _read_text(self) -> str | None:
        outside = self._outside_link()
        if outside is not None:
            self.problem(
                None,
                f"is a symbolic link to {outside}, outside the briefing folder; it is not followed",
            )
            return None
        try:
            # Non-blocking, so that opening a FIFO does not wait for a writer.
            data = files.read_bounded(self.path, MAX_FILE_BYTES)
        except files.NotRegularFile as exc:
            if stat.S_ISDIR(exc.mode):
                self.problem(None, "is a folder, not a briefing file")
            else:
                self.problem(None, f"is not a regular file ({_file_type(exc.mode)})")
            return None
        except files.TooLarge as exc:
            self.size = exc.size
            self.problem(None, _too_large(exc.size))
            return None
        except OSError as exc:
            if os.path.isdir(self.path) and not os.path.islink(self.path):
                # A subfolder that cannot be listed (briefing_files names it).
                self.problem(
                    None,
                    f"cannot read folder: {exc.strerror or exc}; "
                    "its briefing files are not checked",
                )
            else:
                self.problem(None, f"cannot read file: {exc.strerror or exc}")
            return None
        self.size = len(data)
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        nul = data.find(b"\x00")
        if nul >= 0:
            # Valid UTF-8, but no YAML text holds a NUL: UTF-16 or UTF-32
            # without a byte-order mark is full of them.
            before = data[:nul]
            self.problems.append(
                Problem(
                    self.shown,
                    before.count(b"\n") + 1,
                    nul - (before.rfind(b"\n") + 1) + 1,
                    "not UTF-8: byte 0x00 (a NUL; is the file UTF-16 or UTF-32?)",
                )
            )
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = data[: exc.start]
            line = before.count(b"\n") + 1
            column = exc.start - (before.rfind(b"\n") + 1) + 1
            self.problems.append(
                Problem(
                    self.shown,
                    line,
                    column,
                    f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
                )
            )
            return None

    def _outside_link(self) -> str | None:
        """Where this file's symbolic link points, if that is outside the folder."""
        if self.root is None or not self.path.is_symlink():
            return None
        target = os.path.realpath(self.path)
        root = os.path.realpath(self.root)
        if target == root or target.startswith(root.rstrip(os.sep) + os.sep):
            return None
        return target

    def _mapping(self, node: _Node, what: str) -> dict[str, tuple[_Node, _Node]] | None:
        """Keys → (key node, value node); reports duplicates and non-string keys."""
        if not isinstance(node, _Mapping):
            self.problem(node, f"{what} must be a mapping, not {_describe(node)}")
            return None
        out: dict[str, tuple[_Node, _Node]] = {}
        for key_node, value_node in node.value:
            # The common case first: a name not seen yet (a scalar's value is a str).
            if type(key_node) is _Scalar and key_node.tag in _TEXTUAL_SCALARS:
                if key_node.value not in out:
                    out[key_node.value] = (key_node, value_node)
                    continue
            elif not isinstance(key_node, _Scalar) or key_node.tag not in _TEXTUAL_SCALARS:
                self.problem(key_node, f"{what} has a key that is not a name")
                continue
            key = str(key_node.value)
            if key in out:
                first = self.at(out[key][0])
                self.problem(key_node, f"duplicate key '{key}' (first at line {first.line})")
                continue
            out[key] = (key_node, value_node)
        return out

    def _string(self, node: _Node, what: str, allow_empty: bool = False) -> str | None:
        if isinstance(node, _Scalar) and node.tag in _TEXTUAL_SCALARS:
            value: str = node.value
            if not value.isprintable():  # what clean_text would return as it is
                value = clean_text(value)
            value = value.strip()
            if not value and not allow_empty:
                self.problem(node, f"{what} must not be empty")
                return None
            return value
        self.problem(node, f"{what} must be a string, not {_describe(node)}")
        return None

    def _int(self, node: _Node, what: str) -> int | None:
        if isinstance(node, _Scalar) and node.tag == _INT:
            written = str(node.value)
            if INT_PATTERN.fullmatch(written):
                return int(written)
            shown = written if len(written) <= 24 else written[:24] + "…"
            self.problem(
                node,
                f"{what} must be a whole number in decimal digits (at most "
                f"{MAX_INT_DIGITS}), not '{shown}'",
            )
            return None
        self.problem(node, f"{what} must be a whole number, not {_describe(node)}")
        return None

    def _ids(
        self, node: _Node, what: str, kinds: tuple[str, ...], single: bool
    ) -> tuple[str, ...] | None:
        items: list[_Node]
        if single:
            items = [node]
        elif isinstance(node, _Sequence):
            items = list(node.value)
        else:
            self.problem(node, f"{what} must be a list of ids, not {_describe(node)}")
            return None
        out: list[str] = []
        valid = True
        for item in items:
            if (
                type(item) is _Scalar
                and item.tag in _TEXTUAL_SCALARS
                and item.value.isprintable()
                and item.value.strip()
            ):
                value: str | None = item.value.strip()  # what _string returns
            else:
                value = self._string(item, f"{what}: an id")
            if value is None:
                valid = False
                continue
            if not ID_PATTERN.fullmatch(value):
                self.problem(item, f"{what}: '{value}' is not a valid id")
                valid = False
                continue
            self.refs.append(_Ref(self.shown, item.start_mark, value, kinds, what))
            out.append(value)
        # Any bad id makes the whole value bad (reported above); a single-id
        # field then has no value at all rather than an empty one.
        return tuple(out) if valid else None

    def _paragraphs(self, node: _Node, what: str) -> tuple[model.Paragraph, ...] | None:
        if isinstance(node, _Scalar):
            text = self._string(node, what)
            return None if text is None else (model.Paragraph(text=text),)
        if not isinstance(node, _Sequence):
            self.problem(
                node, f"{what} must be a string or a list of paragraphs, not {_describe(node)}"
            )
            return None
        out: list[model.Paragraph] = []
        for item in node.value:
            if isinstance(item, _Scalar):
                text = self._string(item, f"{what}: a paragraph")
                if text is not None:
                    out.append(model.Paragraph(text=text))
                continue
            keys = self._mapping(item, f"{what}: a paragraph")
            if keys is None:
                continue
            values: dict[str, Any] = {}
            for key, (key_node, value_node) in keys.items():
                if key not in _PARAGRAPH_KEYS:
                    self.problem(
                        key_node,
                        f"{what}: unknown key '{key}' in a paragraph "
                        f"(expected one of: {', '.join(_PARAGRAPH_KEYS)})",
                    )
                elif key in ("text", "heading"):
                    values[key] = self._string(value_node, f"{what}: {key}")
                elif key == "cites":
                    values[key] = self._ids(value_node, f"{what}: cites", ("reference",), False)
                else:
                    values[key] = self._ids(value_node, f"{what}: embed", _ANY, False)
            if not any(k in keys for k in ("text", "heading", "embed")):
                self.problem(item, f"{what}: a paragraph needs 'text', 'heading' or 'embed'")
                continue
            out.append(
                model.Paragraph(
                    text=values.get("text") or "",
                    heading=values.get("heading") or "",
                    cites=values.get("cites") or (),
                    embed=values.get("embed") or (),
                )
            )
        if not out:
            self.problem(node, f"{what} must hold at least one paragraph")
            return None
        return tuple(out)

    def _read_file_node(self, root: _Node) -> None:
        top = self._mapping(root, "a briefing file")
        if top is None:
            return
        for key, (key_node, _value) in top.items():
            if key not in ("source", "entries"):
                self.problem(
                    key_node, f"unknown key '{key}' (a briefing file has 'source' and 'entries')"
                )
        source = None
        if "source" not in top:
            self.problem(root, "missing key 'source'")
        else:
            source = self._source(top["source"][1])
        if "entries" not in top:
            self.problem(root, "missing key 'entries'")
            return
        entries_node = top["entries"][1]
        if not isinstance(entries_node, _Sequence):
            self.problem(entries_node, f"'entries' must be a list, not {_describe(entries_node)}")
            return
        if not entries_node.value:
            self.problem(entries_node, "'entries' is empty")
        for entry_node in entries_node.value:
            self._entry(entry_node, source)

    def _source(self, node: _Node) -> model.Source | None:
        keys = self._mapping(node, "'source'")
        if keys is None:
            return None
        values: dict[str, Any] = {}
        ok = True
        for key, (key_node, value_node) in keys.items():
            if key not in _SOURCE_KEYS:
                self.problem(
                    key_node,
                    f"unknown key '{key}' in 'source' (expected: {', '.join(_SOURCE_KEYS)})",
                )
                continue
            if key == "editorial":
                facts = self._facts(value_node, _SOURCE_FACTS, "source: editorial")
                if facts is None:
                    ok = False
                else:
                    values["facts"] = facts
                continue
            value = self._string(value_node, f"source: {key}")
            if value is None:
                ok = False
            else:
                values[key] = value
        for key, required in _SOURCE_KEYS.items():
            if required and key not in keys:
                self.problem(node, f"'source' is missing required key '{key}'")
                ok = False
        return model.Source(**values) if ok else None

    def _entry(self, node: _Node, source: model.Source | None) -> None:
        keys = self._mapping(node, "an entry")
        if keys is None:
            return
        entry_id: str | None = None
        if "id" not in keys:
            self.problem(node, "entry is missing required key 'id'")
        else:
            entry_id = self._string(keys["id"][1], "id")
            if entry_id is not None and not ID_PATTERN.fullmatch(entry_id):
                self.problem(
                    keys["id"][1],
                    f"id '{entry_id}' is not valid: use lowercase letters, digits and "
                    "single hyphens, starting with a letter",
                )
                entry_id = None
        named = f"entry '{entry_id}'" if entry_id else "entry"
        location = self.at(node)
        if entry_id is not None:
            self.declared.append((entry_id, location))
        if "kind" not in keys:
            self.problem(node, f"{named} is missing required key 'kind'")
            return
        kind_node = keys["kind"][1]
        kind = self._string(kind_node, "kind")
        if kind is None:
            return
        if kind not in _SCHEMA:
            self.problem(
                kind_node, f"unknown kind '{kind}' (expected one of: {', '.join(model.KINDS)})"
            )
            return
        fields = _FIELDS[kind]
        values: dict[str, Any] = {}
        ok = entry_id is not None
        for key, (key_node, value_node) in keys.items():
            if key in ("id", "kind", "editorial"):
                continue
            spec = fields.get(key)
            if spec is None:
                self.problem(
                    key_node,
                    f"unknown key '{key}' for kind '{kind}' (expected: "
                    f"{', '.join(_expected_keys(kind))})",
                )
                ok = False
                continue
            if spec.type != "str":
                value = self._value(spec, kind, value_node)
            elif (
                type(value_node) is _Scalar
                and value_node.tag in _TEXTUAL_SCALARS
                and value_node.value.isprintable()
                and (stripped := value_node.value.strip())
            ):
                value = stripped  # what _string returns, without the call
            else:
                value = self._string(value_node, key)
            if value is None:
                ok = False
            else:
                values[spec.attr or key] = value  # spec.name
        for spec in _REQUIRED[kind]:
            if spec.key not in keys:
                self.problem(node, f"{named} (kind '{kind}') is missing required key '{spec.key}'")
                ok = False
        if "editorial" in keys:
            facts = self._facts(
                keys["editorial"][1], model.ENTRY_CLASSES[kind].FACTS, f"{named}: editorial"
            )
            if facts is None:
                ok = False
            else:
                values["facts"] = facts
        if not ok or source is None or entry_id is None:
            return
        if (kind, "session") in _SINGLE_ID and "session" in values:
            values["session"] = values["session"][0]
        if kind == "figure" and "found_in" in values:
            values["found_in"] = values["found_in"][0]
        cls = model.ENTRY_CLASSES[kind]
        if not values.get("title"):
            values["title"] = cls.derive_title(values)
            values["editorial_title"] = True
            if not values["title"]:
                self.problem(
                    node,
                    f"{named} (kind '{kind}') is missing required key 'title' "
                    "(or an editorial title fact)",
                )
                return
        elif "title" in _EDITORIAL_FIELDS[kind]:
            values["editorial_title"] = True
        entry = cls(id=entry_id, source=source, location=location, **values)
        if next(iter(entry.passage_texts()), None) is None:
            # Only paragraphs can hold no text (headings or embeds alone);
            # every entry needs a passage to show, star and find.
            key = "answer" if kind == "faq" else "paragraphs"
            self.problem(
                keys[key][1] if key in keys else node,
                f"{named} has no text: its '{key}' needs at least one paragraph with 'text'",
            )
            return
        self.entries.append(entry)

    def _facts(
        self, node: _Node, allowed: tuple[str, ...], what: str
    ) -> tuple[model.Fact, ...] | None:
        """An ``editorial`` block: fact name → {value, found_at}."""
        keys = self._mapping(node, f"'{what}'")
        if keys is None:
            return None
        if not allowed:
            self.problem(node, f"{what}: this kind takes no editorial facts")
            return None
        out: list[model.Fact] = []
        ok = True
        for name, (key_node, value_node) in keys.items():
            if name not in allowed:
                self.problem(
                    key_node,
                    f"unknown editorial fact '{name}' (expected: {', '.join(allowed)})",
                )
                ok = False
                continue
            fact = self._fact(name, value_node, f"{what}: {name}")
            if fact is None:
                ok = False
            else:
                out.append(fact)
        return tuple(out) if ok else None

    def _fact(self, name: str, node: _Node, what: str) -> model.Fact | None:
        keys = self._mapping(node, what)
        if keys is None:
            return None
        for key, (key_node, _value) in keys.items():
            if key not in _FACT_KEYS:
                self.problem(key_node, f"unknown key '{key}' in {what} (expected: value, found_at)")
                return None
        for key in _FACT_KEYS:
            if key not in keys:
                why = " (the address of the page that states it)" if key == "found_at" else ""
                self.problem(node, f"{what} is missing '{key}'{why}")
                return None
        value_node = keys["value"][1]
        value: str | tuple[str, ...] | None
        if name == "authors" and isinstance(value_node, _Sequence):
            names = [self._string(item, f"{what}: a name") for item in value_node.value]
            if not names or any(n is None for n in names):
                if not names:
                    self.problem(value_node, f"{what} must not be empty")
                return None
            value = tuple(n for n in names if n is not None)
        else:
            value = self._string(value_node, what)
            if value is None:
                return None
            if name == "authors":
                value = (value,)
            elif name == "date" and not model.DATE_PATTERN.fullmatch(value):
                self.problem(
                    value_node, f"{what} must be YYYY, YYYY-MM or YYYY-MM-DD, not '{value[:40]}'"
                )
                return None
            elif name == "url" and not _URL.fullmatch(value):
                self.problem(value_node, f"{what} must be an http(s) address, not '{value[:60]}'")
                return None
            elif name == "type" and value not in model.ITEM_TYPES:
                self.problem(
                    value_node,
                    f"{what} must be one of: {', '.join(model.ITEM_TYPES)} (not '{value[:40]}')",
                )
                return None
        found_node = keys["found_at"][1]
        found_at = self._string(found_node, f"{what}: found_at")
        if found_at is None:
            return None
        if not _URL.fullmatch(found_at):
            self.problem(
                found_node,
                f"{what}: found_at must be the http(s) address of the page that states "
                f"the fact, not '{found_at[:60]}'",
            )
            return None
        return model.Fact(name, value, found_at)

    def _value(self, spec: _Field, kind: str, node: _Node) -> Any:
        what = spec.key
        if spec.type == "str":
            return self._string(node, what)
        if spec.type == "int":
            return self._int(node, what)
        if spec.type == "choice":
            value = self._string(node, what)
            if value is not None and value not in spec.choices:
                self.problem(
                    node, f"{what} must be one of: {', '.join(spec.choices)} (not '{value}')"
                )
                return None
            return value
        if spec.type == "ids":
            return self._ids(node, what, spec.refers_to, (kind, spec.key) in _SINGLE_ID)
        return self._paragraphs(node, what)


def _expected_keys(kind: str) -> list[str]:
    keys = [f.key for f in _SCHEMA[kind]]
    if model.ENTRY_CLASSES[kind].FACTS:
        keys.append("editorial")
    return keys


def _character(character: object) -> str:
    code = ord(character) if isinstance(character, str) and len(character) == 1 else character
    return f"character U+{code:04X}" if isinstance(code, int) else f"character {code!r}"


def _too_large(size: int) -> str:
    return (
        f"file is too large ({size / 1e6:.1f} MB; the limit is "
        f"{MAX_FILE_BYTES // (1024 * 1024)} MiB)"
    )


def _file_type(mode: int) -> str:
    kind = files.file_type(mode)
    return "not a plain file" if kind.startswith(("not ", "a folder", "a symbolic")) else kind


def _describe(node: _Node) -> str:
    if isinstance(node, _Mapping):
        return "a mapping"
    if isinstance(node, _Sequence):
        return "a list"
    if node.tag == _NULL:
        return "empty"
    if node.tag == _STR:
        return "a string"
    if node.tag == _INT:
        return "a number"
    if node.tag in _TEXTUAL_SCALARS:
        return f"a {node.tag.rsplit(':', 1)[-1]}"
    # Anything else was tagged in the file (``!!python/object:...``, ``!foo``).
    shown = str(node.tag).replace("tag:yaml.org,2002:", "!!", 1)
    return f"a value tagged {shown}"


# --------------------------------------------------------------------------
# Folders → corpus.


def _read_folders(folders: Iterable[Path]) -> tuple[list[model.Entry], list[Problem]]:
    # As in `_FileReader.read`: what is built holds no reference cycles, and
    # the cyclic collector walking every entry read so far after each file
    # (100 000 quotes in five files) costs a tenth of the whole load.
    with collector.off():
        return _read_all(folders)


def _read_all(folders: Iterable[Path]) -> tuple[list[model.Entry], list[Problem]]:
    problems: list[Problem] = []
    entries: list[model.Entry] = []
    refs: list[_Ref] = []
    first_seen: dict[str, model.Location] = {}
    unique: dict[Path, Path] = {}
    total = 0
    for folder in folders:
        unique.setdefault(folder.resolve(), folder)
    for folder in unique.values():
        if not folder.exists():
            problems.append(Problem(str(folder), 1, 1, "no such folder"))
            continue
        if not folder.is_dir():
            problems.append(Problem(str(folder), 1, 1, "not a folder"))
            continue
        files = briefing_files(folder)
        if not files:
            problems.append(Problem(str(folder), 1, 1, "no briefing files (*.yaml) in this folder"))
        for path in files:
            if total > MAX_TOTAL_BYTES:
                problems.append(
                    Problem(
                        str(path),
                        1,
                        1,
                        f"not read: the briefing files together exceed "
                        f"{MAX_TOTAL_BYTES // (1024 * 1024)} MiB",
                    )
                )
                break
            reader = _FileReader(path, str(path), root=folder)
            reader.read()
            total += reader.size
            problems.extend(reader.problems)
            refs.extend(reader.refs)
            for entry_id, loc in reader.declared:
                earlier = first_seen.get(entry_id)
                if earlier is None:
                    first_seen[entry_id] = loc
                    continue
                problems.append(
                    Problem(
                        loc.path,
                        loc.line,
                        loc.column,
                        f"duplicate id '{entry_id}' (first defined at {earlier})",
                    )
                )
            # Only the first definition of an id is kept (its location is the
            # very object declared: compared by identity, not field by field).
            entries.extend(e for e in reader.entries if first_seen[e.id] is e.location)
    kinds = {e.id: e.kind for e in entries}
    for ref in refs:
        target_kind = kinds.get(ref.target)
        mark = ref.mark
        if target_kind is None:
            if ref.target not in first_seen:
                problems.append(
                    Problem(
                        ref.path,
                        mark.line + 1,
                        mark.column + 1,
                        f"{ref.key}: no entry has id '{ref.target}'",
                    )
                )
        elif ref.kinds != _ANY and target_kind not in ref.kinds:
            problems.append(
                Problem(
                    ref.path,
                    mark.line + 1,
                    mark.column + 1,
                    f"{ref.key}: '{ref.target}' is a {target_kind}, "
                    f"expected a {' or '.join(ref.kinds)}",
                )
            )
    problems.sort(key=lambda p: (p.path, p.line, p.column))
    return entries, problems


def check(folders: Iterable[Path]) -> list[Problem]:
    """Every problem in the briefing files of these folders (empty: all good)."""
    return _read_folders(folders)[1]


def check_and_load(folders: Iterable[Path]) -> tuple[list[Problem], model.Corpus | None]:
    """`check` and `load_corpus` in one reading of the files: the problems,
    and the corpus when there are none."""
    entries, problems = _read_folders(folders)
    return problems, (None if problems else model.Corpus(tuple(entries)))


def load_corpus(folders: Iterable[Path]) -> model.Corpus:
    """Load and validate; raises `BriefingsError` listing every problem."""
    entries, problems = _read_folders(folders)
    if problems:
        raise BriefingsError(problems)
    return model.Corpus(tuple(entries))


def _past_flow_limit(text: str, limit: int) -> int | None:
    """Offset just after the flow bracket that opens level `limit` + 1, if any.

    Counts `[` and `{` outside quoted scalars and comments; only used once
    the YAML library has refused the nesting itself.
    """
    depth = 0
    quote = ""
    comment = False
    previous = "\n"
    for offset, char in enumerate(text):
        if char == "\n":
            comment = False
        elif comment:
            pass
        elif quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and previous in " \t":
            comment = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return offset + 1
        elif char in "]}":
            depth = max(0, depth - 1)
        previous = char
    return None


def _first_too_deep(text: str) -> yaml.Event | None:
    """The first collection event deeper than `MAX_DEPTH` in `text`, if any."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_SafeLoader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return event
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None
