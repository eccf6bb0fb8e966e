"""TEACHING ONLY — six common meta-learning bugs, each beside the right code and the check that catches it.

!!! Every function or class whose name starts with ``WRONG_`` is deliberately broken. It exists so
!!! that lesson 04 can run it and measure the damage. Never import it into real code.

Each pitfall is a :class:`Pitfall` in :data:`PITFALLS`: the wrong function, the right one with the
same signature, a *catcher* (a check that raises ``AssertionError`` on the wrong one and passes on the
right one; ``tests/test_pitfalls.py`` runs both), and one sentence on what the wrong code computes.

1. ``average_support``  — averaging the support-set gradients and calling it the meta-gradient.
2. ``inplace_data``     — ``param.data -= lr * grad`` in the inner loop.
3. ``no_create_graph``  — ``autograd.grad`` without ``create_graph=True`` sold as second order.
4. ``range_inner_lr``   — ``for _ in range(inner_lr)`` (made to run by ``int(...)``): zero steps.
5. ``stale_forward``    — a "post-adaptation" loss from a forward pass made before adaptation.
6. ``batchnorm_leak``   — BatchNorm running statistics carried from task to task.
   (its wrong/right entries are :class:`BNPipeline` pairs: the model *and* the procedure.)

Example:
    >>> p = PITFALLS["range_inner_lr"]
    >>> p.catch(p.right) is None           # the right code passes its check
    True
    >>> try:
    ...     p.catch(p.wrong)
    ... except AssertionError:
    ...     print("caught")
    caught

Meta-gradient functions share the signature
``fn(model, params, episodes, loss_fn, inner_lr, inner_steps) -> dict`` (the gradient of the mean
query loss of a meta-batch with respect to θ); the reference is the package's
:func:`meta_course.core.functional.meta_batch_loss` differentiated by autograd.

References:
    Finn, Abbeel & Levine (2017), Eq. (1)-(3) — what the right code computes.
    Ioffe & Szegedy (2015), "Batch Normalization" — running statistics; Bronskill et al. (2020),
    "TaskNorm: Rethinking Batch Normalization for Meta-Learning", ICML — the meta-learning case.
"""

from __future__ import annotations

import inspect
from typing import Callable, NamedTuple

import torch
from torch import Tensor, nn
from torch.func import functional_call

from ..core.io import atomic_save
from ..learners.optimisation.maml import MAML
from ..core.functional import Params, adapt, meta_batch_loss, sgd_step, task_loss
from ..tasks import Episode

# ---------------------------------------------------------------------------------------------------
# 1 · Averaging the support gradients
# ---------------------------------------------------------------------------------------------------


def WRONG_average_support_gradients(model, params, episodes, loss_fn, inner_lr, inner_steps) -> Params:
    """WRONG. mean_i ∇L_{S_i}(θ): no adaptation, no query set, no Hessian — joint training's gradient."""
    leaves = {k: t.detach().requires_grad_() for k, t in params.items()}
    losses = [task_loss(model, leaves, ep.x_support, ep.y_support, loss_fn) for ep in map(episodes.task, range(episodes.n_tasks))]
    grads = torch.autograd.grad(torch.stack(losses).mean(), list(leaves.values()))
    return dict(zip(leaves, grads))


def maml_meta_gradient_autograd(model, params, episodes, loss_fn, inner_lr, inner_steps) -> Params:
    """RIGHT. ∇_θ mean_i L_{Q_i}(adapt(θ, S_i)) by autograd through the unrolled inner loop."""
    leaves = {k: t.detach().requires_grad_() for k, t in params.items()}
    loss = meta_batch_loss(model, leaves, episodes, loss_fn, inner_lr, inner_steps, use_vmap=False)
    return dict(zip(leaves, torch.autograd.grad(loss, list(leaves.values()))))


# ---------------------------------------------------------------------------------------------------
# 2 · In-place `.data` updates in the inner loop
# ---------------------------------------------------------------------------------------------------


