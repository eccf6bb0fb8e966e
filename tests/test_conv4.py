"""Conv-4 with batch-statistics normalisation: shapes, BN semantics, and exact second-order MAML
gradients under vmap (against a Python loop and float64 central finite differences)."""

import pytest
import torch
from torch import nn

from meta_course.core.functional import adapted_query_loss, get_params, meta_batch_loss
from meta_course.models import build_model
from meta_course.models.conv4 import BatchStatNorm2d, Conv4
from meta_course.tasks import Episode

ce = nn.functional.cross_entropy


def test_build_model_shapes_and_embedding():
    net = build_model({"name": "conv4", "out_features": 5, "hidden": 64, "in_channels": 1})
    assert net(torch.rand(10, 1, 28, 28)).shape == (10, 5)
    emb = build_model({"name": "conv4", "out_features": None})
    assert emb(torch.rand(7, 1, 28, 28)).shape == (7, 64)
    assert Conv4(None, hidden=8, image_size=84).embedding_dim == 8 * 5 * 5
    with pytest.raises(ValueError, match="out_features"):
        Conv4(out_features=0)
    with pytest.raises(ValueError, match="channel axis"):
        emb(torch.rand(7, 28, 28))


def test_batch_stat_norm_equals_torch_training_mode_batchnorm_and_keeps_no_state():
    torch.manual_seed(0)
    x = torch.randn(6, 3, 5, 5)
    norm = BatchStatNorm2d(3)
    with torch.no_grad():
        norm.weight.copy_(torch.randn(3))
        norm.bias.copy_(torch.randn(3))
    ref = nn.functional.batch_norm(x, None, None, norm.weight, norm.bias, training=True, eps=1e-5)
    torch.testing.assert_close(norm(x), ref)
    assert list(dict(norm.named_buffers())) == []
    # batch statistics: an image's output depends on the others in its batch (transductive)
    assert not torch.allclose(norm(x)[:3], norm(x[:3]))


def _tiny(seed=0, n_way=3, tasks=3, size=16):
    torch.manual_seed(seed)
    net = Conv4(out_features=n_way, hidden=3, image_size=size).double()
    params = {k: v.requires_grad_() for k, v in get_params(net).items()}
    g = torch.Generator().manual_seed(seed)
    xs = torch.rand(tasks, n_way * 2, 1, size, size, generator=g, dtype=torch.float64)
    xq = torch.rand(tasks, n_way * 2, 1, size, size, generator=g, dtype=torch.float64)
    y = torch.arange(n_way).repeat_interleave(2).expand(tasks, -1)
    return net, params, Episode(xs, y, xq, y)


def test_second_order_meta_gradient_vmap_equals_python_loop():
    net, params, ep = _tiny()
    names = list(params)
    gv = torch.autograd.grad(meta_batch_loss(net, params, ep, ce, 0.4, 2, use_vmap=True), [params[k] for k in names])
    gl = torch.autograd.grad(meta_batch_loss(net, params, ep, ce, 0.4, 2, use_vmap=False), [params[k] for k in names])
    for k, a, b in zip(names, gv, gl):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12, msg=k)
    # and the Hessian term is really there: first-order differs
    gf = torch.autograd.grad(meta_batch_loss(net, params, ep, ce, 0.4, 2, first_order=True),
                             [params[k] for k in names])
    assert max((a - b).abs().max().item() for a, b in zip(gv, gf)) > 1e-6


def test_second_order_meta_gradient_matches_central_finite_differences():
    net, params, ep = _tiny(seed=1, tasks=1)
    one = ep.task(0)
    names = list(params)
    shapes = [params[k].shape for k in names]

    def objective(flat):
        p, i = {}, 0
        for k, s in zip(names, shapes):
            n = s.numel()
            p[k] = flat[i:i + n].view(s)
            i += n
        return adapted_query_loss(net, p, *one, ce, 0.4, 1)

    theta = torch.cat([params[k].detach().reshape(-1) for k in names])
    flat = theta.clone().requires_grad_()
    (g,) = torch.autograd.grad(objective(flat), flat)
    # Directional derivatives along random unit directions (all coordinates at once; 2 evaluations each).
    eps = 1e-6
    gen = torch.Generator().manual_seed(0)
    dirs = torch.randn(6, theta.numel(), generator=gen, dtype=theta.dtype)
    dirs /= dirs.norm(dim=1, keepdim=True)
    with torch.no_grad():
        fd = torch.stack([(objective(theta + eps * v) - objective(theta - eps * v)) / (2 * eps) for v in dirs])
    torch.testing.assert_close(dirs @ g, fd, rtol=1e-4, atol=1e-9)
