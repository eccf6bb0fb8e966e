"""``python -m meta_course evaluate`` on the reinforcement-learning recipes: held-out tasks (PEARL's
fresh goals, not its 80 training goals), a clear error when a count exceeds a finite pool, and every RL
checkpoint scored by the command (a few tasks each: seconds)."""

import json

import pytest
import torch

from meta_course.checkpoints import checkpoint_path
from meta_course.cli import main
from meta_course.evaluate import evaluate
from meta_course.learners import load_learner
from meta_course.recipes import RECIPES, get_recipe, task_sampler

RL_RECIPES = sorted(name for name, r in RECIPES.items() if r.task in ("bandits", "navigation"))


def test_pearl_is_evaluated_on_fresh_goals_beyond_its_training_pool(tmp_path):
    recipe = get_recipe("pearl_nav")
    out = tmp_path / "pearl.json"
    assert main(["evaluate", "pearl_nav", "--tasks", "100", "--seed", "5", "--json", str(out)]) == 0
    row, = json.loads(out.read_text())
    assert row["n"] == 100 and "pool" not in row           # more tasks than the 80-goal pool holds
    # the held-out goals are new ones: none is a training goal
    pool = task_sampler(recipe.task, **recipe.task_args)(torch.Generator().manual_seed(0), 80).goal
    held_out = task_sampler(recipe.task, **recipe.eval_task_args)(torch.Generator().manual_seed(5), 100)
    assert torch.cdist(held_out.goal, pool).min() > 1e-4
    assert torch.allclose(held_out.goal.norm(dim=1), torch.ones(100))   # the same half circle of radius 1
    # and the command scored exactly those goals, with the recipe's knobs
    pearl = load_learner(checkpoint_path("pearl_nav"))
    torch.manual_seed(5)  # the command seeds the posterior samples with --seed
    expected = evaluate(pearl, held_out, **recipe.eval_knobs)
    assert row["return"] == pytest.approx(expected.mean, abs=1e-9)


def test_a_count_beyond_a_finite_pool_is_a_clear_error(capsys):
    assert main(["evaluate", "pearl_nav", "--training-tasks", "--tasks", "81"]) == 2
    err = capsys.readouterr().err
    assert "--tasks 81" in err and "allowed 1..80" in err and "--tasks 80 or fewer" in err
    sample = task_sampler("navigation", **get_recipe("pearl_nav").task_args)
    with pytest.raises(ValueError, match="81"):
        sample(torch.Generator().manual_seed(0), 81)
    assert main(["evaluate", "pearl_nav", "--training-tasks", "--tasks", "80"]) == 0   # the whole pool is fine


@pytest.mark.parametrize("name", RL_RECIPES)
def test_every_rl_checkpoint_is_scored_by_evaluate(name, tmp_path):
    out = tmp_path / f"{name}.json"
    assert main(["evaluate", name, "--tasks", "3", "--json", str(out)]) == 0
    row, = json.loads(out.read_text())
    assert row["n"] == 3 and row["method"] == get_recipe(name).learner and torch.isfinite(torch.tensor(row["return"]))
