"""The sine-wave adaptation explorer of lesson 01.

:func:`sine_adaptation` is the plain-Python update (tested directly): given a task and the slider
values it adapts each learner and returns every curve and error. :func:`plot_sine_adaptation`
draws that result; :func:`sine_explorer` wires both to ipywidgets sliders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..core.checks import check_int, check_positive, check_range
from ..core.device import module_device
from ..tasks.sine import SineTasks

COLORS = {"true": "black", "support": "tab:red", "before": "tab:gray", "maml": "tab:green", "fomaml": "tab:blue",
          "pretrained": "tab:orange"}


@dataclass
class SineAdaptation:
    """Everything one widget frame shows."""

    x: torch.Tensor
    y_true: torch.Tensor
    x_support: torch.Tensor
    y_support: torch.Tensor
    before: dict[str, torch.Tensor]      # learner → prediction before adaptation
    after: dict[str, torch.Tensor]       # learner → prediction after ``inner_steps`` steps
    mse_by_step: dict[str, list[float]]  # learner → MSE on the dense grid after 0..inner_steps steps


def learner_inner_lrs(learners: dict, inner_lr: float | dict | None = None) -> dict:
    """One step size per learner: ``inner_lr`` for all (a float), a ``{name: α}`` dict, or (``None``) each
    learner's own — the α of its recipe (MAML 1e-3, the pretrained baseline its tuned 0.01, ...).

    Raises:
        ValueError: a step size that is not positive, or a dict missing a learner.
    """
    if inner_lr is None:
        lrs = {n: float(learner.inner_lr) for n, learner in learners.items()}
    elif isinstance(inner_lr, dict):
        missing = sorted(set(learners) - set(inner_lr))
        if missing:
            raise ValueError(f"inner_lr has no step size for {missing}: give one per learner {sorted(learners)}.")
        lrs = {n: inner_lr[n] for n in learners}
    else:
        lrs = {n: inner_lr for n in learners}
    for n, lr in lrs.items():
        check_positive("inner_lr" if not isinstance(inner_lr, dict) else f"inner_lr[{n!r}]", lr,
                       "A typical inner step size is 1e-3 to 0.05.")
    return lrs


def sine_adaptation(learners: dict, amplitude: float, phase: float, k_shot: int = 5, inner_steps: int = 10,
                    inner_lr: float | dict | None = None, seed: int = 0, tasks: SineTasks = SineTasks(),
                    n_grid: int = 200) -> SineAdaptation:
    """Adapt each learner to the task y = A·sin(x − φ) from ``k_shot`` random support points.

    Args:
        learners: ``{"maml": learner, "pretrained": learner, ...}``; each has ``adapt(xs, ys,
            inner_steps=, inner_lr=)`` returning a predictor with a ``trajectory`` of fast params.
        amplitude, phase: the task (must lie in ``tasks``' ranges).
        k_shot: support points, drawn uniformly from ``tasks.x_range`` with ``seed``.
        inner_steps: the number of adaptation steps (one slider for all learners).
        inner_lr: the step size — one per learner (a dict, or ``None`` for each learner's own, the α of its
            recipe), or one float for all (then the pretrained baseline runs at MAML's α, not its own).

    Example:
        >>> from meta_course.learners import load_learner
        >>> from meta_course.checkpoints import checkpoint_path
        >>> res = sine_adaptation({"maml": load_learner(checkpoint_path("maml_sine"))}, 2.0, 1.0, inner_steps=5)
        >>> len(res.mse_by_step["maml"])
        6
    """
    check_range("amplitude", amplitude, *tasks.amplitude, "Move the slider inside the task family.")
    check_range("phase", phase, *tasks.phase, "Move the slider inside the task family.")
    check_int("k_shot", k_shot, 1, 1000, "K is the number of support points; try 5 or 10.")
    check_int("inner_steps", inner_steps, 0, 1000, "Use 0 (no adaptation) to 100.")
    lrs = learner_inner_lrs(learners, inner_lr)
    g = torch.Generator().manual_seed(int(seed))
    x_support = tasks.sample_x(g, 1, k_shot)[0]
    x = torch.linspace(*tasks.x_range, n_grid).unsqueeze(1)
    f = lambda t: SineTasks.function(t, amplitude, phase)  # noqa: E731
    y_support, y_true = f(x_support), f(x)
    before, after, mse = {}, {}, {}
    with torch.no_grad():  # torch.func.grad inside adapt still differentiates
        for name, learner in learners.items():
            dev = module_device(learner)  # adapt where the learner lives (a GPU on Colab), plot on the CPU
            predictor = learner.adapt(x_support.to(dev), y_support.to(dev), inner_steps=inner_steps, inner_lr=lrs[name])
            x_dev = x.to(dev)
            preds = [at_step(x_dev).cpu() for at_step in predictor.info["path"]]
            before[name], after[name] = preds[0], preds[-1]
            mse[name] = [((p - y_true) ** 2).mean().item() for p in preds]
    return SineAdaptation(x, y_true, x_support, y_support, before, after, mse)


class SineFigure:
    """The widget's figure, built once; :meth:`update` only moves data (≈2x faster than redrawing).

    Left: true curve, support points, predictions before/after. Right: MSE vs inner steps.
    """

    def __init__(self, names, dpi: int = 72, figsize=(10, 3.6)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure  # not pyplot: the notebook shows it only when asked
        from matplotlib.ticker import LogLocator, NullLocator, StrMethodFormatter

        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        left, right = self.axes = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        self.true, = left.plot([], [], color=COLORS["true"], lw=2, label="true task")
        self.before, = left.plot([], [], "--", color=COLORS["before"], label=f"{names[0]} before adaptation")
        self.after = {n: left.plot([], [], color=COLORS.get(n), label=f"{n} after adaptation")[0] for n in names}
        self.support, = left.plot([], [], "o", color=COLORS["support"], zorder=5, label="support points")
        self.curves = {n: right.plot([], [], "o-", ms=3, color=COLORS.get(n), label=n)[0] for n in names}
        left.set(xlabel="x", ylabel="y", ylim=(-6, 6))
        left.legend(fontsize=7, loc="lower left")
        right.set(xlabel="inner steps", ylabel="MSE on the whole curve", yscale="log")
        right.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        right.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
        right.yaxis.set_minor_locator(NullLocator())  # minor log ticks cost ~15 ms per frame
        right.legend(fontsize=8)
        right.grid(alpha=0.3)
        self.fig.tight_layout()

    def update(self, res: SineAdaptation) -> "SineFigure":
        first = next(iter(res.after))
        self.true.set_data(res.x.squeeze(1), res.y_true.squeeze(1))
        self.before.set_data(res.x.squeeze(1), res.before[first].squeeze(1))
        self.support.set_data(res.x_support.squeeze(1), res.y_support.squeeze(1))
        for name, line in self.after.items():
            line.set_data(res.x.squeeze(1), res.after[name].squeeze(1))
            self.curves[name].set_data(range(len(res.mse_by_step[name])), res.mse_by_step[name])
        left, right = self.axes
        left.set_xlim(float(res.x[0]), float(res.x[-1]))
        left.set_title(f"K={len(res.x_support)} support points, {len(res.mse_by_step[first]) - 1} inner steps", fontsize=9)
        right.relim()
        right.autoscale_view()
        return self

    def png(self) -> bytes:
        """The figure as PNG bytes (:func:`meta_course.viz.figure_png`)."""
        from . import figure_png

        return figure_png(self.fig)


def plot_sine_adaptation(res: SineAdaptation, dpi: int = 72) -> SineFigure:
    """A :class:`SineFigure` showing ``res`` (``.fig`` is the matplotlib figure)."""
    return SineFigure(list(res.after), dpi=dpi).update(res)


def sine_explorer(learners: dict, inner_lr: float | dict | None = None, max_steps: int = 20):
    """Sliders for amplitude, phase, K, inner steps and one inner step size per learner (starting at
    ``inner_lr``: by default each learner's own), and a "new support points" button.

    Each move calls :func:`sine_adaptation` and swaps the PNG of one :class:`SineFigure` into an
    ``ipywidgets.Image`` (no output clearing, so no flicker). Returns the box; display it.
    """
    import ipywidgets as w

    sliders = dict(
        amplitude=w.FloatSlider(value=3.0, min=0.1, max=5.0, step=0.1, description="amplitude A"),
        phase=w.FloatSlider(value=1.0, min=0.0, max=round(math.pi, 2), step=0.05, description="phase φ"),
        k_shot=w.IntSlider(value=5, min=1, max=40, description="K (support)"),
        inner_steps=w.IntSlider(value=10, min=0, max=max_steps, description="inner steps"),
    )
    alphas = {n: w.FloatLogSlider(value=lr, base=10, min=-4, max=-1, step=0.25, description=f"α {n}")
              for n, lr in learner_inner_lrs(learners, inner_lr).items()}
    seed = w.IntText(value=0, description="seed", layout=w.Layout(width="160px"))
    button = w.Button(description="new support points", icon="refresh")
    image = w.Image(format="png")
    figure = SineFigure(list(learners))

    def redraw(*_):
        res = sine_adaptation(learners, seed=seed.value, inner_lr={n: s.value for n, s in alphas.items()},
                              **{k: s.value for k, s in sliders.items()})
        image.value = figure.update(res).png()

    def new_points(_):
        seed.value += 1  # triggers redraw through the observer below

    for s in [*sliders.values(), *alphas.values(), seed]:
        s.observe(redraw, names="value")
    button.on_click(new_points)
    redraw()
    controls = w.HBox([w.VBox(list(sliders.values())[:3]),
                       w.VBox([sliders["inner_steps"], *alphas.values(), w.HBox([button, seed])])])
    return w.VBox([controls, image])
