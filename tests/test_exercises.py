"""The self-checking exercises accept right answers, reject wrong ones, and let blanks pass."""

import pytest

from meta_course.core.functional import sgd_step
from meta_course.lessons.exercises import check


def test_unanswered_prints_a_hint_and_passes(capsys):
    assert check("sine.inner_step", None) is None
    assert "not answered yet" in capsys.readouterr().out


def test_inner_step_exercise():
    assert check("sine.inner_step", sgd_step)
    with pytest.raises(AssertionError, match="Hint"):
        check("sine.inner_step", lambda p, g, lr: {k: p[k] + lr * g[k] for k in p})  # wrong sign


def test_hessian_term_exercise():
    assert check("sine.hessian_term", "I - alpha * hessian")
    with pytest.raises(AssertionError):
        check("sine.hessian_term", "alpha * hessian")


def test_steps_needed_exercise_has_exactly_one_right_answer():
    right = [s for s in range(1, 11) if _ok(s)]
    assert len(right) == 1, right


def _ok(answer) -> bool:
    try:
        return bool(check("sine.steps_needed", answer))
    except AssertionError:
        return False


def test_unknown_exercise_names_the_choices():
    with pytest.raises(ValueError, match="unknown exercise 'nope': allowed"):
        check("nope", 1)
