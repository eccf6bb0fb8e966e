"""Metric-based learners: the equations' identities, the learners' interface, augmentation."""

import tempfile
from pathlib import Path

import pytest
import torch
from torch import nn

from meta_course.learners.metric.matching import MatchingNet, attend_labels, attention
from meta_course.learners.metric.protonet import ProtoNet, linear_classifier, prototypes, protonet_logits, squared_euclidean
from meta_course.learners.metric.siamese import SiameseNet, weighted_l1_logit
from meta_course.models import MODELS
from meta_course.tasks import Episode
from meta_course.tasks.omniglot.augment import random_affine, tta_views


class TinyEmbed(nn.Module):
    """A small conv embedding for fast tests (the learners accept any model spec)."""

    def __init__(self, dim: int = 16):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(8, dim, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))

    def forward(self, x):
        return self.body(x).flatten(1)


MODELS["_tiny_embed"] = TinyEmbed  # any model spec works: a small net keeps the tests fast
TINY = {"name": "_tiny_embed", "dim": 16}


def synthetic_episodes(n_tasks=4, n_way=5, k_shot=1, q=3, seed=0, size=12):
    """Each class a random binary template; examples are noisy copies (labels 0..N-1)."""
    g = torch.Generator().manual_seed(seed)
    templates = (torch.rand(n_tasks, n_way, 1, 1, size, size, generator=g) > 0.6).float()

    def draw(n):
        x = templates.expand(-1, -1, n, -1, -1, -1)
        x = (x + 0.3 * torch.randn(x.shape, generator=g)).clamp(0, 1)
        y = torch.arange(n_way).repeat_interleave(n).expand(n_tasks, -1)
        return x.flatten(1, 2), y.contiguous()

    xs, ys = draw(k_shot)
    xq, yq = draw(q)
    return Episode(xs, ys, xq, yq)


def test_prototypes_are_class_means():
    z = torch.randn(10, 4)
    y = torch.tensor([0, 1] * 5)
    c = prototypes(z, y, 2)
    assert torch.allclose(c[0], z[0::2].mean(0)) and torch.allclose(c[1], z[1::2].mean(0))


def test_protonet_logits_equal_the_linear_classifier_form():
    torch.manual_seed(0)
    zq, protos = torch.randn(7, 5, dtype=torch.float64), torch.randn(3, 5, dtype=torch.float64)
    w, b = linear_classifier(protos)
    linear = zq @ w.T + b
    logits = protonet_logits(zq, protos)
    # −‖z − c_k‖² = (2c_kᵀz − ‖c_k‖²) − ‖z‖²: equal up to a per-query constant ...
    assert torch.allclose(logits - linear, -(zq ** 2).sum(1, keepdim=True).expand(-1, 3))
    # ... so the class probabilities are identical.
    assert torch.allclose(torch.softmax(logits, 1), torch.softmax(linear, 1))
    assert torch.equal(squared_euclidean(zq, protos).argmin(1), linear.argmax(1))


def test_matching_attention_rows_sum_to_one_and_an_exact_copy_gets_its_label():
    torch.manual_seed(0)
    net = MatchingNet(TINY, embedding_dim=16).eval()
    ep = synthetic_episodes(n_tasks=1, n_way=5, k_shot=1).task(0)
    with torch.no_grad():
        zs, zq = net.embed_episode(ep.x_support, ep.x_support)   # queries = exact copies of the support
        a = net.attention(zs, zq)
        assert torch.allclose(a.sum(1), torch.ones(5))
        assert torch.equal(a.argmax(1), torch.arange(5))
        assert torch.equal(net.adapt(ep.x_support, ep.y_support)(ep.x_support).argmax(1), ep.y_support)
    probs = attend_labels(attention(zq, zs), ep.y_support, 5)
    assert torch.allclose(probs.sum(1), torch.ones(5))


def test_matching_fce_runs_and_rows_sum_to_one():
    torch.manual_seed(0)
    net = MatchingNet(TINY, fce=True, fce_steps=3, embedding_dim=16)
    ep = synthetic_episodes(n_tasks=2)
    a = net.attention(*net.embed_episode(ep.x_support[0], ep.x_query[0]))
    assert a.shape == (15, 5) and torch.allclose(a.sum(1), torch.ones(15))
    net.meta_loss(ep).backward()
    assert net.fce.query_cell.weight_ih.grad.abs().sum() > 0


def test_siamese_similarity_is_symmetric():
    torch.manual_seed(0)
    z1, z2 = torch.randn(6, 8), torch.randn(4, 8)
    alpha, bias = torch.randn(8), torch.tensor(0.3)
    assert torch.allclose(weighted_l1_logit(z1, z2, alpha, bias), weighted_l1_logit(z2, z1, alpha, bias).T)
    net = SiameseNet(TINY, embedding_dim=16)
    ep = synthetic_episodes(n_tasks=1).task(0)
    with torch.no_grad():
        s = net.similarity(ep.x_support, ep.x_support)
    assert torch.allclose(s, s.T, atol=1e-6) and ((s > 0) & (s < 1)).all()


