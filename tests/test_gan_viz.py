"""Lesson 13/14 widgets (plain-Python updates), the ring bench's training through the loop, the recipes."""

from __future__ import annotations

import pytest
import torch

from meta_course.bench.ring import run_summary, train_with_snapshots
from meta_course.learners.generative.metrics import GenerationJudge
from meta_course.learners.generative.wgan_gp import WGANGP
from meta_course.viz.gan import FewShotExplorer, FewShotFigure, RingFigure, ring_runs, ring_view
from test_gan_metrics import MeanPoolEmbedding, toy_split  # noqa: E402  (tests/ is on sys.path under pytest)


pytestmark = pytest.mark.usefixtures("one_thread")  # small networks: one thread (tests/conftest.py)


@pytest.fixture(scope="module")
def snapshots():
    """Two short runs through the course's training loop, as ``bench ring`` records them."""
    out = {}
    for recipe, key in (("gan_ring", "gan|None|0"), ("wgan_gp_ring", "wgan-gp|0.1|0")):
        curve = train_with_snapshots(recipe, seed=0, steps=20, every=10)
        out[key] = {"step": curve["step"], "modes": curve["modes"], "high_quality": curve["high_quality"],
                    "samples": torch.stack(curve["samples"])}
    return out


def test_training_with_snapshots_goes_through_the_loop(snapshots):
    s = snapshots["gan|None|0"]
    assert s["step"] == [0, 10, 20] and s["samples"].shape == (3, 500, 2)
    assert not torch.equal(s["samples"][0], s["samples"][-1])            # the generator moved
    summary = run_summary({**s, "seconds": 1.0})
    assert set(summary) >= {"final_modes", "mean_modes_second_half", "min_modes_second_half", "all_modes_share"}


def test_train_with_snapshots_is_reproducible():
    a = train_with_snapshots("gan_ring", seed=3, steps=10, every=10)
    b = train_with_snapshots("gan_ring", seed=3, steps=10, every=10)
    assert torch.equal(a["samples"][-1], b["samples"][-1])


def test_run_summary_by_hand():
    curve = {"step": [0, 100, 200, 300, 400], "modes": [0, 8, 3, 8, 5], "high_quality": [0, .5, .4, .6, .7],
             "seconds": 2.0}
    s = run_summary(curve)
    assert s["final_modes"] == 5 and s["min_modes_second_half"] == 3          # steps 200, 300, 400
    assert s["mean_modes_second_half"] == pytest.approx(16 / 3) and s["all_modes_share"] == pytest.approx(1 / 3)


def test_ring_view_picks_the_nearest_snapshot(snapshots):
    assert ring_runs(snapshots) == ["gan|None|0", "wgan-gp|0.1|0"]
    v = ring_view(snapshots, "wgan-gp|0.1|0", 12)
    assert v.step == 10 and v.samples.shape == (500, 2) and v.curve_step == [0, 10, 20]
    assert v.modes == snapshots["wgan-gp|0.1|0"]["modes"][1]
    assert RingFigure().update(v).png()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="unknown run"):
        ring_view(snapshots, "gan|0.1|0", 0)
    with pytest.raises(ValueError, match="step"):
        ring_view(snapshots, "gan|None|0", -1)


def test_few_shot_explorer_adapts_scores_and_caches():
    torch.manual_seed(0)
    g = {"name": "gan_conv_generator", "channels": 2, "z_dim": 4}
    c = {"name": "gan_conv_critic", "channels": 2}
    learners = {"a": WGANGP(g, c, inner_lr=1e-2), "b": WGANGP(g, c, inner_lr=1e-2)}
    judge = GenerationJudge(MeanPoolEmbedding(), toy_split(), n_way=4, n_proto=8)
    explorer = FewShotExplorer(learners, judge, n_generated=6, max_steps=10, every=5)
    v = explorer.view(1, k_shot=3, steps=5)
    assert v.shots.shape == (3, 1, 28, 28) and set(v.generated) == {"a", "b"}
    assert v.generated["a"].shape == (6, 1, 28, 28)
    assert set(v.scores["a"]) == {"recognisability", "diversity", "nearest_shot"}
    assert 0 <= v.scores["a"]["recognisability"] <= 1 and v.real["recognisability"] == 1.0
    assert len(explorer._cache) == 2
    v0 = explorer.view(1, k_shot=3, steps=0)                           # same adaptation, earlier snapshot
    assert len(explorer._cache) == 2 and not torch.equal(v0.generated["a"], v.generated["a"])
    # adapted only as far as asked (5 rounds), then the whole budget (10) once a later frame needs it; every frame
    # equals the one of a single adaptation to the whole budget
    assert sorted(explorer._cache[("a", 1, 3, 0)].info["snapshots"]) == [0, 5]
    v10 = explorer.view(1, k_shot=3, steps=10)
    assert sorted(explorer._cache[("a", 1, 3, 0)].info["snapshots"]) == [0, 5, 10]
    full = FewShotExplorer(learners, judge, n_generated=6, max_steps=10, every=5)
    full._cache = {k: learners[k[0]].adapt(judge.episode(1, 3, 0).shots, inner_steps=10, seed=0, snapshots=(0, 5, 10))
                   for k in explorer._cache}
    for steps, seen in ((0, v0), (5, v), (10, v10)):
        again = full.view(1, k_shot=3, steps=steps)
        assert all(torch.equal(again.generated[m], seen.generated[m]) for m in learners) and again.scores == seen.scores
    assert FewShotFigure().update(v).png()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="multiple of 5"):
        explorer.view(1, k_shot=3, steps=3)
    with pytest.raises(ValueError, match="k_shot"):
        explorer.view(1, k_shot=0)


def test_recipes_build_and_name_their_families():
    from meta_course.recipes import RECIPES, build

    for name in ("gan_ring", "wgan_gp_ring", "figr_omniglot", "wgan_gp_omniglot", "metagan_omniglot",
                 "protonet32_omniglot"):
        assert name in RECIPES
    learner, sample = build("wgan_gp_ring")
    assert learner.name == "wgan-gp" and sample(torch.Generator().manual_seed(0), 1).x.shape == (1, 320, 2)
    # MetaGAN and its baseline start from the same embedding (same seed, same construction order)
    a, _ = build("metagan_omniglot")
    b, _ = build("protonet32_omniglot")
    assert all(torch.equal(x, y) for x, y in zip(a.net.state_dict().values(), b.net.state_dict().values()))
