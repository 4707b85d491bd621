"""The ``lbn-tui`` command: the app by default, subcommands for scripting.

Exit codes: 0 success, 1 a user error (one line on stderr per problem),
2 bad usage.  Textual is imported only when the app is started; argparse,
json and the loader (YAML) only when they are needed, so that the browser
starts fast: with no arguments and an unchanged corpus (corpus_cache) it
needs none of them.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, cast

from lbn_tui import __version__, collector, folders
from lbn_tui.corpus import model
from lbn_tui.corpus.problems import BriefingsError, Problem
from lbn_tui.folders import ENV_BRIEFINGS

if TYPE_CHECKING:
    import argparse

DESCRIPTION = """\
A terminal briefing browser for the work of the All-Party Parliamentary
Group for 'left behind' neighbourhoods (England, 2020-2024).
Run with no command to open the browser."""

EPILOG = f"""\
kinds: {", ".join(model.KINDS)}

briefing folders: the bundled set, unless --briefings DIR (repeatable) or
${ENV_BRIEFINGS} (colon-separated folders) names others; --with-bundled adds
the bundled set back.

settings: $XDG_CONFIG_HOME/lbn-tui/config.toml (lbn-tui config --path); see lbn-tui config

exit codes: 0 success, 1 a problem with the input, the briefings or the settings
(search: 1 also when nothing matches), 2 bad usage"""


def _no_arguments() -> argparse.Namespace:
    """What ``parse_args([])`` returns, without importing argparse."""
    return cast(
        "argparse.Namespace", SimpleNamespace(command=None, briefings=None, with_bundled=False)
    )


class UserError(Exception):
    """Something the user can fix; the message is one line."""


def _fail(message: str) -> NoReturn:
    raise UserError(message)


# --------------------------------------------------------------------------
# Argument parsing.


def _kind(value: str) -> frozenset[str]:
    import argparse

    from lbn_tui.search.filters import KIND_ALIASES, kinds_named

    kinds = kinds_named(value)
    if kinds is None:
        shown = KIND_ALIASES.get(value.lower(), value.lower())
        raise argparse.ArgumentTypeError(
            f"unknown kind '{shown}' (choose from {', '.join(model.KINDS)}, "
            "or a search prefix such as quotes, q, recs; see --help)"
        )
    return kinds


def _kinds(chosen: Sequence[frozenset[str]] | None) -> set[str] | None:
    """The union of the ``--kind`` options, or None when none was given."""
    return set().union(*chosen) if chosen else None


def _folder(value: str) -> Path:
    """argparse type: a folder name ("" would silently mean the current folder)."""
    import argparse

    if not value.strip():
        raise argparse.ArgumentTypeError("a folder name is needed, not an empty string")
    return Path(value)


def _add_folder_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    import argparse

    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--briefings",
        metavar="DIR",
        action="append",
        type=_folder,
        default=default,
        help=f"read briefing files from DIR instead of the bundled set (repeatable; "
        f"also ${ENV_BRIEFINGS})",
    )
    parser.add_argument(
        "--with-bundled",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="with --briefings: load the bundled set too",
    )


def build_parser() -> argparse.ArgumentParser:
    import argparse

    from lbn_tui.cite.formats import RECORD_FORMATS, STYLES
    from lbn_tui.search.filters import kind_names_help
    from lbn_tui.serve.options import add_serve_parser, positive_int  # no asyncssh here

    parser = argparse.ArgumentParser(
        prog="lbn-tui",
        description=DESCRIPTION,
        epilog=f"{EPILOG}\n\n--kind also takes the app's search prefixes (q: in the search box):\n"
        + kind_names_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lbn-tui {__version__}")
    _add_folder_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _add_folder_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "search",
        parents=[common],
        help="fuzzy search every text; ranked hits",
        description="Fuzzy, typo-tolerant search across every passage.",
    )
    p.add_argument("query", metavar="QUERY")
    p.add_argument(
        "--kind",
        action="append",
        type=_kind,
        metavar="KIND",
        help="only hits of this kind (repeatable)",
    )
    p.add_argument(
        "--limit", type=positive_int, default=10, metavar="N", help="at most N hits (default 10)"
    )
    p.add_argument("--json", action="store_true", help="one JSON array of hits on stdout")

    p = sub.add_parser(
        "show",
        parents=[common],
        help="one entry in full, as plain text",
        description="Print one entry in full (ID is an entry id, or ID#N for its Nth passage).",
    )
    p.add_argument("id", metavar="ID")
    p.add_argument("--json", action="store_true", help="the entry as a JSON object")

    p = sub.add_parser(
        "list",
        parents=[common],
        help="ids, kinds and titles",
        description="List entries: id, kind and title.",
    )
    p.add_argument(
        "--kind",
        action="append",
        type=_kind,
        metavar="KIND",
        help="only entries of this kind (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="one JSON array on stdout")

    p = sub.add_parser(
        "check",
        parents=[common],
        help="validate briefing folders",
        description="Validate briefing folders (default: the set the app would load). "
        "Prints every problem as path:line:col: message; exit 1 if any.",
    )
    p.add_argument("dirs", nargs="*", type=_folder, metavar="DIR")

    p = sub.add_parser(
        "open",
        parents=[common],
        help="start the browser at an entry",
        description="Start the browser at an entry (ID or ID#N).",
    )
    p.add_argument("id", metavar="ID")

    p = sub.add_parser(
        "cite",
        parents=[common],
        help="a passage or entry as a citation (Harvard, CSL-JSON, RIS, BibTeX)",
        description="Print what c copies in the browser for ID or ID#N (Harvard: verbatim "
        "text in quotation marks, then who, where, when and the address, then the "
        "permalink), or the cited work as one CSL-JSON, RIS or BibTeX record.",
    )
    p.add_argument("id", metavar="REF")
    p.add_argument("--style", choices=STYLES, default="harvard", help="default: harvard")

    p = sub.add_parser(
        "export",
        parents=[common],
        help="write starred passages, or a bibliography, with citations",
        description="Write the starred passages (--starred), each as its citation, or every "
        "entry of a kind (--kind reference, --kind reading) as a bibliography; markdown and "
        "text are documents, csl-json, ris and bibtex are records for reference managers.",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--starred", action="store_true", help="the starred passages")
    what.add_argument(
        "--kind",
        action="append",
        type=_kind,
        metavar="KIND",
        help="every entry of this kind, as a bibliography (repeatable)",
    )
    p.add_argument("--format", choices=("markdown", "text", *RECORD_FORMATS), default="markdown")
    p.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write to FILE instead of stdout"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="with -o: replace FILE if it exists (else: asked on a terminal, refused otherwise)",
    )

    p = sub.add_parser(
        "config",
        help="the settings in effect, or where the settings file is",
        description="Print the settings in effect (as TOML, every key binding id listed), "
        "or with --path where the settings file is.  Exit 1 if the file has a problem.",
    )
    p.add_argument("--path", action="store_true", help="print the settings file's path only")

    add_serve_parser(sub, [common])
    return parser


# --------------------------------------------------------------------------
# Loading.


def briefing_folders(args: argparse.Namespace) -> list[Path]:
    return folders.briefing_folders(args.briefings, args.with_bundled)


def _load(args: argparse.Namespace) -> model.Corpus:
    """The corpus, from the cache when the files are unchanged (as the app
    does: no YAML, and a large pack's entries decoded only when used); the
    loader's `BriefingsError` otherwise.  `check` always reads the YAML."""
    from lbn_tui.corpus import cache as corpus_cache

    return corpus_cache.load_corpus(briefing_folders(args))


# --------------------------------------------------------------------------
# Subcommands.


def _write(text: str) -> None:
    sys.stdout.write(text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")


def cmd_search(args: argparse.Namespace) -> int:
    from lbn_tui.search.engine import SearchIndex

    if not args.query.strip():
        _fail('the query is empty: say what to look for, e.g. lbn-tui search "social prescribing"')
    corpus = _load(args)
    from lbn_tui.corpus.store import StoredCorpus

    # The candidate index of a large pack from its cache, as in the app; its
    # passages read from the corpus store only when scored or shown.
    passages = corpus.passage_view() if isinstance(corpus, StoredCorpus) else corpus.passages
    index = SearchIndex.load_or_build(passages)
    hits = index.search(args.query, kinds=_kinds(args.kind), limit=args.limit)
    if args.json:
        out = []
        for hit in hits:
            entry = corpus.by_id[hit.passage.entry_id]
            item: dict[str, Any] = {
                "id": entry.id,
                "ref": model.passage_ref(hit.passage, entry, corpus),
                "kind": entry.kind,
                "title": entry.title,
                "text": hit.passage.text,
                "source": entry.source.title,
                "url": entry.source.url,
                "score": round(hit.score, 2),
                "spans": [list(s) for s in hit.spans],
                "field": hit.field,
            }
            if isinstance(entry, model.Quote):
                item["speaker"] = entry.speaker
                item["attribution"] = entry.attribution
            out.append(item)
        import json

        _write(json.dumps(out, ensure_ascii=False, indent=2))
        return 0 if hits else 1
    if not hits:
        print(f"no matches for {args.query!r}", file=sys.stderr)
        return 1
    from lbn_tui import clitext

    # Into a terminal: wrapped to its width, matches highlighted; into a pipe
    # or a file: one line per field, plain.
    terminal = clitext.is_terminal(sys.stdout)
    highlight = clitext.can_highlight(sys.stdout)
    width = clitext.terminal_width() if terminal else 0

    def say(text: str, spans: clitext.Spans = (), first: str = "    ") -> None:
        if not width:
            print(first + text)
            return
        for line, line_spans in clitext.wrap(text, spans, width, "    ", first):
            print(clitext.marked(line, line_spans, highlight))

    for rank, hit in enumerate(hits, 1):
        entry = corpus.by_id[hit.passage.entry_id]
        ref = model.passage_ref(hit.passage, entry, corpus)
        say(f"[{entry.kind}] {entry.title}  ({ref}, score {hit.score:.0f})", first=f"{rank:2}. ")
        if entry.kind == "quote":
            say(f"— {entry.speaker_line}")
        say(*clitext.snippet(hit.passage.text, hit.spans))
    return 0


def _entry_json(corpus: model.Corpus, entry: model.Entry) -> dict[str, Any]:
    data: dict[str, Any] = {"id": entry.id, "kind": entry.kind, "title": entry.title}
    for name in entry.__struct_fields__:
        if name in ("id", "title", "location", "source"):
            continue
        value = getattr(entry, name)
        if isinstance(value, tuple) and value and isinstance(value[0], model.Paragraph):
            value = [
                {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars_of(p).items() if v}
                for p in value
            ]
        elif isinstance(value, tuple) and value and isinstance(value[0], model.Fact):
            value = [
                {
                    "name": fact.name,
                    "value": list(fact.value) if isinstance(fact.value, tuple) else fact.value,
                    "found_at": fact.found_at,
                }
                for fact in value
            ]
        elif isinstance(value, tuple):
            value = list(value)
        data[name] = value
    editorial = sorted(entry.editorial_fields() - {"title"})
    if entry.editorial_title:
        editorial.insert(0, "title")
    # Which fields this project wrote (not printed on the page); `facts` are
    # editorial too, each with the address that states it.
    data["editorial_fields"] = editorial
    if isinstance(entry, model.Quote):
        data["attribution"] = entry.attribution
    data["source"] = {"title": entry.source.title, "url": entry.source.url}
    from lbn_tui.cite import works

    data["reference"] = works.reference_text(corpus, entry)
    data["passages"] = [
        {"ref": model.passage_ref(p, entry, corpus), "heading": p.heading, "text": p.text}
        for p in corpus.passages_of(entry.id)
    ]
    if isinstance(entry, model.Reference):
        data["cited_by"] = [
            model.passage_ref(
                corpus.passages_of(c.entry_id)[c.passage_index], corpus.by_id[c.entry_id], corpus
            )
            for c in corpus.citing_passages(entry.id)
        ]
    data["linked_from"] = list(corpus.linked_from(entry.id))
    data["file"] = str(entry.location)
    return data


def vars_of(paragraph: model.Paragraph) -> dict[str, Any]:
    return {
        "heading": paragraph.heading,
        "text": paragraph.text,
        "cites": paragraph.cites,
        "embed": paragraph.embed,
    }


def _resolve(corpus: model.Corpus, ref: str) -> tuple[model.Entry, model.Passage | None]:
    found = model.resolve_ref(corpus, ref)
    if found is None:
        entry_id = ref.partition("#")[0]
        # The ref as typed, cut short: "ID#" and 5,000 nines is still one line.
        shown = ref if len(ref) <= 80 else ref[:79] + "…"
        if entry_id in corpus.by_id:
            count = len(corpus.passages_of(entry_id))
            _fail(f"'{shown}': entry '{entry_id}' has passages #1 to #{count}")
        from lbn_tui.clitext import one_of, suggestions

        near = suggestions(entry_id, corpus.by_id)
        if near:
            _fail(f"no entry has id '{shown.partition('#')[0]}'; did you mean {one_of(near)}?")
        _fail(f"no entry has id '{shown}' (try: lbn-tui list, or lbn-tui search)")
    return found


def cmd_show(args: argparse.Namespace) -> int:
    from lbn_tui.render import attributed_text, entry_plain_text

    corpus = _load(args)
    entry, passage = _resolve(corpus, args.id)
    if args.json:
        import json

        _write(json.dumps(_entry_json(corpus, entry), ensure_ascii=False, indent=2))
    elif passage is not None and "#" in args.id:
        # One passage, ready to paste: not wrapped (wrapping would turn the
        # text's own spaces into line breaks).
        _write(attributed_text(corpus, passage))
    else:
        _write(entry_plain_text(corpus, entry))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    corpus = _load(args)
    # (id, kind, title): a large pack's entries are not decoded for this.
    chosen = _kinds(args.kind)
    entries = [_Row(*row) for row in corpus.summaries() if chosen is None or row[1] in chosen]
    if args.json:
        rows = [{"id": e.id, "kind": e.kind, "title": e.title} for e in entries]
        import json

        _write(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    from lbn_tui.clitext import terminal_width, truncate

    # One line per entry, within the terminal's width (80 columns into a
    # pipe): ids whole (an id longer than the column pushes its line right),
    # titles cut with … (--json has them whole).
    width = terminal_width()
    id_width = min(max((len(e.id) for e in entries), default=0), LIST_ID_COLUMN)
    kind_width = max((len(e.kind) for e in entries), default=0)
    # Each title is looked at only if it is too long or, when some title has
    # a character that may not be one cell, to measure it (one search in C).
    measure = _MAYBE_NOT_ONE_CELL.search("".join(e.title for e in entries)) is not None
    lines = []
    for entry_id, kind, title in entries:
        start = f"{entry_id:<{id_width}}  {kind:<{kind_width}}  "
        room = max(1, width - len(start))
        lines.append(
            start + (_truncate(title, room, truncate) if measure or len(title) > room else title)
        )
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


# Characters that are one cell each for clitext.cells (no combining marks, no
# wide ones): Latin, IPA, spacing modifiers and general punctuation (‘’“”–—…)
# to U+2064 (U+2065 is not one cell; checked by tests/test_scale_cli.py).
_MAYBE_NOT_ONE_CELL = re.compile("[^\x00-\u02ff\u2000-\u2064]")


def _truncate(title: str, width: int, truncate: Any) -> str:
    """clitext.truncate, without measuring each character of a title that is
    one cell a character (100 000 titles: seconds otherwise)."""
    if _MAYBE_NOT_ONE_CELL.search(title):
        return str(truncate(title, width))
    if len(title) <= width:
        return title
    from lbn_tui.clitext import ELLIPSIS

    return title[: max(0, width - 1)].rstrip() + ELLIPSIS


class _Row(NamedTuple):
    id: str
    kind: str
    title: str


LIST_ID_COLUMN = 32
"""`list`'s id column, in cells: longer ids push their line's kind and title right."""


def cmd_check(args: argparse.Namespace) -> int:
    checked = list(args.dirs) or briefing_folders(args)
    from lbn_tui.corpus.loader import check_and_load

    # Each file is read and parsed once (not once to check, again to count).
    problems, corpus = check_and_load(checked)
    if problems or corpus is None:
        for problem in problems:
            print(problem)
        files = len({p.path for p in problems})
        noun = "problem" if len(problems) == 1 else "problems"
        print(f"{len(problems)} {noun} in {files} file(s)", file=sys.stderr)
        return 1
    from lbn_tui.sanitize import visible

    shown = ", ".join(visible(str(f)) for f in checked)
    passages = model.count_passages(corpus.entries)
    print(f"ok: {len(corpus)} entries, {passages} passages in {shown}")
    return 0


def cmd_cite(args: argparse.Namespace) -> int:
    from lbn_tui.cite import formats, works

    corpus = _load(args)
    entry, passage = _resolve(corpus, args.id)
    if args.style != "harvard":
        _write(formats.write([works.work_of(corpus, entry)], args.style))
        return 0
    if passage is None:
        # An entry of several passages: its reference (cite ID#N quotes one).
        _write(f"{works.reference_text(corpus, entry)}. [{entry.id}]")
        return 0
    _write(works.copy_text(corpus, entry, passage))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from lbn_tui.render import export_bibliography, export_starred
    from lbn_tui.state import StarStore

    corpus = _load(args)
    if args.kind:
        text = export_bibliography(corpus, _kinds(args.kind) or (), fmt=args.format)
        if args.output is None:
            _write(text)
            return 0
        _write_file_atomically(args.output, text, args.force, own=Path.cwd())
        print(f"wrote the bibliography to {args.output}", file=sys.stderr)
        return 0
    store = StarStore()
    notice = store.load()
    if notice:
        print(f"lbn-tui: {notice}", file=sys.stderr)
    if not store.refs:
        print(
            "lbn-tui: nothing is starred yet (press s on a passage in the browser)", file=sys.stderr
        )
    text = export_starred(corpus, store.refs, fmt=args.format)
    if args.output is None:
        _write(text)
        return 0
    _write_file_atomically(args.output, text, args.force, own=store.path.parent)
    print(f"wrote {len(store.refs)} starred passage(s) to {args.output}", file=sys.stderr)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from lbn_tui import settings as prefs

    if args.path:
        print(prefs.config_path())
        return 0
    from lbn_tui.tui.app import LbnApp
    from lbn_tui.tui.preferences import config_text

    if folders.is_served():
        _write(config_text(prefs.Settings(), LbnApp.BINDINGS, served=True))
        return 0
    try:
        settings = prefs.load()
        config_text(settings, LbnApp.BINDINGS)  # checks the theme and the binding ids
    except prefs.SettingsError as exc:
        print(exc, file=sys.stderr)
        return 1
    _write(config_text(settings, LbnApp.BINDINGS))
    return 0


def _app_settings(served: bool) -> tuple[Any, tuple[str, ...]]:
    """The settings for the app and a notice of their problem: the defaults
    when served (a reader's session reads and saves nothing) or when the file
    has a problem (the app starts anyway and shows it)."""
    from lbn_tui import settings as prefs

    if served:
        return prefs.Settings(), ()
    try:
        return prefs.load(), ()
    except prefs.SettingsError as exc:
        return prefs.Settings(), (f"{exc} (using the default settings)",)


def _write_file_atomically(path: Path, text: str, force: bool, own: Path) -> None:
    """Write ``text`` to ``path`` as a whole or not at all.

    A temporary file in the same folder is written, flushed (``fsync``) and
    renamed into place: a failed write (full disk, size limit) leaves the old
    file as it was.  Refuses lbn-tui's own state folder (``own``: the stars
    file, its backups) and anything but a regular file (a named pipe would
    hang the write); replaces an existing file only with ``force`` or when
    the reader says yes on a terminal.  A symbolic link is kept: its target
    is replaced.
    """
    import stat
    import tempfile

    target = Path(os.path.realpath(path))
    if target.parent == Path(os.path.realpath(own)) or target == Path(os.path.realpath(own)):
        _fail(f"will not write over lbn-tui's own state files: {path}")
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror or exc}")
    if info is not None:
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            _fail(f"cannot write {path}: it is {what}")
        if not force and not _confirm(f"{path} exists; replace it? [y/N] "):
            _fail(f"{path} exists; use --force to replace it")
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    tmp_name = ""
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        if info is None:
            # Not over a file that appeared meanwhile: a link fails if it exists.
            os.link(tmp_name, target)
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, target)
        tmp_name = ""
        with contextlib.suppress(OSError):
            folder_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                os.fsync(folder_fd)
            finally:
                os.close(folder_fd)
    except FileExistsError:
        _fail(f"{path} exists; use --force to replace it")
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror or exc}")
    finally:
        if tmp_name:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _confirm(question: str) -> bool:
    """Ask on the terminal; False when there is none to ask on."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    print(question, end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, UnicodeDecodeError):
        return False
    return answer.strip().lower() in ("y", "yes")


#: A pack with more YAML than this opens on a loading screen (the bundled
#: briefings are ~70 KB; 100 000 passages ~35 MB).
LARGE_PACK_BYTES = 1 << 20


def _pack_bytes(briefing_dirs: Sequence[Path]) -> int:
    from lbn_tui.corpus.sources import briefing_files

    total = 0
    for folder in briefing_dirs:
        with contextlib.suppress(OSError):
            for path in briefing_files(folder):
                with contextlib.suppress(OSError):
                    total += path.stat().st_size
    return total


def _can_show_app() -> None:
    # `lbn-tui serve --web` runs the served app over pipes with Textual's web driver.
    web_served = folders.is_served() and os.environ.get("TEXTUAL_DRIVER", "").endswith(":WebDriver")
    if not web_served and (not sys.stdin.isatty() or not sys.stdout.isatty()):
        _fail("the browser needs a terminal; for scripts use the subcommands (lbn-tui --help)")
    if os.environ.get("TERM", "") in ("dumb", "unknown"):
        _fail(
            "this terminal (TERM=dumb) cannot show the browser; use the subcommands "
            "(lbn-tui --help)"
        )


def _deferred_loader(briefing_dirs: list[Path], open_ref: str | None) -> Any:
    """What reads a large pack behind the app's loading screen (in a thread)."""
    from collections.abc import Callable

    from lbn_tui.corpus import cache as corpus_cache

    def load(phase: Callable[[str], None]) -> model.Corpus:
        key = corpus_cache.corpus_key(briefing_dirs)
        corpus = corpus_cache.cached(key) if key is not None else None
        if corpus is None:
            size = _pack_bytes(briefing_dirs) / 2**20
            phase(f"Reading and checking {size:.0f} MB of briefings (once, then cached)…")
            corpus = corpus_cache.load_corpus(briefing_dirs)
        if open_ref is not None:
            _resolve(corpus, open_ref)
        phase(f"Preparing the contents of {len(corpus):,} entries…")
        _ = corpus.passages
        # What the contents tree needs, decoded here rather than on the app's
        # thread when the tree is mounted (a large pack's entries are read lazily).
        from lbn_tui.corpus.outline import contents

        contents(corpus, ())
        return corpus

    return load


