"""An ensemble of trained metric learners, as one learner with a longer embedding.

The members are trained separately (their own recipes and seeds). The ensemble embeds an image with
every member and concatenates the embeddings,

    f(x) = [f_1(x); f_2(x); …; f_M(x)],

and scores a query with the first member's metric on that embedding. For prototypical networks with
the squared Euclidean distance the prototypes split the same way, c_k = [c_k^(1); …; c_k^(M)], so

    −‖f(x) − c_k‖² = Σ_m −‖f_m(x) − c_k^(m)‖²,

the ensemble's logits are the *sum* of the members' logits (checked in the tests): a product of the
members' class distributions, renormalised. Nothing is trained here; ``train`` with 0 steps writes the
ensemble's checkpoint, which *references* the members' committed checkpoints by recipe name instead of
repeating their weights. Test-time augmentation and the episode
BatchNorm work as for any metric learner (each member normalises its own features).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ...checkpoints import checkpoint_path
from ..base import Learner, load_learner
from .base import MetricLearner


def _member(spec) -> MetricLearner:
    """A member from a committed recipe name (its checkpoint) or a saved ``{"name", "config"}`` dict."""
    if isinstance(spec, str):
        return load_learner(checkpoint_path(spec))
    if isinstance(spec, dict) and {"name", "config"} <= set(spec):
        from ..table import get_learner_class  # the table imports this module

        return get_learner_class(spec["name"])(**spec["config"])
    raise ValueError(f"ensemble member {spec!r}: give a recipe name with a committed checkpoint "
                     "(e.g. 'protonet_runs_omniglot') or a {'name': ..., 'config': ...} dict.")


class Ensemble(MetricLearner):
    """Several metric learners of one kind, their embeddings concatenated (see the module docstring).

    Args:
        members: recipe names whose committed checkpoints are loaded (e.g.
            ``["protonet_runs_xl_omniglot", "protonet_runs60_omniglot"]``) — the ensemble's own checkpoint
            keeps only these names — or ``{"name", "config"}`` dicts, whose weights its checkpoint holds.

    Example:
        >>> ens = Ensemble(["protonet_runs_xl_omniglot", "protonet_runs60_omniglot"])   # doctest: +SKIP
    """

    name = "ensemble"

    def __init__(self, members: list):
        if not isinstance(members, (list, tuple)) or not members:
            raise ValueError(f"members={members!r}: give a list of at least one member (recipe names with "
                             "committed checkpoints).")
        Learner.__init__(self)
        self.members = nn.ModuleList(_member(m) for m in members)
        kinds = {(type(m), getattr(m, "distance", None)) for m in self.members}
        if len(kinds) != 1 or not isinstance(self.members[0], MetricLearner):
            raise ValueError(f"ensemble members {[m.name for m in self.members]} must be metric learners of one "
                             "kind with one distance: their concatenated embedding is scored by one metric.")
        # a member named by its recipe stays a name: the checkpoint references the member's committed file
        self.config = dict(members=[spec if isinstance(spec, str) else dict(name=m.name, config=m.config)
                                    for spec, m in zip(members, self.members)])

    def checkpoint(self) -> dict:
        """Name, config and the weights of the members *not* given by a recipe name (none for the recipes)."""
        own = tuple(f"members.{i}." for i, spec in enumerate(self.config["members"]) if not isinstance(spec, str))
        state = {k: v for k, v in self.state_dict().items() if k.startswith(own)} if own else {}
        return {"name": self.name, "config": self.config, "state_dict": state}

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Members referenced by name keep the weights of their committed checkpoints unless ``state_dict``
        holds theirs (an older ensemble file that repeated every member's weights)."""
        return super().load_state_dict({**self.state_dict(), **state_dict}, strict, assign)

    def meta_loss(self, episodes) -> Tensor:
        """The metric loss of the concatenated embedding — for members given as ``{"name", "config"}`` dicts only.

        A member named by its recipe keeps its committed weights (the checkpoint stores only its name), so
        training it would be lost at the first save: refused.
        """
        named = [spec for spec in self.config["members"] if isinstance(spec, str)]
        if named:
            raise ValueError(f"ensemble members {named} are committed checkpoints referenced by recipe name: an "
                             "ensemble of them is not trained (train with 0 steps, which writes the ensemble). Train "
                             "those recipes instead, or give the members as {'name', 'config'} dicts.")
        return super().meta_loss(episodes)

    def embed(self, x: Tensor) -> Tensor:
        """``[n, C, H, W]`` → ``[n, Σ_m d_m]``: the members' embeddings side by side."""
        return torch.cat([m.embed(x) for m in self.members], dim=-1)

    def logits(self, z_support, y_support, z_query, n_way):
        return self.members[0].logits(z_support, y_support, z_query, n_way)
