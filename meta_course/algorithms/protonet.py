"""Prototypical networks (Snell, Swersky & Zemel 2017).

Prototype of class k (Eq. 1): the mean embedding of its support examples,
    c_k = (1/|S_k|) Σ_{(x_i, y_i) ∈ S_k} f_φ(x_i)
Class probabilities of a query x (Eq. 2): a softmax over negative distances,
    p_φ(y = k | x) = exp(−d(f_φ(x), c_k)) / Σ_k' exp(−d(f_φ(x), c_k'))
with the squared Euclidean distance d(z, z') = ‖z − z'‖². Training minimises −log p_φ(y = k | x)
over the queries of random episodes (Algorithm 1), optionally with more ways than at test time
(the paper trains 60-way for 5- and 20-way tests, Section 3.1).

Linear-classifier view (Section 2.4): −‖z − c_k‖² = −‖z‖² + 2 c_kᵀz − ‖c_k‖². The first term is
the same for every class, so the softmax equals that of a linear classifier with
    w_k = 2 c_k,   b_k = −‖c_k‖²                                   (:func:`linear_classifier`)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core.checks import check_choice, check_int
from ..recipes import register_recipe
from ..tasks.lake_runs import register_learner_method
from ._metric import CONV4, MetricLearner, omniglot_recipe
from .base import register_learner

DISTANCES = ("euclidean", "cosine")


def prototypes(z_support: Tensor, y_support: Tensor, n_way: int) -> Tensor:
    """c_k = mean of the support embeddings of class k (Eq. 1): ``[S, d]`` → ``[n_way, d]``.

    Example:
        >>> prototypes(torch.tensor([[0., 0.], [2., 2.], [5., 1.]]), torch.tensor([0, 0, 1]), 2)
        tensor([[1., 1.],
                [5., 1.]])
    """
    one_hot = nn.functional.one_hot(y_support, n_way).to(z_support.dtype)   # [S, N]
    return one_hot.T @ z_support / one_hot.sum(0).clamp_min(1).unsqueeze(1)


def squared_euclidean(a: Tensor, b: Tensor) -> Tensor:
    """‖a_i − b_j‖² for every pair: ``[Q, d]``, ``[N, d]`` → ``[Q, N]``."""
    return (a.unsqueeze(-2) - b.unsqueeze(-3)).pow(2).sum(-1)


def cosine_similarity(a: Tensor, b: Tensor, eps: float = 1e-8) -> Tensor:
    """cos(a_i, b_j) for every pair: ``[Q, d]``, ``[N, d]`` → ``[Q, N]`` in [−1, 1]."""
    a = a / a.norm(dim=-1, keepdim=True).clamp_min(eps)
    b = b / b.norm(dim=-1, keepdim=True).clamp_min(eps)
    return a @ b.transpose(-1, -2)


def protonet_logits(z_query: Tensor, protos: Tensor, distance: str = "euclidean", scale: float = 1.0) -> Tensor:
    """Eq. 2's logits: −d(f(x), c_k), or ``scale``·cos(f(x), c_k) for the cosine variant."""
    if distance == "euclidean":
        return -squared_euclidean(z_query, protos)
    return scale * cosine_similarity(z_query, protos)


def linear_classifier(protos: Tensor) -> tuple[Tensor, Tensor]:
    """(W, b) with w_k = 2 c_k and b_k = −‖c_k‖² (Section 2.4): ``z @ W.T + b`` ≡ Eq. 2's logits + const."""
    return 2 * protos, -protos.pow(2).sum(-1)


