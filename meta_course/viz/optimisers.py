"""Loss curves of learned vs hand-designed optimisers (lesson 05, Andrychowicz et al. 2016, Figure 4 style).

:func:`summarise_curves` is the plain-Python part (tested): mean and 95% band of f(θ_t) over held-out
problems; :func:`plot_loss_curves` draws it.
"""

from __future__ import annotations

import math

import torch

COLORS = {"learned": "tab:red", "sgd": "tab:blue", "adam": "tab:green"}
LABELS = {"learned": "learned LSTM optimiser", "sgd": "SGD", "adam": "Adam"}


def summarise_curves(curves: dict[str, torch.Tensor]) -> dict[str, dict[str, torch.Tensor]]:
    """``{method: [problems, steps+1]}`` → ``{method: {"mean", "low", "high"}}`` (mean ± 1.96·s/√n per step).

    Example:
        >>> s = summarise_curves({"sgd": torch.tensor([[2.0, 1.0], [4.0, 3.0]])})
        >>> s["sgd"]["mean"].tolist()
        [3.0, 2.0]
    """
    out = {}
    for name, c in curves.items():
        if c.dim() != 2:
            raise ValueError(f"curves[{name!r}] has shape {tuple(c.shape)}: expected [problems, steps + 1].")
        c = c.double()
        mean = c.mean(0)
        half = 1.96 * c.std(0, unbiased=True) / math.sqrt(c.shape[0]) if c.shape[0] > 1 else torch.zeros_like(mean)
        out[name] = {"mean": mean, "low": mean - half, "high": mean + half}
    return out


def plot_loss_curves(curves: dict[str, torch.Tensor], ax=None, title: str = "", ylabel: str = "loss",
                     log: bool = True):
    """Mean loss per step with its 95% band, one line per optimiser. Returns the axes."""
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.subplots(figsize=(5, 3.4))[1]
    for name, s in summarise_curves(curves).items():
        steps = range(len(s["mean"]))
        ax.plot(steps, s["mean"], color=COLORS.get(name), label=LABELS.get(name, name))
        ax.fill_between(steps, s["low"].clamp_min(1e-12), s["high"], color=COLORS.get(name), alpha=0.2)
    ax.set(xlabel="optimisation step t", ylabel=ylabel, title=title)
    if log:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax
