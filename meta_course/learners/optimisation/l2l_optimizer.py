"""The learned LSTM optimiser (Andrychowicz et al. 2016, "Learning to learn by gradient descent by
gradient descent").

An optimiser m with parameters φ replaces the hand-designed update rule (Eq. 1):
    θ_{t+1} = θ_t + g_t,     [g_t, h_{t+1}] = m(∇f(θ_t), h_t, φ)
m is a two-layer LSTM applied *coordinate-wise* (Section 2.1): every coordinate of θ is one row of a
batch and has its own hidden state, all share φ. Its input is the preprocessed gradient (log/sign,
Appendix A), its output a linear read-out of the second layer scaled by 0.1. φ is meta-trained to
minimise the sum of the optimisee's losses along the trajectory (Eq. 3):
    L(φ) = E_f [ Σ_{t=1}^{T} w_t f(θ_t) ],   w_t = 1,
by backpropagation through the unrolled optimisation, truncated every ``truncation`` steps, and —
as in the paper — treating the optimisee's gradients ∇f(θ_t) as inputs (no second derivatives;
the dashed edges of its Figure 2).

Truncation here: one training step unrolls all T steps; the trajectory state (θ, hidden states) is
detached every ``truncation`` steps, so gradients flow only within a segment, and the segments'
losses are summed into one outer update (the paper steps Adam after each segment instead).

Problems: random quadratics f(θ) = ‖Wθ − y‖² (W, y ~ N(0, 1), 10-d, Section 3.1), the task family
``"quadratic"`` (:class:`~meta_course.tasks.linear.QuadraticTasks`: an Episode with x = W, y = y; the optimisee
``QUADRATIC_MODEL``, linear without bias, loss ``sse``); then small MLPs on sine tasks (the optimisee starts from a fresh random initialisation
each time and must fit the support points; the objective is the query loss).

References:
    Andrychowicz, Denil, Gómez, Hoffman, Pfau, Schaul, Shillingford & de Freitas (2016), NeurIPS,
    Eq. (1)-(3), Section 2.1 (coordinate-wise LSTM, 2 layers, 20 hidden units), Section 3.1
    (quadratics, 100 steps, truncation 20), Appendix A (preprocessing p = 10, output scale 0.1).
"""

from __future__ import annotations

import copy
import math

import torch
from torch import Tensor, nn
from torch.func import grad, vmap

from ...core.checks import check_choice, check_int, check_positive
from ...core.coordinatewise import CoordinateLSTMCell, flatten, preprocess, unflatten
from ...core.functional import Params, forward, sgd_step, task_loss
from ...models import build_model
from ...tasks import Episode
from ..base import LOSSES, Learner, Predictor

def random_init(net: nn.Module, seed: int | None = None) -> Params:
    """A fresh initialisation of ``net``'s architecture (its modules' ``reset_parameters``).

    ``seed=None`` draws from torch's global generator (seeded and checkpointed by the training loop,
    so resumed runs see the same optimisees); an int gives a fixed, reproducible initialisation.
    """
    fresh = copy.deepcopy(net)
    with torch.random.fork_rng(enabled=seed is not None):
        if seed is not None:
            torch.manual_seed(seed)
        for m in fresh.modules():
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()
    return {k: v.detach() for k, v in fresh.named_parameters()}


