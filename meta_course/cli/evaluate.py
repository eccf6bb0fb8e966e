"""``python -m meta_course evaluate CHECKPOINT``: score a learner on fresh held-out tasks."""

from __future__ import annotations

import json
from pathlib import Path

import torch

HELP = "score a saved learner on held-out tasks with its recipe's eval_knobs: mean ± 95%% CI"


def add_arguments(p) -> None:
    p.add_argument("checkpoint", help="a learner file, or the name of a committed checkpoint (e.g. maml_sine)")
    p.add_argument("--recipe", help="task family and settings to draw tasks from (default: the checkpoint's)")
    p.add_argument("--k-shot", type=int, help="support examples per task (default: the recipe's)")
    p.add_argument("--n-way", type=int, help="classes per task (default: the recipe's), e.g. 20 for a ProtoNet trained 60-way")
    p.add_argument("--part", help="part of the recipe's split to draw tasks from, e.g. test (default: the recipe's)")
    p.add_argument("--inner-steps", type=int, nargs="*", default=[None],
                   help="adaptation steps (several allowed; default: the recipe's eval_knobs)")
    p.add_argument("--inner-lr", type=float, help="override the adaptation step size")
    p.add_argument("--tasks", type=int, default=1000, help="held-out tasks (default 1000)")
    p.add_argument("--training-tasks", action="store_true",
                   help="draw from the training family instead (PEARL: its pool of training goals)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--json", type=Path)


def run(args) -> int:
    from ..checkpoints import checkpoint_path
    from ..core.checks import check_int
    from ..evaluate import evaluate
    from ..learners import load_learner
    from ..learners.base import read_checkpoint
    from ..recipes import get_recipe, task_sampler

    # before anything is loaded or allocated: a billion tasks would exhaust the machine's memory, not fail cleanly
    check_int("--tasks", args.tasks, 1, 100_000, "Evaluate on at least one task; 1000 gives a tight CI.")
    check_int("--seed", args.seed, 0, 2**32 - 1, "Any integer in that range; the tables use 2026.")
    path = Path(args.checkpoint)
    if not path.exists() and not path.suffix:
        path = checkpoint_path(args.checkpoint)
    if args.json:  # before computing, not after
        args.json.parent.mkdir(parents=True, exist_ok=True)
    learner = load_learner(path)
    trained_with = read_checkpoint(path).get("recipe")
    recipe_name = args.recipe or trained_with
    if recipe_name is None:
        raise ValueError(f"{path} does not record its recipe: pass --recipe (e.g. maml_sine).")
    recipe = get_recipe(recipe_name)
    if trained_with is not None and get_recipe(trained_with).task != recipe.task:
        from ..recipes import RECIPES
        same = sorted(n for n, r in RECIPES.items() if r.task == get_recipe(trained_with).task)
        raise ValueError(f"{path} was trained on {get_recipe(trained_with).task} tasks (recipe {trained_with}); --recipe "
                         f"{recipe_name} draws {recipe.task} tasks: pass a recipe of {get_recipe(trained_with).task} "
                         f"tasks ({', '.join(same[:6])}) or leave --recipe out.")
    # the knobs every table uses for this learner (e.g. 10 inner steps), then the command line's
    eval_knobs = get_recipe(trained_with).eval_knobs if trained_with is not None else recipe.eval_knobs
    # held-out tasks: the recipe's own family, or fresh tasks when it trains on a finite pool (pearl_nav)
    family = recipe.task_args if args.training_tasks else recipe.eval_task_args
    given_task = {k: v for k, v in (("k_shot", args.k_shot), ("n_way", args.n_way), ("part", args.part)) if v is not None}
    task_args = dict(family, **given_task)
    pool = task_args.get("pool", 0)
    if pool and args.tasks > pool:
        which = "training" if args.training_tasks else "held-out"
        raise ValueError(f"--tasks {args.tasks} is out of range for {recipe_name}'s {which} tasks, a fixed pool of {pool}: "
                         f"allowed 1..{pool}; pass --tasks {pool} or fewer.")
    tasks = task_sampler(recipe.task, **task_args)(torch.Generator().manual_seed(args.seed), args.tasks)
    torch.manual_seed(args.seed)  # learners that sample while scoring (PEARL's posterior) use the global RNG
    results = []
    for steps in args.inner_steps:
        given = {k: v for k, v in (("inner_steps", steps), ("inner_lr", args.inner_lr)) if v is not None}
        knobs = {**eval_knobs, **given}
        r = evaluate(learner, tasks, **knobs)
        results.append({"method": learner.name, **task_args, **knobs, learner.metric: r.mean, "ci95": r.ci95, "n": r.n})
        print(f"{learner.name} on {args.tasks} {'training' if args.training_tasks else 'held-out'} {recipe.task} tasks {task_args} {knobs}: "
              f"{learner.metric} {r.mean:.4f} ± {r.ci95:.4f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0
