"""Lesson 11's exercises accept right answers (in several forms) and reject wrong ones."""

import math

import pytest
import torch

from meta_course.lessons.exercises_rl import check


def test_ucb1_scores_exercise():
    def right(s, f, t, c):
        n = s + f
        score = s / n + c * torch.sqrt(2 * math.log(t) / n)
        return torch.where(n == 0, torch.tensor(float("inf")), score)

    assert check("bandits.ucb1_scores", right)
    with pytest.raises(AssertionError, match="Hint"):        # forgot the factor 2 under the root
        check("bandits.ucb1_scores", lambda s, f, t, c: torch.where(
            s + f == 0, torch.tensor(float("inf")), s / (s + f) + c * torch.sqrt(math.log(t) / (s + f))))


def test_bayes_value_exercise():
    assert check("bandits.bayes_value_k2_n3", 5 / 3)
    assert check("bandits.bayes_value_k2_n3", "1.6667")
    with pytest.raises(AssertionError):
        check("bandits.bayes_value_k2_n3", 1.5)                # n/2: random play
    assert check("bandits.bayes_value_k2_n3", None) is None


def test_gae_exercise():
    def right(r, v, gamma, lam):
        out, running = torch.zeros_like(r), torch.zeros(r.shape[0])
        nxt = torch.zeros(r.shape[0])
        for t in reversed(range(r.shape[1])):
            running = r[:, t] + gamma * nxt - v[:, t] + gamma * lam * running
            nxt = v[:, t]
            out[:, t] = running
        return out

    assert check("bandits.gae", right)
    with pytest.raises(AssertionError):
        check("bandits.gae", lambda r, v, gamma, lam: right(r, v, gamma, 1.0))
