"""Lesson 03's derivations: each formula against autograd, float64 finite differences and closed forms."""

import math

import pytest
import torch
from torch import nn

from meta_course.core.functional import adapt, adapted_query_loss
from meta_course.core.metagrad import (autograd_meta_gradient, finite_difference_gradient, flatten, hvp,
                                       maml_meta_gradient, relative_error)
from meta_course.models import MLP
from meta_course.tasks import Episode
from meta_course.tasks.sine import SineTasks

mse = nn.functional.mse_loss


def square_mean(pred, y):  # mse written so that forward-over-reverse works in torch 2.13
    return ((pred - y) ** 2).mean()


def _sine_problem(seed=0, width=16, k=10):
    torch.manual_seed(seed)
    net = MLP((1, width, width, 1)).double()
    params = {k_: v.detach() for k_, v in net.named_parameters()}
    ep = SineTasks().sample(torch.Generator().manual_seed(seed), 1, k_shot=k, n_query=10).task(0)
    return net, params, Episode(*(t.double() for t in ep))


def test_hvp_modes_agree_with_explicit_hessian():
    net, params, ep = _sine_problem(width=4)
    f = lambda p: square_mean(torch.func.functional_call(net, p, (ep.x_support,)), ep.y_support)  # noqa: E731
    v = {k: torch.randn_like(t) for k, t in params.items()}
    flat = flatten(params)
    sizes = [t.numel() for t in params.values()]

    def f_flat(z):
        parts = torch.split(z, sizes)
        return f({k: p.view_as(params[k]) for k, p in zip(params, parts)})

    hessian = torch.autograd.functional.hessian(f_flat, flat)
    want = hessian @ flatten(v)
    for mode in ("reverse-over-reverse", "forward-over-reverse"):
        torch.testing.assert_close(flatten(hvp(f, params, v, mode)), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("steps", [1, 2, 5])
def test_hvp_product_equals_autograd_and_finite_differences(steps):
    net, params, ep = _sine_problem()
    alpha = 0.02
    explicit = maml_meta_gradient(net, params, *ep, mse, alpha, steps)
    assert relative_error(explicit, autograd_meta_gradient(net, params, *ep, mse, alpha, steps)) < 1e-10
    u, d = finite_difference_gradient(lambda p: adapted_query_loss(net, p, *ep, mse, alpha, steps), params,
                                      eps=1e-6, directions=12, generator=torch.Generator().manual_seed(1))
    assert relative_error(u @ flatten(explicit), d) < 1e-6


def test_forward_over_reverse_product_matches_too():
    net, params, ep = _sine_problem(seed=3)
    a = maml_meta_gradient(net, params, *ep, square_mean, 0.05, 3, mode="forward-over-reverse")
    b = autograd_meta_gradient(net, params, *ep, square_mean, 0.05, 3)
    assert relative_error(a, b) < 1e-12


def test_per_parameter_inner_lr_needs_alpha_before_the_hessian():
    """Meta-SGD: Jᵀv = v − H(α⊙v). The other order, v − α⊙(Hv), is a different (wrong) vector."""
    net, params, ep = _sine_problem(seed=2)
    g = torch.Generator().manual_seed(0)
    lr = {k: 0.05 * torch.rand(t.shape, generator=g, dtype=t.dtype) for k, t in params.items()}
    explicit = maml_meta_gradient(net, params, *ep, mse, lr, 2)
    assert relative_error(explicit, autograd_meta_gradient(net, params, *ep, mse, lr, 2)) < 1e-10
    # the wrong order, one step: (I − diag(α)H)ᵀ applied as v − α⊙(Hv)
    path = adapt(net, params, ep.x_support, ep.y_support, mse, lr, 1, trajectory=True)
    v = torch.func.grad(lambda p: mse(torch.func.functional_call(net, p, (ep.x_query,)), ep.y_query))(path[-1])
    support = lambda p: mse(torch.func.functional_call(net, p, (ep.x_support,)), ep.y_support)  # noqa: E731
    hv = hvp(support, params, v)
    wrong = {k: v[k] - lr[k] * hv[k] for k in v}
    right = maml_meta_gradient(net, params, *ep, mse, lr, 1)
    assert relative_error(wrong, right) > 1e-3


def test_first_order_flag_gives_query_gradient_at_adapted_params():
    net, params, ep = _sine_problem()
    fo = maml_meta_gradient(net, params, *ep, mse, 0.02, 3, first_order=True)
    assert relative_error(fo, autograd_meta_gradient(net, params, *ep, mse, 0.02, 3, first_order=True)) < 1e-12
    assert relative_error(fo, maml_meta_gradient(net, params, *ep, mse, 0.02, 3)) > 1e-4


def test_bad_mode_is_a_clear_error():
    net, params, ep = _sine_problem(width=2)
    with pytest.raises(ValueError, match="forward-over-reverse"):
        maml_meta_gradient(net, params, *ep, mse, 0.1, 1, mode="finite")


# --- linear-regression tasks: closed forms -------------------------------------------------------------

def _linear_problem(seed=0, dim=3, k=6):
    from meta_course.tasks.linear import LinearTasks, linear_model

    ep = LinearTasks(dim=dim).sample(torch.Generator().manual_seed(seed), 1, k_shot=k, n_query=9).task(0)
    ep = Episode(*(t.double() for t in ep))
    torch.manual_seed(seed)
    net = linear_model(dim, torch.double)
    return net, {k_: v.detach() for k_, v in net.named_parameters()}, ep


@pytest.mark.parametrize("steps", [1, 4])
def test_closed_form_adaptation_matches_package_adapt(steps):
    from meta_course.tasks.linear import closed_form_adapt, to_vector

    net, params, ep = _linear_problem()
    fast = adapt(net, params, ep.x_support, ep.y_support, mse, 0.05, steps)
    want = closed_form_adapt(to_vector(params), ep.x_support, ep.y_support, 0.05, steps)
    torch.testing.assert_close(to_vector(fast), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("steps", [1, 3])
def test_closed_form_meta_gradient_matches_autograd_and_hvp_product(steps):
    from meta_course.tasks.linear import closed_form_meta_gradient, quadratic_form, to_vector

    net, params, ep = _linear_problem(seed=1)
    want = closed_form_meta_gradient(to_vector(params), ep, 0.05, steps)
    torch.testing.assert_close(to_vector(autograd_meta_gradient(net, params, *ep, mse, 0.05, steps)), want)
    torch.testing.assert_close(to_vector(maml_meta_gradient(net, params, *ep, mse, 0.05, steps)), want)
    # and the Hessian the HVP sees is the constant 2X̃ᵀX̃/n
    a_s, _ = quadratic_form(ep.x_support, ep.y_support)
    e = torch.zeros(4, dtype=torch.double)
    e[1] = 1.0
    support = lambda p: mse(torch.func.functional_call(net, p, (ep.x_support,)), ep.y_support)  # noqa: E731
    from meta_course.tasks.linear import from_vector
    torch.testing.assert_close(to_vector(hvp(support, params, from_vector(e))), a_s @ e)


def test_linear_task_family_is_registered_and_checks_input():
    from meta_course.recipes import task_sampler
    from meta_course.tasks.linear import LinearTasks

    sample = task_sampler("linear", k_shot=4, n_query=3, dim=5)
    assert tuple(sample(torch.Generator().manual_seed(0), 2).x_support.shape) == (2, 4, 5)
    with pytest.raises(ValueError, match="dim=0"):
        LinearTasks(dim=0)


# --- the lesson's claims (core.metagrad, lessons.derivations) ----------------------------------------------------------------

def test_article_formula_and_first_order_err_like_alpha_the_expansion_like_alpha_squared():
    from meta_course.core.metagrad import formula_errors, loglog_slope
    from meta_course.models.mlp import tanh_mlp

    torch.manual_seed(0)
    net = tanh_mlp((1, 16, 16, 1))
    params = {k: v.detach() for k, v in net.named_parameters()}
    eps = Episode(*(t.double() for t in SineTasks().sample(torch.Generator().manual_seed(0), 5, 10, 10)))
    alphas = [1e-4, 1e-3, 1e-2]
    r = formula_errors(net, params, eps, mse, alphas)
    assert abs(loglog_slope(alphas, r["article"]) - 1) < 0.1
    assert abs(loglog_slope(alphas, r["first_order"]) - 1) < 0.1
    assert abs(loglog_slope(alphas, r["expansion"]) - 2) < 0.1
    assert r["article"][1] > 10 * r["expansion"][1] and r["article"][2] > 0.02


def test_first_order_error_grows_linearly_in_alpha():
    from meta_course.core.metagrad import first_order_error, loglog_slope

    torch.manual_seed(0)
    net = MLP((1, 16, 16, 1)).double()
    params = {k: v.detach() for k, v in net.named_parameters()}
    eps = Episode(*(t.double() for t in SineTasks().sample(torch.Generator().manual_seed(0), 5, 10, 10)))
    alphas = [1e-4, 1e-3, 1e-2]
    errors = first_order_error(net, params, eps, mse, alphas)
    assert errors[0] < errors[1] < errors[2]
    assert abs(loglog_slope(alphas, errors) - 1.0) < 0.1


def test_top_hessian_eigenvalue_matches_linear_closed_form():
    from meta_course.core.metagrad import top_hessian_eigenvalue
    from meta_course.tasks.linear import quadratic_form

    net, params, ep = _linear_problem(seed=4)
    a_s, _ = quadratic_form(ep.x_support, ep.y_support)
    lam = top_hessian_eigenvalue(net, params, ep.x_support, ep.y_support, mse, iterations=200)
    assert abs(lam - torch.linalg.eigvalsh(a_s).max().item()) < 1e-6 * lam


def test_reptile_taylor_expansion_residual_is_second_order():
    """Nichol et al. (2018) §5: E[g_Rep] = Σḡ_i − (α/2)Σ_{i<j}∇(ḡ_i·ḡ_j) + O(α²)."""
    from meta_course.lessons.derivations import reptile_taylor_check

    torch.manual_seed(0)
    net = MLP((1, 8, 8, 1)).double()
    params = {k: v.detach() for k, v in net.named_parameters()}
    ep = SineTasks().sample(torch.Generator().manual_seed(0), 1, 20, 5).task(0)
    xs, ys = ep.x_support.double(), ep.y_support.double()
    batches = [(xs[i::2], ys[i::2]) for i in range(2)]
    r = reptile_taylor_check(net, params, batches, mse, [0.002, 0.001, 0.0005])
    for a, b in zip(r.residual, r.residual[1:]):
        assert 3.0 < a / b < 5.0  # halving α divides the residual by ≈ 4
    for a, b in zip(r.residual_joint_only, r.residual_joint_only[1:]):
        assert 1.6 < a / b < 2.4  # joint training alone misses an O(α) term
    assert all(x < y for x, y in zip(r.residual, r.residual_joint_only))


def test_reptile_extra_term_increases_minibatch_gradient_inner_products():
    from meta_course.lessons.derivations import minibatch_inner_products, reptile_taylor_terms

    torch.manual_seed(1)
    net = MLP((1, 8, 8, 1)).double()
    params = {k: v.detach() for k, v in net.named_parameters()}
    ep = SineTasks().sample(torch.Generator().manual_seed(1), 1, 20, 5).task(0)
    batches = [(ep.x_support[i::2].double(), ep.y_support[i::2].double()) for i in range(2)]
    _, pair = reptile_taylor_terms(net, params, batches, mse)
    # Reptile's update −ε·E[g] contains +ε(α/2)·pair: a small step along +pair
    step = torch.split(1e-4 * pair / pair.norm(), [t.numel() for t in params.values()])
    moved = {k: v + s.view_as(v) for (k, v), s in zip(params.items(), step)}
    assert minibatch_inner_products(net, moved, batches, mse) > minibatch_inner_products(net, params, batches, mse)


def test_meta_sgd_learning_rate_gradient_closed_form():
    from meta_course.lessons.derivations import meta_sgd_lr_gradient, meta_sgd_lr_gradient_autograd

    net, params, ep = _sine_problem(seed=5)
    g = torch.Generator().manual_seed(0)
    lr = {k: 0.01 + 0.02 * torch.rand(t.shape, generator=g, dtype=t.dtype) for k, t in params.items()}
    closed = meta_sgd_lr_gradient(net, params, lr, *ep, mse)
    assert relative_error(closed, meta_sgd_lr_gradient_autograd(net, params, lr, *ep, mse)) < 1e-12
    assert flatten(closed).abs().max() > 0  # the learning rates do receive a gradient


def _gate_from_the_equation(theta, grad_, loss, prev, weight, bias):
    """σ(W · [∇̃, L̃, θ_{t−1}, gate_{t−1}] + b), the six features concatenated as Ravi & Larochelle write it
    (the reference the learner's faster gate is checked against)."""
    from meta_course.core.coordinatewise import preprocess

    features = torch.cat([preprocess(grad_), preprocess(loss).expand(*grad_.shape, 2), theta.unsqueeze(-1),
                          prev.unsqueeze(-1)], dim=-1)
    return torch.sigmoid(features @ weight + bias)


def test_meta_lstm_update_reduces_to_sgd_and_gates_are_learnable():
    from meta_course.core.coordinatewise import preprocess
    from meta_course.core.functional import sgd_step
    from meta_course.learners.optimisation.meta_lstm import cell_update, gate

    g = torch.Generator().manual_seed(0)
    theta, grad_ = torch.randn(20, generator=g), torch.randn(20, generator=g) * 1e-3
    loss = torch.tensor(1.0)
    alpha = 0.05
    sgd = sgd_step({"w": theta}, {"w": grad_}, alpha)["w"]
    torch.testing.assert_close(cell_update(theta, grad_, torch.ones(20), torch.full((20,), alpha)), sgd)
    # gates with zero weights are σ(b): b_F = +inf-like (keep everything), b_I = logit(α)
    zero = torch.zeros(6)
    f = gate(zero, torch.tensor(40.0), preprocess(grad_), preprocess(loss), theta, torch.ones(20))
    i = gate(zero, torch.logit(torch.tensor(alpha)), preprocess(grad_), preprocess(loss), theta, torch.zeros(20))
    torch.testing.assert_close(cell_update(theta, grad_, f, i), sgd)
    # the gate weights receive gradients through the update
    w = torch.randn(6, generator=g, requires_grad=True)
    i = gate(w, torch.tensor(-3.0), preprocess(grad_), preprocess(loss), theta, torch.zeros(20))
    (cell_update(theta, grad_, f, i) ** 2).sum().backward()
    assert w.grad.abs().sum() > 0
    # preprocessing: two features, continuous at the threshold |x| = e^{-p}
    x = torch.tensor([math.exp(-10) * 0.999999, math.exp(-10) * 1.000001, -3.0, 1e-20])
    feats = preprocess(x)
    assert feats.shape == (4, 2)
    torch.testing.assert_close(feats[0], feats[1], atol=1e-5, rtol=0)
    torch.testing.assert_close(feats[2], torch.tensor([math.log(3.0) / 10, -1.0]))


# --- lesson 03's self-checking exercises accept right answers and reject wrong ones ---------------------

def test_derivations_exercises():
    from meta_course.core.metagrad import maml_meta_gradient
    from meta_course.lessons.exercises import check
    from meta_course.tasks.linear import closed_form_adapt

    assert check("derivations.one_step", lambda m, p, xs, ys, xq, yq, lf, a: maml_meta_gradient(m, p, xs, ys, xq, yq, lf, a, 1))
    with pytest.raises(AssertionError):  # first order is not the answer
        check("derivations.one_step",
              lambda m, p, xs, ys, xq, yq, lf, a: maml_meta_gradient(m, p, xs, ys, xq, yq, lf, a, 1, first_order=True))
    assert check("derivations.linear_adapt", closed_form_adapt)
    with pytest.raises(AssertionError):  # one step too few
        check("derivations.linear_adapt", lambda th, x, y, a, k: closed_form_adapt(th, x, y, a, k - 1))
    assert check("derivations.reptile_power", 2)
    with pytest.raises(AssertionError):
        check("derivations.reptile_power", 1)


# --- the lesson's equations against the learners of meta_course.learners -----------------------------

def test_meta_sgd_learner_alpha_gradient_is_the_closed_form():
    from meta_course.learners.optimisation.meta_sgd import MetaSGD
    from meta_course.lessons.derivations import meta_sgd_lr_gradient

    torch.manual_seed(0)
    learner = MetaSGD({"name": "mlp", "sizes": [1, 16, 16, 1]})
    ep = SineTasks().sample(torch.Generator().manual_seed(0), 1, 10, 10)
    learner.meta_loss(ep).backward()
    got = {k: learner.alpha[k.replace(".", "__")].grad for k in learner.params()}
    want = meta_sgd_lr_gradient(learner.net, learner.params(), learner.inner_lrs(), *ep.task(0), mse)
    assert relative_error(got, want) < 1e-6


def test_meta_lstm_learner_step_matches_the_equations():
    from meta_course.learners.optimisation.meta_lstm import meta_lstm_step

    g = torch.Generator().manual_seed(0)
    theta, grad_ = torch.randn(30, generator=g), torch.randn(30, generator=g)
    i_prev, f_prev = torch.rand(30, generator=g), torch.rand(30, generator=g)
    w_i, w_f = torch.randn(6, generator=g), torch.randn(6, generator=g)
    loss = torch.tensor(0.3)
    theta_t, i_t, f_t = meta_lstm_step(theta, grad_, loss, i_prev, f_prev, w_i, torch.tensor(-1.0), w_f, torch.tensor(2.0))
    i_ref = _gate_from_the_equation(theta, grad_, loss, i_prev, w_i, torch.tensor(-1.0))
    f_ref = _gate_from_the_equation(theta, grad_, loss, f_prev, w_f, torch.tensor(2.0))
    torch.testing.assert_close(i_t, i_ref)
    torch.testing.assert_close(f_t, f_ref)
    torch.testing.assert_close(theta_t, f_ref * theta + i_ref * (-grad_))  # c_t = f ⊙ c_{t−1} + i ⊙ (−∇L)


# --- bench metagrad ---------------------------------------------------------------------------------------

def test_bench_metagrad_cli_writes_its_table_and_json(tmp_path, capsys):
    import json

    from meta_course.__main__ import main

    out = tmp_path / "metagrad.json"
    assert main(["bench", "metagrad", "--steps", "1", "2", "--repeats", "1", "--skip-accuracy", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "MAML (2nd order)" in printed and "Reptile" in printed
    cost = json.loads(out.read_text())["cost"]
    assert {(c["method"], c["inner_steps"]) for c in cost} == {(m, k) for m in ("maml", "fomaml", "reptile") for k in (1, 2)}
    peak = {(c["method"], c["inner_steps"]): c["peak_bytes"] for c in cost}
    assert peak[("maml", 2)] > peak[("maml", 1)] > 0  # second order keeps one more step's graph


def test_conv4_meta_step_cost_second_order_holds_the_inner_graph():
    """Omniglot Conv-4 setting: second order keeps the inner step's graph (more memory than FOMAML),
    Reptile keeps none; all three measured on the same 8 five-way tasks."""
    from meta_course.bench.metagrad import cost_setting, cost_table

    model, episodes, _, inner_lr, _ = cost_setting("omniglot")
    assert episodes.x_support.shape == (8, 5, 1, 28, 28) and inner_lr == 0.4
    peak = {c.method: c.peak_bytes for c in cost_table([1], repeats=1, setting="omniglot")}
    assert peak["maml"] > 1.3 * peak["fomaml"] > 0 and peak["reptile"] > 0


def test_bench_metagrad_rejects_bad_steps(capsys):
    from meta_course.__main__ import main

    assert main(["bench", "metagrad", "--steps", "0"]) == 2
    assert "--steps=0 is out of range" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["meta_course.core.metagrad", "meta_course.tasks.linear", "meta_course.lessons.pitfalls",
                                    "meta_course.learners.optimisation.meta_lstm"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
