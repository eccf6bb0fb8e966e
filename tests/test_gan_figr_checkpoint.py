"""The committed FIGR checkpoint (lesson 14): its recipe's run and small. (Whether adapting it on 4 shots makes
held-out drawings recognisable is measured in the recipe's note: not significantly, so no test asserts it.)"""

from __future__ import annotations

import pytest
import torch

from meta_course.checkpoints import checkpoint_path
from meta_course.learners import load_learner
from meta_course.learners.generative.figr import FIGR
from meta_course.recipes import get_recipe


pytestmark = pytest.mark.usefixtures("one_thread")  # small networks: one thread (tests/conftest.py)


def test_figr_checkpoint_is_its_recipe_and_small():
    path = checkpoint_path("figr_omniglot")
    assert path.stat().st_size <= 2 * 2 ** 20
    ck = torch.load(path, weights_only=False)
    assert ck["recipe"] == "figr_omniglot" and ck["history"]["step"][-1] == get_recipe("figr_omniglot").steps
    recipe = get_recipe("figr_omniglot")
    learner = load_learner(path)
    assert isinstance(learner, FIGR) and learner.config == ck["config"]
    assert {k: v for k, v in ck["config"].items() if k in recipe.config} == recipe.config
    # Reptile moved every tensor of both players away from the recipe's seeded start
    torch.manual_seed(recipe.seed)
    start = FIGR(**recipe.config).state_dict()
    trained = learner.state_dict()
    assert start.keys() == trained.keys()
    moved = [k for k in start if start[k].is_floating_point() and not torch.equal(start[k], trained[k])]
    assert {k.split(".")[0] for k in moved} == {"generator", "critic"}
    assert len(moved) >= 0.9 * sum(v.is_floating_point() for v in start.values())


@pytest.mark.slow
def test_after_25_rounds_figr_is_more_recognisable_than_its_untrained_start():
    """All 42 held-out Sanskrit characters, K = 4 shots, 25 adaptation rounds from FIGR and from the recipe's seeded
    untrained start, 32 drawings each, judged 20-way by protonet_xl_omniglot (never saw Sanskrit): paired over
    characters, FIGR's drawings are recognised more often."""
    import os
    from pathlib import Path

    from meta_course.bench.generation import CLASSIFIER
    from meta_course.evaluate import mean_ci95
    from meta_course.learners.generative.metrics import GenerationJudge
    from meta_course.tasks.omniglot import omniglot_split

    data = Path(os.environ.get("META_COURSE_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data" / "omniglot")
    if not (data / "images_background_small1.zip").exists():
        pytest.skip("offline Omniglot copies not found")
    judge = GenerationJudge(load_learner(checkpoint_path(CLASSIFIER)).eval(), omniglot_split("minimal", "test", root=data),
                            n_way=20)
    recipe = get_recipe("figr_omniglot")
    torch.manual_seed(recipe.seed)
    learners = {"figr": load_learner(checkpoint_path("figr_omniglot")).eval(), "start": FIGR(**recipe.config).eval()}
    rec = {name: [] for name in learners}
    for c in range(judge.n_chars):
        episode = judge.episode(c, 4, 0)
        for name, learner in learners.items():
            x = learner.adapt(episode.shots, inner_steps=25, seed=c).sample(32, torch.Generator().manual_seed(c))
            rec[name].append(judge.score(x, episode)["recognisability"])
    mean, ci = mean_ci95(torch.tensor(rec["figr"]) - torch.tensor(rec["start"]))
    assert mean - ci > 0, (mean, ci)
