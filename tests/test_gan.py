"""GAN equations on the 2-D ring: optimal discriminator, Jensen–Shannon view, gradient penalty, bad inputs."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from meta_course.learners.generative.gan import (LOG4, MinimaxGAN, discriminator_loss, generator_loss, grid_value,
                                                 js_divergence, optimal_discriminator, value_function)
from meta_course.learners.generative.wgan_gp import (WGANGP, adam_update, check_penalty_weight, critic_objective,
                                                     gradient_norms, gradient_penalty, interpolates, wgan_gp_steps)
from meta_course.models.gan import ConvCritic, ConvGenerator, MLPCritic, MLPGenerator
from meta_course.tasks.ring import RingMixture, mode_report

MLP_G, MLP_D = {"name": "gan_mlp_generator"}, {"name": "gan_mlp_critic"}


pytestmark = pytest.mark.usefixtures("one_thread")  # small networks: one thread (tests/conftest.py)


def grid(lim=3.0, n=241):
    xs = torch.linspace(-lim, lim, n, dtype=torch.float64)
    pts = torch.stack(torch.meshgrid(xs, xs, indexing="xy"), -1).reshape(-1, 2)
    return pts, float((xs[1] - xs[0]) ** 2)


# --------------------------------------------------------------------------- the ring
def test_ring_density_integrates_to_one_and_matches_samples():
    ring = RingMixture(n_modes=8, radius=2.0, std=0.05)
    pts, area = grid(3.0, 601)
    assert abs(float(ring.density(pts).sum()) * area - 1) < 1e-3
    x = ring.sample_points(torch.Generator().manual_seed(0), 4000)
    assert abs(float(x.norm(dim=1).mean()) - 2.0) < 0.01          # on the circle
    rep = mode_report(x, ring)
    assert rep.modes_covered == 8 and rep.high_quality > 0.98      # 3σ holds 98.9% of a 2-D Gaussian


def test_mode_report_sees_a_collapsed_generator():
    ring = RingMixture()
    x = ring.modes[2] + 0.01 * torch.randn(1000, 2, generator=torch.Generator().manual_seed(0))
    rep = mode_report(x, ring)
    assert rep.modes_covered == 1 and rep.high_quality == 1.0 and int(rep.counts[2]) == 1000
    between = torch.zeros(500, 2)                                  # the centre: far from every mode
    assert mode_report(between, ring).high_quality == 0.0


# --------------------------------------------------------------------------- minimax GAN: Proposition 1, Theorem 1
def test_value_function_and_losses_match_their_definitions():
    lr, lf = torch.tensor([0.3, -1.2, 2.0]), torch.tensor([-0.5, 0.7])
    d_r, d_f = torch.sigmoid(lr), torch.sigmoid(lf)
    v = d_r.log().mean() + (1 - d_f).log().mean()
    assert torch.allclose(value_function(lr, lf), v, atol=1e-6)
    assert torch.allclose(discriminator_loss(lr, lf), -v, atol=1e-6)
    assert torch.allclose(generator_loss(lf), -d_f.log().mean(), atol=1e-6)
    assert torch.allclose(generator_loss(lf, non_saturating=False), (1 - d_f).log().mean(), atol=1e-6)


def test_optimal_discriminator_maximises_the_value_on_the_grid():
    """D* = p_data/(p_data + p_g) beats every perturbed D, and V(D*, G) = −log 4 + 2·JSD (Theorem 1)."""
    ring = RingMixture(std=0.2)
    p_g_dist = RingMixture(n_modes=3, radius=1.5, std=0.4)        # a generator that missed modes
    pts, area = grid()
    p_data, p_g = ring.density(pts), p_g_dist.density(pts)
    p_data, p_g = p_data / (p_data.sum() * area), p_g / (p_g.sum() * area)   # exact unit mass on the grid
    d_star = optimal_discriminator(p_data, p_g)
    v_star = grid_value(d_star, p_data, p_g, area)
    jsd = js_divergence(p_data, p_g, area)
    assert abs(float(v_star) - (-LOG4 + 2 * float(jsd))) < 1e-9
    assert 0 < float(jsd) < math.log(2)
    g = torch.Generator().manual_seed(0)
    for scale in (0.3, 0.05, 0.01):
        noise = scale * torch.randn(d_star.shape, generator=g, dtype=torch.float64)
        d = torch.sigmoid(torch.logit(d_star.clamp(1e-9, 1 - 1e-9)) + noise)
        assert float(grid_value(d, p_data, p_g, area)) < float(v_star)
    # at the equilibrium p_g = p_data: D* = 1/2 where there is mass, V = −log 4, JSD = 0
    d_eq = optimal_discriminator(p_data, p_data)
    assert torch.allclose(d_eq, torch.full_like(d_eq, 0.5))
    assert abs(float(grid_value(d_eq, p_data, p_data, area)) + LOG4) < 1e-9
    assert float(js_divergence(p_data, p_data, area)) == 0.0


def test_js_divergence_against_its_definition_on_probability_vectors():
    p = torch.tensor([0.1, 0.4, 0.5, 0.0], dtype=torch.float64)
    q = torch.tensor([0.3, 0.3, 0.2, 0.2], dtype=torch.float64)
    m = (p + q) / 2
    by_hand = 0.5 * sum(pi * math.log(pi / mi) for pi, mi in zip(p.tolist(), m.tolist()) if pi > 0) + \
        0.5 * sum(qi * math.log(qi / mi) for qi, mi in zip(q.tolist(), m.tolist()) if qi > 0)
    assert abs(float(js_divergence(p, q)) - by_hand) < 1e-12
    assert abs(float(js_divergence(p, q)) - float(js_divergence(q, p))) < 1e-15


def test_a_trained_discriminator_approaches_the_optimal_one():
    """Train D alone (G fixed, as in Proposition 1) on samples of p_data and p_g: σ(D) ≈ p_data/(p_data+p_g)."""
    torch.manual_seed(0)
    ring = RingMixture(std=0.2, batch_size=512)
    other = RingMixture(n_modes=3, radius=1.5, std=0.4)
    d = MLPCritic(hidden=64)
    opt = torch.optim.Adam(d.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(1500):
        loss = discriminator_loss(d(ring.sample_points(g, 512)), d(other.sample_points(g, 512)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    pts, _ = grid(3.0, 61)
    p_data, p_g = ring.density(pts), other.density(pts)
    mass = (p_data + p_g).float()
    keep = mass > 0.05 * mass.max()                               # where samples actually fall
    with torch.no_grad():
        d_hat = torch.sigmoid(d(pts.float()))
    err = (d_hat - optimal_discriminator(p_data, p_g).float()).abs()[keep]
    weighted = float((err * mass[keep]).sum() / mass[keep].sum())
    assert weighted < 0.05, weighted
    assert float(d_hat.std()) > 0.2       # not a constant: D* varies from ≈0 to ≈1 here


def test_non_saturating_loss_keeps_gradients_when_d_rejects():
    logits = torch.tensor([-8.0, -6.0], requires_grad=True)
    g_ns = torch.autograd.grad(generator_loss(logits), logits)[0]
    g_mm = torch.autograd.grad(generator_loss(logits, non_saturating=False), logits)[0]
    assert (g_ns.abs() > 0.4).all() and (g_mm.abs() < 2e-3).all()


def test_minimax_step_moves_both_players():
    torch.manual_seed(0)
    gan = MinimaxGAN(MLP_G, MLP_D, k=2)
    before = copy.deepcopy(gan.state_dict())
    out = gan.meta_step(RingMixture().sample(torch.Generator().manual_seed(0), 1), gan.optimizers(1e-3))
    assert set(out) == {"critic", "generator"} and all(math.isfinite(v) for v in out.values())
    for k, v in gan.state_dict().items():
        assert not torch.equal(v, before[k]), k


# --------------------------------------------------------------------------- WGAN-GP: Eq. 3
def test_gradient_penalty_on_hand_made_interpolates():
    real, fake = torch.tensor([[3.0, 4.0], [0.0, 2.0]]), torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    x_hat = interpolates(real, fake, torch.tensor([0.5, 0.25]))
    assert torch.equal(x_hat, torch.tensor([[1.5, 2.0], [1.5, 0.5]]))
    # f(x) = ½‖x‖²: ∇f = x, so the norms are ‖x̂‖ = 2.5 and √2.5
    norms = gradient_norms(lambda x: 0.5 * x.pow(2).sum(1), x_hat)
    assert torch.allclose(norms, torch.tensor([2.5, math.sqrt(2.5)]))
    expected = ((2.5 - 1) ** 2 + (math.sqrt(2.5) - 1) ** 2) / 2
    assert abs(gradient_penalty(lambda x: 0.5 * x.pow(2).sum(1), x_hat).item() - expected) < 1e-6
    # a 1-Lipschitz linear critic has no penalty
    w = torch.tensor([0.6, 0.8])
    assert float(gradient_penalty(lambda x: x @ w, x_hat)) < 1e-12


def test_gradient_penalty_takes_the_norm_over_the_whole_image():
    """Per example, over every pixel: a linear critic ⟨W, x⟩ has ‖∇‖ = ‖W‖_F, not a per-channel or per-row norm."""
    W = torch.randn(1, 28, 28, generator=torch.Generator().manual_seed(0))
    x = torch.rand(3, 1, 28, 28)
    norms = gradient_norms(lambda im: (im * W).flatten(1).sum(1), x)
    assert torch.allclose(norms, W.norm().expand(3), rtol=1e-5)
    per_channel = W.norm(dim=0)                  # what norm(dim=1) of a [B, C, H, W] gradient computes
    assert not torch.allclose(per_channel.mean(), W.norm())


def test_critic_objective_is_eq3_and_its_penalty_is_differentiable():
    torch.manual_seed(0)
    critic = MLPCritic(hidden=16)
    real, fake, eps = torch.randn(5, 2), torch.randn(5, 2), torch.rand(5)
    loss, w, gp = critic_objective(critic, real, fake, eps, 10.0)
    x_hat = (eps[:, None] * real + (1 - eps[:, None]) * fake).requires_grad_()
    g = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]
    by_hand = critic(fake).mean() - critic(real).mean() + 10 * ((g.norm(dim=1) - 1) ** 2).mean()
    assert torch.allclose(loss, by_hand, atol=1e-6)
    assert abs(float(w) - float(critic(real).mean() - critic(fake).mean())) < 1e-6
    grads = torch.autograd.grad(loss, list(critic.parameters()))
    grads_hand = torch.autograd.grad(by_hand, list(critic.parameters()))
    for a, b in zip(grads, grads_hand):
        assert torch.allclose(a, b, atol=1e-5)
    l0, _, gp0 = critic_objective(critic, real, fake, eps, 0.0)
    assert float(gp0) == 0.0 and torch.allclose(l0, critic(fake).mean() - critic(real).mean())


def test_functional_adam_equals_torch_adam():
    torch.manual_seed(0)
    net = MLPCritic(hidden=8)
    ref = copy.deepcopy(net)
    opt = torch.optim.Adam(ref.parameters(), lr=1e-2, betas=(0.0, 0.9))
    params, state = {k: v.detach() for k, v in net.named_parameters()}, {}
    for step in range(5):
        x = torch.randn(7, 2, generator=torch.Generator().manual_seed(step))
        p = {k: v.requires_grad_() for k, v in params.items()}
        loss = torch.func.functional_call(net, p, (x,)).pow(2).mean()
        grads = dict(zip(p, torch.autograd.grad(loss, list(p.values()))))
        params = {k: v.detach() for k, v in adam_update(p, grads, state, 1e-2, (0.0, 0.9)).items()}
        opt.zero_grad()
        ref(x).pow(2).mean().backward()
        opt.step()
    for k, v in ref.named_parameters():
        assert torch.allclose(params[k], v.detach(), atol=1e-6), k


def test_wgan_gp_step_moves_both_players_and_reports():
    torch.manual_seed(0)
    w = WGANGP(MLP_G, MLP_D, n_critic=2)
    before = copy.deepcopy(w.state_dict())
    out = w.meta_step(RingMixture().sample(torch.Generator().manual_seed(0), 1), w.optimizers(1e-4))
    assert set(out) == {"critic", "generator", "penalty"} and all(math.isfinite(v) for v in out.values())
    # every weight moves except the critic's output bias: f + b shifts E f(x) and E f(G(z)) alike and leaves
    # ∇f unchanged, so its gradient in Eq. 3 is exactly 0
    moved = {k for k, v in w.state_dict().items() if not torch.equal(v, before[k])}
    assert set(w.state_dict()) - moved == {"critic.net.4.bias"}


# --------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("lam", [-1.0, -1e-9, float("nan"), float("inf"), "ten"])
def test_negative_or_invalid_penalty_is_refused(lam):
    with pytest.raises(ValueError, match="penalty_weight"):
        check_penalty_weight(lam)
    with pytest.raises(ValueError, match="penalty_weight"):
        WGANGP(MLP_G, MLP_D, penalty_weight=lam)


def test_k_zero_is_refused():
    w = WGANGP({"name": "gan_conv_generator", "channels": 2, "z_dim": 4}, {"name": "gan_conv_critic", "channels": 2})
    with pytest.raises(ValueError, match="K >= 1"):
        w.adapt(torch.empty(0, 1, 28, 28), inner_steps=1)
    g, c = w.params()
    with pytest.raises(ValueError, match="K = 0"):
        wgan_gp_steps(w.generator, w.critic, g, c, torch.empty(0, 1, 28, 28), 1, 1e-3)


def test_image_size_mismatch_is_refused():
    critic = ConvCritic(channels=2, image_size=28)
    with pytest.raises(ValueError, match="28x28"):
        critic(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"\[B, 1, 28, 28\]"):
        critic(torch.zeros(2, 28, 28))
    with pytest.raises(ValueError, match="multiple of 4"):
        ConvGenerator(image_size=30)
    with pytest.raises(ValueError, match="same shape"):
        interpolates(torch.zeros(2, 1, 28, 28), torch.zeros(2, 1, 32, 32), torch.rand(2))


def test_model_shapes_and_bad_latents():
    assert MLPGenerator(z_dim=3)(torch.zeros(4, 3)).shape == (4, 2)
    with pytest.raises(ValueError, match="latent z"):
        MLPGenerator(z_dim=3)(torch.zeros(4, 5))
    gen = ConvGenerator(z_dim=4, channels=2, cond_dim=3)
    img = gen(torch.zeros(2, 4), torch.zeros(2, 3))
    assert img.shape == (2, 1, 28, 28) and float(img.min()) >= 0 and float(img.max()) <= 1
    with pytest.raises(ValueError, match="conditional"):
        gen(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="positive integer"):
        MLPCritic(hidden=0)
