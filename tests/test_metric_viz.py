"""The embedding-space widget's update function (lesson 06)."""

import pytest
import torch

from meta_course.recipes.metric import CONV4
from meta_course.learners.metric.protonet import ProtoNet, prototypes, protonet_logits
from meta_course.viz.metric import episode_view, pca_2d, plot_episode_view

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return ProtoNet(CONV4).eval()


def test_pca_plane_is_orthonormal_and_ordered():
    z = torch.randn(50, 8) * torch.tensor([5.0, 3, 1, 1, 1, 1, 1, 1])
    mean, comps, explained = pca_2d(z)
    assert torch.allclose(comps @ comps.T, torch.eye(2), atol=1e-5)
    assert 0.5 < explained <= 1.0 and torch.allclose(mean, z.mean(0))


@pytest.mark.parametrize("n_way,k_shot,distance", [(5, 1, "euclidean"), (3, 5, "cosine"), (20, 1, "euclidean")])
def test_episode_view_is_consistent_with_the_learner(net, n_way, k_shot, distance):
    view = episode_view(net, n_way, k_shot, distance, seed=3, n_query=4, grid=30)
    assert view.support_2d.shape == (n_way * k_shot, 2) and view.query_2d.shape == (n_way * 4, 2)
    assert view.protos_2d.shape == (n_way, 2) and view.regions.shape == (30, 30)
    assert set(view.regions.unique().tolist()) <= set(range(n_way))
    assert view.accuracy == pytest.approx((view.pred == view.y_query).float().mean().item())
    # The projected prototypes are the projections of the class means: means commute with projection.
    for k in range(n_way):
        assert torch.allclose(view.protos_2d[k], view.support_2d[view.y_support == k].mean(0), atol=1e-4)
    if distance == "euclidean":  # the widget predicts exactly what ProtoNet predicts
        from meta_course.viz.metric import _tasks
        ep = _tasks(n_way, k_shot, 4, "minimal", "test").sample(torch.Generator().manual_seed(3), 1).task(0)
        with torch.no_grad():
            assert torch.equal(net.adapt(ep.x_support, ep.y_support)(ep.x_query).argmax(1), view.pred)


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
def test_regions_follow_the_full_dimensional_rule(net, distance):
    """Each grid cell's class is the nearest prototype of the point z = mean + g·V of the plane."""
    view = episode_view(net, 4, 2, distance, seed=1, n_query=3, grid=12)
    g = torch.Generator().manual_seed(0)
    for i, j in torch.randint(0, 12, (20, 2), generator=g).tolist():
        z = view.plane_mean + torch.stack([view.grid_x[j], view.grid_y[i]]) @ view.plane_axes
        expected = protonet_logits(z[None], view.prototypes, distance).argmax(1).item()
        assert view.regions[i, j].item() == expected


def test_distance_toggle_and_bad_input(net):
    a = episode_view(net, 5, 1, "euclidean", seed=0, grid=20)
    b = episode_view(net, 5, 1, "cosine", seed=0, grid=20)
    assert torch.equal(a.query_2d, b.query_2d) and a.distance != b.distance
    with pytest.raises(ValueError, match="n_way"):
        episode_view(net, 1, 1)
    with pytest.raises(ValueError, match="distance"):
        episode_view(net, 5, 1, "hamming")
    fig = plot_episode_view(a)
    assert fig.png()[:4] == b"\x89PNG"


# --- Matching and Siamese networks in the explorer (rule="learner") -----------------------------------------

def test_learner_rule_predicts_what_each_learner_predicts():
    from meta_course.checkpoints import checkpoint_path
    from meta_course.learners import load_learner
    from meta_course.viz.metric import _tasks

    for recipe in ("matching_omniglot", "siamese_omniglot", "protonet_omniglot"):
        learner = load_learner(checkpoint_path(recipe)).eval()
        view = episode_view(learner, 5, 1, seed=2, n_query=3, grid=12, rule="learner")
        ep = _tasks(5, 1, 3, "minimal", "test").sample(torch.Generator().manual_seed(2), 1).task(0)
        with torch.no_grad():
            assert torch.equal(learner.adapt(ep.x_support, ep.y_support)(ep.x_query).argmax(1), view.pred), recipe
        assert view.distance == learner.name and set(view.regions.unique().tolist()) <= set(range(5))


def test_explorer_switches_between_learners(net):
    from meta_course.checkpoints import checkpoint_path
    from meta_course.learners import load_learner
    from meta_course.viz.metric import metric_explorer

    box = metric_explorer({"ProtoNet": net, "Matching": load_learner(checkpoint_path("matching_omniglot")).eval()})
    which, image = box.children[1], box.children[2]
    before = bytes(image.value)
    which.value = "Matching"
    assert bytes(image.value) != before
    distance = box.children[0].children[1].children[0]
    assert distance.disabled  # Matching scores with its own attention, not with the distance toggle
    with pytest.raises(ValueError, match="rule"):
        episode_view(net, rule="nope")
