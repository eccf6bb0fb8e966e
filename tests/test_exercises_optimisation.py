"""Lesson 05's exercises accept right answers and reject wrong ones."""

import pytest

from meta_course.core.coordinatewise import preprocess
from meta_course.lessons.exercises_optimisation import check


def test_reptile_update_exercise():
    right = lambda th, phis, eps: {k: th[k] + eps * sum(p[k] - th[k] for p in phis) / len(phis) for k in th}  # noqa: E731
    assert check("optim.reptile_update", right)
    with pytest.raises(AssertionError, match="Hint"):
        check("optim.reptile_update", lambda th, phis, eps: {k: th[k] + eps * sum(p[k] - th[k] for p in phis) for k in th})


def test_preprocess_exercise():
    assert check("optim.preprocess", preprocess)
    with pytest.raises(AssertionError):
        check("optim.preprocess", lambda g, p: preprocess(g, 1.0))


def test_best_before_adaptation_exercise_has_one_right_answer():
    right = []
    for m in ("pretrained", "maml", "reptile"):
        try:
            if check("optim.best_before_adaptation", m):
                right.append(m)
        except AssertionError:
            pass
    assert right == ["pretrained"]
