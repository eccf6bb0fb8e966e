"""MAML, second and first order (Finn, Abbeel & Levine 2017).

Inner loop (Eq. 1), for each task T_i with support set S_i:
    θ'_i = θ − α ∇_θ L_{S_i}(f_θ)                     (repeated ``inner_steps`` times)
Meta-objective (Eq. 2) and meta-update (Eq. 3), on the query sets Q_i:
    min_θ Σ_i L_{Q_i}(f_{θ'_i}),     θ ← θ − β ∇_θ Σ_i L_{Q_i}(f_{θ'_i})

The meta-gradient goes *through* the inner update: for one step,
∇_θ L_Q(θ') = (I − α ∇²L_S(θ)) ∇L_Q(θ'). First-order MAML drops the Hessian term by detaching the
inner gradient, so its meta-gradient is just ∇L_Q(θ') evaluated at the adapted parameters.
"""

from __future__ import annotations

from ...models import build_model
from ..base import GradientLearner


class MAML(GradientLearner):
    """Model-Agnostic Meta-Learning.

    The meta-objective (Eq. 2, :meth:`~meta_course.learners.base.GradientLearner.meta_loss`) and the
    inner loop (Eq. 1, :meth:`~meta_course.learners.base.GradientLearner.adapt`) are the shared ones of
    :class:`~meta_course.learners.base.GradientLearner`: MAML *is* that pair, differentiated through.

    Args:
        model: a model spec for :func:`meta_course.models.build_model`, e.g.
            ``{"name": "mlp", "sizes": [1, 40, 40, 1]}``; its parameters are θ.
        loss: ``"mse"`` (regression) or ``"cross_entropy"`` (classification).
        inner_lr: α. The MAML paper's text says 0.01 for sine, its reference code's default is 1e-3;
            trained here, both reproduce its table and 1e-3 is slightly better (lesson 01).
        inner_steps: inner gradient steps during meta-training.
        first_order: FOMAML — detach the inner gradients.

    References:
        Finn et al. (2017), Algorithm 2 and Eq. (1)-(3); Section 5.2 for first-order MAML.

    Example:
        >>> import torch
        >>> from meta_course.tasks.sine import SineTasks
        >>> maml = MAML({"name": "mlp", "sizes": [1, 40, 40, 1]})
        >>> episodes = SineTasks().sample(torch.Generator().manual_seed(0), 4, k_shot=5)
        >>> maml.meta_loss(episodes).shape
        torch.Size([])
    """

    name = "maml"

    def __init__(self, model: dict, loss: str = "mse", inner_lr: float = 1e-3, inner_steps: int = 1,
                 first_order: bool = False):
        super().__init__(build_model(model), loss, inner_lr, inner_steps, first_order)
        self.config = dict(model=model, loss=loss, inner_lr=inner_lr, inner_steps=inner_steps,
                           first_order=first_order)


class FOMAML(GradientLearner):
    """First-order MAML (Finn et al. 2017, Section 5.2): MAML's objective with the inner gradients detached."""

    name = "fomaml"

    def __init__(self, model: dict, loss: str = "mse", inner_lr: float = 1e-3, inner_steps: int = 1,
                 first_order: bool = True):
        if not first_order:
            raise ValueError("fomaml is first order by definition: use learner 'maml' for second order.")
        super().__init__(build_model(model), loss, inner_lr, inner_steps, first_order=True)
        self.config = dict(model=model, loss=loss, inner_lr=inner_lr, inner_steps=inner_steps, first_order=True)
