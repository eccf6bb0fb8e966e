"""Returns / GAE against a hand-computed trajectory; the GRU policy's step and sequence paths agree."""

import pytest
import torch

from meta_course.learners.rl.returns import discounted_returns, gae
from meta_course.learners.rl.rl2 import RL2, a2c_loss, rollout
from meta_course.models.policies import RecurrentPolicy
from meta_course.tasks.envs.bandits import BanditTasks, BernoulliBandits


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# A hand-worked trajectory: r = (1, 0, 2), V = (0.5, 1.0, 0.0), γ = 0.9, λ = 0.8, ends after step 2.
R = torch.tensor([[1.0, 0.0, 2.0]])
V = torch.tensor([[0.5, 1.0, 0.0]])


def test_discounted_returns_by_hand():
    # R_2 = 2; R_1 = 0 + 0.9·2 = 1.8; R_0 = 1 + 0.9·1.8 = 2.62
    assert torch.allclose(discounted_returns(R, 0.9), torch.tensor([[2.62, 1.8, 2.0]]))
    # a terminal flag after step 0 cuts the return there; a bootstrap value continues after the end
    cut = discounted_returns(R, 0.9, dones=torch.tensor([[1.0, 0, 0]]))
    assert torch.allclose(cut, torch.tensor([[1.0, 1.8, 2.0]]))
    assert torch.allclose(discounted_returns(R, 0.9, bootstrap=torch.tensor([10.0])),
                          torch.tensor([[1 + 0.9 * (0.9 * (2 + 9)), 0.9 * (2 + 9), 2 + 9.0]]))


def test_gae_by_hand():
    # δ_2 = 2 + 0 − 0 = 2; δ_1 = 0 + 0.9·0 − 1 = −1; δ_0 = 1 + 0.9·1 − 0.5 = 1.4
    # Â_2 = 2; Â_1 = −1 + 0.72·2 = 0.44; Â_0 = 1.4 + 0.72·0.44 = 1.7168
    assert torch.allclose(gae(R, V, 0.9, 0.8), torch.tensor([[1.7168, 0.44, 2.0]]))
    # λ = 1: Â = R − V (Monte Carlo advantage); λ = 0: Â = δ (one-step TD)
    assert torch.allclose(gae(R, V, 0.9, 1.0), discounted_returns(R, 0.9) - V)
    assert torch.allclose(gae(R, V, 0.9, 0.0), torch.tensor([[1.4, -1.0, 2.0]]))
    # no bootstrapping across a terminal step: with d_0 = 1, δ_0 = 1 − 0.5 and Â_0 = δ_0
    assert gae(R, V, 0.9, 0.8, dones=torch.tensor([[1.0, 0, 0]]))[0, 0].item() == pytest.approx(0.5)


def test_gae_matches_a_direct_sum_on_random_data():
    g = torch.Generator().manual_seed(0)
    r, v = torch.randn(4, 7, generator=g), torch.randn(4, 7, generator=g)
    gamma, lam = 0.95, 0.7
    nxt = torch.cat([v[:, 1:], torch.zeros(4, 1)], 1)
    delta = r + gamma * nxt - v
    direct = torch.stack([sum((gamma * lam) ** l * delta[:, t + l] for l in range(7 - t)) for t in range(7)], 1)
    assert torch.allclose(gae(r, v, gamma, lam), direct, atol=1e-6)


def test_returns_bad_inputs():
    with pytest.raises(ValueError, match="gamma=1.5"):
        discounted_returns(R, 1.5)
    with pytest.raises(ValueError, match=r"expected \(batch, time\)"):
        gae(R[0], V[0], 0.9, 0.8)
    with pytest.raises(ValueError, match="lam=-0.1"):
        gae(R, V, 0.9, -0.1)


def test_step_and_sequence_paths_agree_and_replayed_log_probs_match():
    torch.manual_seed(0)
    policy = RecurrentPolicy(obs_dim=1, action_space={"type": "discrete", "n": 4}, hidden_size=16)
    env = BernoulliBandits(k=4, n=12, num_envs=8)
    env.reset(seed=1)
    trial = rollout(policy, env, record_hidden=True)
    dist, values, h_last = policy(trial.inputs)
    assert torch.allclose(dist.log_prob(trial.actions), trial.log_probs, atol=1e-6)
    assert torch.allclose(values, trial.values, atol=1e-6)
    assert torch.allclose(h_last, trial.hidden[:, -1], atol=1e-6)


