"""The one interface every learner of the course implements (the contract the training loop, the
evaluation, the benchmarks and the widgets rely on).

- ``learner.meta_step(batch, optimizers) -> dict[str, float]`` — one outer step on a batch of tasks;
  :func:`meta_course.train.train` drives it. The default back-propagates ``learner.meta_loss(batch)``,
  clips the meta-gradient (``learner.clip_grad_norm``, set by the loop) and steps every optimiser, so a
  single-loss learner writes only ``meta_loss``. Several optimisers (a GAN's critic and generator) or
  batches of environments (RL: collect rollouts inside ``meta_step``) override it.
- ``learner.optimizers(outer_lr) -> dict[str, Optimizer]`` — default ``{"outer": Adam(β)}``.
- ``learner.adapt(*support, **knobs) -> Predictor`` — a predictor for one task; what a widget calls
  when a slider moves (MAML adapts parameters, ProtoNet builds prototypes, ...). ``predictor.info``
  holds what the widget shows.
- ``learner.score(tasks, **knobs) -> Tensor[T]`` — the learner's metric per task;
  :func:`meta_course.evaluate.evaluate` reports its mean ± 95% CI.

Learners are ``nn.Module``s whose parameters are the meta-parameters, and carry a ``config`` dict
(JSON-able) from which :func:`load_learner` rebuilds them (``type(learner)(**learner.config)``).
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import Callable

import torch
from torch import Tensor, nn
from torch.func import vmap

from ..core.checks import check_choice, check_int, check_positive
from ..core.distributed import all_reduce_grads, all_reduce_mean
from ..core.functional import Params, adapt, forward, meta_batch_loss
from ..core.heads import fit_head, head_names, infer_n_way
from ..core.io import atomic_save

LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "mse": nn.functional.mse_loss,
    "cross_entropy": nn.functional.cross_entropy,
    "sse": lambda pred, target: ((pred - target) ** 2).sum(),  # the learned optimiser's quadratics
}
#: metrics for which larger is better (every other one, e.g. "mse", "nll", "bit_errors": smaller is better)
HIGHER_IS_BETTER = frozenset({"accuracy", "return", "success_rate"})


def per_task_score(pred: Tensor, target: Tensor, metric: str) -> Tensor:
    """Per-task MSE (``[T, Q, d]`` → ``[T]``) or accuracy (logits ``[T, Q, C]``, labels ``[T, Q]``)."""
    if metric == "mse":
        return ((pred - target) ** 2).flatten(1).mean(1)
    if metric == "accuracy":
        return (pred.argmax(-1) == target).double().mean(1)
    raise ValueError(f"unknown metric {metric!r}: the default score knows 'mse' and 'accuracy'; a learner with "
                     "another metric overrides Learner.score.")


class Predictor:
    """A task-specific model: ``predictor(x)`` returns predictions.

    ``info`` holds what a widget shows about the adaptation — the protocol every learner's ``adapt``
    result follows (a metric learner's holds embeddings, a memory learner's its reads and writes, ...).
    Here: ``params`` (the fast weights θ_k), ``trajectory`` (θ_0 … θ_k, when kept) and ``path``, one
    callable per step (``info["path"][j](x)`` = the predictions of θ_j).
    """

    def __init__(self, model: nn.Module, params: Params, trajectory: list[Params] | None = None):
        self.model, self.params, self.trajectory = model, params, trajectory

    @property
    def info(self) -> dict:
        path = None if self.trajectory is None else [functools.partial(forward, self.model, p) for p in self.trajectory]
        return {"params": self.params, "trajectory": self.trajectory, "path": path}

    def __call__(self, x: Tensor) -> Tensor:
        return forward(self.model, self.params, x)


class Learner(nn.Module):
    """Base class of every learner (see the module docstring for the contract).

    A subclass sets ``name`` (its key in :data:`meta_course.learners.table.LEARNERS`), ``metric``
    and ``self.config``, and implements ``adapt`` and either ``meta_loss`` (single loss, the default
    :meth:`meta_step`) or ``meta_step`` itself.
    """

    name = "learner"
    metric = "mse"  # what evaluate() reports: "mse", "accuracy", "return", "bit_errors", "nll", ...
    #: meta-gradient norm clip of the default meta_step (0: off); the training loop sets it
    clip_grad_norm = 0.0
    #: whether the loop may split a meta-batch across processes (:mod:`meta_course.core.distributed`): the
    #: meta-loss is a mean over the tasks of the batch of terms that each depend on one task only, no global
    #: RNG is drawn per task, and the meta-step is the default one (or one that calls ``all_reduce_grads``)
    distributed = False
    #: this process's share n_r / B of the meta-batch's tasks (1 with one process); the loop sets it
    task_share = 1.0
    #: mixed precision of the default meta_step, set by the loop on CUDA only: a ``torch.amp.GradScaler``
    #: (None: off) and the autocast dtype (None: off)
    grad_scaler = None
    autocast_dtype = None

    @property
    def higher_is_better(self) -> bool:
        """Whether a larger ``metric`` is better (accuracy, return) or worse (mse, nll)."""
        return self.metric in HIGHER_IS_BETTER

    # -- meta-training -------------------------------------------------------------------------
    def optimizers(self, outer_lr: float) -> dict[str, torch.optim.Optimizer]:
        """The optimisers :meth:`meta_step` steps, by name (default: ``{"outer": Adam}`` with step size β).

        Learners override this when their outer update is not Adam on the meta-loss, e.g. Reptile
        (plain SGD with step ε on a surrogate whose gradient is θ − φ̄), Meta-SGD (its own step size
        for the learned inner learning rates, as a second parameter group) or a GAN (two optimisers).
        """
        return {"outer": torch.optim.Adam(self.parameters(), lr=outer_lr)}

    def meta_loss(self, batch) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} implements neither meta_loss nor meta_step.")

    def meta_step(self, batch, optimizers: dict[str, torch.optim.Optimizer]) -> dict[str, float]:
        """One outer step: zero every gradient, back-propagate :meth:`meta_loss`, all-reduce the meta-gradient
        over the processes (a no-op with one), clip, step every optimiser.

        A non-finite loss is returned without stepping (the loop then stops and names the step, and
        the parameters stay those of the last good step). With several processes each one holds
        ``task_share`` of the tasks; the returned loss is that of the whole meta-batch on every rank. On
        CUDA with mixed precision the loss is computed under ``torch.autocast`` and scaled by the
        ``grad_scaler`` (unscaled before clipping).
        """
        for opt in optimizers.values():
            opt.zero_grad(set_to_none=True)
        with self.autocast():
            loss = self.meta_loss(batch)
        total = all_reduce_mean(loss.detach(), self.task_share)  # every rank sees the same loss: all stop together
        if not torch.isfinite(total):
            return {"loss": total.item()}
        scaler = self.grad_scaler
        (loss if scaler is None else scaler.scale(loss)).backward()
        all_reduce_grads(self.parameters(), self.task_share)
        if scaler is not None:
            for opt in optimizers.values():
                scaler.unscale_(opt)
        if self.clip_grad_norm:
            torch.nn.utils.clip_grad_norm_(self.parameters(), self.clip_grad_norm)
        for opt in optimizers.values():
            opt.step() if scaler is None else scaler.step(opt)
        if scaler is not None:
            scaler.update()
        return {"loss": total.item()}

    def autocast(self):
        """``torch.autocast`` on CUDA when the loop switched mixed precision on; otherwise a null context."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type="cuda", dtype=self.autocast_dtype)

    def outer_lr_factor(self, step: int, steps: int) -> float:
        """Multiplier of every parameter group's step size at outer step ``step`` of ``steps``
        (default 1: constant). Reptile anneals ε linearly with it. A pure function of the step, so
        a resumed run follows exactly the same schedule."""
        return 1.0

    def train_state(self) -> dict:
        """What else a resumed training needs besides the parameters, buffers and optimisers (default: nothing).

        The training loop saves it in the resumable state (never in the committed checkpoint) and gives it back
        to :meth:`load_train_state` on resume, so the resumed run is bit-identical to an uninterrupted one.
        PEARL returns its replay buffers here. It must survive ``torch.load(weights_only=True)``: tensors,
        numbers, strings, and lists/dicts of them.
        """
        return {}

    def load_train_state(self, state: dict) -> None:
        """Restore what :meth:`train_state` returned (default: nothing to restore)."""
        if state:
            raise ValueError(f"{type(self).__name__} keeps no training state, but the resumable state holds "
                             f"{sorted(state)}: it was written by another learner; start afresh with --restart.")

    # -- adaptation and evaluation ---------------------------------------------------------------
    def adapt(self, x_support: Tensor, y_support: Tensor, **knobs) -> Callable[[Tensor], Tensor]:
        raise NotImplementedError

    def predict(self, episodes, **knobs) -> Tensor:
        """Query predictions ``[T, Q, ...]`` for a batch of tasks, each adapted on its support set."""
        def one(xs, ys, xq):
            return self.adapt(xs, ys, **knobs)(xq)

        return vmap(one, randomness="different")(episodes.x_support, episodes.y_support, episodes.x_query)

    def score(self, tasks, metric: str | None = None, **knobs) -> Tensor:
        """The metric of every task ``[T]`` after adapting to its support set (default: :meth:`predict`
        on the queries, scored by :func:`per_task_score`; ``metric`` overrides ``self.metric``)."""
        return per_task_score(self.predict(tasks, **knobs).detach(), tasks.y_query, metric or self.metric)

    # -- saving ----------------------------------------------------------------------------------
    def checkpoint(self) -> dict:
        """A ``torch.load(weights_only=True)``-safe dict from which :func:`load_learner` rebuilds it."""
        return {"name": self.name, "config": self.config, "state_dict": self.state_dict()}


