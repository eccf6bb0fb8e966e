"""The embedding-space explorer of lesson 06.

:func:`episode_view` is the plain-Python update (unit-tested): it draws one N-way K-shot episode
from the held-out alphabets, embeds it with a metric learner, builds prototypes, classifies the
queries with the chosen distance, and projects everything onto the episode's first two principal
components. The decision regions are those of the *full-dimensional* nearest-prototype rule
restricted to that plane (each grid point is mapped back to the embedding space, z = mean + g·V),
so they are exact on the plane; a query's own embedding lies off the plane, so its colour (its
prediction) can differ from the region under its projection. :class:`MetricFigure` draws a view;
:func:`metric_explorer` wires sliders (N-way, K-shot, distance, seed) to it.

``rule="prototypes"`` classifies with ProtoNet's nearest-prototype rule and the chosen distance;
``rule="learner"`` with the learner's own scores (``learner.logits``) — a Matching network's attention
over the support embeddings, a Siamese network's learned pair similarity — evaluated on the same plane,
so the explorer compares the three metric learners on one episode.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import Tensor

from ..learners.metric.protonet import DISTANCES, prototypes, protonet_logits
from ..core.checks import check_choice, check_int
from ..core.device import module_device


@dataclass
class EpisodeView:
    """Everything one widget frame shows (2-D coordinates in the episode's PCA plane)."""

    support_2d: Tensor      # [N*K, 2]
    y_support: Tensor       # [N*K]
    query_2d: Tensor        # [N*Q, 2]
    y_query: Tensor         # [N*Q]
    pred: Tensor            # [N*Q] predicted class of each query (full-dimensional rule)
    protos_2d: Tensor       # [N, 2]
    grid_x: Tensor          # [G]
    grid_y: Tensor          # [G]
    regions: Tensor         # [G, G] predicted class of each grid point of the plane
    accuracy: float
    explained: float        # fraction of the episode's embedding variance the two components keep
    distance: str           # the distance of the prototype rule, or the learner's name for rule="learner"
    n_way: int
    k_shot: int
    prototypes: Tensor      # [N, d] in the embedding space
    plane_mean: Tensor      # [d]   the plane is {plane_mean + g @ plane_axes}
    plane_axes: Tensor      # [2, d]


@functools.lru_cache(maxsize=32)
def _tasks(n_way: int, k_shot: int, q_query: int, split: str, part: str):
    from ..tasks.omniglot import OmniglotTasks
    return OmniglotTasks(split, part, n_way=n_way, k_shot=k_shot, q_query=q_query)


def pca_2d(z: Tensor) -> tuple[Tensor, Tensor, float]:
    """Mean ``[d]``, the top two principal directions ``[2, d]`` and their share of the variance."""
    mean = z.mean(0)
    _, s, vt = torch.linalg.svd(z - mean, full_matrices=False)
    var = s.pow(2)
    return mean, vt[:2], float(var[:2].sum() / var.sum().clamp_min(1e-12))


RULES = ("prototypes", "learner")


def episode_view(learner, n_way: int = 5, k_shot: int = 1, distance: str = "euclidean", seed: int = 0,
                 n_query: int = 5, grid: int = 80, split: str = "minimal", part: str = "test",
                 rule: str = "prototypes") -> EpisodeView:
    """Embed one held-out episode and compute what the widget draws.

    Args:
        learner: a metric learner (anything with ``embed_episode(x_support, x_query)``).
        n_way, k_shot: the episode's N and K (sliders).
        distance: ``"euclidean"`` (squared, ProtoNet) or ``"cosine"`` (toggle).
        seed: which episode.
        n_query: queries per class.
        grid: resolution of the decision-region grid.
        rule: ``"prototypes"`` (nearest prototype with ``distance``) or ``"learner"`` (the learner's own
            ``logits(z_support, y_support, z_query, n_way)``: Matching, Siamese, ProtoNet alike).

    Example:
        >>> view = episode_view(load_learner(checkpoint_path("protonet_omniglot")), 5, 1)  # doctest: +SKIP
        >>> view.regions.shape, 0 <= view.accuracy <= 1                                    # doctest: +SKIP
        (torch.Size([80, 80]), True)
    """
    check_int("n_way", n_way, 2, 20, "Classes per episode: the held-out alphabet has 42 characters; 2-20 here.")
    check_int("k_shot", k_shot, 1, 15, "Support drawings per class: 1-15 (each character has 20 drawings).")
    check_int("n_query", n_query, 1, 20 - k_shot, f"k_shot + n_query must be <= 20 drawings (k_shot={k_shot}).")
    check_int("grid", grid, 2, 400)
    check_choice("distance", distance, DISTANCES, "Toggle between the two.")
    check_choice("rule", rule, RULES, "prototypes: ProtoNet's rule; learner: the learner's own scores.")
    ep = _tasks(n_way, k_shot, n_query, split, part).sample(torch.Generator().manual_seed(int(seed)), 1).task(0)
    dev = module_device(learner)  # embed where the learner lives (a GPU on Colab); the 2-D view is on the CPU
    with torch.no_grad():
        zs, zq = (z.cpu() for z in learner.embed_episode(ep.x_support.to(dev), ep.x_query.to(dev)))
        protos = prototypes(zs, ep.y_support, n_way)
        if rule == "prototypes":
            score = lambda z: protonet_logits(z, protos, distance)  # noqa: E731
        else:
            ys_dev = ep.y_support.to(dev)
            score = lambda z: learner.logits(zs.to(dev), ys_dev, z.to(dev), n_way).cpu()  # noqa: E731
            distance = learner.name
        pred = score(zq).argmax(1)
        mean, comps, explained = pca_2d(torch.cat([zs, zq]))
        proj = lambda z: (z - mean) @ comps.T  # noqa: E731
        pts = torch.cat([proj(zs), proj(zq), proj(protos)])
        lo, hi = pts.min(0).values, pts.max(0).values
        pad = 0.1 * (hi - lo).clamp_min(1e-6)
        gx = torch.linspace(float(lo[0] - pad[0]), float(hi[0] + pad[0]), grid)
        gy = torch.linspace(float(lo[1] - pad[1]), float(hi[1] + pad[1]), grid)
        plane = torch.stack(torch.meshgrid(gx, gy, indexing="xy"), -1).reshape(-1, 2)  # row = y, col = x
        regions = score(mean + plane @ comps).argmax(1).reshape(grid, grid)
    return EpisodeView(proj(zs), ep.y_support, proj(zq), ep.y_query, pred, proj(protos), gx, gy, regions,
                       float((pred == ep.y_query).float().mean()), explained, distance, n_way, k_shot, protos, mean,
                       comps)


class MetricFigure:
    """The widget's figure: regions (image), supports (squares), prototypes (stars), queries (dots
    coloured by prediction; a red ring marks a wrong one)."""

    def __init__(self, dpi: int = 72, figsize=(6.4, 5.2)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.ax = self.fig.subplots()

    def update(self, view: EpisodeView) -> "MetricFigure":
        import matplotlib

        cmap = matplotlib.colormaps["tab20"].resampled(20)
        ax = self.ax
        ax.clear()
        extent = (float(view.grid_x[0]), float(view.grid_x[-1]), float(view.grid_y[0]), float(view.grid_y[-1]))
        ax.imshow(view.regions.numpy(), origin="lower", extent=extent, cmap=cmap, vmin=-0.5, vmax=19.5, alpha=0.25,
                  aspect="auto", interpolation="nearest")
        ax.scatter(*view.support_2d.T, c=view.y_support, cmap=cmap, vmin=-0.5, vmax=19.5, marker="s", s=40,
                   edgecolors="k", linewidths=0.5, label="support")
        wrong = view.pred != view.y_query
        ax.scatter(*view.query_2d.T, c=view.pred, cmap=cmap, vmin=-0.5, vmax=19.5, marker="o", s=18,
                   edgecolors="none", label="query (colour = prediction)")
        if wrong.any():
            ax.scatter(*view.query_2d[wrong].T, facecolors="none", edgecolors="red", s=60, linewidths=1.2,
                       label="wrong prediction")
        ax.scatter(*view.protos_2d.T, c=torch.arange(view.n_way), cmap=cmap, vmin=-0.5, vmax=19.5, marker="*",
                   s=260, edgecolors="k", linewidths=1.0,
                   label="prototype" if view.distance in DISTANCES else "class mean")
        ax.set_title(f"{view.n_way}-way {view.k_shot}-shot, {view.distance}: query accuracy {100 * view.accuracy:.0f}%"
                     f" (PCA plane keeps {100 * view.explained:.0f}% of the variance)", fontsize=9)
        ax.set(xlabel="PC 1", ylabel="PC 2")
        ax.legend(fontsize=7, loc="upper right", framealpha=0.8)
        self.fig.tight_layout()
        return self

    def png(self) -> bytes:
        """The figure as PNG bytes (:func:`meta_course.viz.figure_png`)."""
        from . import figure_png

        return figure_png(self.fig)


def plot_episode_view(view: EpisodeView, dpi: int = 72) -> MetricFigure:
    """A :class:`MetricFigure` showing ``view`` (``.fig`` is the matplotlib figure)."""
    return MetricFigure(dpi=dpi).update(view)


def metric_explorer(learner, max_way: int = 20):
    """Sliders for N-way and K-shot, a distance toggle and a "new episode" button; returns the box.

    ``learner`` is one metric learner, or ``{name: learner}`` (e.g. ProtoNet, Matching, Siamese): a menu then
    picks the learner; a ProtoNet classifies by nearest prototype with the chosen distance, any other learner
    by its own scores (the distance toggle is then inactive).
    """
    import ipywidgets as w

    learners = learner if isinstance(learner, dict) else {getattr(learner, "name", "learner"): learner}
    which = w.Dropdown(options=list(learners), value=next(iter(learners)), description="learner")
    n_way = w.IntSlider(value=5, min=2, max=max_way, description="N-way")
    k_shot = w.IntSlider(value=1, min=1, max=10, description="K-shot")
    distance = w.ToggleButtons(options=list(DISTANCES), value="euclidean", description="distance")
    seed = w.IntText(value=0, description="episode", layout=w.Layout(width="160px"))
    button = w.Button(description="new episode", icon="refresh")
    image = w.Image(format="png")
    figure = MetricFigure()

    def redraw(*_):
        chosen = learners[which.value]
        rule = "prototypes" if getattr(chosen, "name", "") == "protonet" else "learner"
        distance.disabled = rule == "learner"
        view = episode_view(chosen, n_way.value, k_shot.value, distance.value, seed.value, rule=rule)
        image.value = figure.update(view).png()

    for control in (n_way, k_shot, distance, seed, which):
        control.observe(redraw, names="value")
    button.on_click(lambda _: setattr(seed, "value", seed.value + 1))
    redraw()
    top = w.HBox([w.VBox([n_way, k_shot]), w.VBox([distance, w.HBox([button, seed])])])
    return w.VBox([top, image] if len(learners) == 1 else [top, which, image])
