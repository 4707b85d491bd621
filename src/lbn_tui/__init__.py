"""lbn-tui: a terminal briefing browser for the APPG for 'left behind' neighbourhoods."""

__version__ = "0.1.0"
