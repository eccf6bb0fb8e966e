"""One run of Lake's one-shot benchmark, drawn: the 20 training images, a test item, and the training
image a method assigned to it (green frame if right, red if wrong, the correct one framed dashed green).

:func:`run_item_view` is the plain-Python part (what the figure shows, unit-tested); :func:`plot_run`
draws it with matplotlib.

Example:
    >>> from meta_course.tasks.lake_runs import load_runs, default_runs_path, evaluate_run, mhd_scorer
    >>> run = load_runs(default_runs_path(), runs="run01")[0]                  # doctest: +SKIP
    >>> res = evaluate_run(mhd_scorer, run)                                   # doctest: +SKIP
    >>> fig = plot_run(run, res["assigned"], item=0, title="MHD")             # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..core.checks import check_int

RIGHT, WRONG = "tab:green", "tab:red"


@dataclass(frozen=True)
class RunItemView:
    """What :func:`plot_run` shows for one test item."""

    item: int                  # index of the test item (0..19)
    answer: int                # index of its correct training image
    assigned: int | None       # index the method chose (None: no method, only the answer is shown)
    right: bool | None         # assigned == answer (None without a method)
    frames: dict[int, tuple[str, str]]  # training index → (colour, line style) of its frame
    caption: str               # text under the assigned image


def _label(run, j: int) -> str:
    if run.train_files:
        return run.train_files[j].rsplit("/", 1)[-1].removesuffix(".png")
    return f"class{j + 1:02d}"


def run_item_view(run, assigned=None, item: int = 0) -> RunItemView:
    """Which training images to frame, in which colour, and the caption, for test ``item`` of ``run``.

    Args:
        run: a :class:`meta_course.tasks.lake_runs.Run`.
        assigned: the method's choice for every test item (``evaluate_run(...)["assigned"]``), or None.
        item: which test item (0-based).
    """
    n = len(run.test)
    check_int("item", item, 0, n - 1, f"Pick a test item of {run.name}: 0..{n - 1}.")
    answer = int(run.answer[item])
    if assigned is None:
        return RunItemView(item, answer, None, None, {answer: (RIGHT, "-")}, f"answer: {_label(run, answer)}")
    assigned = torch.as_tensor(assigned).flatten()
    if len(assigned) != n:
        raise ValueError(f"assigned has {len(assigned)} entries; {run.name} has {n} test items (one choice each).")
    chosen = int(assigned[item])
    check_int("assigned[item]", chosen, 0, len(run.train) - 1, "Choices index the training images.")
    if chosen == answer:
        return RunItemView(item, answer, chosen, True, {chosen: (RIGHT, "-")}, f"assigned {_label(run, chosen)}: right")
    return RunItemView(item, answer, chosen, False, {chosen: (WRONG, "-"), answer: (RIGHT, "--")},
                       f"assigned {_label(run, chosen)}: wrong\n(answer {_label(run, answer)})")


def _frame(ax, colour=None, style="-", width=3.0):
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(colour is not None)
        if colour is not None:
            spine.set_color(colour)
            spine.set_linestyle(style)
            spine.set_linewidth(width)


def plot_run(run, assigned=None, item: int = 0, title: str | None = None, fig=None):
    """Draw ``run``'s 20 training images (4×5), test ``item``, and the image assigned to it.

    Args:
        run: a :class:`~meta_course.tasks.lake_runs.Run`.
        assigned: the method's choices for all test items (``evaluate_run(...)["assigned"]``) or None.
        item: test item to show (0-based).
        title: e.g. the method's name and error; the run's name is always shown.
        fig: a matplotlib figure to draw into (cleared), e.g. for a widget; default a new one.

    Returns:
        the figure. Its axes: 20 training images (in class order), then the test item, then the assigned
        (or correct) image.
    """
    import matplotlib.pyplot as plt

    view = run_item_view(run, assigned, item)
    if fig is None:
        fig = plt.figure(figsize=(9.5, 5.2))
    else:
        fig.clear()
    gs = fig.add_gridspec(4, 8, width_ratios=[1, 1, 1, 1, 1, 0.25, 1.6, 0.15], wspace=0.12, hspace=0.35)
    show = dict(cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
    for j in range(len(run.train)):
        ax = fig.add_subplot(gs[j // 5, j % 5])
        ax.imshow(run.train[j].numpy(), **show)
        ax.set_title(_label(run, j), fontsize=7, pad=2)
        _frame(ax, *view.frames.get(j, (None, "-")))
    ax = fig.add_subplot(gs[0:2, 6])
    ax.imshow(run.test[item].numpy(), **show)
    name = run.test_files[item].rsplit("/", 1)[-1].removesuffix(".png") if run.test_files else f"item{item + 1:02d}"
    ax.set_title(f"test {name}", fontsize=9)
    _frame(ax, "black", "-", 1.5)
    shown = view.answer if view.assigned is None else view.assigned
    ax = fig.add_subplot(gs[2:4, 6])
    ax.imshow(run.train[shown].numpy(), **show)
    ax.set_xlabel(view.caption, fontsize=9, color={True: RIGHT, False: WRONG}.get(view.right, "black"))
    _frame(ax, *view.frames[shown])
    fig.suptitle(f"{run.name}" + (f" — {title}" if title else "") + ": which training image matches the test item?",
                 fontsize=10)
    return fig


def assigned_for(results: dict | None, run_name: str):
    """The ``assigned`` list of ``run_name`` in an :func:`~meta_course.tasks.lake_runs.evaluate_runs` result."""
    if results is None:
        return None
    for r in results["per_run"]:
        if r["run"] == run_name:
            return r["assigned"]
    have = [r["run"] for r in results["per_run"]]
    raise ValueError(f"no result for {run_name!r} (have {have}): evaluate that run first.")


def run_png(runs, results: dict, method: str | None, run_name: str, item: int, fig=None, dpi: int = 72) -> bytes:
    """The explorer's update: PNG of :func:`plot_run` for ``run_name``, test ``item``, ``method``'s choices.

    Args:
        runs: list of runs; results: ``{method: evaluate_runs(...)}``; method: a key of results, or None for
        "answer only"; item: 0-based test item; fig: a figure to redraw in place.
    """
    import io

    by_name = {r.name: r for r in runs}
    from ..core.checks import check_choice
    check_choice("run", run_name, list(by_name), "Pick one of the loaded runs.")
    if method is not None:
        check_choice("method", method, list(results), "Pick an evaluated method (or None for the answers).")
    res = results.get(method) if method is not None else None
    title = None
    if res is not None:
        err = next(r["error_percent"] for r in res["per_run"] if r["run"] == run_name)
        title = f"{method}: {err:.0f}% error on this run, {res['mean_error_percent']:.1f}% mean"
    fig = plot_run(by_name[run_name], assigned_for(res, run_name), item, title=title, fig=fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def runs_explorer(runs, results: dict):
    """Dropdowns (method, run) and a test-item slider over :func:`run_png`; returns the widget box."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    method = w.Dropdown(options=[("answer only", None), *[(m, m) for m in results]],
                        value=next(iter(results), None), description="method")
    run = w.Dropdown(options=[r.name for r in runs], description="run")
    item = w.IntSlider(value=1, min=1, max=len(runs[0].test), description="test item")
    image = w.Image(format="png")
    with plt.ioff():
        fig = plt.figure(figsize=(9.5, 5.2))

    def redraw(*_):
        image.value = run_png(runs, results, method.value, run.value, item.value - 1, fig=fig)

    for c in (method, run, item):
        c.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([method, run, item]), image])


__all__ = ["RunItemView", "run_item_view", "plot_run", "run_png", "runs_explorer", "assigned_for", "RIGHT", "WRONG"]