def WRONG_inplace_data_meta_gradient(model, params, episodes, loss_fn, inner_lr, inner_steps) -> Params:
    """WRONG. The classic module-based loop: adapt with ``p.data -= lr * g``, backward the query loss.

    Autograd never sees the update, so the "meta-gradient" is ∇L_Q at the adapted parameters
    (first order, at best), and the *meta-parameters themselves are overwritten*: every task
    starts from where the previous task's adaptation left off, and θ is gone after one meta-batch.
    """
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(params[name])
    model.zero_grad(set_to_none=True)
    for i in range(episodes.n_tasks):
        ep = episodes.task(i)
        for _ in range(inner_steps):
            loss = loss_fn(model(ep.x_support), ep.y_support)
            grads = torch.autograd.grad(loss, list(model.parameters()))
            for p, g in zip(model.parameters(), grads):
                p.data -= inner_lr * g  # <- the bug: invisible to autograd, and permanent
        (loss_fn(model(ep.x_query), ep.y_query) / episodes.n_tasks).backward()
    return {name: p.grad.detach().clone() for name, p in model.named_parameters()}


def functional_meta_gradient(model, params, episodes, loss_fn, inner_lr, inner_steps) -> Params:
    """RIGHT. The same computation with parameters as a dict: new tensors each step, θ untouched
    (the module's own parameters are loaded with θ first, exactly like the wrong version)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(params[name])
    theta = {name: p for name, p in model.named_parameters()}
    return maml_meta_gradient_autograd(model, theta, episodes, loss_fn, inner_lr, inner_steps)


# ---------------------------------------------------------------------------------------------------
# 3 · No create_graph
# ---------------------------------------------------------------------------------------------------


def WRONG_no_create_graph_meta_gradient(model, params, episodes, loss_fn, inner_lr, inner_steps) -> Params:
    """WRONG (when sold as second order). ``autograd.grad(loss, params)`` without ``create_graph=True``
    returns gradients with no history: θ′ = θ − α·g depends on θ only through the identity, so the
    meta-gradient is first-order MAML's, Σ ∇L_Q(θ′), without the (I − α∇²L_S) factors."""
    leaves = {k: t.detach().requires_grad_() for k, t in params.items()}
    total = 0.0
    for i in range(episodes.n_tasks):
        ep = episodes.task(i)
        fast = leaves
        for _ in range(inner_steps):
            loss = task_loss(model, fast, ep.x_support, ep.y_support, loss_fn)
            grads = torch.autograd.grad(loss, list(fast.values()))  # <- create_graph=True is missing
            fast = {k: fast[k] - inner_lr * g for k, g in zip(fast, grads)}
        total = total + task_loss(model, fast, ep.x_query, ep.y_query, loss_fn) / episodes.n_tasks
    return dict(zip(leaves, torch.autograd.grad(total, list(leaves.values()))))


def create_graph_meta_gradient(model, params, episodes, loss_fn, inner_lr, inner_steps) -> Params:
    """RIGHT. The same loop with ``create_graph=True``: the inner gradients keep their history."""
    leaves = {k: t.detach().requires_grad_() for k, t in params.items()}
    total = 0.0
    for i in range(episodes.n_tasks):
        ep = episodes.task(i)
        fast = leaves
        for _ in range(inner_steps):
            loss = task_loss(model, fast, ep.x_support, ep.y_support, loss_fn)
            grads = torch.autograd.grad(loss, list(fast.values()), create_graph=True)
            fast = {k: fast[k] - inner_lr * g for k, g in zip(fast, grads)}
        total = total + task_loss(model, fast, ep.x_query, ep.y_query, loss_fn) / episodes.n_tasks
    return dict(zip(leaves, torch.autograd.grad(total, list(leaves.values()))))


# ---------------------------------------------------------------------------------------------------
# 4 · for _ in range(inner_lr)
# ---------------------------------------------------------------------------------------------------


