"""How much of PEARL's sparse point robot one exploration episode can search (the environment's geometry,
not a learner): the figures behind the pearl_nav recipe note. Goals on the unit half circle, reward within
0.2, actions clipped to ±0.1 per coordinate, 20 steps from the origin — Rakelly et al.'s settings."""

import math

import torch

from meta_course.tasks.envs.navigation import GoalTasks, PointNavigation

GOALS = 2001


def _found(steer) -> torch.Tensor:
    """Which goals of an even grid on the half circle a goal-blind episode passes within the goal radius of
    (``steer(position) -> target``; the same path for every goal, since it never sees a reward)."""
    phi = torch.linspace(0, math.pi, GOALS)
    env = PointNavigation.sparse(num_envs=GOALS)
    env.reset(seed=0, options={"task": GoalTasks(goal=torch.stack([phi.cos(), phi.sin()], 1))})
    position, found = torch.zeros(GOALS, 2), torch.zeros(GOALS, dtype=torch.bool)
    for _ in range(env.horizon):
        position, reward, _, _, info = env.step((steer(position[0]) - position).clamp(-0.1, 0.1))
        found |= info["success"]
    return found


def _goal_seeking(angle):
    target = torch.tensor([math.cos(angle), math.sin(angle)])
    return lambda p: target


def _sweep(angle, direction):
    """Head for the arc at ``angle``; once on it, follow it (chase a point 0.3 rad ahead)."""
    def steer(p):
        if p.norm() < 0.95:
            return torch.tensor([math.cos(angle), math.sin(angle)])
        a = math.atan2(p[1].item(), p[0].item()) + direction * 0.3
        return torch.tensor([math.cos(a), math.sin(a)])
    return steer


def test_a_goal_seeking_episode_searches_at_most_a_sixth_of_the_arc():
    # posterior sampling acts as if a sampled goal were the true one: go there (time-optimally) and stay
    shares = torch.tensor([_found(_goal_seeking(a)).float().mean().item() for a in torch.linspace(0, math.pi, 33)])
    # a straight approach passes within 0.2 of the goals within ±2·asin(0.1) of its end: 4·asin(0.1)/π = 12.8%
    # (half that at the ends of the arc); the clipped, bent path to a side goal passes a few more
    assert abs(shares[16] - 4 * math.asin(0.1) / math.pi) < 0.01 and shares.max() < 0.16
    assert 3 * shares.max() < 0.5          # three such episodes: under half of the goals, far from 80%


def test_two_sweeping_episodes_search_nine_tenths_of_the_arc_and_three_all_of_it():
    first, second = _found(_sweep(1.1, -1)), _found(_sweep(2.67, -1))
    assert (first | second).float().mean() > 0.9
    assert (first | second | _found(_sweep(2.9, 1))).all()        # the rest: the left end
