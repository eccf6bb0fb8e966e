"""FIGR (Reptile around WGAN-GP): the update equals a hand-written loop; the inner loop adapts; bad inputs."""

from __future__ import annotations

import copy

import pytest
import torch

from meta_course.learners.generative.figr import FIGR, reptile_direction
from meta_course.learners.generative.wgan_gp import WGANGP, wgan_gp_steps
from meta_course.tasks.samples import Samples

G = {"name": "gan_conv_generator", "channels": 3, "z_dim": 5}
D = {"name": "gan_conv_critic", "channels": 3}


pytestmark = pytest.mark.usefixtures("one_thread")  # small networks: one thread (tests/conftest.py)


def hand_inner_loop(gen, critic, x, steps, lr, lam, n_critic, betas):
    """WGAN-GP on one task with modules and torch.optim.Adam — written without the package's game code."""
    gen, critic = copy.deepcopy(gen), copy.deepcopy(critic)
    opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=betas)
    opt_c = torch.optim.Adam(critic.parameters(), lr=lr, betas=betas)
    k = x.shape[0]
    for _ in range(steps):
        for _ in range(n_critic):
            with torch.no_grad():
                fake = gen(torch.randn(k, gen.z_dim))
            eps = torch.rand(k).view(-1, 1, 1, 1)
            x_hat = (eps * x + (1 - eps) * fake).requires_grad_(True)
            grad = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]
            penalty = ((grad.reshape(k, -1).norm(dim=1) - 1) ** 2).mean()
            loss = critic(fake).mean() - critic(x).mean() + lam * penalty
            opt_c.zero_grad()
            loss.backward()
            opt_c.step()
        loss_g = -critic(gen(torch.randn(k, gen.z_dim))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    return gen, critic


@pytest.mark.parametrize("outer", ["sgd", "adam"])
def test_reptile_on_gan_update_equals_the_hand_loop(outer):
    torch.manual_seed(0)
    figr = FIGR(G, D, penalty_weight=10.0, inner_lr=1e-2, inner_steps=3, inner_n_critic=2, outer=outer)
    x = torch.rand(2, 4, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    theta_g, theta_c = copy.deepcopy(figr.generator), copy.deepcopy(figr.critic)
    outer_lr = 0.5 if outer == "sgd" else 1e-3
    opts = figr.optimizers(outer_lr)

    torch.manual_seed(123)
    figr.meta_step(Samples(x), opts)

    torch.manual_seed(123)                          # the same draws of z and ε, in the same order
    adapted = [hand_inner_loop(theta_g, theta_c, x[i], 3, 1e-2, 10.0, 2, (0.0, 0.9)) for i in range(2)]
    for net, theta, idx in ((figr.generator, theta_g, 0), (figr.critic, theta_c, 1)):
        ref = copy.deepcopy(theta)
        phi_bar = {k: torch.stack([dict(a[idx].named_parameters())[k].detach() for a in adapted]).mean(0)
                   for k, _ in ref.named_parameters()}
        if outer == "sgd":   # θ ← θ + ε (φ̄ − θ)
            expected = {k: p.detach() + outer_lr * (phi_bar[k] - p.detach()) for k, p in ref.named_parameters()}
        else:                # the authors' code: Adam on the "gradient" θ − φ̄
            opt = torch.optim.Adam(ref.parameters(), lr=outer_lr)
            for k, p in ref.named_parameters():
                p.grad = p.detach() - phi_bar[k]
            opt.step()
            expected = {k: p.detach() for k, p in ref.named_parameters()}
        for k, p in net.named_parameters():
            assert torch.allclose(p.detach(), expected[k], atol=1e-6, rtol=1e-5), (outer, k)
        moved = sum(float((p.detach() - q.detach()).abs().sum()) for p, q in zip(net.parameters(), theta.parameters()))
        assert moved > 0


def test_reptile_direction_is_theta_minus_mean():
    theta = {"a": torch.tensor([1.0, 2.0]), "b": torch.tensor(3.0)}
    phis = [{"a": torch.tensor([0.0, 0.0]), "b": torch.tensor(1.0)}, {"a": torch.tensor([2.0, 1.0]), "b": torch.tensor(2.0)}]
    d = reptile_direction(theta, phis)
    assert torch.equal(d["a"], torch.tensor([0.0, 1.5])) and float(d["b"]) == 1.5
    with pytest.raises(ValueError, match="at least one"):
        reptile_direction(theta, [])


def test_inner_loop_leaves_the_learner_untouched_and_is_reproducible():
    torch.manual_seed(0)
    w = WGANGP(G, D, inner_lr=1e-2, inner_steps=4)
    before = copy.deepcopy(w.state_dict())
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    a, b = w.adapt(x, seed=3), w.adapt(x, seed=3)
    assert all(torch.equal(v, before[k]) for k, v in w.state_dict().items())
    assert all(torch.equal(a.g_params[k], b.g_params[k]) for k in a.g_params)
    assert len(a.info["wasserstein"]) == 4 and a.sample(6, torch.Generator().manual_seed(0)).shape == (6, 1, 28, 28)
    c = w.adapt(x, inner_steps=0)
    assert all(torch.equal(c.g_params[k], v) for k, v in w.generator.named_parameters())


def test_adaptation_moves_samples_towards_the_shots():
    """Many rounds of the game on K = 4 drawings pull the generator's mean image towards theirs."""
    torch.manual_seed(0)
    w = WGANGP(G, D, inner_lr=5e-3)
    x = torch.zeros(4, 1, 28, 28)
    x[:, :, 10:18, 12:16] = 1.0                                    # a bar: the "character"
    z = torch.randn(64, 5, generator=torch.Generator().manual_seed(9))
    start = w.adapt(x, inner_steps=0)(z).mean(0)
    after = w.adapt(x, inner_steps=150, seed=0)(z).mean(0)
    target = x.mean(0)
    assert float((after - target).abs().mean()) < 0.5 * float((start - target).abs().mean())


def test_figr_refuses_bad_settings():
    with pytest.raises(ValueError, match="outer"):
        FIGR(G, D, outer="rmsprop")
    with pytest.raises(ValueError, match="inner_steps"):
        FIGR(G, D, inner_steps=0)
    with pytest.raises(ValueError, match="penalty_weight"):
        FIGR(G, D, penalty_weight=-0.1)
    figr = FIGR(G, D, inner_steps=1)
    with pytest.raises(ValueError, match="28x28"):
        figr.meta_step(Samples(torch.rand(1, 4, 1, 32, 32)), figr.optimizers(1e-4))
    g, c = figr.params()
    with pytest.raises(ValueError, match="n_critic"):
        wgan_gp_steps(figr.generator, figr.critic, g, c, torch.rand(4, 1, 28, 28), 1, 1e-3, n_critic=0)


def test_config_rebuilds_the_learner():
    figr = FIGR(G, D, inner_steps=7, outer="sgd")
    clone = FIGR(**figr.checkpoint()["config"])
    clone.load_state_dict(figr.checkpoint()["state_dict"])
    assert clone.config == figr.config and clone.inner_steps == 7


def test_snapshots_are_the_generator_after_those_rounds():
    torch.manual_seed(0)
    w = WGANGP(G, D, inner_lr=1e-2)
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    full = w.adapt(x, inner_steps=5, seed=1, snapshots=(0, 2, 5))
    short = w.adapt(x, inner_steps=2, seed=1)
    z = torch.randn(3, 5)
    assert torch.equal(full.at(5)(z), full(z))
    assert torch.equal(full.at(2)(z), short(z))                    # the same draws, stopped after 2 rounds
    assert torch.equal(full.at(0)(z), w.adapt(x, inner_steps=0)(z))
    with pytest.raises(ValueError, match="no snapshot after 3"):
        full.at(3)
    with pytest.raises(ValueError, match="snapshot"):
        w.adapt(x, inner_steps=2, snapshots=(3,))
