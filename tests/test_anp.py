"""The attentive CNP's equations: attention against an independent reference, the properties a context
reader must have (order of the context, padding, one point), and clear errors."""

import pytest
import torch

from meta_course.learners import load_learner, save_learner
from meta_course.learners.memory.anp import AttentiveCNP, AttentiveNeuralProcess, multihead_attention
from meta_course.learners.memory.cnp import cnp_nll
from meta_course.tasks.gp import GPTasks


def small(**kw):
    torch.manual_seed(0)
    return AttentiveNeuralProcess(hidden=16, r_dim=8, heads=2, x_features=4, **kw)


def test_multihead_attention_matches_torch_scaled_dot_product_attention_per_head():
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(3, n, 8, generator=g, dtype=torch.float64) for n in (5, 7, 7))
    out, w = multihead_attention(q, k, v, heads=2)
    for h in range(2):
        sl = slice(4 * h, 4 * h + 4)
        ref = torch.nn.functional.scaled_dot_product_attention(q[..., sl], k[..., sl], v[..., sl])
        assert torch.allclose(out[..., sl], ref)
    assert torch.allclose(w.sum(-1), torch.ones(3, 2, 5, dtype=torch.float64))


def test_masked_keys_get_no_weight_and_padding_changes_nothing():
    g = torch.Generator().manual_seed(2)
    q, k, v = (torch.randn(1, n, 4, generator=g) for n in (3, 5, 5))
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0, 0.0]])
    out, w = multihead_attention(q, k, v, heads=2, mask=mask)
    assert torch.all(w[..., 3:] == 0)
    assert torch.allclose(out, multihead_attention(q, k[:, :3], v[:, :3], heads=2)[0], atol=1e-6)
    net = small(self_attention=True)
    xc, yc, xt = torch.rand(1, 5, 1, generator=g), torch.randn(1, 5, 1, generator=g), torch.rand(1, 9, 1, generator=g)
    padded = net(xc, yc, xt, mask)
    assert torch.allclose(padded.mean, net(xc[:, :3], yc[:, :3], xt).mean, atol=1e-5)


@pytest.mark.parametrize("self_attention", [False, True])
def test_the_prediction_does_not_depend_on_the_order_of_the_context(self_attention):
    g = torch.Generator().manual_seed(3)
    net = small(self_attention=self_attention)
    xc, yc, xt = torch.rand(6, 1, generator=g), torch.randn(6, 1, generator=g), torch.rand(10, 1, generator=g)
    perm = torch.randperm(6, generator=g)
    a, b = net(xc, yc, xt), net(xc[perm], yc[perm], xt)
    assert torch.allclose(a.mean, b.mean, atol=1e-5) and torch.allclose(a.std, b.std, atol=1e-5)


def test_with_one_context_point_every_target_reads_the_same_value():
    """One key: softmax over one point is 1, so r_t is that point's value for every target, as in a CNP."""
    net = small()
    xc, yc, xt = torch.tensor([[0.3]]), torch.tensor([[1.0]]), torch.linspace(-2, 2, 7).unsqueeze(1)
    r_t, w = net.attend(xc, yc, xt)
    assert torch.allclose(w, torch.ones_like(w)) and torch.allclose(r_t, r_t[:1].expand_as(r_t))


def test_the_learner_trains_rebuilds_and_refuses_bad_input(tmp_path):
    torch.manual_seed(0)
    anp = AttentiveCNP(hidden=16, r_dim=8, heads=2, x_features=4, context_range=[3, 10])
    tasks = GPTasks().sample(torch.Generator().manual_seed(0), 8, k_shot=10, n_query=20)
    opt = torch.optim.Adam(anp.parameters(), 1e-2)
    first = anp.meta_loss(tasks).item()
    for _ in range(30):
        opt.zero_grad()
        anp.meta_loss(tasks).backward()
        opt.step()
    assert anp.meta_loss(tasks).item() < first                  # it fits (the loss is the CNP's Eq. 4)
    n = torch.full((8,), 10)
    x, y = torch.cat([tasks.x_support, tasks.x_query], 1), torch.cat([tasks.y_support, tasks.y_query], 1)
    assert torch.isclose(cnp_nll(anp.net, x, y, n), cnp_nll(anp.net, x, y, n))
    again = load_learner(save_learner(anp, tmp_path / "anp.pt"))
    pred = anp.adapt(tasks.x_support[0], tasks.y_support[0])
    assert torch.equal(pred(tasks.x_query[0]), again.adapt(tasks.x_support[0], tasks.y_support[0])(tasks.x_query[0]))
    assert pred.attention(tasks.x_query[0]).shape == (2, 20, 10)
    with pytest.raises(ValueError, match="K=0"):
        anp.adapt(torch.zeros(0, 1), torch.zeros(0, 1))
    with pytest.raises(ValueError, match="inner_steps"):
        anp.adapt(tasks.x_support[0], tasks.y_support[0], inner_steps=5)
    with pytest.raises(ValueError, match="heads"):
        AttentiveCNP(r_dim=10, heads=4)
