"""``python -m meta_course bench NAME``: run a benchmark and print its table."""

NAME = "bench"
HELP = "run a benchmark (sine, omniglot, ...) and print its table"


def add_arguments(p) -> None:
    from ..__main__ import discover

    sub = p.add_subparsers(dest="bench", metavar="BENCH", required=True)
    for name, module in discover("meta_course.bench").items():
        q = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(q)
        q.set_defaults(_bench=module.run)


def run(args) -> int:
    return int(args._bench(args) or 0)
