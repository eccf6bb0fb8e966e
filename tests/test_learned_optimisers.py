"""The LSTM meta-learner and the learned LSTM optimiser: their update equations, and that meta-training
reaches their weights."""

import math

import pytest
import torch

from meta_course.core.coordinatewise import flatten, preprocess, unflatten
from meta_course.core.functional import adapt, task_loss
from meta_course.learners.optimisation.l2l_optimizer import L2LOptimizer, hand_designed_path, loss_curves, random_init
from meta_course.learners.optimisation.meta_lstm import MetaLSTM, gate
from meta_course.tasks.linear import QUADRATIC_MODEL, QuadraticTasks
from meta_course.tasks.sine import SineTasks

MLP = {"name": "mlp", "sizes": [1, 8, 8, 1]}
mse = torch.nn.functional.mse_loss


def test_preprocess_is_log_sign_above_threshold_and_scaled_below():
    p = 10.0
    x = torch.tensor([3.0, -0.5, 1e-5, -2e-5, 0.0])
    out = preprocess(x, p)
    assert torch.allclose(out[:2, 0], torch.log(x[:2].abs()) / p) and torch.equal(out[:2, 1], torch.sign(x[:2]))
    assert torch.allclose(out[2:4, 0], torch.full((2,), -1.0))
    assert torch.allclose(out[2:4, 1], math.exp(p) * x[2:4])
    assert torch.equal(out[4], torch.tensor([-1.0, 0.0]))
    g = torch.func.grad(lambda v: preprocess(v).sum())(x)
    assert torch.isfinite(g).all()
    with pytest.raises(ValueError, match="p="):
        preprocess(x, p=0)


def test_flatten_unflatten_round_trip_with_and_without_task_dim():
    params = {"a": torch.randn(3, 2), "b": torch.randn(4)}
    assert all(torch.equal(unflatten(flatten(params), params)[k], v) for k, v in params.items())
    batched = {k: torch.stack([v, 2 * v]) for k, v in params.items()}
    flat = flatten(batched, batch_dims=1)
    assert flat.shape == (2, 10)
    back = unflatten(flat, params)
    assert all(torch.equal(back[k], batched[k]) for k in params)


def test_gate_is_sigmoid_of_shared_weights_times_the_six_features():
    g = torch.Generator().manual_seed(0)
    grad, theta, prev = (torch.randn(7, generator=g) for _ in range(3))
    loss, w, b = torch.tensor(0.3), torch.randn(6, generator=g), torch.tensor(0.2)
    features = torch.cat([preprocess(grad), preprocess(loss).expand(7, 2), theta[:, None], prev[:, None]], 1)
    want = torch.sigmoid(features @ w + b)
    assert torch.allclose(gate(w, b, preprocess(grad), preprocess(loss), theta, prev), want)


def test_meta_lstm_with_constant_gates_is_gradient_descent():
    """w = 0, f → 1, i = α: c_t = c_{t−1} − α∇L_t, i.e. MAML's inner loop (Ravi & Larochelle, Eq. 2)."""
    torch.manual_seed(0)
    m = MetaLSTM(MLP, inner_steps=4, input_bias=math.log(0.01 / 0.99), forget_bias=40.0).double()
    ep = SineTasks().sample(torch.Generator().manual_seed(0), 1, k_shot=5)
    xs, ys = ep.x_support[0].double(), ep.y_support[0].double()
    got = m.adapt(xs, ys).params
    want = adapt(m.net, m.params(), xs, ys, mse, 0.01, 4)
    assert all(torch.allclose(got[k], want[k], atol=1e-10) for k in want)
    with pytest.raises(ValueError, match="inner_lr"):
        m.adapt(xs, ys, inner_lr=0.1)


def test_meta_lstm_meta_gradient_reaches_gates_and_initialisation():
    torch.manual_seed(0)
    m = MetaLSTM(MLP, inner_steps=3)
    ep = SineTasks().sample(torch.Generator().manual_seed(1), 4, k_shot=5)
    m.meta_loss(ep).backward()
    for name in ("w_i", "b_i", "w_f", "b_f", "net.0.weight"):
        assert dict(m.named_parameters())[name].grad.abs().sum() > 0, name
    loop = m.meta_loss(ep, use_vmap=False)
    assert torch.allclose(loop, m.meta_loss(ep), rtol=1e-5)


