"""``python -m meta_course train RECIPE``: meta-train a named recipe, with checkpoints and resume."""

from __future__ import annotations

import json
from pathlib import Path

import torch

HELP = "meta-train a recipe (e.g. maml_sine); resumes from --checkpoint when it exists"


def add_arguments(p) -> None:
    p.add_argument("recipe", nargs="?", help="recipe name; see --list")
    p.add_argument("--list", action="store_true", help="list the recipes and exit")
    p.add_argument("--steps", type=int, help="outer steps (default: the recipe's)")
    p.add_argument("--seed", type=int, help="default: the recipe's seed (0 unless it sets one)")
    p.add_argument("--out", type=Path, help="final learner file (default: runs/RECIPE.pt)")
    p.add_argument("--checkpoint", type=Path, help="resumable training state (default: OUT with .state.pt)")
    p.add_argument("--checkpoint-every", type=int, default=1000)
    p.add_argument("--inner-lr", type=float, help="override the recipe's inner_lr (α)")
    p.add_argument("--inner-steps", type=int, help="override the recipe's inner_steps")
    p.add_argument("--device", help="cuda, mps or cpu (default: the fastest available)")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--no-progress", action="store_true")


def run(args) -> int:
    from .. import recipes
    from ..learners import save_learner
    from ..train import train

    if args.list or not args.recipe:
        for name, r in sorted(recipes.RECIPES.items()):
            print(f"{name:24s} {r.learner:12s} task={r.task} steps={r.steps} {r.note}")
        return 0
    recipe = recipes.get_recipe(args.recipe)
    overrides = {k: v for k, v in (("inner_lr", args.inner_lr), ("inner_steps", args.inner_steps)) if v is not None}
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.seed is None:
        args.seed = recipe.seed
    learner, sample = recipes.build(args.recipe, seed=args.seed, **overrides)
    out = args.out or Path("runs") / f"{args.recipe}.pt"
    state = args.checkpoint or out.with_suffix(".state.pt")
    history = train(learner, sample, args.steps if args.steps is not None else recipe.steps,
                    meta_batch_size=recipe.meta_batch_size, outer_lr=recipe.outer_lr, seed=args.seed,
                    checkpoint=state, checkpoint_every=args.checkpoint_every, device=args.device,
                    clip_grad_norm=recipe.clip_grad_norm,
                    progress=not args.no_progress)
    save_learner(learner.cpu(), out, history=history.as_dict(), recipe=args.recipe, seed=args.seed)
    print(json.dumps({"recipe": args.recipe, "out": str(out), "final_loss": history.loss[-1] if history.loss else None,
                      "seconds": round(history.seconds, 1)}))
    return 0
