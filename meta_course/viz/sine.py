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
from ..core.functional import forward
from ..tasks.sine import SineTasks

COLORS = {"true": "black", "support": "tab:red", "before": "tab:blue", "maml": "tab:green", "pretrained": "tab:orange"}


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


def sine_adaptation(learners: dict, amplitude: float, phase: float, k_shot: int = 5, inner_steps: int = 10,
                    inner_lr: float = 1e-3, seed: int = 0, tasks: SineTasks = SineTasks(),
                    n_grid: int = 200) -> SineAdaptation:
    """Adapt each learner to the task y = A·sin(x − φ) from ``k_shot`` random support points.

    Args:
        learners: ``{"maml": learner, "pretrained": learner, ...}``; each has ``adapt(xs, ys,
            inner_steps=, inner_lr=)`` returning a predictor with a ``trajectory`` of fast params.
        amplitude, phase: the task (must lie in ``tasks``' ranges).
        k_shot: support points, drawn uniformly from ``tasks.x_range`` with ``seed``.
        inner_steps, inner_lr: the adaptation knobs the sliders control.

    Example:
        >>> from meta_course.algorithms import load_learner
        >>> from meta_course.checkpoints import checkpoint_path
        >>> res = sine_adaptation({"maml": load_learner(checkpoint_path("maml_sine"))}, 2.0, 1.0, inner_steps=5)
        >>> len(res.mse_by_step["maml"])
        6
    """
    check_range("amplitude", amplitude, *tasks.amplitude, "Move the slider inside the task family.")
    check_range("phase", phase, *tasks.phase, "Move the slider inside the task family.")
    check_int("k_shot", k_shot, 1, 1000, "K is the number of support points; try 5 or 10.")
    check_int("inner_steps", inner_steps, 0, 1000, "Use 0 (no adaptation) to 100.")
    check_positive("inner_lr", inner_lr, "A typical inner step size is 1e-3 to 0.05.")
    g = torch.Generator().manual_seed(int(seed))
    x_support = tasks.sample_x(g, 1, k_shot)[0]
    x = torch.linspace(*tasks.x_range, n_grid).unsqueeze(1)
    f = lambda t: SineTasks.function(t, amplitude, phase)  # noqa: E731
    y_support, y_true = f(x_support), f(x)
    before, after, mse = {}, {}, {}
    with torch.no_grad():  # torch.func.grad inside adapt still differentiates
        for name, learner in learners.items():
            predictor = learner.adapt(x_support, y_support, inner_steps=inner_steps, inner_lr=inner_lr)
            preds = [forward(predictor.model, p, x) for p in predictor.trajectory]
            before[name], after[name] = preds[0], preds[-1]
            mse[name] = [((p - y_true) ** 2).mean().item() for p in preds]
    return SineAdaptation(x, y_true, x_support, y_support, before, after, mse)


def plot_sine_adaptation(res: SineAdaptation, axes=None):
    """Left: true curve, support points, predictions before/after. Right: MSE vs inner steps."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.6, 1]})
    left, right = axes
    left.plot(res.x, res.y_true, color=COLORS["true"], lw=2, label="true task")
    for name in res.after:
        if name == "maml":
            left.plot(res.x, res.before[name], "--", color=COLORS["before"], label="MAML before adaptation")
        left.plot(res.x, res.after[name], color=COLORS.get(name), label=f"{name} after {len(res.mse_by_step[name]) - 1} steps")
        right.plot(range(len(res.mse_by_step[name])), res.mse_by_step[name], "o-", ms=3, color=COLORS.get(name), label=name)
    left.scatter(res.x_support, res.y_support, color=COLORS["support"], zorder=5, label=f"K={len(res.x_support)} support")
    left.set(xlabel="x", ylabel="y", ylim=(-6, 6))
    left.legend(fontsize=7, loc="lower left")
    right.set(xlabel="inner steps", ylabel="MSE on the whole curve", yscale="log")
    right.legend(fontsize=8)
    right.grid(alpha=0.3)
    return axes


def sine_explorer(learners: dict, inner_lr: float = 1e-3, max_steps: int = 20):
    """Sliders for amplitude, phase, K, inner steps and inner lr, and a "new support points" button.

    Returns the ipywidgets box; display it in a notebook.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    sliders = dict(
        amplitude=w.FloatSlider(value=3.0, min=0.1, max=5.0, step=0.1, description="amplitude A"),
        phase=w.FloatSlider(value=1.0, min=0.0, max=round(math.pi, 2), step=0.05, description="phase φ"),
        k_shot=w.IntSlider(value=5, min=1, max=40, description="K (support)"),
        inner_steps=w.IntSlider(value=10, min=0, max=max_steps, description="inner steps"),
        inner_lr=w.FloatLogSlider(value=inner_lr, base=10, min=-4, max=-1, step=0.25, description="inner lr α"),
    )
    seed = w.IntText(value=0, description="seed", layout=w.Layout(width="160px"))
    button = w.Button(description="new support points", icon="refresh")
    out = w.Output()

    def redraw(*_):
        res = sine_adaptation(learners, seed=seed.value, **{k: s.value for k, s in sliders.items()})
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), dpi=72, gridspec_kw={"width_ratios": [1.6, 1]})
            plot_sine_adaptation(res, axes)
            fig.tight_layout()
            display(fig)
            plt.close(fig)

    def new_points(_):
        seed.value += 1  # triggers redraw through the observer below

    for s in [*sliders.values(), seed]:
        s.observe(redraw, names="value")
    button.on_click(new_points)
    redraw()
    return w.VBox([w.HBox([w.VBox(list(sliders.values())[:3]), w.VBox([*list(sliders.values())[3:], w.HBox([button, seed])])]), out])
