"""``bench sine``: every committed sine learner on fresh held-out tasks, beside the MAML paper.

Prints MSE ± 95% CI for K = 5, 10, 20 after 1, 5 and 10 inner steps (learners that adapt by reading
the support set, like the conditional neural process, get one row with ``steps: 0`` — one forward pass —
and their negative log-likelihood per query point); meta-training speed of the
vmap core against a per-task Python loop (and against ``higher`` when it is installed); and the
widget's update time. ``--retrain`` first retrains every sine recipe with its paper settings.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

HELP = "sine-wave regression: MSE after 1/5/10 steps for K=5/10/20, speed, widget latency"

K_SHOTS, STEPS = (5, 10, 20), (1, 5, 10)
# Finn et al. (2017), Appendix C, K=5, after 1 / 5 / 10 gradient steps.
PAPER = {"maml": (0.67, 0.38, 0.35), "pretrained": (2.41, 2.23, 2.19)}
#: learners with no inner loop: scored once (``steps: 0``), with their NLL as well as the MSE of their mean
NO_INNER_LOOP = ("cnp",)


def add_arguments(p) -> None:
    p.add_argument("--retrain", action="store_true", help="retrain every sine recipe first (paper settings)")
    p.add_argument("--retrain-dir", type=Path, default=Path("runs/bench-sine"), help="where --retrain writes")
    p.add_argument("--tasks", type=int, default=1000, help="held-out tasks per K (default 1000)")
    p.add_argument("--n-query", type=int, default=100, help="query points per task")
    p.add_argument("--seed", type=int, default=2026, help="seed of the held-out tasks (never used in training)")
    p.add_argument("--methods", nargs="*", help="only these learners (default: every sine checkpoint)")
    p.add_argument("--skip-speed", action="store_true", help="skip the speed and widget timings")
    p.add_argument("--speed-steps", type=int, default=40, help="timed meta-steps per speed row (default 40)")
    p.add_argument("--jobs", type=int, default=2, help="parallel trainings with --retrain (one thread each)")


def sine_recipes(methods=None) -> list[str]:
    """Recipe names of every sine learner (optionally only those whose learner is in ``methods``)."""
    from ..recipes import RECIPES
    return sorted(name for name, r in RECIPES.items()
                  if r.task == "sine" and (methods is None or r.learner in methods))


def retrain(names: list[str], out_dir: Path, jobs: int) -> dict[str, Path]:
    """Train each recipe in its own process (one thread each, ``jobs`` at a time)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths, running, queue = {}, [], list(names)
    t0 = time.perf_counter()
    while queue or running:
        while queue and len(running) < jobs:
            name = queue.pop(0)
            paths[name] = out_dir / f"{name}.pt"
            cmd = [sys.executable, "-m", "meta_course", "train", name, "--threads", "1", "--no-progress",
                   "--out", str(paths[name]), "--checkpoint", str(out_dir / f"{name}.state.pt")]
            print("$", " ".join(cmd[1:]), flush=True)
            running.append((name, subprocess.Popen(cmd)))
        time.sleep(0.5)
        for item in list(running):
            if item[1].poll() is not None:
                running.remove(item)
                if item[1].returncode != 0:
                    raise RuntimeError(f"training {item[0]} failed (exit {item[1].returncode}); rerun it to resume.")
    print(f"retrained {len(names)} recipes in {time.perf_counter() - t0:.0f} s")
    return paths


def held_out_tasks(k_shot: int, n_tasks: int = 1000, n_query: int = 100, seed: int = 2026):
    """The benchmark's held-out sine tasks for one K (seed ``seed + k_shot``): what the README's table and
    lesson 01's evaluation score, so both print the same numbers."""
    from ..tasks.sine import SineTasks

    return SineTasks().sample(torch.Generator().manual_seed(seed + k_shot), n_tasks, k_shot, n_query)


