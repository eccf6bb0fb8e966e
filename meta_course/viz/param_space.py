"""Parameter space: where MAML, Reptile and joint pretraining put the initialisation, and how it adapts.

The tasks are :func:`~meta_course.tasks.linear.bowl_tasks`: 2-D linear regression without bias, task i
a quadratic bowl with minimum w_i and Hessian A_i. Everything is computed by the package's own functions
(:func:`~meta_course.core.functional.adapt`, :func:`~meta_course.core.functional.meta_batch_loss`,
:func:`~meta_course.learners.optimisation.reptile.reptile_step`) on the ``linear`` model; each
initialisation also has a closed form (:func:`~meta_course.tasks.linear.closed_form_init`), which the
tests compare with.

:func:`param_space_paths` is the widget's plain-Python update (tested); :class:`ParamSpaceFigure`
draws it; :func:`param_space_explorer` wires sliders for inner steps and inner lr.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..core.checks import check_choice, check_int, check_positive
from ..core.functional import adapt, meta_batch_loss, task_loss
from ..learners.optimisation.reptile import reptile_step
from ..models import Linear
from ..tasks import Episode
from ..tasks.linear import INIT_METHODS as METHODS
from ..tasks.linear import bowl_tasks, closed_form_init, minimisers, quadratic_form

COLORS = {"pretrained": "tab:orange", "maml": "tab:green", "reptile": "tab:purple"}
mse = torch.nn.functional.mse_loss


def _model():
    return Linear(2, 1, bias=False).double()


def find_init(episodes: Episode, method: str, inner_lr: float, inner_steps: int, iters: int = 300,
              start=(0.0, -1.0)) -> tuple[torch.Tensor, torch.Tensor]:
    """Meta-train the 2-D initialisation with the package's learners' update rules.

    - ``"pretrained"``: gradient descent on the mean task loss (no adaptation inside).
    - ``"maml"``: gradient descent on :func:`~meta_course.core.functional.meta_batch_loss` (second order).
    - ``"reptile"``: :func:`~meta_course.learners.optimisation.reptile.reptile_step` with ε = 0.5.

    Returns the final θ ``[2]`` and its path ``[iters + 1, 2]`` (the meta-training trajectory).
    """
    check_choice("method", method, METHODS)
    check_int("iters", iters, 1, 100_000)
    net = _model()
    theta = torch.tensor([list(start)], dtype=torch.float64)
    path = [theta.reshape(-1).clone()]
    a, _ = quadratic_form(episodes.x_support, episodes.y_support, bias=False)
    outer = 0.5 / torch.linalg.eigvalsh(a.mean(0)).max().item()  # a stable outer step for GD
    for _ in range(iters):
        params = {"weight": theta.clone().requires_grad_(True)}
        if method == "reptile":
            theta = reptile_step(net, params, episodes, mse, inner_lr, inner_steps, 0.5)["weight"]
        else:
            if method == "pretrained":
                loss = torch.stack([task_loss(net, params, *episodes.task(i)[:2], mse)
                                    for i in range(episodes.n_tasks)]).mean()
            else:
                loss = meta_batch_loss(net, params, episodes, mse, inner_lr, inner_steps)
            (g,) = torch.autograd.grad(loss, params["weight"])
            theta = (theta - outer * g).detach()
        path.append(theta.reshape(-1).clone())
    return theta.reshape(-1), torch.stack(path)


@dataclass
class ParamSpacePaths:
    """Everything one widget frame shows."""

    inits: dict[str, torch.Tensor]                 # method → θ_0 [2]
    paths: dict[str, torch.Tensor]                 # method → [T tasks, k+1, 2] adaptation paths
    losses: dict[str, torch.Tensor]                # method → [T, k+1] task loss along the path
    optima: torch.Tensor                           # [T, 2]
    episodes: Episode


def param_space_paths(episodes: Episode, inits: dict[str, torch.Tensor], inner_steps: int = 3,
                      inner_lr: float = 0.3) -> ParamSpacePaths:
    """Adapt every initialisation to every task with ``inner_steps`` steps of size ``inner_lr``.

    This is the widget's update function: :func:`~meta_course.core.functional.adapt` with
    ``trajectory=True`` from each θ_0, on each task.

    Example:
        >>> ep = bowl_tasks(2)
        >>> res = param_space_paths(ep, {"maml": torch.zeros(2, dtype=torch.float64)}, inner_steps=4)
        >>> tuple(res.paths["maml"].shape)
        (2, 5, 2)
    """
    check_int("inner_steps", inner_steps, 0, 1000, "Use 0 (no adaptation) to ~50.")
    check_positive("inner_lr", inner_lr, "Stable steps satisfy α < 2 / (largest curvature); try 0.01-0.5.")
    net = _model()
    paths, losses = {}, {}
    for name, theta in inits.items():
        per_task, per_loss = [], []
        for i in range(episodes.n_tasks):
            xs, ys = episodes.x_support[i], episodes.y_support[i]
            traj = adapt(net, {"weight": theta.detach().reshape(1, 2)}, xs, ys, mse, inner_lr, inner_steps,
                         trajectory=True)
            per_task.append(torch.stack([p["weight"].detach().reshape(2) for p in traj]))
            per_loss.append(torch.stack([task_loss(net, p, xs, ys, mse).detach() for p in traj]))
        paths[name], losses[name] = torch.stack(per_task), torch.stack(per_loss)
    return ParamSpacePaths(dict(inits), paths, losses, minimisers(episodes.x_support, episodes.y_support, bias=False),
                           episodes)


class ParamSpaceFigure:
    """One panel per task: its loss contours, its optimum (★), each method's θ_0 (●) and adaptation
    path; last panel: the mean task loss after 0..k steps per method. Built once; PNG per frame."""

    def __init__(self, episodes: Episode, methods=METHODS, extent: float = 3.0, dpi: int = 72, n_grid: int = 60):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        n = episodes.n_tasks
        self.fig = Figure(figsize=(2.6 * (n + 1), 2.9), dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.axes = self.fig.subplots(1, n + 1)
        grid = torch.linspace(-extent, extent, n_grid, dtype=torch.float64)
        gx, gy = torch.meshgrid(grid, grid, indexing="xy")
        thetas = torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)  # [G, 2]
        a, _ = quadratic_form(episodes.x_support, episodes.y_support, bias=False)
        w = minimisers(episodes.x_support, episodes.y_support, bias=False)
        self.lines, self.starts = {}, {}
        for i, ax in enumerate(self.axes[:n]):
            d = thetas - w[i]
            z = 0.5 * torch.einsum("gi,ij,gj->g", d, a[i], d).reshape(n_grid, n_grid)
            levels = torch.quantile(z.reshape(-1), torch.linspace(0.01, 0.8, 10, dtype=z.dtype)).numpy()
            ax.contour(gx.numpy(), gy.numpy(), z.numpy(), levels=levels, cmap="Greys_r", linewidths=0.6)
            ax.plot(*w[i].tolist(), "*", color="black", ms=10)
            ax.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal", title=f"task {i + 1}")
            ax.tick_params(labelsize=7)
            for m in methods:
                self.lines[m, i], = ax.plot([], [], ".-", color=COLORS[m], lw=1.2, ms=3)
                self.starts[m, i], = ax.plot([], [], "o", color=COLORS[m], ms=6, mec="black", mew=0.5,
                                             label=m if i == 0 else None)
        self.axes[0].legend(fontsize=7, loc="lower left")
        right = self.axes[n]
        self.curves = {m: right.plot([], [], "o-", ms=3, color=COLORS[m], label=m)[0] for m in methods}
        right.set(xlabel="inner steps", ylabel="mean task loss", yscale="log")
        right.legend(fontsize=7)
        right.grid(alpha=0.3)
        self.fig.tight_layout()

    def update(self, res: ParamSpacePaths) -> "ParamSpaceFigure":
        for (m, i), line in self.lines.items():
            if m in res.paths:
                p = res.paths[m][i]
                line.set_data(p[:, 0], p[:, 1])
                self.starts[m, i].set_data([p[0, 0]], [p[0, 1]])
        for m, line in self.curves.items():
            if m in res.losses:
                curve = res.losses[m].mean(0)
                line.set_data(range(len(curve)), curve.clamp_min(1e-12))
        right = self.axes[-1]
        right.relim()
        right.autoscale_view()
        k = next(iter(res.paths.values())).shape[1] - 1
        self.axes[-1].set_title(f"after {k} inner steps", fontsize=9)
        return self

    def png(self) -> bytes:
        """The figure as PNG bytes (:func:`meta_course.viz.figure_png`)."""
        from . import figure_png

        return figure_png(self.fig)


def param_space_explorer(episodes: Episode | None = None, train_lr: float = 0.3, train_steps: int = 2,
                         max_steps: int = 30, inits: dict | None = None):
    """Sliders for inner steps and inner lr over the initialisations meta-trained with
    (``train_lr``, ``train_steps``) — by default their closed forms, which :func:`find_init` reaches
    (tested) — each move calls :func:`param_space_paths`. Returns the widget box."""
    import ipywidgets as w

    episodes = episodes if episodes is not None else bowl_tasks()
    if inits is None:
        inits = {m: closed_form_init(episodes, m, train_lr, train_steps) for m in METHODS}
    steps = w.IntSlider(value=train_steps, min=0, max=max_steps, description="inner steps")
    lr = w.FloatLogSlider(value=train_lr, base=10, min=-2.5, max=0, step=0.1, description="inner lr α")
    image = w.Image(format="png")
    figure = ParamSpaceFigure(episodes)

    def redraw(*_):
        image.value = figure.update(param_space_paths(episodes, inits, steps.value, lr.value)).png()

    for s in (steps, lr):
        s.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([steps, lr]), image])
