"""PEARL: the product-of-Gaussians posterior, the KL bottleneck, replay buffers and SAC pieces."""

import math

import pytest
import torch

from meta_course.learners.rl.pearl import (PEARL, TaskReplay, kl_to_standard_normal,
                                           product_of_gaussians)
from meta_course.models.policies import TanhGaussianPolicy, gaussian_log_prob
from meta_course.tasks.envs.navigation import GoalPool, navigation_tasks


def test_product_of_gaussians_closed_form():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(3, 7, 4, generator=g, dtype=torch.float64)
    var = torch.rand(3, 7, 4, generator=g, dtype=torch.float64) + 0.1
    m, v = product_of_gaussians(mu, var)
    # σ² = 1 / Σ 1/σ_i²,  μ = σ² Σ μ_i/σ_i², written out term by term
    for t in range(3):
        for d in range(4):
            prec = sum(1 / var[t, i, d].item() for i in range(7))
            mean = sum(mu[t, i, d].item() / var[t, i, d].item() for i in range(7)) / prec
            assert abs(v[t, d].item() - 1 / prec) < 1e-12 and abs(m[t, d].item() - mean) < 1e-12


def test_product_of_gaussians_is_the_normalised_product_of_densities():
    mu = torch.tensor([[-0.5], [1.0], [0.3]], dtype=torch.float64)
    var = torch.tensor([[0.4], [2.0], [0.9]], dtype=torch.float64)
    m, v = product_of_gaussians(mu, var)
    z = torch.linspace(-6, 6, 24001, dtype=torch.float64).unsqueeze(1)
    log_prod = sum(gaussian_log_prob(mu[i], 0.5 * var[i].log(), z) for i in range(3))
    dens = (log_prod - log_prod.max()).exp()
    dz = z[1, 0] - z[0, 0]
    dens = dens / (dens.sum() * dz)
    grid_mean = (dens * z[:, 0]).sum() * dz
    grid_var = (dens * (z[:, 0] - grid_mean) ** 2).sum() * dz
    assert abs(grid_mean.item() - m.item()) < 1e-6 and abs(grid_var.item() - v.item()) < 1e-6


def test_product_of_gaussians_mask_and_sequential_update():
    mu = torch.tensor([[[0.0], [2.0], [100.0]]])
    var = torch.tensor([[[1.0], [3.0], [1e-3]]])
    m, v = product_of_gaussians(mu, var, mask=torch.tensor([[1.0, 1.0, 0.0]]))
    m2, v2 = product_of_gaussians(mu[:, :2], var[:, :2])
    assert torch.allclose(m, m2) and torch.allclose(v, v2)
    # adding factors one at a time (a Kalman update) gives the same posterior: order does not matter
    m1, v1 = product_of_gaussians(mu[:, :1], var[:, :1])
    k = v1 / (v1 + var[:, 1])
    assert torch.allclose(m2, m1 + k * (mu[:, 1] - m1)) and torch.allclose(v2, (1 - k) * v1)
    perm = torch.tensor([1, 0])
    assert torch.allclose(product_of_gaussians(mu[:, perm], var[:, perm])[0], m2)
    with pytest.raises(ValueError, match="must match"):
        product_of_gaussians(mu, var[..., :0])


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(1)
    mu, var = torch.randn(5, 3, generator=g), torch.rand(5, 3, generator=g) + 0.05
    q = torch.distributions.Normal(mu, var.sqrt())
    p = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    ref = torch.distributions.kl_divergence(q, p).sum(-1)
    assert torch.allclose(kl_to_standard_normal(mu, var), ref, atol=1e-6)
    assert kl_to_standard_normal(torch.zeros(1, 3), torch.ones(1, 3)).item() == 0


