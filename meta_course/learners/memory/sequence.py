"""What the memory learners share: a recurrent network read one step at a time, two kinds of tasks.

- :class:`LabelSequenceLearner` — label-offset classification (Santoro et al. 2016): each step shows an
  image and the previous step's label; the network must name the image's label before it is told.
  MANN and its LSTM baseline. Metric: accuracy (per episode, or at the k-th instance of a class).
- :class:`BitSequenceLearner` — sequences of bit vectors (copy, associative recall): the network reads
  a sequence and must then emit an answer from memory. NTM, DNC and their LSTM baseline. Metric: wrong
  bits per sequence.

A subclass builds ``self.net``, a module with ``run(inputs, state=None, trace=False) -> (logits, state,
trace)`` and ``initial_state(batch_size)``; everything else (loss, score, adapt) is written once here.
"Adapting" a memory learner means *reading*: :meth:`adapt` runs the support sequence through the
network and returns a :class:`SequencePredictor` that continues from the memory state it reached — no
gradient step.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ...core.checks import check_choice, check_int
from ...tasks.sequences import LabelledSequences, Sequences, instance_index, offset_labels
from ..base import Learner


#: features a frozen encoder keeps (≈ 60 MB); every drawing of the `minimal` split with its rotations is ≈ 26 000
CACHE_LIMIT = 50_000


class FrozenEncoder(nn.Module):
    """A fixed image → feature map: the Conv-4 body of a committed metric-learner checkpoint, frozen
    (or, with ``trainable=True``, fine-tuned end to end with the network that reads it).

    The course's Conv-4 normalises with the statistics of whatever batch it is given (transductive). A
    frozen feature extractor must give each image *one* feature vector, so the statistics are fixed once
    (:meth:`calibrate`, on training images) and stored as buffers; after that an image's features depend
    on the image alone, and :meth:`forward` computes each distinct drawing only once (a cache keyed by its
    pixels: an episode shows each drawing many times over training).

    Args:
        checkpoint: name of a committed checkpoint whose learner has a Conv-4 ``net`` (e.g.
            ``"protonet_xl_omniglot"``, trained on the ``minimal`` alphabets except Sanskrit).
        trainable: let the convolutions and the normalisations' scales and shifts learn (the statistics
            stay the calibrated ones, so an image's features still depend on that image alone); no cache.

    Example:
        >>> enc = FrozenEncoder("protonet_xl_omniglot")
        >>> _ = enc.calibrate(torch.rand(64, 1, 28, 28))
        >>> enc(torch.rand(3, 1, 28, 28)).shape
        torch.Size([3, 64])
    """

    def __init__(self, checkpoint: str, trainable: bool = False):
        super().__init__()
        from ...checkpoints import checkpoint_path
        from ..base import load_learner

        if not isinstance(checkpoint, str):
            raise ValueError(f"encoder={checkpoint!r} is not a checkpoint name: allowed are None (flat pixels) or the "
                             f"name of a committed Conv-4 checkpoint, e.g. {sorted(conv4_encoders())}.")
        try:
            source = load_learner(checkpoint_path(checkpoint))
        except FileNotFoundError:
            source = None
        inner = getattr(source, "encoder", None)               # a memory learner's own (fine-tuned) encoder
        body = inner.blocks if isinstance(inner, FrozenEncoder) else getattr(getattr(source, "net", None), "features",
                                                                               None)
        if body is None:
            raise ValueError(f"encoder={checkpoint!r} is not a committed checkpoint with a Conv-4 body: allowed are "
                             f"None (flat pixels) or one of {sorted(conv4_encoders())} (or a memory learner trained on "
                             f"one). Pick one of these, or train it with `python -m meta_course train NAME`.")
        self.blocks = body
        self.trainable = bool(trainable)
        for p in self.blocks.parameters():
            p.requires_grad_(self.trainable)
        channels = [block[0].out_channels for block in self.blocks]
        for i, c in enumerate(channels):
            self.register_buffer(f"mean{i}", torch.zeros(c))
            self.register_buffer(f"var{i}", torch.ones(c))
        self.register_buffer("calibrated", torch.tensor(False))
        self.out_features = channels[-1]
        self._cache: dict[bytes, Tensor] = {}
        if isinstance(inner, FrozenEncoder):                   # its calibrated statistics come with it
            self.load_state_dict(inner.state_dict())

    def _load_from_state_dict(self, *args, **kwargs):
        self._cache.clear()  # new weights or statistics: cached features are stale
        super()._load_from_state_dict(*args, **kwargs)

    def _run(self, x: Tensor, record: bool = False) -> Tensor:
        for i, (conv, norm, relu, pool) in enumerate(self.blocks):
            x = conv(x)
            if record:
                getattr(self, f"mean{i}").copy_(x.mean(dim=(0, 2, 3)))
                getattr(self, f"var{i}").copy_(x.var(dim=(0, 2, 3), unbiased=False))
            mean, var = getattr(self, f"mean{i}").view(1, -1, 1, 1), getattr(self, f"var{i}").view(1, -1, 1, 1)
            x = pool(relu((x - mean) * torch.rsqrt(var + norm.eps) * norm.weight.view(1, -1, 1, 1)
                          + norm.bias.view(1, -1, 1, 1)))
        return x.flatten(1)

    @torch.no_grad()
    def calibrate(self, images: Tensor) -> "FrozenEncoder":
        """Fix each layer's normalisation statistics to those of ``images [n, 1, s, s]`` (training images)."""
        self._run(images.reshape(-1, *images.shape[-3:]), record=True)
        self.calibrated.fill_(True)
        self._cache.clear()
        return self

    def forward(self, images: Tensor) -> Tensor:
        """``[..., 1, s, s]`` → ``[..., features]`` (calibrates on the first images it sees if never calibrated)."""
        flat = images.reshape(-1, *images.shape[-3:])
        if not bool(self.calibrated):
            self.calibrate(flat)
        if self.trainable:
            return self._run(flat).view(*images.shape[:-3], -1)
        with torch.no_grad():
            return self._cached(flat).view(*images.shape[:-3], -1)

    def _cached(self, flat: Tensor) -> Tensor:
        keys = [row.tobytes() for row in flat.mul(255).round().to(torch.uint8).flatten(1).cpu().numpy()]
        new = {k: i for i, k in enumerate(keys) if k not in self._cache}
        if len(self._cache) + len(new) > CACHE_LIMIT:  # randomly distorted training images never repeat: stay bounded
            self._cache.clear()
            new = {k: i for i, k in enumerate(keys)}
        if new:
            idx = torch.tensor(list(new.values()), device=flat.device)
            for k, f in zip(new, self._run(flat[idx]).cpu()):
                self._cache[k] = f
        return torch.stack([self._cache[k] for k in keys]).to(flat.device)


