"""``bench ring``: mode collapse on the 2-D ring — the minimax GAN against WGAN-GP, several seeds.

Trains ``gan_ring`` and ``wgan_gp_ring`` (same networks, same step size) through the course's training
loop for ``--seeds`` seeds, plus WGAN-GP with other penalty weights (``--penalties``, seed 0), and every
``--every`` steps measures 2 000 samples (fixed z) with :func:`~meta_course.tasks.ring.mode_report`:
modes covered (of 8) and the share of high-quality samples (within 3σ of a mode). Per run: the figures at
the end, the mean and minimum number of modes covered over the second half of training (a generator that
hops between modes covers few at any one time), and the share of snapshots with all modes covered. Per
method: mean ± 95% CI over seeds, and the paired WGAN-GP − GAN difference of the modes covered.

The samples of every snapshot (500 points, float16) are written with ``--snapshots PATH``; lesson 13's
widget shows them (committed: ``meta_course/bench/results/ring_snapshots.pt``).
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

HELP = "mode collapse on the ring: minimax GAN vs WGAN-GP (modes covered, high-quality share), several seeds"

RECIPES = {"gan": "gan_ring", "wgan-gp": "wgan_gp_ring"}
SNAPSHOTS = Path(__file__).parent / "results" / "ring_snapshots.pt"
N_EVAL, N_KEEP = 2000, 500


def add_arguments(p) -> None:
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: small networks, a shared CPU)")
    p.add_argument("--seeds", type=int, default=3, help="training seeds per method (default 3)")
    p.add_argument("--steps", type=int, default=0, help="training steps (0: each recipe's own)")
    p.add_argument("--every", type=int, default=250, help="steps between snapshots")
    p.add_argument("--penalties", type=float, nargs="*", default=[0.0, 10.0],
                   help="extra WGAN-GP penalty weights λ trained with seed 0 (the recipe's own λ runs every seed)")
    p.add_argument("--snapshots", default=None, help="write the snapshot samples here (.pt)")
    p.add_argument("--resume", action="store_true",
                   help="reuse the runs already in --snapshots (same recipe, λ, seed and steps) and train only the "
                        "missing ones: raising --seeds adds seeds without retraining the others")


def train_with_snapshots(recipe: str, seed: int, steps: int = 0, every: int = 250, **config) -> dict:
    """Train ``recipe`` (config overrides allowed) through :func:`meta_course.train.train`, measuring the
    generator every ``every`` steps; returns the curve and the kept samples."""
    from ..recipes import build, get_recipe
    from ..tasks.ring import RingMixture, mode_report
    from ..train import train

    r = get_recipe(recipe)
    learner, sample = build(recipe, seed=seed, **config)
    ring = RingMixture(**{k: v for k, v in r.task_args.items() if k != "batch_size"})
    z = torch.randn(N_EVAL, learner.z_dim, generator=torch.Generator().manual_seed(12345))
    curve = {"step": [], "modes": [], "high_quality": [], "samples": []}

    def measure(step):
        with torch.no_grad():
            x = learner.generator(z.to(next(learner.parameters()).device)).cpu()
        rep = mode_report(x, ring)
        curve["step"].append(step)
        curve["modes"].append(rep.modes_covered)
        curve["high_quality"].append(rep.high_quality)
        curve["samples"].append(x[:N_KEEP].half())

    measure(0)
    steps = steps or r.steps
    t0 = time.perf_counter()
    train(learner, sample, steps, meta_batch_size=r.meta_batch_size, outer_lr=r.outer_lr, seed=seed, progress=False,
          log_every=max(1, every), callback=lambda step, values: measure(step) if step % every == 0 else None,
          device="cpu")
    curve["seconds"] = time.perf_counter() - t0
    return curve


def run_summary(curve: dict, n_modes: int = 8) -> dict:
    """End figures and second-half statistics of one run's curve."""
    half = [i for i, s in enumerate(curve["step"]) if s >= curve["step"][-1] / 2]
    modes = [curve["modes"][i] for i in half]
    return {"final_modes": curve["modes"][-1], "final_high_quality": curve["high_quality"][-1],
            "mean_modes_second_half": sum(modes) / len(modes), "min_modes_second_half": min(modes),
            "all_modes_share": sum(m == n_modes for m in modes) / len(modes),
            "seconds": round(curve["seconds"]) if curve["seconds"] == curve["seconds"] else None}


