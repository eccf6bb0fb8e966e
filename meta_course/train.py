"""One training loop for every learner of the course.

Each step samples a batch of tasks from a seeded :class:`torch.Generator` and calls
``learner.meta_step(batch, optimizers)`` — one outer step, which returns a dict of floats. The default
:meth:`~meta_course.learners.base.Learner.meta_step` back-propagates ``learner.meta_loss(batch)``,
clips and steps every optimiser; a GAN alternates its critic and generator optimisers, an RL learner
collects rollouts in its batch of environments — all through this one loop. Checkpoints hold everything
needed to continue bit-for-bit: the learner, every optimiser, the task generator's state, torch's (and
Python's and NumPy's) global RNG, the step and the history — so an interrupted run resumed from its last
checkpoint ends with exactly the parameters of an uninterrupted one.
"""

from __future__ import annotations

import math
import random
import signal
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from .core import distributed
from .core.checks import check_int, check_positive
from .core.device import resolve_device
from .core.io import atomic_save, exclusive_lock
from .learners.base import Learner, read_checkpoint

SampleTasks = Callable[[torch.Generator, int], object]
"""``sample(generator, n_tasks) -> batch``; the batch has ``.to(device)`` (e.g. an Episode)."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`train`: the running step was finished and saved; the message says how to resume."""


