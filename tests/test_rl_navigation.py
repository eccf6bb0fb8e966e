"""2-D point navigation (MAML's dense task, PEARL's sparse task) and the policy-gradient checks."""

import math
import warnings

import pytest
import torch
from gymnasium.utils.env_checker import check_env
from torch.func import grad, vmap

from meta_course.learners.rl.policy_gradient import (advantages, linear_baseline, reward_to_go,
                                                     surrogate_loss)
from meta_course.tasks.envs.gym import GymEnv
from meta_course.tasks.envs.navigation import GoalTasks, PointNavigation, sample_goals
from meta_course.tasks.envs.two_state import TwoStateMDP


# ---- environment -------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [PointNavigation.dense, PointNavigation.sparse])
def test_gymnasium_checker_passes(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker reports problems as warnings: make them fail
        check_env(GymEnv(make()), skip_render_check=True)


@pytest.mark.parametrize("make", [PointNavigation.dense, PointNavigation.sparse])
def test_deterministic_under_a_seed(make):
    def run(seed):
        env = make(num_envs=4)
        tasks = env.sample_tasks(4, torch.Generator().manual_seed(seed))
        obs, _ = env.reset(seed=seed, options={"task": tasks})
        g = torch.Generator().manual_seed(seed)
        trace = [obs]
        for _ in range(env.horizon):
            obs, r, term, trunc, info = env.step(0.15 * torch.randn(4, 2, generator=g))
            trace += [obs, r, info["dense_reward"]]
            if bool((term | trunc).any()):
                obs, _ = env.reset(options={"mask": term | trunc})
        return tasks.goal, torch.cat([t.flatten() for t in trace])

    g1, t1 = run(3)
    g2, t2 = run(3)
    g3, t3 = run(4)
    assert torch.equal(g1, g2) and torch.equal(t1, t2)
    assert not torch.equal(g1, g3)


def test_gym_wrapper_reset_seed_fixes_the_goal():
    env = GymEnv(PointNavigation.sparse())
    env.reset(seed=5)
    goal_a = env.env.goal.clone()
    env.reset()  # same task, next episode
    assert torch.equal(env.env.goal, goal_a)
    env.reset(seed=5)
    assert torch.equal(env.env.goal, goal_a)
    env.reset(seed=6)
    assert not torch.equal(env.env.goal, goal_a)


def test_goal_layouts():
    g = torch.Generator().manual_seed(0)
    square = sample_goals("square", 2000, g)
    assert square.abs().max() <= 0.5 and square.abs().max() > 0.49
    circle = sample_goals("half_circle", 2000, g)
    assert torch.allclose(circle.norm(dim=1), torch.ones(2000))
    angle = torch.atan2(circle[:, 1], circle[:, 0])
    assert angle.min() >= 0 and angle.max() <= math.pi
    assert abs(angle.mean().item() - math.pi / 2) < 0.1  # uniform on [0, π]


def test_clipping_rewards_and_time_limit():
    env = PointNavigation.sparse(num_envs=3)
    goal = torch.tensor([[0.0, 0.29], [0.0, 0.29], [0.0, 0.29]])
    env.reset(options={"task": GoalTasks(goal=goal)})
    obs, r, term, trunc, info = env.step(torch.tensor([[0.0, 0.1], [0.0, 5.0], [0.0, -0.05]]))
    assert torch.allclose(obs, torch.tensor([[0.0, 0.1], [0.0, 0.1], [0.0, -0.05]]))  # clipped to ±0.1
    # distance 0.19 is inside the radius: reward 1 − d; 0.34 is outside: reward 0
    assert torch.allclose(r, torch.tensor([0.81, 0.81, 0.0]))
    assert torch.allclose(info["dense_reward"], torch.tensor([-0.19, -0.19, -0.34]))
    assert info["success"].tolist() == [True, True, False]
    for t in range(2, 21):
        obs, r, term, trunc, info = env.step(torch.zeros(3, 2))
        assert trunc.all().item() == (t == 20) and not term.any()
    with pytest.raises(ValueError, match="ended their episode"):
        env.step(torch.zeros(3, 2))


def test_dense_reward_and_termination():
    env = PointNavigation.dense(num_envs=2)
    env.reset(options={"task": GoalTasks(goal=torch.tensor([[0.1, 0.0], [0.3, 0.4]]))})
    obs, r, term, trunc, info = env.step(torch.tensor([[0.095, 0.005], [0.0, 0.0]]))
    assert term.tolist() == [True, False]  # MAML's rule: both coordinates within 0.01
    assert torch.allclose(r, torch.tensor([-(0.005 ** 2 + 0.005 ** 2) ** 0.5, -0.5]), atol=1e-6)


@pytest.mark.parametrize("bad", [0.0, -0.2, float("nan")])
def test_bad_goal_radius(bad):
    with pytest.raises(ValueError, match="goal_radius"):
        PointNavigation.sparse(goal_radius=bad)


def test_bad_actions():
    env = PointNavigation.dense(num_envs=2)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"expected \(2, 2\)"):
        env.step(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"expected \(2, 2\)"):
        env.step(torch.zeros(2))
    with pytest.raises(ValueError, match="NaN"):
        env.step(torch.full((2, 2), float("nan")))
    with pytest.raises(ValueError, match="horizon"):
        PointNavigation(horizon=0)
    with pytest.raises(ValueError, match="reward"):
        PointNavigation(reward="shaped")


