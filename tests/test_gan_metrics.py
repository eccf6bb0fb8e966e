"""Generation metrics (Fréchet, diversity, nearest-shot, recognisability, energy distance), the held-out judge,
the generation bench's summary and MetaGAN's equations."""

from __future__ import annotations

import math

import pytest
import torch

from meta_course.bench.generation import summarise
from meta_course.learners.generative.metagan import MetaGAN, n_plus_one_probabilities, real_fake_losses
from meta_course.learners.generative.metrics import (GenerationJudge, diversity, energy_distance, frechet_between,
                                                     frechet_distance, nearest_distance, recognisability)
from meta_course.learners.metric.protonet import ProtoNet
from meta_course.tasks.omniglot.splits import OmniglotSplit


pytestmark = pytest.mark.usefixtures("one_thread")  # small networks: one thread (tests/conftest.py)


# --------------------------------------------------------------------------- Fréchet distance
def test_frechet_matches_closed_forms():
    # 1-D Gaussians: (μ1 − μ2)² + (σ1 − σ2)²
    fd = frechet_distance(torch.tensor([1.0]), torch.tensor([[4.0]]), torch.tensor([-2.0]), torch.tensor([[9.0]]))
    assert abs(float(fd) - (9 + 1)) < 1e-10
    # diagonal covariances: Σ (σ1_i − σ2_i)²
    s1, s2 = torch.tensor([1.0, 4.0, 0.25]), torch.tensor([9.0, 1.0, 0.25])
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    fd = frechet_distance(mu1, torch.diag(s1), mu2, torch.diag(s2))
    expected = float((mu1 - mu2).pow(2).sum() + (s1.sqrt() - s2.sqrt()).pow(2).sum())
    assert abs(float(fd) - expected) < 1e-9


def test_frechet_of_rotated_covariance_and_symmetry():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(5, 5, generator=g, dtype=torch.float64)
    c1 = a @ a.T + torch.eye(5, dtype=torch.float64)
    q, _ = torch.linalg.qr(torch.randn(5, 5, generator=g, dtype=torch.float64))
    c2 = q @ c1 @ q.T                              # same spectrum, rotated
    mu = torch.zeros(5, dtype=torch.float64)
    assert float(frechet_distance(mu, c1, mu, c1)) < 1e-8
    assert abs(float(frechet_distance(mu, c1, mu, c2)) - float(frechet_distance(mu, c2, mu, c1))) < 1e-8
    # commuting case c2 = c1²: tr(c1 + c1² − 2 c1^{3/2})
    vals = torch.linalg.eigvalsh(c1)
    expected = float((vals + vals ** 2 - 2 * vals ** 1.5).sum())
    assert abs(float(frechet_distance(mu, c1, mu, c1 @ c1)) - expected) < 1e-6


def test_frechet_between_samples_detects_a_shift():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(4000, 3, generator=g), torch.randn(4000, 3, generator=g)
    assert float(frechet_between(x, y)) < 0.02
    assert abs(float(frechet_between(x, y + torch.tensor([2.0, 0.0, 0.0]))) - 4.0) < 0.1


# --------------------------------------------------------------------------- the other measures
def test_diversity_nearest_recognisability_energy_by_hand():
    z = torch.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    assert abs(float(diversity(z)) - (5 + 10 + 5) / 3) < 1e-6
    assert float(diversity(torch.ones(4, 2))) == 0.0                         # collapsed
    assert abs(float(nearest_distance(z, torch.tensor([[0.0, 0.0], [6.0, 8.0]]))) - 5 / 3) < 1e-6
    protos = torch.tensor([[0.0, 0.0], [6.0, 8.0]])
    assert abs(float(recognisability(z, protos, 1)) - 1 / 3) < 1e-6           # (3, 4) ties → argmin picks class 0
    x, y = torch.tensor([[0.0], [2.0]]), torch.tensor([[1.0]])
    # 2·E|x − y| − E|x − x'| − E|y − y'| = 2·1 − (0 + 2 + 2 + 0)/4 − 0 = 1
    assert abs(float(energy_distance(x, y)) - 1.0) < 1e-6
    with pytest.raises(ValueError, match="target"):
        recognisability(z, protos, 2)
    with pytest.raises(ValueError, match=r"n >= 2"):
        diversity(torch.zeros(1, 2))


