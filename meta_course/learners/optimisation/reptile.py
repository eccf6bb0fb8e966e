"""Reptile (Nichol, Achiam & Schulman 2018, "On First-Order Meta-Learning Algorithms").

For each task T_i of a meta-batch, run k steps of SGD from θ on the task's data (Algorithm 1, line 4):
    φ_i = U^k_{T_i}(θ)
then move θ towards the adapted parameters (Algorithm 2, the batched version):
    θ ← θ + ε · (1/n) Σ_i (φ_i − θ)
The serial version (Algorithm 1) is the same with one task per update (``meta_batch_size=1``), or
:func:`reptile_serial`, which applies the update task after task. The outer step size ε is annealed
linearly to ``final_fraction``·ε over training (the paper anneals it to 0).

How it fits the shared training loop: the meta-loss is the surrogate
    L(θ) = ½ ‖θ − sg(φ̄)‖²,   φ̄ = (1/n) Σ_i φ_i,   sg = stop-gradient,
whose gradient is θ − φ̄, and the outer optimiser is plain SGD with step ε, so one loop step is
exactly θ − ε(θ − φ̄) = θ + ε(φ̄ − θ). No second derivative is ever computed.

References:
    Nichol, Achiam & Schulman (2018), arXiv:1803.02999, Algorithms 1 and 2, Section 5 (Taylor
    expansion of the update), Appendix A (sine hyper-parameters: SGD inner loop, ε annealed to 0).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.func import vmap

from ...core.checks import check_choice, check_positive, check_range
from ...core.functional import Params, adapt
from ...tasks import Episode
from ...models import build_model
from ..base import GradientLearner


#: where Reptile's inner loop takes its data from (see :func:`adapted_params`)
INNER_DATA = ("all", "minibatches", "support")


def adapted_params(model, params: Params, episodes, loss_fn, inner_lr: float, inner_steps: int,
                   use_vmap: bool = True, inner_data: str = "all") -> Params:
    """φ_i = U^k(θ) for every task of a batch: a dict of ``[T, ...]`` tensors (no graph to θ).

    ``inner_data="all"``: the inner loop uses the support and query examples of each task together —
    Reptile has no support/query split, it trains on all the task's data (Nichol et al. 2018,
    Algorithm 1) — every step on the whole batch. ``"minibatches"``: the same data dealt into
    ``inner_steps`` interleaved minibatches ``x[j::k]``, one SGD step on each (the paper's Omniglot
    set-up: 10 shots per class, 5 steps on minibatches of 10). Different minibatches are what makes
    Reptile's update contain the term that raises the inner product between their gradients
    (Section 5); repeated steps on one batch only shrink the gradient's norm. ``"support"``: only the
    support set, exactly what :meth:`Reptile.adapt` sees.
    """
    check_choice("inner_data", inner_data, INNER_DATA)
    if inner_data in ("all", "minibatches"):
        x = torch.cat([episodes.x_support, episodes.x_query], dim=1)
        y = torch.cat([episodes.y_support, episodes.y_query], dim=1)
    else:
        x, y = episodes.x_support, episodes.y_support
    theta = {k: v.detach() for k, v in params.items()}

    def one(xs, ys):
        if inner_data == "minibatches":
            return minibatch_sgd(model, theta, xs, ys, loss_fn, inner_lr, inner_steps)
        return adapt(model, theta, xs, ys, loss_fn, inner_lr, inner_steps, first_order=True)

    if use_vmap:
        return vmap(one, randomness="different")(x, y)
    per_task = [one(x[i], y[i]) for i in range(x.shape[0])]
    return {k: torch.stack([p[k] for p in per_task]) for k in theta}


def minibatch_sgd(model, params: Params, x: Tensor, y: Tensor, loss_fn, inner_lr: float, inner_steps: int) -> Params:
    """φ = U^k(θ) with step j on the minibatch ``x[j::k]`` (k = ``inner_steps``): one pass over the data.

    Raises:
        ValueError: fewer examples than steps (a minibatch would be empty).
    """
    if x.shape[0] < inner_steps:
        raise ValueError(f"inner_data='minibatches' deals {x.shape[0]} examples into inner_steps={inner_steps} "
                         "minibatches: use at least as many examples per task as inner steps.")
    phi = params
    for j in range(inner_steps):  # the shared inner step, once per minibatch
        phi = adapt(model, phi, x[j::inner_steps], y[j::inner_steps], loss_fn, inner_lr, 1, first_order=True)
    return phi


def reptile_step(model, params: Params, episodes, loss_fn, inner_lr: float, inner_steps: int,
                 epsilon: float) -> Params:
    """The batched update θ + ε·mean_i(φ_i − θ) (Algorithm 2), computed directly — the reference the
    training loop's surrogate-loss step is tested against."""
    phi = adapted_params(model, params, episodes, loss_fn, inner_lr, inner_steps)
    return {k: params[k].detach() + epsilon * (phi[k] - params[k].detach()).mean(0) for k in params}


