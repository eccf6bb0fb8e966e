"""``bench generation`` and ``bench metagan``: bad settings are refused with a clear error; ``bench generation``'s
rows have the format lesson 14 and the README read, a tiny run reproduces; lesson 14's explorer loads."""

from __future__ import annotations

import pytest

from meta_course.__main__ import main


@pytest.mark.parametrize("bench", ["generation", "metagan"])
def test_zero_threads_is_refused_with_the_fix(bench, capsys):
    assert main(["bench", bench, "--threads", "0"]) != 0
    err = capsys.readouterr().err
    assert "threads=0" in err and "[1, 1024]" in err and "--threads 1" in err and "Traceback" not in err


def test_generation_refuses_one_generated_drawing(capsys):
    assert main(["bench", "generation", "--n-generated", "1"]) != 0
    assert "n_generated=1" in capsys.readouterr().err


# --------------------------------------------------------------------------- bench generation's rows
ROW_KEYS = {"method", "k", "steps", "recognisability", "diversity", "nearest_shot", "frechet", "ci95"}


def check_rows(report: dict, methods: set, k: int, steps: set) -> None:
    """The row format issue 15 fixes: one row per (method, steps) plus the real drawings' row, each with ci95."""
    import math

    rows = report["rows"]
    assert {r["method"] for r in rows} == methods | {"real"}
    for r in rows:
        assert ROW_KEYS <= set(r), set(r)
        assert r["k"] == k and set(r["ci95"]) == {"recognisability", "diversity", "nearest_shot", "frechet"}
        assert 0 <= r["recognisability"] <= 1 and r["diversity"] >= 0 and r["frechet"] >= -1e-6
        assert all(math.isfinite(v) and v >= 0 for v in r["ci95"].values())
    for m in methods:
        assert {r["steps"] for r in rows if r["method"] == m} == steps
        assert all(0 <= r["collapsed"] <= 1 for r in rows if r["method"] == m)
    assert [r["steps"] for r in rows if r["method"] == "real"] == [None]
    assert {(c["comparison"], c["steps"]) for c in report["comparisons"]} == {
        (f"figr - {b}", s) for b in methods - {"figr"} for s in steps}


def test_committed_generation_results_have_the_row_format():
    from meta_course.bench.generation import load_results

    report = load_results()
    s = report["settings"]
    assert s["k"] == 4 and s["seeds"] >= 1 and s["characters"] == 42 and s["steps"] == [0, 10, 25, 50] and s["part"] == "test"
    check_rows(report, {"figr", "scratch", "finetune"}, 4, set(s["steps"]))
    assert all(r["seeds"] == s["seeds"] and r["n_characters"] == s["characters"] for r in report["rows"] if r["method"] != "real")
    # the equal-diversity comparison: every method read off at the real drawings' diversity after the swept rounds
    assert s["sweep_steps"] and {(r["method"], r["steps"]) for r in report["matched"]} == {
        (m, t) for m in ("figr", "scratch", "finetune") for t in s["sweep_steps"]}
    assert all(0 <= r["recognisability"] <= 1 and r["n_characters"] == 42 for r in report["matched"])
    assert {(c["comparison"], c["steps"]) for c in report["matched_comparisons"]} == {
        (f"figr - {b}", t) for b in ("scratch", "finetune") for t in s["sweep_steps"]}
    # "more stable": the across-seed figures of every row and the paired stability rows, over all (character, seed) runs
    n_seeds = s["seeds"]
    assert n_seeds >= 3 and s["seed_list"] == list(range(n_seeds))
    for r in (r for r in report["rows"] if r["method"] != "real"):
        assert r["collapsed_runs"][1] == 42 * n_seeds and r["collapsed"] == r["collapsed_runs"][0] / r["collapsed_runs"][1]
        assert len(r["seed_means"]["recognisability"]) == n_seeds and set(r["within_character_sd"]) == {
            "recognisability", "diversity"}
    assert {(e["comparison"], e["steps"]) for e in report["stability"]} == {
        (f"figr - {b}", t) for b in ("scratch", "finetune") for t in s["steps"]}
    assert all(len(c["per_seed"]) == n_seeds for c in report["matched_comparisons"])