def WRONG_range_inner_lr_adapt(model, params, x_support, y_support, loss_fn, inner_lr, inner_steps) -> Params:
    """WRONG. The loop counts the *learning rate*: ``range(0.01)`` raises TypeError, and the usual
    "fix", ``range(int(inner_lr))``, runs zero steps — θ′ = θ, silently, for every α < 1."""
    fast = dict(params)
    for _ in range(int(inner_lr)):  # <- should be range(inner_steps)
        grads = torch.func.grad(lambda p: task_loss(model, p, x_support, y_support, loss_fn))(fast)
        fast = sgd_step(fast, grads, inner_lr)
    return fast


def adapt_steps(model, params, x_support, y_support, loss_fn, inner_lr, inner_steps) -> Params:
    """RIGHT. :func:`meta_course.core.functional.adapt`: ``inner_steps`` steps of size ``inner_lr``."""
    return adapt(model, params, x_support, y_support, loss_fn, inner_lr, inner_steps)


# ---------------------------------------------------------------------------------------------------
# 5 · A stale forward pass
# ---------------------------------------------------------------------------------------------------


def WRONG_stale_forward_query_loss(model, params, ep: Episode, loss_fn, inner_lr, inner_steps) -> Tensor:
    """WRONG. The query predictions are computed *before* adaptation and reused afterwards, so the
    "post-adaptation" loss is L_Q(θ): MAML becomes joint training on the query sets."""
    pred_query = functional_call(model, dict(params), (ep.x_query,))  # made with θ ...
    fast = adapt(model, params, ep.x_support, ep.y_support, loss_fn, inner_lr, inner_steps)  # noqa: F841
    return loss_fn(pred_query, ep.y_query)  # ... and scored as if made with θ′


def fresh_forward_query_loss(model, params, ep: Episode, loss_fn, inner_lr, inner_steps) -> Tensor:
    """RIGHT. Forward the query set with the adapted parameters."""
    fast = adapt(model, params, ep.x_support, ep.y_support, loss_fn, inner_lr, inner_steps)
    return loss_fn(functional_call(model, fast, (ep.x_query,)), ep.y_query)


def meta_gradient_from_query_loss(query_loss_fn):
    """Turn a per-task ``query_loss_fn(model, params, ep, ...)`` into a meta-gradient function."""
    def meta_gradient(model, params, episodes, loss_fn, inner_lr, inner_steps) -> Params:
        leaves = {k: t.detach().requires_grad_() for k, t in params.items()}
        loss = torch.stack([query_loss_fn(model, leaves, episodes.task(i), loss_fn, inner_lr, inner_steps)
                            for i in range(episodes.n_tasks)]).mean()
        return dict(zip(leaves, torch.autograd.grad(loss, list(leaves.values()))))
    return meta_gradient


# ---------------------------------------------------------------------------------------------------
# 6 · BatchNorm running statistics leaking between tasks
# ---------------------------------------------------------------------------------------------------


