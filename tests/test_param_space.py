"""Parameter-space widget: the closed-form initialisations are the fixed points of the package's
update rules, meta-training moves towards them, and the update function adapts correctly."""

import pytest
import torch

from meta_course.learners.optimisation.reptile import reptile_step
from meta_course.core.functional import meta_batch_loss, task_loss
from meta_course.tasks.linear import bowl_tasks, closed_form_init, minimisers, quadratic_form
from meta_course.viz.param_space import METHODS, ParamSpaceFigure, _model, find_init, param_space_paths

mse = torch.nn.functional.mse_loss
ALPHA, K = 0.3, 2


@pytest.fixture(scope="module")
def episodes():
    return bowl_tasks(4, seed=0)


def test_quadratic_form_matches_autograd_hessian(episodes):
    a, _ = quadratic_form(episodes.x_support, episodes.y_support, bias=False)
    w = minimisers(episodes.x_support, episodes.y_support, bias=False)
    net = _model()
    for i in range(episodes.n_tasks):
        xs, ys = episodes.x_support[i], episodes.y_support[i]
        h = torch.autograd.functional.hessian(lambda t: task_loss(net, {"weight": t.view(1, 2)}, xs, ys, mse),
                                              torch.zeros(2, dtype=torch.float64))
        assert torch.allclose(h, a[i], atol=1e-10)
        assert task_loss(net, {"weight": w[i].view(1, 2)}, xs, ys, mse) < 1e-20  # noise-free optimum


def test_closed_forms_are_stationary_points_of_the_package_objectives(episodes):
    net = _model()
    for method in METHODS:
        theta = closed_form_init(episodes, method, ALPHA, K).view(1, 2).requires_grad_(True)
        params = {"weight": theta}
        if method == "reptile":
            new = reptile_step(net, params, episodes, mse, ALPHA, K, epsilon=1.0)["weight"]
            assert torch.allclose(new, theta.detach(), atol=1e-10)
            continue
        if method == "maml":
            loss = meta_batch_loss(net, params, episodes, mse, ALPHA, K)
        else:
            loss = torch.stack([task_loss(net, params, *episodes.task(i)[:2], mse)
                                for i in range(episodes.n_tasks)]).mean()
        (g,) = torch.autograd.grad(loss, theta)
        assert g.abs().max() < 1e-10, (method, g)


def test_the_three_initialisations_differ_and_maml_wins_after_k_steps(episodes):
    inits = {m: closed_form_init(episodes, m, ALPHA, K) for m in METHODS}
    assert (inits["maml"] - inits["pretrained"]).norm() > 0.5
    res = param_space_paths(episodes, inits, inner_steps=K, inner_lr=ALPHA)
    after = {m: res.losses[m][:, -1].mean().item() for m in METHODS}
    before = {m: res.losses[m][:, 0].mean().item() for m in METHODS}
    assert after["maml"] < after["reptile"] < after["pretrained"], after
    assert before["pretrained"] < before["maml"], before  # ...while pretraining is best with no adaptation


def test_find_init_moves_towards_the_closed_form(episodes):
    for method in ("pretrained", "reptile"):
        target = closed_form_init(episodes, method, ALPHA, K)
        theta, path = find_init(episodes, method, ALPHA, K, iters=40)
        assert path.shape == (41, 2)
        assert (theta - target).norm() < 0.2 * (path[0] - target).norm()


def test_paths_are_gradient_descent_and_bad_knobs_are_rejected(episodes):
    a, _ = quadratic_form(episodes.x_support, episodes.y_support, bias=False)
    w = minimisers(episodes.x_support, episodes.y_support, bias=False)
    theta0 = torch.zeros(2, dtype=torch.float64)
    res = param_space_paths(episodes, {"maml": theta0}, inner_steps=3, inner_lr=0.1)
    for i in range(episodes.n_tasks):
        want = theta0.clone()
        for t in range(1, 4):
            want = want - 0.1 * a[i] @ (want - w[i])
            assert torch.allclose(res.paths["maml"][i, t], want, atol=1e-12)
    with pytest.raises(ValueError, match="inner_lr"):
        param_space_paths(episodes, {"maml": theta0}, inner_lr=-1)
    with pytest.raises(ValueError, match="inner_steps"):
        param_space_paths(episodes, {"maml": theta0}, inner_steps=-2)


def test_figure_renders_a_png():
    episodes = bowl_tasks(2)
    inits = {m: closed_form_init(episodes, m, ALPHA, K) for m in METHODS}
    png = ParamSpaceFigure(episodes, n_grid=20).update(param_space_paths(episodes, inits, K, ALPHA)).png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
