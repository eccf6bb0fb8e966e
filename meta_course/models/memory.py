"""Pieces shared by every memory-augmented network of the course (MANN, NTM, DNC).

A memory is a batch of matrices ``M [B, N, W]``: ``N`` slots (rows) of width ``W``. Heads address
it with *weightings* ``w [B, H, N]`` (one distribution over slots per head, rows sum to at most 1):

- content addressing: ``w(i) = softmax_i(β · cos(k, M(i)))``            (:func:`content_weights`)
- reading:            ``r = Σ_i w(i) M(i)``                            (:func:`read`)
- writing:            ``M(i) ← M(i) ∘ (1 − w(i) e) + w(i) a``          (:func:`erase_and_add`)

How a network *chooses* its weightings is what distinguishes the three papers (least recently
used access, location shifts, dynamic allocation and temporal links); that lives in
``meta_course.learners.memory.{mann, ntm, dnc}``. This module also holds the recurrent controller
they share (:class:`Controller`) and the plain LSTM sequence model used as their baseline
(:class:`SequenceLSTM`).

References:
    Graves, Wayne & Danihelka (2014), "Neural Turing Machines", arXiv:1410.5401, Eqs. 2–6.
    Santoro et al. (2016), "Meta-Learning with Memory-Augmented Neural Networks", ICML, Eqs. 2–4.
    Graves et al. (2016), "Hybrid computing using a neural network with dynamic external memory",
    Nature 538, Methods ("Content-based addressing").
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core.checks import check_int

#: added under square roots and denominators: a zero memory row has cosine 0 with every key, not NaN
EPS = 1e-8


def oneplus(x: Tensor) -> Tensor:
    """``1 + log(1 + eˣ)`` ∈ (1, ∞): the DNC's map to key strengths and the NTM's sharpening γ ≥ 1.

    Example:
        >>> float(oneplus(torch.tensor(0.0)))  # 1 + log 2
        1.6931471824645996
    """
    return 1.0 + nn.functional.softplus(x)


def cosine_similarity(keys: Tensor, memory: Tensor, eps: float = EPS) -> Tensor:
    """``K(k, M(i)) = k·M(i) / (‖k‖ ‖M(i)‖)`` for every head and slot (NTM Eq. 6).

    Args:
        keys: ``[B, H, W]``, one key per head.
        memory: ``[B, N, W]``.
        eps: keeps the norm differentiable at a zero row (an empty slot has similarity 0).

    Returns:
        ``[B, H, N]`` in ``[−1, 1]``.

    Example:
        >>> m = torch.tensor([[[1., 0.], [0., 2.], [0., 0.]]])
        >>> cosine_similarity(torch.tensor([[[3., 0.]]]), m)
        tensor([[[1., 0., 0.]]])
    """
    k_norm = keys.pow(2).sum(-1, keepdim=True).add(eps).sqrt()           # [B, H, 1]
    m_norm = memory.pow(2).sum(-1).add(eps).sqrt().unsqueeze(1)          # [B, 1, N]
    return (keys @ memory.transpose(1, 2)) / (k_norm * m_norm)


def content_weights(keys: Tensor, memory: Tensor, strength: Tensor | float = 1.0) -> Tensor:
    """Content-based addressing ``w(i) = exp(β K(k, M(i))) / Σ_j exp(β K(k, M(j)))`` (NTM Eq. 5).

    Args:
        keys: ``[B, H, W]``.
        memory: ``[B, N, W]``.
        strength: β, ``[B, H]`` or a number; β = 1 is MANN's Eq. 3, larger β sharpens.

    Returns:
        ``[B, H, N]``, each row a distribution over the slots.

    Example:
        >>> m = torch.tensor([[[1., 0.], [0., 1.]]])
        >>> content_weights(torch.tensor([[[1., 0.]]]), m, strength=torch.tensor([[2.0]])).round(decimals=4)
        tensor([[[0.8808, 0.1192]]])
    """
    sim = cosine_similarity(keys, memory)
    if isinstance(strength, Tensor):
        sim = sim * strength.unsqueeze(-1)
    elif strength != 1.0:
        sim = sim * strength
    return torch.softmax(sim, dim=-1)


def read(memory: Tensor, weights: Tensor) -> Tensor:
    """Read vectors ``r = Σ_i w(i) M(i)`` (NTM Eq. 2): ``[B, N, W]``, ``[B, H, N]`` → ``[B, H, W]``.

    Example:
        >>> read(torch.tensor([[[1., 2.], [3., 4.]]]), torch.tensor([[[0.25, 0.75]]]))
        tensor([[[2.5000, 3.5000]]])
    """
    return weights @ memory


def erase_and_add(memory: Tensor, weights: Tensor, erase: Tensor, add: Tensor) -> Tensor:
    """One write head: ``M(i) ← M(i) ∘ (1 − w(i) e) + w(i) a`` (NTM Eqs. 3–4; the DNC's
    ``M ∘ (E − w eᵀ) + w vᵀ``).

    Args:
        memory: ``[B, N, W]``.
        weights: ``[B, N]`` write weighting.
        erase: ``[B, W]`` in ``[0, 1]``.
        add: ``[B, W]``.

    Example:
        >>> m = torch.ones(1, 2, 2)
        >>> erase_and_add(m, torch.tensor([[1., 0.]]), torch.tensor([[1., 0.5]]), torch.tensor([[7., 7.]]))
        tensor([[[7.0000, 7.5000],
                 [1.0000, 1.0000]]])
    """
    w = weights.unsqueeze(-1)                                            # [B, N, 1]
    return memory * (1 - w * erase.unsqueeze(1)) + w * add.unsqueeze(1)


def check_weights(name: str, w: Tensor, atol: float = 1e-5) -> None:
    """Raise if ``w`` is not a (sub-)distribution over slots: entries in [0, 1], rows summing to ≤ 1."""
    if (w < -atol).any() or (w.sum(-1) > 1 + atol).any():
        raise ValueError(f"{name} has entries < 0 or rows summing to {float(w.sum(-1).max()):.4f} > 1: a weighting "
                         f"over memory slots must be non-negative and sum to at most 1. Normalise it (softmax).")


class Controller(nn.Module):
    """The LSTM that drives a memory: ``h_t = LSTM([x_t; r_{t−1}], h_{t−1})``.

    The input part of the gates, ``W_x x_t``, does not depend on the recurrence: :meth:`project`
    computes it for every step of a sequence in one matrix product (3× faster on a CPU than one
    product per step when x_t is an image), and :meth:`forward` adds the recurrent part.

    Args:
        input_size: size of ``x_t`` (the task input, e.g. an image plus the previous label).
        read_size: total size of the previous read vectors ``r_{t−1}`` (heads × width).
        hidden_size: LSTM units.
        forget_bias: added to the forget gate's bias at initialisation (1 in many NTM implementations).

    Example:
        >>> c = Controller(3, 4, 5); gx = c.project(torch.zeros(2, 7, 3))
        >>> h, state = c(gx[:, 0], torch.zeros(2, 4), c.initial_state(2))
        >>> tuple(gx.shape), tuple(h.shape)
        ((2, 7, 20), (2, 5))
    """

    def __init__(self, input_size: int, read_size: int, hidden_size: int, forget_bias: float = 0.0):
        super().__init__()
        for name, v, low in (("input_size", input_size, 1), ("read_size", read_size, 0), ("hidden_size", hidden_size, 1)):
            check_int(name, v, low, fix="Sizes of the controller are positive integers.")
        self.input = nn.Linear(input_size, 4 * hidden_size)
        self.recurrent = nn.Linear(read_size + hidden_size, 4 * hidden_size, bias=False)
        bound = hidden_size ** -0.5  # nn.LSTM's initialisation
        for w in self.parameters():
            nn.init.uniform_(w, -bound, bound)
        if forget_bias:  # a forget gate open at the start keeps the cell state alive over long sequences
            with torch.no_grad():
                self.input.bias[hidden_size:2 * hidden_size] += forget_bias
        self.hidden_size = hidden_size

    def initial_state(self, batch_size: int) -> tuple[Tensor, Tensor]:
        z = self.recurrent.weight.new_zeros(batch_size, self.hidden_size)
        return z, z.clone()

    def project(self, inputs: Tensor) -> Tensor:
        """``W_x x_t + b`` for every step: ``[B, S, input_size]`` → ``[B, S, 4·hidden]``."""
        return self.input(inputs)

    def forward(self, gx: Tensor, reads: Tensor, state):
        """One LSTM step from the projected input ``gx [B, 4·hidden]`` and the previous reads."""
        h, c = state
        i, f, g, o = (gx + self.recurrent(torch.cat([reads, h], dim=-1))).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, (h, c)


class FeedforwardController(nn.Module):
    """A controller with no state of its own: ``h_t = tanh(W_x x_t + W_r r_{t−1} + b)``.

    Everything it remembers from one step to the next must pass through the memory (the read vector
    ``r_{t−1}``): it cannot keep a short sequence in a hidden state, which is what an LSTM controller does
    first on the copy task. Graves et al. (2014, Figs. 3–6) train NTMs with both kinds. Same interface as
    :class:`Controller` (the state is an empty tuple).

    Example:
        >>> c = FeedforwardController(3, 4, 5); gx = c.project(torch.zeros(2, 7, 3))
        >>> h, state = c(gx[:, 0], torch.zeros(2, 4), c.initial_state(2))
        >>> tuple(gx.shape), tuple(h.shape), state
        ((2, 7, 5), (2, 5), ())
    """

    def __init__(self, input_size: int, read_size: int, hidden_size: int):
        super().__init__()
        for name, v, low in (("input_size", input_size, 1), ("read_size", read_size, 0), ("hidden_size", hidden_size, 1)):
            check_int(name, v, low, fix="Sizes of the controller are positive integers.")
        self.input = nn.Linear(input_size, hidden_size)
        self.recurrent = nn.Linear(read_size, hidden_size, bias=False)
        self.hidden_size = hidden_size

    def initial_state(self, batch_size: int) -> tuple:
        return ()

    def project(self, inputs: Tensor) -> Tensor:
        """``W_x x_t + b`` for every step: ``[B, S, input_size]`` → ``[B, S, hidden]``."""
        return self.input(inputs)

    def forward(self, gx: Tensor, reads: Tensor, state):
        h = torch.tanh(gx + self.recurrent(reads))
        return h, ()


class SequenceLSTM(nn.Module):
    """The baseline: a stacked LSTM reading ``x [B, S, D]`` and emitting ``[B, S, out_size]``.

    Args:
        input_size: features per step.
        hidden_size: units per layer.
        out_size: outputs per step (logits).
        num_layers: stacked layers (the NTM paper's copy baseline: 3 × 256).

    Example:
        >>> SequenceLSTM(9, 16, 8)(torch.zeros(2, 5, 9)).shape
        torch.Size([2, 5, 8])
    """

    def __init__(self, input_size: int, hidden_size: int, out_size: int, num_layers: int = 1):
        super().__init__()
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size), ("out_size", out_size),
                        ("num_layers", num_layers)):
            check_int(name, v, 1, fix="LSTM sizes are positive integers.")
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.out = nn.Linear(hidden_size, out_size)

    def initial_state(self, batch_size: int):
        z = self.out.weight.new_zeros(self.lstm.num_layers, batch_size, self.lstm.hidden_size)
        return z, z.clone()

    def repeat_state(self, state, n: int):
        """A batch-1 state repeated ``n`` times (the batch is axis 1 of nn.LSTM's state)."""
        return tuple(t.expand(t.shape[0], n, t.shape[2]).contiguous() for t in state)

    def run(self, x: Tensor, state=None, trace: bool = False):
        """``x [B, S, D]`` from ``state`` (``(h, c)``, each ``[layers, B, hidden]``; default zeros) →
        ``(outputs [B, S, out], final state, trace)``; the trace holds the top layer's hidden states."""
        h, state = self.lstm(x, state)
        return self.out(h), state, ({"hidden": h} if trace else {})

    def forward(self, x: Tensor) -> Tensor:
        return self.run(x)[0]


__all__ = ["Controller", "EPS", "FeedforwardController", "SequenceLSTM", "check_weights", "content_weights", "cosine_similarity",
           "erase_and_add", "oneplus", "read"]
