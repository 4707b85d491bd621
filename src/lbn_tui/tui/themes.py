"""The app's own themes: calm (dark, the default) and paper (light)."""

from __future__ import annotations

from textual.theme import Theme

CALM = Theme(
    name="lbn-calm",
    primary="#7BA8A1",
    secondary="#C9AE7C",
    accent="#D9925B",
    foreground="#DAD6CC",
    background="#1C2124",
    surface="#232A2E",
    panel="#2C353A",
    success="#8DB77A",
    warning="#E0B65A",
    error="#D9705F",
    dark=True,
    variables={
        "footer-key-foreground": "#D9925B",
        "block-cursor-text-style": "bold",
    },
)

PAPER = Theme(
    name="lbn-paper",
    primary="#2F6F69",
    secondary="#7D6231",
    accent="#B0552A",
    foreground="#2A2925",
    background="#F5F2EA",
    surface="#ECE8DD",
    panel="#E2DDCF",
    success="#4E7A3A",
    warning="#8A6100",
    error="#A63A2B",
    dark=False,
)

DEFAULT_THEME = CALM.name
