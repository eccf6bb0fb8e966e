"""The transfer-learning baseline of the MAML paper: joint pretraining, then fine-tuning.

One network is trained on the union of all tasks' examples (no adaptation inside training):
    min_θ E_T [ L_T(f_θ) ]
and adapted to a new task with exactly the inner loop MAML uses (same α, same steps). On sine
waves the jointly trained network learns the *average* task — close to y = 0, because phases cancel —
so a few gradient steps from it barely move: the point the MAML paper's Figure 2 makes.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ...core.functional import forward
from .maml import MAML


class Pretrained(MAML):
    """Joint pretraining + fine-tuning baseline (Finn et al. 2017, Section 5.1, "pretrained").

    Args: as :class:`~meta_course.learners.optimisation.maml.MAML`; ``inner_lr``/``inner_steps`` are used only
    by :meth:`adapt` (fine-tuning), never during pretraining.

    References:
        Finn et al. (2017), Section 5.1 and Appendix C ("pretrained, step=0.02" in Figure 2).
    """

    name = "pretrained"

    def meta_loss(self, episodes, use_vmap: bool = True) -> Tensor:
        """Mean loss of f_θ on every support and query example of the batch, pooled."""
        x = torch.cat([episodes.x_support, episodes.x_query], dim=1).flatten(0, 1)
        y = torch.cat([episodes.y_support, episodes.y_query], dim=1).flatten(0, 1)
        return self.loss_fn(forward(self.net, self.params(), x), y)
