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
    assert s["k"] == 4 and s["seeds"] >= 3 and s["characters"] >= 20 and len(s["steps"]) >= 3 and s["part"] == "test"
    check_rows(report, {"figr", "scratch", "finetune"}, 4, set(s["steps"]))
    assert all(r["seeds"] == s["seeds"] and r["n_characters"] == s["characters"] for r in report["rows"] if r["method"] != "real")


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
