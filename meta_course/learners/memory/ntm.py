"""Neural Turing Machine (Graves, Wayne & Danihelka 2014): content *and* location addressing.

A controller (an LSTM, or a feedforward layer) emits, for each head, a key k, a key strength β > 0
(softplus), an interpolation gate g ∈ (0, 1) (sigmoid), a shift distribution s over offsets −R..R
(softmax) and a sharpening exponent γ ≥ 1 (1 + softplus). The head's weighting is built in four steps
(Figure 2 of the paper):

    content        w^c_t(i) = softmax_i( β_t K(k_t, M_t(i)) )                       (Eq. 5)
    interpolate    w^g_t = g_t w^c_t + (1 − g_t) w_{t−1}                            (Eq. 7)
    shift          w̃_t(i) = Σ_j w^g_t(j) s_t(i − j)   (indices modulo N)           (Eq. 8)
    sharpen        w_t(i) = w̃_t(i)^γ_t / Σ_j w̃_t(j)^γ_t                          (Eq. 9)
                          (computed as softmax_i(γ_t log w̃_t(i)): the same value, no float32 underflow)

Reading is r_t = Σ_i w_t(i) M_t(i) (Eq. 2); writing erases then adds, M_t(i) = M_{t−1}(i)[1 − w_t(i) e_t]
+ w_t(i) a_t (Eqs. 3–4). With g = 0 and s = "shift by one" the head walks through memory one slot
per step: that is how a copy of any length can be written and then read back in order.

References:
    Graves, Wayne & Danihelka (2014), "Neural Turing Machines", arXiv:1410.5401, Section 3,
    Eqs. 2–9; Section 4.1 (copy task).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from ...core.checks import check_choice, check_int
from ...models.memory import Controller, FeedforwardController, content_weights, erase_and_add, oneplus, read
from ...tasks.sequences import copy_prefix
from .sequence import BitSequenceLearner

#: initial value of every memory cell: equal rows, so the first content weighting is uniform (Collier & Beel
#: 2018 found this constant start converging fastest)
MEMORY_INIT = 1e-6
#: added before the power of Eq. 9: 0^γ has an undefined derivative in γ
SHARPEN_EPS = 1e-12


def interpolate(w_content: Tensor, w_prev: Tensor, gate: Tensor) -> Tensor:
    """Eq. 7: ``g w^c + (1 − g) w_{t−1}``; ``gate [B, H]`` in [0, 1], weightings ``[B, H, N]``.

    Example:
        >>> interpolate(torch.tensor([[[1., 0.]]]), torch.tensor([[[0., 1.]]]), torch.tensor([[0.25]]))
        tensor([[[0.2500, 0.7500]]])
    """
    g = gate.unsqueeze(-1)
    return g * w_content + (1 - g) * w_prev


def circular_shift(w: Tensor, shift: Tensor) -> Tensor:
    """Eq. 8, a circular convolution: ``w̃(i) = Σ_j w(j) s(i − j mod N)``.

    Args:
        w: ``[B, H, N]`` weightings.
        shift: ``[B, H, 2R+1]``, a distribution over the offsets −R, …, 0, …, +R.

    Example (all mass on offset +1 moves every weight one slot forward, wrapping around):
        >>> circular_shift(torch.tensor([[[0.7, 0.2, 0.1]]]), torch.tensor([[[0., 0., 1.]]]))
        tensor([[[0.1000, 0.7000, 0.2000]]])
    """
    n_shifts = shift.shape[-1]
    if n_shifts % 2 != 1 or n_shifts > w.shape[-1]:
        raise ValueError(f"shift has {n_shifts} entries: it must be odd (offsets −R..R) and at most the "
                         f"{w.shape[-1]} memory slots. Use 2R+1 with R < N/2, e.g. 3 for shifts −1, 0, +1.")
    R = n_shifts // 2
    # torch.roll(w, k)[i] = w[i − k]: the term of offset k in the sum
    return sum(torch.roll(w, k, dims=-1) * shift[..., k + R:k + R + 1] for k in range(-R, R + 1))


def sharpen(w: Tensor, gamma: Tensor) -> Tensor:
    """Eq. 9: ``w^γ / Σ w^γ`` with ``gamma [B, H]`` ≥ 1 (undoes the blur of the shift).

    Example:
        >>> sharpen(torch.tensor([[[0.5, 0.25, 0.25]]]), torch.tensor([[2.0]])).round(decimals=4)
        tensor([[[0.6667, 0.1667, 0.1667]]])
    """
    # w^γ / Σ w^γ = softmax(γ log w): the same value, computed without underflow — (1/128)^21 is below the
    # smallest float32, and a near-uniform weighting sharpened with γ = 21 would give 0/0
    return torch.softmax(gamma.unsqueeze(-1) * torch.log(w + SHARPEN_EPS), dim=-1)


def ntm_addressing(memory: Tensor, w_prev: Tensor, key: Tensor, strength: Tensor, gate: Tensor, shift: Tensor,
                   gamma: Tensor) -> Tensor:
    """The whole chain of Figure 2: content (Eq. 5) → interpolation (7) → shift (8) → sharpening (9).

    Args:
        memory: ``[B, N, W]``; w_prev: ``[B, H, N]``; key: ``[B, H, W]``; strength β, gate g, gamma γ:
        ``[B, H]``; shift: ``[B, H, 2R+1]``.

    Example (g = 0 ignores the content; the head moves one slot on from where it was):
        >>> w = ntm_addressing(torch.rand(1, 4, 3), torch.tensor([[[1., 0., 0., 0.]]]), torch.rand(1, 1, 3),
        ...                    torch.ones(1, 1), torch.zeros(1, 1), torch.tensor([[[0., 0., 1.]]]), torch.ones(1, 1))
        >>> w.round(decimals=4)
        tensor([[[0., 1., 0., 0.]]])
    """
    w = content_weights(key, memory, strength)
    w = interpolate(w, w_prev, gate)
    w = circular_shift(w, shift)
    return sharpen(w, gamma)


class NTMState(NamedTuple):
    memory: Tensor      # [B, N, W]
    controller: tuple   # LSTM (h, c)
    reads: Tensor       # [B, 1, W]
    w_read: Tensor      # [B, 1, N]
    w_write: Tensor     # [B, 1, N]


class NTMNetwork(nn.Module):
    """A controller, one read head and one write head; ``forward(x [B, S, D]) -> logits [B, S, out]``.

    Each step: the controller reads ``[x_t; r_{t−1}]``; both heads address the memory as it was after the
    previous step (Eqs. 5–9); the read head reads it (Eq. 2), then the write head erases and adds (Eqs. 3–4).
    Keys and add vectors pass through tanh and the head parameters are clipped to ±20; the initial weightings
    (softmax of a learned vector) and the initial read vector are learned; the memory starts at a small
    constant. These choices are those of Collier & Beel (2018), who found NTM training unreliable without them
    (the initialisation above all).

    Args:
        input_size, out_size: features in and out per step (copy task: width + 1 delimiter, width).
        memory_slots, memory_width: N × W (paper's copy task: 128 × 20).
        hidden_size: controller units (paper: one LSTM layer of 100).
        shift_range: R, shifts −R..R allowed (paper: 1).
        controller: ``"lstm"`` (:class:`Controller`) or ``"feedforward"`` (:class:`FeedforwardController`: no
            state of its own, so all it carries from step to step goes through the memory).

    References:
        Collier & Beel (2018), "Implementing Neural Turing Machines", ICANN, Section 3.

    Example:
        >>> net = NTMNetwork(9, 8, memory_slots=16, memory_width=6, hidden_size=20)
        >>> logits, trace = net(torch.zeros(2, 7, 9), trace=True)
        >>> tuple(logits.shape), tuple(trace["w_write"].shape)
        ((2, 7, 8), (2, 7, 16))
    """

    #: head parameters are clipped to ±CLIP before their non-linearities
    CLIP = 20.0

    def __init__(self, input_size: int, out_size: int, memory_slots: int = 128, memory_width: int = 20,
                 hidden_size: int = 100, shift_range: int = 1, controller: str = "lstm"):
        super().__init__()
        check_int("memory_slots", memory_slots, 3, 100_000, "The paper's copy task uses 128 slots.")
        check_int("memory_width", memory_width, 1, 100_000, "The paper's copy task uses width 20.")
        check_int("shift_range", shift_range, 0, (memory_slots - 1) // 2, "Shifts −R..R must fit the memory; R=1 is usual.")
        self.N, self.W, self.R = memory_slots, memory_width, shift_range
        check_choice("controller", controller, ("lstm", "feedforward"), "The paper's copy task uses an LSTM.")
        self.controller = (Controller(input_size, memory_width, hidden_size, forget_bias=1.0) if controller == "lstm"
                           else FeedforwardController(input_size, memory_width, hidden_size))
        self.n_address = memory_width + 3 + (2 * shift_range + 1)      # k, β, g, γ, s
        self.heads = nn.Linear(hidden_size, 2 * self.n_address + 2 * memory_width)  # read, write (+ e, a)
        self.out = nn.Linear(hidden_size + memory_width, out_size)
        # learned initial state: weightings of the read and the write head (logits), and the first read vector
        self.initial_logits = nn.Parameter(0.1 * torch.randn(2, memory_slots))
        self.initial_read = nn.Parameter(0.1 * torch.randn(memory_width))

    def initial_state(self, batch_size: int) -> NTMState:
        w0 = torch.softmax(self.initial_logits, dim=-1)
        B = batch_size
        return NTMState(self.out.weight.new_full((B, self.N, self.W), MEMORY_INIT), self.controller.initial_state(B),
                        torch.tanh(self.initial_read).expand(B, 1, self.W), w0[0].expand(B, 1, self.N),
                        w0[1].expand(B, 1, self.N))

    def _address(self, params: Tensor, memory: Tensor, w_prev: Tensor) -> Tensor:
        W = self.W
        key = torch.tanh(params[:, None, :W])
        strength = nn.functional.softplus(params[:, W:W + 1])          # β ≥ 0
        gate = torch.sigmoid(params[:, W + 1:W + 2])
        gamma = oneplus(params[:, W + 2:W + 3])                         # γ ≥ 1
        shift = torch.softmax(params[:, None, W + 3:], dim=-1)
        return ntm_addressing(memory, w_prev, key, strength, gate, shift, gamma)

    def step(self, gx: Tensor, state: NTMState):
        h, ctrl = self.controller(gx, state.reads.flatten(1), state.controller)
        p = self.heads(h).clamp(-self.CLIP, self.CLIP)
        na, W = self.n_address, self.W
        w_read = self._address(p[:, :na], state.memory, state.w_read)
        w_write = self._address(p[:, na:2 * na], state.memory, state.w_write)
        reads = read(state.memory, w_read)                                     # Eq. 2
        erase, add = torch.sigmoid(p[:, 2 * na:2 * na + W]), torch.tanh(p[:, 2 * na + W:])
        memory = erase_and_add(state.memory, w_write[:, 0], erase, add)        # Eqs. 3–4
        logits = self.out(torch.cat([h, reads.flatten(1)], dim=-1))
        return logits, NTMState(memory, ctrl, reads, w_read, w_write), {"w_read": w_read[:, 0], "w_write": w_write[:, 0]}

    def run(self, inputs: Tensor, state: NTMState | None = None, trace: bool = False):
        """Run ``[B, S, D]`` from ``state`` (default: the learned initial state) → ``(logits, final state,
        trace)``; the trace holds the read and write weightings ``[B, S, N]``."""
        state = self.initial_state(inputs.shape[0]) if state is None else state
        outs, info = [], {"w_read": [], "w_write": []}
        gx = self.controller.project(inputs)
        for t in range(inputs.shape[1]):
            logits, state, step_info = self.step(gx[:, t], state)
            outs.append(logits)
            if trace:
                for k in info:
                    info[k].append(step_info[k])
        info = {k: torch.stack(v, dim=1) for k, v in info.items()} if trace else {}
        return torch.stack(outs, dim=1), state, info

    def forward(self, inputs: Tensor, trace: bool = False):
        logits, _, info = self.run(inputs, trace=trace)
        return (logits, info) if trace else logits


__all__ = ["NTMNetwork", "NTMState", "circular_shift", "interpolate", "ntm_addressing", "sharpen"]


class NTM(BitSequenceLearner):
    """The NTM learner on bit-sequence tasks (copy: ``width`` bits + a delimiter channel in, ``width`` out).

    Args:
        task: ``"copy"`` or ``"recall"`` (sets the input channels).
        width: bits per vector (paper: 8 for copy).
        memory_slots, memory_width, hidden_size, shift_range, controller: see :class:`NTMNetwork`.
        curriculum_steps: a length curriculum (copy only): during the first ``curriculum_steps`` training
            steps each training copy of length L is cut to ``ceil(f L)`` vectors (:func:`copy_prefix`), f rising
            linearly from ``curriculum_start`` to 1 — short copies first, where the credit for a good write
            reaches the read within a few steps. 0 (default): no curriculum. Evaluation never cuts.
        curriculum_start: f at the first step, in (0, 1].

    A copy longer than ``memory_slots`` would wrap around and overwrite its own beginning: such
    batches raise a ``ValueError``.

    Example:
        >>> from meta_course.tasks.sequences import CopyTask
        >>> ntm = NTM(width=4, memory_slots=16, memory_width=6, hidden_size=10)
        >>> ntm.score(CopyTask(width=4, min_length=3, max_length=3).sample(torch.Generator().manual_seed(0), 5)).shape
        torch.Size([5])
    """

    name = "ntm"

    def __init__(self, task: str = "copy", width: int = 8, memory_slots: int = 128, memory_width: int = 20,
                 hidden_size: int = 100, shift_range: int = 1, controller: str = "lstm", curriculum_steps: int = 0,
                 curriculum_start: float = 1.0):
        super().__init__(task, width)
        check_int("curriculum_steps", curriculum_steps, 0, fix="Training steps of the length curriculum; 0 switches it off.")
        if isinstance(curriculum_start, (str, bool)) or not 0 < curriculum_start <= 1:
            raise ValueError(f"curriculum_start={curriculum_start} is out of range: allowed (0, 1], the fraction of each "
                             f"copy kept at the first step. Use e.g. 0.15 (lengths 1..20 start as 1..3).")
        if curriculum_steps and task != "copy":
            raise ValueError(f"curriculum_steps={curriculum_steps} with task={task!r}: the length curriculum cuts copy "
                             f"sequences only. Use task='copy' or curriculum_steps=0.")
        self.config = dict(task=task, width=width, memory_slots=memory_slots, memory_width=memory_width,
                           hidden_size=hidden_size, shift_range=shift_range, controller=controller,
                           curriculum_steps=curriculum_steps, curriculum_start=curriculum_start)
        self.max_length = memory_slots
        self.net = NTMNetwork(self.in_size, width, memory_slots, memory_width, hidden_size, shift_range, controller)
        # training steps taken (a buffer: saved with the weights, so a resumed run continues the curriculum)
        self.register_buffer("steps_done", torch.zeros((), dtype=torch.long))

    def curriculum_fraction(self) -> float:
        """f, the fraction of each training copy kept at the current step (1 once the curriculum is over)."""
        S, f0 = self.config["curriculum_steps"], self.config["curriculum_start"]
        return 1.0 if not S else min(1.0, f0 + (1 - f0) * self.steps_done.item() / S)

    def meta_step(self, batch, optimizers: dict) -> dict[str, float]:
        """One training step on ``batch``, cut by the length curriculum while it lasts."""
        f = self.curriculum_fraction()
        if f < 1.0:
            batch = copy_prefix(batch, max(1, math.ceil(f * batch.length)))
        values = super().meta_step(batch, optimizers)
        self.steps_done += 1
        return {**values, "length": float(batch.length)}


__all__ += ["NTM"]
