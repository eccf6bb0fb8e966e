"""``bench generation`` split into parts (``--seed-offset``, ``--first-character``) and pooled (``--merge``): the
pooled report equals the report of one run over the whole grid, the across-seed figures equal hand computations,
and parts that cannot be pooled are refused with the reason. Synthetic runs: no model, well under a second."""

from __future__ import annotations

import json
import math

import pytest
import torch

from meta_course.bench.generation import COLLAPSE, merge_records, summarise

SETTINGS = {"k": 4, "steps": [0, 5], "part": "test", "n_generated": 6, "n_way": 20, "classifier": "c",
            "collapse_threshold": COLLAPSE, "temperatures": [0.5, 1.0], "sweep_steps": [5], "methods": ["figr", "scratch"]}


def fake_runs(seeds, chars, methods=("figr", "scratch")) -> list[dict]:
    """Records shaped like generation_runs's, each (method, seed, character) with its own seeded numbers."""
    out = []
    for seed in seeds:
        for c in chars:
            for i, m in enumerate(methods):
                g = torch.Generator().manual_seed(1000 * seed + 10 * c + i)
                real_div = 2.0 + 0.1 * c
                for s in (0, 5):
                    for tau in ((0.5, 1.0) if s == 5 else (1.0,)):
                        u = torch.rand(3, generator=g).tolist()
                        r = {"method": m, "seed": seed, "character": c, "steps": s, "temperature": tau,
                             "recognisability": round(u[0], 3), "diversity": tau * (0.2 + 3 * u[1]),
                             "nearest_shot": 1 + u[2], "real_recognisability": 0.9, "real_diversity": real_div,
                             "real_nearest_shot": 1.5}
                        if tau == 1.0:
                            r.update(z_generated=torch.randn(6, 3, generator=g), z_real=torch.randn(5, 3, generator=g),
                                     z_prototype_drawings=torch.randn(8, 3, generator=g))
                        out.append(r)
    return out


def part(seeds, chars, **extra) -> dict:
    return {"settings": {**SETTINGS, "seeds": len(seeds), "seed_list": list(seeds), "characters": len(chars),
                         "seconds": 7, **extra}, "records": fake_runs(seeds, chars)}


def dump(report) -> str:
    return json.dumps(report, default=str, sort_keys=True)


def test_parts_split_by_seed_and_by_character_pool_into_the_whole_runs_report():
    whole = summarise(fake_runs((0, 1, 2), (0, 1, 2, 3)), 4)
    parts = [part((0,), (0, 1)), part((0,), (2, 3), first_character=2), part((1, 2), (0, 1, 2, 3))]
    records, settings = merge_records(parts)
    assert dump(summarise(records, 4)) == dump(whole)
    assert settings["seed_list"] == [0, 1, 2] and settings["seeds"] == 3 and settings["characters"] == 4
    assert settings["seconds"] == 21 and "first_character" not in settings
    # the order of the parts does not matter
    assert dump(summarise(merge_records(parts[::-1])[0], 4)) == dump(whole)


def test_across_seed_figures_equal_hand_computations():
    records = fake_runs((0, 1, 2), (0, 1, 2, 3))
    report = summarise(records, 4)
    row = next(r for r in report["rows"] if r["method"] == "scratch" and r["steps"] == 5)
    runs = [r for r in records if r["method"] == "scratch" and r["steps"] == 5 and r["temperature"] == 1.0]
    by_seed = [sum(r["recognisability"] for r in runs if r["seed"] == s) / 4 for s in (0, 1, 2)]
    assert row["seed_means"]["recognisability"] == pytest.approx(by_seed)
    mean = sum(by_seed) / 3
    assert row["recognisability_seed_sd"] == pytest.approx(math.sqrt(sum((v - mean) ** 2 for v in by_seed) / 2))
    sds = []
    for c in range(4):
        v = [r["diversity"] for r in runs if r["character"] == c]
        sds.append(math.sqrt(sum((x - sum(v) / 3) ** 2 for x in v) / 2))
    assert row["within_character_sd"]["diversity"] == pytest.approx(sum(sds) / 4)
    n = sum(r["diversity"] < COLLAPSE * r["real_diversity"] for r in runs)
    assert row["collapsed_runs"] == [n, 12] and row["collapsed"] == pytest.approx(n / 12)
    # paired per character: FIGR's collapsed share minus scratch's
    figr = [r for r in records if r["method"] == "figr" and r["steps"] == 5 and r["temperature"] == 1.0]
    share = lambda rs, c: sum(r["diversity"] < COLLAPSE * r["real_diversity"] for r in rs if r["character"] == c) / 3  # noqa: E731
    stab = next(e for e in report["stability"] if e["comparison"] == "figr - scratch" and e["steps"] == 5)
    assert stab["collapsed_diff"] == pytest.approx(sum(share(figr, c) - share(runs, c) for c in range(4)) / 4)
    # at equal diversity: the per-seed differences average to the pooled one (every seed covers every character)
    eq = next(c for c in report["matched_comparisons"] if c["comparison"] == "figr - scratch")
    assert len(eq["per_seed"]) == 3 and sum(eq["per_seed"]) / 3 == pytest.approx(eq["recognisability_diff"])


def test_one_seed_has_no_across_seed_spread():
    row = summarise(fake_runs((0,), (0, 1, 2)), 4)["rows"][0]
    assert math.isnan(row["recognisability_seed_sd"]) and math.isnan(row["diversity_seed_sd"])
    assert "within_character_sd" not in row and len(row["seed_means"]["diversity"]) == 1


@pytest.mark.parametrize("parts, words", [
    ([], ["no parts"]),
    ([part((0,), (0, 1)), part((0, 1), (1,))], ["repeats", "(0, 1)", "--seed-offset"]),
    ([part((0,), (0, 1)), part((1,), (0,))], ["miss", "(1, 1)", "same characters"]),
    ([part((0,), (0,)), part((1,), (0,), n_generated=32)], ["other settings", "n_generated", "32"]),
])
def test_parts_that_cannot_be_pooled_are_refused_with_the_reason(parts, words):
    with pytest.raises(ValueError) as e:
        merge_records(parts)
    assert all(w in str(e.value) for w in words), str(e.value)


def test_the_merge_flag_pools_saved_files(tmp_path):
    import argparse

    from meta_course.bench import generation

    a, b = tmp_path / "a.pt", tmp_path / "b.pt"
    for path, p in ((a, part((0,), (0, 1))), (b, part((1,), (0, 1)))):
        generation.save_records(path, p["records"], p["settings"])
    parser = argparse.ArgumentParser()
    generation.add_arguments(parser)
    report = generation.run(parser.parse_args(["--merge", str(a), str(b)]))
    assert dump({k: v for k, v in report.items() if k != "settings"}) == dump(summarise(fake_runs((0, 1), (0, 1)), 4))
    assert report["settings"]["seed_list"] == [0, 1]
    with pytest.raises(FileNotFoundError, match="--records"):
        generation.run(parser.parse_args(["--merge", str(a), str(tmp_path / "missing.pt")]))