def evaluate_rows(learners: dict, n_tasks: int, n_query: int, seed: int) -> list[dict]:
    from ..evaluate import evaluate

    rows = []
    for k_shot in K_SHOTS:
        tasks = held_out_tasks(k_shot, n_tasks, n_query, seed)
        for method, learner in learners.items():
            if method in NO_INNER_LOOP:
                rows.append(read_row(method, learner, tasks, k_shot))
                continue
            for steps in STEPS:
                r = evaluate(learner, tasks, inner_steps=steps)
                rows.append({"method": method, "k_shot": k_shot, "steps": steps, "mse": r.mean, "ci95": r.ci95})
    return rows


def read_row(method: str, learner, tasks, k_shot: int) -> dict:
    """The row of a learner that adapts in one forward pass: MSE of its mean and NLL, ``steps: 0``."""
    from ..evaluate import evaluate, mean_ci95

    r = evaluate(learner, tasks, inner_steps=0)
    with torch.no_grad():
        nll, nll_ci = mean_ci95(learner.score(tasks, metric="nll"))
    return {"method": method, "k_shot": k_shot, "steps": 0, "mse": r.mean, "ci95": r.ci95, "nll": nll, "nll_ci95": nll_ci}


def format_table(rows: list[dict]) -> str:
    lines = [f"{'method':14s} {'K':>3s}  " + "  ".join(f"{f'{s} step' + ('s' if s > 1 else ''):>15s}" for s in STEPS)
             + "   paper (K=5)"]
    for method in dict.fromkeys(r["method"] for r in rows):
        for k in K_SHOTS:
            cells = {r["steps"]: r for r in rows if r["method"] == method and r["k_shot"] == k}
            if 0 in cells:  # no inner loop: one forward pass
                c = cells[0]
                lines.append(f"{method:14s} {k:3d}  {c['mse']:7.3f} ± {c['ci95']:5.3f}  (0 steps: one forward pass; "
                             f"NLL {c['nll']:.3f} ± {c['nll_ci95']:.3f} nats/point)")
                continue
            paper = PAPER.get(method) if k == 5 else None
            lines.append(f"{method:14s} {k:3d}  " + "  ".join(f"{cells[s]['mse']:7.3f} ± {cells[s]['ci95']:5.3f}" for s in STEPS)
                         + ("   " + " / ".join(f"{v:.2f}" for v in paper) if paper else ""))
    return "\n".join(lines)


