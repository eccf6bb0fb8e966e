"""The conditional neural process: its equations, checked on small cases and against torch.distributions."""

import math

import pytest
import torch
from torch import nn

from meta_course.learners.memory.cnp import (ConditionalNeuralProcess, aggregate, cnp_nll, context_mask, decode,
                                             encode, gaussian_nll)


def small_cnp(seed=0, **kw):
    torch.manual_seed(seed)
    return ConditionalNeuralProcess(hidden=16, r_dim=8, **kw)


def test_gaussian_nll_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    y, mean = torch.randn(50, generator=g), torch.randn(50, generator=g)
    std = 0.05 + torch.rand(50, generator=g) * 3
    ref = -torch.distributions.Normal(mean, std).log_prob(y)
    torch.testing.assert_close(gaussian_nll(y, mean, std), ref)
    assert gaussian_nll(torch.tensor(1.0), torch.tensor(0.0), torch.tensor(2.0)).item() == pytest.approx(
        0.5 * math.log(2 * math.pi) + math.log(2.0) + 1 / 8)


def test_aggregate_is_the_mean_and_the_mask_selects_points():
    r = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    torch.testing.assert_close(aggregate(r), torch.tensor([[104 / 3, 106 / 3]]))
    torch.testing.assert_close(aggregate(r, torch.tensor([[1.0, 1.0, 0.0]])), torch.tensor([[2.0, 3.0]]))
    with pytest.raises(ValueError, match="0 context points"):
        aggregate(r, torch.zeros(1, 3))


def test_encode_decode_are_the_paper_equations_on_a_hand_made_network():
    # h(x, y) = [x + y, x − y] and g(x, r) = [x·1 + r_1, 0·x + log(e − 1)]: μ = x + mean(x + y), σ = 1 + σ_min
    enc = nn.Linear(2, 2, bias=False)
    enc.weight.data = torch.tensor([[1.0, 1.0], [1.0, -1.0]])
    dec = nn.Linear(3, 2)
    dec.weight.data = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    dec.bias.data = torch.tensor([0.0, math.log(math.e - 1)])  # softplus(log(e − 1)) = 1
    xc, yc = torch.tensor([[1.0], [2.0]]), torch.tensor([[3.0], [-1.0]])
    r_i = encode(enc, xc, yc)
    torch.testing.assert_close(r_i, torch.tensor([[4.0, -2.0], [1.0, 3.0]]))
    r = aggregate(r_i)
    pred = decode(dec, r, torch.tensor([[0.5], [-1.0]]), min_std=0.1)
    torch.testing.assert_close(pred.mean, torch.tensor([[0.5 + 2.5], [-1.0 + 2.5]]))
    torch.testing.assert_close(pred.std, torch.full((2, 1), 1.1))


def test_prediction_ignores_context_order_and_batches_like_single_tasks():
    cnp = small_cnp()
    g = torch.Generator().manual_seed(1)
    xc, yc, xt = torch.randn(3, 6, 1, generator=g), torch.randn(3, 6, 1, generator=g), torch.randn(3, 4, 1, generator=g)
    batched = cnp(xc, yc, xt)
    perm = torch.randperm(6, generator=g)
    for t in range(3):
        single = cnp(xc[t, perm], yc[t, perm], xt[t])
        torch.testing.assert_close(single.mean, batched.mean[t], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(single.std, batched.std[t], rtol=1e-5, atol=1e-6)
    assert (batched.std >= cnp.min_std).all()


def test_masked_batch_equals_each_task_with_its_own_context():
    cnp = small_cnp(min_std=0.05)
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(3, 9, 1, generator=g), torch.randn(3, 9, 1, generator=g)
    n = torch.tensor([1, 4, 7])
    loss = cnp_nll(cnp, x, y, n)
    # Eq. 4 by hand: task t reads its first n_t points and is scored on all 9 (context included)
    per_task = [gaussian_nll(y[t], *cnp(x[t, :n[t]], y[t, :n[t]], x[t])).mean() for t in range(3)]
    assert loss.item() == pytest.approx(torch.stack(per_task).mean().item(), rel=1e-5)
    torch.testing.assert_close(context_mask(3, 7, n)[1], torch.tensor([1.0] * 4 + [0.0] * 3))


def test_cnp_loss_gradient_reaches_encoder_and_decoder():
    cnp = small_cnp()
    x, y = torch.randn(2, 5, 1), torch.randn(2, 5, 1)
    cnp_nll(cnp, x, y, torch.tensor([2, 3])).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in cnp.parameters())


@pytest.mark.parametrize("call, match", [
    (lambda c: c(torch.zeros(0, 1), torch.zeros(0, 1), torch.zeros(3, 1)), "K=0 context points"),
    (lambda c: c(torch.zeros(2, 1), torch.zeros(3, 1), torch.zeros(3, 1)), "same number of points"),
    (lambda c: c(torch.zeros(2), torch.zeros(2), torch.zeros(3, 1)), "unsqueeze"),
    (lambda c: cnp_nll(c, torch.zeros(2, 4, 1), torch.zeros(2, 4, 1), torch.tensor([0, 2])), r"n_context=\[0, 2\]"),
    (lambda c: cnp_nll(c, torch.zeros(2, 4, 1), torch.zeros(2, 4, 1), torch.tensor([5, 2])), r"\[1, 4\]"),
    (lambda c: ConditionalNeuralProcess(hidden=0), "hidden=0"),
    (lambda c: ConditionalNeuralProcess(min_std=-0.1), "min_std=-0.1"),
])
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call(small_cnp())