def conv4_encoders() -> list[str]:
    """Names of the committed checkpoints of a Conv-4 metric learner (ProtoNet, matching, siamese): the allowed
    ``encoder`` values (besides ``None``, flat pixels, and a committed memory learner that has one of them)."""
    from ...checkpoints import HERE

    names = []
    for path in sorted(HERE.glob("*.pt")):
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except Exception:  # noqa: BLE001 — not a learner file: not an encoder
            continue
        model = ckpt.get("config", {}).get("model") if isinstance(ckpt, dict) else None
        if ckpt.get("name") in ("protonet", "matching", "siamese") and isinstance(model, dict) \
                and model.get("name") == "conv4":
            names.append(path.stem)
    return names


def _expand_state(state, n: int):
    """Repeat a batch-1 recurrent state (nested tuples of tensors) ``n`` times along the batch axis."""
    if isinstance(state, Tensor):
        return state.expand(n, *state.shape[1:]) if state.shape[0] == 1 else state
    return type(state)(*(_expand_state(s, n) for s in state)) if hasattr(state, "_fields") else \
        tuple(_expand_state(s, n) for s in state)


class SequencePredictor:
    """A memory learner after reading a support sequence.

    ``predictor(x_next)`` feeds each of ``x_next [Q, D]`` as the *next* step from the memory state the
    support left (every item independently, from the same state) and returns the outputs ``[Q, out]``.
    ``info`` holds what a widget shows: ``"logits"`` of every support step and the network's trace (read
    and write weights of the memory, usage, ...).
    """

    def __init__(self, net: nn.Module, state, info: dict, prepare):
        self.net, self.state, self.info, self._prepare = net, state, info, prepare

    def __call__(self, x_next: Tensor) -> Tensor:
        inputs = self._prepare(x_next)                                  # [Q, D]
        repeat = getattr(self.net, "repeat_state", _expand_state)
        state = repeat(self.state, inputs.shape[0])
        logits, _, _ = self.net.run(inputs.unsqueeze(1), state)
        return logits[:, 0]


