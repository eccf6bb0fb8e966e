"""MAML-RL: rollouts, the policy-gradient inner step and its meta-gradient against loop references."""

import pytest
import torch

from meta_course.core.functional import get_params
from meta_course.learners.rl.maml_rl import (MAMLRL, PretrainedRL, inner_update, pg_loss,
                                             random_policy_returns, rollout)
from meta_course.learners.rl.policy_gradient import advantages
from meta_course.models.policies import GaussianMLPPolicy, gaussian_log_prob
from meta_course.tasks.envs.navigation import GoalTasks, PointNavigation


def _setup(T=3, N=4, horizon=6, seed=0):
    torch.manual_seed(seed)
    policy = GaussianMLPPolicy(2, 2, hidden=(16,), action_scale=0.1)
    env = PointNavigation.dense(num_envs=T * N, horizon=horizon)
    tasks = env.sample_tasks(T, torch.Generator().manual_seed(seed))
    data = rollout(policy, get_params(policy, False), env, tasks, N, generator=torch.Generator().manual_seed(seed))
    policy.double()  # the gradient checks run in float64
    data = data._replace(obs=data.obs.double(), actions=data.actions.double(), rewards=data.rewards.double(),
                         mask=data.mask.double())
    return policy, tasks, data


def test_rollout_shapes_and_returns():
    policy, tasks, data = _setup()
    assert data.obs.shape == (3, 4, 6, 2) and data.rewards.shape == (3, 4, 6) and data.success.shape == (3, 4)
    # positions integrate the (scaled, clipped) actions, and the reward is −distance to the task's goal
    steps = (0.1 * data.actions).clamp(-0.1, 0.1)
    assert torch.allclose(data.obs[:, :, 1:], steps.cumsum(2)[:, :, :-1], atol=1e-6)
    final = data.obs[:, :, -1] + steps[:, :, -1]
    goal = tasks.goal.double().unsqueeze(1)
    assert torch.allclose(data.rewards[:, :, -1], -(final - goal).norm(dim=-1), atol=1e-6)


def test_rollout_masks_terminated_episodes():
    policy = GaussianMLPPolicy(2, 2, hidden=(8,), init_std=1e-6, action_scale=0.1)
    with torch.no_grad():  # a deterministic policy moving (+0.1, +0.1) every step
        for p in policy.parameters():
            p.zero_()
        policy.mean_net[-1].bias.fill_(1.0)
        policy.log_std.fill_(-20.0)
    env = PointNavigation.dense(num_envs=2, horizon=5)
    tasks = GoalTasks(goal=torch.tensor([[0.2, 0.2], [-0.5, -0.5]]))
    data = rollout(policy, get_params(policy, False), env, tasks, 1)
    assert data.mask[:, 0].tolist() == [[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]]  # task 0 reaches its goal at step 2
    assert data.rewards[0, 0, 2:].abs().sum() == 0 and data.success[:, 0].tolist() == [True, False]
    assert torch.allclose(data.returns[0, 0], torch.tensor(-(2 * 0.1 ** 2) ** 0.5), atol=1e-5)


def test_inner_update_matches_an_autograd_loop_and_is_second_order():
    policy, tasks, data = _setup()
    theta = {k: v.detach().clone().requires_grad_(True) for k, v in policy.named_parameters()}
    adv = advantages(data.rewards, data.obs, data.mask, gamma=0.9)
    fast = inner_update(policy, theta, data, inner_lr=0.3, gamma=0.9)
    probe = {k: torch.randn_like(v) for k, v in fast.items()}  # a random outer objective Σ <probe, θ'>
    outer = sum((fast[k] * probe[k]).sum() for k in fast)
    meta_grad = torch.autograd.grad(outer, list(theta.values()))
    # reference: a Python loop over tasks, autograd.grad with create_graph=True
    ref_outer = 0
    for i in range(3):
        one = {k: v[i] for k, v in data._asdict().items()}
        mean, log_std = torch.func.functional_call(policy, theta, (one["obs"].reshape(-1, 2),))
        lp = gaussian_log_prob(mean, log_std, one["actions"].reshape(-1, 2)).view(adv[i].shape)
        loss = -(lp * adv[i] * one["mask"]).sum() / one["mask"].sum()
        grads = torch.autograd.grad(loss, list(theta.values()), create_graph=True)
        for (k, v), g in zip(theta.items(), grads):
            assert torch.allclose(fast[k][i], v - 0.3 * g, atol=1e-10)
            ref_outer = ref_outer + ((v - 0.3 * g) * probe[k][i]).sum()
    ref_grad = torch.autograd.grad(ref_outer, list(theta.values()))
    for a, b in zip(meta_grad, ref_grad):
        assert torch.allclose(a, b, atol=1e-9)
    # first order drops the Hessian term: the meta-gradient of Σ <probe, θ'> is then Σ_i probe_i
    fo = inner_update(policy, theta, data, inner_lr=0.3, first_order=True, gamma=0.9)
    fo_grad = torch.autograd.grad(sum((fo[k] * probe[k]).sum() for k in fo), list(theta.values()))
    for (k, _), g, full in zip(theta.items(), fo_grad, meta_grad):
        assert torch.allclose(g, probe[k].sum(0), atol=1e-12)
        assert not torch.allclose(g, full, atol=1e-6)  # the second-order term is really there


def test_meta_loss_backpropagates_through_the_inner_step():
    torch.manual_seed(0)
    learner = MAMLRL(hidden=(8,), n_traj=3, env={**PointNavigation.dense().config, "horizon": 5})
    tasks = learner.make_env(1).sample_tasks(2, torch.Generator().manual_seed(0))
    opts = learner.optimizers(1e-3)
    before = {k: v.clone() for k, v in learner.state_dict().items()}
    out = learner.meta_step(tasks, opts)
    assert {"loss", "return_before", "return_after"} <= set(out)
    assert all(not torch.equal(before[k], v) for k, v in learner.state_dict().items())
    pre = PretrainedRL(hidden=(8,), n_traj=3, env=learner.config["env"])
    assert pre.config["inner_steps"] == 0 and pre.name == "pretrained-rl"
    pre.meta_step(tasks, pre.optimizers(1e-3))


def test_random_policy_and_bad_inputs():
    tasks = GoalTasks(goal=torch.tensor([[0.3, 0.3], [-0.2, 0.1]]))
    ret, succ = random_policy_returns(PointNavigation.dense().config, tasks, 5, torch.Generator().manual_seed(0))
    assert ret.shape == (2,) and (ret < 0).all() and ((succ >= 0) & (succ <= 1)).all()
    with pytest.raises(ValueError, match="inner_lr"):
        MAMLRL(inner_lr=0)
    with pytest.raises(ValueError, match="n_traj"):
        MAMLRL(n_traj=0)
    policy = GaussianMLPPolicy(2, 2, hidden=(4,))
    with pytest.raises(ValueError, match="trajectories need 6"):
        rollout(policy, get_params(policy, False), PointNavigation.dense(num_envs=5), tasks, 3)
