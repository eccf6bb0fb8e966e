"""``bench scaling``: meta-steps per second of the one training loop on 1, 2, … processes (torch.distributed).

For every process count N of ``--nproc``, N fresh processes join a process group on loopback (gloo on the CPU,
each with one thread; NCCL with ``--device cuda``, one GPU each) and meta-train ``--recipe`` through
:func:`meta_course.train.train`: every rank samples the same meta-batch, computes its share of the tasks, and the
meta-gradient is all-reduced. The clock runs on rank 0 from the end of step ``--warmup`` to the end of the last
step (process start-up, imports and the first steps are not counted). Speed-up = steps/s with N processes over
steps/s with one. The ideal is N when the meta-batch splits evenly and the all-reduce is cheap next to a step;
on a CPU shared with other work, the processes also compete for the cores (the report records the load average).

On N GPUs of one machine::

    python -m meta_course bench scaling --device cuda --nproc 1 2 4 8 --recipe maml_vinyals_5way1shot --steps 100
"""

from __future__ import annotations

import os
import platform
import socket
import tempfile
import time
from pathlib import Path

import torch

from ..core.checks import check_int

HELP = "meta-steps/s of the training loop on 1, 2, ... processes (torch.distributed; gloo on cpu, NCCL on cuda)"


def add_arguments(p) -> None:
    p.add_argument("--recipe", default="maml_sine", help="recipe to meta-train (default maml_sine: no data needed)")
    p.add_argument("--nproc", type=int, nargs="+", default=[1, 2], help="process counts to measure (default 1 2)")
    p.add_argument("--steps", type=int, default=300, help="timed meta-steps per process count (default 300)")
    p.add_argument("--warmup", type=int, default=20, help="untimed meta-steps first (default 20)")
    p.add_argument("--meta-batch-size", type=int, help="tasks per meta-step (default: the recipe's)")
    p.add_argument("--device", default="cpu", help="cpu (gloo, one thread per process) or cuda (NCCL, one GPU each)")
    p.add_argument("--repeats", type=int, default=1, help="measure each process count this many times, keep the best")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank: int, world_size: int, port: int, job: dict, out: str) -> None:
    """One process of a measurement: join the group, train, and (rank 0) write the time of the timed steps."""
    import torch.distributed as dist

    from .. import recipes

    torch.set_num_threads(1)
    cuda = job["device"].startswith("cuda")
    if cuda:
        torch.cuda.set_device(rank)
    dist.init_process_group("nccl" if cuda else "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world_size)
    marks: dict[int, float] = {}

    def clock(step: int, values: dict) -> None:
        if step in (job["warmup"], job["warmup"] + job["steps"]):
            if cuda:
                torch.cuda.synchronize()
            marks[step] = time.perf_counter()

    try:
        recipes.train_recipe(job["recipe"], steps=job["warmup"] + job["steps"], meta_batch_size=job["meta_batch_size"],
                             device=job["device"], progress=False, callback=clock, log_every=10**9)
    finally:
        dist.destroy_process_group()
    if rank == 0:
        seconds = marks[job["warmup"] + job["steps"]] - marks[job["warmup"]]
        Path(out).write_text(f"{seconds!r}")


def measure(recipe: str, nproc: int, steps: int, warmup: int, meta_batch_size: int, device: str = "cpu") -> float:
    """Seconds of ``steps`` meta-steps of ``recipe`` on ``nproc`` fresh processes (after ``warmup`` steps)."""
    import torch.multiprocessing as mp

    job = {"recipe": recipe, "steps": steps, "warmup": warmup, "meta_batch_size": meta_batch_size, "device": device}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "seconds")
        mp.spawn(_rank, args=(nproc, _free_port(), job, out), nprocs=nproc, join=True)
        return float(Path(out).read_text())


def run(args) -> dict:
    from .. import recipes
    from ..core.distributed import check_world_size

    recipe = recipes.get_recipe(args.recipe)
    batch = args.meta_batch_size or recipe.meta_batch_size
    check_int("--steps", args.steps, 1, fix="Timed meta-steps, e.g. 300.")
    check_int("--warmup", args.warmup, 1, fix="Untimed meta-steps first, e.g. 20.")
    check_int("--repeats", args.repeats, 1, 100, "e.g. 3 on a busy machine (the best run is kept).")
    if args.device not in ("cpu", "cuda"):
        raise ValueError(f"--device {args.device!r}: bench scaling runs on cpu (gloo) or cuda (NCCL).")
    if args.device == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("--device cuda: CUDA is not available here; use --device cpu.")
        if max(args.nproc) > torch.cuda.device_count():
            raise ValueError(f"--nproc {max(args.nproc)} with --device cuda: this machine has "
                             f"{torch.cuda.device_count()} GPU(s); allowed 1 to {torch.cuda.device_count()}.")
    for n in args.nproc:
        check_world_size(n, batch)
    load_before = os.getloadavg()
    rows = []
    for n in args.nproc:
        seconds = min(measure(args.recipe, n, args.steps, args.warmup, batch, args.device) for _ in range(args.repeats))
        rows.append({"nproc": n, "seconds": round(seconds, 3), "steps_per_s": round(args.steps / seconds, 2),
                     "tasks_per_s": round(args.steps * batch / seconds, 1)})
    base = next((r["steps_per_s"] for r in rows if r["nproc"] == 1), None)
    for r in rows:
        r["speedup"] = round(r["steps_per_s"] / base, 2) if base else None
    load_after = os.getloadavg()
    print(f"bench scaling: {args.recipe}, meta-batch {batch}, {args.steps} timed steps after {args.warmup}, "
          f"device {args.device}, {os.cpu_count()} CPU(s), load average {load_before[0]:.1f} → {load_after[0]:.1f}")
    print(f"{'processes':>9}  {'steps/s':>8}  {'tasks/s':>8}  {'speed-up':>8}")
    for r in rows:
        print(f"{r['nproc']:>9}  {r['steps_per_s']:>8.2f}  {r['tasks_per_s']:>8.1f}  "
              f"{r['speedup'] if r['speedup'] is not None else '-':>8}")
    print("on N GPUs: python -m meta_course bench scaling --device cuda --nproc 1 2 4 8 "
          "--recipe maml_vinyals_5way1shot --steps 100")
    return {"recipe": args.recipe, "meta_batch_size": batch, "steps": args.steps, "warmup": args.warmup,
            "device": args.device, "repeats": args.repeats, "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            "torch": torch.__version__, "python": platform.python_version(), "rows": rows}