def cmd_app(
    args: argparse.Namespace, open_ref: str | None = None, preloaded: model.Corpus | None = None
) -> int:
    from lbn_tui.corpus import cache as corpus_cache

    briefing_dirs = briefing_folders(args)
    corpus: model.Corpus | None = preloaded  # by `lbn-tui serve`'s zygote (serve/zygote.py)
    loader = None
    if corpus is not None:
        _can_show_app()
    elif (
        sys.stdin.isatty() and sys.stdout.isatty() and _pack_bytes(briefing_dirs) > LARGE_PACK_BYTES
    ):
        # A large pack: the app starts at once on a loading screen, and the
        # corpus is read in a thread (problems are raised by run_app).
        _can_show_app()
        loader = _deferred_loader(briefing_dirs, open_ref)
    else:
        # From the cache when the files are unchanged: no YAML at start-up.
        corpus = corpus_cache.load_corpus(briefing_dirs)
        if open_ref is not None:
            _resolve(corpus, open_ref)
        _can_show_app()
    from lbn_tui.state import StarStore
    from lbn_tui.tui.app import run_app

    store = StarStore()
    notice = store.load()
    # Set by `lbn-tui serve` (and the OpenSSH wrapper) for every reader's
    # session: turns off whatever would act on the machine running the app.
    served = folders.is_served()
    settings, problems = _app_settings(served)
    return run_app(
        corpus,
        loader=loader,
        open_ref=open_ref,
        star_store=store,
        served=served,
        notices=((notice,) if notice else ()) + problems,
        settings=settings,
    )


