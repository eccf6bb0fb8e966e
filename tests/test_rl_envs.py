"""Batched environments (Bernoulli bandits) and the single-environment Gymnasium wrapper."""

import warnings

import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env

from meta_course.tasks.envs import BatchedEnv, TaskBatch
from meta_course.tasks.envs.bandits import BanditTasks, BernoulliBandits
from meta_course.tasks.envs.gym import GymEnv


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small tensor ops: one thread is faster than two contended ones (and restores the setting)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)



def _play(env, actions, seed, tasks):
    env.reset(seed=seed, options={"task": tasks})
    out = []
    for a in actions:
        obs, r, term, trunc, info = env.step(a)
        out.append((obs.clone(), r.clone(), term.clone(), info["regret"].clone()))
    return out


@pytest.mark.parametrize("k, n, match", [(1, 10, "k=1"), (0, 10, "k=0"), (5, 0, "n=0"), (5, -3, "n=-3"),
                                          (2.5, 10, "k=2.5")])
def test_bad_bandit_sizes_raise_a_clear_error(k, n, match):
    with pytest.raises(ValueError, match=match) as err:
        BernoulliBandits(k=k, n=n)
    assert "allowed" in str(err.value) or "must be" in str(err.value)


def test_wrong_action_shape_or_range_raises():
    env = BernoulliBandits(k=3, n=4, num_envs=2)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"expected integer arm/action indices of shape \(2,\)"):
        env.step(torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        env.step(torch.tensor([[0], [1]]))
    with pytest.raises(ValueError, match="dtype"):
        env.step(torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"action 3 is out of range: allowed \[0, 2\]"):
        env.step(torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="tasks for num_envs=2"):
        env.set_task(env.sample_tasks(3))


def test_step_before_reset_and_after_the_end_raise():
    env = BernoulliBandits(k=2, n=2, num_envs=1)
    with pytest.raises(ValueError, match="reset"):
        env.step(torch.tensor([0]))
    env.reset(seed=0)
    env.step(torch.tensor([0]))
    *_, term, trunc, _ = env.step(torch.tensor([0]))
    assert term.item() and not trunc.item()
    with pytest.raises(ValueError, match="have ended their episode"):
        env.step(torch.tensor([0]))


def test_env_is_deterministic_under_a_seed_and_differs_across_seeds():
    env = BernoulliBandits(k=4, n=20, num_envs=64)
    tasks = env.sample_tasks(64, torch.Generator().manual_seed(5))
    actions = [torch.randint(4, (64,), generator=torch.Generator().manual_seed(t)) for t in range(20)]
    a, b = _play(env, actions, 3, tasks), _play(env, actions, 3, tasks)
    c = _play(env, actions, 4, tasks)
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            assert torch.equal(u, v)
    assert any(not torch.equal(x[1], y[1]) for x, y in zip(a, c))
    # sampling tasks is deterministic under the generator too
    g1, g2 = torch.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    assert torch.equal(env.sample_tasks(10, g1).p, env.sample_tasks(10, g2).p)


def test_rewards_are_bernoulli_with_the_task_probabilities():
    p = torch.tensor([[0.1, 0.7]]).repeat(20_000, 1)
    env = BernoulliBandits(k=2, n=1, num_envs=20_000)
    env.reset(seed=0, options={"task": BanditTasks(p=p)})
    _, r0, _, _, info0 = env.step(torch.zeros(20_000, dtype=torch.long))
    env.reset()
    _, r1, _, _, info1 = env.step(torch.ones(20_000, dtype=torch.long))
    se = (0.25 / 20_000) ** 0.5
    assert abs(r0.mean().item() - 0.1) < 5 * se and abs(r1.mean().item() - 0.7) < 5 * se
    assert torch.allclose(info0["regret"], torch.tensor(0.6)) and torch.allclose(info1["regret"], torch.tensor(0.0))
    # p ~ U[0, 1]: mean 1/2, variance 1/12
    q = BernoulliBandits(k=5, n=1).sample_tasks(20_000, torch.Generator().manual_seed(0)).p
    assert abs(q.mean().item() - 0.5) < 0.01 and abs(q.var().item() - 1 / 12) < 0.005
    assert q.min() >= 0 and q.max() <= 1


def test_observation_counts_the_trial_and_the_task_persists_across_resets():
    env = BernoulliBandits(k=3, n=4, num_envs=2)
    obs, _ = env.reset(seed=1)
    p = env.task.p.clone()
    assert torch.equal(obs, torch.zeros(2, 1))
    for t in range(1, 5):
        obs, _, term, _, _ = env.step(torch.tensor([0, 2]))
        assert torch.allclose(obs, torch.full((2, 1), t / 4))
    assert term.all()
    env.reset()
    assert torch.equal(env.task.p, p)               # a trial's task survives reset()


def test_reset_mask_resets_only_the_masked_envs():
    env = BernoulliBandits(k=2, n=3, num_envs=3)
    env.reset(seed=0)
    env.step(torch.tensor([0, 0, 0]))
    obs, _ = env.reset(options={"mask": torch.tensor([True, False, True])})
    assert torch.allclose(obs.squeeze(1), torch.tensor([0.0, 1 / 3, 0.0]))
    assert env.t.tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match=r"bool tensor of shape \(3,\)"):
        env.reset(options={"mask": torch.tensor([1, 0, 1])})
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(options={"foo": 1})