# --------------------------------------------------------------------------- the judge
class MeanPoolEmbedding:
    """A stand-in classifier: the 4×4 average-pooled image as its embedding (no training, no batch statistics)."""

    def embed_episode(self, x_support, x_query):
        f = lambda x: torch.nn.functional.avg_pool2d(x, 7).flatten(1)  # noqa: E731
        return f(x_support), f(x_query)


def toy_split(n_chars: int = 6) -> OmniglotSplit:
    """Characters whose 20 drawings are noisy copies of one random template each."""
    g = torch.Generator().manual_seed(0)
    templates = (torch.rand(n_chars, 1, 28, 28, generator=g) > 0.7).float()
    noise = (torch.rand(n_chars, 20, 28, 28, generator=g) > 0.95).float()
    images = ((templates + noise).clamp(0, 1) * 255).to(torch.uint8)
    return OmniglotSplit(images, ["A"], [f"A/c{i}" for i in range(n_chars)], torch.zeros(n_chars, dtype=torch.long), "toy")


def test_judge_episode_keeps_shots_prototypes_and_real_drawings_apart():
    judge = GenerationJudge(MeanPoolEmbedding(), toy_split(), n_way=4, n_proto=8)
    ep = judge.episode(2, k_shot=4, seed=1)
    assert ep.shots.shape == (4, 1, 28, 28) and ep.real.shape == (8, 1, 28, 28) and ep.support.shape == (32, 1, 28, 28)
    assert int(ep.classes[ep.target]) == 2 and len(set(ep.classes.tolist())) == 4
    target_protos = ep.support[ep.target * 8:(ep.target + 1) * 8]
    pools = [ep.shots, ep.real, target_protos]
    for i in range(3):
        for j in range(i + 1, 3):   # no drawing in two roles (each drawing of a character is unique here)
            d = torch.cdist(pools[i].flatten(1), pools[j].flatten(1))
            assert float(d.min()) > 0
    again = judge.episode(2, k_shot=4, seed=1)
    assert torch.equal(again.shots, ep.shots) and torch.equal(again.classes, ep.classes)
    assert not torch.equal(judge.episode(2, k_shot=4, seed=2).shots, ep.shots)


def test_judge_scores_real_copies_and_noise_sensibly():
    judge = GenerationJudge(MeanPoolEmbedding(), toy_split(), n_way=4, n_proto=8)
    ep = judge.episode(0, k_shot=4, seed=0)
    real = judge.score(ep.real, ep)
    copies = judge.score(ep.shots.repeat(4, 1, 1, 1), ep)
    blank = judge.score(torch.zeros(16, 1, 28, 28), ep)
    assert real["recognisability"] == 1.0 and copies["recognisability"] == 1.0
    assert copies["nearest_shot"] < 1e-5 < real["nearest_shot"]              # copying shows
    assert blank["diversity"] == 0.0                                           # collapse shows
    assert real["real_recognisability"] == 1.0
    with pytest.raises(ValueError, match="k_shot"):
        judge.episode(0, k_shot=12)
    with pytest.raises(ValueError, match="generated drawings"):
        judge.score(torch.zeros(4, 1, 32, 32), ep)
    with pytest.raises(ValueError, match="n_way"):
        GenerationJudge(MeanPoolEmbedding(), toy_split(), n_way=7)


