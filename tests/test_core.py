"""The functional core: MAML's meta-gradient checked against float64 finite differences."""

import pytest
import torch
from torch import nn

from meta_course.core.functional import adapt, adapted_query_loss, get_params, meta_batch_loss, task_loss
from meta_course.models import MLP
from meta_course.tasks.sine import SineTasks

mse = nn.functional.mse_loss


def _setup(seed=0, k=5):
    torch.manual_seed(seed)
    net = MLP((1, 8, 8, 1)).double()
    params = {k_: v.requires_grad_() for k_, v in get_params(net).items()}
    ep = SineTasks().sample(torch.Generator().manual_seed(seed), 1, k_shot=k, n_query=7)
    ep = type(ep)(*(t[0].double() for t in ep))
    return net, params, ep


def _flat(d):
    return torch.cat([v.reshape(-1) for v in d.values()])


def _unflat(vec, like):
    out, i = {}, 0
    for k, v in like.items():
        out[k] = vec[i:i + v.numel()].view_as(v)
        i += v.numel()
    return out


@pytest.mark.parametrize("steps", [1, 3])
def test_second_order_meta_gradient_matches_central_finite_differences(steps):
    net, params, ep = _setup()
    alpha = 0.05

    def objective(flat):
        return adapted_query_loss(net, _unflat(flat, params), *ep, mse, alpha, steps)

    theta = _flat(params).detach()
    flat = theta.clone().requires_grad_()
    (g,) = torch.autograd.grad(objective(flat), flat)
    eps = 1e-6
    fd = torch.empty_like(theta)
    with torch.no_grad():
        for i in range(theta.numel()):
            e = torch.zeros_like(theta)
            e[i] = eps
            fd[i] = (objective(theta + e) - objective(theta - e)) / (2 * eps)
    torch.testing.assert_close(g, fd, rtol=1e-4, atol=1e-8)


def test_first_order_is_query_gradient_at_adapted_params_and_differs_from_second_order():
    net, params, ep = _setup(seed=1)
    alpha = 0.1
    fo = torch.autograd.grad(adapted_query_loss(net, params, *ep, mse, alpha, 2, first_order=True),
                             list(params.values()))
    fast = {k: v.detach().requires_grad_() for k, v in adapt(net, params, ep.x_support, ep.y_support, mse, alpha, 2).items()}
    at_fast = torch.autograd.grad(task_loss(net, fast, ep.x_query, ep.y_query, mse), list(fast.values()))
    for a, b in zip(fo, at_fast):
        torch.testing.assert_close(a, b)
    so = torch.autograd.grad(adapted_query_loss(net, params, *ep, mse, alpha, 2), list(params.values()))
    gap = max((a - b).abs().max().item() for a, b in zip(so, fo))
    assert gap > 1e-3, "second-order and first-order meta-gradients should differ when alpha > 0"


def test_second_order_equals_first_order_when_inner_lr_tiny():
    net, params, ep = _setup(seed=2)
    so = torch.autograd.grad(adapted_query_loss(net, params, *ep, mse, 1e-9, 1), list(params.values()))
    fo = torch.autograd.grad(adapted_query_loss(net, params, *ep, mse, 1e-9, 1, True), list(params.values()))
    for a, b in zip(so, fo):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("first_order", [False, True])
def test_vmap_meta_batch_equals_per_task_loop(first_order):
    torch.manual_seed(0)
    net = MLP((1, 40, 40, 1))
    params = {k: v.requires_grad_() for k, v in get_params(net).items()}
    eps = SineTasks().sample(torch.Generator().manual_seed(3), 25, k_shot=10)
    losses, grads = [], []
    for use_vmap in (True, False):
        loss = meta_batch_loss(net, params, eps, mse, 0.01, 2, first_order, use_vmap=use_vmap)
        losses.append(loss)
        grads.append(torch.autograd.grad(loss, list(params.values())))
    torch.testing.assert_close(losses[0], losses[1])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_per_parameter_learning_rates_are_used():
    net, params, ep = _setup()
    lrs = {k: torch.full_like(v, 0.05) for k, v in params.items()}
    a = adapt(net, params, ep.x_support, ep.y_support, mse, lrs, 2)
    b = adapt(net, params, ep.x_support, ep.y_support, mse, 0.05, 2)
    for k in a:
        torch.testing.assert_close(a[k], b[k])
    lrs["0.weight"] = torch.zeros_like(lrs["0.weight"])
    c = adapt(net, params, ep.x_support, ep.y_support, mse, lrs, 2)
    torch.testing.assert_close(c["0.weight"], params["0.weight"])
    assert not torch.allclose(c["2.weight"], params["2.weight"])


def test_zero_steps_returns_params_and_adaptation_lowers_support_loss():
    net, params, ep = _setup()
    assert adapt(net, params, ep.x_support, ep.y_support, mse, 0.05, 0) is params
    fast = adapt(net, params, ep.x_support, ep.y_support, mse, 0.05, 5)
    assert task_loss(net, fast, ep.x_support, ep.y_support, mse) < task_loss(net, params, ep.x_support, ep.y_support, mse)


@pytest.mark.parametrize("kwargs, match", [
    (dict(inner_lr=0.0), r"inner_lr=0.0 is out of range: allowed > 0"),
    (dict(inner_lr=-1), r"inner_lr=-1 is out of range"),
    (dict(inner_steps=-1), r"inner_steps=-1 is out of range: allowed \[0, 10000\]"),
])
def test_bad_inner_loop_settings_raise_clear_errors(kwargs, match):
    net, params, ep = _setup()
    args = dict(inner_lr=0.1, inner_steps=1) | kwargs
    with pytest.raises(ValueError, match=match):
        adapt(net, params, ep.x_support, ep.y_support, mse, **args)


def test_mismatched_support_shapes_raise():
    net, params, ep = _setup()
    with pytest.raises(ValueError, match=r"x_support has 5 examples .* y_support has 4"):
        adapt(net, params, ep.x_support, ep.y_support[:4], mse, 0.1, 1)


@pytest.mark.parametrize("k", [0, -3])
def test_k_below_one_raises(k):
    with pytest.raises(ValueError, match=rf"k_shot={k} is out of range: allowed \[1, 10000\]"):
        SineTasks().sample(torch.Generator(), 2, k_shot=k)


def test_bad_sine_range_raises():
    with pytest.raises(ValueError, match=r"amplitude=\(5.0, 0.1\) must satisfy low < high"):
        SineTasks(amplitude=(5.0, 0.1))


def test_sine_sampling_is_seeded_and_in_range():
    a = SineTasks().sample(torch.Generator().manual_seed(7), 100, k_shot=5)
    b = SineTasks().sample(torch.Generator().manual_seed(7), 100, k_shot=5)
    for x, y in zip(a, b):
        assert torch.equal(x, y)
    assert a.x_support.min() >= -5 and a.x_support.max() <= 5
    assert a.y_support.abs().max() <= 5
    c = SineTasks(x_range=(-3.1416, 3.1416)).sample(torch.Generator().manual_seed(7), 100, k_shot=5)
    assert c.x_support.abs().max() <= 3.1416
