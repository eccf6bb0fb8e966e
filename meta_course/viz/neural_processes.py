"""The context-points explorer of the neural-process lesson.

:func:`np_frame` is the plain-Python update (tested directly): for one drawn task it gives the CNP
the first K points of a fixed random pool as its context and returns the predictive mean ± 2σ on a
dense grid, MAML's adapted curve from the same K points (sine tasks), the exact GP posterior (GP
tasks), and the error of each for every K from 1 to ``max_k`` — so moving the slider shows the band
shrinking as points arrive. :class:`NPFigure` draws a frame; :func:`np_explorer` wires a K slider,
a task-family toggle and a "new draw" button to both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..core.checks import check_choice, check_int
from ..tasks.gp import GPTasks
from ..tasks.sine import SineTasks

FAMILIES = ("sine", "gp")
COLORS = {"true": "black", "context": "tab:red", "cnp": "tab:purple", "maml": "tab:green", "oracle": "tab:orange"}


@dataclass
class NPFrame:
    """Everything one widget frame shows (tensors are ``[n_grid]`` or ``[k]``)."""

    family: str
    k: int
    x: torch.Tensor
    y_true: torch.Tensor                         # the drawn function on the grid (noiseless)
    x_context: torch.Tensor
    y_context: torch.Tensor
    mean: dict[str, torch.Tensor]                # method → predictive mean on the grid
    std: dict[str, torch.Tensor] = field(default_factory=dict)   # method → predictive σ (cnp, oracle)
    mse_by_k: dict[str, dict[int, float]] = field(default_factory=dict)  # method → {K: grid MSE}


@dataclass(frozen=True)
class _Draw:
    x: torch.Tensor
    y_true: torch.Tensor
    x_pool: torch.Tensor
    y_pool: torch.Tensor
    amplitude_phase: tuple[float, float] | None


def draw_task(family: str, seed: int, n_pool: int = 50, n_grid: int = 200, sine: SineTasks = SineTasks(),
              gp: GPTasks = GPTasks()) -> _Draw:
    """One task and a pool of ``n_pool`` observed points in random order (the context arrives in this order).

    Sine: y = A sin(x − φ) (noiseless). GP: one function drawn jointly on the pool and the grid; the
    pool is observed with the family's noise, the grid shows the noiseless function.
    """
    check_choice("family", family, FAMILIES, "The explorer shows sine or GP tasks.")
    check_int("n_pool", n_pool, 1, 10_000, "The pool holds the context points the slider reveals.")
    g = torch.Generator().manual_seed(int(seed))
    if family == "sine":
        amplitude, phase = sine.sample_params(g, 1)
        x_pool = sine.sample_x(g, 1, n_pool)[0]
        x = torch.linspace(*sine.x_range, n_grid).unsqueeze(1)
        a, p = amplitude.item(), phase.item()
        return _Draw(x, sine.function(x, a, p), x_pool, sine.function(x_pool, a, p), (a, p))
    x_pool = gp.sample_x(g, 1, n_pool)[0]
    x = torch.linspace(*gp.x_range, n_grid).unsqueeze(1)
    f = gp.sample_f(g, torch.cat([x_pool, x]).unsqueeze(0))[0]
    return _Draw(x, f[n_pool:], x_pool, gp.observe(g, f[:n_pool]), None)


#: the context sizes at which the error curve of MAML is computed (each costs ``maml_steps`` gradient steps,
#: about 100× a CNP forward pass; the CNP's and the oracle's curves use every K)
MAML_KS = (1, 2, 3, 4, 5, 7, 10, 14, 20, 30, 40, 50)


def _predictions(family: str, d: _Draw, k: int, cnp, maml, maml_steps: int, gp: GPTasks,
                 with_maml: bool = True) -> dict:
    """method → (mean, std or None) on the grid, given the first ``k`` points of the pool."""
    xs, ys = d.x_pool[:k], d.y_pool[:k]
    with torch.no_grad():  # torch.func.grad inside MAML's adapt differentiates even under no_grad
        dev = _device(cnp)
        preds = {"cnp": tuple(t.cpu() for t in cnp.adapt(xs.to(dev), ys.to(dev)).distribution(d.x.to(dev)))}
        if family == "gp":
            preds["oracle"] = tuple(gp.posterior(xs, ys, d.x))
        elif maml is not None and with_maml:
            dev = _device(maml)
            preds["maml"] = (maml.adapt(xs.to(dev), ys.to(dev), inner_steps=maml_steps)(d.x.to(dev)).cpu(), None)
    return preds


def _device(learner) -> torch.device:
    """Where a learner's parameters live (CPU for parameter-free stand-ins): the draw goes there, results come back."""
    params = getattr(learner, "parameters", None)
    first = next(iter(params()), None) if callable(params) else None
    return first.device if first is not None else torch.device("cpu")


