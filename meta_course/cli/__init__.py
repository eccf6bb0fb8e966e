"""Command line: ``python -m meta_course {train,evaluate,bench,download,runs,app} ...``.

:data:`COMMANDS` is the table of subcommands; each module defines ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import sys

from ..core.io import LockedError
from . import app, bench, download, evaluate, runs, train

COMMANDS = {"train": train, "evaluate": evaluate, "bench": bench, "download": download, "runs": runs, "app": app}


def build_parser(prog: str = "python -m meta_course") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (default: one line)")
    debug = argparse.ArgumentParser(add_help=False)  # also accepted after the command
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP, parents=[debug])
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; a known error (bad input, a missing or corrupt file, a NaN stop, a locked output) prints
    one line ``error: ...`` and returns 2 (``--debug``: the traceback); Ctrl-C prints how to resume, returns 130."""
    args = build_parser().parse_args(argv)
    args._argv = list(sys.argv[1:] if argv is None else argv)  # e.g. train --nproc re-runs it under torchrun
    try:
        return int(args._run(args) or 0)
    except KNOWN_ERRORS as err:  # a clear message, no traceback
        if args.debug:
            raise
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    except (MemoryError, RuntimeError) as err:
        if args.debug or not _out_of_memory(err):
            raise
        reason = " ".join((str(err).strip().splitlines() or [""])[0].split())[:200]
        print(f"error: out of memory ({type(err).__name__}: {reason}): ask for fewer tasks, points or steps, or a "
              "smaller batch.", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        if args.debug:
            raise
        print(f"{err}" if str(err) else "interrupted", file=sys.stderr)
        return 130


#: errors whose message says what went wrong and how to fix it (anything else is a bug: its traceback is shown)
KNOWN_ERRORS = (ValueError, FileNotFoundError, NotADirectoryError, FloatingPointError, LockedError)


def _out_of_memory(err: BaseException) -> bool:
    """Whether ``err`` is an allocation failure (host ``MemoryError``, torch's CPU allocator, CUDA/MPS out of memory)."""
    text = str(err).lower()
    return isinstance(err, MemoryError) or "can't allocate memory" in text or "out of memory" in text
