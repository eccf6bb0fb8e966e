"""bench navigation's sparse part: PEARL's rows per z-sampling rule and the found-within table (a tiny run)."""

import torch

from meta_course.bench.navigation import found_within, sparse_rows, wilson
from meta_course.checkpoints import checkpoint_path
from meta_course.learners.base import load_learner
from meta_course.learners.rl.navigation_baselines import exact_posterior_sampling
from meta_course.tasks.envs.navigation import GoalTasks


def test_sparse_rows_and_found_within_agree_with_explore():
    pearl = load_learner(checkpoint_path("pearl_nav")).eval()
    rows, per_task = sparse_rows(pearl, 24, seed=3, episodes=3, resample_every=(0, 10))
    for m, key in ((0, "pearl"), (10, "pearl@10")):
        eps, _, _ = pearl.explore(GoalTasks(goal=per_task["goals"]), 3, generator=torch.Generator().manual_seed(3),
                                  resample_every=m)
        mine = [r for r in rows if r["method"] == "pearl" and r["resample_every"] == m]
        assert [r["adaptation"] for r in mine] == [0, 1, 2]
        assert all(abs(r["mean_return"] - e.returns.mean().item()) < 1e-6 for r, e in zip(mine, eps))
        assert torch.equal(per_task[key + "_reached"][2], eps[0].reached | eps[1].reached | eps[2].reached)
    found = found_within(per_task, 3, seed=3, resample_every=(0, 10))
    assert {(f["method"], f["z_sampled"]) for f in found} == {
        ("pearl", "once per episode"), ("pearl", "every 10 steps"), ("exact posterior sampling", "once per episode"),
        ("exact posterior sampling", "every 10 steps"), ("exact posterior sampling", "lazy (when ruled out)"),
        ("prior sampling", "once per episode"), ("prior sampling", "every 10 steps")}
    exact = exact_posterior_sampling(per_task["goals"], 3, resample_every=10, generator=torch.Generator().manual_seed(3))
    row = next(f for f in found if f["method"] == "exact posterior sampling" and f["z_sampled"] == "every 10 steps"
               and f["episodes"] == 3)
    assert row["found"] == exact[2].float().mean().item()
    lo, hi = row["wilson95"]
    assert lo <= row["found"] <= hi


def test_wilson_interval_against_hand_values():
    # 8 of 10: centre (0.8 + 1.96²/20) / (1 + 1.96²/10) = 0.7164, half-width 0.2183 (Wilson 1927)
    lo, hi = wilson(8, 10)
    assert abs(lo - 0.4902) < 1e-3 and abs(hi - 0.9433) < 1e-3
    lo, hi = wilson(0, 50)
    assert abs(lo) < 1e-12 and 0.07 < hi < 0.072


def test_a_negative_resampling_interval_is_one_error_line(capsys):
    from meta_course.cli import main

    assert main(["bench", "navigation", "--tasks", "2", "--resample-every", "0", "-3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "--resample-every" in err and "-3" in err and len(err.splitlines()) == 1