def test_rl2_inputs_are_obs_previous_action_reward_done():
    policy = RecurrentPolicy(obs_dim=1, action_space={"type": "discrete", "n": 3}, hidden_size=8)
    env = BernoulliBandits(k=3, n=3, num_envs=1)
    env.reset(seed=0, options={"task": BanditTasks(p=torch.tensor([[1.0, 1.0, 1.0]]))})
    trial = rollout(policy, env)
    x = trial.inputs[0]
    assert x[0].tolist() == [0.0, 0, 0, 0, 0, 0]                       # o_0 = 0, nothing before the trial
    a0 = trial.actions[0, 0].item()
    assert x[1, 0].item() == pytest.approx(1 / 3) and x[1, 1 + a0].item() == 1 and x[1, 4:].tolist() == [1.0, 0.0]
    assert trial.dones[0].tolist() == [0.0, 0.0, 1.0]


def test_hidden_state_persists_across_episodes_of_a_trial():
    policy = RecurrentPolicy(obs_dim=1, action_space={"type": "discrete", "n": 2}, hidden_size=8)
    env = BernoulliBandits(k=2, n=3, num_envs=5)
    env.reset(seed=2)
    torch.manual_seed(0)
    trial = rollout(policy, env, episodes=3, record_hidden=True)
    assert trial.rewards.shape == (5, 9)
    assert trial.dones[:, [2, 5, 8]].eq(1).all() and trial.dones.sum() == 15
    # the input at the first step of episode 2 carries the last step of episode 1 (done = 1) ...
    assert trial.inputs[:, 3, -1].eq(1).all()
    # ... and the hidden state is not reset: replaying from h_0 through all 9 steps reproduces it
    _, _, h = policy(trial.inputs)
    assert torch.allclose(h, trial.hidden[:, -1], atol=1e-6)


def test_a2c_loss_gradient_is_the_policy_gradient():
    """With c_V = c_H = 0 and no normalisation, ∇L = −mean(Â ∇log π) — checked against autograd of
    the explicitly written surrogate."""
    torch.manual_seed(0)
    agent = RL2("bandits", {"k": 3, "n": 5}, hidden_size=8, lam=1.0)
    tasks = agent.make_env(1).sample_tasks(6, torch.Generator().manual_seed(0))
    trial = agent.play(tasks, seed=0)
    loss, _ = a2c_loss(agent.policy, trial, gamma=1.0, lam=1.0, value_coef=0.0, entropy_coef=0.0,
                       normalize_advantages=False)
    g1 = torch.autograd.grad(loss, agent.policy.pi.weight)[0]
    dist, values, _ = agent.policy(trial.inputs)
    reward_to_go = trial.rewards.flip(1).cumsum(1).flip(1) / trial.rewards.shape[1]   # critic units: return / T
    surrogate = -((reward_to_go - values.detach()) * dist.log_prob(trial.actions)).mean()
    g2 = torch.autograd.grad(surrogate, agent.policy.pi.weight)[0]
    assert torch.allclose(g1, g2, atol=1e-6)


def test_policy_bad_inputs():
    with pytest.raises(ValueError, match="n_actions=1"):
        RecurrentPolicy(1, {"type": "discrete", "n": 1})
    policy = RecurrentPolicy(1, {"type": "discrete", "n": 3})
    with pytest.raises(ValueError, match=r"expected \(batch, time, 6\)"):
        policy(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="obs_dim=1"):
        policy.rl2_input(torch.zeros(2, 2), torch.tensor([0, 1]), torch.zeros(2), torch.zeros(2))
    box = RecurrentPolicy(2, {"type": "box", "dim": 2}, hidden_size=4)
    dist, v, h = box.step(box.first_input(torch.zeros(3, 2)), box.initial_state(3))
    assert dist.sample().shape == (3, 2) and dist.log_prob(torch.zeros(3, 2)).shape == (3,)


def test_adapt_reproduces_the_rollout_policy():
    torch.manual_seed(1)
    agent = RL2("bandits", {"k": 3, "n": 6}, hidden_size=8)
    tasks = agent.make_env(1).sample_tasks(1, torch.Generator().manual_seed(2))
    trial = agent.play(tasks, seed=3)
    for t in (0, 2, 5):
        pred = agent.adapt(trial.actions[0, :t], trial.rewards[0, :t])
        assert torch.allclose(pred().log_prob(trial.actions[0, t]), trial.log_probs[0, t], atol=1e-6)
        assert pred.info["hidden"].shape == (t + 1, 8)


