"""`python -m app` and the `twinlens` script: the CLI when given arguments, the desktop app otherwise."""

from __future__ import annotations

import multiprocessing
import sys


def main(argv: list[str] | None = None) -> int:
    # In a PyInstaller bundle the decoder workers the GUI spawns run this same executable: this makes them workers
    # instead of a second app. A no-op outside a bundle.
    multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else argv
    if args:
        from core.cli import main as cli_main

        return int(cli_main(args))
    from app.gui import run_gui

    return int(run_gui())


if __name__ == "__main__":
    sys.exit(main())