def error_curves(family: str, cnp, seed: int = 0, maml=None, max_k: int = 30, maml_steps: int = 10,
                 gp: GPTasks = GPTasks(), n_pool: int = 50) -> dict[str, dict[int, float]]:
    """method → {K: MSE on the whole grid (against the noiseless function)} for K = 1..``max_k`` of one draw
    (MAML only at the K of :data:`MAML_KS`).

    The expensive part of a frame; the explorer computes it once per draw.
    """
    check_int("max_k", max_k, 1, n_pool, f"The error curves run over K = 1..max_k; the pool holds {n_pool} points.")
    check_int("maml_steps", maml_steps, 0, 1000, "MAML's inner steps, e.g. 10.")
    d = draw_task(family, seed, n_pool=n_pool, gp=gp)
    curves: dict[str, dict[int, float]] = {}
    for k in range(1, max_k + 1):
        for m, (mean, _) in _predictions(family, d, k, cnp, maml, maml_steps, gp, with_maml=k in MAML_KS).items():
            curves.setdefault(m, {})[k] = ((mean - d.y_true) ** 2).mean().item()
    return curves


def np_frame(family: str, cnp, k: int, seed: int = 0, maml=None, max_k: int = 30, maml_steps: int = 10,
             gp: GPTasks = GPTasks(), n_pool: int = 50, curves: dict | None = None) -> NPFrame:
    """The widget's update: CNP (and MAML / the GP oracle) given the first ``k`` points of a drawn task.

    Args:
        family: ``"sine"`` or ``"gp"``.
        cnp: a learner whose ``adapt(x_support, y_support)`` returns a predictor with
            ``distribution(x) -> (mean, std)``.
        k: context points shown (1 ≤ k ≤ max_k ≤ n_pool).
        seed: the draw (task and the order in which its points arrive).
        maml: optional gradient-based learner (``adapt(xs, ys, inner_steps=)`` → callable); sine only.
        max_k: the largest K of the error-vs-K curves.
        maml_steps: MAML's inner steps.
        gp: the GP family (its kernel is also the oracle's).
        curves: :func:`error_curves` of this draw if already computed (the explorer caches them).

    Example:
        >>> import torch
        >>> from meta_course.learners.memory.cnp import ConditionalNeuralProcess
        >>> class Untrained:  # any object with adapt(...).distribution(x) works
        ...     net = ConditionalNeuralProcess(hidden=8, r_dim=4)
        ...     def adapt(self, xs, ys):
        ...         return type("P", (), {"distribution": lambda _, x: self.net(xs, ys, x)})()
        >>> sorted(np_frame("gp", Untrained(), k=3, max_k=5).mse_by_k["oracle"])
        [1, 2, 3, 4, 5]
    """
    check_int("max_k", max_k, 1, n_pool, f"The error curves run over K = 1..max_k; the pool holds {n_pool} points.")
    check_int("k", k, 1, max_k, "K is the number of context points; a CNP needs at least one.")
    check_int("maml_steps", maml_steps, 0, 1000, "MAML's inner steps, e.g. 10.")
    d = draw_task(family, seed, n_pool=n_pool, gp=gp)
    if curves is None:
        curves = error_curves(family, cnp, seed, maml, max_k, maml_steps, gp, n_pool)
    frame = NPFrame(family, k, d.x[:, 0], d.y_true[:, 0], d.x_pool[:k, 0], d.y_pool[:k, 0], {}, {}, curves)
    for m, (mean, std) in _predictions(family, d, k, cnp, maml, maml_steps, gp).items():
        frame.mean[m] = mean[:, 0]
        if std is not None:
            frame.std[m] = std[:, 0]
    return frame


