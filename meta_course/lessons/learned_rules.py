"""What the learned-update-rule lesson measures: is a meta-learned rule better than a tuned hand-designed
one from the same starting point? (Ravi & Larochelle 2017; Andrychowicz et al. 2016.)

:func:`sgd_query_mse` scores plain SGD with a given step size from given initial weights;
:func:`rule_or_initialisation` compares the LSTM meta-learner's learned updates with tuned SGD from its own
learned initialisation and from the jointly pretrained network, on the same held-out tasks.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

#: the step sizes tuned SGD chooses from (on validation tasks)
SGD_GRID = (1e-3, 3e-3, 0.01, 0.03, 0.1)


def sgd_query_mse(net: nn.Module, init: dict, episodes, inner_lr: float, steps: int = 10,
                  loss_fn=nn.functional.mse_loss) -> float:
    """Mean query loss after ``steps`` SGD steps of size ``inner_lr`` from ``init`` on each task's support set
    (``inf`` if any task diverges)."""
    from ..core.functional import task_loss
    from ..learners.optimisation.l2l_optimizer import hand_designed_path

    init = {k: v.detach() for k, v in init.items()}

    def one(xs, ys, xq, yq):
        return task_loss(net, hand_designed_path(net, loss_fn, init, xs, ys, "sgd", inner_lr, steps)[-1], xq, yq, loss_fn)

    with torch.no_grad():
        v = torch.func.vmap(one)(*episodes)
    return v.mean().item() if torch.isfinite(v).all() else math.inf


def tuned_sgd(net: nn.Module, init: dict, validation, test, steps: int = 10,
              grid: Sequence[float] = SGD_GRID) -> tuple[float, float]:
    """``(α, test query MSE)`` of SGD whose step size α was chosen on ``validation`` among ``grid``."""
    lr = min(grid, key=lambda a: sgd_query_mse(net, init, validation, a, steps))
    return lr, sgd_query_mse(net, init, test, lr, steps)


def rule_or_initialisation(metalstm, pretrained, validation, test, steps: int = 10) -> dict:
    """The meta-LSTM's ``steps`` learned updates against tuned SGD (same steps) from the meta-LSTM's own θ_0
    and from the pretrained network, on ``test``. Returns ``{label: query MSE}`` (labels name the tuned α)."""
    from ..evaluate import evaluate

    out = {"meta-LSTM, learned updates": evaluate(metalstm, test, inner_steps=steps).mean}
    for name, learner in (("meta-LSTM θ_0", metalstm), ("pretrained θ", pretrained)):
        lr, mse = tuned_sgd(learner.net, learner.params(), validation, test, steps)
        out[f"SGD from {name} (α={lr:g})"] = mse
    return out
