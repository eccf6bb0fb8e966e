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

import contextlib
import os
import statistics
import sys
import time
from typing import NamedTuple, Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from .. import recipes
from ..core.checks import check_choice, check_int
from ..core.functional import adapted_query_loss, meta_batch_loss
from ..core.metagrad import (autograd_meta_gradient, finite_difference_gradient, first_order_error, flatten,
                             formula_errors, loglog_slope, maml_meta_gradient, relative_error)
from ..learners.optimisation.reptile import adapted_params
from ..models import MLP
from ..models.mlp import tanh_mlp
from ..tasks import Episode
from ..tasks.sine import SineTasks

HELP = "second-order MAML meta-step time/peak memory vs first order and Reptile (1-8 inner steps)"


# ---------------------------------------------------------------------------------------------------
# Cost: second order vs first order vs Reptile, measured (lesson 03, lesson 07)
# ---------------------------------------------------------------------------------------------------


class StepCost(NamedTuple):
    """Median wall time (ms) of one meta-step and its peak extra memory (bytes)."""

    method: str
    inner_steps: int
    ms: float
    peak_bytes: int


@contextlib.contextmanager
def _silence_native_stderr():
    """The profiler's native library prints "profiler_start/stop" lines straight to file descriptor 2
    (no setting turns them off in torch 2.13); point fd 2 at /dev/null while it runs."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _peak_bytes(fn) -> int:
    """Peak of the running sum of CPU allocations minus frees while ``fn`` runs, from
    ``torch.profiler(profile_memory=True)``. (``tracemalloc`` cannot be used: it sees Python's own
    allocator, not tensor storage.)"""
    from torch.profiler import ProfilerActivity, profile

    with _silence_native_stderr(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events() if e.name() == "[memory]")
    current = peak = 0
    for _, nbytes in events:
        current += nbytes
        peak = max(peak, current)
    return peak


#: what :func:`meta_step_cost` can measure: the sine MLP of lesson 01 and the Omniglot Conv-4 of lesson 07
COST_SETTINGS = ("sine", "omniglot")


def cost_setting(setting: str = "sine"):
    """``(model, episodes, loss_fn, inner_lr, description)`` of a cost measurement.

    ``"sine"``: the MAML paper's meta-batch of 25 sine tasks (K=10, 10 queries), MLP 1-40-40-1, α=0.01.
    ``"omniglot"``: the ``maml_omniglot`` recipe's meta-batch — 8 tasks, 5-way 1-shot, 2 queries per
    class, 28×28 — on its Conv-4 (32 channels, batch-statistics norm), α=0.4; needs the Omniglot data
    (``META_COURSE_DATA``).
    """
    check_choice("setting", setting, COST_SETTINGS, "Pick the network and tasks to time.")
    torch.manual_seed(0)
    if setting == "sine":
        episodes = SineTasks().sample(torch.Generator().manual_seed(0), 25, k_shot=10, n_query=10)
        return (MLP((1, 40, 40, 1)), episodes, nn.functional.mse_loss, 0.01,
                "25 sine tasks (K=10), MLP 1-40-40-1, α=0.01")

    recipe = recipes.get_recipe("maml_omniglot")  # the setting *is* the recipe: its network, tasks and α
    learner, sample = recipes.build("maml_omniglot", seed=0)
    episodes = sample(torch.Generator().manual_seed(0), recipe.meta_batch_size)
    a = recipe.task_args
    return (learner.net, episodes, learner.loss_fn, learner.inner_lr,
            f"{recipe.meta_batch_size} Omniglot tasks ({a['n_way']}-way {a['k_shot']}-shot, {a['q_query']} "
            f"queries/class), Conv-4 {recipe.config['model']['hidden']} channels, α={learner.inner_lr:g}")


def meta_step_cost(method: str, inner_steps: int, setting: str = "sine", repeats: int = 10,
                   memory: bool = True) -> StepCost:
    """Measure one meta-step (meta-gradient of a meta-batch) of ``method`` in a :func:`cost_setting`.

    Args:
        method: ``"maml"`` (second order), ``"fomaml"`` or ``"reptile"``.
        inner_steps: inner gradient steps per task.
        setting: ``"sine"`` (the MLP) or ``"omniglot"`` (Conv-4), see :func:`cost_setting`.
        repeats: timed repetitions after one warm-up; the median is reported.
        memory: also measure the peak memory (one extra profiled run).

    Returns:
        :class:`StepCost` — milliseconds and peak bytes allocated above the starting point.
    """
    check_choice("method", method, ("maml", "fomaml", "reptile"))
    check_int("inner_steps", inner_steps, 1, 1000)
    check_int("repeats", repeats, 1, 10_000)
    model, episodes, loss_fn, inner_lr, _ = cost_setting(setting)
    params = {k: t.detach().requires_grad_() for k, t in model.named_parameters()}

    def step():
        if method == "reptile":  # θ − mean_i φ_i, φ_i = U^k(θ) on task i's support set, no graph
            with torch.no_grad():
                phi = adapted_params(model, params, episodes, loss_fn, inner_lr, inner_steps, inner_data="support")
            return {k: params[k].detach() - phi[k].mean(0) for k in params}
        loss = meta_batch_loss(model, params, episodes, loss_fn, inner_lr, inner_steps,
                               first_order=method == "fomaml")
        return torch.autograd.grad(loss, list(params.values()))

    step()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(1e3 * (time.perf_counter() - t0))
    peak = _peak_bytes(step) if memory else -1
    return StepCost(method, inner_steps, statistics.median(times), peak)


def cost_table(steps: Sequence[int] = (1, 2, 4, 8), methods=("maml", "fomaml", "reptile"), repeats: int = 10,
               progress: bool = False, setting: str = "sine") -> list[StepCost]:
    """:func:`meta_step_cost` for every method and number of inner steps (what ``bench metagrad`` prints)."""
    jobs = [(m, k) for k in steps for m in methods]
    return [meta_step_cost(m, k, setting=setting, repeats=repeats)
            for m, k in tqdm(jobs, disable=not progress, desc=f"meta-step cost ({setting})")]


def add_arguments(p) -> None:
    p.add_argument("--steps", type=int, nargs="+", default=[1, 2, 4, 8], help="inner steps to measure")
    p.add_argument("--repeats", type=int, default=20, help="timed meta-steps per cell (median reported)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: comparable numbers)")
    p.add_argument("--skip-accuracy", action="store_true", help="only the cost table")
    p.add_argument("--setting", nargs="+", default=["sine"], choices=["sine", "omniglot"],
                   help="network and tasks to time: the sine MLP and/or Omniglot's Conv-4 (default sine)")


def accuracy_figures() -> dict:
    """HVP vs autograd vs finite differences; article and FO errors; FO slope (float64, seeded)."""
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
