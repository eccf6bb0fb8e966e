"""``bench runs``: every registered method on Lake's one-shot runs: mean error, per run, time.

Default methods: every one registered (baselines and learners with a committed checkpoint; a
learner whose checkpoint is missing is listed as skipped, with the reason). References printed beside
the figures: the official demo's MHD on runs 01–10 (38.0%) and Lake et al. (2015) over 20 runs (38.8%).
"""

from __future__ import annotations

import time
from pathlib import Path

HELP = "Lake's one-shot runs (20-way, within alphabet): mean error of every method, per run, time"

# What the literature reports for the same protocol (20-way, within alphabet, one shot).
REFERENCE = {
    "mhd": "38.0 (official demo, runs 01-10); 38.8 (Lake et al. 2015, 20 runs)",
}


def add_arguments(p) -> None:
    p.add_argument("--runs-dir", type=Path, help="folder or zip of runs (default: $META_COURSE_DATA/one_shot_runs_01-10.zip)")
    p.add_argument("--methods", nargs="*", help="only these methods (default: every registered one)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--skip-speed", action="store_true", help="skip timing the brute-force MHD reference")


def mhd_speed(run, n_items: int = 5) -> dict:
    """Seconds per (test item, training image) pair: the row-table MHD against brute force (all point pairs)."""
    from ..tasks.lake_runs import ink_points, mhd_scorer, modified_hausdorff

    test = run.test[:n_items]
    t0 = time.perf_counter()
    fast = mhd_scorer(run.train, test)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    pts_tr = [ink_points(t) for t in run.train]
    brute = -torch_stack([[modified_hausdorff(ink_points(a), b) for b in pts_tr] for a in test])
    t_brute = time.perf_counter() - t0
    pairs = fast.numel()
    return {"pairs": pairs, "fast_ms_per_pair": 1e3 * t_fast / pairs, "brute_ms_per_pair": 1e3 * t_brute / pairs,
            "max_abs_difference": float((fast - brute).abs().max())}


def torch_stack(rows):
    import torch
    return torch.stack([torch.stack(r) for r in rows])


def bench_rows(runs, methods: list[str]) -> list[dict]:
    """One row per method: mean error, per-run errors and seconds (or the reason it was skipped)."""
    from ..recipes import get_runs_method
    from ..tasks.lake_runs import evaluate_runs

    rows = []
    for name in methods:
        try:
            score_fn = get_runs_method(name)
        except FileNotFoundError as err:  # a learner whose checkpoint is not committed yet
            rows.append({"method": name, "skipped": str(err)})
            continue
        t0 = time.perf_counter()
        res = evaluate_runs(score_fn, runs)
        rows.append({"method": name, "mean_error_percent": res["mean_error_percent"],
                     "per_run": [r["error_percent"] for r in res["per_run"]],
                     "seconds": time.perf_counter() - t0, "reference": REFERENCE.get(name, "")})
    return rows


def run(args) -> dict:
    import torch

    from ..core.checks import check_choice, check_int
    from ..recipes import runs_methods
    from ..tasks.lake_runs import default_runs_path, load_runs

    torch.set_num_threads(check_int("threads", args.threads, 1, 1024, "Use e.g. --threads 1."))
    known = list(runs_methods())
    methods = args.methods or known
    for m in methods:
        check_choice("method", m, known, "List them with `python -m meta_course runs --list`.")
    path = args.runs_dir if args.runs_dir is not None else default_runs_path()
    t0 = time.perf_counter()
    runs = load_runs(path)
    load_s = time.perf_counter() - t0
    print(f"Lake's one-shot benchmark: {len(runs)} runs of {path.name} (20-way, within alphabet), "
          f"loaded in {load_s:.2f} s")
    rows = bench_rows(runs, methods)
    print(f"| method | mean error % | per run | time s | reference error % |\n|---|---|---|---|---|")
    for r in rows:
        if "skipped" in r:
            print(f"| {r['method']} | skipped | {r['skipped'].split(':')[0]} | | |")
        else:
            per = ",".join(f"{e:.0f}" for e in r["per_run"])
            print(f"| {r['method']} | {r['mean_error_percent']:.2f} | {per} | {r['seconds']:.2f} | {r['reference']} |")
    speed = None
    if not args.skip_speed and "mhd" in methods:
        speed = mhd_speed(runs[0])
        print(f"MHD speed on {runs[0].name} ({speed['pairs']} pairs): row tables {speed['fast_ms_per_pair']:.2f} ms/pair, "
              f"brute force {speed['brute_ms_per_pair']:.2f} ms/pair "
              f"(×{speed['brute_ms_per_pair'] / speed['fast_ms_per_pair']:.1f}); "
              f"max |difference| {speed['max_abs_difference']:.1e}")
    return {"runs": [r.name for r in runs], "load_seconds": load_s, "rows": rows, "mhd_speed": speed}
