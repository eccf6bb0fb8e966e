"""``bench metagrad``: the cost of second-order MAML, measured beside first-order MAML and Reptile.

One meta-step = the meta-gradient of a meta-batch, vectorised with ``vmap``: forward through
``inner_steps`` inner steps and back (MAML, FOMAML), or ``inner_steps`` SGD steps per task without a
graph (Reptile). ``--setting sine``: 25 sine tasks (K=10, 10 query points) on the paper's 1-40-40-1
ReLU MLP; ``--setting omniglot``: the ``maml_omniglot`` recipe's 8 five-way one-shot tasks on its
Conv-4 (needs the Omniglot data). Time: median
of ``--repeats`` runs after a warm-up. Peak memory: the running sum of the CPU allocator's
allocations and frees recorded by ``torch.profiler`` (``profile_memory=True``) during one step, above
the level at its start (``tracemalloc`` would only see Python objects, not tensor storage).

It also prints the correctness figures of lesson 03: the HVP-product meta-gradient against autograd
and float64 finite differences; the article's formula, first-order MAML and the correct expansion to
first order in α against the true meta-gradient, with their log-log slopes in α (tanh network);
and the first-order error of the ReLU sine network.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

HELP = "second-order MAML meta-step time/peak memory vs first order and Reptile (1-8 inner steps)"


def add_arguments(p) -> None:
    p.add_argument("--steps", type=int, nargs="+", default=[1, 2, 4, 8], help="inner steps to measure")
    p.add_argument("--repeats", type=int, default=20, help="timed meta-steps per cell (median reported)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: comparable numbers)")
    p.add_argument("--skip-accuracy", action="store_true", help="only the cost table")
    p.add_argument("--setting", nargs="+", default=["sine"], choices=["sine", "omniglot"],
                   help="network and tasks to time: the sine MLP and/or Omniglot's Conv-4 (default sine)")


def accuracy_figures() -> dict:
    """HVP vs autograd vs finite differences; article and FO errors; FO slope (float64, seeded)."""
    from torch import nn

    from ..core.functional import adapted_query_loss
    from ..core.metagrad import (autograd_meta_gradient, finite_difference_gradient, flatten,
                                 maml_meta_gradient, relative_error)
    from ..lessons.derivations import first_order_error, formula_errors, loglog_slope, tanh_mlp
    from ..models import MLP
    from ..tasks import Episode
    from ..tasks.sine import SineTasks

    mse = nn.functional.mse_loss
    torch.manual_seed(0)
    net = MLP((1, 40, 40, 1)).double()
    params = {k: v.detach() for k, v in net.named_parameters()}
    batch = Episode(*(t.double() for t in SineTasks().sample(torch.Generator().manual_seed(0), 10, 10, 10)))
    ep = batch.task(0)
    out = {"hvp_vs_autograd": {}, "hvp_vs_fd": {}}
    for k in (1, 5):
        g = maml_meta_gradient(net, params, *ep, mse, 0.01, k)
        out["hvp_vs_autograd"][k] = relative_error(g, autograd_meta_gradient(net, params, *ep, mse, 0.01, k))
        u, d = finite_difference_gradient(lambda p: adapted_query_loss(net, p, *ep, mse, 0.01, k), params, 1e-6,
                                          directions=20, generator=torch.Generator().manual_seed(1))
        out["hvp_vs_fd"][k] = relative_error(u @ flatten(g), d)
    alphas = [1e-4, 1e-3, 1e-2]
    out["fo_error_relu"] = dict(zip(alphas, first_order_error(net, params, batch, mse, alphas)))
    out["fo_slope_relu"] = loglog_slope(alphas, list(out["fo_error_relu"].values()))
    torch.manual_seed(0)
    smooth = tanh_mlp((1, 40, 40, 1))  # Taylor claims need a smooth net (ReLU kinks add O(α) jumps)
    sp = {k: v.detach() for k, v in smooth.named_parameters()}
    errors = formula_errors(smooth, sp, batch, mse, alphas)
    out["formula_errors_tanh"] = {"alphas": alphas, **errors}
    out["slopes_tanh"] = {k: loglog_slope(alphas, v) for k, v in errors.items()}
    return out


def format_cost(rows) -> str:
    steps = sorted({r.inner_steps for r in rows})
    cell = {(r.method, r.inner_steps): r for r in rows}
    head = f"{'inner steps':>11s}" + "".join(f"{m:>22s}" for m in ("MAML (2nd order)", "FOMAML", "Reptile")) \
        + f"{'2nd/FO time':>13s}"
    lines = [head, f"{'':11s}" + f"{'ms   peak kB':>22s}" * 3]
    for k in steps:
        parts = []
        for m in ("maml", "fomaml", "reptile"):
            r = cell.get((m, k))
            parts.append(f"{r.ms:11.1f} {r.peak_bytes / 1e3:9.0f}" + " " if r else f"{'-':>22s}")
        ratio = cell[("maml", k)].ms / cell[("fomaml", k)].ms if ("maml", k) in cell and ("fomaml", k) in cell else float("nan")
        lines.append(f"{k:11d}" + "".join(f"{p:>22s}" for p in parts) + f"{ratio:12.2f}x")
    return "\n".join(lines)


def run(args) -> dict:
    from ..core.checks import check_int
    from ..lessons.derivations import cost_setting, cost_table

    for s in args.steps:
        check_int("--steps", s, 1, 64, "Inner steps to measure, e.g. 1 2 4 8.")
    check_int("--repeats", args.repeats, 1, 10_000)
    check_int("--threads", args.threads, 1, os.cpu_count() or 1)
    torch.set_num_threads(args.threads)
    report = {"cost": [], "threads": args.threads, "torch": torch.__version__}
    for setting in args.setting:
        rows = cost_table(args.steps, repeats=args.repeats, progress=True, setting=setting)
        print(f"\nOne meta-step, {cost_setting(setting)[-1]}, vmap, {args.threads} thread(s); "
              "median time, peak memory above the start (torch.profiler allocation events):")
        print(format_cost(rows))
        report["cost"] += [{**r._asdict(), "setting": setting} for r in rows]
    if not args.skip_accuracy:
        acc = accuracy_figures()
        report["accuracy"] = acc
        print("\nMeta-gradient correctness (float64, random init, α=0.01, relative errors):")
        for k in acc["hvp_vs_autograd"]:
            print(f"  {k} step(s): HVP product vs autograd {acc['hvp_vs_autograd'][k]:.1e}, "
                  f"vs central finite differences {acc['hvp_vs_fd'][k]:.1e}")
        fe = acc["formula_errors_tanh"]
        print("  one-step meta-gradient formulas vs the true one (tanh MLP 1-40-40-1, 10 tasks):")
        print(f"  {'α':>9s}" + "".join(f"{a:>10g}" for a in fe["alphas"]) + f"{'slope':>8s}")
        for key, label in (("article", "article"), ("first_order", "FOMAML"), ("expansion", "O(α) exp.")):
            print(f"  {label:>9s}" + "".join(f"{e:10.2e}" for e in fe[key]) + f"{acc['slopes_tanh'][key]:8.2f}")
        print("  first-order error, ReLU MLP: " + ", ".join(f"{e:.4f} at α={a:g}" for a, e in acc["fo_error_relu"].items())
              + f"; log-log slope {acc['fo_slope_relu']:.2f}")
    return report