def speed(n_steps: int = 40) -> list[dict]:
    """Meta-training steps/s: vmap core vs per-task loop (vs ``higher``), meta-batch 25."""
    from .. import recipes

    out = []
    for inner_steps in (1, 5):
        learner, sample = recipes.build("maml_sine", inner_steps=inner_steps)
        row = {"inner_steps": inner_steps,
               "vmap": steps_per_second(learner, sample, n_steps),
               "loop": steps_per_second(learner, sample, max(5, n_steps // 4), use_vmap=False)}
        try:
            row["higher"] = higher_steps_per_second(inner_steps, max(5, n_steps // 4))
        except ImportError:
            row["higher"] = None
        out.append(row)
    return out


def steps_per_second(learner, sample_tasks, n_steps: int = 50, meta_batch_size: int = 25, seed: int = 0,
                     **meta_loss_kwargs) -> float:
    """Meta-training steps per second: the learner's meta-loss, backward, and a step of its own optimisers
    (``meta_loss_kwargs``, e.g. ``use_vmap=False``, select the variant being timed)."""
    optimizers = learner.optimizers(1e-3)
    generator = torch.Generator().manual_seed(seed)
    batches = [sample_tasks(generator, meta_batch_size) for _ in range(n_steps + 3)]
    for i, episodes in enumerate(batches):
        if i == 3:  # after warm-up
            t0 = time.perf_counter()
        for opt in optimizers.values():
            opt.zero_grad(set_to_none=True)
        learner.meta_loss(episodes, **meta_loss_kwargs).backward()
        for opt in optimizers.values():
            opt.step()
    return n_steps / (time.perf_counter() - t0)


def higher_steps_per_second(inner_steps: int, n_steps: int) -> float:
    """The same MAML step written with the ``higher`` library (a reference, not a dependency)."""
    import higher

    from .. import recipes

    learner, sample = recipes.build("maml_sine", inner_steps=inner_steps)
    net, alpha = learner.net, learner.inner_lr
    outer = torch.optim.Adam(net.parameters(), lr=1e-3)
    inner = torch.optim.SGD(net.parameters(), lr=alpha)
    g = torch.Generator().manual_seed(0)
    batches = [sample(g, 25) for _ in range(n_steps + 1)]
    for i, ep in enumerate(batches):
        if i == 1:
            t0 = time.perf_counter()
        outer.zero_grad()
        for t in range(ep.n_tasks):
            with higher.innerloop_ctx(net, inner, copy_initial_weights=False) as (fnet, diffopt):
                for _ in range(inner_steps):
                    diffopt.step(torch.nn.functional.mse_loss(fnet(ep.x_support[t]), ep.y_support[t]))
                (torch.nn.functional.mse_loss(fnet(ep.x_query[t]), ep.y_query[t]) / ep.n_tasks).backward()
        outer.step()
    return n_steps / (time.perf_counter() - t0)


def widget_latency(learners: dict, repeats: int = 15) -> float:
    """Median seconds for one widget frame: adapt every learner (10 steps) and render the PNG."""
    from ..viz.sine import SineFigure, sine_adaptation

    figure, times = SineFigure(list(learners)), []
    for i in range(repeats):  # what one slider move costs in sine_explorer
        t0 = time.perf_counter()
        res = sine_adaptation(learners, amplitude=1 + (i % 4), phase=0.5, k_shot=5, inner_steps=10, seed=i)
        figure.update(res).png()
        times.append(time.perf_counter() - t0)
    return statistics.median(times[2:])


def run(args) -> dict:
    from ..learners import load_learner
    from ..checkpoints import HERE

    names = sine_recipes(args.methods)
    if args.retrain:
        paths = retrain(names, args.retrain_dir, args.jobs)
    else:
        paths = {n: HERE / f"{n}.pt" for n in names if (HERE / f"{n}.pt").exists()}
    if not paths:
        raise FileNotFoundError(f"no sine checkpoints in {HERE}: run `python -m meta_course bench sine --retrain`.")
    learners = {}
    for name, path in paths.items():
        learner = load_learner(path)
        learners[learner.name] = learner
    print(f"held-out sine tasks: {args.tasks} per K (seed {args.seed}), {args.n_query} query points each; "
          f"checkpoints: {', '.join(str(p) for p in paths.values())}")
    rows = evaluate_rows(learners, args.tasks, args.n_query, args.seed)
    print("\nQuery MSE after adaptation (mean ± 95% CI):")
    print(format_table(rows))
    report = {"rows": rows}
    if not args.skip_speed:
        torch.set_num_threads(int(os.environ.get("BENCH_THREADS", torch.get_num_threads())))
        from ..core.checks import check_int

        report["speed"] = speed(check_int("--speed-steps", args.speed_steps, 1, 100_000, "The table uses 40."))
        print(f"\nMeta-training steps/s, MAML second order, meta-batch 25 ({torch.get_num_threads()} threads):")
        print(f"{'inner steps':>11s} {'vmap':>8s} {'loop':>8s} {'vmap/loop':>10s} {'higher':>8s} {'vmap/higher':>12s}")
        for s in report["speed"]:
            h = s["higher"]
            print(f"{s['inner_steps']:11d} {s['vmap']:8.1f} {s['loop']:8.1f} {s['vmap'] / s['loop']:9.1f}x "
                  + (f"{h:8.1f} {s['vmap'] / h:11.1f}x" if h else f"{'n/a':>8s} {'(pip install higher)':>12s}"))
        shown = {k: v for k, v in learners.items() if k in ("maml", "pretrained")} or learners
        report["widget_update_ms"] = 1000 * widget_latency(shown, repeats=max(3, min(15, args.speed_steps)))
        print(f"\nWidget update (adapt {', '.join(shown)} 10 steps + render PNG): median "
              f"{report['widget_update_ms']:.0f} ms")
    return report

