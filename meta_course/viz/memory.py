"""Widgets of lessons 08 and 09: a MANN stepping through one episode, and the copy task beyond its
training lengths.

- :func:`mann_episode` runs learners on one held-out label-offset episode (plain Python, tested);
  :func:`mann_step` is the frame at step t (image, predictions, the MANN's read and write weights,
  usage, the correct/wrong record so far); :class:`MannFigure` draws it; :func:`mann_explorer` wires a
  step slider and a "new episode" button to it.
- :func:`copy_view` copies one random sequence of a chosen length with every learner and keeps the
  outputs, their wrong bits and the memory weightings over time; :class:`CopyFigure` draws it;
  :func:`copy_explorer` wires a length slider and a "new sequence" button.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import Tensor

from ..core.checks import check_int

COLORS = {"mann": "tab:green", "lstm": "tab:orange", "ntm": "tab:blue", "dnc": "tab:purple"}


# --------------------------------------------------------------------------------------------- MANN episode
@dataclass
class MannEpisode:
    """One episode read by each learner: everything every step of the widget shows."""

    images: Tensor             # [S, s, s]
    labels: Tensor             # [S]
    instance: Tensor           # [S]
    probs: dict                # name → [S, C] predicted probabilities (made before the label was shown)
    w_read: Tensor | None      # [S, H, N] the MANN's read weights (None without a MANN)
    w_write: Tensor | None     # [S, H, N]
    usage: Tensor | None       # [S, N]

    @property
    def steps(self) -> int:
        return self.labels.shape[0]


@dataclass
class MannStep:
    """Frame ``t`` (0-based) of a :class:`MannEpisode`."""

    t: int
    image: Tensor
    label: int
    instance: int
    probs: dict                # name → [C]
    predicted: dict            # name → int
    correct: dict              # name → [t+1] bool, steps 0..t
    accuracy_by_instance: dict  # name → [max instance] accuracy over steps 0..t (nan where unseen)
    w_read: Tensor | None      # [H, N]
    w_write: Tensor | None     # [H, N]
    usage: Tensor | None       # [N]


@functools.lru_cache(maxsize=8)
def _sequences(part: str, size: int):
    from ..tasks.sequences import OmniglotSequences
    return OmniglotSequences("minimal", part, rotations=False, size=size)


def mann_episode(learners: dict, part: str = "test", seed: int = 0, episode=None) -> MannEpisode:
    """Run every learner (``{"mann": ..., "lstm": ...}``) on one held-out episode (or ``episode``, a
    :class:`~meta_course.tasks.sequences.LabelledSequences` with one episode).

    Example:
        >>> from meta_course.learners.memory.mann import MANN
        >>> from meta_course.tasks.sequences import LabelledSequences, instance_index
        >>> y = torch.tensor([[0, 1, 0, 1]]); ep = LabelledSequences(torch.rand(1, 4, 1, 5, 5), y, instance_index(y))
        >>> m = MANN(n_classes=2, image_size=5, memory_slots=6, memory_width=3, read_heads=1, hidden_size=4)
        >>> mann_episode({"mann": m}, episode=ep).w_read.shape
        torch.Size([4, 1, 6])
    """
    if not learners:
        raise ValueError("learners is empty: pass e.g. {'mann': mann, 'lstm': lstm}.")
    sizes = {learner.image_size for learner in learners.values()}
    if len(sizes) != 1:
        raise ValueError(f"the learners take images of sizes {sorted(sizes)}: show learners with the same input.")
    if episode is None:
        episode = _sequences(part, sizes.pop()).sample(torch.Generator().manual_seed(int(seed)), 1)
    x, y = episode.x[0], episode.y[0]
    probs, memory = {}, None
    for name, learner in learners.items():
        device = next(learner.parameters()).device
        info = {k: v.cpu() for k, v in learner.adapt(x.to(device), y.to(device)).info.items()}
        probs[name] = torch.softmax(info["logits"], -1)
        if "w_read" in info and memory is None:
            memory = info
    get = (lambda k: memory[k]) if memory is not None else (lambda k: None)
    return MannEpisode(x[:, 0], y, episode.instance[0], probs, get("w_read"), get("w_write"), get("usage"))


def mann_step(ep: MannEpisode, t: int) -> MannStep:
    """The frame at step ``t`` (0-based): what each learner predicted for the image shown at t, and the
    record of steps 0..t.

    Example:
        >>> ep = MannEpisode(torch.zeros(3, 2, 2), torch.tensor([0, 1, 0]), torch.tensor([1, 1, 2]),
        ...                  {"lstm": torch.tensor([[.9, .1], [.2, .8], [.3, .7]])}, None, None, None)
        >>> s = mann_step(ep, 2); s.predicted, s.correct["lstm"].tolist(), s.accuracy_by_instance["lstm"][:2].tolist()
        ({'lstm': 1}, [True, True, False], [1.0, 0.0])
    """
    check_int("t", t, 0, ep.steps - 1, f"The episode has {ep.steps} steps: t = 0..{ep.steps - 1}.")
    n_inst = int(ep.instance.max())
    correct, by_instance, predicted = {}, {}, {}
    for name, p in ep.probs.items():
        ok = p[:t + 1].argmax(-1) == ep.labels[:t + 1]
        correct[name], predicted[name] = ok, int(p[t].argmax())
        inst = ep.instance[:t + 1]
        by_instance[name] = torch.tensor([ok[inst == k].float().mean().item() if (inst == k).any() else float("nan")
                                          for k in range(1, n_inst + 1)])
    pick = (lambda v: v[t] if v is not None else None)
    return MannStep(t, ep.images[t], int(ep.labels[t]), int(ep.instance[t]), {n: p[t] for n, p in ep.probs.items()},
                    predicted, correct, by_instance, pick(ep.w_read), pick(ep.w_write), pick(ep.usage))


class MannFigure:
    """Image and predictions at step t; the MANN's read/write weights over its slots; the record so far."""

    def __init__(self, names, n_classes: int = 5, dpi: int = 72, figsize=(11, 4.6)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.names, self.n_classes = list(names), n_classes
        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        grid = self.fig.add_gridspec(3, 3, width_ratios=[1, 1.3, 3.2], height_ratios=[1, 1, 0.8])
        self.ax_img = self.fig.add_subplot(grid[0:2, 0])
        self.ax_prob = self.fig.add_subplot(grid[0:2, 1])
        self.ax_read = self.fig.add_subplot(grid[0, 2])
        self.ax_write = self.fig.add_subplot(grid[1, 2])
        self.ax_record = self.fig.add_subplot(grid[2, :])

    def update(self, s: MannStep, ep: MannEpisode) -> "MannFigure":
        for ax in (self.ax_img, self.ax_prob, self.ax_read, self.ax_write, self.ax_record):
            ax.clear()
        self.ax_img.imshow(s.image.numpy(), cmap="gray_r")
        self.ax_img.set_title(f"step {s.t + 1}: label {s.label}\n(instance {s.instance} of its class)", fontsize=9)
        self.ax_img.axis("off")
        width = 0.8 / max(1, len(self.names))
        for i, name in enumerate(self.names):
            self.ax_prob.bar((torch.arange(self.n_classes) + i * width - 0.4 + width / 2).numpy(), s.probs[name].numpy(), width,
                             color=COLORS.get(name), label=name)
        self.ax_prob.axvline(s.label, color="black", ls=":", lw=1)
        self.ax_prob.set(ylim=(0, 1), xticks=range(self.n_classes), xlabel="label (dotted: true)",
                         title="predicted before the label is shown")
        self.ax_prob.title.set_fontsize(9)
        self.ax_prob.legend(fontsize=7)
        if s.w_read is not None:
            for ax, w, what in ((self.ax_read, s.w_read, "read"), (self.ax_write, s.w_write, "write")):
                ax.imshow(w.numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=max(float(w.max()), 1e-6),
                          interpolation="nearest")
                ax.set_ylabel("head", fontsize=8)
                ax.set_title(f"MANN {what} weights over the {w.shape[-1]} slots (max {float(w.max()):.2f})",
                             fontsize=9)
                ax.set_yticks(range(w.shape[0]))
            self.ax_write.set_xlabel("memory slot", fontsize=8)
        record = torch.full((len(self.names), ep.steps), float("nan"))
        for i, name in enumerate(self.names):
            record[i, :s.t + 1] = s.correct[name].float()
        self.ax_record.imshow(record.numpy(), aspect="auto", cmap="RdYlGn", vmin=0, vmax=1, interpolation="nearest")
        self.ax_record.set_yticks(range(len(self.names)), self.names, fontsize=8)
        self.ax_record.set_xlabel("step (green: right, red: wrong)", fontsize=8)
        accs = ", ".join(f"{n} {float(s.correct[n].float().mean()):.0%}" for n in self.names)
        self.ax_record.set_title(f"steps 1..{s.t + 1}: {accs}", fontsize=9)
        self.fig.tight_layout()
        return self

    def png(self) -> bytes:
        from . import figure_png
        return figure_png(self.fig)


def mann_explorer(learners: dict, part: str = "test"):
    """A step slider (1..50) and a "new episode" button over :func:`mann_episode` / :func:`mann_step`."""
    import ipywidgets as w

    state = {"episode": mann_episode(learners, part, seed=0)}
    step = w.IntSlider(value=1, min=1, max=state["episode"].steps, description="step")
    seed = w.IntText(value=0, description="episode", layout=w.Layout(width="160px"))
    button = w.Button(description="new episode", icon="refresh")
    image = w.Image(format="png")
    figure = MannFigure(list(learners))

    def redraw(*_):
        image.value = figure.update(mann_step(state["episode"], step.value - 1), state["episode"]).png()

    def new_episode(*_):
        state["episode"] = mann_episode(learners, part, seed=seed.value)
        redraw()

    step.observe(redraw, names="value")
    seed.observe(new_episode, names="value")
    button.on_click(lambda _: setattr(seed, "value", seed.value + 1))
    redraw()
    return w.VBox([w.HBox([step, button, seed]), image])


# --------------------------------------------------------------------------------------------- copy task
@dataclass
class CopyView:
    """One copy of one random sequence by every learner."""

    length: int
    bits: Tensor               # [L, W] the sequence to copy
    outputs: dict              # name → [L, W] output probabilities in the answer phase
    wrong: dict                # name → [L, W] bool
    errors: dict               # name → int, wrong bits
    w_write: dict              # name → [2L+1, N] write weightings over time (memory learners)
    w_read: dict               # name → [2L+1, N]


def copy_view(learners: dict, length: int, seed: int = 0, width: int = 8) -> CopyView:
    """Copy one random ``length``-vector sequence (seeded) with every learner.

    Example:
        >>> from meta_course.learners.memory.ntm import NTM
        >>> v = copy_view({"ntm": NTM(width=3, memory_slots=8, memory_width=4, hidden_size=5)}, length=4, width=3)
        >>> v.outputs["ntm"].shape, v.w_write["ntm"].shape
        (torch.Size([4, 3]), torch.Size([9, 8]))
    """
    from ..tasks.sequences import CopyTask

    limit = min((lr.max_length for lr in learners.values() if lr.max_length is not None), default=1000)
    check_int("length", length, 1, limit, f"The memories hold {limit} vectors: a longer copy would overwrite itself.")
    batch = CopyTask(width=width, min_length=length, max_length=length).sample(torch.Generator().manual_seed(int(seed)), 1)
    bits = batch.y[0, length + 1:]
    outputs, wrong, errors, w_write, w_read = {}, {}, {}, {}, {}
    for name, learner in learners.items():
        with torch.no_grad():
            logits, info = learner.logits(batch.to(next(learner.parameters()).device), trace=True)
        logits, info = logits.cpu(), {k: v.cpu() for k, v in info.items()}
        p = torch.sigmoid(logits[0, length + 1:])
        outputs[name], wrong[name] = p, (p > 0.5).float() != bits
        errors[name] = int(wrong[name].sum())
        if "w_write" in info:
            ww, wr = info["w_write"][0], info["w_read"][0]
            w_write[name] = ww if ww.dim() == 2 else ww.sum(1)
            w_read[name] = wr if wr.dim() == 2 else wr.sum(1)
    return CopyView(length, bits, outputs, wrong, errors, w_write, w_read)


class CopyFigure:
    """Target and outputs (wrong bits circled), then each memory learner's write and read weightings."""

    def __init__(self, names, memory_names, dpi: int = 72):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.names, self.memory_names = list(names), list(memory_names)
        rows = 1 + len(self.names) + len(self.memory_names)
        self.fig = Figure(figsize=(10, 1.1 * rows + 0.8), dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.axes = self.fig.subplots(rows, 1)

    def update(self, v: CopyView, max_train_length: int | None = None) -> "CopyFigure":
        for ax in self.axes:
            ax.clear()
        self.axes[0].imshow(v.bits.T.numpy(), cmap="Greys", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
        trained = f" (trained on 1..{max_train_length})" if max_train_length else ""
        self.axes[0].set_title(f"sequence to copy, length {v.length}{trained}", fontsize=9)
        for ax, name in zip(self.axes[1:], self.names):
            ax.imshow(v.outputs[name].T.numpy(), cmap="Greys", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
            rows, cols = v.wrong[name].T.nonzero(as_tuple=True)
            ax.scatter(cols.numpy(), rows.numpy(), s=18, facecolors="none", edgecolors="red", linewidths=1)
            ax.set_title(f"{name} output: {v.errors[name]} wrong bits", fontsize=9, color=COLORS.get(name, "black"))
        for ax, name in zip(self.axes[1 + len(self.names):], self.memory_names):
            both = torch.cat([v.w_write[name], v.w_read[name]], dim=0)       # [2(2L+1), N]
            used = (both.max(0).values > 0.05).nonzero().flatten()
            hi = int(used.max()) + 2 if used.numel() else both.shape[1]
            ax.imshow(both[:, :hi].T.numpy(), cmap="viridis", aspect="auto", interpolation="nearest")
            ax.axvline(v.w_write[name].shape[0] - 0.5, color="white", lw=1)
            ax.set_title(f"{name}: write weights (left) then read weights (right) over time; slots 0..{hi - 1}",
                         fontsize=9)
            ax.set_ylabel("slot", fontsize=8)
        for ax in self.axes:
            ax.set_xticks([])
        self.fig.tight_layout()
        return self

    def png(self) -> bytes:
        from . import figure_png
        return figure_png(self.fig)


def copy_explorer(learners: dict, max_train_length: int, width: int = 8):
    """A length slider (1 .. the memories' capacity) and a "new sequence" button over :func:`copy_view`."""
    import ipywidgets as w

    limit = min((lr.max_length for lr in learners.values() if lr.max_length is not None), default=4 * max_train_length)
    length = w.IntSlider(value=max_train_length, min=1, max=min(limit, 4 * max_train_length), description="length")
    seed = w.IntText(value=0, description="sequence", layout=w.Layout(width="160px"))
    button = w.Button(description="new sequence", icon="refresh")
    image = w.Image(format="png")
    memory_names = [n for n, lr in learners.items() if lr.max_length is not None]
    figure = CopyFigure(list(learners), memory_names)

    def redraw(*_):
        image.value = figure.update(copy_view(learners, length.value, seed.value, width), max_train_length).png()

    for control in (length, seed):
        control.observe(redraw, names="value")
    button.on_click(lambda _: setattr(seed, "value", seed.value + 1))
    redraw()
    return w.VBox([w.HBox([length, button, seed]), image])


__all__ = ["CopyFigure", "CopyView", "MannEpisode", "MannFigure", "MannStep", "copy_explorer", "copy_view",
           "mann_episode", "mann_explorer", "mann_step"]
