"""Command line: ``python -m meta_course {train,evaluate,bench,download,runs,app} ...``.

:data:`COMMANDS` is the table of subcommands; each module defines ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import sys

from . import app, bench, download, evaluate, runs, train

COMMANDS = {"train": train, "evaluate": evaluate, "bench": bench, "download": download, "runs": runs, "app": app}


def build_parser(prog: str = "python -m meta_course") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except (ValueError, FileNotFoundError) as err:  # bad input: a clear message, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
