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
``resample_every`` says how z is sampled: 0 = once per episode (the paper's Alg. 2), m > 0 = also every m
steps within the episode from the context plus the episode so far (a variant; ``--resample-every``).

``found_within`` (JSON) / the last table: the share of goals found within 1..``--episodes`` episodes with
a Wilson 95% interval, for PEARL and for posterior sampling with the *exact* posterior over the goal
(on ``--exact-goals`` held-out goals: it needs no network, so more goals narrow its interval), and the same
explorer drawing from the prior (unrewarded steps ignored)
(learners/rl/navigation_baselines.py: the best any posterior-sampling explorer with goal-seeking
hypotheses can do), each for every ``--resample-every`` value and, for the exact one, the lazy rule.

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
    p.add_argument("--resample-every", type=int, nargs="+", default=[0, 10], metavar="M",
                   help="PEARL's z sampling on the sparse task: 0 = once per episode (the paper), M = also every M "
                        "steps within an episode (default: 0 10)")
    p.add_argument("--exact-goals", type=int, default=20000,
                   help="held-out goals for exact posterior sampling (cheap: no network; default 20000)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")


def mean_ci(values: torch.Tensor) -> tuple[float, float]:
    """Mean and 95% CI half-width (1.96 s / √n) of a 1-D tensor."""
    v = values.double().flatten()
    return v.mean().item(), (1.96 * v.std().item() / math.sqrt(v.numel())) if v.numel() > 1 else float("nan")


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion ``k / n``."""
    p, d = k / n, 1 + z * z / n
    centre, half = (p + z * z / (2 * n)) / d, z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return centre - half, centre + half


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


def sparse_rows(pearl, n_tasks: int, seed: int, episodes: int, resample_every=(0,)) -> tuple[list[dict], dict]:
    """Rows of the sparse task: PEARL's posterior-sampling episodes (one block per ``resample_every``) and the
    random policy; per-task results ``{"pearl": [E, T] returns, "pearl_reached": [E] × [T], ...}`` for m = 0
    and the same keys suffixed ``@m`` for m > 0."""
    from ..learners.rl.maml_rl import random_policy_returns
    from ..tasks.envs.navigation import PointNavigation, navigation_tasks

    tasks = navigation_tasks("half_circle", 1.0)(torch.Generator().manual_seed(seed + 1), n_tasks)
    rows, per_task = [], {}
    for m in (resample_every if pearl is not None else ()):
        key = "pearl" if m == 0 else f"pearl@{m}"
        eps, _, _ = pearl.explore(tasks, episodes, generator=torch.Generator().manual_seed(seed), resample_every=m)
        reached = torch.zeros(n_tasks, dtype=torch.bool)
        per_task[key] = torch.stack([e.returns for e in eps])
        per_task[key + "_reached"] = []
        for s, e in enumerate(eps):
            reached |= e.reached
            per_task[key + "_reached"].append(reached.clone())
            mean, c = mean_ci(e.returns)
            rows.append({"method": "pearl", "task": "sparse", "adaptation": s, "mean_return": mean, "ci95": c,
                         "success_rate": e.success.float().mean().item(),
                         "reached_by": reached.float().mean().item(), "resample_every": m})
    ret, succ = random_policy_returns(PointNavigation.sparse().config, tasks, 20, torch.Generator().manual_seed(seed))
    per_task["random"] = ret
    mean, c = mean_ci(ret)
    rows.append({"method": "random", "task": "sparse", "adaptation": 0, "mean_return": mean, "ci95": c,
                 "success_rate": succ.mean().item()})
    per_task["goals"] = tasks.goal
    return rows, per_task


def found_within(sparse: dict, episodes: int, seed: int, resample_every=(0,), exact_goals: int = 0) -> list[dict]:
    """Share of goals found within 1..``episodes`` episodes (Wilson 95%): PEARL on the sparse rows' goals, exact
    posterior sampling on ``exact_goals`` held-out goals of the same seed (0: the same goals as PEARL)."""
    from ..learners.rl.navigation_baselines import exact_posterior_sampling
    from ..tasks.envs.navigation import navigation_tasks

    out = []

    def add(method, rule, found):
        n = found.shape[1]
        for k in range(episodes):
            hits = int(found[k].sum())
            out.append({"method": method, "z_sampled": rule, "episodes": k + 1, "found": hits / n,
                        "wilson95": list(wilson(hits, n))})

    for m in resample_every:
        rule = "once per episode" if m == 0 else f"every {m} steps"
        key = "pearl" if m == 0 else f"pearl@{m}"
        if key + "_reached" in sparse:
            add("pearl", rule, torch.stack(sparse[key + "_reached"]))
    goals = sparse["goals"]
    if exact_goals:
        goals = navigation_tasks("half_circle", 1.0)(torch.Generator().manual_seed(seed + 1), exact_goals).goal
    for m in resample_every:
        rule = "once per episode" if m == 0 else f"every {m} steps"
        add("exact posterior sampling", rule,
            exact_posterior_sampling(goals, episodes, resample_every=m, generator=torch.Generator().manual_seed(seed)))
    add("exact posterior sampling", "lazy (when ruled out)",
        exact_posterior_sampling(goals, episodes, lazy=True, generator=torch.Generator().manual_seed(seed)))
    for m in resample_every:
        rule = "once per episode" if m == 0 else f"every {m} steps"
        add("prior sampling", rule, exact_posterior_sampling(goals, episodes, resample_every=m, evidence=False,
                                                             generator=torch.Generator().manual_seed(seed)))
    return out


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
    for key in sorted((k for k in sparse if k.startswith("pearl@") and not k.endswith("_reached")),
                      key=lambda k: int(k.split("@")[1])):
        ret, reached = sparse[key], sparse[key + "_reached"]
        every = key.split("@")[1]
        m, c = mean_ci(reached[min(2, len(ret) - 1)].double())
        out.append({"comparison": f"pearl, z every {every} steps: goal region reached within the first 3 episodes",
                    "rate": m, "ci95": c, "target": 0.8})
        if "pearl_reached" in sparse:
            m, c = mean_ci(reached[min(2, len(ret) - 1)].double() - sparse["pearl_reached"][min(2, len(ret) - 1)].double())
            out.append({"comparison": f"pearl found within 3 episodes: z every {every} steps − once per episode",
                        "mean_difference": m, "ci95": c, "excludes_zero": abs(m) > c})
    return out


def run(args) -> dict:
    from ..core.checks import check_int

    for m in args.resample_every:
        check_int("--resample-every", m, 0, 1000, "0 samples z once per episode (the paper); M ≥ 1 every M steps.")
    check_int("--exact-goals", args.exact_goals, 0, 100_000, "0 uses the --tasks goals; the table uses 20000.")
    torch.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    learners = {m: load(r) for m, r in DENSE_RECIPES.items()}
    missing = [DENSE_RECIPES[m] for m, v in learners.items() if v is None]
    pearl = load(SPARSE_RECIPES["pearl"])
    if pearl is None:
        missing.append(SPARSE_RECIPES["pearl"])
    learners = {m: v for m, v in learners.items() if v is not None}
    rows_d, per_d = dense_rows(learners, args.tasks, args.seed, args.inner_steps)
    rows_s, per_s = sparse_rows(pearl, args.tasks, args.seed, args.episodes, args.resample_every)
    rows = rows_d + rows_s
    comp = comparisons(per_d, per_s)
    found = found_within(per_s, args.episodes, args.seed, args.resample_every, args.exact_goals)
    print(f"held-out goals: {args.tasks} per task family (seed {args.seed})")
    print(f"{'method':12s} {'task':7s} {'adapt.':>6s} {'mean return':>18s} {'success':>8s} {'reached by':>10s} "
          f"{'z every':>7s}")
    for r in rows:
        reached = f"{r['reached_by']:.2f}" if "reached_by" in r else ""
        every = ("episode" if r["resample_every"] == 0 else f"{r['resample_every']} steps") if "resample_every" in r else ""
        print(f"{r['method']:12s} {r['task']:7s} {r['adaptation']:6d} {r['mean_return']:9.2f} ± {r['ci95']:5.2f} "
              f"{r['success_rate']:8.2f} {reached:>10s} {every:>7s}")
    print(f"sparse task, share of goals found within k episodes (Wilson 95% interval): PEARL on the {args.tasks} goals, "
          f"exact posterior sampling on {args.exact_goals or args.tasks}")
    for f in found:
        lo, hi = f["wilson95"]
        print(f"  {f['method']:25s} z {f['z_sampled']:22s} k={f['episodes']}: {f['found']:.3f} [{lo:.3f}, {hi:.3f}]")
    for c in comp:
        if "rate" in c:
            print(f"{c['comparison']}: {c['rate']:.2f} ± {c['ci95']:.2f} (target ≥ {c['target']})")
        else:
            print(f"{c['comparison']}: {c['mean_difference']:+.2f} ± {c['ci95']:.2f}"
                  f"{'' if c['excludes_zero'] else '  (CI includes 0)'}")
    if missing:
        print("missing checkpoints (train with `python -m meta_course train NAME`):", ", ".join(missing))
    return {"rows": rows, "comparisons": comp, "found_within": found, "tasks": args.tasks, "seed": args.seed,
            "exact_goals": args.exact_goals or args.tasks, "missing": missing}