class NPFigure:
    """The widget's figure, built once; :meth:`update` only moves data (and swaps the two ±2σ bands).

    Left: the task, its context, the CNP's mean ± 2σ, MAML's curve or the GP oracle's mean ± 2σ.
    Right: error on the whole curve against the number of context points, the current K marked.
    """

    LABELS = {"cnp": "CNP", "oracle": "GP posterior (oracle)", "maml": "MAML after 10 steps"}

    def __init__(self, dpi: int = 72, figsize=(10, 3.6)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure  # not pyplot: the notebook shows it only when asked
        from matplotlib.patches import Patch
        from matplotlib.ticker import NullLocator

        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        left, right = self.axes = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        self.fig.subplots_adjust(left=0.06, right=0.98, bottom=0.14, top=0.92, wspace=0.22)
        self.true, = left.plot([], [], color=COLORS["true"], lw=1.5, label="true function")
        self.means = {m: left.plot([], [], color=COLORS[m], lw=1.5, ls="--" if m == "oracle" else "-",
                                   label=f"{self.LABELS[m]}" + (" mean" if m != "maml" else ""))[0]
                      for m in ("cnp", "oracle", "maml")}
        self.context, = left.plot([], [], "o", color=COLORS["context"], ms=5, zorder=5, label="context")
        self.bands: list = []
        self.band_keys = {m: Patch(color=COLORS[m], alpha=0.25, label=f"{self.LABELS[m]} ± 2σ") for m in ("cnp", "oracle")}
        self.curves = {m: right.plot([], [], "o-", ms=2.5, color=COLORS[m], label=m)[0] for m in ("cnp", "maml", "oracle")}
        self.marker = right.axvline(1, color="gray", lw=0.8)
        left.set(xlabel="x", ylabel="y")
        right.set(xlabel="context points K", ylabel="MSE on the whole curve", yscale="log")
        right.yaxis.set_minor_locator(NullLocator())  # minor log ticks cost time every frame
        right.grid(alpha=0.3)

    def update(self, f: NPFrame) -> "NPFigure":
        left, right = self.axes
        x = f.x.numpy()
        self.true.set_data(x, f.y_true.numpy())
        for b in self.bands:
            b.remove()
        self.bands = []
        for m, line in self.means.items():
            line.set_visible(m in f.mean)
            if m in f.mean:
                line.set_data(x, f.mean[m].numpy())
            if m in f.std:
                mean, std = f.mean[m].numpy(), f.std[m].numpy()
                self.bands.append(left.fill_between(x, mean - 2 * std, mean + 2 * std, color=COLORS[m], alpha=0.18, lw=0))
        self.context.set_data(f.x_context.numpy(), f.y_context.numpy())
        shown = [self.true] + [self.means[m] for m in ("cnp", "oracle", "maml") if m in f.mean] + \
                [self.band_keys[m] for m in ("cnp", "oracle") if m in f.std] + [self.context]
        left.legend(handles=shown, fontsize=7, loc="lower left", ncol=2)
        low, high = (-6, 6) if f.family == "sine" else (-3.5, 3.5)
        left.set(xlim=(x[0], x[-1]), ylim=(low, high))
        left.set_title(f"{f.family} task, K = {f.k} context points", fontsize=9)
        for m, line in self.curves.items():
            values = f.mse_by_k.get(m)
            line.set_visible(values is not None)
            if values is not None:
                line.set_data(list(values), list(values.values()))
        self.marker.set_xdata([f.k, f.k])
        right.legend(handles=[self.curves[m] for m in f.mse_by_k], fontsize=8)
        right.relim()
        right.autoscale_view()
        return self

    def png(self) -> bytes:
        """The figure as PNG bytes (:func:`meta_course.viz.figure_png`)."""
        from . import figure_png

        return figure_png(self.fig)


def np_explorer(cnps: dict, maml=None, max_k: int = 30, gp: GPTasks = GPTasks()):
    """K slider, family toggle and a "new draw" button around :func:`np_frame`; returns the widget box.

    Args:
        cnps: ``{"sine": cnp trained on sine, "gp": cnp trained on GP samples}``.
        maml: MAML trained on sine (shown beside the CNP on sine tasks).
    """
    import ipywidgets as w

    family = w.ToggleButtons(options=[f for f in FAMILIES if f in cnps], description="tasks")
    k = w.IntSlider(value=3, min=1, max=max_k, description="context K")
    seed = w.IntText(value=0, description="draw", layout=w.Layout(width="160px"))
    button = w.Button(description="new draw", icon="refresh")
    image = w.Image(format="png")
    figure = NPFigure()
    cache: dict = {}  # (family, draw) → error curves: moving K then costs one forward pass per method

    def redraw(*_):
        key = (family.value, seed.value)
        if key not in cache:
            cache[key] = error_curves(family.value, cnps[family.value], seed.value, maml=maml, max_k=max_k, gp=gp)
        frame = np_frame(family.value, cnps[family.value], k.value, seed.value, maml=maml, max_k=max_k, gp=gp,
                         curves=cache[key])
        image.value = figure.update(frame).png()

    def new_draw(_):
        seed.value += 1  # the observer redraws

    for control in (family, k, seed):
        control.observe(redraw, names="value")
    button.on_click(new_draw)
    redraw()
    return w.VBox([w.HBox([family, k]), w.HBox([button, seed]), image])
