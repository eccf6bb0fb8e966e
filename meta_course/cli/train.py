"""``python -m meta_course train RECIPE``: meta-train a named recipe, with checkpoints and resume."""

from __future__ import annotations

import json
from pathlib import Path

HELP = "meta-train a recipe (e.g. maml_sine); resumes from --checkpoint when it exists"


def add_arguments(p) -> None:
    p.add_argument("recipe", nargs="?", help="recipe name; see --list")
    p.add_argument("--list", action="store_true", help="list the recipes and exit")
    p.add_argument("--steps", type=int, help="outer steps (default: the recipe's)")
    p.add_argument("--seed", type=int, help="default: the recipe's seed (0 unless it sets one)")
    p.add_argument("--out", type=Path, help="final learner file (default: runs/RECIPE.pt)")
    p.add_argument("--checkpoint", type=Path, help="resumable training state (default: OUT with .state.pt)")
    p.add_argument("--restart", action="store_true",
                   help="start afresh, discarding the resumable state of an earlier run (default: resume it)")
    p.add_argument("--checkpoint-every", type=int, default=1000)
    p.add_argument("--inner-lr", type=float, help="override the recipe's inner_lr (α)")
    p.add_argument("--inner-steps", type=int, help="override the recipe's inner_steps")
    p.add_argument("--device", help="cuda, mps or cpu (default: the fastest available)")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--no-progress", action="store_true")


def run(args) -> int:
    from .. import recipes

    if args.list or not args.recipe:
        for name, r in sorted(recipes.RECIPES.items()):
            print(f"{name:24s} {r.learner:12s} task={r.task} steps={r.steps} {r.note}")
        return 0
    recipes.get_recipe(args.recipe)  # a clear error for an unknown name before anything else
    overrides = {k: v for k, v in (("inner_lr", args.inner_lr), ("inner_steps", args.inner_steps)) if v is not None}
    out = args.out or Path("runs") / f"{args.recipe}.pt"
    _, history = recipes.train_recipe(args.recipe, steps=args.steps, seed=args.seed, out=out,
                                      checkpoint=args.checkpoint or out.with_suffix(".state.pt"),
                                      checkpoint_every=args.checkpoint_every, device=args.device, threads=args.threads,
                                      progress=not args.no_progress, restart=args.restart, **overrides)
    print(json.dumps({"recipe": args.recipe, "out": str(out), "final_loss": history.loss[-1] if history.loss else None,
                      "seconds": round(history.seconds, 1)}))
    return 0
