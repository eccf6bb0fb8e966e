"""``python -m meta_course train RECIPE``: meta-train a named recipe, with checkpoints and resume.

Several processes: ``torchrun --nproc-per-node N -m meta_course train RECIPE ...`` (one machine, or several
with torchrun's rendezvous options), or ``python -m meta_course train RECIPE --nproc N``, which checks the
arguments and then runs exactly that torchrun command (``python -m torch.distributed.run --standalone``) on this
machine. Each process joins the process group torchrun describes (NCCL on CUDA, one GPU per process; gloo on
the CPU) and :func:`meta_course.train.train` splits every meta-batch across them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..core import distributed

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
    p.add_argument("--nproc", type=int, help="processes to split each meta-batch across (launches torchrun on this "
                   "machine; default 1). Under torchrun, leave it out")
    p.add_argument("--meta-batch-size", type=int, help="tasks per outer step (default: the recipe's); at least --nproc")


def run(args) -> int:
    from .. import recipes

    if args.list or not args.recipe:
        for name, r in sorted(recipes.RECIPES.items()):
            print(f"{name:24s} {r.learner:12s} task={r.task} steps={r.steps} {r.note}")
        return 0
    recipe = recipes.get_recipe(args.recipe)  # a clear error for an unknown name before anything else
    if args.nproc is not None and args.nproc != 1:
        return _launch(args, recipe)
    overrides = {k: v for k, v in (("inner_lr", args.inner_lr), ("inner_steps", args.inner_steps)) if v is not None}
    out = args.out or Path("runs") / f"{args.recipe}.pt"
    joined = distributed.init_from_env(args.device)  # under torchrun: one process of the group
    try:
        _, history = recipes.train_recipe(args.recipe, steps=args.steps, seed=args.seed, out=out,
                                          checkpoint=args.checkpoint or out.with_suffix(".state.pt"),
                                          checkpoint_every=args.checkpoint_every, device=args.device,
                                          threads=args.threads, progress=not args.no_progress, restart=args.restart,
                                          meta_batch_size=args.meta_batch_size, **overrides)
        rank, world_size = distributed.world()
    finally:
        if joined:
            distributed.shutdown()
    if rank == 0:
        print(json.dumps({"recipe": args.recipe, "out": str(out), "final_loss": history.loss[-1] if history.loss else None,
                          "seconds": round(history.seconds, 1), "world_size": world_size}))
    return 0


def _env_world() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def torchrun_command(recipe: str, nproc: int, argv: list[str]) -> list[str]:
    """The torchrun command ``--nproc N`` runs: this Python, ``torch.distributed.run --standalone`` (a rendezvous
    on a free local port), then ``-m meta_course train RECIPE`` with every other argument unchanged."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
            "-m", "meta_course", "train", recipe, *argv]


def _without_nproc(argv: list[str]) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            out.append(a)
    return out


def _launch(args, recipe) -> int:
    """Check ``--nproc`` (and a resumable state's world size) here, then run torchrun and return its exit code."""
    from ..core.checks import check_int
    from ..learners.table import LEARNERS

    if _env_world() > 1:
        raise ValueError(f"--nproc {args.nproc} under torchrun (WORLD_SIZE={_env_world()}): torchrun already started "
                         "the processes; drop --nproc.")
    check_int("--nproc", args.nproc, 1, 1024, "Number of processes on this machine, e.g. --nproc 2 (1 GPU each on CUDA).")
    batch = args.meta_batch_size or recipe.meta_batch_size
    if not LEARNERS[recipe.learner].distributed:
        ok = sorted(n for n, c in LEARNERS.items() if c.distributed)
        raise ValueError(f"recipe {args.recipe!r} (learner {recipe.learner!r}) cannot be meta-trained on {args.nproc} "
                         f"processes: its meta-step does not split into a mean over tasks. Learners that can: "
                         f"{', '.join(ok)}. Train it with --nproc 1.")
    distributed.check_world_size(args.nproc, batch)
    out = args.out or Path("runs") / f"{args.recipe}.pt"
    state = args.checkpoint or out.with_suffix(".state.pt")
    if state.exists() and not args.restart:
        from ..learners.base import read_checkpoint

        saved = int(read_checkpoint(state, fix="start afresh with --restart").get("world_size", 1))
        if saved != args.nproc:
            raise ValueError(f"checkpoint {state} was trained with world_size={saved} process(es), not --nproc "
                             f"{args.nproc}: resume it with --nproc {saved}, or start afresh with --restart.")
    cmd = torchrun_command(args.recipe, args.nproc, _without_nproc(args._argv[args._argv.index(args.recipe) + 1:]))
    print("running: " + " ".join(cmd), file=sys.stderr)
    return subprocess.call(cmd)
