"""The committed navigation agents beat their untrained start and a random policy on held-out goals.

Every comparison is paired (same held-out goals, same seeds) and must hold with the 95% confidence
interval of the per-task difference excluding zero, so it cannot pass by chance.
"""

import pytest
import torch

from meta_course.checkpoints import checkpoint_path
from meta_course.learners.base import load_learner
from meta_course.learners.rl.maml_rl import random_policy_returns
from meta_course.learners.table import get_learner_class
from meta_course.tasks.envs.navigation import PointNavigation, navigation_tasks

N_TASKS = 60


def _better(a, b) -> tuple[float, float]:
    d = (a - b).double()
    mean, ci = d.mean().item(), 1.96 * d.std().item() / len(d) ** 0.5
    assert mean > ci, f"difference {mean:.3f} ± {ci:.3f} does not exclude 0"
    return mean, ci


def _untrained(learner):
    torch.manual_seed(0)
    return get_learner_class(learner.name)(**learner.config).eval()


@pytest.mark.parametrize("recipe", ["maml_rl_nav", "pretrained_rl_nav", "pearl_nav"])
def test_checkpoint_is_small(recipe):
    assert checkpoint_path(recipe).stat().st_size <= 2 * 1024 ** 2


def test_maml_rl_adapts_and_beats_its_start_pretrained_and_random():
    maml = load_learner(checkpoint_path("maml_rl_nav")).eval()
    pretrained = load_learner(checkpoint_path("pretrained_rl_nav")).eval()
    tasks = navigation_tasks("square", 0.5)(torch.Generator().manual_seed(31), N_TASKS)

    def curve(agent):
        return agent.adaptation_curve(tasks, 1, generator=torch.Generator().manual_seed(0))[0]

    trained, start, pre = curve(maml), curve(_untrained(maml)), curve(pretrained)
    rand, _ = random_policy_returns(PointNavigation.dense().config, tasks, 20, torch.Generator().manual_seed(0))
    _better(trained[1], trained[0])      # one inner step helps
    _better(trained[1], start[1])        # meta-training helped
    _better(trained[1], pre[1])          # more than joint training + the same fine-tuning
    _better(trained[1], rand)
    _better(pre[0], rand)                # the baseline is a real baseline


def _pearl_episodes(agent, n_episodes=3):
    tasks = navigation_tasks("half_circle", 1.0)(torch.Generator().manual_seed(32), N_TASKS)
    eps, _, _ = agent.explore(tasks, n_episodes, generator=torch.Generator().manual_seed(0))
    return tasks, eps


def test_pearl_explores_and_beats_its_start_and_random():
    pearl = load_learner(checkpoint_path("pearl_nav")).eval()
    tasks, eps = _pearl_episodes(pearl)
    _, start = _pearl_episodes(_untrained(pearl))
    rand, _ = random_policy_returns(PointNavigation.sparse().config, tasks, 20, torch.Generator().manual_seed(0))
    _better(eps[2].returns, start[2].returns)
    _better(eps[2].returns, rand)
    _better(eps[2].returns, eps[0].returns)  # what the first episodes found is used
    # posterior sampling explores: episodes 2-3 enter goal regions that episode 1 missed
    found_1, found_3 = eps[0].reached, eps[0].reached | eps[1].reached | eps[2].reached
    _better(found_3.double(), found_1.double())