def test_fourier_features_are_the_formula_and_travel_with_the_weights():
    cnp = small_cnp(x_features=3, x_feature_scale=0.7)
    ff = cnp.encoder[0]
    z = torch.tensor([[0.3, -1.0], [-1.2, 2.0]])
    proj = 2 * math.pi * z[:, :1] * ff.B
    torch.testing.assert_close(ff(z), torch.cat([proj.sin(), proj.cos(), z[:, :1], z[:, 1:]], 1))
    assert torch.equal(cnp.encoder[0].B, cnp.decoder[0].B)  # one γ(x) for h and g
    state = cnp.state_dict()
    assert "encoder.0.B" in state
    other = ConditionalNeuralProcess(hidden=16, r_dim=8, x_features=3, x_feature_scale=0.7)
    other.load_state_dict(state)
    x = torch.randn(4, 1)
    torch.testing.assert_close(other(x, x, x).mean, cnp(x, x, x).mean)


def test_learner_adapts_in_one_forward_pass_and_scores_mse_and_nll():
    from meta_course.learners.memory.cnp import CNP
    from meta_course.tasks.sine import SineTasks

    torch.manual_seed(0)
    cnp = CNP(hidden=16, r_dim=8, context_range=[2, 5])
    tasks = SineTasks().sample(torch.Generator().manual_seed(0), 6, k_shot=5, n_query=7)
    with torch.no_grad():
        pred = cnp.distribution(tasks)
        predictor = cnp.adapt(tasks.x_support[2], tasks.y_support[2])
        torch.testing.assert_close(predictor(tasks.x_query[2]), pred.mean[2])
        assert predictor.info["k_shot"] == 5 and predictor.info["r"].shape == (8,)
        mse, nll = cnp.score(tasks, metric="mse"), cnp.score(tasks, metric="nll")
    torch.testing.assert_close(mse, ((pred.mean - tasks.y_query) ** 2).flatten(1).mean(1))
    torch.testing.assert_close(nll, gaussian_nll(tasks.y_query, pred.mean, pred.std).flatten(1).mean(1))
    torch.testing.assert_close(cnp.predict(tasks, inner_steps=0), pred.mean)
    assert cnp.outer_lr_factor(50, 100) == 1.0
    assert CNP(lr_schedule="cosine").outer_lr_factor(50, 100) == pytest.approx(0.5)


def test_meta_loss_draws_context_sizes_from_its_range():
    from meta_course.learners.memory.cnp import CNP
    from meta_course.tasks.sine import SineTasks

    torch.manual_seed(0)
    cnp = CNP(hidden=16, r_dim=8, context_range=[3, 3])  # N = 3 for every task: Eq. 4 by hand
    tasks = SineTasks().sample(torch.Generator().manual_seed(1), 4, k_shot=5, n_query=6)
    x, y = torch.cat([tasks.x_support, tasks.x_query], 1), torch.cat([tasks.y_support, tasks.y_query], 1)
    want = gaussian_nll(y, *cnp.net(x[:, :3], y[:, :3], x)).mean()
    torch.testing.assert_close(cnp.meta_loss(tasks), want)


@pytest.mark.parametrize("call, match", [
    (lambda: __import__("meta_course.learners.memory.cnp", fromlist=["CNP"]).CNP(context_range=[0, 5]), r"context_range\[0\]=0"),
    (lambda: __import__("meta_course.learners.memory.cnp", fromlist=["CNP"]).CNP(context_range=[5, 2]), r"context_range\[1\]=2"),
    (lambda: __import__("meta_course.learners.memory.cnp", fromlist=["CNP"]).CNP(lr_schedule="step"), "lr_schedule"),
])
def test_bad_learner_settings_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_learner_refuses_inner_steps_and_too_small_tasks():
    from meta_course.learners.memory.cnp import CNP
    from meta_course.tasks.sine import SineTasks

    cnp = CNP(hidden=8, r_dim=4, context_range=[6, 10])
    tasks = SineTasks().sample(torch.Generator().manual_seed(1), 2, k_shot=5)
    with pytest.raises(ValueError, match="inner_steps=3"):
        cnp.adapt(tasks.x_support[0], tasks.y_support[0], inner_steps=3)
    with pytest.raises(ValueError, match="k_shot >= 6"):
        cnp.meta_loss(tasks)
    with pytest.raises(ValueError, match="unknown metric"):
        cnp.score(tasks, metric="accuracy")


def test_init_from_starts_from_a_committed_cnp_and_refuses_another_network():
    from meta_course.checkpoints import checkpoint_path
    from meta_course.learners.base import learner_from_checkpoint, load_learner
    from meta_course.learners.memory.cnp import CNP
    from meta_course.recipes import get_recipe

    first = load_learner(checkpoint_path("cnp_gp"))
    second = CNP(**{**get_recipe("cnp_gp").config, "init_from": "cnp_gp"})
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)
    assert second.config["init_from"] == "cnp_gp"
    # its own checkpoint restores its own weights, not the start's
    with torch.no_grad():
        next(second.parameters()).add_(1.0)
    clone = learner_from_checkpoint(second.checkpoint())
    assert torch.equal(next(clone.parameters()), next(second.parameters()))
    with pytest.raises(ValueError, match="init_from='cnp_gp'"):
        CNP(r_dim=8, hidden=8, init_from="cnp_gp")
