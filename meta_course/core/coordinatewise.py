"""Shared pieces of the learned optimisers: gradient preprocessing and coordinate-wise LSTM cells.

Both the LSTM meta-learner (Ravi & Larochelle 2017) and the learned optimiser (Andrychowicz et al.
2016) act on *each parameter coordinate separately with the same small network*: the optimiser's
weights do not depend on how many parameters the learner has, and every coordinate is one row of a
batch. Gradients span many orders of magnitude, so both papers feed the network
    preprocess(x) = ( log(|x|)/p , sign(x) )   if |x| ≥ e^{−p}
                    ( −1 ,        e^{p} · x )  otherwise                     (Andrychowicz et al., App. A)
with p = 10: the first feature carries the magnitude, the second the sign.

References:
    Andrychowicz et al. (2016), "Learning to learn by gradient descent by gradient descent", NeurIPS,
    Section 2.1 (coordinate-wise LSTM), Appendix A (preprocessing).
    Ravi & Larochelle (2017), "Optimization as a Model for Few-Shot Learning", ICLR, Section 3.2 and
    Appendix (the same preprocessing for gradients and losses).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .checks import check_positive
from .functional import flatten, unflatten  # noqa: F401  (the coordinates the cells run over)


def preprocess(x: Tensor, p: float = 10.0) -> Tensor:
    """Log/sign preprocessing: ``x`` of any shape → ``[..., 2]``.

    Example:
        >>> preprocess(torch.tensor([1.0, -1e-6, 0.0]))
        tensor([[ 0.0000,  1.0000],
                [-1.0000, -0.0220],
                [-1.0000,  0.0000]])
    """
    check_positive("p", p, "Andrychowicz et al. use p = 10.")
    big = x.abs() >= math.exp(-p)
    # where() evaluates both branches: clamp keeps log finite (and its gradient) on the unused one
    log_part = torch.where(big, torch.log(x.abs().clamp_min(math.exp(-p))) / p, torch.full_like(x, -1.0))
    sign_part = torch.where(big, torch.sign(x), math.exp(p) * x)
    return torch.stack([log_part, sign_part], dim=-1)


class CoordinateLSTMCell(nn.Module):
    """A standard LSTM cell written out (so it runs under ``vmap``), applied to a batch of coordinates.

    ``forward(x [n, in], (h, c) [n, hidden]) -> (h', c')`` with gates i, f, g, o as in
    Hochreiter & Schmidhuber (1997); the forget-gate bias starts at ``forget_bias``.
    """

    def __init__(self, input_size: int, hidden_size: int, forget_bias: float = 1.0):
        super().__init__()
        self.hidden_size = hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias = nn.Parameter(torch.zeros(4 * hidden_size))
        bound = 1 / math.sqrt(hidden_size)
        nn.init.uniform_(self.weight_ih, -bound, bound)
        nn.init.uniform_(self.weight_hh, -bound, bound)
        with torch.no_grad():
            self.bias[hidden_size:2 * hidden_size] = forget_bias

    def zero_state(self, n: int, like: Tensor) -> tuple[Tensor, Tensor]:
        z = like.new_zeros(n, self.hidden_size)
        return z, z

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        h, c = state
        i, f, g, o = (x @ self.weight_ih.T + h @ self.weight_hh.T + self.bias).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
