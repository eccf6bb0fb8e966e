"""The transfer-learning baseline of the MAML paper: joint pretraining, then fine-tuning.

One network is trained on the union of all tasks' examples (no adaptation inside training):
    min_θ E_T [ L_T(f_θ) ]
and adapted to a new task with exactly the inner loop MAML uses (same α, same steps). On sine
waves the jointly trained network learns the *average* task — close to y = 0, because phases cancel —
so a few gradient steps from it barely move: the point the MAML paper's Figure 2 makes.
"""

from __future__ import annotations

from torch import Tensor

from ...core.functional import pooled_loss
from ...models import build_model
from ..base import GradientLearner


class Pretrained(GradientLearner):
    """Joint pretraining + fine-tuning baseline (Finn et al. 2017, Section 5.1, "pretrained").

    Args: as :class:`~meta_course.learners.optimisation.maml.MAML`; ``inner_lr``/``inner_steps`` are used only
    by :meth:`adapt` (fine-tuning with the shared gradient inner loop), never during pretraining.

    References:
        Finn et al. (2017), Section 5.1 and Appendix C ("pretrained, step=0.02" in Figure 2).
    """

    name = "pretrained"

    def __init__(self, model: dict, loss: str = "mse", inner_lr: float = 1e-3, inner_steps: int = 1,
                 first_order: bool = False):
        super().__init__(build_model(model), loss, inner_lr, inner_steps, first_order)
        self.config = dict(model=model, loss=loss, inner_lr=inner_lr, inner_steps=inner_steps,
                           first_order=first_order)

    def meta_loss(self, episodes) -> Tensor:
        """Mean loss of f_θ on every support and query example of the batch, pooled."""
        return pooled_loss(self.net, self.params(), episodes, self.loss_fn)