class LabelSequenceLearner(Learner):
    """Classifies every step of an episode shown with label offset (Santoro et al. 2016, Figure 1).

    Subclasses set ``self.net`` (input ``image_size² + n_classes``, output ``n_classes`` logits).
    """

    metric = "accuracy"

    def __init__(self, n_classes: int, image_size: int, encoder: str | None = None, finetune_encoder: bool = False):
        super().__init__()
        check_int("n_classes", n_classes, 2, 1000, "Classes per episode; the paper uses 5.")
        check_int("image_size", image_size, 2, 105, "Side of the square images; the paper uses 20.")
        self.n_classes, self.image_size = n_classes, image_size
        if finetune_encoder and encoder is None:
            raise ValueError("finetune_encoder=True with encoder=None: there is no encoder to fine-tune (flat pixels "
                             "go straight in). Name a Conv-4 checkpoint, e.g. encoder='protonet_xl_omniglot'.")
        self.encoder = FrozenEncoder(encoder, trainable=finetune_encoder) if encoder is not None else None
        if self.encoder is not None and image_size != 28:
            raise ValueError(f"image_size={image_size} with encoder={encoder!r}: the Conv-4 encoders take 28×28 "
                             f"images. Use image_size=28 (or encoder=None for flat pixels).")

    def start_from(self, init_from: str, stage: tuple[str, ...], kind: str, example: str, convert=None) -> None:
        """Load a committed checkpoint of the same network as a second training stage's start (a resumed run or a
        loaded checkpoint overwrites the weights after). ``stage``: config keys that may differ between stages; ``kind``
        names the learner in the error ("a MANN"), ``example`` a checkpoint to start from; ``convert(start)``, if
        given, returns the start's state dict fitted to this network (e.g. widened by zero weights)."""
        from ...checkpoints import checkpoint_path
        from ..base import load_learner

        start = load_learner(checkpoint_path(init_from))
        same = {k: v for k, v in start.config.items() if k not in stage}
        if not isinstance(start, type(self)) or same != {k: v for k, v in self.config.items() if k not in stage}:
            raise ValueError(f"init_from={init_from!r} is not {kind} with this network "
                             f"({start.config}); start from a checkpoint of the same recipe family, e.g. {example!r}.")
        self.load_state_dict(start.state_dict() if convert is None else convert(start))
        self.config["init_from"] = init_from

    @property
    def input_size(self) -> int:
        features = self.encoder.out_features if self.encoder is not None else self.image_size ** 2
        return features + self.n_classes

    def image_features(self, x: Tensor) -> Tensor:
        """``[..., 1, s, s]`` images → ``[..., s²]`` flat pixels (the paper's input), or the frozen encoder's
        features when the learner has one."""
        s = self.image_size
        if x.shape[-2:] != (s, s) or x.shape[-3] != 1:
            raise ValueError(f"images of shape {tuple(x.shape[-3:])} do not fit this learner: it takes 1×{s}×{s} "
                             f"images (image_size={s}). Sample episodes with size={s}, or resize them.")
        return self.encoder(x) if self.encoder is not None else x.flatten(-3)

    def inputs(self, batch: LabelledSequences) -> Tensor:
        """``[T, S, s² + n_classes]``: each image with the one-hot label of the previous step."""
        if batch.y.max() >= self.n_classes or batch.y.min() < 0:
            raise ValueError(f"labels span {int(batch.y.min())}..{int(batch.y.max())}, but this learner has "
                             f"n_classes={self.n_classes} (labels 0..{self.n_classes - 1}). Sample episodes with "
                             f"n_classes={self.n_classes}.")
        feats = self.image_features(batch.x)
        if self.centre_features:
            feats = feats - feats.cumsum(-2) / torch.arange(1, feats.shape[-2] + 1, device=feats.device).unsqueeze(-1)
        return torch.cat([feats, offset_labels(batch.y, self.n_classes)], dim=-1)

    #: subtract from each step's image features the mean of the episode's features so far (steps 1..t, causal): what
    #: all drawings of an episode share drops out, whatever the alphabet
    centre_features: bool = False

    def logits(self, batch: LabelledSequences, trace: bool = False):
        """``[T, S, n_classes]`` (and the network's trace)."""
        logits, _, info = self.net.run(self.inputs(batch), trace=trace)
        return (logits, info) if trace else logits

    #: training only: the probability of zeroing each image feature (inverted dropout; the label one-hot is kept)
    feature_dropout: float = 0.0

    def meta_loss(self, batch: LabelledSequences) -> Tensor:
        """Cross-entropy of every step's prediction, made before its label is shown (with ``feature_dropout`` on the
        image features; scoring never drops any)."""
        if self.feature_dropout > 0:
            inputs = self.inputs(batch)
            feats, labels = inputs[..., :-self.n_classes], inputs[..., -self.n_classes:]
            feats = nn.functional.dropout(feats, self.feature_dropout, training=True)
            logits = self.net.run(torch.cat([feats, labels], dim=-1))[0]
        else:
            logits = self.logits(batch)
        return nn.functional.cross_entropy(logits.flatten(0, 1), batch.y.flatten())

    def score(self, tasks: LabelledSequences, instance: int | None = None, **knobs) -> Tensor:
        """Per-episode accuracy ``[T]``: over all steps, or over the steps showing the ``instance``-th
        drawing of their class (1 = first sight)."""
        with torch.no_grad():
            correct = (self.logits(tasks).argmax(-1) == tasks.y).double()
        if instance is None:
            return correct.mean(1)
        check_int("instance", instance, 1, int(tasks.instance.max()),
                  f"Episodes show each class at most {int(tasks.instance.max())} times.")
        at = (tasks.instance == instance).double()
        return (correct * at).sum(1) / at.sum(1)

    def probabilities(self, batch: LabelledSequences, relabelings: int = 1) -> Tensor:
        """``[T, S, n_classes]``: each step's class probabilities, averaged over ``relabelings`` relabellings of the
        episode (test-time label symmetrisation).

        An episode's label numbers are arbitrary (drawn anew per episode), so a prediction should not depend on them;
        a trained network's does, a little. Relabelling π runs the network on π(y) and reads class c from column π(c):

            p(c | step t) = 1/R Σ_π p_net(π(c) | x_1..x_t, π(y_1)..π(y_{t−1}))

        The first ``n_classes`` relabellings are the cyclic shifts (every class takes every label once), further
        ones fixed random permutations (seed 0). ``relabelings=1`` is the network as trained. The image features
        are computed once for all relabellings.

        Example:
            >>> from meta_course.learners.memory.lstm import LSTMLabels
            >>> m = LSTMLabels(image_size=4, hidden_size=8)
            >>> b = LabelledSequences(torch.rand(2, 6, 1, 4, 4), torch.tensor([[0, 1, 0, 2, 1, 0]] * 2), torch.ones(2, 6))
            >>> m.probabilities(b, relabelings=3).sum(-1).allclose(torch.ones(2, 6))
            True
        """
        check_int("relabelings", relabelings, 1, 1000, "How many relabellings of each episode to average (1 = none).")
        n = self.n_classes
        order = [torch.roll(torch.arange(n), k) for k in range(min(n, relabelings))]
        g = torch.Generator().manual_seed(0)
        order += [torch.randperm(n, generator=g) for _ in range(relabelings - len(order))]
        with torch.no_grad():
            features = self.inputs(batch)[..., :-n]
            total = 0
            for pi in order:
                pi = pi.to(batch.y.device)
                logits, _, _ = self.net.run(torch.cat([features, offset_labels(pi[batch.y], n)], dim=-1))
                total = total + torch.softmax(logits, -1)[..., pi]
        return total / len(order)

    def accuracy_by_instance(self, tasks: LabelledSequences, instances=(1, 2, 3, 4, 5, 10), relabelings: int = 1,
                             probabilities: Tensor | None = None) -> Tensor:
        """``[T, len(instances)]``: accuracy of each episode at each instance (one forward pass; with
        ``relabelings`` > 1 averaged over relabellings, see :meth:`probabilities`; or scored from given
        ``probabilities`` ``[T, S, n_classes]``, e.g. an ensemble's average)."""
        with torch.no_grad():
            if probabilities is None:
                probabilities = self.logits(tasks) if relabelings == 1 else self.probabilities(tasks, relabelings)
            correct = (probabilities.argmax(-1) == tasks.y).double()
        cols = []
        for k in instances:
            at = (tasks.instance == k).double()
            cols.append((correct * at).sum(1) / at.sum(1).clamp_min(1))
        return torch.stack(cols, dim=1)

    def adapt(self, x_support: Tensor, y_support: Tensor, **knobs) -> SequencePredictor:
        """Read one labelled sequence ``x_support [S, 1, s, s]``, ``y_support [S]`` (label offset as in
        training); the predictor classifies new images as the step after it.

        ``info``: ``"logits" [S, n_classes]`` (each support item classified before its label was shown),
        ``"instance" [S]`` and the network's trace (batch axis removed).
        """
        batch = LabelledSequences(x_support[None], y_support[None], instance_index(y_support[None]))
        with torch.no_grad():
            logits, state, info = self.net.run(self.inputs(batch), trace=True)
        last = nn.functional.one_hot(y_support[-1:], self.n_classes).float()

        support_sum = self.image_features(x_support).sum(0) if self.centre_features else None

        def prepare(x_next: Tensor) -> Tensor:
            feats = self.image_features(x_next)
            if support_sum is not None:                  # the next step's running mean: support + this item
                feats = feats - (support_sum + feats) / (x_support.shape[0] + 1)
            return torch.cat([feats, last.expand(x_next.shape[0], -1)], dim=-1)

        info = {"logits": logits[0], "instance": batch.instance[0], **{k: v[0] for k, v in info.items()}}
        return SequencePredictor(self.net, state, info, prepare)


