"""Widgets: they receive data and post messages; the screens decide."""