def test_training_through_the_loop_resumes_bit_identically(tmp_path):
    from meta_course import recipes
    from meta_course.train import train

    def run(checkpoint, stop_at=None):
        learner, sample = recipes.build("rl2_bandits_k5_n10", seed=0, hidden_size=8)

        def interrupt(step, values):
            if step == stop_at:
                raise KeyboardInterrupt

        try:
            train(learner, sample, 4, meta_batch_size=8, seed=0, checkpoint=checkpoint, checkpoint_every=1,
                  progress=False, device="cpu", callback=interrupt)
        except KeyboardInterrupt:
            pass
        return learner

    straight = run(tmp_path / "a.pt")
    run(tmp_path / "b.pt", stop_at=3)                 # interrupted after step 3, last saved state: step 2
    resumed = run(tmp_path / "b.pt")
    assert resumed.steps_done.item() == straight.steps_done.item() == 4
    for (name, p), q in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(p, q), name


def test_task_critic_trains_and_never_acts():
    torch.manual_seed(0)
    agent = RL2("bandits", {"k": 3, "n": 6}, hidden_size=8, critic="task", lam=1.0, reward_signal="expected")
    tasks = agent.make_env(1).sample_tasks(16, torch.Generator().manual_seed(0))
    with torch.random.fork_rng():
        a1 = agent.play(tasks, seed=1).actions
    with torch.no_grad():
        for p in agent.critic.parameters():
            p.add_(1.0)                                   # acting must not depend on the critic
    with torch.random.fork_rng():
        a2 = agent.play(tasks, seed=1).actions
    assert torch.equal(a1, a2)
    before = [p.clone() for p in agent.critic.parameters()]
    stats = agent.meta_step(tasks, agent.optimizers(1e-2))
    assert all(not torch.equal(b, p) for b, p in zip(before, agent.critic.parameters()))
    assert set(stats) >= {"loss", "return", "entropy", "value_loss"}
    with pytest.raises(ValueError, match="unknown critic 'oracle'"):
        RL2("bandits", {"k": 3, "n": 6}, critic="oracle")


def test_curriculum_switches_the_trial_length_after_its_steps():
    agent = RL2("bandits", {"k": 3, "n": 12}, hidden_size=8, curriculum={"steps": 2, "env_args": {"k": 3, "n": 4}},
                lr_schedule="linear")
    tasks = agent.make_env(1).sample_tasks(4, torch.Generator().manual_seed(0))
    opts = agent.optimizers(1e-3)
    lengths = []
    for _ in range(3):
        agent.meta_step(tasks, opts)
        lengths.append(agent.last_trial_length)
    assert lengths == [4, 4, 12]
    assert agent.score(tasks).shape == (4,) and agent.make_env(1).n == 12      # evaluation: the target setting
    assert agent.outer_lr_factor(50, 100) == 0.5
    with pytest.raises(ValueError, match="curriculum="):
        RL2("bandits", {"k": 3, "n": 12}, curriculum={"n": 4})


def test_init_from_copies_a_committed_checkpoint_at_the_first_step_only():
    from meta_course.checkpoints import checkpoint_path
    from meta_course.learners import load_learner

    source = load_learner(checkpoint_path("rl2_bandits_k5_n10"))
    agent = RL2(**{**source.config, "env_args": {"k": 5, "n": 20}, "init_from": "rl2_bandits_k5_n10"})
    assert not torch.equal(agent.policy.pi.weight, source.policy.pi.weight)    # nothing loaded at build time
    opts = agent.optimizers(0.0)                                                 # step size 0: weights stay
    tasks = agent.make_env(1).sample_tasks(4, torch.Generator().manual_seed(0))
    agent.meta_step(tasks, opts)
    for (k, v), w in zip(source.state_dict().items(), agent.state_dict().values()):
        if k != "steps_done":
            assert torch.equal(v, w), k
    wrong = RL2(**{**source.config, "env_args": {"k": 3, "n": 20}, "init_from": "rl2_bandits_k5_n10"})
    with pytest.raises(ValueError, match="does not fit this agent"):
        wrong.meta_step(wrong.make_env(1).sample_tasks(2), wrong.optimizers(1e-3))
