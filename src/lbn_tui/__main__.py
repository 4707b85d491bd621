"""`lbn-tui` and `python -m lbn_tui`: pause the collector, then the command line."""

from lbn_tui import collector


def run() -> int:
    collector.pause_for_start_up()  # before Textual and the app are imported
    from lbn_tui.cli import main

    return main()


if __name__ == "__main__":
    raise SystemExit(run())
