"""Smoke tests of benchmark paths no other test ran: ``bench optimisers`` (the learned-optimiser tables) and
``bench sine``'s speed and widget-latency rows — through the CLI, with arguments small enough for seconds.
The committed numbers come from the default arguments; here the code that produces them must run end to end and
report what it says it reports."""

from __future__ import annotations

import json
import math

import pytest
import torch

from meta_course.__main__ import main
from meta_course.bench.optimisers import GRID

pytestmark = pytest.mark.usefixtures("one_thread")


def _finite(pair) -> bool:
    return all(math.isfinite(v) for v in pair)


def test_bench_optimisers_runs_and_reports_every_row(tmp_path):
    out = tmp_path / "opt.json"
    assert main(["bench", "optimisers", "--problems", "6", "--val-problems", "4", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    quad = report["quadratic"]
    assert set(quad["rows"]) == {"learned", "sgd", "adam"} and quad["steps"] == [10, 50, 100]
    assert all(_finite(cell) for row in quad["rows"].values() for cell in row.values())
    assert quad["lrs"]["sgd"] in GRID and quad["lrs"]["adam"] in GRID
    assert set(report["sine"]) == {"l2lopt_sine", "metalstm_sine"}
    for recipe, table in report["sine"].items():
        assert set(table["rows"]) == {"learned", "sgd", "adam"}, recipe
        assert all(set(row) == {"1", "5", "10"} and all(_finite(c) for c in row.values()) for row in table["rows"].values())
    # the learned row is the committed learner on the held-out tasks the table names (seed 2026, K = 5)
    from meta_course.checkpoints import checkpoint_path
    from meta_course.evaluate import evaluate
    from meta_course.learners import load_learner
    from meta_course.tasks.sine import SineTasks

    test = SineTasks().sample(torch.Generator().manual_seed(2026), 6, 5, 100)
    again = evaluate(load_learner(checkpoint_path("l2lopt_sine")), test, inner_steps=10)
    assert report["sine"]["l2lopt_sine"]["rows"]["learned"]["10"][0] == pytest.approx(again.mean, rel=1e-5)


def test_bench_optimisers_refuses_bad_counts_before_any_work(capsys):
    assert main(["bench", "optimisers", "--problems", "0"]) == 2
    assert main(["bench", "optimisers", "--val-problems", "-1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: --problems=0") and err[1].startswith("error: --val-problems=-1")


def test_bench_sine_speed_and_widget_rows(tmp_path):
    out = tmp_path / "sine.json"
    assert main(["bench", "sine", "--tasks", "3", "--methods", "maml", "pretrained", "--speed-steps", "2",
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert [row["inner_steps"] for row in report["speed"]] == [1, 5]
    for row in report["speed"]:
        assert row["vmap"] > 0 and row["loop"] > 0 and math.isfinite(row["vmap"] + row["loop"]), row
        assert row["higher"] is None or row["higher"] > 0
    assert 0 < report["widget_update_ms"] < 60_000
    assert {r["method"] for r in report["rows"]} == {"maml", "pretrained"}
    assert main(["bench", "sine", "--tasks", "3", "--methods", "maml", "--speed-steps", "0"]) == 2


def test_steps_per_second_takes_real_meta_steps():
    """The timed loop trains: the learner's parameters move, equally with vmap and the per-task loop."""
    from meta_course import recipes
    from meta_course.bench.sine import steps_per_second

    changed = []
    for use_vmap in (True, False):
        learner, sample = recipes.build("maml_sine")
        before = [p.detach().clone() for p in learner.parameters()]
        assert steps_per_second(learner, sample, n_steps=2, meta_batch_size=4, use_vmap=use_vmap) > 0
        changed.append([p.detach() - b for p, b in zip(learner.parameters(), before)])
    assert any(d.abs().max() > 0 for d in changed[0])
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(*changed))
