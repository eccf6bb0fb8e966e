"""The navigation widget's update functions (plain Python) and figure."""

import math

import pytest
import torch

from meta_course.learners.rl.maml_rl import MAMLRL
from meta_course.learners.rl.pearl import PEARL
from meta_course.tasks.envs.navigation import PointNavigation
from meta_course.viz.rl_navigation import AdaptationFigure, NavigationFigure, candidate_goals, maml_view, pearl_view


@pytest.fixture(scope="module")
def agent():
    torch.manual_seed(0)
    return PEARL(hidden=(16,))


def test_pearl_view_paths_follow_the_dynamics(agent):
    view = pearl_view(agent, goal_angle=30, n_episodes=3, seed=1, n_candidates=8)
    assert view.paths.shape == (3, 21, 2) and view.candidates.shape == (4, 8, 2)
    assert torch.allclose(view.goal, torch.tensor([math.cos(math.pi / 6), math.sin(math.pi / 6)]))
    assert torch.equal(view.paths[:, 0], torch.zeros(3, 2))  # every episode starts at the origin
    steps = view.paths[:, 1:] - view.paths[:, :-1]
    assert steps.abs().max() <= 0.1 + 1e-6  # the action bound
    # the sparse reward the agent saw is 1 − distance inside the goal radius, 0 outside
    d = (view.paths[:, 1:] - view.goal).norm(dim=-1)
    expected = torch.where(d <= 0.2, 1 - d, torch.zeros_like(d))
    assert torch.allclose(view.rewards, expected, atol=1e-5)
    assert view.reached.tolist() == (d <= 0.2).any(dim=1).tolist()
    # the same seed gives the same view, another seed other posterior samples
    again = pearl_view(agent, goal_angle=30, n_episodes=3, seed=1, n_candidates=8)
    assert torch.equal(again.paths, view.paths) and torch.equal(again.candidates, view.candidates)


def test_candidate_goals_are_where_the_greedy_policy_stops(agent):
    z = torch.randn(4, agent.latent_dim, generator=torch.Generator().manual_seed(0))
    ends = candidate_goals(agent, z)
    env = PointNavigation.sparse(num_envs=4)
    obs, _ = env.reset(seed=0)
    for _ in range(20):
        obs = env.step(agent.act(obs, z, deterministic=True))[0]
    assert torch.allclose(ends, obs)


def test_candidate_summaries_by_hand():
    view = pearl_view(PEARL(hidden=(4,)), goal_angle=90, n_episodes=1, n_candidates=3)
    view.candidates[0] = torch.tensor([[0.0, 1.0], [0.0, 0.0], [2.0, 1.0]])
    assert abs(view.candidate_error(0) - 1.0) < 1e-6  # distances 0, 1, 2 → median 1
    spread = math.sqrt(((2 / 3) ** 2 + (1 / 3) ** 2 + (2 / 3) ** 2 + (2 / 3) ** 2 + (4 / 3) ** 2 + (1 / 3) ** 2) / 3)
    assert abs(view.candidate_spread(0) - spread) < 1e-6


def test_figure_and_bad_inputs(agent):
    view = pearl_view(agent, goal_angle=120, n_episodes=2, n_candidates=4)
    fig = NavigationFigure()
    for k in range(3):
        fig.update(view, k)
    assert len(fig.ax_plane.lines) >= 2 + 2  # half circle, goal star, two episodes
    with pytest.raises(ValueError, match="goal_angle"):
        pearl_view(agent, goal_angle=200)
    with pytest.raises(ValueError, match="k="):
        fig.update(view, 3)


def test_maml_view():
    torch.manual_seed(0)
    learner = MAMLRL(hidden=(8,), n_traj=2, env={**PointNavigation.dense().config, "horizon": 5})
    out = maml_view(learner, [0.3, -0.2], inner_steps=2, n_traj=3)
    assert len(out["paths"]) == 3 and out["paths"][0].shape == (3, 5, 2) and len(out["returns"]) == 3
    goal = torch.tensor([0.3, -0.2])
    for paths, ret, dist in zip(out["paths"], out["returns"], out["final_distance"]):
        assert abs(dist - (paths[:, -1] - goal).norm(dim=-1).mean().item()) < 1e-6
        assert ret < 0  # the dense reward is −distance
    # the first trajectories are the unadapted policy's: the same with 0 inner steps and the same seed
    before = maml_view(learner, [0.3, -0.2], inner_steps=0, n_traj=3)
    assert len(before["paths"]) == 1 and torch.equal(before["paths"][0], out["paths"][0])
    fig = AdaptationFigure(n_panels=2).update({"a": out, "b": before})
    assert len(fig.axes[0].lines) == 3 * 3 + 1 and len(fig.axes[1].lines) == 3 + 1  # trajectories + goal star
    assert fig.png()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="n_panels=1"):
        AdaptationFigure(n_panels=2).update({"a": out})
    with pytest.raises(ValueError, match="inner_steps"):
        maml_view(learner, [0.3, -0.2], inner_steps=-1)
