"""`python -m app` and the `twinlens` script: the CLI when given arguments, the desktop app otherwise."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:
        from core.cli import main as cli_main

        return int(cli_main(args))
    from app.gui import run_gui

    return int(run_gui())


if __name__ == "__main__":
    sys.exit(main())
