"""Metric learners on real Omniglot: short seeded runs beat chance widely; checkpoints reproduce the lesson."""

import pytest
import torch

from meta_course import recipes
from meta_course.evaluate import evaluate
from meta_course.tasks.omniglot import OmniglotTasks
from meta_course.train import train

CHANCE = 0.2  # 5-way


@pytest.fixture(scope="module")
def held_out():
    return OmniglotTasks("minimal", "test", n_way=5, k_shot=1, q_query=5).sample(torch.Generator().manual_seed(7), 60)


@pytest.mark.parametrize("recipe", ["protonet_omniglot", "matching_omniglot", "siamese_omniglot"])
def test_short_training_beats_chance_widely(recipe, held_out):
    torch.manual_seed(0)
    learner, _ = recipes.build(recipe, seed=0)
    task_args = dict(recipes.get_recipe(recipe).task_args, part="train", n_way=5, q_query=3)
    sample = recipes.task_sampler("omniglot_affine", **task_args)
    train(learner, sample, steps=40, meta_batch_size=2, outer_lr=2e-3, seed=0, progress=False, device="cpu")
    result = evaluate(learner.eval(), held_out)
    assert result.mean - result.ci95 > CHANCE + 0.25, result


def _committed_rows():
    from meta_course.bench.omniglot import RESULTS, load_results
    from meta_course.checkpoints import HERE

    if not RESULTS.exists():
        return []
    return [r for r in load_results()["rows"]
            if r["learner"] in ("protonet", "matching", "siamese", "ensemble")
            and (HERE / f"{r['recipe']}.pt").exists()]


@pytest.mark.parametrize("row", _committed_rows(), ids=lambda r: r["recipe"])
def test_committed_checkpoints_reproduce_the_benchmark_the_lesson_prints(row):
    """Fresh held-out episodes land within the CIs of the committed table; the runs error is the same
    (fixed runs, deterministic model: at most one test item may flip on another machine's arithmetic)."""
    from meta_course.learners import load_learner
    from meta_course.bench.omniglot import heldout_accuracy, runs_error
    from meta_course.checkpoints import checkpoint_path
    from meta_course.tasks.lake_runs import default_runs_path, load_runs

    learner = load_learner(checkpoint_path(row["recipe"])).eval()
    if "5w1s" in row:
        mean, ci = heldout_accuracy(learner, 5, 1, 80, seed=99, **row["knobs"])
        assert abs(mean - row["5w1s"]) <= ci + row["5w1s_ci95"], (mean, ci, row)
    err = runs_error(learner, load_runs(default_runs_path()), **row["knobs"])["mean_error_percent"]
    assert abs(err - row["runs_error"]) <= 0.5, (err, row)



def test_the_committed_table_covers_the_three_learners():
    learners = {r["learner"] for r in _committed_rows()}
    assert {"protonet", "matching", "siamese"} <= learners


def test_bench_knows_which_recipes_saw_the_test_alphabets():
    from meta_course.bench.omniglot import fixed_way, trains_on_test_alphabets

    assert not trains_on_test_alphabets(recipes.get_recipe("protonet_omniglot"))       # Sanskrit held out
    assert not trains_on_test_alphabets(recipes.get_recipe("protonet_minimal1_omniglot"))
    assert trains_on_test_alphabets(recipes.get_recipe("protonet_minimal2_omniglot"))  # small2 holds Sanskrit
    assert fixed_way(recipes.build("protonet_omniglot")[0]) is None

    class Head:
        config = {"model": {"name": "conv4", "out_features": 5}}
    assert fixed_way(Head()) == 5


def test_the_committed_ensemble_references_its_members_instead_of_repeating_them(tmp_path):
    """The ensemble's checkpoint holds its members' recipe names, no weights; loading it loads each member's
    committed checkpoint, and an ensemble saved in the older full form (every weight repeated) still loads."""
    from meta_course.checkpoints import checkpoint_path
    from meta_course.learners import load_learner, save_learner
    from meta_course.learners.metric.ensemble import Ensemble

    saved = torch.load(checkpoint_path("protonet_runs_ensemble_omniglot"), weights_only=True)
    names = recipes.get_recipe("protonet_runs_ensemble_omniglot").config["members"]
    assert saved["config"] == {"members": names} and saved["state_dict"] == {}
    ens = load_learner(checkpoint_path("protonet_runs_ensemble_omniglot"))
    full = {"name": "ensemble", "state_dict": ens.state_dict(),
            "config": {"members": [{"name": m.name, "config": m.config} for m in ens.members]}}
    torch.save(full, tmp_path / "full.pt")
    old_style = load_learner(tmp_path / "full.pt")
    for i, name in enumerate(names):
        member = load_learner(checkpoint_path(name))
        for (key, want), got, old in zip(member.state_dict().items(), ens.members[i].state_dict().values(),
                                         old_style.members[i].state_dict().values()):
            assert torch.equal(want, got) and torch.equal(want, old), (name, key)
    assert save_learner(Ensemble(names[:2]), tmp_path / "two.pt").stat().st_size < 5_000