def _make(learner):
    torch.manual_seed(0)
    return {"protonet": lambda: ProtoNet(TINY), "protonet_cosine": lambda: ProtoNet(TINY, distance="cosine"),
            "matching": lambda: MatchingNet(TINY, embedding_dim=16),
            "matching_fce": lambda: MatchingNet(TINY, fce=True, fce_steps=2, embedding_dim=16),
            "siamese": lambda: SiameseNet(TINY, embedding_dim=16)}[learner]()


@pytest.mark.parametrize("learner", ["protonet", "protonet_cosine", "matching", "matching_fce", "siamese"])
def test_gradients_reach_the_embedding_and_fit_a_batch(learner):
    """Adam on one fixed batch drives its episode loss down: every term is wired to the weights."""
    net = _make(learner)
    batch = synthetic_episodes(n_tasks=4, seed=3)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    first = net.meta_loss(batch).item()
    for _ in range(40):
        opt.zero_grad()
        net.meta_loss(batch).backward()
        opt.step()
    assert net.meta_loss(batch).item() < 0.7 * first
    pred = net.predict(batch, tta=2)
    assert pred.shape == (4, 15, 5) and torch.isfinite(pred).all()


def test_affine_augmentation_is_seeded_and_keeps_the_ink():
    x = torch.zeros(3, 2, 1, 28, 28)
    x[..., 8:20, 12:16] = 1
    a = random_affine(x, torch.Generator().manual_seed(1))
    b = random_affine(x, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == x.shape and not torch.equal(a, x)
    assert torch.allclose(a.sum((-1, -2)), x.sum((-1, -2)), rtol=0.5)  # mild distortions keep most ink
    views = tta_views(x[0], 4)
    assert views.shape == (5, 2, 1, 28, 28) and torch.equal(views[0], x[0])
    assert torch.equal(views, tta_views(x[0], 4))
    with pytest.raises(ValueError, match="strength"):
        random_affine(x, torch.Generator(), strength=-1)


def test_bad_arguments_give_clear_errors():
    with pytest.raises(ValueError, match="distance"):
        ProtoNet(TINY, distance="manhattan")
    with pytest.raises(ValueError, match="tta"):
        ProtoNet(TINY).adapt(torch.zeros(5, 1, 12, 12), torch.arange(5), tta=-1)(torch.zeros(2, 1, 12, 12))


def test_metric_exercises_accept_right_and_reject_wrong_answers():
    from meta_course.lessons.exercises import check

    assert check("metric.prototypes", prototypes)
    with pytest.raises(AssertionError):
        check("metric.prototypes", lambda z, y, n: z[:n])
    assert check("metric.linear_bias", lambda c: -(c ** 2).sum(1))
    with pytest.raises(AssertionError):
        check("metric.linear_bias", lambda c: (c ** 2).sum(1))
    assert check("metric.attention_ratio", 54.6)
    with pytest.raises(AssertionError):
        check("metric.attention_ratio", 4.0)


def test_protonet_step_size_schedule_halves_and_is_rejected_when_negative():
    from meta_course.learners.metric.protonet import ProtoNet

    spec = {"name": "conv4", "out_features": None, "hidden": 8}
    assert "halve_lr_every" not in ProtoNet(spec).config  # constant-step checkpoints keep their config
    net = ProtoNet(spec, halve_lr_every=100)
    assert [net.outer_lr_factor(s, 1000) for s in (0, 99, 100, 250, 999)] == [1.0, 1.0, 0.5, 0.25, 0.5 ** 9]
    with pytest.raises(ValueError, match="halve_lr_every"):
        ProtoNet(spec, halve_lr_every=-1)


def test_an_ensemble_of_protonets_sums_their_logits_and_round_trips():
    """Concatenated embeddings under the squared Euclidean distance: the ensemble's logits are the sum
    of its members' logits (also with test-time augmentation), and a saved ensemble reloads exactly."""
    from meta_course.learners import load_learner, save_learner
    from meta_course.learners.metric.ensemble import Ensemble

    members = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        members.append(ProtoNet(TINY).eval())
    ens = Ensemble([dict(name=m.name, config=m.config) for m in members]).eval()
    for mine, theirs in zip(ens.members, members):
        mine.load_state_dict(theirs.state_dict())
    ep = synthetic_episodes(n_tasks=1, seed=5).task(0)
    with torch.no_grad():
        for tta in (0, 2):
            total = sum(m.adapt(ep.x_support, ep.y_support, tta=tta)(ep.x_query) for m in members)
            assert torch.allclose(ens.adapt(ep.x_support, ep.y_support, tta=tta)(ep.x_query), total, atol=1e-4)
        path = save_learner(ens, Path(tempfile.mkdtemp()) / "ens.pt")
        again = load_learner(path).eval()
        assert torch.equal(again.adapt(ep.x_support, ep.y_support)(ep.x_query),
                           ens.adapt(ep.x_support, ep.y_support)(ep.x_query))
    with pytest.raises(ValueError, match="one kind"):
        Ensemble([dict(name="protonet", config=dict(model=TINY)),
                  dict(name="protonet", config=dict(model=TINY, distance="cosine"))])
    with pytest.raises(ValueError, match="member"):
        Ensemble([42])