def main(argv: Sequence[str] | None = None, *, preloaded: model.Corpus | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    # No arguments: the browser on the default folders, what parse_args([])
    # gives, without building the parser (start-up time).
    args = build_parser().parse_args(argv) if argv else _no_arguments()
    commands = {
        "search": cmd_search,
        "show": cmd_show,
        "list": cmd_list,
        "check": cmd_check,
        "export": cmd_export,
        "cite": cmd_cite,
        "config": cmd_config,
    }
    if args.command not in (None, "open"):
        collector.resume()  # the app resumes it once its first frame is shown
    try:
        if args.command is None:
            return cmd_app(args, preloaded=preloaded)
        if args.command == "open":
            return cmd_app(args, open_ref=args.id)
        if args.command == "serve":
            from lbn_tui.serve import run_serve
            from lbn_tui.serve.options import ServeConfig

            return run_serve(ServeConfig.from_args(args))
        return commands[args.command](args)
    except UserError as exc:
        from lbn_tui.sanitize import visible

        print(f"lbn-tui: {visible(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader closed the pipe (e.g. `| head`): not an error.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except BriefingsError as exc:
        from lbn_tui.sanitize import visible

        for problem in exc.problems:
            print(problem, file=sys.stderr)
        check_command = "lbn-tui check"
        if args.briefings or os.environ.get(ENV_BRIEFINGS):
            named = " ".join(visible(str(f)) for f in briefing_folders(args))
            check_command += f" {named}"
        print(
            f"lbn-tui: the briefings have {_count(exc.problems)}; see '{check_command}'",
            file=sys.stderr,
        )
        return 1


def _count(problems: Sequence[Problem]) -> str:
    return f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
