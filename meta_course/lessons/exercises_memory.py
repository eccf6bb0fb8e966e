"""Self-checking exercises of lessons 08 (MANN) and 09 (NTM and DNC).

Importing this module registers them with :func:`meta_course.lessons.exercises.check`; the expected answers
are computed by the package, never typed in.
"""

from __future__ import annotations

import torch

from .exercises import check, exercise

__all__ = ["check", "first_instance_bound"]


def first_instance_bound(n_classes: int = 5, episodes: int = 0, seed: int = 0) -> float:
    """Best accuracy at the *first* sight of a class, for a learner that knows every earlier label.

    The j-th new class of an episode (j = 0..n−1) can only carry one of the n − j labels not used yet, each
    equally likely: the chance of naming it is 1/(n − j). Averaged over the n first sights:
    (1/n) Σ_j 1/(n − j). With ``episodes`` > 0 the same number is estimated by simulation instead.

    Example:
        >>> round(first_instance_bound(5), 4)
        0.4567
    """
    if episodes == 0:
        return sum(1 / (n_classes - j) for j in range(n_classes)) / n_classes
    g = torch.Generator().manual_seed(seed)
    right = 0.0
    for _ in range(episodes):
        labels = torch.randperm(n_classes, generator=g)     # the label of the j-th class to appear
        for j in range(n_classes):
            unused = labels[j:]                              # a guess among the labels not seen yet
            right += float(unused[torch.randint(len(unused), (1,), generator=g)] == labels[j])
    return right / (episodes * n_classes)


@exercise("mann.least_used", "Sort the usage ascending (torch.sort(..., stable=True)), keep the first n indices and "
                             "one-hot them: row i marks the i-th least-used slot.")
def _least_used(fn) -> bool:
    """``fn(usage [B, N], n) -> [B, n, N]`` must equal :func:`meta_course.learners.memory.mann.least_used_weights`."""
    from ..learners.memory.mann import least_used_weights

    g = torch.Generator().manual_seed(8)
    for n in (1, 3):
        usage = torch.rand(4, 9, generator=g)
        got = fn(usage, n)
        if not isinstance(got, torch.Tensor) or got.shape != (4, n, 9) or not torch.allclose(
                got.float(), least_used_weights(usage, n)):
            return False
    return True


@exercise("mann.write_weights", "Eq. 7: σ(α) times the previous read weights plus (1 − σ(α)) times the least-used "
                                "weights; torch.sigmoid(alpha) has one value per head, unsqueeze it over the slots.")
def _write_weights(fn) -> bool:
    """``fn(alpha [B, H], w_read_prev [B, H, N], w_lu_prev [B, H, N]) -> [B, H, N]`` (Eq. 7)."""
    from ..learners.memory.mann import least_used_weights, lru_write_weights

    g = torch.Generator().manual_seed(9)
    alpha = torch.randn(2, 3, generator=g)
    w_read = torch.softmax(torch.randn(2, 3, 7, generator=g), -1)
    w_lu = least_used_weights(torch.rand(2, 7, generator=g), 3)
    got = fn(alpha, w_read, w_lu)
    return isinstance(got, torch.Tensor) and got.shape == (2, 3, 7) and torch.allclose(
        got, lru_write_weights(alpha, w_read, w_lu), atol=1e-6)


@exercise("mann.first_instance", "The j-th new class can only have one of the 5 − j labels not shown yet: average "
                                 "1/(5 − j) over j = 0..4.")
def _first_instance(answer) -> bool:
    """The best possible accuracy at the first instance, 5 classes (tolerance 1e-3; 45.67 % is accepted too)."""
    want = first_instance_bound(5)
    value = float(answer)
    return abs(value - want) < 1e-3 or abs(value - 100 * want) < 0.1


@exercise("ntm.shift", "w̃(i) = Σ_j w(j) s(i − j): for each offset k in −R..R add torch.roll(w, k, dims=-1) "
                       "times s[..., k + R].")
def _shift(fn) -> bool:
    """``fn(w [B, H, N], s [B, H, 2R+1]) -> [B, H, N]`` must equal :func:`meta_course.learners.memory.ntm.circular_shift`."""
    from ..learners.memory.ntm import circular_shift

    g = torch.Generator().manual_seed(10)
    for R in (1, 2):
        w = torch.softmax(torch.randn(2, 1, 8, generator=g), -1)
        s = torch.softmax(torch.randn(2, 1, 2 * R + 1, generator=g), -1)
        got = fn(w, s)
        if not isinstance(got, torch.Tensor) or got.shape != w.shape or not torch.allclose(
                got, circular_shift(w, s), atol=1e-6):
            return False
    return True


@exercise("ntm.sharpen_peak", "Eq. 9: raise each weight to the power γ and renormalise; the answer is the largest "
                              "entry of the result.")
def _sharpen_peak(answer) -> bool:
    """Largest weight after sharpening (0.5, 0.25, 0.25) with γ = 2 (tolerance 1e-3)."""
    from ..learners.memory.ntm import sharpen

    want = float(sharpen(torch.tensor([[[0.5, 0.25, 0.25]]]), torch.tensor([[2.0]])).max())
    return abs(float(answer) - want) < 1e-3


@exercise("dnc.allocation", "Sort the usage ascending; the j-th slot in that order gets (1 − u) times the product of "
                            "the usages before it (an exclusive cumulative product); scatter back to slot order.")
def _allocation(fn) -> bool:
    """``fn(usage [B, N]) -> [B, N]`` must equal :func:`meta_course.learners.memory.dnc.allocation` with ε = 0."""
    from ..learners.memory.dnc import allocation

    g = torch.Generator().manual_seed(11)
    usage = torch.rand(3, 6, generator=g)
    usage[0, 2] = 0.0                                       # a free slot takes everything
    got = fn(usage)
    return isinstance(got, torch.Tensor) and got.shape == usage.shape and torch.allclose(
        got, allocation(usage, eps=0.0), atol=1e-6)


@exercise("dnc.next_slot", "Write slots in the order given, updating L and p after each write; then L @ w for a "
                           "read weighting on slot 4 points at the slot written right after it.")
def _next_slot(answer) -> bool:
    """Slots written in the order 2, 4, 0, 3: which slot does the forward weighting from slot 4 point at?"""
    from ..learners.memory.dnc import directional_weights, link_update, precedence

    N = 5
    link, p = torch.zeros(1, N, N), torch.zeros(1, N)
    for slot in (2, 4, 0, 3):
        w = torch.nn.functional.one_hot(torch.tensor([slot]), N).float()
        link, p = link_update(link, p, w), precedence(p, w)
    start = torch.nn.functional.one_hot(torch.tensor([[4]]), N).float()
    return int(answer) == int(directional_weights(link, start)[0].argmax())
