"""One training loop for every learner of the course.

Each step samples a meta-batch of tasks from a seeded :class:`torch.Generator`, computes
``learner.meta_loss(episodes)``, back-propagates and steps the outer optimiser (Adam, β =
``outer_lr``). Checkpoints hold everything needed to continue bit-for-bit: the learner, the
optimiser, the task generator's state, the step and the history — so an interrupted run resumed
from its last checkpoint ends with exactly the parameters of an uninterrupted one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from tqdm.auto import tqdm

from .learners.base import Learner
from .core.checks import check_int, check_positive
from .core.device import default_device
from .tasks import Episode

SampleTasks = Callable[[torch.Generator, int], Episode]


@dataclass
class History:
    """Learning curves: training meta-loss per logged step and held-out evaluations."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    eval_mean: list[float] = field(default_factory=list)
    eval_ci95: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _atomic_save(obj, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


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
    eval_tasks: Episode | None = None,
    eval_every: int = 1000,
    eval_knobs: dict | None = None,
    log_every: int = 100,
    clip_grad_norm: float = 0.0,
    device: torch.device | str | None = None,
    progress: bool = True,
    callback: Callable[[int, float], None] | None = None,
) -> History:
    """Meta-train ``learner`` for ``steps`` outer steps; resume from ``checkpoint`` if it exists.

    Args:
        learner: any :class:`~meta_course.learners.base.Learner`.
        sample_tasks: ``sample_tasks(generator, n_tasks) -> Episode`` with a leading task dim.
        steps: total outer steps (a resumed run continues up to this number).
        meta_batch_size: tasks per outer step.
        outer_lr: β, Adam's step size.
        seed: seeds the task generator (and torch's global RNG).
        checkpoint: file to save to every ``checkpoint_every`` steps and at the end, and to resume
            from when it exists.
        eval_tasks: held-out tasks scored every ``eval_every`` steps with ``eval_knobs``.
        log_every: steps between points of the loss history (the mean over those steps).
        clip_grad_norm: rescale the meta-gradient to at most this global norm before each step (0: off)
            — the usual guard for learners whose updates can blow up (the meta-LSTM's gates).
        device: default cuda → mps → cpu.
        callback: called as ``callback(step, loss)`` after each step (e.g. to stop early).

    Returns:
        The :class:`History` (also stored in the checkpoint).

    Raises:
        FloatingPointError: the meta-loss became NaN/inf; the message names the step, and the last
            good checkpoint is left untouched.

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
    if clip_grad_norm < 0:
        raise ValueError(f"clip_grad_norm={clip_grad_norm}: must be >= 0 (0 switches clipping off).")
    for name, value in (("checkpoint_every", checkpoint_every), ("eval_every", eval_every), ("log_every", log_every)):
        check_int(name, value, 1)
    device = torch.device(device) if device is not None else default_device()
    learner.to(device)
    optimizer = learner.outer_optimizer(outer_lr)
    for group in optimizer.param_groups:  # the schedule scales each group's own base step size
        group.setdefault("base_lr", group["lr"])
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    history, start = History(), 0
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    if checkpoint is not None and checkpoint.exists():
        start, history = _resume(checkpoint, learner, optimizer, generator)

    def save(step: int) -> None:
        if checkpoint is None:
            return
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        _atomic_save({"learner": learner.checkpoint(), "optimizer": optimizer.state_dict(), "step": step,
                      "generator": generator.get_state(), "rng": torch.get_rng_state(),
                      "history": history.as_dict()}, checkpoint)

    bar = tqdm(total=steps, initial=start, disable=not progress, desc=f"meta-train {learner.name}", dynamic_ncols=True)
    window, t0, step = [], time.perf_counter(), start
    try:
        while step < steps:
            gen_state = generator.get_state()
            episodes = sample_tasks(generator, meta_batch_size).to(device)
            loss = learner.meta_loss(episodes)
            if not torch.isfinite(loss):
                generator.set_state(gen_state)
                kept = f"the last good checkpoint {checkpoint} is kept" if checkpoint else "no checkpoint was set"
                raise FloatingPointError(
                    f"meta-loss is {loss.item()} at step {step + 1}: training stopped; {kept}. "
                    "Lower inner_lr or outer_lr (or inner_steps) and resume.")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip_grad_norm:
                torch.nn.utils.clip_grad_norm_(learner.parameters(), clip_grad_norm)
            factor = learner.outer_lr_factor(step, steps)
            for group in optimizer.param_groups:
                group["lr"] = group["base_lr"] * factor
            optimizer.step()
            step += 1
            window.append(loss.item())
            if step % log_every == 0 or step == steps:
                history.step.append(step)
                history.loss.append(sum(window) / len(window))
                window = []
                bar.set_postfix(loss=f"{history.loss[-1]:.4f}")
            if eval_tasks is not None and (step % eval_every == 0 or step == steps):
                _evaluate_into(history, step, learner, eval_tasks, eval_knobs or {})
            if callback is not None:
                callback(step, loss.item())
            if step % checkpoint_every == 0 or step == steps:
                history.seconds += time.perf_counter() - t0
                t0 = time.perf_counter()
                save(step)
            bar.update(1)
    finally:
        bar.close()
    return history


def _evaluate_into(history: History, step: int, learner, eval_tasks, knobs) -> None:
    from .evaluate import evaluate

    result = evaluate(learner, eval_tasks, **knobs)
    history.eval_step.append(step)
    history.eval_mean.append(result.mean)
    history.eval_ci95.append(result.ci95)


def _resume(path: Path, learner, optimizer, generator) -> tuple[int, History]:
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state["learner"]["name"] != learner.name or state["learner"]["config"] != learner.config:
        raise ValueError(
            f"checkpoint {path} holds {state['learner']['name']} with config {state['learner']['config']}, "
            f"not {learner.name} with {learner.config}: pass another --checkpoint path or delete that file.")
    learner.load_state_dict(state["learner"]["state_dict"])
    optimizer.load_state_dict(state["optimizer"])
    generator.set_state(state["generator"])
    torch.set_rng_state(state["rng"])
    history = History(**state["history"])
    return state["step"], history


def steps_per_second(learner: Learner, sample_tasks: SampleTasks, n_steps: int = 50, meta_batch_size: int = 25,
                     seed: int = 0, **meta_loss_kwargs) -> float:
    """Meta-training steps per second (forward, backward, Adam) — used by the benchmarks."""
    optimizer = torch.optim.Adam(learner.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    batches = [sample_tasks(generator, meta_batch_size) for _ in range(n_steps + 3)]
    for i, episodes in enumerate(batches):
        if i == 3:  # after warm-up
            t0 = time.perf_counter()
        loss = learner.meta_loss(episodes, **meta_loss_kwargs)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return n_steps / (time.perf_counter() - t0)

