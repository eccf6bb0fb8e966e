"""The learned-rule comparison: SGD scored from a given start, tuned on validation tasks."""

import math

import torch

from meta_course.lessons.learned_rules import rule_or_initialisation, sgd_query_mse, tuned_sgd
from meta_course.models import MLP
from meta_course.tasks.sine import SineTasks


def test_sgd_query_mse_matches_a_loop_and_flags_divergence():
    torch.manual_seed(0)
    net = MLP((1, 8, 1))
    init = {k: v.detach() for k, v in net.named_parameters()}
    ep = SineTasks().sample(torch.Generator().manual_seed(1), 3, k_shot=5, n_query=7)
    losses = []
    for i in range(3):
        xs, ys, xq, yq = ep.task(i)
        p = {k: v.clone().requires_grad_() for k, v in init.items()}
        for _ in range(4):
            g = torch.autograd.grad(torch.nn.functional.mse_loss(torch.func.functional_call(net, p, (xs,)), ys), list(p.values()))
            p = {k: (w - 0.05 * gi).detach().requires_grad_() for (k, w), gi in zip(p.items(), g)}
        losses.append(torch.nn.functional.mse_loss(torch.func.functional_call(net, p, (xq,)), yq).item())
    assert abs(sgd_query_mse(net, init, ep, 0.05, 4) - sum(losses) / 3) < 1e-5
    assert sgd_query_mse(net, init, ep, 1e6, 4) == math.inf
    lr, _ = tuned_sgd(net, init, ep, ep, 4, grid=(1e6, 0.05))
    assert lr == 0.05


def test_meta_lstm_learned_an_initialisation_more_than_a_rule():
    from meta_course.recipes import load_or_train

    t = SineTasks()
    val = t.sample(torch.Generator().manual_seed(4), 100, k_shot=5, n_query=50)
    test = t.sample(torch.Generator().manual_seed(31337), 200, k_shot=5, n_query=50)
    res = rule_or_initialisation(load_or_train("metalstm_sine"), load_or_train("pretrained_sine"), val, test)
    learned = res["meta-LSTM, learned updates"]
    own = next(v for k, v in res.items() if "meta-LSTM θ_0" in k)
    pre = next(v for k, v in res.items() if "pretrained" in k)
    assert own < learned < pre


def test_meta_lstm_predictor_reports_its_gates():
    """adapt's info holds the gates of every update, and they are the ones meta_lstm_step computed."""
    from meta_course.core.coordinatewise import flatten, unflatten
    from meta_course.learners.optimisation.meta_lstm import MetaLSTM, meta_lstm_step

    torch.manual_seed(0)
    m = MetaLSTM({"name": "mlp", "sizes": [1, 8, 1]}, inner_steps=3)
    ep = SineTasks().sample(torch.Generator().manual_seed(2), 1, k_shot=5).task(0)
    with torch.no_grad():
        info = m.adapt(ep.x_support, ep.y_support).info
        like = m.params()
        theta = flatten(like)
        i = f = torch.zeros_like(theta)
        for t in range(3):
            g, loss = torch.func.grad_and_value(lambda p: torch.nn.functional.mse_loss(
                torch.func.functional_call(m.net, p, (ep.x_support,)), ep.y_support))(unflatten(theta, like))
            theta, i, f = meta_lstm_step(theta, flatten(g), loss, i, f, m.w_i, m.b_i, m.w_f, m.b_f)
            assert torch.allclose(info["input_gate"][t], i) and torch.allclose(info["forget_gate"][t], f)
    assert len(info["input_gate"]) == 3 and len(info["path"]) == 4
