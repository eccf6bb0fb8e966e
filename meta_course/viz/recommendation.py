"""The cold-start widget of lesson 16: rate a few items as a new user and watch the recommendations change.

:func:`recommend` is the plain-Python update (tested directly): given the age group and the ratings the
user has given so far, it adapts every recommender on them and returns each one's predicted rating of
every catalogue item, its top-k unrated items and its mean predicted rating per genre.
:class:`RecommendationFigure` draws the genre profile; :func:`recommendation_explorer` wires a slider
per probe item (0 = not rated) and an age menu to both.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import torch

from ..core.checks import check_int
from ..core.device import module_device
from ..tasks.recommendation import AGE_GROUPS, GENRES, RecommendationTasks

COLORS = {"global model": "tab:gray", "fine-tuning": "tab:orange", "MAML": "tab:green"}


@dataclass
class RecommendationFrame:
    """Everything one widget frame shows."""

    rated: dict                      # item index -> rating given
    predictions: dict                # recommender -> predicted rating of every item [M]
    top: dict                        # recommender -> the k unrated items with the highest prediction
    genre_means: dict                # recommender -> mean prediction over the items of each genre [G]
    names: tuple                     # item names


def probe_items(tasks: RecommendationTasks = RecommendationTasks()) -> list[int]:
    """One single-genre item per genre, the one with the median critics' score: what the widget lets a new
    user rate (deterministic, so every learner sees the same choices)."""
    cat = tasks.catalogue
    single = cat.genres.max(1).values == 1.0
    out = []
    for j in range(len(GENRES)):
        items = (single & (cat.genres[:, j] == 1.0)).nonzero().flatten()
        order = cat.critics[items].argsort()
        out.append(int(items[order[len(order) // 2]]))
    return out


def recommend(recommenders: dict, age: int, ratings: dict, k: int = 5,
              tasks: RecommendationTasks = RecommendationTasks()) -> RecommendationFrame:
    """Adapt each recommender to a new user's ratings and rank the catalogue.

    Args:
        recommenders: ``{name: (learner, knobs)}`` (e.g. from
            :func:`meta_course.bench.recommendation.load_recommenders`); each learner is adapted with its
            knobs on the rated items. With no rating, no step is taken: each predicts its starting point.
        age: index into :data:`~meta_course.tasks.recommendation.AGE_GROUPS`.
        ratings: ``{item index: rating 1..5}`` the user has given.
        k: how many recommendations to list (unrated items only).

    Example:
        >>> from meta_course.bench.recommendation import load_recommenders
        >>> frame = recommend(load_recommenders(), age=0, ratings={3: 5.0}, k=3)
        >>> sorted(frame.top), len(frame.top["MAML"])
        (['MAML', 'fine-tuning', 'global model'], 3)
    """
    check_int("k", k, 1, tasks.n_items - len(ratings), "List at most as many items as are left unrated.")
    items, values = list(ratings), [ratings[i] for i in ratings]
    if items:
        episode = tasks.new_user(age, items, values)
    else:  # no rating yet: a dummy support set, never stepped on
        episode = tasks.new_user(age, [0], [3.0])
    cat = tasks.catalogue
    genre_weight = cat.genres / cat.genres.sum(0, keepdim=True)   # [M, G], each column sums to 1
    predictions, top, genre_means = {}, {}, {}
    with torch.no_grad():  # torch.func.grad inside adapt still differentiates
        for name, (learner, knobs) in recommenders.items():
            knobs = dict(knobs) if items else {**knobs, "inner_steps": 0}
            dev = module_device(learner)  # adapt where the learner lives (a GPU on Colab)
            pred = learner.adapt(episode.x_support.to(dev), episode.y_support.to(dev), **knobs)(
                episode.x_query.to(dev))[:, 0].cpu()
            predictions[name] = pred
            masked = pred.clone()
            masked[items] = -float("inf")
            top[name] = masked.argsort(descending=True, stable=True)[:k].tolist()
            genre_means[name] = genre_weight.T @ pred
    return RecommendationFrame(dict(ratings), predictions, top, genre_means, cat.names)


def top_table_html(frame: RecommendationFrame) -> str:
    """The top-k lists side by side as an HTML table (item name and predicted rating)."""
    names = list(frame.top)
    head = "".join(f"<th style='padding:2px 10px'>{html.escape(n)}</th>" for n in names)
    rows = []
    for r in range(len(frame.top[names[0]])):
        cells = []
        for n in names:
            i = frame.top[n][r]
            cells.append(f"<td style='padding:2px 10px'>{html.escape(frame.names[i])} "
                         f"({float(frame.predictions[n][i]):.1f}★)</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


class RecommendationFigure:
    """Mean predicted rating per genre, one bar group per genre and one bar per recommender."""

    def __init__(self, names, dpi: int = 72, figsize=(8, 3)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.ax = self.fig.subplots()
        width = 0.8 / len(names)
        x = list(range(len(GENRES)))
        self.bars = {n: self.ax.bar([j + (i - (len(names) - 1) / 2) * width for j in x], [0.0] * len(GENRES), width,
                                    color=COLORS.get(n), label=n) for i, n in enumerate(names)}
        self.ax.set_xticks(x, GENRES, fontsize=8)
        self.ax.set(ylabel="mean predicted rating", ylim=(1, 5))
        self.ax.legend(fontsize=8, loc="upper right")
        self.fig.tight_layout()

    def update(self, frame: RecommendationFrame) -> "RecommendationFigure":
        for name, bars in self.bars.items():
            for bar, v in zip(bars, frame.genre_means[name].tolist()):
                bar.set_height(v)
        self.ax.set_title(f"{len(frame.rated)} rating(s) given", fontsize=9)
        return self

    def png(self) -> bytes:
        from . import figure_png

        return figure_png(self.fig)


def plot_recommendation(frame: RecommendationFrame, dpi: int = 72) -> RecommendationFigure:
    """A :class:`RecommendationFigure` showing ``frame`` (``.fig`` is the matplotlib figure)."""
    return RecommendationFigure(list(frame.predictions), dpi=dpi).update(frame)


def recommendation_explorer(recommenders: dict, k: int = 5, tasks: RecommendationTasks = RecommendationTasks()):
    """An age menu and one rating slider (0 = not rated, 1–5 stars) per probe item; every move calls
    :func:`recommend` and refreshes the genre chart and the top-k lists. Returns the box; display it."""
    import ipywidgets as w

    cat = tasks.catalogue
    probes = probe_items(tasks)
    age = w.Dropdown(options=[(a, i) for i, a in enumerate(AGE_GROUPS)], value=1, description="age group")
    sliders = {i: w.IntSlider(value=0, min=0, max=5, description=cat.names[i], style={"description_width": "120px"},
                              layout=w.Layout(width="330px")) for i in probes}
    image, table = w.Image(format="png"), w.HTML()
    figure = RecommendationFigure(list(recommenders))

    def redraw(*_):
        ratings = {i: float(s.value) for i, s in sliders.items() if s.value > 0}
        frame = recommend(recommenders, age.value, ratings, k=k, tasks=tasks)
        image.value = figure.update(frame).png()
        table.value = top_table_html(frame)

    for control in [age, *sliders.values()]:
        control.observe(redraw, names="value")
    redraw()
    controls = w.VBox([age, w.Label("rate a few items (0 = not rated):"), *sliders.values()])
    return w.HBox([controls, w.VBox([image, table])])