def test_task_batch_indexing_and_broadcast():
    tasks = BanditTasks(p=torch.rand(4, 3))
    assert len(tasks) == 4 and len(tasks[1]) == 1 and len(tasks[-1]) == 1 and len(tasks[1:3]) == 2
    assert torch.equal(tasks[-1].p, tasks.p[-1:])
    env = BernoulliBandits(k=3, n=2, num_envs=5)
    env.set_task(tasks[2])
    assert torch.equal(env.task.p, tasks.p[2:3].repeat(5, 1))
    assert isinstance(env, BatchedEnv) and isinstance(tasks, TaskBatch)
    with pytest.raises(ValueError, match="expected"):
        env.set_task(BanditTasks(p=torch.rand(5, 4)))


def test_gym_wrapper_passes_gymnasiums_checker():
    env = GymEnv(BernoulliBandits(k=5, n=10))
    with warnings.catch_warnings():
        warnings.simplefilter("error")                # any checker warning fails the test
        check_env(env, skip_render_check=True)


def test_gym_wrapper_semantics():
    env = GymEnv(BernoulliBandits(k=3, n=5))
    obs, _ = env.reset(seed=11)
    p = env.env.task.p.clone()
    rewards = []
    for t in range(5):
        obs, r, term, trunc, info = env.step(t % 3)
        rewards.append(r)
        assert obs.shape == (1,) and obs.dtype == np.float32 and isinstance(r, float)
        assert isinstance(info["regret"], float)
    assert term and not trunc
    env.reset()                                         # same trial: same task
    assert torch.equal(env.env.task.p, p)
    env.reset(seed=11)                                  # same seed: same task and rewards
    assert torch.equal(env.env.task.p, p)
    assert [env.step(t % 3)[1] for t in range(5)] == rewards
    env.reset(seed=12)
    assert not torch.equal(env.env.task.p, p)
    fixed = BanditTasks(p=torch.tensor([[0.0, 0.0, 1.0]]))
    env2 = GymEnv(BernoulliBandits(k=3, n=5), task=fixed)
    env2.reset(seed=0)
    assert env2.step(2)[1] == 1.0 and env2.step(np.int64(0))[1] == 0.0
    env2.reset(seed=1)
    assert torch.equal(env2.env.task.p, fixed.p)
    with pytest.raises(ValueError, match="num_envs=4"):
        GymEnv(BernoulliBandits(k=3, n=5, num_envs=4))
    with pytest.raises(ValueError, match="expected one integer"):
        env2.step(np.array([0, 1]))
    with pytest.raises(ValueError, match="out of range"):
        env2.step(3)
