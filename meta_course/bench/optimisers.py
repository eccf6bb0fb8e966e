"""``bench optimisers``: learned optimisers against SGD and Adam with tuned step sizes, on held-out problems.

- Random 10-d quadratics (Andrychowicz et al. 2016, Section 3.1): the committed ``l2lopt_quadratic``
  optimiser vs SGD and Adam, each with the step size of a grid that did best on separate validation
  problems; loss f(θ_t) after 10 / 50 / 100 steps from the same random start.
- Sine MLPs: ``l2lopt_sine`` (learned optimiser + learned θ_0) and ``metalstm_sine`` (LSTM
  meta-learner) vs SGD and Adam from the *same* initialisation, tuned the same way; query MSE after
  1 / 5 / 10 steps at K = 5. Same step budget, same gradients: only the update rule differs.
"""

from __future__ import annotations

import torch

HELP = "learned optimisers (L2L, meta-LSTM) vs tuned SGD/Adam on held-out quadratics and sine tasks"
GRID = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)


def add_arguments(p) -> None:
    p.add_argument("--problems", type=int, default=200, help="held-out problems per table (default 200)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the held-out problems")
    p.add_argument("--val-problems", type=int, default=0,
                   help="validation problems for tuning the step sizes (0: 64 quadratics / 200 sine tasks)")


def quadratic_table(n_problems: int = 200, seed: int = 2026, steps: int = 100, n_val: int = 64) -> dict:
    """Mean ± 95% CI of f(θ_t) at t = 10, 50, 100 for the learned optimiser, SGD and Adam."""
    from ..learners import load_learner
    from ..learners.optimisation.l2l_optimizer import loss_curves, tune_lr
    from ..tasks.linear import QuadraticTasks
    from ..checkpoints import checkpoint_path
    from ..evaluate import mean_ci95

    opt = load_learner(checkpoint_path("l2lopt_quadratic"))
    val = QuadraticTasks().sample(torch.Generator().manual_seed(seed + 1), n_val)
    test = QuadraticTasks().sample(torch.Generator().manual_seed(seed), n_problems)
    lrs = {m: tune_lr(opt, val, m, steps, GRID, on="support") for m in ("sgd", "adam")}
    curves = loss_curves(opt, test, steps, lrs, on="support")
    at = (10, 50, steps)
    rows = {m: {t: mean_ci95(c[:, t]) for t in at} for m, c in curves.items()}
    return {"lrs": lrs, "steps": at, "rows": rows, "curves": {m: c.mean(0).tolist() for m, c in curves.items()}}


def sine_table(n_problems: int = 200, seed: int = 2026, n_val: int = 200) -> dict:
    """Query MSE at K=5 after 1/5/10 steps: each learned update rule vs SGD/Adam from its own θ_0."""
    from ..learners import load_learner
    from ..learners.optimisation.l2l_optimizer import hand_designed_path
    from ..checkpoints import checkpoint_path
    from ..core.functional import task_loss
    from ..evaluate import evaluate, mean_ci95
    from ..tasks.sine import SineTasks

    val = SineTasks().sample(torch.Generator().manual_seed(seed + 1), n_val, 5, 50)
    test = SineTasks().sample(torch.Generator().manual_seed(seed), n_problems, 5, 100)
    out = {}
    for recipe in ("l2lopt_sine", "metalstm_sine"):
        learner = load_learner(checkpoint_path(recipe))
        start = learner.initial_params() if hasattr(learner, "initial_params") else learner.params()
        init = {k: v.detach() for k, v in start.items()}  # θ_0 of the learned rule: the same start for all

        def curve(method, lr, tasks):
            def one(xs, ys, xq, yq):
                path = hand_designed_path(learner.net, learner.loss_fn, init, xs, ys, method, lr, 10)
                return torch.stack([task_loss(learner.net, path[s], xq, yq, learner.loss_fn) for s in (1, 5, 10)])
            return torch.func.vmap(one, randomness="different")(*tasks)

        rows = {"learned": {s: (r.mean, r.ci95) for s in (1, 5, 10) for r in [evaluate(learner, test, inner_steps=s)]}}
        lrs = {}
        for method in ("sgd", "adam"):
            scores = {}
            for lr in GRID:
                final = curve(method, lr, val)[:, -1]
                scores[lr] = final.mean().item() if torch.isfinite(final).all() else float("inf")
            lrs[method] = min(scores, key=scores.get)
            c = curve(method, lrs[method], test)
            rows[method] = {s: mean_ci95(c[:, i]) for i, s in enumerate((1, 5, 10))}
        out[recipe] = {"lrs": lrs, "rows": rows}
    return out


def run(args) -> dict:
    from ..core.checks import check_int

    check_int("--problems", args.problems, 1, 100_000, "The table uses 200.")
    check_int("--val-problems", args.val_problems, 0, 100_000, "0 uses the table's validation sets.")
    quad = quadratic_table(args.problems, args.seed, n_val=args.val_problems or 64)
    print(f"Held-out random quadratics f(θ) = ‖Wθ − y‖² (10-d, {args.problems} problems, same random start); "
          f"step sizes tuned on {args.val_problems or 64} validation problems: SGD {quad['lrs']['sgd']}, "
          f"Adam {quad['lrs']['adam']}")
    print(f"{'optimiser':12s}" + "".join(f"{f'f after {t} steps':>22s}" for t in quad["steps"]))
    for m, row in quad["rows"].items():
        print(f"{m:12s}" + "".join(f"{row[t][0]:13.3f} ± {row[t][1]:6.3f}" for t in quad["steps"]))
    sine = sine_table(args.problems, args.seed, n_val=args.val_problems or 200)
    for recipe, res in sine.items():
        print(f"\nSine K=5, query MSE, {recipe} vs SGD/Adam from its own θ_0 (tuned: {res['lrs']}):")
        print(f"{'update rule':12s}" + "".join(f"{f'{s} steps':>18s}" for s in (1, 5, 10)))
        for m, row in res["rows"].items():
            print(f"{m:12s}" + "".join(f"{row[s][0]:9.3f} ± {row[s][1]:6.3f}" for s in (1, 5, 10)))
    return {"quadratic": quad, "sine": sine}
