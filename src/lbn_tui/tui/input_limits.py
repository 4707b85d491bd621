"""Limits on what the terminal's input can make the app do.

Everything a reader types reaches Textual's input parser, and over SSH the
reader is a stranger.  Two things in that input cost memory out of all
proportion to its size:

- **A window size typed as input.**  Textual takes the in-band resize report
  (``ESC [ 48 ; rows ; columns ; ... t``, mode 2048) from anyone, whether or not
  the terminal was asked for it: ``ESC[48;20000;20000;0;0t`` made one served
  app grow to 3.7 GB in a minute.  :func:`clamp_resize` clamps every resize,
  whatever sent it, to :data:`MAX_COLUMNS` x :data:`MAX_ROWS` (the server's
  limit for the window size of the SSH channel).
- **A bracketed paste.**  Textual keeps a paste, one string per character
  (about 37 bytes each), until its end marker: ``ESC[200~`` and then 40 MB
  would never end.  :class:`InputLimiter`, in front of the parser, passes at
  most :data:`MAX_PASTE_CHARS` characters of a paste, and a paste open for
  more than :data:`MAX_PASTE_SECONDS`, or longer than that, is ended there: the
  part kept is pasted, the rest is dropped up to the paste's own end marker,
  and the reader is told.  Escape characters inside a paste are dropped too:
  Textual would otherwise turn a pasted escape sequence into key presses.

A third costs memory steadily: **keys typed faster than the app handles
them.**  Textual's input thread turns everything it reads into messages for
the app, however many are already waiting (about 2.7 KB each): a stream of
key presses grew a served app by 12 MB a second.  While the app has more than
:data:`MAX_BACKLOG` messages waiting, the input thread stops reading, so the
terminal (or the SSH channel) holds the rest.

And **a terminal that is gone**: when the terminal hangs up (the SSH
connection or the server dropped, the pty closed), Textual's input thread
reads end-of-file, leaves its read and polls again at once, for ever: an
orphaned served app was found spinning at 100 % of a CPU an hour later.  The
parser's tick, called once per poll, sees polls arrive with no input at more
than :data:`HANGUP_TICKS` a second (an idle terminal gives ten) and ends the
app.

And some input makes Textual's parser raise, in its input thread, which ends
the app with a traceback on the reader's screen: the parser installed here
drops the rest of that read and starts afresh instead.

The limiter itself is plain string handling; :func:`install` puts it in front
of the parser of Textual's Linux drivers, once per process.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual import events
    from textual.message import Message

#: The largest window, in cells, the app lays out (the server clamps the SSH
#: channel's window size to the same).
MAX_COLUMNS = 1000
MAX_ROWS = 500

#: The longest paste passed on, in characters, and the longest time a paste may
#: stay open (from its start marker) before it is ended.
MAX_PASTE_CHARS = 16 * 1024
MAX_PASTE_SECONDS = 5.0

#: Messages the app may have waiting before the input thread stops reading.
MAX_BACKLOG = 1000

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
ESC = "\x1b"

_NORMAL, _PASTE, _DISCARD = range(3)


def clamp_size(columns: int, rows: int) -> tuple[int, int]:
    """``columns`` x ``rows``, each at least 1 and at most the limits."""
    return min(max(columns, 1), MAX_COLUMNS), min(max(rows, 1), MAX_ROWS)


def _held_back(text: str, marker: str) -> int:
    """How many characters at the end of ``text`` could begin ``marker``."""
    for size in range(min(len(marker) - 1, len(text)), 0, -1):
        if marker.startswith(text[-size:]):
            return size
    return 0


class InputLimiter:
    """Filters the decoded input on its way to the parser (see the module).

    :meth:`feed` takes what was read and returns what the parser may see;
    :meth:`tick`, called regularly, ends a paste that has been open too long.
    Messages for the reader collect in :attr:`notices`.
    """

    def __init__(
        self, max_chars: int = MAX_PASTE_CHARS, max_seconds: float = MAX_PASTE_SECONDS
    ) -> None:
        self.max_chars = max_chars
        self.max_seconds = max_seconds
        self.notices: list[str] = []
        self.dropped = 0  # characters of pastes dropped in all
        self._state = _NORMAL
        self._tail = ""  # normal: the last few characters passed (a start marker may span reads)
        self._carry = ""  # paste, discard: a possible end marker, held back
        self._kept = 0  # characters of this paste passed on
        self._started = 0.0  # when this paste began
        self._last_input = 0.0

    @property
    def in_paste(self) -> bool:
        return self._state != _NORMAL

    def feed(self, text: str, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        self._last_input = now
        out: list[str] = []
        while text:
            if self._state == _NORMAL:
                text = self._normal(text, now, out)
            elif self._state == _PASTE:
                text = self._paste(text, now, out)
            else:
                text = self._discard(text)
        return "".join(out)

    def tick(self, now: float | None = None) -> str:
        """What to feed the parser now: the end of a paste open too long."""
        now = time.monotonic() if now is None else now
        if self._state == _PASTE and now - self._started > self.max_seconds:
            return self._cut(f"longer than {self.max_seconds:g} seconds")
        if self._state == _DISCARD and now - self._last_input > self.max_seconds:
            # The paste's end marker never came and the input has gone quiet.
            self._state = _NORMAL
            self._carry = ""
        return ""

    def _normal(self, text: str, now: float, out: list[str]) -> str:
        seen = self._tail + text
        found = seen.find(PASTE_START)
        if found < 0:
            out.append(text)
            self._tail = seen[-(len(PASTE_START) - 1) :]
            return ""
        end = found + len(PASTE_START) - len(self._tail)
        out.append(text[:end])
        self._tail = ""
        self._state = _PASTE
        self._started = now
        self._kept = 0
        self._carry = ""
        return text[end:]

    def _paste(self, text: str, now: float, out: list[str]) -> str:
        data = self._carry + text
        found = data.find(PASTE_END)
        if found >= 0:
            content, marker, rest = data[:found], PASTE_END, data[found + len(PASTE_END) :]
            self._carry = ""
        else:
            held = _held_back(data, PASTE_END)
            content, marker, rest = data[: len(data) - held], "", ""
            self._carry = data[len(data) - held :]
        content = content.replace(ESC, "")
        room = self.max_chars - self._kept
        if len(content) > room:
            out.append(content[:room])
            self._kept += room
            self.dropped += len(content) - room
            out.append(self._cut(f"longer than {self.max_chars:,} characters"))
            if marker:  # the paste ended in this read after all
                self._state = _NORMAL
            return rest
        out.append(content)
        self._kept += len(content)
        if marker:
            out.append(marker)
            self._state = _NORMAL
        elif now - self._started > self.max_seconds:
            out.append(self._cut(f"longer than {self.max_seconds:g} seconds"))
        return rest

    def _discard(self, text: str) -> str:
        data = self._carry + text
        found = data.find(PASTE_END)
        if found >= 0:
            self.dropped += found  # (what was held back was not counted)
            self._carry = ""
            self._state = _NORMAL
            return data[found + len(PASTE_END) :]
        held = _held_back(data, PASTE_END)
        self.dropped += len(data) - held
        self._carry = data[len(data) - held :]
        return ""

    def _cut(self, why: str) -> str:
        """End the paste here: the parser gets an end marker, the rest is dropped."""
        self._state = _DISCARD
        self._carry = ""
        self.notices.append(
            f"The paste was {why}: only its first {self._kept:,} characters were kept."
        )
        return PASTE_END


# --------------------------------------------------------------------------
# Textual hooks.


def clamp_resize(event: events.Resize) -> None:
    """Clamp a resize event (from the terminal or typed as input) in place."""
    from textual.geometry import Size

    size = Size(*clamp_size(*event.size))
    if size != event.size:
        event.size = event.virtual_size = event.container_size = size
        event.pixel_size = None


_watched: Callable[[], Any] | None = None  # the running app (a weak reference)

#: Polls of the input with nothing read, within one second, that mean the
#: terminal is gone (an idle terminal is polled ten times a second).
HANGUP_TICKS = 1000


def _hang_up() -> None:
    """The terminal is gone: end the app (from the input thread, as Textual's
    own driver reports its errors), and stop polling meanwhile."""
    app = _watched() if _watched is not None else None
    if app is not None and getattr(app, "_running", False):
        app.call_later(app.exit, None, 1)
    time.sleep(0.1)


def _wait_for_the_app() -> None:
    """Hold the input thread while the app has a backlog (see the module)."""
    while True:
        app = _watched() if _watched is not None else None
        if app is None or not getattr(app, "_running", False):
            return  # (not started, or shutting down: it joins this thread)
        if _backlog(app) < MAX_BACKLOG:
            return
        time.sleep(0.005)


def _backlog(app: Any) -> int:
    """Messages waiting for the app and its widgets (input events are
    forwarded to the focused widget, and bubble up from there)."""
    try:
        pumps = [app, *app._registry]
    except RuntimeError:  # (read from the input thread: a widget came or went)
        return MAX_BACKLOG
    # Only queues that exist: the input thread must not create one (a cached
    # property, which the app's thread may be creating at the same moment).
    queues = [vars(pump).get("_message_queue") for pump in pumps]
    return sum(queue.qsize() for queue in queues if queue is not None)


def _limited_parser(base: Any) -> Any:
    from textual.notifications import Notification, Notify

    class LimitedXTermParser(base):  # type: ignore[misc]
        """Textual's parser with an :class:`InputLimiter` in front, which
        survives its own errors."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.limiter = InputLimiter()
            self._idle_ticks = 0
            self._idle_since = 0.0
            super().__init__(*args, **kwargs)

        def feed(self, data: str) -> Iterable[Message]:
            self._idle_ticks = 0
            _wait_for_the_app()
            if data:  # (an empty string is the end of input)
                data = self.limiter.feed(data)
                if not data:
                    yield from self._notices()
                    return
            yield from self._guarded(super().feed, data)
            yield from self._notices()

        def tick(self) -> Iterable[Message]:
            now = time.monotonic()
            if self._idle_ticks == 0 or now - self._idle_since > 1.0:
                self._idle_ticks, self._idle_since = 0, now
            self._idle_ticks += 1
            if self._idle_ticks >= HANGUP_TICKS:
                self._idle_ticks = 0
                _hang_up()
            injected = self.limiter.tick()
            if injected:
                yield from self._guarded(super().feed, injected)
            yield from self._guarded(lambda _: super(LimitedXTermParser, self).tick(), "")
            yield from self._notices()

        def _guarded(self, step: Any, data: str) -> Iterable[Message]:
            """Textual's parser fails on some input (a kitty key beyond
            U+10FFFF, a mouse report after an in-band resize of 0 pixels), and
            an error in the input thread ends the app with a traceback on the
            reader's screen: the rest of that read is dropped instead, and the
            parser starts afresh."""
            try:
                yield from step(data)
            except Exception:
                base.__init__(self)

        def _notices(self) -> Iterable[Message]:
            while self.limiter.notices:
                text = self.limiter.notices.pop(0)
                yield Notify(Notification(text, severity="warning", timeout=6, markup=False))

    return LimitedXTermParser


def install(app: object) -> None:
    """Put an :class:`InputLimiter` in front of the parser of Textual's Linux
    drivers (they make one per run, by this name), and hold their input while
    ``app`` has a backlog.  Safe to call again."""
    import importlib

    global _watched
    _watched = weakref.ref(app)

    for name in ("textual.drivers.linux_driver", "textual.drivers.linux_inline_driver"):
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - not on this platform
            continue
        parser = getattr(module, "XTermParser", None)
        if parser is not None and not getattr(parser, "_lbn_limited", False):
            limited = _limited_parser(parser)
            limited._lbn_limited = True
            vars(module)["XTermParser"] = limited