class L2LOptimizer(Learner):
    """A coordinate-wise two-layer LSTM that outputs the optimisee's parameter updates.

    Args:
        model: the optimisee's spec (``linear`` for quadratics, the sine ``mlp``).
        loss: ``"sse"`` (quadratics: f = ‖Wθ − y‖²) or ``"mse"``.
        inner_steps: T, optimisation steps unrolled per meta-training problem (and the default of
            :meth:`adapt`).
        truncation: steps per truncated-backpropagation segment (paper: 20 of 100).
        hidden: LSTM width (paper: 20). out_scale: the read-out's scale (paper: 0.1).
        objective: ``"support"`` — f is the loss being optimised (quadratics) — or ``"query"`` — the
            optimisee is scored on held-out points of the same task (few-shot sine).
        learn_init: ``False`` (the paper): every run starts from a fresh random initialisation.
            ``True``: the optimisee's initial parameters θ_0 are meta-learned with the optimiser, which
            turns it into a few-shot learner (the combination Ravi & Larochelle use).

    Knobs of :meth:`adapt`: ``inner_steps``; ``init_seed`` picks the optimisee's random
    initialisation (default 0, never used in training, where initialisations come from the
    training generator).

    References:
        Andrychowicz et al. (2016), Eq. (1)-(3), Section 2.1, Appendix A.

    Example:
        >>> from meta_course.tasks.linear import QUADRATIC_MODEL, QuadraticTasks
        >>> opt = L2LOptimizer(QUADRATIC_MODEL, loss="sse", inner_steps=5, truncation=5)
        >>> ep = QuadraticTasks().sample(torch.Generator().manual_seed(0), 2)
        >>> len(opt.adapt(ep.x_support[0], ep.y_support[0]).trajectory)
        6
    """

    name = "l2l-optimizer"

    metric = "mse"

    def __init__(self, model: dict, loss: str = "mse", inner_steps: int = 20, truncation: int = 20,
                 hidden: int = 20, out_scale: float = 0.1, objective: str = "query", learn_init: bool = False):
        super().__init__()
        check_choice("loss", loss, ("mse", "sse"), "Regression losses only.")
        check_int("inner_steps", inner_steps, 1, 10_000, "The paper unrolls 100 steps on quadratics.")
        check_int("truncation", truncation, 1, 10_000, "The paper truncates every 20 steps.")
        check_int("hidden", hidden, 1, 1024, "The paper uses 20.")
        check_positive("out_scale", out_scale, "The paper uses 0.1.")
        check_choice("objective", objective, ("support", "query"))
        self.config = dict(model=model, loss=loss, inner_steps=inner_steps, truncation=truncation, hidden=hidden,
                           out_scale=out_scale, objective=objective, learn_init=learn_init)
        self.learn_init = bool(learn_init)
        # the optimisee's own parameters are meta-learned only with learn_init (θ_0, as in Ravi & Larochelle)
        self.net = build_model(model).requires_grad_(self.learn_init)
        self.loss_fn = LOSSES[loss]
        self.inner_steps, self.truncation, self.out_scale, self.objective = inner_steps, truncation, out_scale, objective
        self.cell1 = CoordinateLSTMCell(2, hidden)
        self.cell2 = CoordinateLSTMCell(hidden, hidden)
        self.readout = nn.Linear(hidden, 1)

    def initial_params(self, init_seed: int | None = 0) -> Params:
        """θ_0: the learned initialisation (``learn_init``) or a random one (``init_seed``; None → global RNG)."""
        if self.learn_init:
            return dict(self.net.named_parameters())
        return random_init(self.net, init_seed)

    def update(self, grad_flat: Tensor, state):
        """g_t and the new hidden state from the gradient of every coordinate (Eq. 1, m(∇f, h, φ))."""
        s1, s2 = state
        s1 = self.cell1(preprocess(grad_flat), s1)
        s2 = self.cell2(s1[0], s2)
        return self.out_scale * self.readout(s2[0]).squeeze(-1), (s1, s2)

    def optimise(self, init: Params, x_support, y_support, steps: int, x_query=None, y_query=None,
                 truncation: int | None = None) -> tuple[list[Params], Tensor]:
        """Run the learned optimiser for ``steps`` steps on a *batch* of problems.

        Args:
            init: θ_0 per problem, a dict of ``[B, ...]`` tensors.
            x_support, y_support: ``[B, ...]`` — the loss being optimised.
            x_query, y_query: optional held-out examples the returned losses are measured on.
            truncation: cut the graph every this many steps (truncated backpropagation).

        Returns:
            The trajectory ``[θ_0, ..., θ_T]`` (dicts of ``[B, ...]``) and the losses ``[B, T]`` of
            θ_1..θ_T that the meta-objective sums. The LSTM runs on all B·n coordinates at once; only
            the optimisee's gradients are vectorised over problems with ``vmap``.
        """
        like = {k: v[0] for k, v in init.items()}
        theta = flatten(init, batch_dims=1)
        b, n = theta.shape
        state = (self.cell1.zero_state(b * n, theta), self.cell2.zero_state(b * n, theta))
        one_loss = lambda p, x, y: task_loss(self.net, p, x, y, self.loss_fn)  # noqa: E731
        grads_of, losses_of = vmap(grad(one_loss)), vmap(one_loss)
        xq, yq = (x_support, y_support) if x_query is None else (x_query, y_query)
        path, losses = [init], []
        for t in range(steps):
            if truncation and t > 0 and t % truncation == 0:  # truncated BPTT: cut the graph here
                theta = theta.detach()
                state = tuple((h.detach(), c.detach()) for h, c in state)
            g = flatten(grads_of(unflatten(theta, like), x_support, y_support), batch_dims=1)
            step, state = self.update(g.detach().reshape(-1), state)  # ∇f is an input: no 2nd order (Fig. 2)
            theta = theta + step.view(b, n)
            params = unflatten(theta, like)
            path.append(params)
            losses.append(losses_of(params, xq, yq))
        return path, torch.stack(losses, dim=1) if losses else theta.new_zeros(b, 0)

    def adapt(self, x_support, y_support, inner_steps: int | None = None, inner_lr=None, init_seed: int = 0,
              init: Params | None = None) -> Predictor:
        """Optimise a freshly initialised optimisee on one task's support set.

        ``inner_lr`` is not a knob of a learned optimiser: passing one raises rather than being ignored.
        """
        if inner_lr is not None:
            raise ValueError(f"inner_lr={inner_lr!r}: the learned optimiser sets its own steps; drop inner_lr "
                             "(compare with SGD/Adam via meta_course.learners.optimisation.l2l_optimizer.loss_curves).")
        steps = check_int("inner_steps", self.inner_steps if inner_steps is None else inner_steps, 0, 10_000)
        init = self.initial_params(init_seed) if init is None else init
        path, _ = self.optimise({k: v[None] for k, v in init.items()}, x_support[None], y_support[None], steps)
        return Predictor(self.net, {k: v[0] for k, v in path[-1].items()}, [{k: v[0] for k, v in p.items()} for p in path])

    def predict(self, episodes, inner_steps: int | None = None, init_seed: int = 0, inner_lr=None) -> Tensor:
        """Query predictions of every task, each optimisee started from the same ``init_seed`` draw."""
        if inner_lr is not None:
            raise ValueError(f"inner_lr={inner_lr!r}: the learned optimiser sets its own steps; drop inner_lr.")
        steps = check_int("inner_steps", self.inner_steps if inner_steps is None else inner_steps, 0, 10_000)
        b = episodes.n_tasks
        init = {k: v.expand(b, *v.shape) for k, v in self.initial_params(init_seed).items()}
        final = self.optimise(init, episodes.x_support, episodes.y_support, steps)[0][-1]
        return vmap(lambda p, x: forward(self.net, p, x))(final, episodes.x_query)

    def meta_loss(self, episodes) -> Tensor:
        """(1/T) Σ_t f(θ_t), averaged over the problems of the batch (Eq. 3, w_t = 1); every problem
        starts from its own random initialisation (torch's global generator). The problems are processed
        as one batch (the LSTM runs on all their coordinates at once)."""
        if self.learn_init:
            init = {k: v.expand(episodes.n_tasks, *v.shape) for k, v in self.initial_params().items()}
        else:
            inits = [random_init(self.net) for _ in range(episodes.n_tasks)]
            init = {k: torch.stack([p[k] for p in inits]) for k in inits[0]}
        query = self.objective == "query"
        _, losses = self.optimise(init, episodes.x_support, episodes.y_support, self.inner_steps,
                                  episodes.x_query if query else None, episodes.y_query if query else None,
                                  self.truncation)
        return losses.mean()

    def optimizers(self, outer_lr: float) -> dict[str, torch.optim.Optimizer]:
        """Adam over φ (and θ_0 with ``learn_init``; otherwise the optimisee's module is not meta-learned)."""
        return {"outer": torch.optim.Adam([p for n, p in self.named_parameters()
                                           if self.learn_init or not n.startswith("net.")], lr=outer_lr)}