def test_generation_summary_rows_and_paired_comparisons():
    g = torch.Generator().manual_seed(0)
    records = []
    for m, rec in (("figr", 0.8), ("scratch", 0.2)):
        for seed in range(2):
            for c in range(5):
                records.append({"method": m, "seed": seed, "character": c, "steps": 10,
                                "recognisability": rec, "diversity": 1.0 if m == "figr" else 0.1,
                                "nearest_shot": 1.0, "real_recognisability": 0.9, "real_diversity": 2.0,
                                "real_nearest_shot": 1.5, "z_generated": torch.randn(8, 3, generator=g),
                                "z_real": torch.randn(8, 3, generator=g),
                                "z_prototype_drawings": torch.randn(8, 3, generator=g)})
    report = summarise(records, k=4)
    rows = {r["method"]: r for r in report["rows"]}
    assert set(rows) == {"figr", "scratch", "real"}
    assert rows["figr"]["recognisability"] == pytest.approx(0.8) and rows["scratch"]["collapsed"] == 1.0
    assert rows["figr"]["collapsed"] == 0.0 and rows["figr"]["recognisability_seed_sd"] == pytest.approx(0.0)
    assert set(rows["figr"]["ci95"]) == {"recognisability", "diversity", "nearest_shot", "frechet"}
    comp = report["comparisons"][0]
    assert comp["comparison"] == "figr - scratch" and comp["recognisability_diff"] == pytest.approx(0.6)


# --------------------------------------------------------------------------- MetaGAN
def test_real_fake_losses_are_the_n_plus_one_cross_entropies():
    g = torch.Generator().manual_seed(0)
    real_logits, fake_logits, b = torch.randn(6, 5, generator=g), torch.randn(4, 5, generator=g), torch.tensor(0.7)
    p_real = n_plus_one_probabilities(real_logits, b)
    p_fake = n_plus_one_probabilities(fake_logits, b)
    assert torch.allclose(p_real.sum(-1), torch.ones(6))
    assert torch.allclose(p_real, torch.softmax(torch.cat([real_logits, b.expand(6, 1)], 1), 1))
    r, f = real_fake_losses(real_logits, fake_logits, b)
    assert torch.allclose(r, -(1 - p_real[:, -1]).log().mean(), atol=1e-6)
    assert torch.allclose(f, -p_fake[:, -1].log().mean(), atol=1e-6)


SMALL = {"name": "conv4", "out_features": None, "hidden": 8}
SMALL_G = {"name": "gan_conv_generator", "cond_dim": 8, "channels": 4, "z_dim": 8}


def episode(n_way=3, q=2):
    from meta_course.tasks.episode import Episode

    g = torch.Generator().manual_seed(0)
    return Episode(torch.rand(1, n_way, 1, 28, 28, generator=g), torch.arange(n_way)[None],
                   torch.rand(1, n_way * q, 1, 28, 28, generator=g), torch.arange(n_way).repeat_interleave(q)[None])


def test_metagan_is_a_protonet_at_test_time_and_trains_both_players():
    torch.manual_seed(0)
    mg = MetaGAN(SMALL, SMALL_G, n_fake=4)
    torch.manual_seed(0)
    pn = ProtoNet(SMALL)
    assert all(torch.equal(a, b) for a, b in zip(mg.net.state_dict().values(), pn.net.state_dict().values()))
    ep = episode()
    assert torch.equal(mg.predict(ep), pn.predict(ep))                       # same embedding → same predictions
    before = {k: v.clone() for k, v in mg.state_dict().items()}
    out = mg.meta_step(ep, mg.optimizers(1e-2))
    assert {"loss", "critic", "generator", "p_fake_real", "p_fake_fake"} <= set(out)
    changed = {k.split(".")[0] for k, v in mg.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {"net", "generator", "fake_bias"}
    assert not torch.equal(mg.predict(ep), pn.predict(ep))


def test_metagan_refuses_a_generator_of_the_wrong_condition_size():
    with pytest.raises(ValueError, match="cond_dim"):
        MetaGAN(SMALL, {**SMALL_G, "cond_dim": 5})
    with pytest.raises(ValueError, match="n_fake"):
        MetaGAN(SMALL, SMALL_G, n_fake=0)
    assert math.isfinite(MetaGAN(SMALL, SMALL_G).fake_bias.item())
