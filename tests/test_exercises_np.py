"""Lesson 10's exercises accept every right answer and reject wrong ones."""

import math

import pytest
import torch

from meta_course.learners.memory.cnp import gaussian_nll
from meta_course.lessons.exercises_np import check


def test_gaussian_nll_exercise():
    assert check("np.gaussian_nll", gaussian_nll)
    assert check("np.gaussian_nll", lambda y, m, s: -torch.distributions.Normal(m, s).log_prob(y))
    assert check("np.gaussian_nll", lambda y, m, s: 0.5 * torch.log(2 * math.pi * s ** 2) + (y - m) ** 2 / (2 * s ** 2))
    with pytest.raises(AssertionError, match="Hint"):  # the variance where the std belongs
        check("np.gaussian_nll", lambda y, m, s: 0.5 * math.log(2 * math.pi) + torch.log(s) + (y - m) ** 2 / (2 * s))
    with pytest.raises(AssertionError):  # summed instead of elementwise
        check("np.gaussian_nll", lambda y, m, s: gaussian_nll(y, m, s).sum())


def test_posterior_variance_exercise():
    assert check("np.posterior_variance", 1 - 1 / 1.01 + 0.01)
    assert check("np.posterior_variance", "0.0199")
    with pytest.raises(AssertionError):  # forgot the observation noise of y*
        check("np.posterior_variance", 1 - 1 / 1.01)


def test_same_prediction_exercise():
    assert check("np.same_prediction", lambda x, y: (x.repeat(3, 1), y.repeat(3, 1)))
    assert check("np.same_prediction", lambda x, y: (torch.cat([x, x, x]).flip(0), torch.cat([y, y, y]).flip(0)))
    with pytest.raises(AssertionError):  # 12 points, but not each repeated equally often
        check("np.same_prediction", lambda x, y: (torch.cat([x, x, x[:2], x[:2]]), torch.cat([y, y, y[:2], y[:2]])))
    with pytest.raises(AssertionError):
        check("np.same_prediction", lambda x, y: (x, y))


def test_unanswered_exercises_pass_with_a_hint(capsys):
    for name in ("np.gaussian_nll", "np.posterior_variance", "np.same_prediction"):
        assert check(name, None) is None
    assert capsys.readouterr().out.count("Hint") == 3
