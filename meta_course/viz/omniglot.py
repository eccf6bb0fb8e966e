"""Omniglot pictures and the episode explorer of lesson 02.

:func:`alphabet_grid` shows characters of several alphabets; :func:`episode_grid` one N-way K-shot
episode (support on the left, query on the right, one row per label). :func:`episode_view` is the
explorer's plain-Python update (tested directly): alphabet, N, K, Q and a seed → the episode and the
names of its classes. :func:`omniglot_explorer` wires it to ipywidgets (alphabet, N-way, K-shot,
"resample" button).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..core.checks import check_choice, check_int

ANY = "any alphabet (unstructured)"


def montage(images: torch.Tensor, ncols: int, pad: int = 2, value: float = 0.15) -> torch.Tensor:
    """Tile ``images [n, S, S]`` (float, ink high) into one ``[rows·(S+pad), ncols·(S+pad)]`` array."""
    n, s = images.shape[0], images.shape[-1]
    rows = max(1, -(-n // ncols))
    out = torch.full((rows * (s + pad) + pad, ncols * (s + pad) + pad), value)
    for i in range(n):
        r, c = divmod(i, ncols)
        out[pad + r * (s + pad): pad + r * (s + pad) + s, pad + c * (s + pad): pad + c * (s + pad) + s] = images[i]
    return out


def _figure(figsize, dpi=72):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # not pyplot: the notebook shows the figure when it is returned

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def alphabet_grid(split, n_chars: int = 12, drawing: int = 0, alphabets=None, dpi: int = 72):
    """One row per alphabet: its first ``n_chars`` characters (drawing number ``drawing``).

    Args:
        split: an :class:`~meta_course.tasks.omniglot.OmniglotSplit`.
        alphabets: names to show (default: all of the split's).
    """
    alphabets = list(split.alphabets if alphabets is None else alphabets)
    for a in alphabets:
        check_choice("alphabet", a, split.alphabets, "Use a name from split.alphabets.")
    check_int("drawing", drawing, 0, 19, "Each character has 20 drawings: 0..19.")
    counts = split.chars_per_alphabet()
    rows = []
    for a in alphabets:
        idx = (split.alphabet_of == split.alphabets.index(a)).nonzero().flatten()[:n_chars]
        imgs = split.images[idx, drawing].float() / 255
        if len(idx) < n_chars:
            imgs = torch.cat([imgs, torch.zeros(n_chars - len(idx), *imgs.shape[1:])])
        rows.append(imgs)
    grid = montage(torch.cat(rows), n_chars)
    fig = _figure((0.45 * n_chars + 2.2, 0.45 * len(alphabets) + 0.4), dpi)
    ax = fig.add_axes([0.25, 0.02, 0.74, 0.96])
    ax.imshow(grid.numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    s = split.images.shape[-1] + 2
    ax.set_yticks([2 + s * i + s / 2 - 1 for i in range(len(alphabets))],
                  [f"{a} ({counts[a]})" for a in alphabets], fontsize=8)
    ax.set_xticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    return fig


def episode_grid(episode, class_names=None, max_query: int = 5, title: str = "", dpi: int = 72):
    """One episode (an :class:`~meta_course.tasks.Episode` of a *single* task): a row per label, its K
    support drawings on the left and up to ``max_query`` query drawings on the right."""
    xs, ys, xq, yq = episode
    if xs.dim() != 4:
        raise ValueError(f"episode_grid shows one task: x_support must be [N*K, 1, S, S], got {tuple(xs.shape)}; "
                         f"pass episode.task(i).")
    labels = sorted(set(ys.tolist()))
    k = int((ys == labels[0]).sum())
    q = min(max_query, int((yq == labels[0]).sum()))
    sup = torch.cat([xs[ys == c][:, 0] for c in labels])
    qry = torch.cat([xq[yq == c][:q, 0] for c in labels])
    names = class_names or [""] * len(labels)
    label_w = 0.062 * max(len(f"{c}: {n}") for c, n in zip(labels, names)) + 0.25  # inches for the row labels
    width = label_w + 0.5 * (k + q) + 0.4
    fig = _figure((width, 0.5 * len(labels) + 0.7), dpi)
    widths = [k, q]
    left, bottom, height = label_w / width, 0.03, 0.85
    span = 1 - left - 0.01
    for j, (imgs, ncol, name) in enumerate(((sup, k, f"support (K={k})"), (qry, q, f"query ({q} shown)"))):
        x0 = left + span * sum(widths[:j]) / sum(widths) + 0.01 * j
        ax = fig.add_axes([x0, bottom, span * ncol / sum(widths) - 0.01, height])
        ax.imshow(montage(imgs, ncol).numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        s = xs.shape[-1] + 2
        if j == 0:
            ax.set_yticks([2 + s * i + s / 2 - 1 for i in range(len(labels))],
                          [f"{c}: {n}" for c, n in zip(labels, names)], fontsize=8)
        else:
            ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=9, x=left + span / 2, y=0.995, va="top")
    return fig


@dataclass
class EpisodeView:
    """What one frame of the explorer shows."""

    episode: object          # Episode of one task
    class_names: list        # "Alphabet/characterNN" of labels 0..N-1
    alphabet: str            # the chosen alphabet, or ANY
    title: str


def episode_view(split, alphabet: str = ANY, n_way: int = 5, k_shot: int = 1, q_query: int = 5,
                 seed: int = 0) -> EpisodeView:
    """The explorer's update: sample one N-way K-shot episode from ``split`` (one alphabet or any).

    Raises ValueError (naming the limit) when the alphabet has fewer than N characters or K+Q > 20.

    Example:
        >>> from meta_course.tasks.omniglot import load_split  # doctest: +SKIP
        >>> v = episode_view(load_split("minimal"), "Greek", n_way=5, k_shot=1, seed=0)  # doctest: +SKIP
        >>> len(v.class_names), v.episode.x_support.shape  # doctest: +SKIP
        (5, torch.Size([5, 1, 28, 28]))
    """
    from ..tasks.omniglot import OmniglotTasks

    check_choice("alphabet", alphabet, [ANY, *split.alphabets], "Pick one of the split's alphabets.")
    data = split if alphabet == ANY else split.select(split.alphabet_of == split.alphabets.index(alphabet),
                                                     f"{split.name}:{alphabet}")
    tasks = OmniglotTasks(n_way=n_way, k_shot=k_shot, q_query=q_query, data=data)
    classes, drawings = tasks.sample_indices(torch.Generator().manual_seed(int(seed)), 1)
    ep = tasks.episodes(classes, drawings).task(0)
    names = [data.characters[c] for c in classes[0].tolist()]
    where = "classes from any alphabet" if alphabet == ANY else f"all classes from {alphabet}"
    return EpisodeView(ep, names, alphabet, f"{n_way}-way {k_shot}-shot, {where} (seed {seed})")


def omniglot_explorer(split, n_way: int = 5, k_shot: int = 1, q_query: int = 5):
    """Alphabet dropdown, N-way and K-shot sliders and a "resample" button → the episode grid.

    Each change calls :func:`episode_view` and swaps a PNG into an ``ipywidgets.Image``; an
    impossible choice (N larger than the alphabet) shows the error message instead. Returns the box.
    """
    import io

    import ipywidgets as w

    alphabet = w.Dropdown(options=[ANY, *split.alphabets], value=ANY, description="alphabet")
    n = w.IntSlider(value=n_way, min=1, max=20, description="N-way")
    k = w.IntSlider(value=k_shot, min=1, max=10, description="K-shot")
    seed = w.IntText(value=0, description="seed", layout=w.Layout(width="160px"))
    button = w.Button(description="resample", icon="refresh")
    image, message = w.Image(format="png"), w.HTML()

    def redraw(*_):
        try:
            view = episode_view(split, alphabet.value, n.value, k.value, q_query, seed.value)
        except ValueError as err:  # shown to the reader, who moves a slider back
            message.value = f"<span style='color:#b00'>{err}</span>"
            return
        message.value = ""
        buf = io.BytesIO()
        episode_grid(view.episode, view.class_names, title=view.title).savefig(buf, format="png")
        image.value = buf.getvalue()

    for widget in (alphabet, n, k, seed):
        widget.observe(redraw, names="value")
    button.on_click(lambda _: setattr(seed, "value", seed.value + 1))
    redraw()
    return w.VBox([w.HBox([alphabet, n, k]), w.HBox([button, seed]), message, image])


__all__ = ["ANY", "EpisodeView", "alphabet_grid", "episode_grid", "episode_view", "montage", "omniglot_explorer"]
