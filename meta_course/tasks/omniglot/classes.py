"""Plain classification batches over *all* training characters: the transfer baseline's pretraining data.

Few-shot episodes relabel 5 random classes 0..4 each time; the transfer baseline instead learns one
classifier over every training character (and, with ``rotations``, every 90° rotation of each
character as its own class — the augmentation the MAML paper uses for its episodes). Batches come as
an :class:`~meta_course.tasks.Episode` so the shared training loop can drive them: support and query
are two independent batches of the same kind, labels are global class ids.

Task family ``"omniglot_classes"`` (:func:`omniglot_classes`).
"""

from __future__ import annotations

from functools import cached_property

import torch

from ...core.checks import check_int
from ..episode import Episode
from .images import to_float
from .splits import omniglot_split


class OmniglotClasses:
    """Batches of ``(image, global class)`` from one part of an Omniglot split.

    Args:
        split, part, root, size: as :func:`meta_course.tasks.omniglot.omniglot_split`.
        batch_size: images per support (and per query) batch.
        rotations: treat the 0/90/180/270° rotations of a character as 4 classes.

    Example:
        >>> tasks = OmniglotClasses(batch_size=8)          # doctest: +SKIP
        >>> tasks.sample(torch.Generator().manual_seed(0), 2).x_support.shape  # doctest: +SKIP
        torch.Size([2, 8, 1, 28, 28])
    """

    def __init__(self, split: str = "minimal", part: str = "train", batch_size: int = 64, rotations: bool = True,
                 root=None, size: int = 28):
        check_int("batch_size", batch_size, 1, 100_000, "Images per pretraining batch, e.g. 64.")
        self.split, self.part, self.root, self.size = split, part, root, size
        self.batch_size, self.rotations = batch_size, rotations

    @cached_property
    def images(self) -> torch.Tensor:
        """``uint8 [n_chars, 20, S, S]`` of the chosen part (loaded once)."""
        return omniglot_split(self.split, self.part, root=self.root, size=self.size).images

    @property
    def n_classes(self) -> int:
        return self.images.shape[0] * (4 if self.rotations else 1)

    def _batch(self, g: torch.Generator, n_tasks: int) -> tuple[torch.Tensor, torch.Tensor]:
        n_chars, n_draw = self.images.shape[:2]
        labels = torch.randint(self.n_classes, (n_tasks, self.batch_size), generator=g)
        drawing = torch.randint(n_draw, (n_tasks, self.batch_size), generator=g)
        char, rot = (labels // 4, labels % 4) if self.rotations else (labels, torch.zeros_like(labels))
        x = self.images[char, drawing]  # [T, B, S, S]
        for k in range(1, 4):
            mask = rot == k
            if mask.any():
                x[mask] = torch.rot90(x[mask], k, dims=(-2, -1))
        return to_float(x), labels

    def sample(self, g: torch.Generator, n_tasks: int) -> Episode:
        """``n_tasks`` pairs of batches (support, query), each ``batch_size`` images with global labels."""
        check_int("n_tasks", n_tasks, 1, fix="Ask for at least one batch.")
        xs, ys = self._batch(g, n_tasks)
        xq, yq = self._batch(g, n_tasks)
        return Episode(xs, ys, xq, yq)


def omniglot_classes(**task_args):
    """Task family ``"omniglot_classes"``: ``sample(generator, n_tasks)`` of :class:`OmniglotClasses`."""
    return OmniglotClasses(**task_args).sample
