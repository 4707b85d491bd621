"""Every binding id a settings file's ``[keys]`` table may name.

Listed here so that a settings file with a ``[keys]`` table is checked at
start-up without importing every screen, dialog and widget behind those
ids (about 10 ms of CPU of a 0.25 s start).  ``tests/test_settings.py``
checks this table against the bindings themselves, so a binding added
without its id here fails the tests.
"""

from __future__ import annotations

BINDING_IDS: frozenset[str] = frozenset(
    {
        # app
        "app.quit",
        "app.help",
        # browser
        "browser.search",
        "browser.contents",
        "browser.copy",
        "browser.star",
        "browser.export",
        "browser.copy-reference",
        "browser.copy-url",
        "browser.find-next",
        "browser.find-previous",
        "browser.back",
        "browser.forward",
        "browser.leave-hit",
        "browser.close-contents",
        # reader
        "reader.next",
        "reader.previous",
        "reader.follow",
        "reader.first",
        "reader.last",
        "reader.page-down",
        "reader.page-up",
        "reader.half-down",
        "reader.half-up",
        # search
        "search.filter",
        "search.filter-back",
        "search.down",
        "search.up",
        "search.pagedown",
        "search.pageup",
        "search.close",
        # contents tree
        "nav.expand",
        "nav.collapse",
        # help
        "help.close",
        # export
        "export.close",
        "export.save",
        "export.copy",
        "export.format",
        # copy
        "copy-text.close",
        "copy-text.copy",
        "copy-text.select-all",
        # palette
        "palette.close",
    }
)
