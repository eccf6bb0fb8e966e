"""``bench metagan``: does MetaGAN's adversary help few-shot classification? ProtoNet with and without it.

Each pair of recipes (``protonet32[_seedS]_omniglot`` and ``metagan[_seedS]_omniglot``) was trained with the
same settings, the same seed, the same task stream and the same initial embedding; the only difference is
MetaGAN's task-conditioned generator and (N+1)-way discriminator loss. At test time both are ProtoNets on
real drawings. Scored on the same held-out episodes (``bench omniglot``'s: Sanskrit, seed 2026, 5 queries
per class) for 5-way 1-shot, 5-way 5-shot and 20-way 1-shot: accuracy ± 95% CI per method, and the paired
per-episode difference (MetaGAN − ProtoNet) ± 95% CI per seed and pooled over seeds.
"""

from __future__ import annotations

import time

import torch

HELP = "MetaGAN vs ProtoNet (same training, with/without the GAN): accuracy on held-out episodes, paired CI"

PAIRS = {0: ("protonet32_omniglot", "metagan_omniglot"), 1: ("protonet32_seed1_omniglot", "metagan_seed1_omniglot")}
SETTINGS = ((5, 1), (5, 5), (20, 1))


def add_arguments(p) -> None:
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: small networks, a shared CPU)")
    p.add_argument("--episodes", type=int, default=600, help="held-out episodes per setting (default 600)")
    p.add_argument("--q-query", type=int, default=5)
    p.add_argument("--seed", type=int, default=2026, help="seed of the held-out episodes")
    p.add_argument("--seeds", type=int, nargs="*", default=list(PAIRS), help="training seeds (pairs) to score")


def per_episode_accuracy(learner, episodes, chunk: int = 50) -> torch.Tensor:
    """Accuracy of every episode ``[T]`` (the learner's own ``score``)."""
    out = []
    with torch.no_grad():
        for start in range(0, episodes.n_tasks, chunk):
            part = type(episodes)(*(t[start:start + chunk] for t in episodes))
            out.append(learner.score(part, metric="accuracy").cpu())
    return torch.cat(out).double()


def metagan_rows(learners: dict, n_episodes: int = 600, q_query: int = 5, seed: int = 2026) -> tuple[list, list]:
    """``learners``: {training seed: (protonet, metagan)}. Rows per method/setting (seeds pooled: the mean of the
    per-episode accuracies averaged over seeds) and paired comparisons per seed and pooled."""
    from ..evaluate import mean_ci95
    from .omniglot import heldout_episodes

    rows, comparisons = [], []
    for n_way, k_shot in SETTINGS:
        episodes = heldout_episodes(n_way, k_shot, n_episodes, q_query, seed)
        acc = {s: [per_episode_accuracy(m, episodes) for m in pair] for s, pair in learners.items()}
        setting = f"{n_way}w{k_shot}s"
        for i, method in enumerate(("protonet", "protonet+gan")):
            mean, ci = mean_ci95(torch.stack([acc[s][i] for s in acc]).mean(0))
            rows.append({"method": method, "setting": setting, "accuracy": 100 * mean, "ci95": 100 * ci,
                         "episodes": n_episodes, "seeds": sorted(acc)})
        for s in acc:
            d, ci = mean_ci95(acc[s][1] - acc[s][0])
            comparisons.append({"setting": setting, "seed": s, "diff": 100 * d, "ci95": 100 * ci})
        d, ci = mean_ci95(torch.stack([acc[s][1] - acc[s][0] for s in acc]).mean(0))
        comparisons.append({"setting": setting, "seed": "pooled", "diff": 100 * d, "ci95": 100 * ci})
    return rows, comparisons


def run(args) -> dict:
    torch.set_num_threads(args.threads)  # checked with every bench's shared flags (cli/bench.py)
    from ..checkpoints import checkpoint_path
    from ..learners import load_learner

    learners = {s: tuple(load_learner(checkpoint_path(n)).eval() for n in PAIRS[s]) for s in args.seeds}
    t0 = time.perf_counter()
    rows, comparisons = metagan_rows(learners, args.episodes, args.q_query, args.seed)
    print(f"held-out Sanskrit episodes: {args.episodes} per setting (seed {args.seed}), {args.q_query} queries per class; "
          f"training seeds {args.seeds} (accuracy of each episode averaged over seeds)")
    print(f"{'method':14s} " + " ".join(f"{f'{n}w{k}s %':>14s}" for n, k in SETTINGS))
    for method in ("protonet", "protonet+gan"):
        cells = [next(r for r in rows if r["method"] == method and r["setting"] == f"{n}w{k}s") for n, k in SETTINGS]
        print(f"{method:14s} " + " ".join(f"{c['accuracy']:7.2f} ± {c['ci95']:4.2f}" for c in cells))
    print("\npaired MetaGAN − ProtoNet (percentage points, same episodes):")
    for c in comparisons:
        print(f"  {c['setting']:6s} seed {str(c['seed']):6s}: {c['diff']:+.2f} ± {c['ci95']:.2f}")
    return {"rows": rows, "comparisons": comparisons,
            "settings": {"episodes": args.episodes, "q_query": args.q_query, "seed": args.seed, "pairs":
                         {s: PAIRS[s] for s in args.seeds}, "seconds": round(time.perf_counter() - t0)}}