def test_tanh_gaussian_log_prob_by_change_of_variables():
    torch.manual_seed(0)
    actor = TanhGaussianPolicy(3, 1, hidden=(8,))
    x = torch.randn(4000, 3)
    a, logp = actor.sample(x)
    mean, log_std = actor(x)
    u = torch.atanh(a.clamp(-1 + 1e-6, 1 - 1e-6))
    ref = gaussian_log_prob(mean, log_std, u) - torch.log(1 - a.pow(2) + 1e-12).sum(-1)
    ok = a.abs().squeeze(-1) < 0.999  # away from the float32 saturation of tanh
    assert torch.allclose(logp[ok], ref[ok], atol=1e-3)
    # and it integrates to one: ∫ π(a) da over (−1, 1) on a grid for one input
    grid = torch.linspace(-0.9999, 0.9999, 20001).unsqueeze(1)
    m, ls = actor(x[:1])
    dens = (gaussian_log_prob(m, ls, torch.atanh(grid)) - torch.log(1 - grid.pow(2)).sum(-1)).exp()
    assert abs((dens.sum() * (grid[1, 0] - grid[0, 0])).item() - 1) < 1e-2


def test_task_replay_fifo_and_sampling():
    buf = TaskReplay(n_tasks=3, capacity=4, width=1)
    buf.add(torch.tensor([0, 2]), torch.arange(6.0).view(2, 3, 1))
    assert buf.size.tolist() == [3, 0, 3]
    buf.add(torch.tensor([0]), torch.tensor([[[10.0], [11.0]]]))  # wraps around: oldest overwritten
    assert buf.size.tolist() == [4, 0, 3] and buf.data[0, :, 0].tolist() == [11.0, 1.0, 2.0, 10.0]
    s = buf.sample(torch.tensor([2]), 500, torch.Generator().manual_seed(0))
    assert set(s.flatten().tolist()) == {3.0, 4.0, 5.0}
    with pytest.raises(ValueError, match="no data"):
        buf.sample(torch.tensor([1]), 2)
    assert "data" not in buf.state_dict()  # never in a checkpoint


def test_pearl_step_runs_and_checkpoint_is_small():
    torch.manual_seed(0)
    learner = PEARL(n_train_tasks=6, batch_size=8, context_size=8, init_episodes=2)
    pool = GoalPool("half_circle", 6, seed=0, size=1.0)
    opts = learner.optimizers(3e-4)
    before = {k: v.clone() for k, v in learner.state_dict().items()}
    for _ in range(3):
        out = learner.meta_step(pool.sample(torch.Generator().manual_seed(0), 4), opts)
    assert {"critic", "kl", "actor", "alpha"} <= set(out) and all(math.isfinite(v) for v in out.values())
    after = learner.state_dict()
    for name in ("encoder.net.0.weight", "actor.net.0.weight", "q1.net.0.weight", "q1_target.net.0.weight"):
        assert not torch.equal(before[name], after[name]), name
    assert int(learner.replay.size.sum()) > 0
    # the posterior before any data is the prior
    post = learner.posterior(None, n_tasks=2)
    assert torch.equal(post.mu, torch.zeros(2, 5)) and torch.equal(post.var, torch.ones(2, 5))


def test_one_backward_of_the_summed_losses_is_sac():
    """Each loss reaches only its own networks, so backward(sum) = the separate SAC backward passes."""
    torch.manual_seed(0)
    learner = PEARL(n_train_tasks=4, batch_size=8, context_size=8, init_episodes=2, learn_alpha=True)
    batch = GoalPool("half_circle", 4, seed=0, size=1.0).sample(torch.Generator().manual_seed(0), 4)
    learner.meta_loss(batch)  # fills the buffers
    torch.manual_seed(1)
    losses = learner.losses(batch.index)
    total = losses["critic"] + learner.config["kl_weight"] * losses["kl"] + losses["actor"] + losses["alpha"]
    params = [p for p in learner.parameters() if p.requires_grad]
    combined = torch.autograd.grad(total, params, retain_graph=True, allow_unused=True)
    groups = {"critic": [*learner.q1.parameters(), *learner.q2.parameters(), *learner.encoder.parameters()],
              "actor": list(learner.actor.parameters()), "alpha": [learner.log_alpha]}
    parts = {"critic": losses["critic"] + learner.config["kl_weight"] * losses["kl"],
             "actor": losses["actor"], "alpha": losses["alpha"]}
    for name, group in groups.items():
        separate = torch.autograd.grad(parts[name], group, retain_graph=True)
        for p, g in zip(group, separate):
            got = combined[next(i for i, q in enumerate(params) if q is p)]
            assert torch.allclose(got, g, atol=1e-6), name
    # the critics get nothing from the actor's loss
    assert all(g is None for g in torch.autograd.grad(losses["actor"], groups["critic"], retain_graph=True,
                                                      allow_unused=True))