class GradientLearner(Learner):
    """What the gradient-based learners share: a network ``net`` whose parameters θ are meta-parameters,
    a loss, the inner-loop settings (α = ``inner_lr``, ``inner_steps``, ``first_order``), and adaptation
    by gradient steps on the support set (:func:`~meta_course.core.functional.adapt`, MAML's Eq. 1).

    MAML, FOMAML, Meta-SGD, Reptile, the meta-LSTM, the pretrained and the transfer baselines derive from
    it; each writes only what its paper changes: the meta-objective (``meta_loss``), the step sizes
    (``inner_lrs``), the optimisers, or the inner update itself (``adapt``).

    Args:
        net: the network (θ is ``dict(net.named_parameters())``).
        loss: a key of :data:`LOSSES` (``"mse"`` → metric MSE, ``"cross_entropy"`` → accuracy).
        inner_lr: α (``None`` for learners that learn their steps).
        inner_steps: inner gradient steps during meta-training (and the default of :meth:`adapt`).
        first_order: detach the inner gradients (no Hessian term).
    """

    distributed = True  # Eq. 2's mean over tasks splits exactly (see meta_course.core.distributed)

    def __init__(self, net: nn.Module, loss: str = "mse", inner_lr=None, inner_steps: int = 1,
                 first_order: bool = False):
        super().__init__()
        check_choice("loss", loss, sorted(LOSSES), "Regression: 'mse'; classification: 'cross_entropy'.")
        if inner_lr is not None:  # a NaN or a string would otherwise fail (or compute nonsense) only when used
            if isinstance(inner_lr, (bool, str, bytes)):
                raise ValueError(f"inner_lr={inner_lr!r} must be a number (float), not {type(inner_lr).__name__}: "
                                 "e.g. inner_lr=0.01.")
            check_positive("inner_lr", inner_lr, "α, the inner step size: e.g. 0.01.")
        check_int("inner_steps", inner_steps, 0, 10_000, "Gradient steps when adapting: 0 for none, 1-10 is typical.")
        self.net = net
        self.loss_fn = LOSSES[loss]
        self.metric = "accuracy" if loss == "cross_entropy" else "mse"
        self.inner_lr, self.inner_steps, self.first_order = inner_lr, inner_steps, first_order

    def params(self) -> Params:
        """θ as a dict (the module's own parameters: the outer optimiser updates them)."""
        return dict(self.net.named_parameters())

    def inner_lrs(self):
        """α used by :meth:`adapt` (Meta-SGD overrides this with its learned per-coordinate α)."""
        return self.inner_lr

    def meta_loss(self, episodes, use_vmap: bool = True) -> Tensor:
        """Σ_i L_{Q_i}(f_{θ'_i}) / T over a meta-batch (MAML's Eq. 2), differentiable w.r.t. θ (and α);
        the objective of MAML, FOMAML and Meta-SGD. ``use_vmap=False``: a Python loop over tasks."""
        return meta_batch_loss(self.net, self.params(), episodes, self.loss_fn, self.inner_lrs(),
                               self.inner_steps, self.first_order, use_vmap=use_vmap)

    def adapt(self, x_support, y_support, inner_steps: int | None = None, inner_lr=None,
              first_order: bool | None = None, n_way: int | None = None) -> Predictor:
        """θ' after ``inner_steps`` gradient steps on the support set (defaults: the training settings).

        For classification, ``n_way`` (default: from the labels; required inside ``vmap``) may differ
        from the trained head: :func:`~meta_course.core.heads.fit_head` then repeats its mean row.
        """
        steps = self.inner_steps if inner_steps is None else inner_steps
        lr = self.inner_lrs() if inner_lr is None else inner_lr
        fo = self.first_order if first_order is None else first_order
        params = self.params()
        if self.metric == "accuracy":
            names = head_names(self.net)
            n = infer_n_way(y_support) if n_way is None else n_way
            params = fit_head(params, names, n)
            lr = fit_head(lr, names, n) if isinstance(lr, dict) else lr
        path = adapt(self.net, params, x_support, y_support, self.loss_fn, lr, steps, fo, trajectory=True)
        return Predictor(self.net, path[-1], path)

    def predict(self, episodes, **knobs) -> Tensor:
        if self.metric == "accuracy" and knobs.get("n_way") is None:
            knobs["n_way"] = infer_n_way(episodes.y_support)  # vmap cannot read it from the labels
        return super().predict(episodes, **knobs)


