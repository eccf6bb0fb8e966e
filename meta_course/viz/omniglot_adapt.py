"""The Omniglot adaptation explorer of lesson 07: MAML vs the transfer baseline, step by step.

:func:`omniglot_adaptation` is the plain-Python update (tested directly): it adapts each learner on
one held-out episode for ``0..max_steps`` inner steps and keeps every query prediction.
:func:`omniglot_frame` picks what one slider position shows. :class:`OmniglotFigure` draws a frame
(support images; every query image framed green when the learner is right and red when wrong; accuracy
per inner step with a marker at the slider's step). :func:`omniglot_explorer` wires seed / resample /
inner-steps controls to them with the PNG-into-``ipywidgets.Image`` pattern of :mod:`meta_course.viz.sine`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..core.checks import check_int
from ..core.device import module_device
from ..core.heads import infer_n_way
from ..tasks import Episode

COLORS = {"maml": "tab:green", "fomaml": "tab:cyan", "meta-sgd": "tab:purple", "reptile": "tab:brown",
          "transfer": "tab:orange"}
RIGHT, WRONG = (0.10, 0.65, 0.20), (0.85, 0.10, 0.10)


def held_out_episode(seed: int, n_way: int = 5, k_shot: int = 1, q_query: int = 3, split: str = "minimal",
                     part: str = "test", root=None) -> Episode:
    """One N-way K-shot episode of the held-out alphabets (``minimal``/``test`` = Sanskrit), from ``seed``.

    Example:
        >>> ep = held_out_episode(0)                       # doctest: +SKIP
        >>> ep.x_support.shape, ep.x_query.shape           # doctest: +SKIP
        (torch.Size([5, 1, 28, 28]), torch.Size([15, 1, 28, 28]))
    """
    from ..tasks.omniglot import OmniglotTasks

    check_int("seed", seed, 0, 2**62, "Any non-negative integer picks an episode.")
    tasks = _tasks(split, part, n_way, k_shot, q_query, root)
    return tasks.sample(torch.Generator().manual_seed(int(seed)), 1).task(0)


_TASKS: dict = {}


def _tasks(split, part, n_way, k_shot, q_query, root):
    from ..tasks.omniglot import OmniglotTasks

    key = (split, part, n_way, k_shot, q_query, str(root))
    if key not in _TASKS:  # loading the split once keeps a slider move fast
        _TASKS[key] = OmniglotTasks(split, part, n_way=n_way, k_shot=k_shot, q_query=q_query, root=root)
    return _TASKS[key]


@dataclass
class OmniglotAdaptation:
    """Everything the explorer shows for one episode, for every inner step ``0..max_steps``."""

    episode: Episode
    predictions: dict[str, torch.Tensor]   # learner → LongTensor [max_steps + 1, n_query] (argmax)
    accuracy: dict[str, list[float]]       # learner → query accuracy after 0..max_steps steps

    @property
    def max_steps(self) -> int:
        return len(next(iter(self.accuracy.values()))) - 1


def omniglot_adaptation(learners: dict, episode: Episode, max_steps: int = 10,
                        knobs: dict | None = None) -> OmniglotAdaptation:
    """Adapt every learner on ``episode``'s support set and score its query set after each step.

    Args:
        learners: ``{"maml": learner, "transfer": learner, ...}``; each has ``adapt(x_support,
            y_support, inner_steps=, n_way=)`` returning a predictor with a ``trajectory``.
        episode: one task (no leading task dimension), e.g. from :func:`held_out_episode`.
        max_steps: the last inner step computed (the slider's range).
        knobs: per-learner extra ``adapt`` knobs, e.g. ``{"maml": {"inner_lr": 0.4}}``.

    Example:
        >>> from meta_course.learners import load_learner          # doctest: +SKIP
        >>> from meta_course.checkpoints import checkpoint_path       # doctest: +SKIP
        >>> maml = load_learner(checkpoint_path("maml_omniglot"))     # doctest: +SKIP
        >>> res = omniglot_adaptation({"maml": maml}, held_out_episode(0), max_steps=5)  # doctest: +SKIP
        >>> len(res.accuracy["maml"])                                 # doctest: +SKIP
        6
    """
    check_int("max_steps", max_steps, 0, 1000, "Use 0 (no adaptation) to about 50.")
    if episode.x_support.dim() != 4:
        raise ValueError(f"episode.x_support has shape {tuple(episode.x_support.shape)}: pass one task "
                         "[N*K, 1, S, S] (e.g. episodes.task(0)), not a batch.")
    n_way = infer_n_way(episode.y_support)
    predictions, accuracy = {}, {}
    with torch.no_grad():  # torch.func.grad inside adapt still differentiates
        for name, learner in learners.items():
            extra = (knobs or {}).get(name, {})
            dev = module_device(learner)  # adapt where the learner lives (a GPU on Colab)
            predictor = learner.adapt(episode.x_support.to(dev), episode.y_support.to(dev), inner_steps=max_steps,
                                      n_way=n_way, **extra)
            x_query = episode.x_query.to(dev)
            preds = torch.stack([at_step(x_query).argmax(-1).cpu() for at_step in predictor.info["path"]])
            predictions[name] = preds
            accuracy[name] = (preds == episode.y_query).double().mean(1).tolist()
    return OmniglotAdaptation(episode, predictions, accuracy)


@dataclass
class OmniglotFrame:
    """What one slider position shows: the step, each learner's predictions, which are right, its accuracy."""

    step: int
    predicted: dict[str, torch.Tensor]  # learner → LongTensor [n_query]
    correct: dict[str, torch.Tensor]    # learner → BoolTensor [n_query]
    accuracy: dict[str, float]


def omniglot_frame(res: OmniglotAdaptation, step: int) -> OmniglotFrame:
    """The frame after ``step`` inner steps (0 = before adaptation)."""
    check_int("step", step, 0, res.max_steps, f"The episode was adapted for {res.max_steps} steps; move the "
              "slider within that range or recompute with a larger max_steps.")
    y = res.episode.y_query
    predicted = {n: p[step] for n, p in res.predictions.items()}
    correct = {n: p == y for n, p in predicted.items()}
    return OmniglotFrame(step, predicted, correct, {n: res.accuracy[n][step] for n in res.accuracy})


def mosaic(images: torch.Tensor, frame_colors=None, columns: int | None = None, border: int = 2) -> np.ndarray:
    """Tile ``[n, 1, S, S]`` images (ink high, in [0, 1]) into one RGB array, ink dark on white, each
    image framed in its colour (``None`` → light grey)."""
    n, _, s, _ = images.shape
    columns = columns or n
    rows = -(-n // columns)
    cell = s + 2 * border
    out = np.ones((rows * cell, columns * cell, 3))
    for i in range(n):
        r, c = divmod(i, columns)
        color = frame_colors[i] if frame_colors is not None else (0.8, 0.8, 0.8)
        out[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell] = color
        ink = 1.0 - images[i, 0].clamp(0, 1).numpy()
        out[r * cell + border:r * cell + border + s, c * cell + border:c * cell + border + s] = ink[..., None]
    return out


def class_grid(episode: Episode) -> torch.Tensor:
    """Query indices arranged ``[n_query_per_class, n_way]``: column c holds the query items of class c,
    so each column sits under its support image."""
    n_way = infer_n_way(episode.y_support)
    order = torch.argsort(episode.y_query, stable=True)
    per_class = len(order) // n_way
    if per_class * n_way != len(order):
        raise ValueError(f"{len(order)} query items cannot be split evenly over {n_way} classes.")
    return order.view(n_way, per_class).T


class OmniglotFigure:
    """Per learner: the support images (top row, one per class) and under each the query items of that
    class, framed green when the learner is right and red when wrong; right: accuracy per inner step.
    Built once; :meth:`update` only swaps data."""

    def __init__(self, names, dpi: int = 72, figsize=(10, 3.8)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.names = list(names)
        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        axes = self.fig.subplots(1, len(self.names) + 1, gridspec_kw={"width_ratios": [1] * len(self.names) + [1.3]})
        self.ax_images = dict(zip(self.names, axes[:-1]))
        self.ax_acc = axes[-1]
        for ax in self.ax_images.values():
            ax.set_xticks([])
            ax.set_yticks([])
        self.images = {n: ax.imshow(np.ones((2, 2, 3)), interpolation="nearest") for n, ax in self.ax_images.items()}
        self.curves = {n: self.ax_acc.plot([], [], "o-", ms=3, color=COLORS.get(n), label=n)[0] for n in self.names}
        self.marker = self.ax_acc.axvline(0, color="gray", ls=":")
        self.chance = self.ax_acc.axhline(0.2, color="black", lw=0.8, ls="--", label="chance")
        self.ax_acc.set(xlabel="inner steps", ylabel="query accuracy", ylim=(-0.02, 1.02))
        self.ax_acc.grid(alpha=0.3)
        self.ax_acc.legend(fontsize=8, loc="lower right")
        self.fig.tight_layout()

    def update(self, res: OmniglotAdaptation, frame: OmniglotFrame) -> "OmniglotFigure":
        ep = res.episode
        n_way = infer_n_way(ep.y_support)
        support = ep.x_support[torch.argsort(ep.y_support, stable=True)][::max(1, len(ep.y_support) // n_way)]
        grid = class_grid(ep).flatten()
        for name, im in self.images.items():
            ok = frame.correct[name][grid].tolist()
            top = mosaic(support[:n_way], [(0.55, 0.55, 0.55)] * n_way, columns=n_way)
            bottom = mosaic(ep.x_query[grid], [RIGHT if v else WRONG for v in ok], columns=n_way)
            gap = np.ones((6, top.shape[1], 3))
            arr = np.concatenate([top, gap, bottom])
            im.set_data(arr)
            im.set_extent((-0.5, arr.shape[1] - 0.5, arr.shape[0] - 0.5, -0.5))
            self.ax_images[name].set_title(f"{name}, {frame.step} steps: {frame.accuracy[name]:.0%}", fontsize=9)
        self.ax_images[self.names[0]].set_ylabel("support / query", fontsize=8)
        for name, line in self.curves.items():
            line.set_data(range(res.max_steps + 1), res.accuracy[name])
        self.chance.set_ydata([1 / n_way, 1 / n_way])
        self.marker.set_xdata([frame.step, frame.step])
        self.ax_acc.set_xlim(-0.5, max(res.max_steps, 1) + 0.5)
        return self

    def png(self) -> bytes:
        """The figure as PNG bytes (:func:`meta_course.viz.figure_png`)."""
        from . import figure_png

        return figure_png(self.fig)


def plot_omniglot_adaptation(res: OmniglotAdaptation, step: int, dpi: int = 72) -> OmniglotFigure:
    """An :class:`OmniglotFigure` showing ``res`` after ``step`` inner steps (``.fig`` is the figure)."""
    return OmniglotFigure(list(res.accuracy), dpi=dpi).update(res, omniglot_frame(res, step))


def omniglot_explorer(learners: dict, max_steps: int = 10, n_way: int = 5, q_query: int = 3, knobs: dict | None = None,
                      root=None):
    """A seed box, a "new episode" button and an inner-steps slider over held-out Omniglot episodes.

    A new seed adapts every learner once for ``max_steps`` steps (:func:`omniglot_adaptation`); moving
    the steps slider only redraws (:func:`omniglot_frame`). Returns the widget box; display it.
    """
    import ipywidgets as w

    seed = w.IntText(value=0, description="episode seed", layout=w.Layout(width="200px"))
    button = w.Button(description="new episode", icon="refresh")
    steps = w.IntSlider(value=min(3, max_steps), min=0, max=max_steps, description="inner steps")
    image = w.Image(format="png")
    figure = OmniglotFigure(list(learners))
    state = {}

    def redraw(*_):
        image.value = figure.update(state["res"], omniglot_frame(state["res"], steps.value)).png()

    def new_episode(*_):
        episode = held_out_episode(seed.value, n_way=n_way, q_query=q_query, root=root)
        state["res"] = omniglot_adaptation(learners, episode, max_steps, knobs)
        redraw()

    def next_seed(_):
        seed.value += 1  # triggers new_episode through the observer below

    seed.observe(new_episode, names="value")
    steps.observe(redraw, names="value")
    button.on_click(next_seed)
    new_episode()
    return w.VBox([w.HBox([seed, button, steps]), image])