def bn_mlp(track_running_stats: bool, width: int = 40, seed: int = 0) -> nn.Sequential:
    """The sine MLP with a BatchNorm1d after each hidden layer."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(1, width), nn.BatchNorm1d(width, track_running_stats=track_running_stats), nn.ReLU(),
                         nn.Linear(width, width), nn.BatchNorm1d(width, track_running_stats=track_running_stats),
                         nn.ReLU(), nn.Linear(width, 1))


def WRONG_bn_running_stats_predict(model: nn.Module, episodes, loss_fn, inner_lr, inner_steps) -> Tensor:
    """WRONG. Adapt each task in train mode (BatchNorm updates its running mean/var buffers with the
    task's support batch), then predict in eval mode (BatchNorm normalises with those buffers). The
    buffers are shared by all tasks: a task's predictions depend on the tasks processed before it.

    Returns the query predictions ``[T, Q, 1]``, tasks processed in order.
    """
    preds = []
    params = {k: v for k, v in model.named_parameters()}
    for i in range(episodes.n_tasks):
        ep = episodes.task(i)
        model.train()  # running statistics are updated by every forward pass below
        fast = {k: v for k, v in params.items()}
        for _ in range(inner_steps):
            loss = loss_fn(functional_call(model, fast, (ep.x_support,)), ep.y_support)
            grads = torch.autograd.grad(loss, list(fast.values()))
            fast = {k: fast[k] - inner_lr * g for k, g in zip(fast, grads)}
        model.eval()  # ... and used here
        with torch.no_grad():
            preds.append(functional_call(model, fast, (ep.x_query,)))
    model.train()
    return torch.stack(preds)


def task_local_bn_predict(model: nn.Module, episodes, loss_fn, inner_lr, inner_steps) -> Tensor:
    """RIGHT (as in the course's models). Batch statistics only, computed from each forward's own
    batch — no state survives a task. Query predictions are normalised with the query batch's
    statistics: *transductive* (predictions for one query point depend on the others); normalising
    the query with the support set's statistics (TaskNorm-style) avoids that too."""
    if any(getattr(m, "track_running_stats", False) for m in model.modules()):
        raise ValueError("task_local_bn_predict needs BatchNorm layers built with track_running_stats=False "
                         "(bn_mlp(track_running_stats=False)); running statistics carry state across tasks.")
    preds = []
    params = {k: v for k, v in model.named_parameters()}
    for i in range(episodes.n_tasks):
        ep = episodes.task(i)
        fast = {k: v for k, v in params.items()}
        for _ in range(inner_steps):
            loss = loss_fn(functional_call(model, fast, (ep.x_support,)), ep.y_support)
            grads = torch.autograd.grad(loss, list(fast.values()))
            fast = {k: fast[k] - inner_lr * g for k, g in zip(fast, grads)}
        with torch.no_grad():
            preds.append(functional_call(model, fast, (ep.x_query,)))
    return torch.stack(preds)


def bn_order_dependence(n_tasks: int = 20, seed: int = 0, inner_lr: float = 0.01, inner_steps: int = 1,
                        k_shot: int = 10) -> tuple[float, float]:
    """The damage of pitfall 6: the median relative change of a task's query MSE when the same tasks
    are processed in another order, ``(wrong, right)`` — fresh, identically initialised models each time."""
    from ..tasks.sine import SineTasks

    eps = SineTasks().sample(torch.Generator().manual_seed(seed), n_tasks, k_shot=k_shot, n_query=20)
    order = torch.randperm(n_tasks, generator=torch.Generator().manual_seed(seed + 1))
    shuffled = Episode(*(t[order] for t in eps))
    mse = nn.functional.mse_loss
    out = []
    for fn, running in ((WRONG_bn_running_stats_predict, True), (task_local_bn_predict, False)):
        a = ((fn(bn_mlp(running, seed=seed), eps, mse, inner_lr, inner_steps) - eps.y_query) ** 2).mean((1, 2))
        b = torch.empty_like(a)
        b[order] = ((fn(bn_mlp(running, seed=seed), shuffled, mse, inner_lr, inner_steps) - shuffled.y_query) ** 2).mean((1, 2))
        out.append(((a - b).abs() / a).median().item())
    return out[0], out[1]


# ---------------------------------------------------------------------------------------------------
# Catchers: each raises AssertionError on the wrong code and passes on the right code
# ---------------------------------------------------------------------------------------------------


def _small_problem(n_tasks: int = 3, seed: int = 0):
    from ..models import MLP
    from ..tasks.sine import SineTasks

    torch.manual_seed(seed)
    model = MLP((1, 8, 8, 1)).double()
    params = {k: v.detach().clone() for k, v in model.named_parameters()}
    eps = SineTasks().sample(torch.Generator().manual_seed(seed), n_tasks, k_shot=5, n_query=5)
    return model, params, Episode(*(t.double() for t in eps))


def catch_wrong_meta_gradient(meta_gradient_fn, inner_lr: float = 0.05, inner_steps: int = 2, rtol: float = 1e-5) -> None:
    """Compare ``meta_gradient_fn`` with central finite differences (float64) of the MAML objective
    mean_i L_{Q_i}(adapt(θ)) along random directions. Catches pitfalls 1, 2, 3 and 5."""
    from ..core.metagrad import finite_difference_gradient, flatten

    model, params, eps = _small_problem()
    mse = nn.functional.mse_loss
    got = flatten(meta_gradient_fn(model, {k: v.clone() for k, v in params.items()}, eps, mse, inner_lr, inner_steps))
    u, d = finite_difference_gradient(lambda p: meta_batch_loss(model, p, eps, mse, inner_lr, inner_steps, use_vmap=False),
                                      params, eps=1e-6, directions=8, generator=torch.Generator().manual_seed(0))
    err = ((u @ got - d).norm() / d.norm()).item()
    assert err < rtol, (f"meta-gradient disagrees with finite differences of the MAML objective: relative error "
                        f"{err:.2e} (allowed {rtol:g})")


def catch_modified_meta_parameters(meta_gradient_fn) -> None:
    """Computing a meta-gradient must leave θ (the module's parameters) exactly as it was. Catches pitfall 2."""
    model, params, eps = _small_problem()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(params[name])
    meta_gradient_fn(model, params, eps, nn.functional.mse_loss, 0.05, 2)
    moved = max((p.detach() - params[name]).abs().max().item() for name, p in model.named_parameters())
    assert moved == 0.0, f"computing the meta-gradient changed the meta-parameters (largest change {moved:.3g})"


def catch_wrong_step_count(adapt_fn) -> None:
    """``adapt_fn`` with inner_lr=0.01 and inner_steps=3 must equal three explicit SGD steps. Catches pitfall 4."""
    model, params, eps = _small_problem(1)
    ep, mse = eps.task(0), nn.functional.mse_loss
    want = dict(params)
    for _ in range(3):
        g = torch.func.grad(lambda p: task_loss(model, p, ep.x_support, ep.y_support, mse))(want)
        want = sgd_step(want, g, 0.01)
    got = adapt_fn(model, params, ep.x_support, ep.y_support, mse, 0.01, 3)
    for k in want:
        assert torch.allclose(got[k], want[k], rtol=1e-10, atol=1e-12), (
            f"adaptation with inner_steps=3, inner_lr=0.01 is not three SGD steps (parameter {k!r} differs "
            f"by {(got[k] - want[k]).abs().max().item():.3g}; unchanged from θ: {torch.equal(got[k], params[k])})")


class BNPipeline(NamedTuple):
    """What pitfall 6 is about: a model *and* the procedure that adapts and predicts with it."""

    model_factory: Callable[[], nn.Module]
    predict: Callable  # predict(model, episodes, loss_fn, inner_lr, inner_steps) -> [T, Q, 1]


WRONG_BN_PIPELINE = BNPipeline(lambda: bn_mlp(track_running_stats=True), WRONG_bn_running_stats_predict)
TASK_LOCAL_BN_PIPELINE = BNPipeline(lambda: bn_mlp(track_running_stats=False), task_local_bn_predict)


def catch_order_dependence(pipeline: BNPipeline) -> None:
    """A task's predictions must not depend on which tasks were processed before it. Catches pitfall 6.

    One model is built by ``pipeline.model_factory`` and used throughout, as an evaluation script
    would: the last task is predicted after one history of tasks, then again after another.
    """
    from ..tasks.sine import SineTasks

    eps = SineTasks().sample(torch.Generator().manual_seed(0), 7, k_shot=10, n_query=10)
    history_a = Episode(*(t[[0, 1, 2, 6]] for t in eps))
    history_b = Episode(*(t[[3, 4, 5, 6]] for t in eps))
    mse = nn.functional.mse_loss
    model = pipeline.model_factory()
    pa = pipeline.predict(model, history_a, mse, 0.01, 1)[-1]
    pb = pipeline.predict(model, history_b, mse, 0.01, 1)[-1]
    gap = (pa - pb).abs().max().item()
    assert gap < 1e-6, f"the same task got different predictions after different earlier tasks (max gap {gap:.3g})"


# ---------------------------------------------------------------------------------------------------
# The registry the lesson and the tests iterate over
# ---------------------------------------------------------------------------------------------------


class Pitfall(NamedTuple):
    name: str
    wrong: Callable
    right: Callable
    catch: Callable  # catch(fn) raises AssertionError for the wrong fn, returns None for the right one
    computes: str


PITFALLS: dict[str, Pitfall] = {p.name: p for p in [
    Pitfall("average_support", WRONG_average_support_gradients, maml_meta_gradient_autograd, catch_wrong_meta_gradient,
            "mean_i ∇L_S_i(θ): the gradient of joint training on the support sets; no adaptation, no query set."),
    Pitfall("inplace_data", WRONG_inplace_data_meta_gradient, functional_meta_gradient,
            lambda fn: (catch_modified_meta_parameters(fn), catch_wrong_meta_gradient(fn)),
            "first-order gradients taken at a θ that each task's adaptation has overwritten."),
    Pitfall("no_create_graph", WRONG_no_create_graph_meta_gradient, create_graph_meta_gradient,
            catch_wrong_meta_gradient,
            "first-order MAML, ∇L_Q(θ′), without the (I − α∇²L_S) factors."),
    Pitfall("range_inner_lr", WRONG_range_inner_lr_adapt, adapt_steps, catch_wrong_step_count,
            "zero inner steps for any α < 1: θ′ = θ, so the meta-objective is joint training on the query sets."),
    Pitfall("stale_forward", meta_gradient_from_query_loss(WRONG_stale_forward_query_loss),
            meta_gradient_from_query_loss(fresh_forward_query_loss), catch_wrong_meta_gradient,
            "L_Q(θ) instead of L_Q(θ′): joint training on the query sets, whatever the inner loop does."),
    Pitfall("batchnorm_leak", WRONG_BN_PIPELINE, TASK_LOCAL_BN_PIPELINE, catch_order_dependence,
            "predictions normalised with statistics accumulated over earlier tasks' support sets."),
]}


# ---------------------------------------------------------------------------------------------------
# Learners with the bugs, for measuring the damage of meta-training with them (lesson 04)
# ---------------------------------------------------------------------------------------------------


class WRONG_AverageSupportMAML(MAML):
    """WRONG. Meta-trained with the averaged support gradients (pitfall 1); adapts correctly at test time."""

    name = "WRONG-average-support"

    def meta_loss(self, episodes, use_vmap: bool = True) -> Tensor:
        # a surrogate whose gradient is mean_i ∇L_S_i(θ): exactly what pitfall 1 feeds the optimiser
        pred = torch.func.vmap(lambda x: self.net(x))(episodes.x_support)
        return self.loss_fn(pred, episodes.y_support)


class WRONG_RangeInnerLrMAML(MAML):
    """WRONG. ``range(int(inner_lr))`` inner loop (pitfall 4) in training *and* at test time."""

    name = "WRONG-range-inner-lr"

    def meta_loss(self, episodes, use_vmap: bool = True) -> Tensor:
        return meta_batch_loss(self.net, self.params(), episodes, self.loss_fn, self.inner_lr, int(self.inner_lr))

    def adapt(self, x_support, y_support, inner_steps=None, inner_lr=None, first_order=None):
        from ..learners.base import Predictor

        lr = self.inner_lr if inner_lr is None else inner_lr
        return Predictor(self.net, WRONG_range_inner_lr_adapt(self.net, self.params(), x_support, y_support,
                                                              self.loss_fn, lr, inner_steps))


class WRONG_StaleForwardMAML(MAML):
    """WRONG. Meta-trained on the stale "post-adaptation" loss (pitfall 5); adapts correctly at test time."""

    name = "WRONG-stale-forward"

    def meta_loss(self, episodes, use_vmap: bool = True) -> Tensor:
        def one(xs, ys, xq, yq):
            return WRONG_stale_forward_query_loss(self.net, self.params(), Episode(xs, ys, xq, yq), self.loss_fn,
                                                  self.inner_lr, self.inner_steps)
        return torch.func.vmap(one, randomness="different")(*episodes).mean()


DAMAGE_LEARNERS = {"average_support": WRONG_AverageSupportMAML, "range_inner_lr": WRONG_RangeInnerLrMAML,
                   "stale_forward": WRONG_StaleForwardMAML}


DAMAGE_CHECKPOINT = "pitfalls_sine"


def meta_train_damage(names=("average_support", "range_inner_lr", "stale_forward"), steps: int = 5000,
                      inner_lr: float = 0.01, seed: int = 0, progress: bool = False, out=None) -> dict:
    """Meta-train correct MAML and each buggy learner with the same budget on sine tasks.

    Settings: the ``maml_sine`` recipe (K=10, one inner step, meta-batch 25, Adam 1e-3) with
    ``inner_lr`` (0.01 learns faster than the recipe's 1e-3 in a short run) and ``steps`` outer
    steps, the same seed for all. Returns ``{name: learner}``; with ``out`` also saves their weights
    to that file (``meta_course/checkpoints/pitfalls_sine.pt`` is made by
    ``python -m meta_course.lessons.pitfalls --steps 5000``).
    """
    from ..recipes import train_recipe

    learners = {}
    for name in ("maml", *names):
        cls = MAML if name == "maml" else DAMAGE_LEARNERS[name]
        learners[name], _ = train_recipe("maml_sine", steps=steps, seed=seed, learner_class=cls, inner_lr=inner_lr,
                                         progress=progress, device="cpu")
    if out is not None:
        atomic_save({"steps": steps, "inner_lr": inner_lr, "seed": seed,
                     "state_dicts": {n: m.state_dict() for n, m in learners.items()}}, out)
    return learners


def load_damage_learners(path=None) -> dict:
    """The learners saved by :func:`meta_train_damage` (default: the committed checkpoint)."""
    from ..checkpoints import checkpoint_path
    from ..recipes.sine import SINE_MLP

    ckpt = torch.load(path or checkpoint_path(DAMAGE_CHECKPOINT), map_location="cpu", weights_only=True)
    learners = {}
    for name, state in ckpt["state_dicts"].items():
        cls = MAML if name == "maml" else DAMAGE_LEARNERS[name]
        learners[name] = cls(SINE_MLP, inner_lr=ckpt["inner_lr"], inner_steps=1)
        learners[name].load_state_dict(state)
    return learners


def damage_table(learners: dict, n_tasks: int = 1000, seed: int = 2026, inner_steps: int = 10) -> dict:
    """Held-out query MSE (K=5, ``inner_steps`` steps, 50 query points) of each learner: ``{name: EvalResult}``."""
    from ..evaluate import evaluate
    from ..tasks.sine import SineTasks

    held_out = SineTasks().sample(torch.Generator().manual_seed(seed), n_tasks, k_shot=5, n_query=50)
    return {name: evaluate(m, held_out, inner_steps=inner_steps) for name, m in learners.items()}


if __name__ == "__main__":
    import argparse
    from pathlib import Path

    from ..checkpoints import HERE

    parser = argparse.ArgumentParser(description="Meta-train MAML and the buggy learners of lesson 04 (same budget).")
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=HERE / f"{DAMAGE_CHECKPOINT}.pt")
    args = parser.parse_args()
    torch.set_num_threads(1)
    trained = meta_train_damage(steps=args.steps, progress=True, out=args.out)
    for name, r in damage_table(trained).items():
        print(f"{name:16s} {r}")


# --------------------------------------------------------------------------------------------------------
# What the lesson's cells call to show a bug and run its catcher
# --------------------------------------------------------------------------------------------------------

def show(fn) -> None:
    """Print the source of ``fn`` (a ``WRONG_`` function or its right twin) as the lesson shows it."""
    print(inspect.getsource(fn))


def caught(check, fn) -> str | None:
    """Run the catcher ``check`` on ``fn``: its message if it raises ``AssertionError`` (the bug is caught),
    ``None`` if it passes.

    Example:
        >>> p = PITFALLS["range_inner_lr"]
        >>> caught(p.catch, p.right) is None, caught(p.catch, p.wrong) is not None
        (True, True)
    """
    try:
        check(fn)
    except AssertionError as err:
        return str(err)
    return None


def verdict(check, fn) -> str:
    """``"passes ✓"`` or ``"caught ✗ — <the catcher's message>"``."""
    message = caught(check, fn)
    return f"caught ✗ — {message}" if message else "passes ✓"
