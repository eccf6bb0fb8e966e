"""The sine family widget: every sine learner of the course adapting to the same task, side by side.

MAML, first-order MAML, Reptile, Meta-SGD, the LSTM meta-learner, the pretrained baseline and (when its
checkpoint is committed) the conditional neural process see the same K support points of one sine wave;
each adapts the way it was trained to — its own step size (MAML's α, Reptile's α, the baseline's tuned
α), its learned per-coordinate α (Meta-SGD), its learned gates (meta-LSTM), or one forward pass (CNP).

:func:`family_frame` is the plain-Python update (tested directly); :class:`FamilyFigure` draws it (one
panel per learner, and the error of each after 0…k steps); :func:`sine_family_explorer` wires sliders.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..core.checks import check_int, check_range
from ..core.device import module_device
from ..tasks.sine import SineTasks

#: the learners of the widget: display name -> recipe of the committed checkpoint
SINE_FAMILY: dict[str, str] = {
    "MAML": "maml_sine",
    "first-order MAML": "fomaml_sine",
    "Reptile": "reptile_sine",
    "Meta-SGD": "metasgd_sine",
    "LSTM meta-learner": "metalstm_sine",
    "pretrained + fine-tuning": "pretrained_sine",
    "CNP": "cnp_sine",
}
COLORS = dict(zip(SINE_FAMILY, ("tab:green", "tab:blue", "tab:purple", "tab:red", "tab:brown", "tab:orange",
                                "tab:cyan")))


def load_sine_family(names=None, device=None) -> dict:
    """``{name: learner}`` for the learners of :data:`SINE_FAMILY` (or ``names``) whose checkpoint is committed."""
    from ..checkpoints import HERE
    from ..recipes import load_or_train

    names = list(SINE_FAMILY) if names is None else list(names)
    for n in names:
        if n not in SINE_FAMILY:
            raise ValueError(f"learner {n!r} is not in the sine family widget: allowed {list(SINE_FAMILY)}.")
    return {n: load_or_train(SINE_FAMILY[n], device=device) for n in names if (HERE / f"{SINE_FAMILY[n]}.pt").exists()}


@dataclass
class FamilyFrame:
    """Everything one frame shows."""

    x: torch.Tensor                  # [n_grid, 1]
    y_true: torch.Tensor
    x_support: torch.Tensor
    y_support: torch.Tensor
    predictions: dict                # name -> prediction on the grid after adaptation
    mse_by_step: dict                # name -> MSE on the grid after 0..k steps ([mse] for a one-pass learner)


def family_frame(learners: dict, amplitude: float, phase: float, k_shot: int = 5, inner_steps: int = 10,
                 seed: int = 0, tasks: SineTasks = SineTasks(), n_grid: int = 200) -> FamilyFrame:
    """Adapt every learner to y = A·sin(x − φ) from the same ``k_shot`` support points.

    Gradient learners take ``inner_steps`` steps with their own step size (their checkpoint's, learned or
    tuned); a learner that adapts in one pass (CNP, ``adapt`` without steps) reads the support set once.

    Example:
        >>> frame = family_frame(load_sine_family(["MAML", "Meta-SGD"]), 2.0, 1.0, inner_steps=3)
        >>> sorted(frame.mse_by_step), len(frame.mse_by_step["MAML"])
        (['MAML', 'Meta-SGD'], 4)
    """
    check_range("amplitude", amplitude, *tasks.amplitude, "Move the slider inside the task family.")
    check_range("phase", phase, *tasks.phase, "Move the slider inside the task family.")
    check_int("k_shot", k_shot, 1, 1000, "K is the number of support points; try 5 or 10.")
    check_int("inner_steps", inner_steps, 0, 1000, "Use 0 (no adaptation) to 100.")
    g = torch.Generator().manual_seed(int(seed))
    x_support = tasks.sample_x(g, 1, k_shot)[0]
    x = torch.linspace(*tasks.x_range, n_grid).unsqueeze(1)
    y_support, y_true = tasks.function(x_support, amplitude, phase), tasks.function(x, amplitude, phase)
    predictions, mse = {}, {}
    with torch.no_grad():  # torch.func.grad inside adapt still differentiates
        for name, learner in learners.items():
            dev = module_device(learner)  # adapt where the learner lives (a GPU on Colab), plot on the CPU
            xs, ys, x_dev = x_support.to(dev), y_support.to(dev), x.to(dev)
            one_pass = getattr(learner, "name", "") == "cnp"
            predictor = learner.adapt(xs, ys) if one_pass else learner.adapt(xs, ys, inner_steps=inner_steps)
            path = getattr(predictor, "info", {}).get("path") or [predictor]
            preds = [p(x_dev).cpu() for p in path]
            predictions[name] = preds[-1]
            mse[name] = [((p - y_true) ** 2).mean().item() for p in preds]
    return FamilyFrame(x, y_true, x_support, y_support, predictions, mse)


class FamilyFigure:
    """One small panel per learner (true curve, support points, adapted prediction) and a panel of the
    grid MSE after 0…k steps for every learner (a one-pass learner is a horizontal line)."""

    def __init__(self, names, dpi: int = 72, figsize=(11, 4.6)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.names = list(names)
        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        cols = (len(self.names) + 1) // 2 + 1
        grid = self.fig.add_gridspec(2, cols, width_ratios=[1] * (cols - 1) + [1.4])
        self.panels, self.lines = {}, {}
        for i, n in enumerate(self.names):
            ax = self.fig.add_subplot(grid[i % 2, i // 2])
            true, = ax.plot([], [], color="black", lw=1.5)
            pred, = ax.plot([], [], color=COLORS.get(n), lw=1.5)
            support, = ax.plot([], [], "o", color="tab:red", ms=3, zorder=5)
            ax.set(ylim=(-6, 6), xticks=[], yticks=[])
            ax.set_title(n, fontsize=8)
            self.panels[n], self.lines[n] = ax, (true, pred, support)
        self.err = self.fig.add_subplot(grid[:, -1])
        self.curves = {n: self.err.plot([], [], "o-", ms=2, color=COLORS.get(n), label=n)[0] for n in self.names}
        self.err.set(xlabel="inner steps", ylabel="MSE on the curve", yscale="log")
        self.err.legend(fontsize=6)
        self.fig.tight_layout()

    def update(self, frame: FamilyFrame) -> "FamilyFigure":
        x = frame.x.squeeze(1)
        steps = max(len(v) for v in frame.mse_by_step.values()) - 1
        for n, (true, pred, support) in self.lines.items():
            true.set_data(x, frame.y_true.squeeze(1))
            pred.set_data(x, frame.predictions[n].squeeze(1))
            support.set_data(frame.x_support.squeeze(1), frame.y_support.squeeze(1))
            self.panels[n].set_xlim(float(x[0]), float(x[-1]))
            self.panels[n].set_title(f"{n}: {frame.mse_by_step[n][-1]:.2f}", fontsize=8)
            ys = frame.mse_by_step[n]
            self.curves[n].set_data(range(len(ys)) if len(ys) > 1 else [0, steps], ys if len(ys) > 1 else ys * 2)
        self.err.relim()
        self.err.autoscale_view()
        return self

    def png(self) -> bytes:
        from . import figure_png

        return figure_png(self.fig)


def plot_family(frame: FamilyFrame, dpi: int = 72) -> FamilyFigure:
    """A :class:`FamilyFigure` showing ``frame`` (``.fig`` is the matplotlib figure)."""
    return FamilyFigure(list(frame.predictions), dpi=dpi).update(frame)


def sine_family_explorer(learners: dict, max_steps: int = 20):
    """Sliders for amplitude, phase, K and inner steps, and a "new support points" button; every move calls
    :func:`family_frame` and swaps the PNG of one :class:`FamilyFigure`. Returns the box; display it."""
    import math

    import ipywidgets as w

    sliders = dict(
        amplitude=w.FloatSlider(value=3.0, min=0.1, max=5.0, step=0.1, description="amplitude A"),
        phase=w.FloatSlider(value=1.0, min=0.0, max=round(math.pi, 2), step=0.05, description="phase φ"),
        k_shot=w.IntSlider(value=5, min=1, max=40, description="K (support)"),
        inner_steps=w.IntSlider(value=10, min=0, max=max_steps, description="inner steps"),
    )
    seed = w.IntText(value=0, description="seed", layout=w.Layout(width="160px"))
    button = w.Button(description="new support points", icon="refresh")
    image = w.Image(format="png")
    figure = FamilyFigure(list(learners))

    def redraw(*_):
        image.value = figure.update(family_frame(learners, seed=seed.value, **{k: s.value for k, s in sliders.items()})).png()

    def new_points(_):
        seed.value += 1

    for s in [*sliders.values(), seed]:
        s.observe(redraw, names="value")
    button.on_click(new_points)
    redraw()
    controls = w.HBox([w.VBox(list(sliders.values())[:2]), w.VBox([*list(sliders.values())[2:], w.HBox([button, seed])])])
    return w.VBox([controls, image])