def reptile_serial(model, params: Params, episodes, loss_fn, inner_lr: float, inner_steps: int,
                   epsilon: float) -> Params:
    """The serial update (Algorithm 1): θ ← θ + ε(φ_i − θ) after each task in turn."""
    theta = {k: v.detach() for k, v in params.items()}
    for i in range(episodes.x_support.shape[0]):
        one_task = Episode(*(t[i:i + 1] for t in episodes))
        theta = reptile_step(model, theta, one_task, loss_fn, inner_lr, inner_steps, epsilon)
    return theta


class Reptile(GradientLearner):
    """Reptile: meta-learn an initialisation by moving it towards task-adapted weights.

    Args:
        model, loss: as :class:`~meta_course.learners.optimisation.maml.MAML`.
        inner_lr: step size of the inner SGD (the paper's sine demo: 0.02).
        inner_steps: k, inner SGD steps per task during meta-training (and adaptation default).
        anneal: ``"linear"`` (ε decays linearly to ``final_fraction``·ε over training) or ``"none"``.
        final_fraction: ε at the last step as a fraction of the initial ε (the outer lr of the recipe).
        inner_data: ``"all"`` (each task's support+query examples, every step on all of them),
            ``"minibatches"`` (the same examples dealt into one minibatch per step, the paper's
            Omniglot set-up) or ``"support"``.
        anneal_steps: length of the ε schedule (default: the run's ``steps``); a run stopped early
            keeps the schedule it was trained with.

    The outer step size ε is the training loop's ``outer_lr``. :meth:`adapt` is the shared gradient
    inner loop (:class:`~meta_course.learners.base.GradientLearner`), so the same widget and evaluation apply.

    References:
        Nichol et al. (2018), Algorithms 1-2.

    Example:
        >>> import torch
        >>> from meta_course.tasks.sine import SineTasks
        >>> r = Reptile({"name": "mlp", "sizes": [1, 40, 40, 1]}, inner_steps=3)
        >>> ep = SineTasks().sample(torch.Generator().manual_seed(0), 4, k_shot=5)
        >>> loss = r.meta_loss(ep)   # ½‖θ − φ̄‖²
        >>> loss.backward()          # grad = θ − φ̄
        >>> float(loss) > 0
        True
    """

    name = "reptile"

    def __init__(self, model: dict, loss: str = "mse", inner_lr: float = 0.02, inner_steps: int = 5,
                 anneal: str = "linear", final_fraction: float = 0.0, inner_data: str = "all",
                 anneal_steps: int | None = None):
        super().__init__(build_model(model), loss, inner_lr, inner_steps, first_order=True)
        check_choice("anneal", anneal, ("linear", "none"), "Reptile anneals ε linearly in the paper.")
        check_range("final_fraction", final_fraction, 0.0, 1.0, "ε_final = final_fraction · ε; the paper uses 0.")
        check_positive("inner_lr", inner_lr, "The paper's sine demo uses 0.02.")
        check_choice("inner_data", inner_data, INNER_DATA)
        if anneal_steps is not None:
            check_range("anneal_steps", anneal_steps, 2, 10**9, "The length of the ε schedule; None = the run's steps.")
        self.config = dict(model=model, loss=loss, inner_lr=inner_lr, inner_steps=inner_steps, anneal=anneal,
                           final_fraction=final_fraction, inner_data=inner_data, anneal_steps=anneal_steps)
        self.anneal, self.final_fraction, self.inner_data = anneal, final_fraction, inner_data
        self.anneal_steps = anneal_steps

    def reptile_target(self, episodes, use_vmap: bool = True) -> Params:
        """φ̄ = mean_i φ_i over the meta-batch."""
        phi = adapted_params(self.net, self.params(), episodes, self.loss_fn, self.inner_lr, self.inner_steps,
                             use_vmap=use_vmap, inner_data=self.inner_data)
        return {k: v.mean(0) for k, v in phi.items()}

    def meta_loss(self, episodes, use_vmap: bool = True) -> Tensor:
        """The surrogate ½‖θ − sg(φ̄)‖², whose gradient is θ − φ̄."""
        target = self.reptile_target(episodes, use_vmap)
        return sum(0.5 * ((p - target[k]) ** 2).sum() for k, p in self.params().items())

    def optimizers(self, outer_lr: float) -> dict[str, torch.optim.Optimizer]:
        """Plain SGD with step ε: θ ← θ − ε(θ − φ̄) (Adam would rescale the Reptile direction)."""
        return {"outer": torch.optim.SGD(self.parameters(), lr=outer_lr)}

    def outer_lr_factor(self, step: int, steps: int) -> float:
        """ε_t / ε_0: linear from 1 at step 0 to ``final_fraction`` at the last step."""
        total = self.anneal_steps or steps
        if self.anneal == "none" or total <= 1:
            return 1.0
        frac = min(step / (total - 1), 1.0)
        return 1.0 - (1.0 - self.final_fraction) * frac