class BitSequenceLearner(Learner):
    """Emits bit vectors from memory (copy, associative recall); loss and score on the answer steps only.

    Subclasses set ``self.net`` and ``self.max_length`` (the longest answer its memory can hold, or
    ``None`` when unbounded, e.g. an LSTM).
    """

    metric = "bit_errors"
    max_length: int | None = None

    def __init__(self, task: str, width: int):
        super().__init__()
        check_choice("task", task, ("copy", "recall"), "copy: width+1 input channels; recall: width+2.")
        check_int("width", width, 1, 1024, "Bits per vector: 8 for copy, 6 for recall in the paper.")
        self.task, self.width = task, width
        self.in_size = width + (1 if task == "copy" else 2)

    def check_batch(self, batch: Sequences) -> None:
        if batch.x.shape[-1] != self.in_size or batch.y.shape[-1] != self.width:
            raise ValueError(f"sequences with {batch.x.shape[-1]} input / {batch.y.shape[-1]} output channels do not "
                             f"fit this {self.task} learner ({self.in_size} / {self.width}). Sample the {self.task} "
                             f"task with width={self.width}.")
        if self.max_length is not None and batch.length > self.max_length:
            raise ValueError(f"the answer has {batch.length} vectors but the memory holds {self.max_length} slots: "
                             f"allowed lengths 1..{self.max_length}. Use shorter sequences or a learner with more "
                             f"memory_slots.")

    def logits(self, batch: Sequences, trace: bool = False):
        self.check_batch(batch)
        logits, _, info = self.net.run(batch.x, trace=trace)
        return (logits, info) if trace else logits

    def meta_loss(self, batch: Sequences) -> Tensor:
        """Binary cross-entropy per bit, averaged over the answer steps (the input phase is not scored)."""
        logits = self.logits(batch)
        bce = nn.functional.binary_cross_entropy_with_logits(logits, batch.y, reduction="none").mean(-1)
        return (bce * batch.mask).sum() / batch.mask.sum()

    def score(self, tasks: Sequences, **knobs) -> Tensor:
        """Wrong bits per sequence ``[T]`` (outputs thresholded at 1/2)."""
        from ...tasks.sequences import bit_errors

        with torch.no_grad():
            return bit_errors(self.logits(tasks), tasks).double()

    def adapt(self, x_support: Tensor, **knobs) -> SequencePredictor:
        """Read the input phase ``x_support [S, D]`` (e.g. the bits and the delimiter); the predictor
        continues with further steps: ``predictor(x [Q, D])`` emits one output per item *as the next step*.
        For a whole answer, use :meth:`continue_sequence`."""
        with torch.no_grad():
            logits, state, info = self.net.run(x_support[None], trace=True)
        info = {"logits": logits[0], **{k: v[0] for k, v in info.items()}}
        return SequencePredictor(self.net, state, info, lambda x: x)

    def continue_sequence(self, predictor: SequencePredictor, x_rest: Tensor):
        """Run the remaining steps ``x_rest [R, D]`` in order from the predictor's state: ``(logits [R, out],
        trace)`` — the answer phase of a copy."""
        with torch.no_grad():
            logits, _, info = self.net.run(x_rest[None], predictor.state, trace=True)
        return logits[0], {k: v[0] for k, v in info.items()}


__all__ = ["BitSequenceLearner", "LabelSequenceLearner", "SequencePredictor"]
