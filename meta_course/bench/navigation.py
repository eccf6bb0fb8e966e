"""``bench navigation``: MAML-RL, the pretrained policy, PEARL and a random policy on held-out goals.

Dense task (MAML's 2-D navigation, goals in [-0.5, 0.5]², horizon 100): every method is scored on the
same ``--tasks`` held-out goals (drawn from ``--seed``, never used in training). ``adaptation`` = s
counts inner policy-gradient steps (20 fresh trajectories per step, α of the recipe); a row is the
mean return of the 20 trajectories sampled after s steps, averaged over tasks ± the half-width of the
95% CI over tasks, and ``success_rate`` the share of those trajectories ending within 0.1 of the goal.

Sparse task (PEARL's point robot, goals on the unit half circle, reward only within 0.2, horizon
20): ``adaptation`` = s counts exploration episodes already seen; the row is the sparse return of
episode s + 1, which PEARL plays with z sampled from its posterior given episodes 1..s (posterior
sampling). ``success_rate`` is the share of tasks whose episode ends within the goal radius and
``reached_by`` the share of tasks whose goal region was entered in at least one of episodes 1..s + 1.

Comparisons are paired (same tasks, same seeds): the CI of the per-task difference.
"""

from __future__ import annotations

import math
import os

import torch

HELP = "2-D navigation: MAML-RL / pretrained / PEARL / random on held-out goals (returns, success)"

DENSE_RECIPES = {"maml-rl": "maml_rl_nav", "pretrained": "pretrained_rl_nav"}
SPARSE_RECIPES = {"pearl": "pearl_nav"}


def add_arguments(p) -> None:
    p.add_argument("--tasks", type=int, default=200, help="held-out goals per task family (default 200)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the held-out goals and of every sample")
    p.add_argument("--inner-steps", type=int, default=3, help="largest number of inner steps (dense)")
    p.add_argument("--episodes", type=int, default=5, help="exploration episodes for PEARL (sparse)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")


def mean_ci(values: torch.Tensor) -> tuple[float, float]:
    """Mean and 95% CI half-width (1.96 s / √n) of a 1-D tensor."""
    v = values.double().flatten()
    return v.mean().item(), (1.96 * v.std().item() / math.sqrt(v.numel())) if v.numel() > 1 else float("nan")


def load(recipe: str):
    """The committed checkpoint of ``recipe``, or None when it has not been trained yet."""
    from ..checkpoints import checkpoint_path
    from ..learners.base import load_learner

    try:
        learner = load_learner(checkpoint_path(recipe))
    except FileNotFoundError:
        return None
    return learner.eval()


def dense_rows(learners: dict, n_tasks: int, seed: int, inner_steps: int) -> tuple[list[dict], dict]:
    """Rows of the dense task and the per-task returns ``{method: [S + 1, T]}`` (for paired tests)."""
    from ..learners.rl.maml_rl import random_policy_returns
    from ..tasks.envs.navigation import PointNavigation, navigation_tasks

    tasks = navigation_tasks("square", 0.5)(torch.Generator().manual_seed(seed), n_tasks)
    rows, per_task = [], {}
    for method, learner in learners.items():
        returns, success = learner.adaptation_curve(tasks, inner_steps, generator=torch.Generator().manual_seed(seed))
        per_task[method] = returns
        for s in range(inner_steps + 1):
            m, c = mean_ci(returns[s])
            rows.append({"method": method, "task": "dense", "adaptation": s, "mean_return": m, "ci95": c,
                         "success_rate": success[s].mean().item()})
    ret, succ = random_policy_returns(PointNavigation.dense().config, tasks, 20, torch.Generator().manual_seed(seed))
    per_task["random"] = ret.unsqueeze(0)
    m, c = mean_ci(ret)
    rows.append({"method": "random", "task": "dense", "adaptation": 0, "mean_return": m, "ci95": c,
                 "success_rate": succ.mean().item()})
    return rows, per_task


