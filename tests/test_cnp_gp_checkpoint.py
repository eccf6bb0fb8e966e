"""The committed GP-trained CNP: better than its untrained start, never better than the exact posterior."""

import json

import pytest
import torch

from meta_course import recipes
from meta_course.__main__ import main
from meta_course.bench.gp import gp_rows, trained_family
from meta_course.checkpoints import checkpoint_path
from meta_course.evaluate import mean_ci95
from meta_course.learners import load_learner
from meta_course.learners.memory.cnp import gaussian_nll


@pytest.fixture(scope="module")
def cnp_gp():
    return load_learner(checkpoint_path("cnp_gp")).eval()


def paired_upper(a, b) -> float:
    mean, ci = mean_ci95(a - b)
    return mean + ci


def test_checkpoint_is_small_and_rebuilds_from_its_recipe():
    path = checkpoint_path("cnp_gp")
    assert path.stat().st_size <= 2_000_000
    learner, recipe = load_learner(path), recipes.get_recipe("cnp_gp")
    assert learner.name == recipe.learner == "cnp"
    assert {k: v for k, v in learner.config.items() if k in recipe.config} == recipe.config


def test_gp_cnp_beats_its_untrained_start_but_not_the_exact_posterior(cnp_gp):
    family = trained_family()
    tasks = family.sample(torch.Generator().manual_seed(31337), 300, k_shot=5, n_query=50)
    post = family.posterior(tasks.x_support, tasks.y_support, tasks.x_query)
    oracle = gaussian_nll(tasks.y_query, post.mean, post.std).flatten(1).mean(1)
    with torch.no_grad():
        trained = cnp_gp.score(tasks, metric="nll")
        start, _ = recipes.build("cnp_gp", seed=0)
        untrained = start.eval().score(tasks, metric="nll")
    assert paired_upper(trained, untrained) < 0
    # the exact posterior is the best predictor there is: a CNP "beating" it would reveal a bug in either
    mean, ci = mean_ci95(trained - oracle)
    assert mean - ci > 0


def test_gp_cnp_reads_its_context_and_stays_near_the_exact_posterior(cnp_gp):
    """Paired over 300 held-out tasks at K = 10: the CNP beats the GP prior (what a predictor that ignores
    the context can do at best) by a wide margin, and its gap to the exact posterior is below 0.25 nats
    per point (measured 0.20 ± 0.01 by `bench gp`)."""
    family = trained_family()
    tasks = family.sample(torch.Generator().manual_seed(4242), 300, k_shot=10, n_query=50)
    post = family.posterior(tasks.x_support, tasks.y_support, tasks.x_query)
    oracle = gaussian_nll(tasks.y_query, post.mean, post.std).flatten(1).mean(1)
    prior_std = torch.tensor(family.variance + family.noise ** 2).sqrt()
    prior = gaussian_nll(tasks.y_query, torch.zeros(()), prior_std).flatten(1).mean(1)
    with torch.no_grad():
        trained = cnp_gp.score(tasks, metric="nll")
    assert paired_upper(trained, prior) < -0.5
    assert paired_upper(trained, oracle) < 0.25


def test_bench_gp_json_rows_reproduce_gp_rows(tmp_path, cnp_gp, capsys):
    out = tmp_path / "gp.json"
    assert main(["bench", "gp", "--tasks", "50", "--n-query", "20", "--k-shots", "3", "10", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    methods = ("cnp", "oracle", "gap", "anp", "anp_gap", "anp_vs_cnp")
    assert {(r["method"], r["k_shot"]) for r in rows} == {(m, k) for m in methods for k in (3, 10)}
    expected = gp_rows(cnp_gp, trained_family(), 50, 20, 2026, (3, 10),
                       attentive=load_learner(checkpoint_path("anp_gp")).eval())
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected):
        assert got["method"] == want["method"] and got["nll"] == pytest.approx(want["nll"])
    gap = next(r for r in rows if r["method"] == "gap" and r["k_shot"] == 10)
    cnp, oracle = (next(r for r in rows if r["method"] == m and r["k_shot"] == 10) for m in ("cnp", "oracle"))
    assert gap["nll"] == pytest.approx(cnp["nll"] - oracle["nll"])
    assert "gap (paired)" in capsys.readouterr().out
    # without an attentive learner, gp_rows gives the CNP's three rows per K alone
    assert [r["method"] for r in gp_rows(cnp_gp, trained_family(), 10, 5, 2026, (3,))] == ["cnp", "oracle", "gap"]


