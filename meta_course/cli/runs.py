"""``python -m meta_course runs --method NAME``: Lake's 20-way within-alphabet one-shot benchmark.

Prints each run's error and the mean error (%) of a method — a baseline (``mhd``, ``pixel-nn``) or a
learner that registered itself (loading its committed checkpoint unless ``--checkpoint`` is given).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

HELP = "Lake's one-shot benchmark (20-way, within alphabet): per-run and mean error of a method"


def add_arguments(p) -> None:
    p.add_argument("--method", help="a registered method (see --list), e.g. mhd, pixel-nn, protonet")
    p.add_argument("--runs-dir", type=Path,
                   help="folder of runNN/ folders or a zip of them (default: $META_COURSE_DATA/one_shot_runs_01-10.zip)")
    p.add_argument("--checkpoint", help="learner file (or committed checkpoint name) instead of the method's default")
    p.add_argument("--json", type=Path, help="also write {mean_error_percent, per_run: [{run, error_percent}]} here")
    p.add_argument("--list", action="store_true", help="list the registered methods and exit")
    p.add_argument("--runs", help="only these runs, comma-separated (e.g. run01,run02)")
    p.add_argument("--device", help="cpu, cuda, mps, or auto (cuda → mps → cpu); default cpu")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")


def run(args) -> int:
    import torch

    from ..core.checks import check_choice, check_int
    from ..recipes import get_runs_method, runs_methods
    from ..tasks.lake_runs import default_runs_path, evaluate_runs, load_runs

    methods = runs_methods()
    if args.list:
        width = max(map(len, methods))
        for name, help_ in methods.items():
            print(f"{name:<{width}}  {help_}")
        return 0
    if args.method is None:
        raise ValueError(f"pass --method NAME: one of {', '.join(methods)} (`--list` describes them).")
    check_choice("method", args.method, list(methods), "List them with `python -m meta_course runs --list`.")
    if args.threads is not None:
        torch.set_num_threads(check_int("threads", args.threads, 1, 1024, "Use e.g. --threads 1."))
    from ..core.device import resolve_device
    device = resolve_device(args.device) if args.device is not None else None

    score_fn = get_runs_method(args.method, checkpoint=args.checkpoint, device=device)  # a bad checkpoint: at once
    path = args.runs_dir if args.runs_dir is not None else default_runs_path()
    runs = load_runs(path, runs=args.runs)
    t0 = time.perf_counter()
    res = evaluate_runs(score_fn, runs, progress=True)
    seconds = time.perf_counter() - t0

    print(f"{args.method} on {len(runs)} runs of {path} (20-way one-shot, within alphabet):")
    for r, run in zip(res["per_run"], runs):
        print(f"  {r['run']}  error {r['error_percent']:5.1f}%  ({r['n_wrong']}/{len(run.test)} wrong)")
    print(f"mean error {res['mean_error_percent']:.2f}%  ({seconds:.1f} s)")
    if args.json:
        out = {"method": args.method, "mean_error_percent": res["mean_error_percent"],
               "per_run": [{"run": r["run"], "error_percent": r["error_percent"]} for r in res["per_run"]]}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1))
    return 0
