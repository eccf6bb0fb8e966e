"""Meta-SGD (Li, Zhou, Chen & Li 2017, "Meta-SGD: Learning to Learn Quickly for Few-Shot Learning").

MAML with a learned inner learning rate *per parameter coordinate* (Eq. 3):
    θ'_i = θ − α ⊙ ∇_θ L_{S_i}(f_θ)
where α has the shape of θ and is meta-trained together with θ (Eq. 4):
    min_{θ, α} Σ_i L_{Q_i}(f_{θ'_i})
α sets both the size *and the direction* of the update (its entries may become negative). The
meta-gradient with respect to α is −∇L_S(θ) ⊙ ∇L_Q(θ') for one step — so α receives gradients from
the very first outer step.

References:
    Li et al. (2017), arXiv:1707.09835, Eq. (3)-(4), Algorithm 1; Section 4.1 (sine: α initialised
    uniformly in [0.005, 0.1], one inner step, Adam).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ...core.checks import check_positive, check_range
from ...models import build_model
from ..base import GradientLearner


def _key(name: str) -> str:
    return name.replace(".", "__")  # ParameterDict keys may not contain dots


class MetaSGD(GradientLearner):
    """Meta-SGD: initialisation θ and per-coordinate inner learning rates α, meta-trained jointly.

    Args:
        model, loss, inner_steps, first_order: as :class:`~meta_course.learners.optimisation.maml.MAML`
            (the meta-objective is MAML's, :meth:`~meta_course.learners.base.GradientLearner.meta_loss`).
        alpha_init: (low, high) of the uniform initialisation of α (paper: (0.005, 0.1)).
        alpha_outer_lr: Adam step size for α; ``None`` uses the recipe's outer_lr (β) for both.

    Knobs of :meth:`adapt`: ``inner_lr=None`` uses the learned α; a float replaces it by plain SGD
    with that step (to compare with MAML's fixed α on the same initialisation).

    References:
        Li et al. (2017), Eq. (3)-(4).

    Example:
        >>> import torch
        >>> from meta_course.tasks.sine import SineTasks
        >>> m = MetaSGD({"name": "mlp", "sizes": [1, 40, 40, 1]})
        >>> sorted(m.inner_lrs())[:2], m.inner_lrs()["0.weight"].shape
        (['0.bias', '0.weight'], torch.Size([40, 1]))
    """

    name = "meta-sgd"

    def __init__(self, model: dict, loss: str = "mse", inner_steps: int = 1, first_order: bool = False,
                 alpha_init: tuple[float, float] | list[float] = (0.005, 0.1), alpha_outer_lr: float | None = None):
        low, high = (float(v) for v in alpha_init)
        check_range("alpha_init low", low, -10.0, high, "Give (low, high) with low <= high, e.g. (0.005, 0.1).")
        if alpha_outer_lr is not None:
            check_positive("alpha_outer_lr", alpha_outer_lr, "Adam's step size for α; e.g. 1e-3, or None for β.")
        super().__init__(build_model(model), loss, inner_lr=None, inner_steps=inner_steps, first_order=first_order)
        self.config = dict(model=model, loss=loss, inner_steps=inner_steps, first_order=first_order,
                           alpha_init=[low, high], alpha_outer_lr=alpha_outer_lr)
        self.alpha = nn.ParameterDict({
            _key(k): nn.Parameter(low + (high - low) * torch.rand_like(v)) for k, v in self.net.named_parameters()})
        self.alpha_outer_lr = alpha_outer_lr

    def inner_lrs(self) -> dict[str, Tensor]:
        """α as a dict keyed like θ (what :func:`~meta_course.core.functional.sgd_step` multiplies)."""
        return {k: self.alpha[_key(k)] for k in self.params()}

    def optimizers(self, outer_lr: float) -> dict[str, torch.optim.Optimizer]:
        """Adam over two groups: θ with β, α with ``alpha_outer_lr`` (default β)."""
        return {"outer": torch.optim.Adam([
            {"params": list(self.net.parameters()), "lr": outer_lr},
            {"params": list(self.alpha.parameters()), "lr": self.alpha_outer_lr or outer_lr},
        ])}
