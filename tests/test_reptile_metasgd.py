"""Reptile's update is ε·mean(φ_i − θ); Meta-SGD's learning rates receive gradients and change."""

import pytest
import torch

from meta_course import recipes
from meta_course.learners.optimisation.reptile import Reptile, adapted_params, reptile_serial, reptile_step
from meta_course.core.functional import adapt
from meta_course.tasks import Episode
from meta_course.tasks.sine import SineTasks
from meta_course.train import train

MLP = {"name": "mlp", "sizes": [1, 16, 16, 1]}
mse = torch.nn.functional.mse_loss


def _episodes(seed=0, n=4, k=5):
    return SineTasks().sample(torch.Generator().manual_seed(seed), n, k_shot=k, n_query=5)


def _hand_update(learner, episodes, eps):
    """θ + ε · mean_i(φ_i − θ), with φ_i from an explicit per-task SGD loop (no vmap)."""
    theta = {k: v.detach().clone() for k, v in learner.params().items()}
    deltas = []
    for i in range(episodes.n_tasks):
        xs = torch.cat([episodes.x_support[i], episodes.x_query[i]])
        ys = torch.cat([episodes.y_support[i], episodes.y_query[i]])
        phi = {k: v.clone().requires_grad_() for k, v in theta.items()}
        for _ in range(learner.inner_steps):
            loss = mse(torch.func.functional_call(learner.net, phi, (xs,)), ys)
            grads = torch.autograd.grad(loss, list(phi.values()))
            phi = {k: (v - learner.inner_lr * g).detach().requires_grad_() for (k, v), g in zip(phi.items(), grads)}
        deltas.append({k: phi[k].detach() - theta[k] for k in theta})
    return {k: theta[k] + eps * torch.stack([d[k] for d in deltas]).mean(0) for k in theta}


def test_reptile_training_loop_step_equals_epsilon_mean_of_phi_minus_theta():
    torch.manual_seed(0)
    learner = Reptile(MLP, inner_lr=0.02, inner_steps=3, anneal="none")
    episodes = _episodes()
    theta0 = {k: v.detach().clone() for k, v in learner.params().items()}
    want = _hand_update(learner, episodes, eps=0.1)
    direct = reptile_step(learner.net, learner.params(), episodes, mse, 0.02, 3, 0.1)
    train(learner, lambda g, n: episodes, steps=1, meta_batch_size=4, outer_lr=0.1, progress=False, device="cpu")
    for k in want:
        assert torch.allclose(learner.params()[k], want[k], atol=1e-6), k
        assert torch.allclose(direct[k], want[k], atol=1e-6), k
    moved = sum((want[k] - theta0[k]).abs().sum() for k in want)
    assert moved > 1e-3  # the check is not vacuous: the step changed θ


def test_reptile_serial_with_one_task_equals_batched_and_differs_with_many():
    torch.manual_seed(1)
    learner = Reptile(MLP, inner_lr=0.02, inner_steps=2)
    one = Episode(*(t[:1] for t in _episodes()))
    a = reptile_serial(learner.net, learner.params(), one, mse, 0.02, 2, 0.5)
    b = reptile_step(learner.net, learner.params(), one, mse, 0.02, 2, 0.5)
    assert all(torch.allclose(a[k], b[k]) for k in a)
    many = _episodes()
    a = reptile_serial(learner.net, learner.params(), many, mse, 0.02, 2, 0.5)
    b = reptile_step(learner.net, learner.params(), many, mse, 0.02, 2, 0.5)
    assert not all(torch.allclose(a[k], b[k]) for k in a)


def test_reptile_vmap_matches_loop_and_epsilon_is_annealed_linearly():
    torch.manual_seed(2)
    learner = Reptile(MLP, inner_steps=2, final_fraction=0.0)
    ep = _episodes()
    p1 = adapted_params(learner.net, learner.params(), ep, mse, 0.02, 2, use_vmap=True)
    p2 = adapted_params(learner.net, learner.params(), ep, mse, 0.02, 2, use_vmap=False)
    assert all(torch.allclose(p1[k], p2[k], atol=1e-6) for k in p1)
    assert learner.outer_lr_factor(0, 101) == 1.0
    assert learner.outer_lr_factor(50, 101) == pytest.approx(0.5)
    assert learner.outer_lr_factor(100, 101) == pytest.approx(0.0)
    longer = Reptile(MLP, anneal_steps=201)  # a run stopped early keeps its schedule
    assert longer.outer_lr_factor(100, 101) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="anneal"):
        Reptile(MLP, anneal="cosine")