@dataclass
class History:
    """Learning curves: the meta-step's values per logged step and held-out evaluations.

    ``loss`` is the curve of the meta-step's ``"loss"`` (or, for a learner that returns no ``"loss"``,
    of its first value); ``values`` holds the curve of every value it returns.
    """

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    eval_mean: list[float] = field(default_factory=list)
    eval_ci95: list[float] = field(default_factory=list)
    seconds: float = 0.0
    values: dict[str, list[float]] = field(default_factory=dict)
    #: the values of the steps since the last logged point (averaged into the next one; kept across a resume)
    pending: dict[str, list[float]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def rng_state() -> dict:
    """The global RNG states a meta-step may draw from: torch, Python's ``random`` and NumPy's legacy one."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {"torch": torch.get_rng_state(), "python": random.getstate(),
            "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                      "has_gauss": int(has_gauss), "cached": float(cached)}}


def set_rng_state(state) -> None:
    """Inverse of :func:`rng_state` (a bare tensor: a checkpoint that saved torch's state only)."""
    if isinstance(state, torch.Tensor):
        torch.set_rng_state(state)
        return
    torch.set_rng_state(state["torch"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))


def _non_finite(values: dict, learner: Learner, optimizers: dict) -> str | None:
    """What is not finite after a step: a returned value, a parameter, or an optimiser's state (Adam's v
    can overflow to ∞ on a huge but finite gradient while the step itself is 0 — every later step is then 0)."""
    for key, value in values.items():
        if not math.isfinite(value):
            return f"meta-step value {key!r} is {value}"
    tensors = [(f"parameter {n!r}", p) for n, p in learner.named_parameters()]
    for name, opt in optimizers.items():
        for state in opt.state.values():
            tensors += [(f"optimiser {name!r} state {k!r}", v) for k, v in state.items()
                        if isinstance(v, torch.Tensor) and v.is_floating_point()]
    if not tensors:
        return None
    finite = torch.stack([torch.isfinite(t).all() for _, t in tensors]).tolist()  # one sync, not one per tensor
    return next((f"{what} is not finite" for (what, _), ok in zip(tensors, finite) if not ok), None)


def train(
    learner: Learner,
    sample_tasks: SampleTasks,
    steps: int,
    *,
    meta_batch_size: int = 25,
    outer_lr: float = 1e-3,
    seed: int = 0,
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 1000,
    eval_tasks=None,
    eval_every: int = 1000,
    eval_knobs: dict | None = None,
    log_every: int = 100,
    clip_grad_norm: float = 0.0,
    device: torch.device | str | None = None,
    progress: bool = True,
    callback: Callable[[int, dict], None] | None = None,
    run: dict | None = None,
    restart: bool = False,
    mixed_precision: bool = False,
) -> History:
    """Meta-train ``learner`` for ``steps`` outer steps; resume from ``checkpoint`` if it exists.

    Args:
        learner: any :class:`~meta_course.learners.base.Learner`.
        sample_tasks: ``sample_tasks(generator, n_tasks) -> batch`` (a batch of tasks with ``.to``).
        steps: total outer steps (a resumed run continues up to this number).
        meta_batch_size: tasks per outer step.
        outer_lr: β, the base step size of ``learner.optimizers(outer_lr)``.
        seed: seeds the task generator and the global RNGs (torch, ``random``, NumPy).
        checkpoint: file to save to every ``checkpoint_every`` steps and at the end, and to resume
            from when it exists (with ``learner.train_state()``, e.g. PEARL's replay buffers); locked while
            training (``PATH.lock``: a second run on it raises :class:`~meta_course.core.io.LockedError` naming
            this one's PID).
        eval_tasks: held-out tasks scored every ``eval_every`` steps with ``eval_knobs``.
        log_every: steps between points of the history (the mean of each value over those steps).
        clip_grad_norm: sets ``learner.clip_grad_norm``: the default meta-step rescales the meta-gradient
            to at most this global norm (0: off) — the usual guard for learners whose updates can blow
            up (the meta-LSTM's gates).
        device: default cuda → mps → cpu.
        callback: called as ``callback(step, values)`` after each step (e.g. to stop early).
        run: what else identifies the run (e.g. ``{"recipe", "task", "task_args"}``); stored in the checkpoint
            with the learner's name and config, the seed and the loop's settings. A resume refuses a checkpoint
            of any other run (``ValueError`` naming the field); a larger ``steps`` continues it.
        restart: ignore an existing ``checkpoint`` and start afresh (it is overwritten at the first save).
        mixed_precision: on CUDA, compute the meta-loss under ``torch.autocast`` (float16) and scale it with a
            ``torch.amp.GradScaler`` (saved in the checkpoint); ignored on cpu and mps, which train in float32.

    Several processes: when a :mod:`torch.distributed` process group is initialised (``torchrun``, or
    ``python -m meta_course train RECIPE --nproc N``), every rank samples the same meta-batch from the same
    seeded generator, keeps its slice of the tasks and the meta-gradient is all-reduced with each rank weighted
    by its share of the tasks (:mod:`meta_course.core.distributed`), so N processes follow the single-process
    run up to float rounding. Rank 0 alone writes the checkpoint, which records ``world_size``; every rank
    resumes from it (so it must be readable by all: one machine or a shared file system), and a resume with
    another number of processes is refused (the run would no longer be bit-identical to an uninterrupted one).

    Returns:
        The :class:`History` (also stored in the checkpoint).

    Ctrl-C finishes the running step, saves it (when ``checkpoint`` is set) and raises
    :class:`TrainingInterrupted` (a ``KeyboardInterrupt``) saying how to resume; a second Ctrl-C stops at once.

    Raises:
        FloatingPointError: a value the meta-step returned, or a parameter, became NaN/inf; the
            message names the step, and the last good checkpoint is left untouched.

    Example:
        >>> from meta_course import recipes
        >>> learner, sample = recipes.build("maml_sine")
        >>> h = train(learner, sample, steps=20, progress=False, log_every=10)
        >>> len(h.loss)
        2
    """
    check_int("steps", steps, 0, fix="Number of outer (meta) steps; the paper uses 70000 for sine.")
    check_int("meta_batch_size", meta_batch_size, 1, fix="Tasks per meta-step; the paper uses 25.")
    check_positive("outer_lr", outer_lr, "Adam's step size; 1e-3 is the usual choice.")
    check_int("seed", seed, 0, 2**32 - 1, "Any integer in that range; the recipes use 0.")
    if not clip_grad_norm >= 0 or math.isinf(clip_grad_norm):  # also refuses nan
        raise ValueError(f"clip_grad_norm={clip_grad_norm}: must be a finite number >= 0 (0 switches clipping off).")
    for name, value in (("checkpoint_every", checkpoint_every), ("eval_every", eval_every), ("log_every", log_every)):
        check_int(name, value, 1)
    rank, world_size = distributed.world()
    if world_size > 1:
        _check_distributable(learner, meta_batch_size, world_size, run)
    device = distributed.rank_device(resolve_device(device))
    learner.to(device)
    scaler = None
    if mixed_precision and device.type == "cuda":
        scaler = torch.amp.GradScaler("cuda")
        learner.grad_scaler, learner.autocast_dtype = scaler, torch.float16
    else:
        learner.grad_scaler = learner.autocast_dtype = None
    learner.clip_grad_norm = float(clip_grad_norm)
    optimizers = learner.optimizers(outer_lr)
    for opt in optimizers.values():
        for group in opt.param_groups:  # the schedule scales each group's own base step size
            group.setdefault("base_lr", group["lr"])
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    history, start = History(), 0
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    identity = {"learner": learner.name, "config": learner.config, "seed": seed, "meta_batch_size": meta_batch_size,
                "outer_lr": outer_lr, "clip_grad_norm": float(clip_grad_norm), **(run or {}),
                **({"mixed_precision": True} if scaler is not None else {})}
    lock = ExitStack()  # one run at a time on a checkpoint: a second one fails at once, naming the holder's PID
    if checkpoint is not None and rank == 0:
        lock.enter_context(exclusive_lock(checkpoint))
    try:
        if checkpoint is not None and checkpoint.exists() and not restart:
            start, history = _resume(checkpoint, learner, optimizers, generator, identity, steps, world_size, scaler)
    except BaseException:
        lock.close()
        raise

    def save(step: int) -> None:
        if checkpoint is not None and rank == 0:  # one writer; every rank holds the same parameters
            atomic_save({"learner": learner.checkpoint(), "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
                         "step": step, "generator": generator.get_state(), "rng": rng_state(),
                         "history": history.as_dict(), "identity": identity, "target_steps": steps,
                         "world_size": world_size, "train_state": learner.train_state(),
                         **({"grad_scaler": scaler.state_dict()} if scaler else {})},
                        checkpoint)

    saved_step = start if checkpoint is not None and checkpoint.exists() and not restart else None
    interrupted: list[int] = []

    def on_ctrl_c(signum, frame):  # the first Ctrl-C ends the running step, saves and stops; a second one stops now
        if interrupted:
            raise KeyboardInterrupt
        interrupted.append(signum)

    installed = threading.current_thread() is threading.main_thread()  # signals reach the main thread only
    previous = signal.signal(signal.SIGINT, on_ctrl_c) if installed else None
    bar = tqdm(total=steps, initial=start, disable=not progress or rank != 0, desc=f"meta-train {learner.name}", dynamic_ncols=True)
    t0, step = time.perf_counter(), start
    try:
        while step < steps:
            # every rank draws the whole meta-batch (the generators stay in step) and keeps its own tasks
            batch, learner.task_share = distributed.split_batch(sample_tasks(generator, meta_batch_size), rank,
                                                                world_size)
            batch = batch.to(device)
            factor = learner.outer_lr_factor(step, steps)
            for opt in optimizers.values():
                for group in opt.param_groups:
                    group["lr"] = group["base_lr"] * factor
            values = {k: float(v) for k, v in learner.meta_step(batch, optimizers).items()}
            bad = _non_finite(values, learner, optimizers)
            if bad is not None:
                if saved_step is not None:
                    kept = f"the last good checkpoint {checkpoint} is kept (step {saved_step})"
                else:
                    kept = "nothing was saved" if checkpoint else "no checkpoint was set"
                raise FloatingPointError(
                    f"{bad} at step {step + 1}: training stopped; {kept}. Lower the step sizes (inner_lr, outer_lr) "
                    "or inner_steps, or clip the meta-gradient, and start afresh (--restart): a changed setting is "
                    "another run, which a resume refuses.")
            step += 1
            for k, v in values.items():
                history.pending.setdefault(k, []).append(v)
            if history.pending and (step % log_every == 0 or step == steps):
                history.step.append(step)
                for k, w in history.pending.items():
                    history.values.setdefault(k, []).append(sum(w) / len(w))
                main = "loss" if "loss" in history.pending else next(iter(history.pending))
                history.loss.append(history.values[main][-1])
                history.pending = {}
                bar.set_postfix({k: f"{v[-1]:.4f}" for k, v in history.values.items()})
            if eval_tasks is not None and rank == 0 and (step % eval_every == 0 or step == steps):
                _evaluate_into(history, step, learner, eval_tasks, eval_knobs or {})
            if callback is not None:
                callback(step, values)
            if step % checkpoint_every == 0 or step == steps:
                history.seconds += time.perf_counter() - t0
                t0 = time.perf_counter()
                save(step)
                saved_step = step if checkpoint is not None else None
            bar.update(1)
            if world_size > 1 and distributed.any_rank(bool(interrupted), device):  # all ranks stop at one step
                interrupted[:] = interrupted or [signal.SIGINT]
            if interrupted:
                if checkpoint is not None and saved_step != step:
                    history.seconds += time.perf_counter() - t0
                    save(step)
                raise TrainingInterrupted(
                    f"interrupted at step {step} of {steps}: " + (f"saved to {checkpoint}; run the same command (or "
                    "call train again with the same settings) to resume." if checkpoint is not None else
                    "no checkpoint was set, so nothing was saved."))
    finally:
        bar.close()
        lock.close()
        if installed:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    distributed.barrier()  # every rank returns once rank 0's last checkpoint is on disk
    return history


def _evaluate_into(history: History, step: int, learner, eval_tasks, knobs) -> None:
    from .evaluate import evaluate

    result = evaluate(learner, eval_tasks, **knobs)
    history.eval_step.append(step)
    history.eval_mean.append(result.mean)
    history.eval_ci95.append(result.ci95)


def _first_difference(saved, wanted, prefix: str = "") -> tuple[str, object, object] | None:
    """The first field (dotted path) whose value differs between two identities, with both values."""
    if isinstance(saved, dict) and isinstance(wanted, dict):
        for key in [*saved, *(k for k in wanted if k not in saved)]:
            diff = _first_difference(saved.get(key, "<unset>"), wanted.get(key, "<unset>"), f"{prefix}{key}.")
            if diff is not None:
                return diff
        return None
    if isinstance(saved, (list, tuple)) and isinstance(wanted, (list, tuple)):
        saved, wanted = list(saved), list(wanted)
    return None if saved == wanted else (prefix.rstrip("."), saved, wanted)


def _check_distributable(learner, meta_batch_size: int, world_size: int, run: dict | None) -> None:
    """Refuse, before any step, a learner whose meta-batch cannot be split exactly, or too few tasks."""
    what = f"recipe {run['recipe']!r} (learner {learner.name!r})" if run and "recipe" in run else f"learner {learner.name!r}"
    if not learner.distributed:
        from .learners.table import LEARNERS

        ok = sorted(name for name, cls in LEARNERS.items() if cls.distributed)
        raise ValueError(
            f"{what} cannot be meta-trained on {world_size} processes: its meta-step is not a mean over the tasks "
            f"of the meta-batch that can be split and all-reduced (it has its own meta_step, e.g. several optimisers "
            f"or rollouts, or draws random numbers per task). Learners that can: {', '.join(ok)}. Train it with one "
            "process (drop --nproc / torchrun).")
    try:
        distributed.check_world_size(world_size, meta_batch_size)
    except ValueError as err:
        raise ValueError(f"{what}: {err}") from None


def _resume(path: Path, learner, optimizers: dict, generator, identity: dict, steps: int, world_size: int = 1,
            scaler=None) -> tuple[int, History]:
    state = read_checkpoint(path, fix="start afresh with --restart (train(..., restart=True)), which replaces it")
    saved_world = int(state.get("world_size", 1))
    if saved_world != world_size:
        raise ValueError(
            f"checkpoint {path} was trained with world_size={saved_world} process(es); this run has {world_size}: "
            f"resume it with the same number (--nproc {saved_world}, or torchrun --nproc-per-node {saved_world}), or "
            "start afresh with --restart. (Another number of processes computes the same meta-gradient up to float "
            "rounding, but the resumed run would no longer equal an uninterrupted one bit for bit.)")
    if "identity" in state:
        diff = _first_difference(state["identity"], identity)
        if diff is not None:
            field, was, now = diff
            raise ValueError(
                f"checkpoint {path} belongs to another run: {field}={was!r} there, {now!r} here. Pass the same "
                f"{field} to continue it, or start afresh with --restart (train(..., restart=True)), which discards it.")
        if state["step"] > steps:
            raise ValueError(_fewer_steps_message(path, learner, state, steps))
        _warn_if_the_schedule_changes(path, learner, state, steps)
    elif state["learner"]["name"] != learner.name or state["learner"]["config"] != learner.config:
        raise ValueError(
            f"checkpoint {path} holds {state['learner']['name']} with config {state['learner']['config']}, "
            f"not {learner.name} with {learner.config}: pass another --checkpoint path or delete that file.")
    learner.load_state_dict(state["learner"]["state_dict"])
    saved = state["optimizers"] if "optimizers" in state else {"outer": state["optimizer"]}  # older files: one
    if set(saved) != set(optimizers):
        raise ValueError(f"checkpoint {path} holds optimisers {sorted(saved)}, the learner has {sorted(optimizers)}: "
                         "delete that file to start afresh.")
    for name, opt in optimizers.items():
        opt.load_state_dict(saved[name])
    if scaler is not None and "grad_scaler" in state:
        scaler.load_state_dict(state["grad_scaler"])
    if "train_state" in state:  # e.g. PEARL's replay buffers (not in its checkpoint); older states: refilled
        learner.load_train_state(state["train_state"])
    generator.set_state(state["generator"])
    set_rng_state(state["rng"])
    return state["step"], History(**state["history"])


def _fewer_steps_message(path: Path, learner, state: dict, steps: int) -> str:
    """Why a resume to fewer steps than done is refused, and the one command that gives the ``steps``-step model.

    Intermediate states are not kept, but training is seeded and deterministic: ``--restart --steps N`` retrains
    the N-step model bit for bit (same machine and settings). It is this run's own step-N model only when the
    step-size schedule over the first N steps does not depend on the total number of steps (Reptile's annealing,
    the CNP's cosine and RL²'s linear decay do); the message says which of the two the user would get.
    """
    done = state["step"]
    target = int(state.get("target_steps", done))
    same_path = all(learner.outer_lr_factor(s, steps) == learner.outer_lr_factor(s, target) for s in range(steps))
    what = (f"this run's own model at step {steps}" if same_path else
            f"the model of a {steps}-step run, not this run's step {steps} (the step-size schedule of "
            f"{learner.name} spans the whole run, so it depends on the total number of steps)")
    return (f"checkpoint {path} is at step {done}, beyond the {steps} steps asked: pass --steps {done} or more to "
            f"continue it, or retrain the {steps}-step model with --restart --steps {steps} (train(..., "
            f"restart=True)), which replaces this state (add --out OTHER.pt to keep it). Training is seeded, so that "
            f"retraining gives, bit for bit, {what}.")


def _warn_if_the_schedule_changes(path: Path, learner, state: dict, steps: int) -> None:
    """A continuation to another total: warn when the step sizes of the steps already done depended on the total.

    A learner whose schedule spans the whole run (Reptile's annealing, the CNP's cosine, RL²'s linear decay) took
    its first steps with the step sizes of the earlier total, so the continued run is not the uninterrupted run of
    ``steps`` steps (``--restart --steps N`` is); with a constant schedule it is, bit for bit.
    """
    done, target = state["step"], int(state.get("target_steps", steps))
    if target == steps or all(learner.outer_lr_factor(s, target) == learner.outer_lr_factor(s, steps)
                              for s in range(done)):
        return
    import warnings

    warnings.warn(f"continuing {path} from step {done} to {steps} steps: its first {done} steps followed the "
                  f"step-size schedule of a {target}-step run ({learner.name}'s schedule depends on the total number "
                  f"of steps), so the result is not the uninterrupted {steps}-step run; --restart --steps {steps} "
                  "trains that one.", RuntimeWarning, stacklevel=3)