def _adam(params: Params, grads: Params, state: dict, lr: float, t: int, b1=0.9, b2=0.999, eps=1e-8) -> Params:
    m = {k: b1 * state.get("m", {}).get(k, 0) + (1 - b1) * g for k, g in grads.items()}
    v = {k: b2 * state.get("v", {}).get(k, 0) + (1 - b2) * g * g for k, g in grads.items()}
    state["m"], state["v"] = m, v
    return {k: params[k] - lr * (m[k] / (1 - b1 ** t)) / ((v[k] / (1 - b2 ** t)).sqrt() + eps) for k in params}


def hand_designed_path(net: nn.Module, loss_fn, init: Params, x_support, y_support, method: str, lr: float,
                       steps: int) -> list[Params]:
    """SGD or Adam (Kingma & Ba 2015, bias-corrected) from ``init`` on the support loss, functionally."""
    check_choice("method", method, ("sgd", "adam"))
    check_positive("lr", lr, "Tune it: see tune_lr.")
    support_grad = grad(lambda p: task_loss(net, p, x_support, y_support, loss_fn))
    path, state = [init], {}
    for t in range(1, steps + 1):
        g = support_grad(path[-1])
        path.append(sgd_step(path[-1], g, lr) if method == "sgd" else _adam(path[-1], g, state, lr, t))
    return path