def test_l2l_batched_optimise_equals_per_problem_adapt_and_truncation_cuts_gradients():
    torch.manual_seed(0)
    opt = L2LOptimizer(QUADRATIC_MODEL, loss="sse", inner_steps=6, truncation=3)
    ep = QuadraticTasks().sample(torch.Generator().manual_seed(0), 3)
    batch = opt.predict(ep, inner_steps=6)
    single = torch.stack([opt.adapt(ep.x_support[i], ep.y_support[i], inner_steps=6)(ep.x_query[i]) for i in range(3)])
    assert torch.allclose(batch, single, atol=1e-5)
    # θ_6 depends on θ_0 only through the truncated segment boundary: no gradient to θ_0
    init = {k: v.expand(3, *v.shape).clone().requires_grad_(True) for k, v in random_init(opt.net, 0).items()}
    _, losses = opt.optimise(init, ep.x_support, ep.y_support, 6, truncation=3)
    (g_late,) = torch.autograd.grad(losses[:, 3:].sum(), init["weight"], allow_unused=True, retain_graph=True)
    (g_early,) = torch.autograd.grad(losses[:, :3].sum(), init["weight"])
    assert g_late is None or g_late.abs().max() == 0
    assert g_early.abs().max() > 0


def test_hand_designed_baselines_match_closed_form_sgd_and_torch_adam():
    ep = QuadraticTasks().sample(torch.Generator().manual_seed(2), 1).task(0)
    opt = L2LOptimizer(QUADRATIC_MODEL, loss="sse")
    init = random_init(opt.net, 0)
    sgd = hand_designed_path(opt.net, opt.loss_fn, init, ep.x_support, ep.y_support, "sgd", 0.01, 3)
    w, y, theta = ep.x_support, ep.y_support, init["weight"].reshape(10, 1)
    for t in range(1, 4):
        theta = theta - 0.01 * 2 * w.T @ (w @ theta - y)
        assert torch.allclose(sgd[t]["weight"].reshape(10, 1), theta, atol=1e-4)
    adam = hand_designed_path(opt.net, opt.loss_fn, init, ep.x_support, ep.y_support, "adam", 0.05, 5)
    p = init["weight"].clone().requires_grad_(True)
    ref = torch.optim.Adam([p], lr=0.05)
    for _ in range(5):
        ref.zero_grad()
        task_loss(opt.net, {"weight": p}, ep.x_support, ep.y_support, opt.loss_fn).backward()
        ref.step()
    assert torch.allclose(adam[-1]["weight"], p.detach(), atol=1e-5)


def test_l2l_meta_training_lowers_its_objective_on_held_out_quadratics():
    from meta_course.train import train

    torch.manual_seed(0)
    opt = L2LOptimizer(QUADRATIC_MODEL, loss="sse", inner_steps=10, truncation=10, objective="support")
    held_out = QuadraticTasks().sample(torch.Generator().manual_seed(99), 32)
    before = loss_curves(opt, held_out, 10, {}, on="support")["learned"][:, 1:].mean()
    train(opt, QuadraticTasks().sample, steps=25, meta_batch_size=16, outer_lr=3e-3, progress=False, device="cpu")
    after = loss_curves(opt, held_out, 10, {}, on="support")["learned"][:, 1:].mean()
    assert after < 0.8 * before, (before, after)


def test_summarise_curves_mean_and_band():
    from meta_course.viz.optimisers import summarise_curves

    c = torch.tensor([[4.0, 2.0, 1.0], [2.0, 2.0, 3.0]])
    s = summarise_curves({"adam": c})["adam"]
    assert s["mean"].tolist() == [3.0, 2.0, 2.0]
    assert s["high"][1] == s["low"][1] == 2.0  # no spread at step 1
    assert s["high"][0] - s["mean"][0] == pytest.approx(1.96 * math.sqrt(2) / math.sqrt(2))
    with pytest.raises(ValueError, match="expected"):
        summarise_curves({"sgd": torch.zeros(3)})
