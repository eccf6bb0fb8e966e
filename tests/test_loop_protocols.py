"""The one training loop fits every family: a learner with two optimisers (the GAN shape) and a learner
whose batches are environments behind the gymnasium API (the RL shape) both train through
``meta_course.train.train``, resume bit-identically and stop on NaN — with no change to train.py."""

from typing import NamedTuple

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch import nn

from meta_course.evaluate import evaluate
from meta_course.learners.base import Learner
from meta_course.train import train


# ------------------------------------------------------------------------------ a two-optimiser learner
class Samples(NamedTuple):
    """A batch of tasks for the toy GAN: ``x [T, n, 2]`` drawn from each task's Gaussian."""

    x: torch.Tensor

    def to(self, device) -> "Samples":
        return Samples(self.x.to(device))


def gaussian_tasks(generator: torch.Generator, n_tasks: int) -> Samples:
    centre = torch.randn(n_tasks, 1, 2, generator=generator)
    return Samples(centre + 0.5 * torch.randn(n_tasks, 16, 2, generator=generator))


class ToyGAN(Learner):
    """A linear generator and a small critic, stepped alternately by their own optimisers (WGAN-style loss)."""

    name = "toy-gan"

    def __init__(self, hidden: int = 8):
        super().__init__()
        self.config = {"hidden": hidden}
        self.generator = nn.Linear(2, 2)
        self.critic = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def optimizers(self, outer_lr):
        return {"critic": torch.optim.Adam(self.critic.parameters(), lr=outer_lr),
                "generator": torch.optim.Adam(self.generator.parameters(), lr=outer_lr)}

    def meta_step(self, batch, optimizers):
        real = batch.x.flatten(0, 1)
        fake = self.generator(torch.randn(real.shape))            # torch's global RNG: the loop restores it
        critic_loss = self.critic(fake.detach()).mean() - self.critic(real).mean()
        optimizers["critic"].zero_grad()
        critic_loss.backward()
        optimizers["critic"].step()
        generator_loss = -self.critic(self.generator(torch.randn(real.shape))).mean()
        optimizers["generator"].zero_grad()
        generator_loss.backward()
        optimizers["generator"].step()
        return {"critic": critic_loss.item(), "generator": generator_loss.item()}


# ---------------------------------------------------------------------- a learner on gymnasium environments
class TwoArmedBandit(gym.Env):
    """A gymnasium environment: pull arm 0 or 1, reward ~ N(mean[arm], 1), one step per episode."""

    def __init__(self, means):
        self.means = np.asarray(means, dtype=np.float64)
        self.action_space = gym.spaces.Discrete(2)
        self.observation_space = gym.spaces.Box(0.0, 1.0, shape=(1,))

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(1, dtype=np.float32), {}

    def step(self, action):
        reward = float(self.np_random.normal(self.means[action], 1.0))
        return np.zeros(1, dtype=np.float32), reward, True, False, {}


class BanditTasks(NamedTuple):
    """A batch of environment tasks: the arm means ``[T, 2]`` (one environment per task)."""

    means: torch.Tensor

    def to(self, device) -> "BanditTasks":
        return BanditTasks(self.means.to(device))


def bandit_tasks(generator: torch.Generator, n_tasks: int) -> BanditTasks:
    """Arm 0 ~ U[0, 1], arm 1 ~ U[0.5, 1.5]: arm 1 is better on average, so one policy can learn it."""
    return BanditTasks(torch.rand(n_tasks, 2, generator=generator) + torch.tensor([0.0, 0.5]))