def save_learner(learner: Learner, path, **extra) -> Path:
    """Write ``learner`` (and small JSON-able ``extra`` data, e.g. a history) to ``path``."""
    return atomic_save({**learner.checkpoint(), **extra}, path)


def learner_from_checkpoint(ckpt: dict, device=None) -> Learner:
    """Rebuild a learner from a :meth:`Learner.checkpoint` dict (class looked up in the learner table)."""
    from .table import get_learner_class  # the table imports every learner module, each importing this one

    learner = get_learner_class(ckpt["name"])(**ckpt["config"])
    learner.load_state_dict(ckpt["state_dict"])
    return learner.to(device) if device is not None else learner


def read_checkpoint(path, fix: str = "train it again or restore the file") -> dict:
    """``torch.load`` of a file this package wrote (weights only), with one clear ``ValueError`` naming the
    file when it is truncated, corrupt or of another kind (instead of a raw reader error)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist: train one with `python -m meta_course train`.")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # PytorchStreamReader, UnpicklingError, EOFError, BadZipFile, IsADirectoryError, ...
        reason = (str(err).strip().splitlines() or [""])[0].split(". ")[0][:160]
        raise ValueError(f"{path} is not a readable checkpoint ({type(err).__name__}: {reason}): it is truncated, "
                         f"corrupt or another kind of file; {fix}.") from err
    if not isinstance(ckpt, dict):
        raise ValueError(f"{path} holds a {type(ckpt).__name__}, not a checkpoint of this package; {fix}.")
    return ckpt


def load_learner(path, device=None) -> Learner:
    """Rebuild a learner saved by :func:`save_learner` or by the training loop.

    Example:
        >>> from meta_course.checkpoints import checkpoint_path
        >>> load_learner(checkpoint_path("maml_sine")).name
        'maml'
    """
    ckpt = read_checkpoint(path)
    ckpt = ckpt.get("learner", ckpt)
    if not isinstance(ckpt, dict) or not {"name", "config", "state_dict"} <= set(ckpt):
        raise ValueError(f"{path} holds no learner (its keys: {list(ckpt)[:8]}): pass a file written by "
                         "`python -m meta_course train` or save_learner.")
    try:
        return learner_from_checkpoint(ckpt, device)
    except (TypeError, RuntimeError, KeyError) as err:  # a config the class refuses, weights of another shape
        reason = (str(err).strip().splitlines() or [""])[0].split(". ")[0][:160]
        raise ValueError(f"{path}: its {ckpt['name']!r} learner does not rebuild ({type(err).__name__}: {reason}): "
                         "the file was written by another version of the course or edited; train it again.") from err
