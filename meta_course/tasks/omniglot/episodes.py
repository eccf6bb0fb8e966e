"""N-way K-shot Omniglot episodes (task family ``"omniglot"``)."""

from __future__ import annotations

import torch

from ...core.checks import check_int
from ..episode import Episode
from .files import DRAWINGS
from .images import DEFAULT_SIZE, to_float
from .splits import OmniglotSplit, omniglot_split


class OmniglotTasks:
    """N-way K-shot episodes from one part of an Omniglot split.

    Each task draws N classes (characters, or character×rotation when ``rotations=True``), then K
    support and Q query drawings per class *without overlap*; labels 0..N−1 are assigned in a random
    class order. ``within_alphabet=True`` draws all N classes of a task from one alphabet (Lake's
    harder protocol; the alphabet is chosen uniformly among those with ≥ N classes).

    Args:
        split, part: see :func:`omniglot_split` (``minimal``: train 176 / val 24 / test 42 characters).
        n_way, k_shot, q_query: N, K and Q (K + Q ≤ 20 drawings).
        within_alphabet: one alphabet per task.
        rotations: rotations by 0/90/180/270° are four distinct classes (Santoro et al. 2016,
            Vinyals et al. 2016).
        root, size: data folder and image side.

    Episodes are ``Episode(x_support [T, N*K, 1, S, S], y_support [T, N*K], x_query [T, N*Q, 1, S, S],
    y_query [T, N*Q])``, float images in [0, 1], support class-major (labels ``0,0,..,1,1,..``).

    Example:
        >>> ep = OmniglotTasks(n_way=5, k_shot=1).sample(torch.Generator().manual_seed(0), 4)  # doctest: +SKIP
        >>> tuple(ep.x_support.shape)  # doctest: +SKIP
        (4, 5, 1, 28, 28)
    """

    def __init__(self, split: str = "minimal", part: str = "train", n_way: int = 5, k_shot: int = 1,
                 q_query: int = 15, within_alphabet: bool = False, rotations: bool = False, root=None,
                 size: int = DEFAULT_SIZE, data: OmniglotSplit | None = None):
        self.data = data if data is not None else omniglot_split(split, part, root, size)
        self.within_alphabet, self.rotations = bool(within_alphabet), bool(rotations)
        self.n_rot = 4 if self.rotations else 1
        n_classes = len(self.data) * self.n_rot
        self.class_alphabet = self.data.alphabet_of.repeat_interleave(self.n_rot)
        sizes = torch.bincount(self.class_alphabet, minlength=len(self.data.alphabets))
        where = f"{self.data.name}" + (" with rotations" if self.rotations else "")
        if self.within_alphabet:
            biggest = int(sizes.max())
            check_int("n_way", n_way, 1, biggest,
                      f"Within-alphabet episodes of {where} can have at most {biggest} classes (the largest alphabet,"
                      f" {self.data.alphabets[int(sizes.argmax())]}); lower n_way or use within_alphabet=False.")
        else:
            check_int("n_way", n_way, 1, n_classes,
                      f"{where} has {n_classes} classes; lower n_way or use a bigger split/part.")
        check_int("k_shot", k_shot, 1, DRAWINGS - 1, f"Each class has {DRAWINGS} drawings, shared by support and query.")
        check_int("q_query", q_query, 1, DRAWINGS - k_shot,
                  f"k_shot + q_query must be <= {DRAWINGS} drawings per class (k_shot={k_shot}).")
        self.n_way, self.k_shot, self.q_query = n_way, k_shot, q_query
        self.n_classes = n_classes
        # class c is row c of the bank: character c // n_rot rotated by (c % n_rot) * 90° (built once, so
        # sampling is a single gather)
        images = self.data.images
        self.bank = (torch.stack([torch.rot90(images, r, dims=(-2, -1)) for r in range(4)], dim=1).flatten(0, 1)
                     if self.rotations else images).contiguous()
        # labels 0..N-1, class-major: 0,0,..,1,1,.. (K times each in the support, Q in the query)
        self._labels = (torch.arange(n_way).repeat_interleave(k_shot), torch.arange(n_way).repeat_interleave(q_query))
        self.eligible = (sizes >= n_way).nonzero().flatten()  # alphabets that can host a within-alphabet task
        self.class_sizes = sizes

    def sample_indices(self, g: torch.Generator, n_tasks: int):
        """``(classes [T, N], drawings [T, N, K+Q])``: which class (see ``class_alphabet``) and drawing each
        image of each task is. Drawings ``[..., :K]`` are the support, the rest the query."""
        check_int("n_tasks", n_tasks, 1, fix="Ask for at least one task.")
        scores = torch.rand(n_tasks, self.n_classes, generator=g)
        if self.within_alphabet:
            pick = torch.randint(len(self.eligible), (n_tasks,), generator=g)
            alphabet = self.eligible[pick]
            # classes outside the chosen alphabet sort after every class inside it
            scores = scores + (self.class_alphabet[None, :] != alphabet[:, None]).float() * 2
        classes = scores.topk(self.n_way, dim=1, largest=False).indices
        drawings = torch.rand(n_tasks, self.n_way, DRAWINGS, generator=g).argsort(dim=-1)[..., :self.k_shot + self.q_query]
        return classes, drawings

    def episodes(self, classes: torch.Tensor, drawings: torch.Tensor) -> Episode:
        """The episodes of given indices (see :meth:`sample_indices`)."""
        T, N, M = drawings.shape
        K, Q, S = self.k_shot, M - self.k_shot, self.bank.shape[-1]
        # one row per drawing: index_select on a [classes*20, S*S] view is a plain row copy (~40x faster
        # than advanced indexing on the 4-d bank)
        rows = classes[..., None] * DRAWINGS + drawings  # [T, N, K+Q]
        flat = self.bank.view(-1, S * S)

        def images(r):
            return to_float(flat.index_select(0, r.reshape(-1))).view(T, -1, 1, S, S)  # same pixels as the runs

        y_support, y_query = self._labels
        return Episode(images(rows[..., :K]), y_support.expand(T, -1).clone(),
                       images(rows[..., K:]), y_query.expand(T, -1).clone())

    def sample(self, generator: torch.Generator, n_tasks: int) -> Episode:
        """A meta-batch of ``n_tasks`` episodes."""
        return self.episodes(*self.sample_indices(generator, n_tasks))

    def __repr__(self) -> str:
        return (f"OmniglotTasks({self.data.name}, {self.n_way}-way {self.k_shot}-shot, q_query={self.q_query}, "
                f"within_alphabet={self.within_alphabet}, rotations={self.rotations}, {self.n_classes} classes)")


def omniglot_tasks(**task_args):
    """Task family ``"omniglot"``: ``sample(generator, n_tasks) -> Episode`` of :class:`OmniglotTasks`."""
    return OmniglotTasks(**task_args).sample