class ToyPolicy(Learner):
    """REINFORCE on a softmax over the two arms; rollouts are collected inside meta_step."""

    name = "toy-policy"
    metric = "return"

    def __init__(self, pulls: int = 8):
        super().__init__()
        self.config = {"pulls": pulls}
        self.logits = nn.Parameter(torch.zeros(2))

    def rollout(self, env_means):
        """Pull ``pulls`` times in the environment; returns (log-probabilities, rewards)."""
        env = TwoArmedBandit(env_means.tolist())
        env.reset(seed=int(torch.randint(2**31, ())))              # the environment's RNG from torch's
        dist = torch.distributions.Categorical(logits=self.logits)
        logps, rewards = [], []
        for _ in range(self.config["pulls"]):
            action = dist.sample()
            _, reward, terminated, truncated, _ = env.step(int(action))
            logps.append(dist.log_prob(action))
            rewards.append(reward)
            if terminated or truncated:
                env.reset()
        return torch.stack(logps), torch.tensor(rewards, dtype=torch.float32)

    def meta_step(self, batch, optimizers):
        losses, returns = [], []
        for means in batch.means:
            logp, rewards = self.rollout(means)
            losses.append(-(logp * (rewards - rewards.mean())).sum())
            returns.append(rewards.mean())
        loss = torch.stack(losses).mean()
        for opt in optimizers.values():
            opt.zero_grad()
        loss.backward()
        for opt in optimizers.values():
            opt.step()
        return {"loss": loss.item(), "return": torch.stack(returns).mean().item()}

    def score(self, tasks, **knobs):
        """Expected reward per task of the current policy (no sampling)."""
        return (torch.softmax(self.logits, 0) * tasks.means).sum(-1)


# --------------------------------------------------------------------------------------------- tests
PROTOCOLS = {"two-optimisers": (ToyGAN, gaussian_tasks), "gymnasium-env": (ToyPolicy, bandit_tasks)}


class Interrupt(Exception):
    pass


def _run(kind, steps, checkpoint=None, stop_at=None, sample=None):
    cls, tasks = PROTOCOLS[kind]
    torch.manual_seed(5)
    learner = cls()

    def stop(step, values):
        assert all(isinstance(v, float) for v in values.values())
        if step == stop_at:
            raise Interrupt

    history = train(learner, sample or tasks, steps, meta_batch_size=4, outer_lr=0.05, seed=3, checkpoint=checkpoint,
                    checkpoint_every=10, log_every=5, progress=False, device="cpu", callback=stop)
    return learner, history


@pytest.mark.parametrize("kind", PROTOCOLS)
def test_resume_is_bit_identical(kind, tmp_path):
    reference, ref_history = _run(kind, 40)
    with pytest.raises(Interrupt):
        _run(kind, 40, tmp_path / "state.pt", stop_at=27)            # last checkpoint: step 20
    assert torch.load(tmp_path / "state.pt", weights_only=True)["step"] == 20
    torch.manual_seed(12345)                                          # a different global RNG before resuming
    np.random.seed(12345)
    resumed, history = _run(kind, 40, tmp_path / "state.pt")
    for (name, a), b in zip(reference.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
    assert history.values == ref_history.values and history.step == ref_history.step
    assert set(history.values) == ({"critic", "generator"} if kind == "two-optimisers" else {"loss", "return"})


def test_the_two_optimisers_are_saved_and_restored(tmp_path):
    _run("two-optimisers", 10, tmp_path / "state.pt")
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert set(state["optimizers"]) == {"critic", "generator"}
    assert all(s["state"] for s in state["optimizers"].values())      # both have Adam moments


def test_the_policy_learns_from_its_environments():
    held_out = bandit_tasks(torch.Generator().manual_seed(99), 500)
    before = evaluate(ToyPolicy(), held_out)
    learner, _ = _run("gymnasium-env", 60)
    after = evaluate(learner, held_out)
    assert learner.higher_is_better and after.n == 500
    assert after.mean - after.ci95 > before.mean + before.ci95, (before, after)


def _poisoned(kind, at_call):
    tasks = PROTOCOLS[kind][1]

    def sample(generator, n):
        batch = tasks(generator, n)
        sample.calls += 1
        if sample.calls == at_call:
            batch = type(batch)(batch[0] * float("nan"))
        return batch
    sample.calls = 0
    return sample


@pytest.mark.parametrize("kind", PROTOCOLS)
def test_nan_stops_naming_the_step_and_keeps_the_last_good_checkpoint(kind, tmp_path):
    with pytest.raises(FloatingPointError, match=r"is (nan|not finite) at step 26: .*last good checkpoint .*state.pt"):
        _run(kind, 40, tmp_path / "state.pt", sample=_poisoned(kind, 26))
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert state["step"] == 20
    assert all(torch.isfinite(v).all() for v in state["learner"]["state_dict"].values())
