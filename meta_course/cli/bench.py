"""``python -m meta_course bench NAME``: run a benchmark, print its table, and write its report with ``--json``."""

from __future__ import annotations

import json
import re
from pathlib import Path

HELP = "run a benchmark (sine, omniglot, ...) and print its table"


def add_arguments(p) -> None:
    from ..bench.table import BENCHES

    sub = p.add_subparsers(dest="bench", metavar="BENCH", required=True)
    for name, module in BENCHES.items():
        q = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(q)
        q.add_argument("--json", type=Path, help="also write the report (its rows and settings) as JSON to this path")
        q.set_defaults(_bench=module.run)


#: flags several benchmarks share, checked here once for all of them (before any work): name -> (low, high, fix)
SHARED_FLAGS = {"threads": (1, 1024, "torch CPU threads; the tables were measured with --threads 1."),
                "jobs": (1, 64, "parallel processes, one thread each; e.g. --jobs 2."),
                # held-out sample sizes: a billion tasks would exhaust the memory (an OOM kill), not fail cleanly
                **{name: (1, 100_000, "The tables use 200-2000.")
                   for name in ("tasks", "episodes", "trials", "users", "problems", "sequences")}}


def report_json(report: dict) -> str:
    """``report`` as indented JSON, each list of plain values (numbers, strings) on one line — a table of per-run rows
    stays one line per run.

    Example:
        >>> print(report_json({"rows": [{"a": 1}], "values": [[1, 2.5, "x"], [3, 4.0, "y"]]}))
        {
         "rows": [
          {
           "a": 1
          }
         ],
         "values": [
          [1, 2.5, "x"],
          [3, 4.0, "y"]
         ]
        }
    """
    flat = []

    def mark(o):
        if isinstance(o, dict):
            return {k: mark(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            if o and all(v is None or isinstance(v, (bool, int, float, str)) for v in o):
                flat.append(json.dumps(list(o), default=str))
                return f"\0{len(flat) - 1}\0"
            return [mark(v) for v in o]
        return o

    text = json.dumps(mark(report), indent=1, default=str)
    return re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: flat[int(m.group(1))], text)


def run(args) -> int:
    from ..core.checks import check_int

    for flag, (low, high, fix) in SHARED_FLAGS.items():
        if getattr(args, flag, None) is not None:
            check_int(f"--{flag}", getattr(args, flag), low, high, fix)
    report = args._bench(args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(report_json(report))
        print(f"wrote {args.json}")
    return 0
