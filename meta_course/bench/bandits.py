"""``bench bandits``: RL² and the classical bandit algorithms on held-out Bernoulli bandits.

For every setting (k arms, n pulls) the same ``--trials`` held-out tasks (p ~ U[0, 1]^k, drawn from
``--seed``, never used for training or tuning) and the same reward draws (paired: every method sees
the same uniform u_{b,t}, reward = u < p_a) are played by each method; a row is the mean total
reward of a trial ± the half-width of its 95% confidence interval, and the paired difference to the
finite-horizon Gittins policy (``minus_gittins`` ± its CI: same bandits, same draws). ε-greedy's ε and UCB1's c are
tuned on a grid (Duan et al.'s grids) over 1 000 *separate* tuning tasks. The Bayes-optimal row
(exact dynamic programming) is only computed for n ≤ 10; its ``exact`` field is the policy's exact
expected total reward under the prior, the ceiling of every method. RL² rows load the committed
checkpoints ``rl2_bandits_k{k}_n{n}`` (train them with ``python -m meta_course train NAME``); a
missing checkpoint is reported as missing, not replaced.

Paper column: Duan et al. (2016), Table 1, as far as quoted in this course (k = 5).
"""

from __future__ import annotations

import os
import time

import torch

HELP = "RL² vs random/greedy/ε-greedy/UCB1/Thompson/Gittins/Bayes-optimal on held-out Bernoulli bandits"

SETTINGS = [(5, 10), (10, 10), (5, 100), (10, 100)]
METHODS = ["random", "greedy", "epsilon_greedy", "ucb1", "ucb1_classic", "thompson", "gittins", "bayes_optimal", "rl2"]
LABELS = {"random": "random", "greedy": "greedy", "epsilon_greedy": "ε-greedy (tuned ε)",
          "ucb1": "UCB1 (Beta prior, tuned c)", "ucb1_classic": "UCB1 (Auer, c=1)", "thompson": "Thompson",
          "gittins": "Gittins (finite-horizon index)", "bayes_optimal": "Bayes-optimal (exact DP)", "rl2": "RL²"}
#: Duan et al. (2016), Table 1 — the values quoted by this course (mean total reward of a trial).
PAPER = {
    (5, 10): {"rl2": 6.7, "ucb1": 6.7, "gittins": 6.6, "thompson": 5.7, "random": 5.0},
    (5, 100): {"rl2": 78.7, "gittins": 78.3, "ucb1": 78.0},
}


def rl2_recipe_name(k: int, n: int) -> str:
    return f"rl2_bandits_k{k}_n{n}"


def add_arguments(p) -> None:
    p.add_argument("--trials", type=int, default=2000, help="held-out trials per setting (>= 1000 for the table)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the held-out tasks and reward draws")
    p.add_argument("--settings", nargs="+", default=[f"{k}x{n}" for k, n in SETTINGS],
                   help="settings as KxN (arms x pulls), default 5x10 10x10 5x100 10x100")
    p.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")


def _parse_setting(text: str) -> tuple[int, int]:
    from ..core.checks import check_int

    try:
        k, n = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"setting {text!r} must look like KxN, e.g. 5x10 (5 arms, 10 pulls).") from None
    return check_int("k", k, 2), check_int("n", n, 1)


def load_rl2(k: int, n: int):
    """The committed RL² agent for (k, n), or None when there is no checkpoint."""
    from ..checkpoints import checkpoint_path
    from ..learners import load_learner

    try:
        path = checkpoint_path(rl2_recipe_name(k, n))
    except FileNotFoundError:
        return None
    return load_learner(path)


def evaluate_setting(k: int, n: int, trials: int, seed: int, methods=METHODS) -> list[dict]:
    """Rows ``{"method", "k", "n", "mean_total_reward", "ci95", ...}`` for one setting."""
    from ..evaluate import mean_ci95
    from ..learners.rl.bandit_baselines import bayes_optimal_value, make_baseline, run_policy, tune_baseline
    from ..tasks.envs.bandits import BernoulliBandits

    family = BernoulliBandits(k=k, n=n)
    held_out = family.sample_tasks(trials, torch.Generator().manual_seed(seed))
    tuning = family.sample_tasks(1000, torch.Generator().manual_seed(seed + 1))
    rows, totals_of = [], {}
    for method in methods:
        t0 = time.perf_counter()
        extra = {}
        if method == "bayes_optimal" and n > 10:
            continue
        if method == "rl2":
            agent = load_rl2(k, n)
            if agent is None:
                rows.append({"method": "rl2", "k": k, "n": n, "mean_total_reward": None, "ci95": None,
                             "missing": f"no checkpoint {rl2_recipe_name(k, n)}"})
                continue
            totals = agent.score(held_out, seed=seed)
        else:
            hyper = tune_baseline(method, tuning, n, seed=seed + 2)
            totals = run_policy(make_baseline(method, **hyper), held_out, n, seed=seed).total_reward
            if hyper:
                extra["hyper"] = hyper
            if method == "bayes_optimal":
                extra["exact"] = bayes_optimal_value(k, n)
        totals_of[method] = totals.detach().cpu().double()
        mean, ci = mean_ci95(totals)
        rows.append({"method": method, "k": k, "n": n, "mean_total_reward": mean, "ci95": ci,
                     "trials": trials, "seconds": round(time.perf_counter() - t0, 2),
                     "paper": PAPER.get((k, n), {}).get(method), **extra})
    if "gittins" in totals_of:      # paired: same bandits, same reward draws
        for row in rows:
            if row["method"] in totals_of and row["method"] != "gittins":
                d, c = mean_ci95(totals_of[row["method"]] - totals_of["gittins"])
                row["minus_gittins"], row["minus_gittins_ci95"] = d, c
    return rows


def format_table(rows: list[dict]) -> str:
    lines = []
    for k, n in sorted({(r["k"], r["n"]) for r in rows}, key=lambda kn: (kn[1], kn[0])):
        lines.append(f"\nk = {k} arms, n = {n} pulls (held-out trials: mean total reward ± 95% CI)")
        lines.append(f"  {'method':32s}{'here':>18s}{'paper':>8s}  note")
        for r in (r for r in rows if (r["k"], r["n"]) == (k, n)):
            if r["mean_total_reward"] is None:
                lines.append(f"  {LABELS[r['method']]:32s}{'—':>18s}{'':8s}  {r['missing']}")
                continue
            paper = PAPER.get((k, n), {}).get(r["method"])
            notes = [f"{a}={b}" for a, b in r.get("hyper", {}).items()]
            if "minus_gittins" in r:
                notes.append(f"− Gittins (paired) {r['minus_gittins']:+.2f} ± {r['minus_gittins_ci95']:.2f}")
            if "exact" in r:
                notes.append(f"exact expected value {r['exact']:.3f}")
            note = "; ".join(notes)
            lines.append(f"  {LABELS[r['method']]:32s}{r['mean_total_reward']:10.2f} ± {r['ci95']:5.2f}"
                         f"{paper if paper is not None else '':>8}  {note}")
    return "\n".join(lines)


def run(args) -> dict:
    from ..core.checks import check_int

    check_int("--trials", args.trials, 1)
    check_int("--threads", args.threads, 1, os.cpu_count() or 1)
    torch.set_num_threads(args.threads)
    rows = []
    for text in args.settings:
        k, n = _parse_setting(text)
        rows += evaluate_setting(k, n, args.trials, args.seed, args.methods)
    print(format_table(rows))
    return {"rows": rows, "seed": args.seed, "trials": args.trials}
