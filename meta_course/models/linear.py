"""A linear layer built from a spec (the learned optimiser's quadratic optimisee)."""

from __future__ import annotations

from torch import nn


class Linear(nn.Linear):
    """``nn.Linear`` built from a spec: ``{"name": "linear", "in_features": 10, "out_features": 1, "bias": False}``."""
