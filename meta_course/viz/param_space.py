"""Parameter space: where MAML, Reptile and joint pretraining put the initialisation, and how it adapts.

A family of 2-D linear-regression tasks: task i has inputs x ~ N(0, Σ_i) (each task stretched along
its own direction) and targets y = x·w_i, so its loss L_i(θ) = mean (x·θ − y)² is a quadratic bowl
with minimum w_i and Hessian A_i = 2 E[x xᵀ]. Everything is computed by the package's own functions
(:func:`~meta_course.core.functional.adapt`, :func:`~meta_course.core.functional.meta_batch_loss`,
:func:`~meta_course.learners.optimisation.reptile.reptile_step`) on the ``linear`` model; for quadratics each
initialisation also has a closed form (:func:`closed_form_init`), which the tests compare with.

After k steps of gradient descent with step α, θ_k − w_i = (I − αA_i)^k (θ − w_i), so with
B_i = (I − αA_i)^k:
    joint pretraining  θ* = (Σ A_i)⁻¹ Σ A_i w_i                       (minimum of the mean loss)
    MAML               θ* = (Σ B_iᵀA_iB_i)⁻¹ Σ B_iᵀA_iB_i w_i          (minimum of the mean post-adaptation loss)
    Reptile            θ* = (Σ (I − B_i))⁻¹ Σ (I − B_i) w_i            (fixed point of θ += ε mean(φ_i − θ))

:func:`param_space_paths` is the widget's plain-Python update (tested); :class:`ParamSpaceFigure`
draws it; :func:`param_space_explorer` wires sliders for inner steps and inner lr.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..core.checks import check_choice, check_int, check_positive
from ..core.functional import adapt, get_params, meta_batch_loss, task_loss
from ..tasks import Episode

METHODS = ("pretrained", "maml", "reptile")
COLORS = {"pretrained": "tab:orange", "maml": "tab:green", "reptile": "tab:purple"}
mse = torch.nn.functional.mse_loss


def linear_tasks(n_tasks: int = 4, n_points: int = 40, seed: int = 0, radius: float = 2.0,
                 anisotropy: float = 6.0) -> Episode:
    """The task family: optima w_i on a half circle of ``radius``, each task's inputs stretched
    ``anisotropy``× along a direction that rotates with i (so the bowls differ in shape, not only
    in position — which is what separates the three initialisations). float64 for exact checks.

    Example:
        >>> ep = linear_tasks(3)
        >>> tuple(ep.x_support.shape), tuple(ep.y_support.shape)
        ((3, 40, 2), (3, 40, 1))
    """
    check_int("n_tasks", n_tasks, 1, 12, "The widget draws one panel per task; use 1-12.")
    check_int("n_points", n_points, 2, 100_000)
    check_positive("anisotropy", anisotropy, "1 gives round bowls; 3-10 shows the effect.")
    g = torch.Generator().manual_seed(seed)
    xs, ys, ws = [], [], []
    for i in range(n_tasks):
        angle = math.pi * (i + 0.5) / n_tasks
        w = radius * torch.tensor([math.cos(angle), math.sin(angle)], dtype=torch.float64)
        rot = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], dtype=torch.float64)
        scale = torch.tensor([math.sqrt(anisotropy), 1.0], dtype=torch.float64) / math.sqrt(anisotropy)
        x = torch.randn(n_points, 2, generator=g, dtype=torch.float64) * scale @ rot.T
        xs.append(x)
        ys.append((x @ w).unsqueeze(1))
        ws.append(w)
    x, y = torch.stack(xs), torch.stack(ys)
    return Episode(x, y, x, y)


def _model():
    from ..models import Linear

    return Linear(2, 1, bias=False).double()


def quadratic_form(episodes: Episode) -> tuple[torch.Tensor, torch.Tensor]:
    """Hessians A_i = 2 XᵀX/n ``[T, 2, 2]`` and minimisers w_i ``[T, 2]`` (least squares) of each task."""
    x, y = episodes.x_support, episodes.y_support
    a = 2 * x.transpose(1, 2) @ x / x.shape[1]
    w = torch.linalg.lstsq(x, y).solution.squeeze(-1)
    return a, w


def closed_form_init(episodes: Episode, method: str, inner_lr: float, inner_steps: int) -> torch.Tensor:
    """The initialisation each method converges to, in closed form (see the module docstring)."""
    check_choice("method", method, METHODS)
    a, w = quadratic_form(episodes)
    eye = torch.eye(2, dtype=a.dtype)
    b = torch.linalg.matrix_power(eye - inner_lr * a, inner_steps)
    m = {"pretrained": a, "maml": b.transpose(1, 2) @ a @ b, "reptile": eye - b}[method]
    return torch.linalg.solve(m.sum(0), (m @ w.unsqueeze(-1)).sum(0)).squeeze(-1)


def find_init(episodes: Episode, method: str, inner_lr: float, inner_steps: int, iters: int = 300,
              start=(0.0, -1.0)) -> tuple[torch.Tensor, torch.Tensor]:
    """Meta-train the 2-D initialisation with the package's learners' update rules.

    - ``"pretrained"``: gradient descent on the mean task loss (no adaptation inside).
    - ``"maml"``: gradient descent on :func:`~meta_course.core.functional.meta_batch_loss` (second order).
    - ``"reptile"``: :func:`~meta_course.learners.optimisation.reptile.reptile_step` with ε = 0.5.

    Returns the final θ ``[2]`` and its path ``[iters + 1, 2]`` (the meta-training trajectory).
    """
    from ..learners.optimisation.reptile import reptile_step

    check_choice("method", method, METHODS)
    check_int("iters", iters, 1, 100_000)
    net = _model()
    theta = torch.tensor([list(start)], dtype=torch.float64)
    path = [theta.reshape(-1).clone()]
    a, _ = quadratic_form(episodes)
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
        >>> ep = linear_tasks(2)
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
    return ParamSpacePaths(dict(inits), paths, losses, quadratic_form(episodes)[1], episodes)


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
        a, w = quadratic_form(episodes)
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

    episodes = episodes if episodes is not None else linear_tasks()
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
