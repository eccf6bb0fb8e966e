"""The bandit widget's update function and the bandits benchmark's rows."""

import pytest
import torch

from meta_course.learners.rl.rl2 import RL2
from meta_course.viz.rl import BanditFigure, bandit_view, beta_pdf


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_bandit_view_is_consistent_and_paired():
    agent = RL2("bandits", {"k": 4, "n": 12}, hidden_size=8)
    view = bandit_view(agent, k=4, n=12, seed=3, methods=("rl2", "ucb1", "thompson", "random"))
    p = view.p
    for m in view.methods:
        a, r = view.actions[m], view.rewards[m]
        assert a.shape == (12,) and set(r.unique().tolist()) <= {0.0, 1.0}
        assert torch.allclose(view.cum_regret[m], (p.max() - p[a]).cumsum(0))
        # posterior after pull t: α + β − 2 = t pulls, α − 1 = rewards so far
        assert torch.equal(view.alpha[m].sum(1) + view.beta[m].sum(1) - 2 * 4, torch.arange(1, 13).float())
        assert torch.equal(view.alpha[m].sum(1) - 4, r.cumsum(0))
    # same reward draws: where two methods pull the same arm at the same step, they get the same reward
    same = view.actions["ucb1"] == view.actions["random"]
    assert torch.equal(view.rewards["ucb1"][same], view.rewards["random"][same])
    # deterministic under the seed
    again = bandit_view(agent, k=4, n=12, seed=3, methods=("rl2", "ucb1", "thompson", "random"))
    assert all(torch.equal(view.actions[m], again.actions[m]) for m in view.methods)


def test_bandit_view_bad_inputs():
    with pytest.raises(ValueError, match="needs a trained agent"):
        bandit_view(None, k=3, n=5, methods=("rl2",))
    with pytest.raises(ValueError, match="trained for k=4, n=12"):
        bandit_view(RL2("bandits", {"k": 4, "n": 12}, hidden_size=8), k=5, n=12)
    with pytest.raises(ValueError, match="k=1"):
        bandit_view(None, k=1, n=5, methods=("ucb1",))
    with pytest.raises(ValueError, match="unknown method 'ucb9'"):
        bandit_view(None, k=3, n=5, methods=("ucb9",))


def test_beta_pdf_integrates_to_one_and_figure_draws():
    x = torch.linspace(0, 1, 20001)
    for a, b in [(1.0, 1.0), (3.0, 2.0), (8.0, 20.0)]:
        assert torch.trapezoid(beta_pdf(x, torch.tensor(a), torch.tensor(b)), x).item() == pytest.approx(1, abs=2e-3)
    view = bandit_view(None, k=3, n=6, seed=0, methods=("ucb1", "thompson"))
    fig = BanditFigure().update(view, t=2)
    assert fig.png()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="t=7"):
        fig.update(view, t=7)


def test_bench_rows_have_the_issue_schema_and_random_is_half():
    import argparse

    from meta_course.bench import bandits

    parser = argparse.ArgumentParser()
    bandits.add_arguments(parser)
    args = parser.parse_args(["--trials", "1000", "--settings", "3x10", "--methods", "random", "greedy", "rl2"])
    report = bandits.run(args)
    rows = {r["method"]: r for r in report["rows"]}
    assert {"method", "k", "n", "mean_total_reward", "ci95"} <= set(rows["random"])
    assert abs(rows["random"]["mean_total_reward"] - 5.0) < rows["random"]["ci95"]
    assert rows["greedy"]["mean_total_reward"] > rows["random"]["mean_total_reward"]
    assert rows["rl2"]["mean_total_reward"] is None and "no checkpoint" in rows["rl2"]["missing"]
    with pytest.raises(ValueError, match="KxN"):
        bandits._parse_setting("5-10")
