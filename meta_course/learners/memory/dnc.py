"""Differentiable Neural Computer (Graves et al. 2016): dynamic allocation and temporal links.

The DNC replaces the NTM's location shifts by two mechanisms that do not depend on where slots lie:

    retention      ψ_t = Π_i (1 − f^i_t w^{r,i}_{t−1})                               (free gates f)
    usage          u_t = (u_{t−1} + w^w_{t−1} − u_{t−1} ∘ w^w_{t−1}) ∘ ψ_t
    allocation     φ_t = slots sorted by ascending usage,
                   a_t[φ_t[j]] = (1 − u_t[φ_t[j]]) Π_{i<j} u_t[φ_t[i]]
    write weights  w^w_t = g^w_t [ g^a_t a_t + (1 − g^a_t) c^w_t ],  c^w_t = C(M_{t−1}, k^w_t, β^w_t)
    memory         M_t = M_{t−1} ∘ (E − w^w_t e_tᵀ) + w^w_t v_tᵀ
    precedence     p_t = (1 − Σ_i w^w_t[i]) p_{t−1} + w^w_t
    link           L_t[i, j] = (1 − w^w_t[i] − w^w_t[j]) L_{t−1}[i, j] + w^w_t[i] p_{t−1}[j],  L_t[i, i] = 0
    directions     f^i_t = L_t w^{r,i}_{t−1} (forward),  b^i_t = L_tᵀ w^{r,i}_{t−1} (backward)
    read weights   w^{r,i}_t = π^i_t[1] b^i_t + π^i_t[2] c^{r,i}_t + π^i_t[3] f^i_t,
                   c^{r,i}_t = C(M_t, k^{r,i}_t, β^{r,i}_t)

L_t[i, j] ≈ 1 means "slot i was written right after slot j", so a head that reads slot j can step to
the next write (forward mode) or the previous one (backward), whatever their positions in memory.

Implementation choices, following the authors' released code: the usage does not back-propagate
into the previous write weights (it is bookkeeping, and the gradient through the product of many
usages is noise), usages are mapped to ε + (1 − ε)u before the sort so the product of sorted
usages is never exactly zero, and the sort's permutation is a constant (gradient flows through the
sorted values only).

References:
    Graves, Wayne, Reynolds, Harley, Danihelka et al. (2016), "Hybrid computing using a neural network
    with dynamic external memory", Nature 538, 471–476, Methods: "Dynamic memory allocation",
    "Temporal memory linkage", "Read weighting".
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from ...core.checks import check_int
from ...models.memory import Controller, content_weights, erase_and_add, oneplus, read
from .sequence import BitSequenceLearner

#: lower bound of the usages entering the allocation sort (the authors' code uses the same 1e-6)
ALLOCATION_EPS = 1e-6


def retention(free_gates: Tensor, w_read_prev: Tensor) -> Tensor:
    """``ψ_t = Π_i (1 − f^i w^{r,i}_{t−1})``: ``free_gates [B, R]``, ``w_read_prev [B, R, N]`` → ``[B, N]``.

    Example:
        >>> retention(torch.tensor([[1.0, 0.5]]), torch.tensor([[[1., 0.], [0., 1.]]]))
        tensor([[0.0000, 0.5000]])
    """
    return (1 - free_gates.unsqueeze(-1) * w_read_prev).prod(dim=1)


def dnc_usage(usage_prev: Tensor, w_write_prev: Tensor, psi: Tensor) -> Tensor:
    """``u_t = (u_{t−1} + w^w_{t−1} − u_{t−1} ∘ w^w_{t−1}) ∘ ψ_t`` (all ``[B, N]``).

    Example:
        >>> dnc_usage(torch.tensor([[0.5, 0.0]]), torch.tensor([[0.5, 1.0]]), torch.tensor([[1.0, 0.5]]))
        tensor([[0.7500, 0.5000]])
    """
    return (usage_prev + w_write_prev - usage_prev * w_write_prev) * psi


def allocation(usage: Tensor, eps: float = ALLOCATION_EPS) -> Tensor:
    """``a[φ[j]] = (1 − u[φ[j]]) Π_{i<j} u[φ[i]]``, φ = slots by ascending usage: ``[B, N]`` → ``[B, N]``.

    A free slot (u = 0) that is first in the order gets all the weight; the rest share what is left.
    Ties keep slot order (stable sort).

    Example:
        >>> allocation(torch.tensor([[0.9, 0.0, 0.5]]), eps=0.0)
        tensor([[0., 1., 0.]])
        >>> allocation(torch.tensor([[0.9, 0.2, 0.5]]), eps=0.0)
        tensor([[0.0100, 0.8000, 0.1000]])
    """
    u = eps + (1 - eps) * usage
    sorted_u, order = torch.sort(u, dim=-1, stable=True)
    before = torch.cumprod(torch.cat([torch.ones_like(sorted_u[..., :1]), sorted_u[..., :-1]], dim=-1), dim=-1)
    return torch.zeros_like(u).scatter(-1, order, (1 - sorted_u) * before)


def dnc_write_weights(alloc: Tensor, w_content: Tensor, alloc_gate: Tensor, write_gate: Tensor) -> Tensor:
    """``w^w = g^w [g^a a + (1 − g^a) c^w]``: ``[B, N]``, ``[B, N]``, ``[B]``, ``[B]`` → ``[B, N]``.

    Example:
        >>> dnc_write_weights(torch.tensor([[1., 0.]]), torch.tensor([[0., 1.]]), torch.tensor([0.75]), torch.tensor([0.5]))
        tensor([[0.3750, 0.1250]])
    """
    ga, gw = alloc_gate.unsqueeze(-1), write_gate.unsqueeze(-1)
    return gw * (ga * alloc + (1 - ga) * w_content)


def precedence(p_prev: Tensor, w_write: Tensor) -> Tensor:
    """``p_t = (1 − Σ_i w^w_t[i]) p_{t−1} + w^w_t`` (``p_0 = 0``): which slot was written last.

    Example:
        >>> precedence(torch.tensor([[1., 0., 0.]]), torch.tensor([[0., 1., 0.]]))
        tensor([[0., 1., 0.]])
    """
    return (1 - w_write.sum(-1, keepdim=True)) * p_prev + w_write


def link_update(link_prev: Tensor, p_prev: Tensor, w_write: Tensor) -> Tensor:
    """``L_t[i,j] = (1 − w[i] − w[j]) L_{t−1}[i,j] + w[i] p_{t−1}[j]`` with a zero diagonal: ``[B, N, N]``.

    Example (slot 2 written right after slot 0):
        >>> link_update(torch.zeros(1, 3, 3), torch.tensor([[1., 0., 0.]]), torch.tensor([[0., 0., 1.]]))[0]
        tensor([[0., 0., 0.],
                [0., 0., 0.],
                [1., 0., 0.]])
    """
    wi, wj = w_write.unsqueeze(-1), w_write.unsqueeze(-2)
    link = (1 - wi - wj) * link_prev + wi * p_prev.unsqueeze(-2)
    return link * (1 - torch.eye(link.shape[-1], dtype=link.dtype, device=link.device))


def directional_weights(link: Tensor, w_read_prev: Tensor) -> tuple[Tensor, Tensor]:
    """``(f, b)``: forward ``L w^r_{t−1}`` and backward ``Lᵀ w^r_{t−1}`` weightings, ``[B, R, N]`` each.

    Example (reading slot 0, whose successor was slot 2):
        >>> L = torch.tensor([[[0., 0., 0.], [0., 0., 0.], [1., 0., 0.]]])
        >>> directional_weights(L, torch.tensor([[[1., 0., 0.]]]))[0]
        tensor([[[0., 0., 1.]]])
    """
    forward = w_read_prev @ link.transpose(1, 2)      # f[r, i] = Σ_j L[i, j] w[r, j]
    backward = w_read_prev @ link                     # b[r, i] = Σ_j L[j, i] w[r, j]
    return forward, backward


def dnc_read_weights(modes: Tensor, backward: Tensor, content: Tensor, forward: Tensor) -> Tensor:
    """``w^r = π[1] b + π[2] c + π[3] f``: ``modes [B, R, 3]`` (a distribution), the rest ``[B, R, N]``.

    Example:
        >>> dnc_read_weights(torch.tensor([[[0., 0., 1.]]]), torch.zeros(1, 1, 2), torch.ones(1, 1, 2) / 2,
        ...                  torch.tensor([[[0., 1.]]]))
        tensor([[[0., 1.]]])
    """
    return modes[..., 0:1] * backward + modes[..., 1:2] * content + modes[..., 2:3] * forward


class DNCState(NamedTuple):
    memory: Tensor       # [B, N, W]
    controller: tuple    # LSTM (h, c)
    reads: Tensor        # [B, R, W]
    w_read: Tensor       # [B, R, N]
    w_write: Tensor      # [B, N]
    usage: Tensor        # [B, N]
    precedence: Tensor   # [B, N]
    link: Tensor         # [B, N, N]


class DNCNetwork(nn.Module):
    """LSTM controller, one write head and ``read_heads`` read heads; ``forward(x) -> logits``.

    Args:
        input_size, out_size: features in and out per step.
        memory_slots, memory_width: N × W.
        read_heads: R.
        hidden_size: LSTM units.

    Example:
        >>> net = DNCNetwork(9, 8, memory_slots=10, memory_width=6, read_heads=2, hidden_size=20)
        >>> logits, trace = net(torch.zeros(2, 7, 9), trace=True)
        >>> tuple(logits.shape), tuple(trace["w_read"].shape), tuple(trace["link"].shape)
        ((2, 7, 8), (2, 7, 2, 10), (2, 10, 10))
    """

    def __init__(self, input_size: int, out_size: int, memory_slots: int = 64, memory_width: int = 16,
                 read_heads: int = 1, hidden_size: int = 100):
        super().__init__()
        check_int("memory_slots", memory_slots, 2, 4096, "The link matrix is N×N per sequence: keep N modest.")
        check_int("memory_width", memory_width, 1, 100_000, "Width of a memory slot, e.g. 16.")
        check_int("read_heads", read_heads, 1, 64, "A few read heads (1–4) suffice for copy and recall.")
        self.N, self.W, self.R = memory_slots, memory_width, read_heads
        self.controller = Controller(input_size, read_heads * memory_width, hidden_size)
        R, W = read_heads, memory_width
        # interface vector ξ: read keys R·W, read strengths R, write key W, write strength 1, erase W,
        # write vector W, free gates R, allocation gate 1, write gate 1, read modes 3R
        self.sizes = [R * W, R, W, 1, W, W, R, 1, 1, 3 * R]
        self.interface = nn.Linear(hidden_size, sum(self.sizes))
        self.out = nn.Linear(hidden_size + R * W, out_size)

    def initial_state(self, batch_size: int) -> DNCState:
        p, B, N = self.out.weight, batch_size, self.N
        z = p.new_zeros(B, N)
        return DNCState(p.new_zeros(B, N, self.W), self.controller.initial_state(B), p.new_zeros(B, self.R, self.W),
                        p.new_zeros(B, self.R, N), z, z.clone(), z.clone(), p.new_zeros(B, N, N))

    def step(self, gx: Tensor, s: DNCState):
        B, R, W = gx.shape[0], self.R, self.W
        h, ctrl = self.controller(gx, s.reads.flatten(1), s.controller)
        (k_r, b_r, k_w, b_w, erase, value, free, g_a, g_w, modes) = torch.split(self.interface(h), self.sizes, dim=-1)
        k_r, b_r = k_r.view(B, R, W), oneplus(b_r)
        erase, free = torch.sigmoid(erase), torch.sigmoid(free)
        g_a, g_w = torch.sigmoid(g_a[:, 0]), torch.sigmoid(g_w[:, 0])
        modes = torch.softmax(modes.view(B, R, 3), dim=-1)
        # write: usage from the previous step's weights (bookkeeping: no gradient into w^w_{t−1})
        usage = dnc_usage(s.usage, s.w_write.detach(), retention(free, s.w_read))
        c_w = content_weights(k_w.unsqueeze(1), s.memory, oneplus(b_w))[:, 0]
        w_write = dnc_write_weights(allocation(usage), c_w, g_a, g_w)
        memory = erase_and_add(s.memory, w_write, erase, value)
        link = link_update(s.link, s.precedence, w_write)
        prec = precedence(s.precedence, w_write)
        # read: backward / content / forward, mixed by the read modes
        fwd, bwd = directional_weights(link, s.w_read)
        w_read = dnc_read_weights(modes, bwd, content_weights(k_r, memory, b_r), fwd)
        reads = read(memory, w_read)
        logits = self.out(torch.cat([h, reads.flatten(1)], dim=-1))
        info = {"w_read": w_read, "w_write": w_write, "usage": usage, "modes": modes}
        return logits, DNCState(memory, ctrl, reads, w_read, w_write, usage, prec, link), info

    def run(self, inputs: Tensor, state: DNCState | None = None, trace: bool = False):
        """Run ``[B, S, D]`` from ``state`` (default: empty memory) → ``(logits, final state, trace)``; the
        trace holds read/write weightings, usage and read modes per step, and the final link matrix."""
        state = self.initial_state(inputs.shape[0]) if state is None else state
        outs, info = [], {"w_read": [], "w_write": [], "usage": [], "modes": []}
        gx = self.controller.project(inputs)
        for t in range(inputs.shape[1]):
            logits, state, step_info = self.step(gx[:, t], state)
            outs.append(logits)
            if trace:
                for k in info:
                    info[k].append(step_info[k])
        info = {**{k: torch.stack(v, dim=1) for k, v in info.items()}, "link": state.link} if trace else {}
        return torch.stack(outs, dim=1), state, info

    def forward(self, inputs: Tensor, trace: bool = False):
        logits, _, info = self.run(inputs, trace=trace)
        return (logits, info) if trace else logits


__all__ = ["DNCNetwork", "DNCState", "allocation", "directional_weights", "dnc_read_weights", "dnc_usage",
           "dnc_write_weights", "link_update", "precedence", "retention"]


class DNC(BitSequenceLearner):
    """The DNC learner on bit-sequence tasks (copy or associative recall).

    Args:
        task: ``"copy"`` or ``"recall"``.
        width: bits per vector.
        memory_slots, memory_width, read_heads, hidden_size: see :class:`DNCNetwork`.

    Example:
        >>> from meta_course.tasks.sequences import CopyTask
        >>> dnc = DNC(width=4, memory_slots=8, memory_width=6, hidden_size=10)
        >>> dnc.meta_loss(CopyTask(width=4, max_length=3).sample(torch.Generator().manual_seed(0), 2)).item() > 0
        True
    """

    name = "dnc"

    def __init__(self, task: str = "copy", width: int = 8, memory_slots: int = 64, memory_width: int = 16,
                 read_heads: int = 1, hidden_size: int = 100):
        super().__init__(task, width)
        self.config = dict(task=task, width=width, memory_slots=memory_slots, memory_width=memory_width,
                           read_heads=read_heads, hidden_size=hidden_size)
        self.max_length = memory_slots
        self.net = DNCNetwork(self.in_size, width, memory_slots, memory_width, read_heads, hidden_size)


__all__ += ["DNC"]