def test_meta_sgd_learning_rates_receive_gradients_and_change():
    learner, _ = recipes.build("metasgd_sine", model=MLP, inner_steps=1, alpha_outer_lr=1e-3)
    before = {k: v.detach().clone() for k, v in learner.inner_lrs().items()}
    loss = learner.meta_loss(_episodes())
    loss.backward()
    for k, a in learner.inner_lrs().items():
        assert a.grad is not None and a.grad.abs().sum() > 0, k
    train(learner, lambda g, n: _episodes(int(torch.randint(1000, (1,), generator=g))), steps=20,
          meta_batch_size=4, outer_lr=1e-3, progress=False, device="cpu")
    changed = [(learner.inner_lrs()[k].detach() - before[k]).abs().max().item() for k in before]
    assert min(changed) > 1e-4, changed


def test_meta_sgd_alpha_gradient_matches_closed_form_for_one_step():
    """∂L_Q(θ − α⊙g_S)/∂α = −g_S ⊙ ∇L_Q(θ') (Li et al. 2017, one inner step)."""
    learner, _ = recipes.build("metasgd_sine", model=MLP, inner_steps=1)
    learner.double()
    ep = Episode(*(t[0].double() for t in _episodes(n=1)))
    loss = learner.meta_loss(Episode(*(t.unsqueeze(0) for t in ep)))
    grads = torch.autograd.grad(loss, list(learner.alpha.parameters()))
    theta = {k: v.detach() for k, v in learner.params().items()}
    g_s = torch.func.grad(lambda p: mse(torch.func.functional_call(learner.net, p, (ep.x_support,)), ep.y_support))(theta)
    fast = {k: theta[k] - learner.inner_lrs()[k].detach() * g_s[k] for k in theta}
    g_q = torch.func.grad(lambda p: mse(torch.func.functional_call(learner.net, p, (ep.x_query,)), ep.y_query))(fast)
    for (k, _), g in zip(learner.alpha.items(), grads):
        name = k.replace("__", ".")
        assert torch.allclose(g, -g_s[name] * g_q[name], atol=1e-10), name


def test_meta_sgd_float_inner_lr_knob_is_plain_sgd():
    learner, _ = recipes.build("metasgd_sine", model=MLP)
    ep = _episodes(n=1)
    fast = learner.adapt(ep.x_support[0], ep.y_support[0], inner_steps=2, inner_lr=0.01).params
    want = adapt(learner.net, learner.params(), ep.x_support[0], ep.y_support[0], mse, 0.01, 2)
    assert all(torch.allclose(fast[k], want[k]) for k in want)


def test_reptile_minibatch_inner_loop_takes_one_step_per_interleaved_minibatch():
    """inner_data="minibatches": step j uses examples j, j+k, j+2k, … of the task's support+query data —
    checked against a hand loop; it differs from full-batch steps, and too few examples is a clear error."""
    torch.manual_seed(0)
    learner = Reptile(MLP, inner_lr=0.05, inner_steps=3, inner_data="minibatches")
    full = Reptile(MLP, inner_lr=0.05, inner_steps=3)
    full.load_state_dict(learner.state_dict())
    eps = _episodes(1, n=2, k=4)
    phi = adapted_params(learner.net, learner.params(), eps, mse, 0.05, 3, inner_data="minibatches")
    for i in range(2):
        xs = torch.cat([eps.x_support[i], eps.x_query[i]])
        ys = torch.cat([eps.y_support[i], eps.y_query[i]])
        p = {k: v.detach().clone().requires_grad_() for k, v in learner.params().items()}
        for j in range(3):
            loss = mse(torch.func.functional_call(learner.net, p, (xs[j::3],)), ys[j::3])
            grads = torch.autograd.grad(loss, list(p.values()))
            p = {k: (v - 0.05 * g).detach().requires_grad_() for (k, v), g in zip(p.items(), grads)}
        for k in p:
            torch.testing.assert_close(phi[k][i], p[k].detach())
    other = adapted_params(full.net, full.params(), eps, mse, 0.05, 3)
    assert not torch.allclose(phi["0.weight"], other["0.weight"])
    with pytest.raises(ValueError, match="inner_steps=20 minibatches"):
        adapted_params(learner.net, learner.params(), eps, mse, 0.05, 20, inner_data="minibatches")
