"""The committed ring GANs (lesson 13): each is its recipe's run, small, trained (beats its untrained start on
held-out samples, paired CI), and the gradient penalty does what Eq. 3 asks of the critic (paired CI)."""

from __future__ import annotations

import pytest
import torch

from meta_course.checkpoints import checkpoint_path
from meta_course.evaluate import mean_ci95
from meta_course.learners import load_learner
from meta_course.learners.generative.wgan_gp import gradient_norms, interpolates
from meta_course.recipes import build, get_recipe
from meta_course.tasks.ring import RingMixture, mode_report

RING_RECIPES = ("gan_ring", "wgan_gp_ring")


pytestmark = pytest.mark.usefixtures("one_thread")  # small networks: one thread (tests/conftest.py)


@pytest.fixture(scope="module")
def learners():
    return {name: load_learner(checkpoint_path(name)).eval() for name in RING_RECIPES}


def ring_of(recipe: str) -> RingMixture:
    return RingMixture(**{k: v for k, v in get_recipe(recipe).task_args.items() if k != "batch_size"})


@pytest.mark.parametrize("name", RING_RECIPES)
def test_checkpoint_is_its_recipe_and_small(name, learners):
    path = checkpoint_path(name)
    assert path.stat().st_size <= 2 * 2 ** 20
    ck = torch.load(path, weights_only=False)
    recipe = get_recipe(name)
    fresh, _ = build(name)
    assert ck["recipe"] == name and ck["config"] == fresh.config
    assert ck["history"]["step"][-1] == recipe.steps
    assert learners[name].name == recipe.learner


@pytest.mark.parametrize("name", RING_RECIPES)
def test_trained_generator_beats_its_untrained_start_on_held_out_samples(name, learners):
    """Energy distance to 40 fresh batches of real points (the learner's ``score``), paired per batch."""
    _, sample = build(name)
    tasks = sample(torch.Generator().manual_seed(2024), 40)
    untrained, _ = build(name, seed=0)
    diff = untrained.score(tasks) - learners[name].score(tasks)
    mean, ci = mean_ci95(diff)
    assert mean - ci > 0, (name, mean, ci)


@pytest.mark.parametrize("name", RING_RECIPES)
def test_both_cover_every_mode_at_the_end_of_training(name, learners):
    ring = ring_of(name)
    z = torch.randn(4000, learners[name].z_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        report = mode_report(learners[name].generator(z), ring)
    assert report.modes_covered == ring.n_modes and report.high_quality > 0.85, report[:2]


def test_the_penalty_keeps_the_critic_near_unit_slope_the_minimax_discriminator_is_not(learners):
    """Gulrajani et al., Eq. 3: on interpolates between real and generated points, |‖∇f‖ − 1| is smaller for
    WGAN-GP's critic than for the minimax GAN's discriminator logit (same points, paired CI)."""
    ring = ring_of("wgan_gp_ring")
    g = torch.Generator().manual_seed(1)
    real, eps = ring.sample_points(g, 2000), torch.rand(2000, generator=g)
    z = torch.randn(2000, learners["gan_ring"].z_dim, generator=g)
    gap = {}
    for name, learner in learners.items():
        with torch.no_grad():
            fake = learner.generator(z)
        norms = gradient_norms(learner.critic, interpolates(real, fake, eps), create_graph=False)
        gap[name] = (norms - 1).abs()
    assert float(gap["wgan_gp_ring"].median()) < 0.3
    mean, ci = mean_ci95(gap["gan_ring"] - gap["wgan_gp_ring"])
    assert mean - ci > 0, (mean, ci)


def test_long_best_replies_collapse_the_trained_generator_and_make_it_hop():
    """From the trained minimax GAN (8/8 modes), rounds of 200 D steps then 200 G steps against the fixed D: the
    generator's reply to a fixed D puts its mass on few modes (≤ 2 covered in some round), and the mode holding
    most of its samples changes between rounds."""
    from meta_course.learners.generative.gan import best_reply_rounds

    gan = load_learner(checkpoint_path("gan_ring"))
    ring = ring_of("gan_ring")
    g = torch.Generator().manual_seed(0)
    xs = best_reply_rounds(gan.generator, gan.critic, lambda n: ring.sample_points(g, n), rounds=4,
                           generator_rng=torch.Generator().manual_seed(0))
    reports = [mode_report(x, ring) for x in xs]
    assert min(r.modes_covered for r in reports) <= 2, [r.modes_covered for r in reports]
    busiest = {int(r.counts.argmax()) for r in reports if r.counts.sum() > 0}
    assert len(busiest) >= 2, [r.counts.tolist() for r in reports]


def test_best_reply_rounds_refuses_bad_settings():
    from meta_course.learners.generative.gan import best_reply_rounds
    from meta_course.models.gan import MLPCritic, MLPGenerator

    with pytest.raises(ValueError, match="rounds"):
        best_reply_rounds(MLPGenerator(), MLPCritic(), lambda n: torch.zeros(n, 2), rounds=0)
    with pytest.raises(ValueError, match="lr"):
        best_reply_rounds(MLPGenerator(), MLPCritic(), lambda n: torch.zeros(n, 2), rounds=1, lr=-1.0)
