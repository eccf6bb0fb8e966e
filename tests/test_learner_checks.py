"""Every learner's constructor refuses a bad numeric hyper-parameter at once, with a ``ValueError`` naming it (its
value, the allowed range, the fix) — instead of storing ``"0.1"`` as text, ``nan`` or a negative count and failing
(or computing nonsense) at the first use, or with a raw torch error (Siamese/Transfer sizes).

Every learner of the table is built from the config of its first recipe, then each numeric argument (those of the
config and the constructor's numeric defaults) is replaced by a bad value.
"""

from __future__ import annotations

import inspect

import pytest

from meta_course.learners.table import LEARNERS
from meta_course.recipes.table import RECIPES

FIRST = {}
for _recipe in RECIPES.values():
    FIRST.setdefault(_recipe.learner, _recipe)
#: hyper-parameters for which a negative value is meaningful (initial gate biases, SAC's entropy target)
NEGATIVE_OK = {"input_bias", "forget_bias", "target_entropy"}


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _numeric_arguments(learner: str) -> list[str]:
    config = FIRST[learner].config
    defaults = {p.name for p in inspect.signature(LEARNERS[learner].__init__).parameters.values()
                if _is_number(p.default)}
    return sorted({k for k, v in config.items() if _is_number(v)} | defaults)


CASES = [(learner, key) for learner in sorted(FIRST) for key in _numeric_arguments(learner)]


def test_every_learner_has_a_recipe_and_the_table_covers_the_numeric_hyper_parameters():
    assert set(FIRST) == set(LEARNERS)
    assert len(CASES) >= 80, len(CASES)


@pytest.mark.parametrize("learner, key", CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_a_bad_numeric_hyper_parameter_is_refused_naming_it(learner, key):
    cls, config = LEARNERS[learner], FIRST[learner].config
    bad = [float("nan"), "0.1", True] + ([] if key in NEGATIVE_OK else [-1])
    for value in bad:
        with pytest.raises(ValueError, match=rf"{key}=") as err:
            cls(**{**config, key: value})
        message = str(err.value)
        assert any(w in message for w in ("allowed", "must be")), message