# ---- the score-function estimator on the two-state MDP -----------------------------------------
def _exact_and_estimates(horizon, gamma, baseline):
    mdp = TwoStateMDP(horizon=horizon, gamma=gamma)
    logits = torch.tensor([[0.3, -0.5], [1.0, 0.2]], dtype=torch.float64, requires_grad=True)
    exact, = torch.autograd.grad(mdp.expected_return(logits), logits)
    traj, weights = mdp.all_trajectories()
    lp = mdp.log_policy(logits, traj.states, traj.actions)
    prob = weights * lp.detach().sum(1).exp()
    disc = gamma ** torch.arange(horizon, dtype=torch.float64)
    b = baseline[traj.states] if baseline is not None else 0.0
    # E_τ[Σ_t ∇log π(a_t|s_t) γ^t (Ĝ_t − b(s_t))], the expectation taken exactly over all trajectories
    rtg = reward_to_go(traj.rewards, gamma)
    estimator, = torch.autograd.grad((prob * (lp * disc * (rtg - b)).sum(1)).sum(), logits)
    return mdp, logits, exact, prob, estimator


@pytest.mark.parametrize("horizon,gamma", [(1, 1.0), (3, 1.0), (4, 0.9)])
def test_score_function_is_the_exact_gradient(horizon, gamma):
    mdp, logits, exact, prob, estimator = _exact_and_estimates(horizon, gamma, None)
    assert abs(prob.sum().item() - 1) < 1e-12
    assert torch.allclose(estimator, exact, atol=1e-12)
    # and exact agrees with central finite differences of the exact return
    eps = 1e-6
    for i in range(2):
        for j in range(2):
            d = torch.zeros(2, 2, dtype=torch.float64)
            d[i, j] = eps
            fd = (mdp.expected_return(logits.detach() + d) - mdp.expected_return(logits.detach() - d)) / (2 * eps)
            assert abs(fd.item() - exact[i, j].item()) < 1e-8


def test_a_state_baseline_leaves_the_expectation_unchanged():
    *_, exact, _, estimator = _exact_and_estimates(3, 0.95, torch.tensor([5.0, -3.0], dtype=torch.float64))
    assert torch.allclose(estimator, exact, atol=1e-12)


def test_monte_carlo_estimate_covers_the_exact_gradient():
    mdp = TwoStateMDP(horizon=3)
    logits = torch.tensor([[0.3, -0.5], [1.0, 0.2]], dtype=torch.float64, requires_grad=True)
    exact, = torch.autograd.grad(mdp.expected_return(logits), logits)
    traj = mdp.sample(logits, 4000, torch.Generator().manual_seed(0))

    def one(theta, states, actions, rewards):  # Σ_t log π(a_t|s_t) Ĝ_t for one trajectory
        return (mdp.log_policy(theta, states, actions) * reward_to_go(rewards)).sum()

    jac = vmap(grad(one), in_dims=(None, 0, 0, 0))(logits.detach(), *traj)  # one gradient per trajectory
    mean, se = jac.mean(0), jac.std(0) / 4000 ** 0.5
    assert ((mean - exact).abs() < 4 * se).all()
    assert (se < 0.05).all()  # the check has power: a biased estimator would be caught


def test_reward_to_go_by_hand():
    r = torch.tensor([[1.0, 0.0, 2.0], [1.0, 1.0, 1.0]])
    assert torch.allclose(reward_to_go(r, 0.5), torch.tensor([[1.5, 1.0, 2.0], [1.75, 1.5, 1.0]]))
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    assert torch.allclose(reward_to_go(r, 1.0, mask), torch.tensor([[1.0, 0.0, 0.0], [3.0, 2.0, 1.0]]))


def test_linear_baseline_and_advantages():
    g = torch.Generator().manual_seed(0)
    obs = torch.randn(3, 10, 7, 2, generator=g)
    t = torch.arange(7.0) / 100
    target = 2 * obs[..., 0] - obs[..., 1] ** 2 + 5 * t + 1  # in the span of the features
    assert torch.allclose(linear_baseline(obs, target), target, atol=1e-3)
    rewards = torch.randn(3, 10, 7, generator=g)
    adv = advantages(rewards, obs)
    assert torch.allclose(adv.mean(dim=(1, 2)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(adv.std(dim=(1, 2), unbiased=False), torch.ones(3), atol=1e-4)
    # the surrogate's gradient is −mean(Â ∇log π): a positive advantage raises log π
    lp = torch.zeros(1, 1, 2, requires_grad=True)
    surrogate_loss(lp, torch.tensor([[[1.0, -1.0]]])).sum().backward()
    assert lp.grad.tolist() == [[[-0.5, 0.5]]]
