"""``bench gp``: the conditional neural process against the exact GP posterior on held-out GP tasks.

For K = 3, 5, 10 context points, on fresh tasks of the family the CNP was trained on, prints the
negative log-likelihood per target point (nats) of the CNP and of the oracle (the exact posterior
under the true kernel and noise), their paired gap with a 95% CI, the MSE of both means, and the
share of targets inside the CNP's ±2σ band (0.954 for a calibrated Gaussian). The attentive CNP
(``anp_gp``, each target attends over the context instead of reading the mean) gets the same rows on
the same tasks, plus its paired difference to the CNP.
"""

from __future__ import annotations

import torch

HELP = "CNP vs the exact GP posterior: NLL per target point at 3/5/10 context points"

K_SHOTS = (3, 5, 10)
RECIPE = "cnp_gp"
ATTENTIVE_RECIPE = "anp_gp"


def add_arguments(p) -> None:
    p.add_argument("--tasks", type=int, default=1000, help="held-out tasks per K (default 1000)")
    p.add_argument("--n-query", type=int, default=100, help="target points per task")
    p.add_argument("--seed", type=int, default=2026, help="seed of the held-out tasks (never used in training)")
    p.add_argument("--k-shots", type=int, nargs="*", default=list(K_SHOTS), help="context sizes (default 3 5 10)")


def gp_rows(cnp, family, n_tasks: int = 1000, n_query: int = 100, seed: int = 2026, k_shots=K_SHOTS,
            attentive=None) -> list[dict]:
    """One row per (method, K): ``nll`` and ``mse`` (mean ± 95% CI over tasks); the ``gap`` rows are the
    paired per-task differences CNP − oracle. With an ``attentive`` CNP, three more rows per K on the same
    tasks: ``anp``, ``anp_gap`` (ANP − oracle) and ``anp_vs_cnp`` (ANP − CNP), each paired per task.

    Example:
        >>> from meta_course.learners.memory.cnp import CNP
        >>> from meta_course.tasks.gp import GPTasks
        >>> rows = gp_rows(CNP(hidden=8, r_dim=4), GPTasks(), n_tasks=20, n_query=10, k_shots=(3,))
        >>> [r["method"] for r in rows]
        ['cnp', 'oracle', 'gap']
    """
    from ..evaluate import mean_ci95
    from ..learners.memory.cnp import Gaussian, gaussian_nll

    def predict(model, tasks) -> Gaussian:
        with torch.no_grad():  # the model on its own device, the oracle and the scores on the CPU
            return Gaussian(*(t.cpu() for t in model.distribution(tasks.to(next(model.parameters()).device))))

    rows = []
    for k in k_shots:
        tasks = family.sample(torch.Generator().manual_seed(seed + k), n_tasks, k, n_query)
        preds = {"cnp": predict(cnp, tasks), "oracle": family.posterior(tasks.x_support, tasks.y_support, tasks.x_query)}
        if attentive is not None:
            preds["anp"] = predict(attentive, tasks)
        nll = {m: gaussian_nll(tasks.y_query, d.mean, d.std).flatten(1).mean(1) for m, d in preds.items()}
        mse = {m: ((d.mean - tasks.y_query) ** 2).flatten(1).mean(1) for m, d in preds.items()}
        for m, d in preds.items():
            (n_mean, n_ci), (e_mean, e_ci) = mean_ci95(nll[m]), mean_ci95(mse[m])
            row = {"method": m, "k_shot": k, "nll": n_mean, "ci95": n_ci, "mse": e_mean, "mse_ci95": e_ci}
            if m != "oracle":
                row["coverage_2sigma"] = ((tasks.y_query - d.mean).abs() <= 2 * d.std).double().mean().item()
            rows.append(row)
            if m == "oracle":
                gap, gap_ci = mean_ci95(nll["cnp"] - nll["oracle"])
                rows.append({"method": "gap", "k_shot": k, "nll": gap, "ci95": gap_ci})
        if attentive is not None:
            for name, (a, b) in (("anp_gap", ("anp", "oracle")), ("anp_vs_cnp", ("anp", "cnp"))):
                diff, diff_ci = mean_ci95(nll[a] - nll[b])
                rows.append({"method": name, "k_shot": k, "nll": diff, "ci95": diff_ci})
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [f"{'K':>3s}  {'CNP NLL':>15s}  {'oracle NLL':>15s}  {'gap (paired)':>15s}  {'CNP MSE':>8s}  "
             f"{'oracle MSE':>10s}  {'±2σ coverage':>12s}"]
    for k in dict.fromkeys(r["k_shot"] for r in rows):
        c, o, g = (next(r for r in rows if r["k_shot"] == k and r["method"] == m) for m in ("cnp", "oracle", "gap"))
        lines.append(f"{k:3d}  {c['nll']:7.3f} ± {c['ci95']:5.3f}  {o['nll']:7.3f} ± {o['ci95']:5.3f}  "
                     f"{g['nll']:7.3f} ± {g['ci95']:5.3f}  {c['mse']:8.3f}  {o['mse']:10.3f}  {c['coverage_2sigma']:12.3f}")
    if any(r["method"] == "anp" for r in rows):
        lines += ["", f"{'K':>3s}  {'ANP NLL':>15s}  {'ANP gap (paired)':>16s}  {'ANP − CNP':>15s}  {'ANP MSE':>8s}  "
                      f"{'±2σ coverage':>12s}"]
        for k in dict.fromkeys(r["k_shot"] for r in rows):
            a, g, d = (next(r for r in rows if r["k_shot"] == k and r["method"] == m) for m in ("anp", "anp_gap", "anp_vs_cnp"))
            lines.append(f"{k:3d}  {a['nll']:7.3f} ± {a['ci95']:5.3f}  {g['nll']:8.3f} ± {g['ci95']:5.3f}  "
                         f"{d['nll']:7.3f} ± {d['ci95']:5.3f}  {a['mse']:8.3f}  {a['coverage_2sigma']:12.3f}")
    return "\n".join(lines)


def trained_family(recipe: str = RECIPE):
    """The GP family a recipe trains on (its ``task_args`` minus the episode sizes)."""
    from ..recipes import get_recipe
    from ..tasks.gp import GPTasks

    args = {k: v for k, v in get_recipe(recipe).task_args.items() if k not in ("k_shot", "n_query")}
    return GPTasks(**args)


def run(args) -> dict:
    from ..checkpoints import checkpoint_path
    from ..learners import load_learner

    cnp, anp = (load_learner(checkpoint_path(r)).eval() for r in (RECIPE, ATTENTIVE_RECIPE))
    family = trained_family()
    if trained_family(ATTENTIVE_RECIPE) != family:
        raise ValueError(f"{ATTENTIVE_RECIPE} and {RECIPE} train on different GP families: compare them on one.")
    print(f"held-out GP tasks ({family}): {args.tasks} per K (seed {args.seed}), {args.n_query} target points each; "
          f"checkpoints {checkpoint_path(RECIPE)}, {checkpoint_path(ATTENTIVE_RECIPE)}")
    rows = gp_rows(cnp, family, args.tasks, args.n_query, args.seed, tuple(args.k_shots), attentive=anp)
    print("\nNegative log-likelihood per target point (nats, mean ± 95% CI over tasks):")
    print(format_table(rows))
    return {"rows": rows, "settings": {"tasks": args.tasks, "n_query": args.n_query, "seed": args.seed,
                                       "family": family.__dict__, "recipe": RECIPE,
                                       "attentive_recipe": ATTENTIVE_RECIPE}}
