"""Small networks, built from a JSON-able spec so checkpoints can rebuild them.

:data:`MODELS` is the one table of model names; a spec ``{"name": NAME, **kwargs}`` builds
``MODELS[NAME](**kwargs)``. To add a model: write its module here and add one line to the table.
"""

from __future__ import annotations

from torch import nn

from ..core.checks import check_choice
from .conv4 import Conv4
from .gan import ConvCritic, ConvGenerator, MLPCritic, MLPGenerator
from .linear import Linear
from .mlp import MLP
from .policies import RecurrentPolicy

MODELS: dict[str, type[nn.Module]] = {
    "mlp": MLP,
    "conv4": Conv4,
    "linear": Linear,
    # reinforcement learning
    "recurrent_policy": RecurrentPolicy,
    # GANs
    "gan_mlp_generator": MLPGenerator,
    "gan_mlp_critic": MLPCritic,
    "gan_conv_generator": ConvGenerator,
    "gan_conv_critic": ConvCritic,
}


def build_model(spec: dict) -> nn.Module:
    """Build a network from ``{"name": ..., **kwargs}``, e.g. ``{"name": "mlp", "sizes": [1, 40, 40, 1]}``."""
    spec = dict(spec)
    name = spec.pop("name", None)
    check_choice("model", name, sorted(MODELS), "Pick one of the package's models (meta_course.models.MODELS).")
    return MODELS[name](**spec)


__all__ = ["MLP", "MODELS", "Conv4", "Linear", "RecurrentPolicy", "build_model"]