def run(args) -> dict:
    torch.set_num_threads(args.threads)
    from ..evaluate import mean_ci95
    from ..recipes import get_recipe

    runs, kept = [], {}
    if args.resume:
        if not args.snapshots or not Path(args.snapshots).exists():
            raise ValueError(f"--resume reuses the runs in --snapshots, but snapshots={args.snapshots!r} does not "
                             "exist: pass the file an earlier run wrote, or drop --resume.")
        kept = torch.load(args.snapshots, weights_only=False)
    base_lambda = get_recipe(RECIPES["wgan-gp"]).config["penalty_weight"]
    # seed 0 of every set-up first (the widget's runs), then the other seeds; snapshots are saved after each run
    plan = [(m, 0, None) for m in RECIPES] + [("wgan-gp", 0, lam) for lam in args.penalties if lam != base_lambda]
    plan += [(m, seed, None) for seed in range(1, args.seeds) for m in RECIPES]
    for method, seed, lam in plan:
        config = {} if lam is None else {"penalty_weight": lam}
        lam_used = get_recipe(RECIPES[method]).config.get("penalty_weight") if lam is None else lam
        key = f"{method}|{lam_used}|{seed}"
        steps = args.steps or get_recipe(RECIPES[method]).steps
        old = kept.get(key)
        if old is not None and old["step"] == list(range(0, steps + 1, args.every)) + (
                [] if steps % args.every == 0 else [steps]):
            curve = {"step": old["step"], "modes": old["modes"], "high_quality": old["high_quality"],
                     "samples": list(old["samples"]), "seconds": old.get("seconds", float("nan"))}
        else:
            curve = train_with_snapshots(RECIPES[method], seed, args.steps, args.every, **config)
        row = {"method": method, "seed": seed, "penalty_weight": lam_used, **run_summary(curve)}
        runs.append(row)
        print(f"  {method:8s} λ={lam_used} seed {seed}: " + ", ".join(f"{k} {v}" for k, v in row.items()
                                                                     if k not in ("method", "seed", "penalty_weight")),
              flush=True)
        kept[key] = {"step": curve["step"], "modes": curve["modes"], "high_quality": curve["high_quality"],
                     "samples": torch.stack(curve["samples"]), "seconds": curve["seconds"]}
        if args.snapshots:
            Path(args.snapshots).parent.mkdir(parents=True, exist_ok=True)
            torch.save(kept, args.snapshots)
    rows = []
    for method in RECIPES:
        base = [r for r in runs if r["method"] == method and r["penalty_weight"] == get_recipe(RECIPES[method]).config.get("penalty_weight")]
        row = {"method": method, "penalty_weight": base[0]["penalty_weight"], "seeds": len(base), "ci95": {}}
        for key in ("final_modes", "final_high_quality", "mean_modes_second_half", "min_modes_second_half",
                    "all_modes_share"):
            row[key], row["ci95"][key] = mean_ci95(torch.tensor([float(r[key]) for r in base]))
        rows.append(row)
    gan = {r["seed"]: r for r in runs if r["method"] == "gan"}
    wgan = {r["seed"]: r for r in runs if r["method"] == "wgan-gp" and r["penalty_weight"] == base_lambda}
    paired = torch.tensor([wgan[s]["mean_modes_second_half"] - gan[s]["mean_modes_second_half"] for s in gan if s in wgan])
    diff, ci = mean_ci95(paired) if len(paired) else (float("nan"), float("nan"))
    print(f"\n{'method':8s} {'λ':>5s}  {'modes at end':>13s}  {'high quality':>13s}  {'modes, 2nd half':>15s}  "
          f"{'min, 2nd half':>13s}  {'all 8 (share)':>13s}")
    for r in rows:
        c = r["ci95"]
        print(f"{r['method']:8s} {r['penalty_weight'] if r['penalty_weight'] is not None else '—':>5}  "
              f"{r['final_modes']:5.2f} ± {c['final_modes']:4.2f}  {r['final_high_quality']:5.2f} ± {c['final_high_quality']:4.2f}  "
              f"{r['mean_modes_second_half']:7.2f} ± {c['mean_modes_second_half']:4.2f}  "
              f"{r['min_modes_second_half']:5.2f} ± {c['min_modes_second_half']:4.2f}  "
              f"{r['all_modes_share']:5.2f} ± {c['all_modes_share']:4.2f}")
    print(f"paired WGAN-GP − GAN, mean modes covered over the second half: {diff:+.2f} ± {ci:.2f} ({len(paired)} seeds)")
    if args.snapshots:
        Path(args.snapshots).parent.mkdir(parents=True, exist_ok=True)
        torch.save(kept, args.snapshots)
        print(f"snapshots → {args.snapshots}")
    return {"rows": rows, "runs": runs, "paired_modes_diff": {"mean": diff, "ci95": ci, "seeds": len(paired)},
            "settings": {"seeds": args.seeds, "every": args.every, "penalties": args.penalties, "n_eval": N_EVAL}}
