"""Small networks, built from a JSON-able spec so checkpoints can rebuild them."""

from __future__ import annotations

from torch import nn

from ..core.checks import check_choice
from .mlp import MLP

_BUILDERS = {"mlp": MLP}


def register_model(name: str):
    """Decorator: make ``build_model({"name": name, ...})`` construct this class."""
    def deco(cls):
        _BUILDERS[name] = cls
        return cls
    return deco


def build_model(spec: dict) -> nn.Module:
    """Build a network from ``{"name": ..., **kwargs}``, e.g. ``{"name": "mlp", "sizes": [1, 40, 40, 1]}``."""
    spec = dict(spec)
    name = spec.pop("name", None)
    check_choice("model", name, sorted(_BUILDERS), "Pick one of the package's models.")
    return _BUILDERS[name](**spec)


__all__ = ["MLP", "build_model", "register_model"]

from . import conv4  # noqa: E402,F401  (registers "conv4")
from . import gan  # noqa: E402,F401  (registers the GAN generators and critics)
