"""Memory-augmented neural network with least-recently-used access (Santoro et al. 2016).

An LSTM controller reads an episode one step at a time: at step t it sees the image x_t and the
*previous* step's label y_{t−1} (:func:`meta_course.tasks.sequences.offset_labels`), so it must hold
"which image had which label" somewhere until that class comes back. The memory M [N slots × W] is
where it does: every head emits a key k_t and an add vector a_t, and

    read weights      w^r_t(i) = softmax_i( K(k_t, M_t(i)) ),  K = cosine           (Eqs. 2–3)
    read vector       r_t = Σ_i w^r_t(i) M_t(i)                                     (Eq. 4)
    usage             w^u_t = γ w^u_{t−1} + w^r_t + w^w_t                          (Eq. 5)
    least used        w^lu_t(i) = 1 if w^u_t(i) ≤ m(w^u_t, n) else 0               (Eq. 6)
    write weights     w^w_t = σ(α) w^r_{t−1} + (1 − σ(α)) w^lu_{t−1}                (Eq. 7)
    write             M_t(i) = M_{t−1}(i) + w^w_t(i) a_t                            (Eq. 8)

where m(v, n) is the n-th smallest entry of v and n the number of read heads. Before writing, the
least-used slot (from w^u_{t−1}) is cleared. A head therefore writes either where it just read
(σ(α) → 1: update a memory of the same class) or into a fresh, least-used slot (σ(α) → 0). The
classifier reads ``softmax(W_o [h_t; r_t])``.

Two readings of the equations, as in the public reference implementations: Eq. 6's w^lu (n ones)
is split into one one-hot per head — head i writes to the i-th least-used slot, and the heads' one-hots
sum to Eq. 6's vector; and each head writes its own add vector a_t (Eq. 8 writes the key k_t
itself, which forces one vector to mean both "what I look for now" and "what I store for later").

A stated deviation, off by default (``input_to_heads=True``): the heads' key, add vector, gate (and key
strength) are a linear map of ``[h_t; x_t]`` — the controller's output *and* the step's input (image features
plus the previous label), a skip connection from the input to the heads as in many NTM/MANN implementations —
instead of h_t alone. In the paper the heads see only h_t, so to store "image x_{t−1} had label y_{t−1}" the
LSTM must carry x_{t−1} through one step, and the read key for x_t is squeezed through the LSTM too. With the
skip connection an exact algorithm needs no such carrying: one head writes x_t's features into the least-used
slot (σ(α) → 0) and reads there; at t + 1 a second head that read the same slot (σ(α) → 1) adds the label
y_t, now in its input; a later drawing of the class finds that slot by its features and reads the label.

References:
    Santoro, Bartunov, Botvinick, Wierstra & Lillicrap (2016), "Meta-Learning with Memory-Augmented
    Neural Networks", ICML, Section 3.1, Eqs. 2–8; Section 4.1 (Omniglot protocol).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from ...core.checks import check_choice, check_int, check_range
from ...models.memory import Controller, content_weights, oneplus, read
from .sequence import LabelSequenceLearner

#: the initial value of every memory cell (a zero row has an undefined direction for the cosine)
MEMORY_INIT = 1e-6


def least_used(usage: Tensor, n: int) -> Tensor:
    """Indices of the ``n`` least-used slots, least used first: ``[B, N]`` → ``[B, n]``.

    Ties go to the lower slot index (a stable sort), so an empty memory fills slots 0, 1, 2, ...

    Example:
        >>> least_used(torch.tensor([[0.9, 0.1, 0.5, 0.1]]), 2)
        tensor([[1, 3]])
    """
    check_int("n", n, 1, usage.shape[-1], f"At most {usage.shape[-1]} slots exist; n is the number of read heads.")
    return torch.sort(usage, dim=-1, stable=True).indices[..., :n]


def least_used_weights(usage: Tensor, n: int) -> Tensor:
    """Eq. 6 per head: ``[B, N]`` → ``[B, n, N]``, row i the one-hot of the i-th least-used slot.

    Summed over the heads it is Eq. 6's w^lu: 1 on the n least-used slots, 0 elsewhere.

    Example:
        >>> least_used_weights(torch.tensor([[0.9, 0.1, 0.5, 0.1]]), 2)
        tensor([[[0., 1., 0., 0.],
                 [0., 0., 0., 1.]]])
    """
    idx = least_used(usage, n)
    return nn.functional.one_hot(idx, usage.shape[-1]).to(usage.dtype)


def lru_write_weights(alpha: Tensor, w_read_prev: Tensor, w_lu_prev: Tensor) -> Tensor:
    """Eq. 7: ``w^w_t = σ(α) w^r_{t−1} + (1 − σ(α)) w^lu_{t−1}``.

    Args:
        alpha: ``[B, H]`` the heads' gate logits α (σ(α) is the weight on "where I read").
        w_read_prev: ``[B, H, N]`` read weights of the previous step.
        w_lu_prev: ``[B, H, N]`` least-used weights from the previous usage.

    Example:
        >>> lru_write_weights(torch.zeros(1, 1), torch.tensor([[[1., 0., 0.]]]), torch.tensor([[[0., 0., 1.]]]))
        tensor([[[0.5000, 0.0000, 0.5000]]])
    """
    gate = torch.sigmoid(alpha).unsqueeze(-1)
    return gate * w_read_prev + (1 - gate) * w_lu_prev


def lru_usage(usage_prev: Tensor, w_read: Tensor, w_write: Tensor, gamma: float) -> Tensor:
    """Eq. 5: ``w^u_t = γ w^u_{t−1} + Σ_heads w^r_t + Σ_heads w^w_t``: ``[B, N]``, ``[B, H, N]`` ×2 → ``[B, N]``.

    Example:
        >>> lru_usage(torch.tensor([[1., 0.]]), torch.tensor([[[0.5, 0.5]]]), torch.tensor([[[0., 1.]]]), 0.9)
        tensor([[1.4000, 1.5000]])
    """
    return gamma * usage_prev + w_read.sum(1) + w_write.sum(1)


def clear_least_used(memory: Tensor, usage_prev: Tensor) -> Tensor:
    """Set the least-used slot (from ``usage_prev``) to zero before writing (Section 3.1).

    Example:
        >>> clear_least_used(torch.ones(1, 3, 2), torch.tensor([[2., 0., 1.]]))[0]
        tensor([[1., 1.],
                [0., 0.],
                [1., 1.]])
    """
    keep = 1 - least_used_weights(usage_prev, 1)[:, 0]          # [B, N]
    return memory * keep.unsqueeze(-1)


def lru_write(memory: Tensor, w_write: Tensor, add: Tensor) -> Tensor:
    """Eq. 8 for every head: ``M_t(i) = M_{t−1}(i) + Σ_heads w^w_t(i) a_t``: ``[B, N, W]``, ``[B, H, N]``,
    ``[B, H, W]`` → ``[B, N, W]``.

    Example:
        >>> lru_write(torch.zeros(1, 2, 2), torch.tensor([[[0., 1.]]]), torch.tensor([[[3., 4.]]]))[0]
        tensor([[0., 0.],
                [3., 4.]])
    """
    return memory + w_write.transpose(1, 2) @ add


class MANNState(NamedTuple):
    """Everything a MANN carries from one step to the next."""

    memory: Tensor      # [B, N, W]
    controller: tuple   # LSTM (h, c)
    reads: Tensor       # [B, H, W], r_{t−1}
    w_read: Tensor      # [B, H, N], w^r_{t−1}
    usage: Tensor       # [B, N], w^u_{t−1}


class MANNNetwork(nn.Module):
    """LSTM controller + LRU memory; ``forward(inputs [B, S, D]) -> logits [B, S, out_size]``.

    Args:
        input_size: features per step (image features + one-hot of the previous label).
        out_size: classes.
        memory_slots, memory_width: N and W (paper: 128 × 40).
        read_heads: n, the number of read (and write) heads (paper: 4).
        hidden_size: LSTM units (paper: 200).
        gamma: usage decay γ of Eq. 5.
        key_strength: let each head also emit a key strength β ≥ 1 (``softmax(β K)``, as in the NTM) instead
            of Eq. 3's plain ``softmax(K)``; cosines lie in [−1, 1], so without β a read can never focus
            on one of N slots (the largest weight is at most e²/(e² + N − 1)).
        input_to_heads: the heads read ``[h_t; x_t]`` (the step's input too) instead of h_t alone — the
            stated deviation of the module docstring.

    Example:
        >>> net = MANNNetwork(7, 2, memory_slots=8, memory_width=4, read_heads=2, hidden_size=16)
        >>> logits, trace = net(torch.zeros(3, 5, 7), trace=True)
        >>> tuple(logits.shape), tuple(trace["w_read"].shape)
        ((3, 5, 2), (3, 5, 2, 8))
    """

    def __init__(self, input_size: int, out_size: int, memory_slots: int = 128, memory_width: int = 40,
                 read_heads: int = 4, hidden_size: int = 200, gamma: float = 0.95, key_strength: bool = False,
                 input_to_heads: bool = False):
        super().__init__()
        check_int("memory_slots", memory_slots, 2, 100_000, "The paper uses 128 slots.")
        check_int("memory_width", memory_width, 1, 100_000, "The paper uses width 40.")
        check_int("read_heads", read_heads, 1, memory_slots - 1,
                  "Each head needs its own least-used slot and one slot is cleared per step: use fewer heads.")
        check_range("gamma", gamma, 0.0, 1.0, "γ is the usage decay of Eq. 5 (0.95 in the reference code).")
        self.N, self.W, self.H, self.gamma = memory_slots, memory_width, read_heads, float(gamma)
        self.key_strength = bool(key_strength)
        self.controller = Controller(input_size, read_heads * memory_width, hidden_size)
        # per head: key (W), add vector (W), write gate logit α (1) [, key strength (1)]
        self.n_params = 2 * memory_width + 1 + int(self.key_strength)
        self.input_to_heads = bool(input_to_heads)
        self.heads = nn.Linear(hidden_size + input_size * self.input_to_heads, read_heads * self.n_params)
        self.out = nn.Linear(hidden_size + read_heads * memory_width, out_size)

    def initial_state(self, batch_size: int) -> MANNState:
        p = self.out.weight
        return MANNState(memory=p.new_full((batch_size, self.N, self.W), MEMORY_INIT),
                         controller=self.controller.initial_state(batch_size),
                         reads=p.new_zeros(batch_size, self.H, self.W),
                         w_read=p.new_zeros(batch_size, self.H, self.N),
                         usage=p.new_zeros(batch_size, self.N))

    def step(self, gx: Tensor, state: MANNState, x: Tensor | None = None):
        """One time step from the projected input ``gx`` (:meth:`Controller.project` of ``x [B, D]``; ``x`` itself
        is needed only with ``input_to_heads``) → ``(logits [B, out], new state, {"w_read", "w_write"})``."""
        B, H, W = gx.shape[0], self.H, self.W
        h, ctrl = self.controller(gx, state.reads.flatten(1), state.controller)
        if self.input_to_heads:
            if x is None:
                raise ValueError("step(gx, state, x=None) on a MANN with input_to_heads=True: its heads read the "
                                 "step's input too. Pass x, the [B, input_size] input gx was projected from.")
            params = self.heads(torch.cat([h, x], dim=-1)).view(B, H, self.n_params)
        else:
            params = self.heads(h).view(B, H, self.n_params)
        key, add, alpha = torch.tanh(params[..., :W]), torch.tanh(params[..., W:2 * W]), params[..., 2 * W]
        strength = oneplus(params[..., -1]) if self.key_strength else 1.0
        w_lu_prev = least_used_weights(state.usage, H)                     # Eq. 6 at t−1
        w_write = lru_write_weights(alpha, state.w_read, w_lu_prev)        # Eq. 7
        memory = lru_write(clear_least_used(state.memory, state.usage), w_write, add)  # Eq. 8
        w_read = content_weights(key, memory, strength)                    # Eqs. 2–3
        reads = read(memory, w_read)                                       # Eq. 4
        usage = lru_usage(state.usage, w_read, w_write, self.gamma)        # Eq. 5
        logits = self.out(torch.cat([h, reads.flatten(1)], dim=-1))
        return logits, MANNState(memory, ctrl, reads, w_read, usage), {"w_read": w_read, "w_write": w_write}

    def run(self, inputs: Tensor, state: MANNState | None = None, trace: bool = False):
        """Run a sequence ``[B, S, D]`` from ``state`` (default: empty memory) → ``(logits [B, S, out], final
        state, trace)``; with ``trace`` the read/write weights ``[B, S, H, N]`` and usage ``[B, S, N]``."""
        state = self.initial_state(inputs.shape[0]) if state is None else state
        outs, info = [], {"w_read": [], "w_write": [], "usage": []}
        gx = self.controller.project(inputs)
        for t in range(inputs.shape[1]):
            logits, state, step_info = self.step(gx[:, t], state, inputs[:, t])
            outs.append(logits)
            if trace:
                info["w_read"].append(step_info["w_read"])
                info["w_write"].append(step_info["w_write"])
                info["usage"].append(state.usage)
        info = {k: torch.stack(v, dim=1) for k, v in info.items()} if trace else {}
        return torch.stack(outs, dim=1), state, info

    def forward(self, inputs: Tensor, trace: bool = False):
        """Logits ``[B, S, out]`` of a sequence from an empty memory (and the trace, see :meth:`run`)."""
        logits, _, info = self.run(inputs, trace=trace)
        return (logits, info) if trace else logits


__all__ = ["MANNNetwork", "MANNState", "clear_least_used", "least_used", "least_used_weights", "lru_usage",
           "lru_write", "lru_write_weights"]


class MANN(LabelSequenceLearner):
    """The MANN learner: label-offset Omniglot episodes read by :class:`MANNNetwork` (flat pixels in).

    Args:
        n_classes: classes per episode (paper: 5).
        image_size: side of the input images (paper: 20, i.e. 400 pixels).
        memory_slots, memory_width, read_heads, hidden_size, gamma, key_strength, input_to_heads: see
            :class:`MANNNetwork`.
        encoder: ``None`` (flat pixels, the paper's input) or the name of a committed Conv-4 checkpoint used as
            a frozen feature extractor (:class:`~meta_course.learners.memory.sequence.FrozenEncoder`).
        finetune_encoder: train that Conv-4 end to end with the MANN instead of keeping it frozen.
        lr_schedule: ``"constant"`` or ``"cosine"`` (the outer step size decays as ½(1 + cos πt/T) over the run).
        init_from: name of a committed MANN checkpoint with the same network whose weights (and frozen encoder
            statistics) this learner starts from — a second training stage; ``None``: fresh weights. A start
            without ``input_to_heads`` may seed a network with it (the heads' weights on x_t start at zero).
        feature_dropout: in training, drop each image feature with this probability (inverted dropout; the
            previous label is never dropped): a regulariser against fitting the training alphabets' features.
        centre_features: feed each step's image features minus the mean of the episode's features so far
            (steps 1..t): what every drawing of the episode shares — more on a new alphabet — drops out.

    Example:
        >>> from meta_course.tasks.sequences import LabelledSequences
        >>> m = MANN(image_size=4, memory_slots=8, memory_width=4, read_heads=2, hidden_size=8)
        >>> b = LabelledSequences(torch.rand(2, 6, 1, 4, 4), torch.tensor([[0, 1, 0, 2, 1, 0]] * 2), torch.ones(2, 6))
        >>> m.score(b).shape, m.meta_loss(b).dim()
        (torch.Size([2]), 0)
    """

    name = "mann"

    def __init__(self, n_classes: int = 5, image_size: int = 20, memory_slots: int = 128, memory_width: int = 40,
                 read_heads: int = 4, hidden_size: int = 128, gamma: float = 0.95, key_strength: bool = False,
                 encoder: str | None = None, lr_schedule: str = "constant", init_from: str | None = None,
                 finetune_encoder: bool = False, input_to_heads: bool = False, feature_dropout: float = 0.0,
                 centre_features: bool = False):
        super().__init__(n_classes, image_size, encoder, finetune_encoder)
        check_range("feature_dropout", feature_dropout, 0.0, 0.95, "The probability of dropping an image feature "
                    "in training; 0 turns it off.")
        self.feature_dropout = float(feature_dropout)
        self.centre_features = bool(centre_features)
        check_choice("lr_schedule", lr_schedule, ("constant", "cosine"), "How the outer step size changes over training.")
        self.config = dict(n_classes=n_classes, image_size=image_size, memory_slots=memory_slots,
                           memory_width=memory_width, read_heads=read_heads, hidden_size=hidden_size, gamma=gamma,
                           key_strength=key_strength, encoder=encoder)
        self.net = MANNNetwork(self.input_size, n_classes, memory_slots, memory_width, read_heads, hidden_size, gamma,
                               key_strength, input_to_heads)
        if input_to_heads:  # only non-default settings enter the config: older checkpoints keep theirs
            self.config["input_to_heads"] = True
        if feature_dropout:
            self.config["feature_dropout"] = float(feature_dropout)
        if centre_features:
            self.config["centre_features"] = True
        self.lr_schedule = lr_schedule
        if lr_schedule != "constant":  # only non-default settings enter the config: older checkpoints keep theirs
            self.config["lr_schedule"] = lr_schedule
        if finetune_encoder:
            self.config["finetune_encoder"] = True
        if init_from is not None:
            # start from a committed run's weights (a resumed run or a loaded checkpoint overwrites them after)
            self.start_from(init_from, ("init_from", "lr_schedule", "finetune_encoder", "input_to_heads", "feature_dropout"),
                            "a MANN",
                            "mann_omniglot", self._widen_heads)

    def _widen_heads(self, start: "MANN") -> dict:
        """The start's weights; a start whose heads read h_t alone, for a network whose heads also read x_t, gets
        zero weights on x_t — the same function as the start until training moves them."""
        state = start.state_dict()
        if self.net.input_to_heads and not start.net.input_to_heads:
            w = state["net.heads.weight"]
            state["net.heads.weight"] = torch.cat([w, w.new_zeros(w.shape[0], self.input_size)], dim=1)
        elif start.net.input_to_heads and not self.net.input_to_heads:
            raise ValueError("the init_from checkpoint's heads read the input too (input_to_heads=True) and this "
                             "MANN's do not: start from a MANN without it, or set input_to_heads=True.")
        return state

    def outer_lr_factor(self, step: int, steps: int) -> float:
        """1, or ½(1 + cos(π·step/steps)) with the cosine schedule (a pure function of the step: resumable)."""
        return 0.5 * (1 + math.cos(math.pi * step / steps)) if self.lr_schedule == "cosine" else 1.0


__all__ += ["MANN"]
