"""Every self-checking exercise of every lesson rejects wrong answers, and the checkers the issue named accept an
independently written right answer (not the package function they compare with, which would test nothing).

A wrong answer of another type (text where a function is expected, a function where a number is), one that
returns nothing or one that raises must be told "not quite" (``AssertionError`` with the hint) — never ✓, and
never a raw ``TypeError`` from inside the checker.
"""

from __future__ import annotations

import importlib
import math
import pkgutil

import pytest
import torch

import meta_course.lessons as lessons
from meta_course.lessons.exercises import _CHECKS, check

for _module in pkgutil.iter_modules(lessons.__path__):
    if _module.name.startswith("exercises"):
        importlib.import_module(f"meta_course.lessons.{_module.name}")
EXERCISES = sorted(_CHECKS)


def _raises(*args, **kwargs):
    raise RuntimeError("an answer that fails")


#: answers no exercise can accept: every checker must say "not quite" to each
WRONG = {"text": "certainly not", "huge number": 1e12, "nan": float("nan"), "returns None": lambda *a, **k: None,
         "raises": _raises, "returns a string": lambda *a, **k: "x", "empty dict": {}, "list": [[1e12]]}


def test_every_lesson_module_registers_its_exercises():
    assert len(EXERCISES) >= 45, len(EXERCISES)
    prefixes = {name.split(".")[0] for name in EXERCISES}
    assert {"sine", "metric", "optim", "mann", "ntm", "dnc", "np", "bandits", "navigation", "gan", "meta_gan",
            "applications", "errata"} <= prefixes, prefixes


@pytest.mark.parametrize("name", EXERCISES)
def test_every_checker_rejects_wrong_answers_as_not_quite(name, capsys):
    for what, answer in WRONG.items():
        with pytest.raises(AssertionError, match="not quite") as err:
            check(name, answer)
        assert "Hint:" in str(err.value), (name, what)
    assert "✓" not in capsys.readouterr().out, name


# ---- positive halves with an independent reference ------------------------------------------------------------
def test_inner_step_checker_accepts_a_hand_written_step():
    assert check("sine.inner_step", lambda params, grads, lr: {k: params[k] - lr * grads[k] for k in params})
    with pytest.raises(AssertionError):
        check("sine.inner_step", lambda params, grads, lr: {k: params[k] - 2 * lr * grads[k] for k in params})


def test_prototypes_checker_accepts_a_loop_over_classes():
    def by_hand(z, y, n_way):
        return torch.stack([z[y == c].sum(0) / (y == c).sum() for c in range(n_way)])

    assert check("metric.prototypes", by_hand)
    with pytest.raises(AssertionError):  # the median is another centre
        check("metric.prototypes", lambda z, y, n: torch.stack([z[y == c].median(0).values for c in range(n)]))


def test_preprocess_checker_accepts_the_papers_formula_written_per_coordinate():
    def by_hand(g, p):
        rows = []
        for x in g.tolist():
            rows.append([math.log(abs(x)) / p, math.copysign(1.0, x)] if abs(x) >= math.exp(-p) else [-1.0, math.exp(p) * x])
        return torch.tensor(rows)

    assert check("optim.preprocess", by_hand)
    with pytest.raises(AssertionError):  # natural log without /p
        check("optim.preprocess", lambda g, p: torch.stack([by_hand(g, p)[:, 0] * p, by_hand(g, p)[:, 1]], -1))
