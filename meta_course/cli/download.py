"""``python -m meta_course download``: fetch (and md5-check) the Omniglot files, then decode and cache them."""

from __future__ import annotations

from pathlib import Path

HELP = "download and verify the Omniglot files (minimal by default), then build the decoded cache"


def add_arguments(p) -> None:
    from ..tasks.omniglot import SPLITS

    p.add_argument("--split", nargs="+", default=["minimal"], choices=[*SPLITS, "runs", "all"],
                   help="splits to fetch (default: minimal); 'runs' = Lake's all_runs.zip; 'all' = every file")
    p.add_argument("--root", type=Path, help="data folder (default: $META_COURSE_DATA, else ~/.cache/meta_course)")
    p.add_argument("--size", type=int, default=28, help="image side of the decoded cache (default 28)")
    p.add_argument("--no-cache", action="store_true", help="only download and verify; do not decode")


def run(args) -> int:
    from ..tasks.omniglot import SOURCES, SPLITS, data_root, fetch, load_split, md5sum

    names = list(SPLITS) + ["runs"] if "all" in args.split else args.split
    files = []
    for name in names:
        for f in (("all_runs.zip",) if name == "runs" else SPLITS[name]):
            if f not in files:
                files.append(f)
    print(f"data folder: {data_root(args.root)}")
    for f in files:
        path = fetch(f, args.root)
        print(f"  ok  {f:32s} md5 {md5sum(path)} (expected {SOURCES[f][1]})")
    if not args.no_cache:
        for name in names:
            if name != "runs":
                print(f"  {load_split(name, args.root, args.size)}")
    return 0
