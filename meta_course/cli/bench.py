"""``python -m meta_course bench NAME``: run a benchmark, print its table, and write its report with ``--json``."""

from __future__ import annotations

import json
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


def run(args) -> int:
    report = args._bench(args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, default=str))
        print(f"wrote {args.json}")
    return 0
