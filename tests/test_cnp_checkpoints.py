"""The committed CNP checkpoints: each beats its baselines on held-out tasks in paired, CI-based tests."""

import json

import pytest
import torch

from meta_course.__main__ import main
from meta_course import recipes
from meta_course.checkpoints import checkpoint_path
from meta_course.evaluate import evaluate, mean_ci95
from meta_course.learners import load_learner
from meta_course.tasks.sine import SineTasks


@pytest.fixture(scope="module")
def cnp_sine():
    return load_learner(checkpoint_path("cnp_sine")).eval()


@pytest.fixture(scope="module")
def sine_tasks():
    # seed 31337 is never used in training (the loop draws tasks from the recipe's seed, 0)
    return SineTasks().sample(torch.Generator().manual_seed(31337), 300, k_shot=5, n_query=50)


def paired_upper(a, b) -> float:
    """Upper end of the 95% CI of mean(a − b) over the same tasks."""
    mean, ci = mean_ci95(a - b)
    return mean + ci


@pytest.mark.parametrize("name", ["cnp_sine"])
def test_checkpoints_are_small_and_rebuild_from_their_recipe(name):
    path = checkpoint_path(name)
    assert path.stat().st_size <= 2_000_000
    learner = load_learner(path)
    recipe = recipes.get_recipe(name)
    assert learner.name == recipe.learner == "cnp"
    assert {k: v for k, v in learner.config.items() if k in recipe.config} == recipe.config


def test_trained_sine_cnp_beats_its_untrained_start_and_the_context_mean(cnp_sine, sine_tasks):
    with torch.no_grad():
        trained = cnp_sine.score(sine_tasks, metric="mse")
        start, _ = recipes.build("cnp_sine", seed=0)  # the initial weights of the recipe's run
        untrained = start.eval().score(sine_tasks, metric="mse")
    context_mean = ((sine_tasks.y_support.mean(1, keepdim=True) - sine_tasks.y_query) ** 2).flatten(1).mean(1)
    assert paired_upper(trained, untrained) < 0
    assert paired_upper(trained, context_mean) < 0


def test_sine_cnp_at_k5_beats_maml_after_ten_steps(cnp_sine, sine_tasks):
    maml = load_learner(checkpoint_path("maml_sine"))
    cnp = evaluate(cnp_sine, sine_tasks, inner_steps=0).per_task
    steps10 = evaluate(maml, sine_tasks, inner_steps=10).per_task
    assert paired_upper(cnp, steps10) < 0


def test_bench_sine_cnp_row_has_steps_zero_and_nll(tmp_path, cnp_sine):
    out = tmp_path / "sine.json"
    assert main(["bench", "sine", "--tasks", "40", "--skip-speed", "--json", str(out), "--methods", "cnp"]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert {(r["method"], r["k_shot"], r["steps"]) for r in rows} == {("cnp", k, 0) for k in (5, 10, 20)}
    tasks = SineTasks().sample(torch.Generator().manual_seed(2026 + 5), 40, 5, 100)
    row = next(r for r in rows if r["k_shot"] == 5)
    assert row["mse"] == pytest.approx(evaluate(cnp_sine, tasks, inner_steps=0).mean)
    with torch.no_grad():
        assert row["nll"] == pytest.approx(cnp_sine.score(tasks, metric="nll").mean().item(), rel=1e-5)


def test_a_cnp_takes_no_inner_steps(cnp_sine, sine_tasks):
    with pytest.raises(ValueError, match="inner_steps=10"):
        evaluate(cnp_sine, sine_tasks, inner_steps=10)
    with pytest.raises(ValueError, match="K=0 context points"):
        cnp_sine.adapt(torch.zeros(0, 1), torch.zeros(0, 1))