def loss_curves(learner: L2LOptimizer, episodes: Episode, steps: int, lrs: dict[str, float], init_seed: int = 0,
                on: str = "query", learned: bool = True) -> dict[str, Tensor]:
    """f(θ_t), t = 0..steps, for every problem: ``{"learned": [T, steps+1], "sgd": ..., "adam": ...}``.

    All methods start from the same initialisation (``init_seed``, or the learned θ_0) and see the same
    gradients of the support loss; the curves are the loss on ``on`` = ``"support"`` or ``"query"``
    examples. ``learned=False`` skips the learned optimiser (step-size tuning of the baselines).
    """
    check_choice("on", on, ("support", "query"))
    init = {k: v.detach() for k, v in learner.initial_params(init_seed).items()}
    net, loss_fn = learner.net, learner.loss_fn

    def curve(path, xq, yq):
        return torch.stack([task_loss(net, p, xq, yq, loss_fn) for p in path])

    def run(method):
        def one(xs, ys, xq, yq):
            if on == "support":
                xq, yq = xs, ys
            path = hand_designed_path(net, loss_fn, init, xs, ys, method, lrs[method], steps)
            return curve(path, xq, yq)

        with torch.no_grad():
            if method != "learned":
                return vmap(one, randomness="different")(*episodes)
            b = episodes.n_tasks
            start = {k: v.expand(b, *v.shape) for k, v in init.items()}
            xs, ys, xq, yq = episodes
            if on == "support":
                xq, yq = xs, ys
            path, losses = learner.optimise(start, xs, ys, steps, xq, yq)
            first = vmap(lambda p, x, y: task_loss(net, p, x, y, loss_fn))(start, xq, yq)
            return torch.cat([first[:, None], losses], dim=1)

    return {m: run(m) for m in (("learned",) if learned else ()) + tuple(lrs)}


def tune_lr(learner: L2LOptimizer, episodes: Episode, method: str, steps: int,
            grid=(1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0), on: str = "support", init_seed: int = 0) -> float:
    """The step size of ``grid`` with the lowest mean final loss on ``episodes`` (validation problems),
    so SGD and Adam get their best shot in every comparison. Diverging step sizes count as +inf."""
    best, best_lr = math.inf, None
    for lr in grid:
        final = loss_curves(learner, episodes, steps, {method: lr}, init_seed, on, learned=False)[method][:, -1]
        score = final.mean().item() if torch.isfinite(final).all() else math.inf
        if score < best:
            best, best_lr = score, lr
    if best_lr is None:
        raise FloatingPointError(f"{method} diverged for every step size in {grid}: add smaller ones.")
    return best_lr
