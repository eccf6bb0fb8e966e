"""Small affine distortions of character images (Koch et al. 2015, Section 3.3).

Training: :func:`random_affine` distorts every image independently (rotation, shear, scale,
translation), drawn from the task generator so that training stays reproducible and resumable.
The task family ``"omniglot_affine"`` (:func:`omniglot_affine`) wraps the ``"omniglot"`` sampler with it.

Test time: :func:`tta_views` returns the image plus ``n`` *fixed* distortions of it; a metric
learner averages the embeddings over these views (test-time augmentation).

Ranges (``strength=1``): rotation ±10°, shear ±0.3, scale 0.8–1.2 and translation ±2 px at
105 px (Koch's values), i.e. ±2/105 of the image side at any resolution.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F

from ...core.checks import check_int, check_range
from ..episode import Episode
from .episodes import OmniglotTasks
from .splits import PARTS, load_split, omniglot_split

ROTATION_DEG, SHEAR, SCALE, TRANSLATE = 10.0, 0.3, 0.2, 2.0 / 105


def affine_params(generator: torch.Generator, n: int, strength: float = 1.0) -> Tensor:
    """``n`` random 2×3 affine matrices (``[n, 2, 3]``) in the normalised coordinates of ``affine_grid``."""
    u = torch.rand(n, 5, generator=generator) * 2 - 1                 # U[-1, 1]
    rot = u[:, 0] * math.radians(ROTATION_DEG) * strength
    shear = u[:, 1] * SHEAR * strength
    scale = 1 + u[:, 2] * SCALE * strength
    shift = u[:, 3:] * TRANSLATE * 2 * strength                     # normalised coords span 2
    cos, sin = torch.cos(rot), torch.sin(rot)
    # rotation · shear · scale (inverse map: output pixel → input location)
    a = torch.stack([torch.stack([cos, -sin + cos * shear], -1), torch.stack([sin, cos + sin * shear], -1)], -2)
    a = a / scale.view(-1, 1, 1)
    return torch.cat([a, shift.unsqueeze(-1)], dim=-1)


def warp(x: Tensor, theta: Tensor) -> Tensor:
    """Apply one affine matrix per image: ``x [n, C, H, W]``, ``theta [n, 2, 3]`` (background 0 = no ink)."""
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_affine(x: Tensor, generator: torch.Generator, strength: float = 1.0) -> Tensor:
    """Distort each image of ``x [..., C, H, W]`` with its own random small affine map.

    Example:
        >>> x = torch.zeros(4, 1, 28, 28); x[:, :, 10:18, 12:16] = 1
        >>> y = random_affine(x, torch.Generator().manual_seed(0))
        >>> y.shape == x.shape and not torch.equal(x, y)
        True
    """
    check_range("strength", strength, 0.0, 3.0, "1 = Koch et al.'s ranges; 0 switches the distortion off.")
    flat = x.reshape(-1, *x.shape[-3:])
    theta = affine_params(generator, flat.shape[0], strength)
    return warp(flat, theta).reshape(x.shape)


_TTA_SEED = 20150706


def tta_views(x: Tensor, n: int, strength: float = 0.5) -> Tensor:
    """``[1 + n, *x.shape]``: ``x`` itself, then ``n`` fixed distortions (the same for every image and call)."""
    check_int("n", n, 0, 64, "Number of extra test-time views; 0 returns only the image itself.")
    theta = affine_params(torch.Generator().manual_seed(_TTA_SEED), n, strength)
    views = [x] + [warp(x, t.expand(x.shape[0], 2, 3)) for t in theta]
    return torch.stack(views)


class AffineTasks:
    """A task sampler whose images are randomly distorted: ``sample(generator, n_tasks) -> Episode``."""

    def __init__(self, sample, strength: float = 1.0):
        check_range("affine_strength", strength, 0.0, 3.0, "1 = Koch et al.'s ranges.")
        self.base, self.strength = sample, strength

    def __call__(self, generator: torch.Generator, n_tasks: int) -> Episode:
        ep = self.base(generator, n_tasks)
        return Episode(random_affine(ep.x_support, generator, self.strength), ep.y_support,
                       random_affine(ep.x_query, generator, self.strength), ep.y_query)


def omniglot_affine(affine_strength: float = 1.0, part: str = "train", **omniglot_args):
    """The ``"omniglot"`` task family (same arguments) with random affine distortions of every image.

    Args:
        affine_strength: 1 = Koch et al.'s ranges; 0 = no distortion (plain ``"omniglot"`` episodes).
        part: as :class:`~meta_course.tasks.omniglot.OmniglotTasks`, plus ``"train+val"``: every
            alphabet of the split except its test alphabets (no validation set is kept).
    """
    if part == "train+val" and PARTS.get(omniglot_args.get("split", "minimal"), {}).get("by") != "character":
        split_name = omniglot_args.pop("split", "minimal")
        full = load_split(split_name, omniglot_args.get("root"), omniglot_args.get("size", 28))
        test = set(omniglot_split(split_name, "test", omniglot_args.get("root"), omniglot_args.get("size", 28)).alphabets)
        keep = torch.tensor([full.alphabets[a] not in test for a in full.alphabet_of.tolist()])
        sample = OmniglotTasks(data=full.select(keep, f"{split_name}:train+val"), **omniglot_args).sample
    else:
        sample = OmniglotTasks(part=part, **omniglot_args).sample
    return AffineTasks(sample, affine_strength) if affine_strength > 0 else sample