@register_learner("protonet")
class ProtoNet(MetricLearner):
    """Prototypical network.

    Args:
        model: embedding network spec, e.g. ``{"name": "conv4", "out_features": None}``.
        distance: ``"euclidean"`` (squared, the paper's choice) or ``"cosine"`` (Section 2.7 compares them).
        scale: multiplies the cosine similarity (a softmax over raw cosines in [−1, 1] is too flat).
        halve_lr_every: halve Adam's step size every this many episodes (the paper's schedule, every
            2 000 episodes, Section 3.1); 0 keeps it constant.

    References:
        Snell, Swersky & Zemel (2017), "Prototypical Networks for Few-shot Learning", NeurIPS —
        Eq. (1), (2), Algorithm 1, Section 2.4 (linear model), Section 3.1 (Omniglot, 60-way training).

    Example:
        >>> net = ProtoNet({"name": "conv4", "out_features": None})    # doctest: +SKIP
    """

    def __init__(self, model: dict, distance: str = "euclidean", scale: float = 10.0, halve_lr_every: int = 0):
        check_choice("distance", distance, DISTANCES, "ProtoNet compares embeddings with one of these.")
        check_int("halve_lr_every", halve_lr_every, 0, fix="Episodes between halvings of the step size "
                  "(the paper: 2000); 0 keeps it constant.")
        super().__init__(model)
        self.config = dict(model=model, distance=distance, scale=scale)
        if halve_lr_every:  # only when set: the checkpoints of constant-step recipes keep their config
            self.config["halve_lr_every"] = halve_lr_every
        self.distance, self.scale, self.halve_lr_every = distance, scale, halve_lr_every

    def outer_lr_factor(self, step: int, steps: int) -> float:
        """0.5 ** (step // halve_lr_every): Snell et al.'s step-size schedule (1 when switched off)."""
        return 0.5 ** (step // self.halve_lr_every) if self.halve_lr_every else 1.0

    def logits(self, z_support, y_support, z_query, n_way, distance: str | None = None):
        return protonet_logits(z_query, prototypes(z_support, y_support, n_way), distance or self.distance, self.scale)


# Snell et al. train 60-way on 1200×4 classes; minimal's 200 train+val characters ×4 rotations allow it,
# but 30 ways keep a step near 0.5 s here.
register_recipe("protonet_omniglot", omniglot_recipe("protonet", dict(model=CONV4), steps=800,
                                                     note="Conv-4 ProtoNet, 30-way 1-shot, rotations"))
# The same run continued (identical settings and seed, so `train protonet_long_omniglot` retraces
# protonet_omniglot's first 800 steps exactly), for as long as the CPU budget allowed.
register_recipe("protonet_long_omniglot", omniglot_recipe("protonet", dict(model=CONV4), steps=1400,
                                                          note="protonet_omniglot trained longer"))
register_recipe("protonet_xl_omniglot", omniglot_recipe("protonet", dict(model=CONV4), steps=2600,
                                                        note="protonet_long_omniglot trained longer still"))
# For Lake's runs only (they use the evaluation alphabets, none of which is in `minimal`): every `minimal`
# alphabet, Sanskrit included (so no held-out alphabet columns), small affine distortions, and Snell et
# al.'s halving of the step size — 8 000 episodes, 46 min on one CPU thread.
register_recipe("protonet_runs_omniglot", omniglot_recipe(
    "protonet", dict(model=CONV4, halve_lr_every=2500), steps=8000, part="all", affine_strength=0.5,
    note="all of minimal (runs only), affine 0.5, step size halved every 2 500"))
register_recipe("protonet_runs_xl_omniglot", omniglot_recipe(
    "protonet", dict(model=CONV4, halve_lr_every=2500), steps=12000, part="all", affine_strength=0.5,
    note="protonet_runs_omniglot continued to 12 000 episodes (the same run)"))
# Two more runs-only models with their own seeds, for the ensemble below: Snell et al.'s 60-way
# training (2 queries per class keep a step at 180 images), and Koch et al.'s full distortion strength.
register_recipe("protonet_runs60_omniglot", omniglot_recipe(
    "protonet", dict(model=CONV4, halve_lr_every=2500), steps=8000, n_way=60, q_query=2, part="all",
    affine_strength=0.5, seed=1, note="all of minimal (runs only), 60-way 1-shot, affine 0.5, seed 1"))
register_recipe("protonet_runs_affine1_omniglot", omniglot_recipe(
    "protonet", dict(model=CONV4, halve_lr_every=2500), steps=8000, part="all", affine_strength=1.0, seed=2,
    note="all of minimal (runs only), 30-way 1-shot, affine 1.0 (Koch's ranges), seed 2"))
# Their ensemble (`algorithms/ensemble.py`: embeddings concatenated, logits summed), each member at its
# final step. Fixed before any member was scored; `train` with 0 steps writes it from the members'
# committed checkpoints.
RUNS_ENSEMBLE = ("protonet_runs_xl_omniglot", "protonet_runs60_omniglot", "protonet_runs_affine1_omniglot")
register_recipe("protonet_runs_ensemble_omniglot", omniglot_recipe(
    "ensemble", dict(members=list(RUNS_ENSEMBLE)), steps=0, part="all",
    note="the three runs-only ProtoNets as one (concatenated embeddings); 0 steps: writes the ensemble"))
# Lake et al. (2019)'s one-set settings: train on one five-alphabet minimal set, score on the runs.
register_recipe("protonet_minimal1_omniglot", omniglot_recipe("protonet", dict(model=CONV4), steps=300,
                                                              split="minimal1", part="all",
                                                              note="one set: images_background_small1"))
register_recipe("protonet_minimal2_omniglot", omniglot_recipe("protonet", dict(model=CONV4), steps=300,
                                                              split="minimal2", part="all",
                                                              note="one set: images_background_small2"))

# Lake's runs (`python -m meta_course runs --method protonet`): the ensemble of the three runs-only
# ProtoNets (this rule was fixed before its members were scored), 8 extra test-time views per image (TTA);
# "-plain" without them; "-single" the longest-trained single network; "-heldout" the best checkpoint that
# never saw Sanskrit (the one lesson 06 evaluates).
register_learner_method("protonet", recipe="protonet_runs_ensemble_omniglot",
                        help="ensemble of 3 ProtoNets on all of minimal, TTA 8", tta=8)
register_learner_method("protonet-plain", recipe="protonet_runs_ensemble_omniglot",
                        help="ensemble of 3 ProtoNets on all of minimal, no TTA")
register_learner_method("protonet-single", recipe="protonet_runs_xl_omniglot",
                        help="ProtoNet (12 000 episodes) on all of minimal, TTA 8", tta=8)
register_learner_method("protonet-heldout", recipe="protonet_xl_omniglot",
                        help="ProtoNet (2 600 episodes) on minimal without Sanskrit, TTA 8", tta=8)
