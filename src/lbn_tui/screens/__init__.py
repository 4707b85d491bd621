"""Screens: the browser, the help screen and the export dialog."""
