"""Every use of Textual's private API, in one place.

Each function names the private attribute it relies on; tests/test_textual_compat.py
checks each against the installed Textual, so an upgrade that changes one
fails there, not at a reader's first frame or crash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.app import App
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

#: The private names used below and by tui/input_limits.py (checked by
#: tests/test_architecture.py).
PRIVATE_NAMES = {
    "App": (
        "_validate_theme",
        "_refresh_truecolor_filter",
        "_exit_renderables",
        "_close_messages_no_wait",
        # tui/input_limits.py: the app's backlog, and resizes before Textual's handler.
        "_registry",
        "_running",
        "_on_resize",
    ),
    "Footer": ("_bindings_ready",),
    "MessagePump": ("_message_queue",),  # tui/input_limits.py
}
#: Module attributes replaced at run time (tui/input_limits.py).
PRIVATE_MODULE_NAMES = {
    "textual.drivers.linux_driver": ("XTermParser",),
    "textual.drivers.linux_inline_driver": ("XTermParser",),
}

#: Names imported from Textual's private modules (checked by the same test).
PRIVATE_MODULE_NAMES = {"textual.widgets._footer": ("FooterKey",)}


def set_theme_before_run(app: App[Any], name: str) -> None:
    """What setting ``app.theme`` does, less its CSS refresh.

    Before the app runs there is no CSS to refresh, and the refresh that
    setting the theme schedules would re-parse every stylesheet and restyle
    every widget just before the first frame (~4 ms).  App.__init__ sets up
    its default theme the same way.  (``_validate_theme``,
    ``_refresh_truecolor_filter``.)
    """
    app.set_reactive(type(app).theme, app._validate_theme(name))
    dark = app.current_theme.dark
    classes = {c: False for c in app.classes if c.startswith("-theme-")}
    classes.update({f"-theme-{name}": True, "-dark-mode": dark, "-light-mode": not dark})
    app.update_classes(classes, update=False)
    app._refresh_truecolor_filter(app.ansi_theme)
    # The stylesheet was made with the default theme's variables.
    app.stylesheet.set_variables(app.get_css_variables())


def exit_with_message(app: App[Any], message: RenderableType) -> None:
    """Stop the app now and print ``message`` after the terminal is restored.

    For `App._fatal_error`, whose own version prints a traceback with local
    values.  (``_exit_renderables``, ``_close_messages_no_wait``.)
    """
    app._exit_renderables.append(message)
    app._close_messages_no_wait()


def mark_footer_bindings_ready(footer: Footer) -> None:
    """What `Footer.bindings_changed` sets before it recomposes (``_bindings_ready``)."""
    footer._bindings_ready = True


def footer_bindings_ready(footer: Footer) -> bool:
    """Whether `Footer.compose` would show keys yet (``_bindings_ready``)."""
    return bool(footer._bindings_ready)


def footer_key_class() -> type[FooterKey]:
    """`FooterKey`, the widget `Footer.compose` yields per key (``textual.widgets._footer``)."""
    from textual.widgets._footer import FooterKey

    return FooterKey
