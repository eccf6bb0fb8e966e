"""What the metric-based learners share: an embedding network, episode batching, the adapt interface.

A metric-based learner does not change its weights for a new task: ``adapt`` only embeds the
support set, and a query is classified by comparing its embedding with the support embeddings
(prototypes for ProtoNet, attention for Matching networks, a learned L1 similarity for Siamese
networks). Each subclass implements one function,

    ``logits(z_support, y_support, z_query, n_way) -> [Q, n_way]``

from embeddings to class scores; everything else (meta-loss, adapt, predict, test-time augmentation)
is here.

BatchNorm. The course's Conv-4 normalises with the statistics of the batch it is given and keeps no
running averages. The support set and the queries of one episode are therefore embedded *as one
batch*, in training and at test time alike — the statistics are those of the episode (transductive,
like MAML's reference code on Omniglot). A query's prediction depends a little on the other queries
of its episode; lesson 06 says so.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ...core.checks import check_int
from ...core.heads import infer_n_way
from ...models import build_model
from ...tasks.omniglot.augment import tta_views
from ..base import Learner


class EpisodePredictor:
    """``adapt``'s result: holds the support set; ``predictor(x_query)`` returns ``[Q, n_way]`` scores.

    ``support_embeddings`` and ``query_embeddings`` hold the embeddings of the last call (what the
    widget plots).
    """

    def __init__(self, learner: "MetricLearner", x_support: Tensor, y_support: Tensor, tta: int = 0,
                 n_way: int | None = None):
        self.learner, self.x_support, self.y_support, self.tta = learner, x_support, y_support, tta
        self.n_way = n_way if n_way is not None else infer_n_way(y_support)
        self.support_embeddings = self.query_embeddings = None

    @property
    def info(self) -> dict:
        """What a widget shows: the support and query embeddings of the last call, and N."""
        return {"support_embeddings": self.support_embeddings, "query_embeddings": self.query_embeddings,
                "n_way": self.n_way}

    def __call__(self, x_query: Tensor) -> Tensor:
        zs, zq = self.learner.embed_episode(self.x_support, x_query, tta=self.tta)
        self.support_embeddings, self.query_embeddings = zs, zq
        return self.learner.logits(zs, self.y_support, zq, self.n_way)


class MetricLearner(Learner):
    """Base class of ProtoNet, Matching and Siamese networks (see the module docstring).

    Args:
        model: embedding network spec for :func:`meta_course.models.build_model`, e.g.
            ``{"name": "conv4", "out_features": None}`` (a 64-d embedding of a 28×28 image).
    """

    metric = "accuracy"
    distributed = True  # the meta-loss is a mean of per-episode losses, each episode its own BatchNorm batch

    def __init__(self, model: dict):
        super().__init__()
        self.net = build_model(model)

    # -- embeddings ---------------------------------------------------------------------------
    def embed(self, x: Tensor) -> Tensor:
        """``[n, C, H, W]`` images → ``[n, d]`` embeddings (one BatchNorm batch)."""
        return self.net(x).flatten(1)

    def embed_episode(self, x_support: Tensor, x_query: Tensor, tta: int = 0) -> tuple[Tensor, Tensor]:
        """Embed support and queries as one batch; with ``tta > 0`` average over ``tta`` extra views.

        Test-time augmentation: every image is also embedded under ``tta`` fixed small affine
        distortions (:func:`meta_course.tasks.omniglot.augment.tta_views`) and its embedding is the mean over
        the views — a cheap ensemble that smooths the embedding over the distortions the network was
        trained to ignore.
        """
        check_int("tta", tta, 0, 64, "Number of extra augmented views per image at test time; 0 switches TTA off.")
        n_s = x_support.shape[0]
        x = torch.cat([x_support, x_query])
        if tta:
            views = tta_views(x, tta)                        # [V, n, C, H, W], view 0 = identity
            z = self.embed(views.flatten(0, 1)).unflatten(0, views.shape[:2]).mean(0)
        else:
            z = self.embed(x)
        return z[:n_s], z[n_s:]

    # -- the one function a subclass writes --------------------------------------------------------
    def logits(self, z_support: Tensor, y_support: Tensor, z_query: Tensor, n_way: int) -> Tensor:
        raise NotImplementedError

    def episode_loss(self, x_support: Tensor, y_support: Tensor, x_query: Tensor, y_query: Tensor) -> Tensor:
        """Cross-entropy of the query predictions of one episode (overridden by Siamese networks)."""
        zs, zq = self.embed_episode(x_support, x_query)
        return nn.functional.cross_entropy(self.logits(zs, y_support, zq, infer_n_way(y_support)), y_query)

    # -- the Learner interface ---------------------------------------------------------------------
    def meta_loss(self, episodes) -> Tensor:
        """Mean episode loss over a batch of episodes (each its own BatchNorm batch)."""
        losses = [self.episode_loss(*episodes.task(i)) for i in range(episodes.n_tasks)]
        return torch.stack(losses).mean()

    def adapt(self, x_support: Tensor, y_support: Tensor, tta: int = 0, n_way: int | None = None) -> EpisodePredictor:
        """adapt = remember (embed) the support set; no weight changes.

        Args:
            tta: extra test-time-augmented views per image (0 = off).
            n_way: number of classes (default: ``max(y_support) + 1``).
        """
        return EpisodePredictor(self, x_support, y_support, tta=tta, n_way=n_way)

    def predict(self, episodes, **knobs) -> Tensor:
        """Query scores ``[T, Q, n_way]``; a loop over tasks (each episode is one BatchNorm batch)."""
        return torch.stack([self.adapt(xs, ys, **knobs)(xq)
                            for xs, ys, xq in zip(episodes.x_support, episodes.y_support, episodes.x_query)])
