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

from torch import Tensor

from ...core.functional import adapt, meta_batch_loss
from ...core.heads import fit_head, head_names, infer_n_way
from ...models import build_model
from ..base import LOSSES, Learner, Predictor


class MAML(Learner):
    """Model-Agnostic Meta-Learning.

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
        super().__init__()
        self.config = dict(model=model, loss=loss, inner_lr=inner_lr, inner_steps=inner_steps,
                           first_order=first_order)
        self.net = build_model(model)
        self.loss_fn = LOSSES[loss]
        self.metric = "mse" if loss == "mse" else "accuracy"
        self.inner_lr, self.inner_steps, self.first_order = inner_lr, inner_steps, first_order

    def params(self) -> dict[str, Tensor]:
        """θ as a dict (the module's own parameters: the outer optimiser updates them)."""
        return dict(self.net.named_parameters())

    def inner_lrs(self):
        """α used by :meth:`adapt` (Meta-SGD overrides this with its learned vector)."""
        return self.inner_lr

    def meta_loss(self, episodes, use_vmap: bool = True) -> Tensor:
        """Σ_i L_{Q_i}(f_{θ'_i}) / T over a meta-batch (Eq. 2), differentiable w.r.t. θ."""
        return meta_batch_loss(self.net, self.params(), episodes, self.loss_fn, self.inner_lrs(),
                               self.inner_steps, self.first_order, use_vmap=use_vmap)

    def adapt(self, x_support, y_support, inner_steps: int | None = None, inner_lr: float | None = None,
              first_order: bool | None = None, n_way: int | None = None) -> Predictor:
        """θ' after ``inner_steps`` steps on the support set (defaults: the training settings).

        For classification, ``n_way`` (default: from the labels; required inside ``vmap``) may differ
        from the trained head: :func:`~meta_course.core.heads.fit_head` then repeats its mean row.
        """
        steps = self.inner_steps if inner_steps is None else inner_steps
        lr = self.inner_lrs() if inner_lr is None else inner_lr
        fo = self.first_order if first_order is None else first_order
        params = self.params()
        if self.metric == "accuracy":
            names = head_names(self.net)
            n = infer_n_way(y_support) if n_way is None else n_way
            params = fit_head(params, names, n)
            lr = fit_head(lr, names, n) if isinstance(lr, dict) else lr
        path = adapt(self.net, params, x_support, y_support, self.loss_fn, lr, steps, fo, trajectory=True)
        return Predictor(self.net, path[-1], path)

    def predict(self, episodes, **knobs):
        if self.metric == "accuracy" and knobs.get("n_way") is None:
            knobs["n_way"] = infer_n_way(episodes.y_support)  # vmap cannot read it from the labels
        return super().predict(episodes, **knobs)


class FOMAML(MAML):
    """First-order MAML: :class:`MAML` with ``first_order=True`` (Finn et al. 2017, Section 5.2)."""

    name = "fomaml"

    def __init__(self, model: dict, loss: str = "mse", inner_lr: float = 1e-3, inner_steps: int = 1,
                 first_order: bool = True):
        if not first_order:
            raise ValueError("fomaml is first order by definition: use learner 'maml' for second order.")
        super().__init__(model, loss, inner_lr, inner_steps, True)
