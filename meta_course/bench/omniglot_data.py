"""``bench omniglot-data``: how fast the Omniglot data layer is.

Measures (1) the first load of both minimal splits from the zips (decode every PNG, write the cache;
run with an empty temporary cache), (2) the cached load (a new process would read the cache:
the in-process memo is cleared), (3) 5-way 1-shot (Q=15) episodes per second, one task per call and
meta-batches of 32, unstructured and within-alphabet. Targets: first load < 20 s, cached < 1 s,
≥ 2000 episodes/s.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import torch

HELP = "Omniglot data layer speed: first/cached load of the minimal splits, episodes per second"
TARGETS = {"first_load_s": 20.0, "cached_load_s": 1.0, "episodes_per_s": 2000.0}


def add_arguments(p) -> None:
    p.add_argument("--root", type=Path, help="data folder (default: $META_COURSE_DATA, else ~/.cache/meta_course)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--seconds", type=float, default=2.0, help="time budget per episode measurement")


def _rate(tasks, n_tasks: int, seconds: float) -> float:
    g = torch.Generator().manual_seed(0)
    tasks.sample(g, n_tasks)  # warm-up
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        tasks.sample(g, n_tasks)
        done += n_tasks
    return done / (time.perf_counter() - t0)


def measure(root=None, seconds: float = 2.0) -> list[dict]:
    from ..tasks import omniglot as om
    from ..tasks.omniglot import splits

    rows = []
    old = os.environ.get("META_COURSE_CACHE")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["META_COURSE_CACHE"] = tmp
        try:
            for what in ("first_load_s", "cached_load_s"):
                splits._SPLIT_MEMO.clear()
                t0 = time.perf_counter()
                for name in ("minimal1", "minimal2"):
                    om.load_split(name, root, progress=False)
                rows.append({"measure": what, "value": time.perf_counter() - t0, "target": TARGETS[what],
                             "what": "minimal1 + minimal2, 5840 drawings at 28x28"})
        finally:
            if old is None:
                os.environ.pop("META_COURSE_CACHE", None)
            else:
                os.environ["META_COURSE_CACHE"] = old
    for within in (False, True):
        tasks = om.OmniglotTasks("minimal", "train", n_way=5, k_shot=1, q_query=15, within_alphabet=within, root=root)
        for batch in (1, 32):
            rows.append({"measure": "episodes_per_s", "value": _rate(tasks, batch, seconds),
                         "target": TARGETS["episodes_per_s"],
                         "what": f"5-way 1-shot Q=15, meta-batch {batch}, {'within-alphabet' if within else 'unstructured'}"})
    return rows


def run(args) -> dict:
    torch.set_num_threads(args.threads)
    rows = measure(args.root, args.seconds)
    print(f"{'measure':16s} {'value':>10s} {'target':>10s}  what")
    for r in rows:
        ok = r["value"] >= r["target"] if r["measure"] == "episodes_per_s" else r["value"] <= r["target"]
        print(f"{r['measure']:16s} {r['value']:10.3f} {r['target']:10.0f}  {r['what']}{'' if ok else '  (misses target)'}")
    return {"threads": args.threads, "rows": rows}
