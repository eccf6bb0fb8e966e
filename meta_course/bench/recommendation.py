"""``bench recommendation``: cold-start recommendation on held-out users (lesson 16).

Three recommenders on the same new users, each given the user's K ratings: the global model (no
adaptation), the global model fine-tuned on the K ratings, and MAML over users. Prints MAE of the
predicted ratings and NDCG@k of the ranking of each user's query items, ± 95% CI, for K = 1, 3, 5, 10,
and MAML's paired difference to each baseline (the same users, so the interval is that of the
per-user differences).
"""

from __future__ import annotations

import torch

from ..evaluate import mean_ci95
from ..tasks.recommendation import RecommendationTasks, ndcg_at_k

HELP = "cold-start recommendation: global model vs per-user fine-tuning vs MAML over users (MAE, NDCG@k)"

#: recommender -> (recipe of its checkpoint, adaptation knobs; None = the recipe's eval_knobs)
RECOMMENDERS: dict[str, tuple[str, dict | None]] = {
    "global model": ("pretrained_recommendation", {"inner_steps": 0}),
    "fine-tuning": ("pretrained_recommendation", None),
    "MAML": ("maml_recommendation", None),
}
K_SHOTS = (1, 3, 5, 10)


def add_arguments(p) -> None:
    p.add_argument("--users", type=int, default=1000, help="held-out users per K (default 1000)")
    p.add_argument("--k-shots", type=int, nargs="+", default=list(K_SHOTS), help="ratings given per new user")
    p.add_argument("--n-query", type=int, default=20, help="rated query items per user, ranked for NDCG")
    p.add_argument("--k", type=int, default=5, help="NDCG cut-off (default 5)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the held-out users (never used in training)")


def load_recommenders(device=None, train: bool = False) -> dict:
    """``{name: (learner, knobs)}`` for :data:`RECOMMENDERS`: the committed checkpoints, or (``train=True``)
    fresh runs of their recipes (:func:`meta_course.recipes.load_or_train`)."""
    from ..recipes import get_recipe, load_or_train

    learners, out = {}, {}
    for name, (recipe, knobs) in RECOMMENDERS.items():
        if recipe not in learners:
            learners[recipe] = load_or_train(recipe, train=train, device=device)
        out[name] = (learners[recipe], dict(get_recipe(recipe).eval_knobs if knobs is None else knobs))
    return out


def predict_ratings(learner, episodes, chunk: int = 250, **knobs) -> torch.Tensor:
    """Predicted ratings ``[T, Q]`` (on the CPU) of every user's query items after adapting on their support set."""
    from ..core.device import module_device

    dev = module_device(learner)
    with torch.no_grad():  # torch.func.grad inside adapt still differentiates
        parts = [learner.predict(type(episodes)(*(t[i:i + chunk] for t in episodes)).to(dev), **knobs).cpu()
                 for i in range(0, episodes.x_support.shape[0], chunk)]
    return torch.cat(parts)[..., 0]


def score(recommenders: dict, episodes, k: int = 5) -> dict:
    """``{name: {"mae": [T], "ndcg": [T]}}`` per user, for ``{name: (learner, knobs)}``."""
    y = episodes.y_query[..., 0]
    out = {}
    for name, (learner, knobs) in recommenders.items():
        pred = predict_ratings(learner, episodes, **knobs)
        out[name] = {"mae": (pred - y).abs().mean(-1), "ndcg": ndcg_at_k(pred, y, k)}
    return out


def held_out_users(n_users: int = 1000, k_shot: int = 5, n_query: int = 20, seed: int = 2026):
    """The benchmark's users: ``n_users`` new users with ``k_shot`` ratings each (seed 2026 by default)."""
    return RecommendationTasks().sample(torch.Generator().manual_seed(seed), n_users, k_shot=k_shot, n_query=n_query)


def bench_rows(recommenders: dict, n_users: int = 1000, k_shots=K_SHOTS, n_query: int = 20, k: int = 5,
               seed: int = 2026) -> list[dict]:
    """One row per (K, recommender): MAE and NDCG@k (mean, CI), and MAML minus it, paired over users."""
    rows = []
    for k_shot in k_shots:
        scores = score(recommenders, held_out_users(n_users, k_shot, n_query, seed), k)
        for name, s in scores.items():
            row = {"k_shot": k_shot, "method": name, "users": n_users}
            for metric in ("mae", "ndcg"):
                row[metric], row[f"{metric}_ci95"] = mean_ci95(s[metric])
                if "MAML" in scores and name != "MAML":
                    row[f"maml_minus_{metric}"], row[f"maml_minus_{metric}_ci95"] = mean_ci95(
                        scores["MAML"][metric] - s[metric])
            rows.append(row)
    return rows


def format_rows(rows: list[dict], k: int = 5) -> str:
    lines = [f"{'K':>3}  {'recommender':14s} {'MAE':>15s} {f'NDCG@{k}':>15s}   MAML − it: MAE, NDCG (paired)"]
    for r in rows:
        paired = ""
        if "maml_minus_mae" in r:
            paired = (f"{r['maml_minus_mae']:+.3f} ± {r['maml_minus_mae_ci95']:.3f}, "
                      f"{r['maml_minus_ndcg']:+.3f} ± {r['maml_minus_ndcg_ci95']:.3f}")
        lines.append(f"{r['k_shot']:>3}  {r['method']:14s} {r['mae']:.3f} ± {r['mae_ci95']:.3f}  "
                     f"{r['ndcg']:.3f} ± {r['ndcg_ci95']:.3f}   {paired}")
    return "\n".join(lines)


def run(args) -> dict:
    rows = bench_rows(load_recommenders(), args.users, args.k_shots, args.n_query, args.k, args.seed)
    print(format_rows(rows, args.k))
    return {"rows": rows, "users": args.users, "n_query": args.n_query, "k": args.k, "seed": args.seed}
