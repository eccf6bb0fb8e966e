"""The α widget of the derivations lesson: how wrong is each approximation of MAML's meta-gradient, as a
function of the inner step size α?

On a small smooth network (tanh MLP 1-16-16-1, float64) and four sine tasks, :func:`alpha_frame` computes
at the chosen α the true one-step meta-gradient and the relative error of first-order MAML (drops the
Hessian term), of the source article's "∇L(θ) − α∇∇L(θ)" and of the correct first-order expansion
g_q − α∇(g_q·g_s) (:func:`meta_course.lessons.derivations.compare_meta_gradients`), beside the same errors
on a grid of α (computed once). :class:`AlphaFigure` draws both; :func:`alpha_explorer` wires an α slider.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from ..core.checks import check_range

#: the α range of the slider and of the precomputed curves
ALPHA_RANGE = (1e-4, 3e-1)
METHODS = ("first_order", "article", "expansion")
LABELS = {"first_order": "first-order MAML (no Hessian)", "article": "the article's ∇L(θ) − α∇∇L(θ)",
          "expansion": "expansion g_q − α∇(g_q·g_s)"}
COLORS = {"first_order": "tab:blue", "article": "tab:red", "expansion": "tab:green"}


@functools.lru_cache(maxsize=1)
def alpha_problem(seed: int = 0):
    """``(net, θ, episodes)``: the tanh MLP 1-16-16-1 in float64 and four sine tasks (K = 10, 10 queries)."""
    from ..models.mlp import tanh_mlp
    from ..tasks.sine import SineTasks

    torch.manual_seed(seed)
    net = tanh_mlp((1, 16, 16, 1))
    theta = {k: v.detach() for k, v in net.named_parameters()}
    eps = SineTasks().sample(torch.Generator().manual_seed(seed + 2), 4, k_shot=10, n_query=10)
    return net, theta, type(eps)(*(t.double() for t in eps))


@functools.lru_cache(maxsize=1)
def alpha_curves(n: int = 13) -> tuple[list[float], dict]:
    """The relative errors of :data:`METHODS` on a log grid of ``n`` values of α (computed once)."""
    from ..core.metagrad import formula_errors

    lo, hi = ALPHA_RANGE
    alphas = torch.logspace(torch.log10(torch.tensor(lo)), torch.log10(torch.tensor(hi)), n).tolist()
    net, theta, eps = alpha_problem()
    errors = formula_errors(net, theta, eps, torch.nn.functional.mse_loss, alphas)
    return alphas, {m: errors[m] for m in METHODS}


@dataclass
class AlphaFrame:
    """Everything one frame shows."""

    alpha: float
    errors: dict            # method -> relative error at alpha
    norm: float             # ‖true meta-gradient‖
    grid: list              # the α grid of the curves
    curves: dict            # method -> relative errors on the grid


def alpha_frame(alpha: float) -> AlphaFrame:
    """The relative error of each approximation at ``alpha``, with the precomputed curves.

    Example:
        >>> frame = alpha_frame(0.01)
        >>> frame.errors["expansion"] < frame.errors["first_order"]
        True
    """
    from ..core.metagrad import compare_meta_gradients

    check_range("alpha", alpha, *ALPHA_RANGE, "Move the slider within the plotted range of inner step sizes.")
    net, theta, eps = alpha_problem()
    res = compare_meta_gradients(net, theta, eps, torch.nn.functional.mse_loss, float(alpha))
    grid, curves = alpha_curves()
    return AlphaFrame(float(alpha), {m: res[m] for m in METHODS}, res["norm"], grid, curves)


class AlphaFigure:
    """Left: relative error vs α for each approximation (log-log), a marker at the chosen α. Right: the
    three errors at the chosen α as bars."""

    def __init__(self, dpi: int = 72, figsize=(9, 3.2)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.left, self.right = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        grid, curves = alpha_curves()
        for m in METHODS:
            self.left.plot(grid, curves[m], "-", color=COLORS[m], label=LABELS[m])
        self.marks = {m: self.left.plot([], [], "o", color=COLORS[m], ms=7)[0] for m in METHODS}
        self.vline = self.left.axvline(grid[0], color="gray", ls=":")
        self.left.set(xscale="log", yscale="log", xlabel="inner step size α", ylabel="relative error")
        self.left.legend(fontsize=7, loc="upper left")
        self.bars = self.right.bar(range(len(METHODS)), [1.0] * len(METHODS), color=[COLORS[m] for m in METHODS])
        self.right.set_xticks(range(len(METHODS)), ["first order", "article", "expansion"], fontsize=8)
        self.right.set(yscale="log", ylim=(1e-7, 10), ylabel="relative error at α")
        self.fig.tight_layout()

    def update(self, frame: AlphaFrame) -> "AlphaFigure":
        for m in METHODS:
            self.marks[m].set_data([frame.alpha], [frame.errors[m]])
        self.vline.set_xdata([frame.alpha, frame.alpha])
        for bar, m in zip(self.bars, METHODS):
            bar.set_height(max(frame.errors[m], 1e-7))
        self.right.set_title(f"α = {frame.alpha:.3g}", fontsize=9)
        return self

    def png(self) -> bytes:
        from . import figure_png

        return figure_png(self.fig)


def plot_alpha(frame: AlphaFrame, dpi: int = 72) -> AlphaFigure:
    """An :class:`AlphaFigure` showing ``frame`` (``.fig`` is the matplotlib figure)."""
    return AlphaFigure(dpi=dpi).update(frame)


def alpha_explorer(alpha: float = 0.01):
    """A log slider for α; every move calls :func:`alpha_frame` and redraws. Returns the box; display it."""
    import math

    import ipywidgets as w

    lo, hi = ALPHA_RANGE
    slider = w.FloatLogSlider(value=alpha, base=10, min=math.log10(lo), max=math.log10(hi), step=0.125,
                              description="inner lr α", readout_format=".3g")
    image = w.Image(format="png")
    figure = AlphaFigure()

    def redraw(*_):
        image.value = figure.update(alpha_frame(slider.value)).png()

    slider.observe(redraw, names="value")
    redraw()
    return w.VBox([slider, image])