def test_pearl_trains_through_the_loop_and_keeps_its_buffers_out_of_the_checkpoint(tmp_path):
    from meta_course import recipes
    from meta_course.train import train

    learner, sample = recipes.build("pearl_nav", init_episodes=1, batch_size=8, context_size=8)
    train(learner, sample, steps=3, meta_batch_size=4, outer_lr=3e-4, progress=False, log_every=1,
          checkpoint=tmp_path / "p.state.pt")
    assert int(learner.steps_done) == 3 and int(learner.replay.size.sum()) > 0
    assert not any("replay" in k for k in learner.checkpoint()["state_dict"])
    with pytest.raises(ValueError, match="kl_weight"):
        PEARL(kl_weight=0)


def test_score_is_the_last_exploration_episodes_return():
    torch.manual_seed(0)
    agent = PEARL(hidden=(8,)).eval()
    tasks = navigation_tasks("half_circle", 1.0)(torch.Generator().manual_seed(3), 5)
    eps, _, _ = agent.explore(tasks, 2, generator=torch.Generator().manual_seed(1))
    got = agent.score(tasks, n_episodes=2, generator=torch.Generator().manual_seed(1))
    assert got.shape == (5,) and torch.equal(got, eps[1].returns)
    with pytest.raises(ValueError, match="n_episodes"):
        agent.score(tasks, n_episodes=0)


def test_in_episode_resampling_conditions_on_the_episode_so_far():
    """Eq. 2 of learners/rl/pearl.py: with resample_every = m, z is drawn before steps 0, m, 2m, … of every
    episode from q(z | the earlier episodes + this episode's first t transitions); m = 0 (the paper's Alg. 2)
    and any m ≥ the horizon draw once per episode and give the same episodes."""
    torch.manual_seed(0)
    learner = PEARL(n_train_tasks=2)
    tasks = navigation_tasks("half_circle", 1.0)(torch.Generator().manual_seed(3), 4)
    seen, posterior = [], learner.posterior

    def recording(context, mask=None, n_tasks=None):
        seen.append(0 if context is None else context.shape[1])
        return posterior(context, mask, n_tasks)

    learner.posterior = recording
    eps, _, _ = learner.explore(tasks, 2, generator=torch.Generator().manual_seed(1), resample_every=7)
    H = learner.horizon
    # explore asks for the posterior before each episode and after the last; run_episode at t = 7, 14 of each
    assert seen == [0, 7, 14, H, H + 7, H + 14, 2 * H]
    del learner.posterior
    paper, _, _ = learner.explore(tasks, 2, generator=torch.Generator().manual_seed(1))
    once, _, _ = learner.explore(tasks, 2, generator=torch.Generator().manual_seed(1), resample_every=H)
    every, _, _ = learner.explore(tasks, 2, generator=torch.Generator().manual_seed(1), resample_every=7)
    assert all(torch.equal(a.actions, b.actions) for a, b in zip(paper, once))
    assert torch.equal(paper[0].actions[:, :7], every[0].actions[:, :7])       # same z until step 7
    assert not torch.equal(paper[0].actions, every[0].actions)                  # then a new one
    with pytest.raises(ValueError, match="resample_every"):
        learner.explore(tasks, 1, resample_every=-1)
    with pytest.raises(ValueError, match="resample_every"):
        PEARL(resample_every=1.5)
