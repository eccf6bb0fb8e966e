"""Few-shot generation tasks: one Omniglot character = one task, its drawings the data.

A generative task has no labels: the learner sees K drawings of one character and must produce new
drawings of the same character (Clouâtre & Demers 2019 use K = 4). :class:`CharacterTasks` draws
T characters of one part of a split and n drawings of each (without replacement, in random order),
as :class:`~meta_course.tasks.samples.Samples` ``x [T, n, 1, S, S]``, floats in [0, 1] (ink high).
``pooled=True`` draws every image of the batch from an independent random character instead —
the data of an ordinary (joint) GAN on all training characters, the fine-tuning baseline's pretraining.

Example:
    >>> tasks = CharacterTasks("minimal", "train", n_drawings=4)  # doctest: +SKIP
    >>> tasks.sample(torch.Generator().manual_seed(0), 2).x.shape  # doctest: +SKIP
    torch.Size([2, 4, 1, 28, 28])

References:
    Clouâtre & Demers (2019), "FIGR: Few-shot Image Generation with Reptile", arXiv:1901.02199, Section 3.
"""

from __future__ import annotations

import torch

from ..core.checks import check_int
from .omniglot.files import DRAWINGS
from .omniglot.images import to_float
from .omniglot.splits import OmniglotSplit, omniglot_split
from .samples import Samples


class CharacterTasks:
    """Sample generation tasks (characters) from one part of an Omniglot split.

    Args:
        split, part: see :func:`meta_course.tasks.omniglot.omniglot_split` (``minimal``'s ``train`` part:
            176 characters of six alphabets; ``test``: Sanskrit, 42 characters).
        n_drawings: n, drawings per task (1–20; any number when ``pooled``).
        pooled: every image from an independent random character (a joint, unconditional data set).
        data: an already loaded :class:`OmniglotSplit` (skips loading).
    """

    def __init__(self, split: str = "minimal", part: str = "train", n_drawings: int = 4, pooled: bool = False,
                 root=None, data: OmniglotSplit | None = None):
        self.pooled = bool(pooled)
        self.n_drawings = check_int("n_drawings", n_drawings, 1, 100_000 if self.pooled else DRAWINGS,
                                    "Images per task (pooled) or drawings per character (each has "
                                    f"{DRAWINGS}; FIGR uses K = 4).")
        self.data = data if data is not None else omniglot_split(split, part, root)
        self.n_characters = len(self.data)

    def sample_indices(self, g: torch.Generator, n_tasks: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(characters [T, n], drawings [T, n])``: character and drawing index of every image."""
        check_int("n_tasks", n_tasks, 1, fix="Ask for at least one task.")
        n = self.n_drawings
        if self.pooled:
            chars = torch.randint(self.n_characters, (n_tasks, n), generator=g)
            drawings = torch.randint(DRAWINGS, (n_tasks, n), generator=g)
        else:
            chars = torch.randint(self.n_characters, (n_tasks, 1), generator=g).expand(n_tasks, n)
            drawings = torch.rand(n_tasks, DRAWINGS, generator=g).argsort(-1)[:, :n]
        return chars, drawings

    def images(self, chars: torch.Tensor, drawings: torch.Tensor) -> torch.Tensor:
        """Float drawings ``[..., 1, S, S]`` for index tensors of equal shape."""
        return to_float(self.data.images[chars, drawings])

    def sample(self, generator: torch.Generator, n_tasks: int) -> Samples:
        """A meta-batch of ``n_tasks`` characters with ``n_drawings`` drawings each."""
        return Samples(self.images(*self.sample_indices(generator, n_tasks)))

    def character(self, index: int) -> torch.Tensor:
        """All 20 drawings of character ``index``: ``[20, 1, S, S]``."""
        check_int("index", index, 0, self.n_characters - 1, f"{self.data.name} has {self.n_characters} characters.")
        return to_float(self.data.images[index])

    def __repr__(self) -> str:
        kind = "pooled images" if self.pooled else "one character per task"
        return f"CharacterTasks({self.data.name}, {self.n_characters} characters, n_drawings={self.n_drawings}, {kind})"


def character_tasks(**task_args):
    """The task family ``"omniglot_characters"``: ``CharacterTasks(**task_args).sample``."""
    return CharacterTasks(**task_args).sample


__all__ = ["CharacterTasks", "character_tasks"]
