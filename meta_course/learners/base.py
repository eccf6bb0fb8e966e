"""The one interface every few-shot learner of the course implements.

- ``learner.meta_loss(episodes)`` — the scalar a meta-training step minimises on a batch of tasks;
  :func:`meta_course.train.train` calls it, back-propagates, and steps the outer optimiser.
- ``learner.adapt(x_support, y_support, **knobs)`` — a predictor for that task; what a widget
  calls when a slider moves (MAML adapts parameters, ProtoNet builds prototypes, ...).
- ``learner.predict(episodes, **knobs)`` — query predictions for a batch of tasks; the default
  vectorises ``adapt`` with :func:`torch.func.vmap`. :func:`meta_course.evaluate.evaluate` uses it.

Learners are ``nn.Module``s whose parameters are the meta-parameters, and carry a ``config`` dict
(JSON-able) from which :func:`load_learner` rebuilds them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from torch import Tensor, nn
from torch.func import vmap

from ..core.functional import Params, forward

LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "mse": nn.functional.mse_loss,
    "cross_entropy": nn.functional.cross_entropy,
    "sse": lambda pred, target: ((pred - target) ** 2).sum(),  # the learned optimiser's quadratics
}


class Predictor:
    """A task-specific model: ``predictor(x)`` returns predictions; ``params`` the fast weights."""

    def __init__(self, model: nn.Module, params: Params, trajectory: list[Params] | None = None):
        self.model, self.params, self.trajectory = model, params, trajectory

    def __call__(self, x: Tensor) -> Tensor:
        return forward(self.model, self.params, x)


class Learner(nn.Module):
    """Base class: subclasses set ``self.config`` and implement ``meta_loss`` and ``adapt``."""

    name = "learner"
    metric = "mse"  # what evaluate() reports: "mse" (lower is better) or "accuracy"

    def meta_loss(self, episodes) -> Tensor:
        raise NotImplementedError

    def adapt(self, x_support: Tensor, y_support: Tensor, **knobs) -> Callable[[Tensor], Tensor]:
        raise NotImplementedError

    def predict(self, episodes, **knobs) -> Tensor:
        """Query predictions ``[T, Q, ...]`` for a batch of tasks, each adapted on its support set."""
        def one(xs, ys, xq):
            return self.adapt(xs, ys, **knobs)(xq)

        return vmap(one, randomness="different")(episodes.x_support, episodes.y_support, episodes.x_query)

    def outer_optimizer(self, outer_lr: float) -> torch.optim.Optimizer:
        """The optimiser :func:`meta_course.train.train` steps (default: Adam with step size β).

        Learners override this when their outer update is not Adam on the meta-loss, e.g. Reptile
        (plain SGD with step ε on a surrogate whose gradient is θ − φ̄) or Meta-SGD (its own step
        size for the learned inner learning rates, as a second parameter group).
        """
        return torch.optim.Adam(self.parameters(), lr=outer_lr)

    def outer_lr_factor(self, step: int, steps: int) -> float:
        """Multiplier of every parameter group's step size at outer step ``step`` of ``steps``
        (default 1: constant). Reptile anneals ε linearly with it. A pure function of the step, so
        a resumed run follows exactly the same schedule."""
        return 1.0

    def checkpoint(self) -> dict:
        """A ``torch.load(weights_only=True)``-safe dict from which :func:`load_learner` rebuilds it."""
        return {"name": self.name, "config": self.config, "state_dict": self.state_dict()}


def save_learner(learner: Learner, path, **extra) -> Path:
    """Write ``learner`` (and small JSON-able ``extra`` data, e.g. a history) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save({**learner.checkpoint(), **extra}, tmp)
    tmp.replace(path)  # atomic: an interrupted save never leaves a half-written checkpoint
    return path


def learner_from_checkpoint(ckpt: dict, device=None) -> Learner:
    """Rebuild a learner from a :meth:`Learner.checkpoint` dict (class looked up in the learner table)."""
    from .table import get_learner_class  # the table imports every learner module, each importing this one

    learner = get_learner_class(ckpt["name"])(**ckpt["config"])
    learner.load_state_dict(ckpt["state_dict"])
    return learner.to(device) if device is not None else learner


def load_learner(path, device=None) -> Learner:
    """Rebuild a learner saved by :func:`save_learner` or by the training loop.

    Example:
        >>> from meta_course.checkpoints import checkpoint_path
        >>> load_learner(checkpoint_path("maml_sine")).name
        'maml'
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist: train one with `python -m meta_course train`.")
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    return learner_from_checkpoint(ckpt.get("learner", ckpt), device)
