"""A two-state, two-action MDP small enough to compute every policy gradient exactly.

With a tabular softmax policy ``π(a|s) = softmax(logits[s])_a`` the expected return
``J(logits) = E_τ[Σ_t γ^t r_t]`` over a horizon ``H`` is a short, differentiable recursion over the
state distribution (:meth:`TwoStateMDP.expected_return`), so ``torch.autograd`` gives the *exact*
gradient ∇J. There are only ``|S| · |A|^H · |S|^(H-1)`` trajectories, so the *expectation* of the
score-function (REINFORCE) estimator can also be computed exactly by enumerating them
(:meth:`TwoStateMDP.all_trajectories`) — the check that the estimator is unbiased holds to
float64 precision, not just within Monte-Carlo error.

Example:
    >>> mdp = TwoStateMDP()
    >>> logits = torch.zeros(2, 2, dtype=torch.float64)
    >>> round(mdp.expected_return(logits).item(), 4)
    2.159
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import torch
from torch import Tensor

from ...core.checks import check_int, check_range


class Trajectories(NamedTuple):
    """A batch of trajectories: ``states``, ``actions`` (int64) and ``rewards``, each ``[N, H]``."""

    states: Tensor
    actions: Tensor
    rewards: Tensor


class TwoStateMDP:
    """The tiny MDP of the policy-gradient checks.

    State 0 pays 1 for action 1 and 0 for action 0; state 1 pays 2 for action 0 and 0 for action 1.
    Action 1 moves to the other state with probability 0.9, action 0 stays with probability 0.8.
    The episode starts in state 0 with probability 0.7. (Any numbers would do; these make both the
    immediate reward and the next state depend on the action, so the gradient has both parts.)

    Args:
        horizon: steps per episode (1–8; enumeration grows like 8^H).
        gamma: discount factor in [0, 1].

    Attributes:
        transition: ``[S, A, S]`` probabilities P(s' | s, a).
        reward: ``[S, A]`` r(s, a).
        initial: ``[S]`` the start-state distribution.
    """

    def __init__(self, horizon: int = 3, gamma: float = 1.0):
        self.horizon = check_int("horizon", horizon, 1, 8, "Keep it small: every trajectory is enumerated.")
        self.gamma = check_range("gamma", gamma, 0.0, 1.0, "A discount factor lies in [0, 1].")
        d = torch.float64
        self.transition = torch.tensor([[[0.8, 0.2], [0.1, 0.9]],
                                        [[0.2, 0.8], [0.9, 0.1]]], dtype=d)
        self.reward = torch.tensor([[0.0, 1.0], [2.0, 0.0]], dtype=d)
        self.initial = torch.tensor([0.7, 0.3], dtype=d)

    def _check_logits(self, logits: Tensor) -> None:
        if tuple(logits.shape) != (2, 2):
            raise ValueError(f"logits has shape {tuple(logits.shape)}: expected (2, 2), one row of action logits per state.")

    def expected_return(self, logits: Tensor) -> Tensor:
        """J(logits) = Σ_t γ^t Σ_s d_t(s) Σ_a π(a|s) r(s, a), exactly (differentiable in ``logits``).

        ``d_0`` is the start distribution and ``d_{t+1}(s') = Σ_{s,a} d_t(s) π(a|s) P(s'|s,a)``.
        """
        self._check_logits(logits)
        pi = torch.softmax(logits.to(torch.float64), dim=-1)
        d, total = self.initial, torch.zeros((), dtype=torch.float64)
        for t in range(self.horizon):
            total = total + self.gamma ** t * (d[:, None] * pi * self.reward).sum()
            d = torch.einsum("s,sa,sat->t", d, pi, self.transition)
        return total

    def sample(self, logits: Tensor, n: int, generator: torch.Generator) -> Trajectories:
        """``n`` trajectories of the softmax policy (all randomness from ``generator``)."""
        self._check_logits(logits)
        check_int("n", n, 1, fix="Sample at least one trajectory.")
        pi = torch.softmax(logits.detach().to(torch.float64), dim=-1)
        s = torch.multinomial(self.initial.expand(n, 2), 1, generator=generator).squeeze(1)
        states, actions, rewards = [], [], []
        for _ in range(self.horizon):
            a = torch.multinomial(pi[s], 1, generator=generator).squeeze(1)
            states.append(s), actions.append(a), rewards.append(self.reward[s, a])
            s = torch.multinomial(self.transition[s, a], 1, generator=generator).squeeze(1)
        return Trajectories(torch.stack(states, 1), torch.stack(actions, 1), torch.stack(rewards, 1))

    def all_trajectories(self) -> tuple[Trajectories, Tensor]:
        """Every trajectory and its probability *under the dynamics alone* (``[M]``).

        ``p(τ) = ρ(s_0) Π_t P(s_{t+1}|s_t, a_t) · Π_t π(a_t|s_t)``: multiply the returned weights by
        ``exp(Σ_t log π(a_t|s_t))`` to get the trajectory distribution of a policy.
        """
        rows, weights = [], []
        H = self.horizon
        for s0 in range(2):
            for acts in itertools.product(range(2), repeat=H):
                for nxt in itertools.product(range(2), repeat=H - 1):
                    states = (s0, *nxt)
                    w = self.initial[s0]
                    for t in range(H - 1):
                        w = w * self.transition[states[t], acts[t], states[t + 1]]
                    rows.append((states, acts)), weights.append(w)
        states = torch.tensor([r[0] for r in rows])
        actions = torch.tensor([r[1] for r in rows])
        return Trajectories(states, actions, self.reward[states, actions]), torch.stack(weights)

    def log_policy(self, logits: Tensor, states: Tensor, actions: Tensor) -> Tensor:
        """log π(a_t | s_t) for every step, ``[N, H]`` (differentiable in ``logits``)."""
        self._check_logits(logits)
        return torch.log_softmax(logits.to(torch.float64), dim=-1)[states, actions]


__all__ = ["Trajectories", "TwoStateMDP"]