def test_a_tiny_generation_run_has_the_row_format_and_reproduces(monkeypatch):
    """Two held-out characters, one seed, 0 and 2 rounds, 4 drawings: the same report twice (about 10 s)."""
    import argparse
    import json
    import os
    from pathlib import Path

    from meta_course.bench import generation

    data = Path(os.environ.get("META_COURSE_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data" / "omniglot")
    if not (data / "images_background_small1.zip").exists():
        pytest.skip("offline Omniglot copies not found")
    monkeypatch.setenv("META_COURSE_DATA", str(data))
    parser = argparse.ArgumentParser()
    generation.add_arguments(parser)
    args = parser.parse_args(["--characters", "2", "--seeds", "1", "--steps", "0", "2", "--n-generated", "4"])
    first, second = generation.run(args), generation.run(args)
    check_rows(first, {"figr", "scratch", "finetune"}, 4, {0, 2})
    same = lambda key: json.dumps(first[key], default=str) == json.dumps(second[key], default=str)  # noqa: E731 (NaN-safe)
    assert same("rows") and same("comparisons")


def test_lesson_14_explorer_loads_the_three_starting_points_and_scores_a_frame(monkeypatch):
    """The widget's loader (viz.gan.load_few_shot_explorer): bench generation's three methods, one held-out frame."""
    import os
    from pathlib import Path

    from meta_course.viz.gan import load_few_shot_explorer

    data = Path(os.environ.get("META_COURSE_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data" / "omniglot")
    if not (data / "images_background_small1.zip").exists():
        pytest.skip("offline Omniglot copies not found")
    monkeypatch.setenv("META_COURSE_DATA", str(data))
    explorer = load_few_shot_explorer(n_generated=4, max_steps=4, every=2)
    assert set(explorer.learners) == {"figr", "finetune", "scratch"} and explorer.judge.n_chars == 42
    v = explorer.view(3, k_shot=2, steps=2)
    assert v.shots.shape == (2, 1, 28, 28) and all(x.shape == (4, 1, 28, 28) for x in v.generated.values())
    assert all(0 <= s["recognisability"] <= 1 for s in v.scores.values()) and v.real["diversity"] > 0


# --------------------------------------------------------------------------- equal diversity (latent temperature)
def test_recognisability_is_read_off_at_the_target_diversity_by_interpolation():
    from meta_course.bench.generation import recognisability_at_diversity as at

    points = [(1.0, 2.0, 0.5), (0.0, 0.0, 1.0), (2.0, 4.0, 0.1)]   # (τ, diversity, recognisability), any order
    r, t, reached = at(points, 3.0)
    assert reached and abs(r - 0.3) < 1e-12 and abs(t - 1.5) < 1e-12
    assert at(points, 2.0)[:2] == (0.5, 1.0)
    # non-monotone diversity: the first bracketing segment in order of τ
    assert at([(0.5, 1.0, 0.9), (1.0, 3.0, 0.5), (1.5, 2.0, 0.0)], 2.5)[:2] == (0.6, 0.875)
    # out of reach: the closest point, flagged
    assert at([(0.5, 0.4, 0.8), (1.0, 0.9, 0.6)], 2.3) == (0.6, 1.0, False)


def test_the_latent_temperature_scales_the_same_noise():
    import torch

    from meta_course.recipes import get_recipe
    from meta_course.learners.table import LEARNERS

    recipe = get_recipe("wgan_gp_omniglot")
    gan = LEARNERS[recipe.learner](**recipe.config).eval()
    z1 = gan.latent(5, torch.Generator().manual_seed(0))
    z = gan.latent(5, torch.Generator().manual_seed(0), temperature=0.5)
    assert torch.equal(z, 0.5 * z1)
    x0 = gan.sample(4, torch.Generator().manual_seed(0), temperature=0.0)
    assert torch.equal(x0, x0[:1].expand_as(x0))        # τ = 0: G(0) four times
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="temperature="):
            gan.latent(2, temperature=bad)


def test_a_tiny_sweep_gives_equal_diversity_rows_and_paired_comparisons(monkeypatch):
    """Two characters, one seed, 2 rounds, swept over τ ∈ {0.5, 1, 2}: matched rows for every method and the paired
    FIGR − baseline comparisons (≈ 15 s)."""
    import argparse
    import os
    from pathlib import Path

    from meta_course.bench import generation

    data = Path(os.environ.get("META_COURSE_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data" / "omniglot")
    if not (data / "images_background_small1.zip").exists():
        pytest.skip("offline Omniglot copies not found")
    monkeypatch.setenv("META_COURSE_DATA", str(data))
    parser = argparse.ArgumentParser()
    generation.add_arguments(parser)
    args = parser.parse_args(["--characters", "2", "--seeds", "1", "--steps", "0", "2", "--sweep-steps", "2",
                              "--temperatures", "0.5", "2", "--n-generated", "4"])
    report = generation.run(args)
    check_rows(report, {"figr", "scratch", "finetune"}, 4, {0, 2})
    assert report["temperatures"] == [0.5, 1.0, 2.0] and report["settings"]["sweep_steps"] == [2]
    assert {(r["method"], r["steps"]) for r in report["matched"]} == {(m, 2) for m in ("figr", "scratch", "finetune")}
    assert all(0 <= r["recognisability"] <= 1 and 0 <= r["reached_share"] <= 1 and 0.5 <= r["mean_temperature"] <= 2
               for r in report["matched"])
    assert {c["comparison"] for c in report["matched_comparisons"]} == {"figr - scratch", "figr - finetune"}
    assert {(c["method"], c["temperature"]) for c in report["curves"]} == {
        (m, t) for m in ("figr", "scratch", "finetune") for t in (0.5, 1.0, 2.0)}
    # the τ = 1 point of each curve is the row of the same rounds (the same drawings)
    rows = {(r["method"], r["steps"]): r for r in report["rows"]}
    assert all(abs(c["recognisability"] - rows[c["method"], 2]["recognisability"]) < 1e-12 and
               abs(c["diversity"] - rows[c["method"], 2]["diversity"]) < 1e-12
               for c in report["curves"] if c["temperature"] == 1.0)


def test_bad_temperatures_are_refused(capsys):
    assert main(["bench", "generation", "--temperatures", "-1"]) != 0
    assert "temperatures contains -1.0" in capsys.readouterr().err


# --------------------------------------------------------------------------- bench ring --resume
def test_ring_resume_adds_seeds_without_retraining_the_others(tmp_path, capsys):
    """10 steps per run: seed 0, then --resume with 2 seeds trains only seed 1 and keeps seed 0's runs as they were
    (a fresh 2-seed run gives the same rows: training is seeded)."""
    import json

    snaps, out = tmp_path / "s.pt", tmp_path / "r.json"
    common = ["bench", "ring", "--steps", "10", "--every", "10", "--penalties", "--snapshots", str(snaps)]
    assert main(common + ["--seeds", "1", "--json", str(out)]) == 0
    first = json.loads(out.read_text())
    assert main(common + ["--seeds", "2", "--resume", "--json", str(out)]) == 0
    resumed = json.loads(out.read_text())
    trained = capsys.readouterr().out
    assert [r for r in resumed["runs"] if r["seed"] == 0] == first["runs"] and resumed["paired_modes_diff"]["seeds"] == 2
    fresh_snaps = tmp_path / "fresh.pt"
    assert main(["bench", "ring", "--steps", "10", "--every", "10", "--penalties", "--snapshots", str(fresh_snaps),
                 "--seeds", "2", "--json", str(out)]) == 0
    fresh = json.loads(out.read_text())
    strip = lambda runs: [{k: v for k, v in r.items() if k != "seconds"} for r in runs]  # noqa: E731
    assert strip(fresh["runs"]) == strip(resumed["runs"]) and "seed 1" in trained
    with pytest.raises(ValueError, match="does not exist"):
        import argparse

        from meta_course.bench import ring
        parser = argparse.ArgumentParser()
        ring.add_arguments(parser)
        ring.run(parser.parse_args(["--resume", "--snapshots", str(tmp_path / "missing.pt")]))
