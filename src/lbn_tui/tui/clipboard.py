"""Copying through the terminal (OSC 52): its size limit, and tmux's `set-clipboard`.

The app copies by writing ``ESC ] 52 ; c ; <base64> BEL`` to the terminal,
which puts the text on the reader's clipboard, over SSH too.  Two things
stop that silently, and the app says so instead:

- **Size.**  Terminals drop an OSC 52 sequence above a size.  100,000 bytes
  for the whole sequence is the limit the widely used OSC 52 helpers keep
  to (hterm's ``osc52.sh``, vim-oscyank), and one that xterm and tmux take:
  the 8 bytes of ``ESC ] 52 ; c ;`` and ``BEL`` plus the base64 of at most
  74,994 bytes of UTF-8 text (4 × 74,994 / 3 = 99,992).  Above
  `OSC52_MAX_BYTES` the app shows the text to select and copy in parts.
- **tmux.**  Inside tmux (``$TMUX`` set) the copy reaches the clipboard only
  when tmux's ``set-clipboard`` option is ``on`` (``external``, the default,
  ignores applications).  `TmuxClipboard` asks tmux once, on the first copy
  (never at start-up), with a short timeout, in a worker thread.
"""

from __future__ import annotations

import os
import subprocess
import threading

OSC52_MAX_BYTES = 74_994
"""The most UTF-8 bytes one OSC 52 copy carries (a 100,000-byte sequence)."""

TMUX_FIX = "tmux set -g set-clipboard on"
TMUX_NOTICE = (
    "tmux's set-clipboard is not on, so the copy may not reach your clipboard. "
    f"To fix it: {TMUX_FIX}"
)
TMUX_TIMEOUT = 1.0
"""Seconds to wait for ``tmux show-options`` (a hung server must not hang the app)."""


def osc52_size(text: str) -> int:
    """The bytes of ``text`` that an OSC 52 copy carries (before base64)."""
    return len(text.encode("utf-8", errors="surrogatepass"))


def fits_osc52(text: str) -> bool:
    return osc52_size(text) <= OSC52_MAX_BYTES


def inside_tmux() -> bool:
    return bool(os.environ.get("TMUX"))


def ask_tmux_set_clipboard(timeout: float = TMUX_TIMEOUT) -> str | None:
    """tmux's global ``set-clipboard`` value (``on``, ``external``, ``off``), or
    None when tmux cannot say (not installed, no server, too slow)."""
    try:
        result = subprocess.run(
            ["tmux", "show-options", "-gv", "set-clipboard"],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = result.stdout.strip()
    return value if result.returncode == 0 and value else None


class TmuxClipboard:
    """Whether copies reach the clipboard through tmux: asked once, then remembered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._asked = False
        self._value: str | None = None

    @property
    def known(self) -> bool:
        """True once tmux has been asked (`blocks_copies` then returns at once)."""
        return self._asked

    def blocks_copies(self) -> bool:
        """True when tmux said ``set-clipboard`` is not ``on``.  Blocks on the
        first call (up to `TMUX_TIMEOUT`): call it from a thread."""
        with self._lock:
            if not self._asked:
                self._value = ask_tmux_set_clipboard()
                self._asked = True
        return self._value is not None and self._value != "on"