def sparse_rows(pearl, n_tasks: int, seed: int, episodes: int) -> tuple[list[dict], dict]:
    """Rows of the sparse task: PEARL's posterior-sampling episodes and the random policy."""
    from ..learners.rl.maml_rl import random_policy_returns
    from ..tasks.envs.navigation import PointNavigation, navigation_tasks

    tasks = navigation_tasks("half_circle", 1.0)(torch.Generator().manual_seed(seed + 1), n_tasks)
    rows, per_task = [], {}
    if pearl is not None:
        eps, _, _ = pearl.explore(tasks, episodes, generator=torch.Generator().manual_seed(seed))
        reached = torch.zeros(n_tasks, dtype=torch.bool)
        per_task["pearl"] = torch.stack([e.returns for e in eps])
        per_task["pearl_reached"] = []
        for s, e in enumerate(eps):
            reached |= e.reached
            per_task["pearl_reached"].append(reached.clone())
            m, c = mean_ci(e.returns)
            rows.append({"method": "pearl", "task": "sparse", "adaptation": s, "mean_return": m, "ci95": c,
                         "success_rate": e.success.float().mean().item(),
                         "reached_by": reached.float().mean().item()})
    ret, succ = random_policy_returns(PointNavigation.sparse().config, tasks, 20, torch.Generator().manual_seed(seed))
    per_task["random"] = ret
    m, c = mean_ci(ret)
    rows.append({"method": "random", "task": "sparse", "adaptation": 0, "mean_return": m, "ci95": c,
                 "success_rate": succ.mean().item()})
    return rows, per_task


def comparisons(dense: dict, sparse: dict) -> list[dict]:
    """The paired checks the issue asks for, each as a mean difference ± its 95% CI."""
    out = []

    def diff(name, a, b):
        m, c = mean_ci(a - b)
        out.append({"comparison": name, "mean_difference": m, "ci95": c, "excludes_zero": abs(m) > c})

    if "maml-rl" in dense:
        r = dense["maml-rl"]
        diff("maml-rl: 1 step − 0 steps", r[1], r[0])
        diff("maml-rl after 1 step − random", r[1], dense["random"][0])
        if "pretrained" in dense:
            diff("maml-rl − pretrained, both after 1 step", r[1], dense["pretrained"][1])
            diff("pretrained: 1 step − 0 steps", dense["pretrained"][1], dense["pretrained"][0])
    if "pearl" in sparse:
        ret = sparse["pearl"]
        diff("pearl: episode 3 − episode 1 (sparse return)", ret[min(2, len(ret) - 1)], ret[0])
        diff("pearl episode 3 − random", ret[min(2, len(ret) - 1)], sparse["random"])
        reached = sparse["pearl_reached"][min(2, len(ret) - 1)].double()
        m, c = mean_ci(reached)
        out.append({"comparison": "pearl: goal region reached within the first 3 episodes", "rate": m, "ci95": c,
                    "target": 0.8})
    return out


def run(args) -> dict:
    torch.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    learners = {m: load(r) for m, r in DENSE_RECIPES.items()}
    missing = [DENSE_RECIPES[m] for m, v in learners.items() if v is None]
    pearl = load(SPARSE_RECIPES["pearl"])
    if pearl is None:
        missing.append(SPARSE_RECIPES["pearl"])
    learners = {m: v for m, v in learners.items() if v is not None}
    rows_d, per_d = dense_rows(learners, args.tasks, args.seed, args.inner_steps)
    rows_s, per_s = sparse_rows(pearl, args.tasks, args.seed, args.episodes)
    rows = rows_d + rows_s
    comp = comparisons(per_d, per_s)
    print(f"held-out goals: {args.tasks} per task family (seed {args.seed})")
    print(f"{'method':12s} {'task':7s} {'adapt.':>6s} {'mean return':>18s} {'success':>8s} {'reached by':>10s}")
    for r in rows:
        reached = f"{r['reached_by']:.2f}" if "reached_by" in r else ""
        print(f"{r['method']:12s} {r['task']:7s} {r['adaptation']:6d} {r['mean_return']:9.2f} ± {r['ci95']:5.2f} "
              f"{r['success_rate']:8.2f} {reached:>10s}")
    for c in comp:
        if "rate" in c:
            print(f"{c['comparison']}: {c['rate']:.2f} ± {c['ci95']:.2f} (target ≥ {c['target']})")
        else:
            print(f"{c['comparison']}: {c['mean_difference']:+.2f} ± {c['ci95']:.2f}"
                  f"{'' if c['excludes_zero'] else '  (CI includes 0)'}")
    if missing:
        print("missing checkpoints (train with `python -m meta_course train NAME`):", ", ".join(missing))
    return {"rows": rows, "comparisons": comp, "tasks": args.tasks, "seed": args.seed, "missing": missing}
