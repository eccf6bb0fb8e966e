"""Sequence tasks of the memory-augmented family.

- :class:`OmniglotSequences` — Santoro et al.'s episodes: 5 classes × 10 drawings shuffled into a
  50-step sequence; classes and the label of each class are drawn anew in every episode, so the only
  way to score above chance is to *remember* which image came with which label. The label of step t
  is shown to the learner at step t + 1 (:func:`offset_labels`).
- :class:`CopyTask` — Graves et al.'s copy: a sequence of random binary vectors, a delimiter, then
  the same sequence to be emitted from memory.
- :class:`AssociativeRecallTask` — items of a few vectors each, then a query item: emit the item
  that *followed* the query in the list (a lookup by content, then one step in write order).

Every sampler has ``sample(generator, n_tasks) -> batch`` with ``batch.to(device)``.

References:
    Santoro et al. (2016), "Meta-Learning with Memory-Augmented Neural Networks", ICML, Section 4.1
    and Figure 1. Graves, Wayne & Danihelka (2014), "Neural Turing Machines", Sections 4.1 and 4.3.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from ..core.checks import check_int, check_range


class LabelledSequences(NamedTuple):
    """A batch of classification episodes read one item at a time.

    Attributes:
        x: ``[T, S, 1, side, side]`` images (float in [0, 1]).
        y: ``[T, S]`` labels 0..n_classes−1, fixed within an episode, drawn anew for each episode.
        instance: ``[T, S]`` how many times the class of step t has been shown up to and including t
            (1 = first sight: no way to know its label).
    """

    x: Tensor
    y: Tensor
    instance: Tensor

    def to(self, device) -> "LabelledSequences":
        return LabelledSequences(*(t.to(device) for t in self))


class Sequences(NamedTuple):
    """A batch of input/target sequences: ``x [T, S, D_in]``, ``y [T, S, D_out]`` (0/1 bits) and
    ``mask [T, S]``, true where the target counts (the answer phase)."""

    x: Tensor
    y: Tensor
    mask: Tensor

    def to(self, device) -> "Sequences":
        return Sequences(*(t.to(device) for t in self))

    @property
    def length(self) -> int:
        """Answer steps per sequence (the copied length, or the recalled item's length)."""
        return int(self.mask[0].sum())


def offset_labels(y: Tensor, n_classes: int) -> Tensor:
    """One-hot of the *previous* step's label: ``[T, S]`` → ``[T, S, n_classes]``, zeros at step 0.

    This is the trick of Santoro et al. (Figure 1): the target of step t arrives with the input of step
    t + 1, so the network must predict before it is told, and bind the label to the image it saw.

    Example:
        >>> offset_labels(torch.tensor([[2, 0, 1]]), 3)
        tensor([[[0., 0., 0.],
                 [0., 0., 1.],
                 [1., 0., 0.]]])
    """
    one_hot = nn.functional.one_hot(y, n_classes).float()
    return torch.cat([torch.zeros_like(one_hot[:, :1]), one_hot[:, :-1]], dim=1)


def instance_index(y: Tensor) -> Tensor:
    """``[T, S]`` labels → ``[T, S]``: the count of each label up to and including step t.

    Example:
        >>> instance_index(torch.tensor([[0, 1, 0, 0, 1]]))
        tensor([[1, 1, 2, 3, 2]])
    """
    one_hot = nn.functional.one_hot(y)
    return (one_hot.cumsum(1) * one_hot).sum(-1)


class OmniglotSequences:
    """Santoro et al.'s Omniglot episodes: ``n_classes`` × ``n_instances`` drawings in random order.

    Args:
        split, part: as :func:`meta_course.tasks.omniglot.omniglot_split` (``minimal``: train = 6
            alphabets, val = Balinese, test = Sanskrit).
        n_classes: classes per episode (paper: 5).
        n_instances: drawings of each class per episode (paper: 10; at most 19).
        rotations: 90°/180°/270° rotations of a character are extra classes (paper, Section 4.1).
        size: image side (paper: 20).
        root, data: data folder, or an already loaded :class:`~meta_course.tasks.omniglot.OmniglotSplit`.

    Example:
        >>> seqs = OmniglotSequences(part="test", size=20).sample(torch.Generator().manual_seed(0), 2)  # doctest: +SKIP
        >>> tuple(seqs.x.shape), int(seqs.instance.max())  # doctest: +SKIP
        ((2, 50, 1, 20, 20), 10)
    """

    def __init__(self, split: str = "minimal", part: str = "train", n_classes: int = 5, n_instances: int = 10,
                 rotations: bool = True, size: int = 20, root=None, data=None):
        from .omniglot import DRAWINGS, OmniglotTasks

        check_int("n_instances", n_instances, 1, DRAWINGS - 1,
                  f"Each character has {DRAWINGS} drawings; the paper shows 10 of each class per episode.")
        check_int("n_classes", n_classes, 1, 1000, "The paper uses 5 classes per episode.")
        # the episode sampler of the other lessons draws the classes, their labels and distinct drawings;
        # its single "query" drawing is not used
        self.tasks = OmniglotTasks(split, part, n_way=n_classes, k_shot=n_instances, q_query=1, rotations=rotations,
                                   root=root, size=size, data=data)
        self.n_classes, self.n_instances, self.size = n_classes, n_instances, size

    @property
    def length(self) -> int:
        return self.n_classes * self.n_instances

    def sample(self, generator: torch.Generator, n_tasks: int) -> LabelledSequences:
        """``n_tasks`` episodes of ``n_classes · n_instances`` steps."""
        classes, drawings = self.tasks.sample_indices(generator, n_tasks)
        ep = self.tasks.episodes(classes, drawings[..., :self.n_instances + 1])
        x, y = ep.x_support, ep.y_support                           # class-major: [T, N·K, 1, s, s]
        order = torch.rand(n_tasks, self.length, generator=generator).argsort(dim=1)
        x = x.gather(1, order.view(n_tasks, -1, 1, 1, 1).expand_as(x))
        y = y.gather(1, order)
        return LabelledSequences(x, y, instance_index(y))

    def __repr__(self) -> str:
        return f"OmniglotSequences({self.tasks!r}, {self.n_classes} classes × {self.n_instances} instances)"


def _check_lengths(min_length: int, max_length: int, what: str, fix: str) -> None:
    check_int(f"min_{what}", min_length, 1, 10_000, fix)
    check_int(f"max_{what}", max_length, min_length, 10_000, f"max_{what} must be >= min_{what}={min_length}. {fix}")


class CopyTask:
    """The copy task: ``L`` random ``width``-bit vectors, a delimiter, then ``L`` blank steps in which
    the same vectors must be emitted (Graves et al. 2014, Section 4.1).

    Inputs have ``width + 1`` channels (the last is the delimiter), targets ``width``; a batch shares one
    length ``L`` drawn uniformly from ``[min_length, max_length]``, so it has ``2L + 1`` steps.

    Example:
        >>> b = CopyTask(width=3, min_length=2, max_length=2).sample(torch.Generator().manual_seed(0), 1)
        >>> b.x.shape, b.y.shape, b.mask[0].tolist()
        (torch.Size([1, 5, 4]), torch.Size([1, 5, 3]), [False, False, False, True, True])
        >>> bool((b.y[0, 3:] == b.x[0, :2, :3]).all())
        True
    """

    def __init__(self, width: int = 8, min_length: int = 1, max_length: int = 20):
        check_int("width", width, 1, 1024, "Bits per vector; the paper uses 8.")
        _check_lengths(min_length, max_length, "length", "The paper trains on lengths 1..20.")
        self.width, self.min_length, self.max_length = width, min_length, max_length

    def sample(self, generator: torch.Generator, n_tasks: int) -> Sequences:
        check_int("n_tasks", n_tasks, 1, fix="Ask for at least one sequence.")
        L = int(torch.randint(self.min_length, self.max_length + 1, (1,), generator=generator))
        bits = torch.randint(0, 2, (n_tasks, L, self.width), generator=generator).float()
        x = torch.zeros(n_tasks, 2 * L + 1, self.width + 1)
        y = torch.zeros(n_tasks, 2 * L + 1, self.width)
        x[:, :L, :self.width] = bits
        x[:, L, self.width] = 1.0
        y[:, L + 1:] = bits
        mask = torch.zeros(n_tasks, 2 * L + 1, dtype=torch.bool)
        mask[:, L + 1:] = True
        return Sequences(x, y, mask)

    def __repr__(self) -> str:
        return f"CopyTask(width={self.width}, lengths {self.min_length}..{self.max_length})"


class AssociativeRecallTask:
    """Associative recall (Graves et al. 2014, Section 4.3): ``n`` items of ``item_length`` random
    ``width``-bit vectors, each preceded by an item delimiter; then a query delimiter, a copy of one of
    the items (not the last), a query delimiter; the answer is the item that came *after* it.

    Inputs have ``width + 2`` channels (item delimiter, query delimiter), targets ``width``; a batch
    shares one number of items drawn from ``[min_items, max_items]``.

    Example:
        >>> b = AssociativeRecallTask(width=2, item_length=1, min_items=3, max_items=3).sample(
        ...     torch.Generator().manual_seed(0), 1)
        >>> b.x.shape, b.length
        (torch.Size([1, 10, 4]), 1)
    """

    def __init__(self, width: int = 6, item_length: int = 3, min_items: int = 2, max_items: int = 6):
        check_int("width", width, 1, 1024, "Bits per vector; the paper uses 6.")
        check_int("item_length", item_length, 1, 100, "Vectors per item; the paper uses 3.")
        _check_lengths(min_items, max_items, "items", "The paper trains on 2..6 items.")
        if min_items < 2:
            raise ValueError(f"min_items={min_items} is out of range: allowed >= 2 (a query needs a successor). "
                             f"Use min_items=2.")
        self.width, self.item_length, self.min_items, self.max_items = width, item_length, min_items, max_items

    def sample(self, generator: torch.Generator, n_tasks: int) -> Sequences:
        check_int("n_tasks", n_tasks, 1, fix="Ask for at least one sequence.")
        n = int(torch.randint(self.min_items, self.max_items + 1, (1,), generator=generator))
        K, W = self.item_length, self.width
        items = torch.randint(0, 2, (n_tasks, n, K, W), generator=generator).float()
        query = torch.randint(0, n - 1, (n_tasks,), generator=generator)
        S = n * (K + 1) + 1 + K + 1 + K
        x = torch.zeros(n_tasks, S, W + 2)
        y = torch.zeros(n_tasks, S, W)
        for i in range(n):
            start = i * (K + 1)
            x[:, start, W] = 1.0
            x[:, start + 1:start + 1 + K, :W] = items[:, i]
        q0 = n * (K + 1)
        rows = torch.arange(n_tasks)
        x[:, q0, W + 1] = 1.0
        x[:, q0 + 1:q0 + 1 + K, :W] = items[rows, query]
        x[:, q0 + 1 + K, W + 1] = 1.0
        y[:, S - K:] = items[rows, query + 1]
        mask = torch.zeros(n_tasks, S, dtype=torch.bool)
        mask[:, S - K:] = True
        return Sequences(x, y, mask)

    def __repr__(self) -> str:
        return (f"AssociativeRecallTask(width={self.width}, item_length={self.item_length}, "
                f"items {self.min_items}..{self.max_items})")


def copy_prefix(batch: Sequences, length: int) -> Sequences:
    """The same copy sequences cut to their first ``length`` vectors (delimiter and answer rebuilt).

    A length curriculum uses it: a batch drawn at the full range is shortened while the network is young.

    Example:
        >>> b = CopyTask(width=3, min_length=5, max_length=5).sample(torch.Generator().manual_seed(0), 2)
        >>> short = copy_prefix(b, 2)
        >>> short.x.shape, short.length, bool((short.y[:, 3:] == b.x[:, :2, :3]).all())
        (torch.Size([2, 5, 4]), 2, True)
    """
    L, width = batch.length, batch.y.shape[-1]
    check_int("length", length, 1, L, f"A copy of length {L} can be cut to 1..{L} vectors.")
    if batch.x.shape[-1] != width + 1 or batch.x.shape[1] != 2 * L + 1:
        raise ValueError(f"a batch with {batch.x.shape[-1]} input channels and {batch.x.shape[1]} steps is not a copy "
                         f"batch of length {L} (width + 1 = {width + 1} channels, 2L + 1 = {2 * L + 1} steps). "
                         "Cut only batches of CopyTask.")
    bits = batch.x[:, :length, :width]
    x = batch.x.new_zeros(batch.x.shape[0], 2 * length + 1, width + 1)
    y = batch.y.new_zeros(batch.y.shape[0], 2 * length + 1, width)
    x[:, :length, :width] = bits
    x[:, length, width] = 1.0
    y[:, length + 1:] = bits
    mask = torch.zeros(x.shape[:2], dtype=torch.bool, device=x.device)
    mask[:, length + 1:] = True
    return Sequences(x, y, mask)


def bit_errors(logits: Tensor, batch: Sequences) -> Tensor:
    """Wrong bits per sequence (outputs thresholded at 0.5) over the answer steps: ``[T]``.

    Example:
        >>> b = CopyTask(width=2, min_length=1, max_length=1).sample(torch.Generator().manual_seed(0), 1)
        >>> int(bit_errors((b.y * 2 - 1) * 5, b)), int(bit_errors(-(b.y * 2 - 1) * 5, b))
        (0, 2)
    """
    wrong = ((logits > 0).float() != batch.y).float().sum(-1)
    return (wrong * batch.mask).sum(-1)


__all__ = ["AssociativeRecallTask", "CopyTask", "LabelledSequences", "OmniglotSequences", "Sequences",
           "bit_errors", "copy_prefix", "instance_index", "offset_labels"]


def omniglot_sequences(affine_strength: float = 0.0, **task_args):
    """Task-table factory: ``OmniglotSequences(**task_args).sample``; with ``affine_strength`` > 0 every image is
    distorted by its own small random affine map drawn from the task generator
    (:func:`~meta_course.tasks.omniglot.augment.random_affine`; 1 = Koch et al.'s ranges)."""
    from .omniglot.augment import random_affine

    check_range("affine_strength", affine_strength, 0.0, 3.0, "1 = Koch et al.'s ranges; 0 = no distortion.")
    sample = OmniglotSequences(**task_args).sample
    if affine_strength == 0:
        return sample

    def distorted(generator: torch.Generator, n_tasks: int) -> LabelledSequences:
        batch = sample(generator, n_tasks)
        return batch._replace(x=random_affine(batch.x, generator, affine_strength))

    return distorted


def copy_task(**task_args):
    """Task-table factory: ``CopyTask(**task_args).sample``."""
    return CopyTask(**task_args).sample


def associative_recall(**task_args):
    """Task-table factory: ``AssociativeRecallTask(**task_args).sample``."""
    return AssociativeRecallTask(**task_args).sample


__all__ += ["associative_recall", "copy_task", "omniglot_sequences"]
