"""The Gaussian-process task family and its exact posterior (the oracle of the neural-process lesson)."""

import math

import pytest
import torch

from meta_course.tasks.gp import GPTasks, gp_posterior, se_kernel


def test_se_kernel_hand_values():
    x1, x2 = torch.tensor([[0.0], [1.0]]), torch.tensor([[0.0], [2.0]])
    k = se_kernel(x1, x2, lengthscale=2.0, variance=3.0)
    expected = 3.0 * torch.tensor([[1.0, math.exp(-4 / 8)], [math.exp(-1 / 8), math.exp(-1 / 8)]])
    torch.testing.assert_close(k, expected)


def test_posterior_one_point_by_hand():
    # One observation y1 at x1: μ* = k(x*, x1) y1 / (σ_f² + σ_n²), σ*² = σ_f² − k(x*, x1)² / (σ_f² + σ_n²) + σ_n².
    ell, sf2, sn = 0.5, 2.0, 0.3
    x1, y1, xs = 0.2, 1.5, 0.6
    k = sf2 * math.exp(-((xs - x1) ** 2) / (2 * ell ** 2))
    post = gp_posterior(torch.tensor([[x1]]), torch.tensor([[y1]]), torch.tensor([[xs], [x1]]),
                        lengthscale=ell, variance=sf2, noise=sn)
    assert post.mean[0, 0].item() == pytest.approx(k * y1 / (sf2 + sn ** 2), rel=1e-6)
    assert post.var[0, 0].item() == pytest.approx(sf2 - k ** 2 / (sf2 + sn ** 2) + sn ** 2, rel=1e-6)
    # at the observed input itself the mean shrinks y1 towards the prior mean 0
    assert post.mean[1, 0].item() == pytest.approx(sf2 / (sf2 + sn ** 2) * y1, rel=1e-6)


def test_posterior_two_points_by_hand():
    # Two observations: invert the 2×2 matrix A = K + σ_n² I by its adjugate, written out.
    ell, sf2, sn = 1.0, 1.0, 0.5
    xa, xb, ya, yb, xs = -0.5, 0.5, 1.0, -2.0, 0.1
    kern = lambda u, v: sf2 * math.exp(-((u - v) ** 2) / (2 * ell ** 2))  # noqa: E731
    a11, a22, a12 = kern(xa, xa) + sn ** 2, kern(xb, xb) + sn ** 2, kern(xa, xb)
    det = a11 * a22 - a12 ** 2
    inv = [[a22 / det, -a12 / det], [-a12 / det, a11 / det]]
    ks = [kern(xs, xa), kern(xs, xb)]
    w = [ks[0] * inv[0][0] + ks[1] * inv[1][0], ks[0] * inv[0][1] + ks[1] * inv[1][1]]  # k*ᵀ A⁻¹
    mean = w[0] * ya + w[1] * yb
    var = sf2 - (w[0] * ks[0] + w[1] * ks[1]) + sn ** 2
    post = gp_posterior(torch.tensor([[xa], [xb]]), torch.tensor([[ya], [yb]]), torch.tensor([[xs]]),
                        lengthscale=ell, variance=sf2, noise=sn)
    assert post.mean.item() == pytest.approx(mean, rel=1e-6)
    assert post.var.item() == pytest.approx(var, rel=1e-6)


def test_posterior_batched_matches_explicit_inverse():
    g = torch.Generator().manual_seed(0)
    fam = GPTasks(lengthscale=0.7, variance=1.3, noise=0.2)
    ep = fam.sample(g, n_tasks=3, k_shot=6, n_query=4)
    post = fam.posterior(ep.x_support, ep.y_support, ep.x_query)
    for t in range(3):
        xc, yc, xt = ep.x_support[t].double(), ep.y_support[t].double(), ep.x_query[t].double()
        a_inv = torch.linalg.inv(se_kernel(xc, xc, 0.7, 1.3) + 0.04 * torch.eye(6, dtype=torch.float64))
        ks = se_kernel(xc, xt, 0.7, 1.3)
        torch.testing.assert_close(post.mean[t].double(), ks.T @ a_inv @ yc, rtol=1e-5, atol=1e-5)
        var = 1.3 - torch.diag(ks.T @ a_inv @ ks) + 0.04
        torch.testing.assert_close(post.var[t].double().squeeze(1), var, rtol=1e-5, atol=1e-5)


def test_far_from_context_the_posterior_is_the_prior():
    post = gp_posterior(torch.zeros(2, 1), torch.tensor([[3.0], [3.1]]), torch.tensor([[50.0]]),
                        lengthscale=0.4, variance=1.0, noise=0.1)
    assert post.mean.item() == pytest.approx(0.0, abs=1e-6)
    assert post.var.item() == pytest.approx(1.0 + 0.01, rel=1e-6)


def test_samples_have_the_kernel_covariance():
    # 20 000 draws at three fixed inputs: the empirical covariance must match K + σ_n² I. The standard
    # error of each entry is about sqrt(2/20000) ≈ 0.01, so a 0.05 tolerance cannot fail by chance.
    fam = GPTasks(lengthscale=0.4, variance=1.0, noise=0.1)
    x = torch.tensor([[-0.3], [0.0], [0.5]]).expand(20_000, 3, 1)
    y = fam.sample_y(torch.Generator().manual_seed(1), x).squeeze(-1).double()
    emp = y.T @ y / y.shape[0]
    target = se_kernel(x[0].double(), x[0].double(), 0.4, 1.0) + 0.01 * torch.eye(3, dtype=torch.float64)
    torch.testing.assert_close(emp, target, atol=0.05, rtol=0)
    assert y.mean(0).abs().max() < 0.05


def test_sample_shapes_and_determinism():
    a = GPTasks().sample(torch.Generator().manual_seed(3), 4, k_shot=5, n_query=7)
    b = GPTasks().sample(torch.Generator().manual_seed(3), 4, k_shot=5, n_query=7)
    assert a.x_support.shape == (4, 5, 1) and a.y_query.shape == (4, 7, 1)
    for u, v in zip(a, b):
        assert torch.equal(u, v)
    assert a.x_support.min() >= -2 and a.x_support.max() <= 2


@pytest.mark.parametrize("call, match", [
    (lambda: GPTasks().sample(torch.Generator(), 2, k_shot=0), "k_shot=0"),
    (lambda: GPTasks(lengthscale=0.0), "lengthscale=0.0"),
    (lambda: GPTasks(noise=-1.0), "noise=-1.0"),
    (lambda: GPTasks(x_range=(1.0, -1.0)), "x_range"),
    (lambda: gp_posterior(torch.zeros(0, 1), torch.zeros(0, 1), torch.zeros(3, 1)), "0 points"),
    (lambda: gp_posterior(torch.zeros(2, 1), torch.zeros(3, 1), torch.zeros(3, 1)), "y_context has shape"),
    (lambda: gp_posterior(torch.zeros(2), torch.zeros(2), torch.zeros(3)), "add the feature dimension"),
])
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
