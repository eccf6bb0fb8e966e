"""Headline figures that a lesson or the README states from a committed table, recomputed by the code that wrote
them (the audit of every such figure, and which test or lesson cell recomputes it, is ``tests/AUDIT.md``).

Each test reproduces a sampled row with the committed seed and protocol — exactly where the row is deterministic,
within its 95% CI where only a sample of its tasks is affordable here — so a committed table (or a README number)
that drifts from the code fails here instead of being restated by a lesson. Every test takes seconds.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "meta_course" / "bench" / "results"
README = (ROOT / "README.md").read_text(encoding="utf-8")
DATA = Path(os.environ.get("META_COURSE_DATA") or ROOT.parent / "shared" / "data" / "omniglot")
needs_data = pytest.mark.skipif(not (DATA / "images_background_small1.zip").exists(),
                                reason=f"offline Omniglot copies not found in {DATA}")

pytestmark = pytest.mark.usefixtures("one_thread")


def _results(name: str) -> dict:
    return json.loads((RESULTS / f"{name}.json").read_text())


def _learner(recipe: str):
    from meta_course.checkpoints import checkpoint_path
    from meta_course.learners import load_learner

    return load_learner(checkpoint_path(recipe), device="cpu").eval()


def readme_row(section: str, first_cell: str) -> list[str]:
    """The cells of the README table row under heading ``section`` (a prefix) whose first cell starts with
    ``first_cell`` — the figures as the README states them."""
    start = README.index(f"### {section}")
    end = README.find("\n### ", start + 4)
    for line in README[start:end if end > 0 else None].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].startswith(first_cell):
            return cells
    raise AssertionError(f"no row {first_cell!r} in README section {section!r}")


def shown(x: float, digits: int) -> float:
    """``x`` as a table prints it with ``digits`` decimals (string formatting, as the benches print)."""
    return float(f"{x:.{digits}f}")


def figures(cell: str) -> list[float]:
    """The numbers of a README cell, e.g. '**0.090 ± 0.009**' → [0.09, 0.009]; '−5.13' → [-5.13]."""
    return [float(x) for x in re.findall(r"[-+]?\d+(?:\.\d+)?", cell.replace("−", "-"))]


# -- lesson 13 / README "GANs on the ring" (bench ring; ring.json, ring_snapshots.pt) -----------------------------------
def test_ring_seed0_rows_are_the_committed_checkpoints():
    """The committed gan_ring / wgan_gp_ring are the seed-0 runs: their generators, measured as the bench measures
    (2 000 samples of the bench's fixed noise), give the seed-0 rows exactly."""
    from meta_course.bench.ring import N_EVAL, RECIPES
    from meta_course.recipes import get_recipe
    from meta_course.tasks.ring import RingMixture, mode_report

    bench = _results("ring")
    for method, recipe in RECIPES.items():
        row = next(r for r in bench["runs"] if r["method"] == method and r["seed"] == 0
                   and r["penalty_weight"] == get_recipe(recipe).config.get("penalty_weight"))
        learner = _learner(recipe)
        ring = RingMixture(**{k: v for k, v in get_recipe(recipe).task_args.items() if k != "batch_size"})
        z = torch.randn(N_EVAL, learner.z_dim, generator=torch.Generator().manual_seed(12345))
        with torch.no_grad():
            rep = mode_report(learner.generator(z), ring)
        assert rep.modes_covered == row["final_modes"] == 8, method
        assert rep.high_quality == pytest.approx(row["final_high_quality"], abs=1e-6), method


def test_ring_table_rows_and_paired_difference_follow_from_the_runs():
    """The table's means ± CI, and the paired WGAN-GP − GAN figure, are the committed runs' (and the runs' summaries
    are their snapshot curves')."""
    from meta_course.bench.ring import run_summary
    from meta_course.evaluate import mean_ci95

    bench = _results("ring")
    snaps = torch.load(RESULTS / "ring_snapshots.pt", weights_only=True)
    for run in bench["runs"]:
        curve = dict(snaps[f"{run['method']}|{run['penalty_weight']}|{run['seed']}"], seconds=run["seconds"])
        summary = run_summary(curve)
        assert {k: summary[k] for k in run if k in summary} == pytest.approx({k: run[k] for k in summary}), run
    lam = {"gan": None, "wgan-gp": 0.1}
    for row in bench["rows"]:
        base = [r for r in bench["runs"] if r["method"] == row["method"] and r["penalty_weight"] == lam[row["method"]]]
        assert len(base) == row["seeds"] == bench["settings"]["seeds"]
        for key, ci in row["ci95"].items():
            mean, half = mean_ci95(torch.tensor([float(r[key]) for r in base]))
            assert (row[key], ci) == pytest.approx((mean, half)), (row["method"], key)
    # README: "minimax GAN | 5.33 ± 2.61 (8, 4, 4)" and "WGAN-GP ... 8.00 ± 0.00 (8, 8, 8)"
    gan = figures(readme_row("GANs on the ring", "minimax GAN")[1])
    assert gan == pytest.approx([shown(bench["rows"][0]["final_modes"], 2), shown(bench["rows"][0]["ci95"]["final_modes"], 2),
                                 *[r["final_modes"] for r in bench["runs"] if r["method"] == "gan"]])
    paired = bench["paired_modes_diff"]
    assert figures(README.split("Paired WGAN-GP − GAN (modes, mean over the second half): ")[1][:14])[:2] == \
        pytest.approx([shown(paired["mean"], 2), shown(paired["ci95"], 2)])


def test_ring_collapse_of_gan_seed_2_is_retrained_exactly():
    """The collapsing run itself, retrained: GAN seed 2's first 1 250 steps give the committed snapshots bit for bit —
    the same modes at every measurement (4 modes from step 1 250, where it stays) and the same samples (~5 s of CPU)."""
    from meta_course.bench.ring import train_with_snapshots

    kept = torch.load(RESULTS / "ring_snapshots.pt", weights_only=True)["gan|None|2"]
    curve = train_with_snapshots("gan_ring", seed=2, steps=1250, every=250)
    n = len(curve["step"])
    assert curve["step"] == kept["step"][:n] == [0, 250, 500, 750, 1000, 1250]
    assert curve["modes"] == kept["modes"][:n] and curve["modes"][-1] == 4 == min(kept["modes"][n - 1:])
    assert torch.equal(torch.stack(curve["samples"]), kept["samples"][:n])


# -- lesson 14 / README "Few-shot generation" (bench generation; generation.json) --------------------------------------
@needs_data
def test_generation_figr_row_before_adaptation_and_the_real_row_are_recomputed_exactly(monkeypatch):
    """The committed protocol (its settings: held-out characters, K = 4, 32 drawings, the same judge) at 0 rounds,
    sampled at seed 0: FIGR's and the real drawings' seed-0 figures come out as committed (≈ 0.25 s of CPU per judged
    episode; the other seeds and the two baselines' 0-round rows, also exact, take 3× each). The adapted rows: from
    sampled runs, in the generation test at the end of this file; tests/test_gan_bench.py checks that a tiny run of it is
    deterministic and tests/test_gan_bench_merge.py that seeds run apart pool into one run's report."""
    from meta_course.bench.generation import CLASSIFIER, generation_runs, summarise
    from meta_course.learners.generative.metrics import GenerationJudge
    from meta_course.tasks.omniglot import omniglot_split

    monkeypatch.setenv("META_COURSE_DATA", str(DATA))
    bench = _results("generation")
    s = bench["settings"]
    seed0 = s.get("seed_list", list(range(s["seeds"]))).index(0)
    judge = GenerationJudge(_learner(CLASSIFIER), omniglot_split("minimal", s["part"]), n_way=s["n_way"])
    records = generation_runs(judge, ["figr"], (0,), s["k"], 1, s["characters"], s["n_generated"], progress=False)
    fresh = {(r["method"], r["steps"]): r for r in summarise(records, s["k"])["rows"]}
    committed = {(r["method"], r["steps"]): r for r in bench["rows"]}
    for key in (("figr", 0), ("real", None)):
        got, want = fresh[key], committed[key]["seed_means"]
        for name in ("recognisability", "diversity", "nearest_shot", "frechet"):
            assert got[name] == pytest.approx(want[name][seed0], rel=1e-4, abs=1e-6), (key, name)
    # the README's real row: recognisability ± CI, diversity, nearest shot, Fréchet ± CI (over all the seeds)
    real = figures(" ".join(readme_row("Few-shot generation", "real drawings")[1:5]))
    r = committed[("real", None)]
    assert real == pytest.approx([shown(r["recognisability"], 3), shown(r["ci95"]["recognisability"], 3),
                                  shown(r["diversity"], 2), shown(r["nearest_shot"], 2), shown(r["frechet"], 2),
                                  shown(r["ci95"]["frechet"], 2)])


# -- lesson 14 / README "MetaGAN" (bench metagan; metagan.json) --------------------------------------------------------
@needs_data
def test_metagan_costs_accuracy_on_a_sample_of_the_benchmarks_episodes(monkeypatch):
    """The first 200 of the table's 600 seeded 5-way 1-shot episodes: MetaGAN − ProtoNet is negative beyond its CI
    (the README's headline), and each figure agrees with the committed one within the two CIs."""
    from meta_course.bench.metagan import PAIRS, per_episode_accuracy
    from meta_course.bench.omniglot import heldout_episodes
    from meta_course.evaluate import mean_ci95

    monkeypatch.setenv("META_COURSE_DATA", str(DATA))
    bench = _results("metagan")
    s = bench["settings"]
    n = 200
    episodes = heldout_episodes(5, 1, s["episodes"], s["q_query"], s["seed"])
    sample = type(episodes)(*(t[:n] for t in episodes))
    # every committed training seed's pair, each episode's accuracy averaged over the seeds (as the bench pools)
    accs = [[per_episode_accuracy(_learner(name), sample) for name in PAIRS[int(seed)]] for seed in s["pairs"]]
    proto, gan = (torch.stack([a[i] for a in accs]).mean(0) for i in (0, 1))
    diff, ci = (100 * v for v in mean_ci95(gan - proto))
    assert diff + ci < 0, (diff, ci)
    pooled = next(c for c in bench["comparisons"] if c["setting"] == "5w1s" and c["seed"] == "pooled")
    assert abs(diff - pooled["diff"]) < ci + pooled["ci95"], (diff, ci, pooled)
    for seed, (p, g) in zip(s["pairs"], accs):  # each training seed's pair, as the README's last row states it
        d, c = (100 * v for v in mean_ci95(g - p))
        want = next(x for x in bench["comparisons"] if x["setting"] == "5w1s" and str(x["seed"]) == seed)
        assert d + c < 0 and abs(d - want["diff"]) < c + want["ci95"], (seed, d, c, want)
    for acc, method in ((proto, "protonet"), (gan, "protonet+gan")):
        row = next(r for r in bench["rows"] if r["method"] == method and r["setting"] == "5w1s")
        mean, half = (100 * v for v in mean_ci95(acc))
        assert abs(mean - row["accuracy"]) < half + row["ci95"], (method, mean, half, row)
    # the README quotes the committed pooled difference
    assert figures(readme_row("MetaGAN", "paired MetaGAN − ProtoNet")[1]) == \
        pytest.approx([shown(pooled["diff"], 2), shown(pooled["ci95"], 2)])



@needs_data
@pytest.mark.parametrize("n_way, k_shot", [(5, 5), (20, 1)])
def test_metagan_other_settings_on_a_sample_of_the_benchmarks_episodes(monkeypatch, n_way, k_shot):
    """5-way 5-shot and 20-way 1-shot, the first 40 of the table's 600 seeded episodes each, both training seeds'
    pairs: each seed's paired cost of the adversary, the pooled one (each episode averaged over the seeds, as the bench
    pools) and both pooled accuracies agree with the committed figures within the two CIs, and every paired cost is
    negative beyond its CI."""
    from meta_course.bench.metagan import PAIRS, per_episode_accuracy
    from meta_course.bench.omniglot import heldout_episodes
    from meta_course.evaluate import mean_ci95

    monkeypatch.setenv("META_COURSE_DATA", str(DATA))
    bench = _results("metagan")
    s, setting = bench["settings"], f"{n_way}w{k_shot}s"
    episodes = heldout_episodes(n_way, k_shot, s["episodes"], s["q_query"], s["seed"])
    sample = type(episodes)(*(t[:40] for t in episodes))
    accs = {seed: [per_episode_accuracy(_learner(name), sample) for name in PAIRS[int(seed)]] for seed in s["pairs"]}
    proto, gan = (torch.stack([a[i] for a in accs.values()]).mean(0) for i in (0, 1))
    committed = {str(c["seed"]): c for c in bench["comparisons"] if c["setting"] == setting}
    for seed, (p, g) in [*accs.items(), ("pooled", (proto, gan))]:
        diff, ci = (100 * v for v in mean_ci95(g - p))
        want = committed[seed]
        assert diff + ci < 0 and abs(diff - want["diff"]) < ci + want["ci95"], (seed, diff, ci, want)
    for acc, method in ((proto, "protonet"), (gan, "protonet+gan")):
        row = next(r for r in bench["rows"] if r["method"] == method and r["setting"] == setting)
        mean, half = (100 * v for v in mean_ci95(acc))
        assert abs(mean - row["accuracy"]) < half + row["ci95"], (method, mean, half, row)
        column = readme_row("MetaGAN", "ProtoNet + MetaGAN" if method == "protonet+gan" else "ProtoNet")
        assert figures(column[1 + ("5w1s", "5w5s", "20w1s").index(setting)]) == \
            pytest.approx([shown(row["accuracy"], 2), shown(row["ci95"], 2)])
    # the README's two paired rows for this setting: pooled, then seed 0 / seed 1
    cell = readme_row("MetaGAN", "paired MetaGAN − ProtoNet")[1 + ("5w1s", "5w5s", "20w1s").index(setting)]
    assert figures(cell) == pytest.approx([shown(committed["pooled"]["diff"], 2), shown(committed["pooled"]["ci95"], 2)])
    cell = readme_row("MetaGAN", "paired, training seed 0 / seed 1")[1 + ("5w1s", "5w5s", "20w1s").index(setting)]
    assert figures(cell) == pytest.approx([shown(committed[k][v], 2) for k in ("0", "1") for v in ("diff", "ci95")])


# -- lesson 16 / README "Cold-start recommendation" (bench recommendation; recommendation.json) -----------------------
def test_recommendation_table_is_recomputed_exactly():
    """Every row, K = 1, 3, 5, 10 (at K = 1 MAML's 5 steps overfit and the global model wins; K = 10 is MAML's best
    row): every figure as committed (same 1 000 users, seed 2026), and MAML's K = 10 row as the README prints it."""
    from meta_course.bench.recommendation import bench_rows, load_recommenders

    bench = _results("recommendation")
    ks = sorted({r["k_shot"] for r in bench["rows"]})
    assert ks == [1, 3, 5, 10]
    fresh = bench_rows(load_recommenders(), bench["users"], ks, bench["n_query"], bench["k"], bench["seed"])
    committed = {(r["k_shot"], r["method"]): r for r in bench["rows"]}
    assert len(fresh) == len(bench["rows"]) == 12
    for row in fresh:
        want = committed[row["k_shot"], row["method"]]
        assert row.keys() == want.keys() and row["users"] == want["users"]
        numbers = [k for k in row if k not in ("k_shot", "method", "users")]
        assert [row[k] for k in numbers] == pytest.approx([want[k] for k in numbers], rel=1e-9), (row["k_shot"], row["method"])
    rows = {(r["k_shot"], r["method"]): r for r in fresh}
    assert rows[1, "global model"]["maml_minus_mae"] > 0 and rows[10, "MAML"]["mae"] < rows[1, "MAML"]["mae"]
    section = README[README.index("### Cold-start recommendation"):]
    line = next(l for l in section.splitlines() if l.startswith("| 10 | MAML |"))
    m = rows[10, "MAML"]
    assert figures(line.split("|", 3)[3]) == pytest.approx([shown(m["mae"], 3), shown(m["mae_ci95"], 3),
                                                            shown(m["ndcg"], 3), shown(m["ndcg_ci95"], 3)])


# -- lesson 11 / README "Bernoulli bandits" (bench bandits; bandits.json) ----------------------------------------------
def test_bandit_table_is_recomputed_exactly():
    """The whole bench (k = 5, 10 × n = 10, 100; every method, tuning included; the committed 2 000 trials and seed,
    ≈ 9 s of CPU): every row as committed — RL² within 2% of Gittins at n = 10 and ≥ UCB1 − 2% at n = 100 rest on
    them — and RL²'s as the README prints them."""
    import argparse

    from meta_course.bench import bandits

    bench = _results("bandits")
    parser = argparse.ArgumentParser()
    bandits.add_arguments(parser)
    report = bandits.run(parser.parse_args(["--trials", str(bench["trials"]), "--seed", str(bench["seed"])]))
    committed = {(r["method"], r["k"], r["n"]): r for r in bench["rows"]}
    assert len(report["rows"]) == len(bench["rows"]) == 34
    for row in report["rows"]:
        want = committed[row["method"], row["k"], row["n"]]
        numbers = [k for k, v in want.items() if isinstance(v, float) and k != "seconds"]
        assert [row[k] for k in numbers] == pytest.approx([want[k] for k in numbers], rel=1e-9), row["method"]
    rl2 = readme_row("Bernoulli bandits", "**RL²**")
    for cell, k, n in ((rl2[1], 5, 10), (rl2[2], 10, 10), (rl2[3], 5, 100), (rl2[4], 10, 100)):
        r = committed["rl2", k, n]
        assert figures(cell)[:2] == pytest.approx([shown(r["mean_total_reward"], 2), shown(r["ci95"], 2)])


# -- lesson 09 / README "The copy task" (bench copy; copy.json) --------------------------------------------------------
def test_copy_table_is_recomputed_exactly():
    """NTM, DNC and LSTM on the committed 200 sequences of lengths 2, 5, 10 and 20: every row and paired difference
    as committed (the targets "≤ 0.5 wrong bits at length 10" and "far below the LSTM at 20" rest on them), and the
    README's rows at 10 and 20."""
    from meta_course.bench.memory import COPY_METHODS, _load, copy_errors
    from meta_course.evaluate import mean_ci95

    bench = _results("copy")
    lengths = sorted({r["length"] for r in bench["rows"]})
    assert lengths == [2, 5, 10, 20]
    errors = copy_errors({n: _load(r) for n, r in COPY_METHODS.items()}, lengths, bench["sequences"], bench["seed"])
    for row in bench["rows"]:
        assert list(mean_ci95(errors[row["method"], row["length"]])) == pytest.approx([row["bit_errors"], row["ci95"]],
                                                                                      abs=1e-9), row
    for p in bench["paired"]:
        diff = errors[p["method"], p["length"]] - errors["lstm", p["length"]]
        assert list(mean_ci95(diff)) == pytest.approx([p["minus_lstm"], p["ci95"]], abs=1e-9), p
    for length, first in ((10, "10 (longest trained)"), (20, "20 (2×)")):
        cells = readme_row("The copy task", first)
        stated = [figures(c)[:2] for c in cells[1:6]]
        got = [mean_ci95(errors[n, length]) for n in ("ntm", "dnc", "lstm")] + \
              [mean_ci95(errors[n, length] - errors["lstm", length]) for n in ("ntm", "dnc")]
        # to the printed precision: the README rounds half away from zero (−5.595 → −5.60)
        assert stated == [pytest.approx([m, c], abs=0.005 + 1e-9) for m, c in got], length
    # "at length 20, 13 of 200 sequences have errors: 12 with 1–2 wrong bits, one with 87"
    ntm = errors["ntm", 20]
    assert ((ntm > 0).sum(), ((ntm > 0) & (ntm <= 2)).sum(), ntm.max()) == (13, 12, 87)
    assert "at length 20, 13 of 200 sequences have errors: 12 with 1–2 wrong bits, one with 87" in README.replace("\n", " ")


# -- lesson 08 / README "MANN vs LSTM" (bench mann; the table is in the README only) -----------------------------------
@needs_data
def test_mann_and_lstm_accuracy_by_instance_agree_with_the_readme_on_the_first_250_episodes(monkeypatch):
    """`bench mann` draws its 1 000 episodes in chunks of 250 from one seeded generator, so the first chunk is
    exactly its first 250 episodes: on them, each figure of the README's table (accuracy at instances 1, 2, 3, 4, 5
    and 10, and the paired MANN − LSTM at each) lies within the two CIs, and MANN − LSTM from the 2nd sight on is
    positive beyond its CI."""
    from meta_course.bench.memory import INSTANCES, MANN_METHODS, _load, mann_accuracies
    from meta_course.evaluate import mean_ci95

    monkeypatch.setenv("META_COURSE_DATA", str(DATA))
    acc = mann_accuracies({n: _load(r) for n, r in MANN_METHODS.items()}, episodes=250, seed=2026)
    header = [int(c) for c in readme_row("MANN vs LSTM", "instance")[1:]]
    assert tuple(header) == INSTANCES
    for name, first in (("mann", "MANN (ours"), ("lstm", "LSTM (ours")):
        stated = [figures(c) for c in readme_row("MANN vs LSTM", first)[1:]]
        for j, k in enumerate(INSTANCES):
            mean, ci = (100 * v for v in mean_ci95(acc[name][:, j]))
            assert abs(mean - stated[j][0]) < ci + stated[j][1], (name, k, mean, ci, stated[j])
    # the paired row at every instance (the target "clearly above the LSTM" quotes the 2nd and the 10th)
    stated = [figures(c) for c in readme_row("MANN vs LSTM", "MANN − LSTM")[1:]]
    for j, k in enumerate(INSTANCES):
        diff, ci = (100 * v for v in mean_ci95(acc["mann"][:, j] - acc["lstm"][:, j]))
        assert abs(diff - stated[j][0]) < ci + stated[j][1], (k, diff, ci, stated[j])
        assert k == 1 or diff - ci > 0, (k, diff, ci)
    # "far below the 45.7 % of a learner that avoids the labels already taken" (the bound, and a simulation of it)
    from meta_course.lessons.exercises_memory import first_instance_bound

    assert f"{100 * first_instance_bound(5):.1f} % of a learner that avoids the labels already taken" in README
    assert abs(first_instance_bound(5, episodes=5000) - first_instance_bound(5)) < 0.01


# -- lesson 12 / README "2-D navigation" (bench navigation; navigation.json) -------------------------------------------
def test_navigation_table_is_recomputed_exactly():
    """The committed 200 goals and seeds, every row: MAML-RL and the pretrained policy after 0–3 inner steps (MAML-RL
    is best after its one meta-trained step), the random policies, PEARL's five episodes for each z-sampling rule
    (once per episode, every 1 / 5 / 10 steps), every paired comparison (MAML-RL 1 step − 0 steps, MAML-RL − pretrained)
    and PEARL's goal-found shares (within 3 episodes: 24%, the 80% target not met) — as committed, and as the README
    states them (≈ 15 s of CPU). The exact- and prior-posterior explorers' shares, committed on 20 000 goals (≈ 4 min of
    CPU), are recomputed on the first 200 of those goals: their Wilson intervals overlap the committed ones."""
    from meta_course.bench.navigation import (DENSE_RECIPES, SPARSE_RECIPES, comparisons, dense_rows, found_within,
                                              load, sparse_rows)

    bench = _results("navigation")
    steps = max(r["adaptation"] for r in bench["rows"] if r["task"] == "dense")
    episodes = 1 + max(r["adaptation"] for r in bench["rows"] if r["task"] == "sparse")
    rules = sorted({r["resample_every"] for r in bench["rows"] if "resample_every" in r})
    assert (steps, episodes, rules) == (3, 5, [0, 1, 5, 10])
    rows_d, per_d = dense_rows({m: load(r) for m, r in DENSE_RECIPES.items()}, bench["tasks"], bench["seed"], steps)
    rows_s, per_s = sparse_rows(load(SPARSE_RECIPES["pearl"]), bench["tasks"], bench["seed"], episodes, rules)
    key = lambda r: (r["method"], r["task"], r["adaptation"], r.get("resample_every", 0))  # noqa: E731
    fresh = {key(r): r for r in rows_d + rows_s}
    assert fresh.keys() == {key(r) for r in bench["rows"]}
    for want in bench["rows"]:
        numbers = [k for k in want if k not in ("method", "task", "adaptation", "resample_every")]
        assert [fresh[key(want)][k] for k in numbers] == pytest.approx([want[k] for k in numbers], rel=1e-6), want
    comp = comparisons(per_d, per_s)
    assert [c["comparison"] for c in comp] == [c["comparison"] for c in bench["comparisons"]]
    for got, c in zip(comp, bench["comparisons"]):
        keys = [k for k in c if isinstance(c[k], float)]
        assert [got[k] for k in keys] == pytest.approx([c[k] for k in keys], rel=1e-6), c["comparison"]
    committed = {(f["method"], f["z_sampled"], f["episodes"]): f for f in bench["found_within"]}
    found = found_within(per_s, episodes, bench["seed"], rules)  # the explorers on PEARL's 200 goals
    assert {(f["method"], f["z_sampled"], f["episodes"]) for f in found} == committed.keys()
    for f in found:
        want = committed[f["method"], f["z_sampled"], f["episodes"]]
        if f["method"] == "pearl":
            assert [f["found"], *f["wilson95"]] == pytest.approx([want["found"], *want["wilson95"]]), f
        else:
            (lo, hi), (w_lo, w_hi) = f["wilson95"], want["wilson95"]
            assert lo <= w_hi and w_lo <= hi, (f, want)
    # the README: the two dense rows, the paired headlines, PEARL's rows and its goal-found share
    row = {(r["method"], r["adaptation"]): r for r in rows_d}
    for method, first in (("maml-rl", "MAML-RL (`maml_rl_nav`)"), ("pretrained", "pretrained, fine-tuned")):
        cells = readme_row("2-D navigation", first)
        assert [figures(c) for c in cells[1:5]] == [
            pytest.approx([row[method, s]["mean_return"], row[method, s]["ci95"]], abs=0.05 + 1e-9) for s in range(4)]
        assert figures(cells[5]) == pytest.approx([100 * row[method, 1]["success_rate"]], abs=0.5)
    # "MAML-RL was meta-trained for one inner step, and more steps do not help it"; the pretrained policy gains each step
    assert max(range(4), key=lambda s: row["maml-rl", s]["mean_return"]) == 1
    assert all(row["pretrained", s + 1]["mean_return"] > row["pretrained", s]["mean_return"] for s in range(3))
    by = {c["comparison"]: c for c in comp}
    for text, name in (("MAML-RL after one step − before", "maml-rl: 1 step − 0 steps"),
                       ("MAML-RL − pretrained, both after one step", "maml-rl − pretrained, both after 1 step")):
        c = by[name]
        assert f"{text}: **{c['mean_difference']:+.1f} ± {c['ci95']:.1f}**" in README, name
    pearl = [r for r in rows_s if r["method"] == "pearl" and r["resample_every"] == 0]
    cells = readme_row("2-D navigation", "PEARL, return")
    assert [figures(c) for c in cells[1:6]] == [pytest.approx([r["mean_return"], r["ci95"]], abs=0.005 + 1e-9)
                                                for r in pearl]
    found3 = by["pearl: goal region reached within the first 3 episodes"]
    assert figures(cells[6]) == pytest.approx([100 * found3["rate"], 100 * found3["ci95"]], abs=0.5)
    assert found3["rate"] < found3["target"]


# -- lesson 10 / README "Gaussian-process regression" (bench gp; gp.json) ----------------------------------------------
def test_gp_table_is_recomputed_exactly():
    """The committed 1 000 tasks (seed 2026, 100 targets) at K = 3, 5, 10: the CNP, the exact posterior and their
    paired gap (at K = 10 the aim ≤ 0.15 nats, not met by the CNP), the attentive CNP's rows (its mean gap at K = 10
    meets it) as committed, and the K = 10 rows as the README prints them."""
    from meta_course.bench.gp import gp_rows, trained_family

    bench = _results("gp")
    s = bench["settings"]
    fresh = gp_rows(_learner(s["recipe"]), trained_family(s["recipe"]), s["tasks"], s["n_query"], s["seed"], (3, 5, 10),
                    attentive=_learner(s["attentive_recipe"]))
    committed = {(r["method"], r["k_shot"]): r for r in bench["rows"]}
    assert {(r["method"], r["k_shot"]) for r in fresh} == set(committed)
    for row in fresh:
        want = committed[row["method"], row["k_shot"]]
        assert row.keys() == want.keys()
        numbers = [k for k in want if isinstance(want[k], float)]
        assert [row[k] for k in numbers] == pytest.approx([want[k] for k in numbers], rel=1e-6), row["method"]
    cells = readme_row("Gaussian-process regression", "10")
    by = {r["method"]: r for r in fresh if r["k_shot"] == 10}
    stated = [figures(c) for c in cells[1:7]]
    assert stated[0] == pytest.approx([by["cnp"]["nll"], by["cnp"]["ci95"]], abs=0.0005 + 1e-9)
    assert stated[1] == pytest.approx([by["oracle"]["nll"], by["oracle"]["ci95"]], abs=0.0005 + 1e-9)
    assert stated[2] == pytest.approx([by["gap"]["nll"], by["gap"]["ci95"]], abs=0.0005 + 1e-9) and by["gap"]["nll"] > 0.15
    assert stated[3:5] == [pytest.approx([by[m]["mse"]], abs=0.0005 + 1e-9) for m in ("cnp", "oracle")]
    assert stated[5] == pytest.approx([100 * by["cnp"]["coverage_2sigma"]], abs=0.05 + 1e-9)
    anp_section = README[README.index("**Attentive CNP**"):]
    anp_cells = next(line for line in anp_section.splitlines() if line.startswith("| 10 |")).strip("|").split("|")[1:]
    anp_stated = [figures(c) for c in anp_cells[:3]]
    assert anp_stated == [pytest.approx([by[m]["nll"], by[m]["ci95"]], abs=0.0005 + 1e-9)
                          for m in ("anp", "anp_gap", "anp_vs_cnp")] and by["anp_gap"]["nll"] <= 0.15


# -- lessons 06, 07 / README "Metric learners on Omniglot", "Omniglot: MAML, ..." (bench omniglot) ----------------------
@needs_data
@pytest.mark.parametrize("table", ["omniglot", "omniglot_maml_family"])
def test_every_committed_runs_error_is_recomputed_exactly(table):
    """Lake's runs 01–10 error of every row of both Omniglot tables, recomputed by the function that wrote them from
    each committed checkpoint with its recipe's evaluation knobs: exactly the committed figures (≈ 1 s per row).
    The "+ TTA" column costs ≈ 13 s per network (9 views of 400 images), so it is recomputed for two rows only:
    protonet_runs_omniglot exactly (tests/test_faults.py, through `bench omniglot`) and the ensemble's 5.5% headline
    in lesson 06 (cell "Three networks as one", to one item). The N-way K-shot columns: lesson 06 recomputes
    protonet_omniglot's 5-way 1-shot, lesson 07 every MAML-family row on fresh episodes, tests/test_committed_rows.py
    the Matching rows on a sample."""
    from meta_course.bench.omniglot import runs_error
    from meta_course.recipes import get_recipe
    from meta_course.tasks.lake_runs import RUNS_01_10, load_runs

    runs = load_runs(DATA / "one_shot_runs_01-10.zip", runs=RUNS_01_10)
    rows = [r for r in _results(table)["rows"] if "runs_error" in r]
    assert len(rows) >= 5
    for row in rows:
        learner, knobs = _learner(row["recipe"]), dict(get_recipe(row["recipe"]).eval_knobs)
        assert knobs == row["knobs"], row["recipe"]
        assert runs_error(learner, runs, **knobs)["mean_error_percent"] == row["runs_error"], row["recipe"]


# -- lessons 01, 05, 10 / README "Sine-wave regression", "The optimisation family on sine" (bench sine) ----------------
def test_sine_rows_at_five_shots_are_the_readmes():
    """Every committed sine learner on the benchmark's 1 000 held-out K = 5 tasks (seed 2026 + K), after 1 / 5 / 10
    steps (the CNP: its one forward pass, MSE and NLL; the learned optimiser after 1 step only): each figure as the
    README prints it. (Lessons 01 and 05 recompute these tables in a cell, and assert their comparisons, not the
    printed numbers.)"""
    from meta_course.bench.sine import held_out_tasks, read_row
    from meta_course.evaluate import evaluate

    tasks = held_out_tasks(5)
    half = 0.0005 + 1e-9  # three printed decimals
    for recipe in ("maml_sine", "fomaml_sine", "pretrained_sine", "reptile_sine", "metasgd_sine", "metalstm_sine",
                   "l2lopt_sine"):
        cells = readme_row("The optimisation family on sine", next(
            line.split("|")[1].strip() for line in README.splitlines() if f"| `{recipe}` |" in line))
        learner = _learner(recipe)
        # the learned optimiser unrolls an LSTM per coordinate: 16 steps on 1 000 tasks take ≈ 1 min, 1 step 4 s
        for cell, steps in zip(cells[2:5], (1,) if recipe == "l2lopt_sine" else (1, 5, 10)):
            r = evaluate(learner, tasks, inner_steps=steps)
            assert figures(cell)[:2] == pytest.approx([r.mean, r.ci95], abs=half), (recipe, steps, r)
    maml = readme_row("Sine-wave regression", "MAML")  # the first table's K = 5 row is the same MAML row
    assert maml[1] == "5" and maml[2:5] == readme_row("The optimisation family on sine", "MAML (second order)")[2:5]
    cnp = read_row("cnp", _learner("cnp_sine"), tasks, 5)
    stated = [figures(c) for c in readme_row("Sine-wave regression", "conditional neural process (")[2:4]]
    assert stated[0] == pytest.approx([cnp["mse"], cnp["ci95"]], abs=half)
    assert stated[1] == pytest.approx([cnp["nll"], cnp["nll_ci95"]], abs=half)


# -- lesson 04 / README "Pitfalls: the damage" (python -m meta_course.lessons.pitfalls) --------------------------------
def test_pitfall_damage_table_is_the_readmes():
    """The committed same-budget learners (pitfalls_sine.pt) on the table's 1 000 held-out tasks, 10 steps: each
    row as the README prints it (lesson 04 recomputes it on 300 tasks in quick mode and asserts the > 3× damage)."""
    from meta_course.lessons import pitfalls

    damage = pitfalls.damage_table(pitfalls.load_damage_learners(), n_tasks=1000)
    labels = {"maml": "MAML (correct)", "average_support": "averaged support gradients",
              "range_inner_lr": "`range(int(inner_lr))`", "stale_forward": "stale forward pass"}
    assert set(damage) == set(labels)
    for name, first in labels.items():
        stated = figures(readme_row("Pitfalls: the damage", first)[1])
        assert stated == pytest.approx([damage[name].mean, damage[name].ci95], abs=0.0005 + 1e-9), name


@needs_data
def test_every_metric_learners_five_way_one_shot_figure_holds_on_a_sample_of_its_episodes():
    """The metric table's 5-way 1-shot column, the rows no other check recomputes (protonet_omniglot: lesson 06;
    matching and matching_fce: tests/test_committed_rows.py): on the first 100 of the table's 600 seeded held-out
    episodes, each committed checkpoint (with its recipe's knobs) scores within the two CIs of its committed figure
    (all 600 episodes of all rows take minutes here)."""
    from meta_course.bench.omniglot import heldout_episodes
    from meta_course.evaluate import evaluate
    from meta_course.recipes import get_recipe

    bench = _results("omniglot")
    episodes = heldout_episodes(5, 1, bench["episodes"], bench["q_query"], bench["seed"])
    sample = type(episodes)(*(t[:100] for t in episodes))
    elsewhere = {"protonet_omniglot", "matching_omniglot", "matching_fce_omniglot"}
    rows = [r for r in bench["rows"] if "5w1s" in r and r["recipe"] not in elsewhere]
    assert len(rows) >= 5
    for row in rows:
        r = evaluate(_learner(row["recipe"]), sample, metric="accuracy", chunk=50,
                     **dict(get_recipe(row["recipe"]).eval_knobs))
        assert abs(100 * r.mean - row["5w1s"]) < 100 * r.ci95 + row["5w1s_ci95"], (row["recipe"], r, row["5w1s"])


# -- lesson 17 / README "Learned update rules vs SGD and Adam" (bench optimisers; README only) -------------------------
def test_learned_optimiser_quadratics_row_is_the_readmes():
    """`bench optimisers`' quadratics row with its defaults (200 held-out 10-d quadratics, seed 2026; SGD and Adam
    tuned on the grid over 64 validation problems): f after 100 steps, as the README prints it — the learned rule
    beats tuned SGD and not tuned Adam."""
    from meta_course.bench.optimisers import quadratic_table

    rows = quadratic_table()["rows"]
    stated = [figures(c) for c in readme_row("The optimisation family on sine", "10-d quadratics")[1:4]]
    got = [rows[m][100] for m in ("learned", "sgd", "adam")]
    assert stated == [pytest.approx(list(r), abs=0.0005 + 1e-9) for r in got]
    assert rows["adam"][100][0] < rows["learned"][100][0] < rows["sgd"][100][0]


def test_sine_rows_at_ten_and_twenty_shots_are_the_readmes():
    """The README's K = 10 and K = 20 rows (MAML, first-order MAML, pretrained after 1 / 5 / 10 steps; the CNP's
    MSE and NLL) on the benchmark's tasks for those K, as printed."""
    from meta_course.bench.sine import held_out_tasks, read_row
    from meta_course.evaluate import evaluate

    start = README.index("### Sine-wave regression")
    section = README[start:README.index("\n### ", start + 4)]
    half = 0.0005 + 1e-9
    names = {"MAML": "maml_sine", "first-order MAML": "fomaml_sine", "pretrained + fine-tuning": "pretrained_sine"}
    learners = {n: _learner(r) for n, r in names.items()}
    cnp = _learner("cnp_sine")
    for k in (10, 20):
        tasks = held_out_tasks(k)
        for name, learner in learners.items():
            line = next(l for l in section.splitlines() if l.startswith(f"| {name} | {k} |"))
            for cell, steps in zip(line.strip("|").split("|")[2:5], (1, 5, 10)):
                r = evaluate(learner, tasks, inner_steps=steps)
                assert figures(cell) == pytest.approx([r.mean, r.ci95], abs=half), (name, k, steps, r)
        line = next(l for l in section.splitlines() if l.startswith("| conditional neural process") and f"| {k} |" in l)
        row = read_row("cnp", cnp, tasks, k)
        mse, nll = (figures(c) for c in line.strip("|").split("|")[2:4])
        assert mse == pytest.approx([row["mse"], row["ci95"]], abs=half)
        assert nll == pytest.approx([row["nll"], row["nll_ci95"]], abs=half)


# -- lessons 05, 17 / README "Learned update rules vs SGD and Adam" (bench optimisers; README only) --------------------
def test_learned_update_rules_sine_rows_are_the_readmes():
    """`bench optimisers`' two sine rows with its defaults (200 held-out K = 5 tasks, seed 2026; SGD and Adam tuned
    on the grid over 200 validation tasks, from the learned rule's own θ₀): query MSE after 10 steps, as the README
    prints it (≈ 6 s of CPU) — the learned optimiser beats both from its θ₀; tuned SGD beats the meta-LSTM's gates."""
    from meta_course.bench.optimisers import sine_table

    table = sine_table()
    for recipe in ("l2lopt_sine", "metalstm_sine"):
        stated = [figures(c) for c in readme_row("The optimisation family on sine",
                                                 f"sine K = 5, query MSE after 10 steps from `{recipe}`")[1:4]]
        rows = table[recipe]["rows"]
        got = [list(rows[m][10]) for m in ("learned", "sgd", "adam")]
        assert stated == [pytest.approx(r, abs=0.0005 + 1e-9) for r in got], recipe
    l2l, lstm = (table[r]["rows"] for r in ("l2lopt_sine", "metalstm_sine"))
    assert l2l["learned"][10][0] < min(l2l["sgd"][10][0], l2l["adam"][10][0])
    assert lstm["sgd"][10][0] < lstm["learned"][10][0]


@needs_data
@pytest.mark.parametrize("recipe", ["protonet_runs_xl_omniglot", "protonet_runs60_omniglot",
                                    "protonet_runs_affine1_omniglot", "protonet_runs_ensemble_omniglot"])
def test_runs_error_with_tta_of_each_ensemble_member_is_recomputed_exactly(recipe):
    """The "+ TTA" column for the ensemble and its three members (≈ 6 s of CPU per member: 9 views of 400 images),
    recomputed exactly as `bench omniglot` wrote it — the README's "against 9.0–10.0% for each member with TTA" rests
    on them, and lesson 06's 5.5% for the ensemble (which under META_COURSE_QUICK checks the ensemble without TTA;
    protonet_runs_omniglot's 7.5%: tests/test_faults.py)."""
    from meta_course.bench.omniglot import runs_error
    from meta_course.recipes import get_recipe
    from meta_course.recipes.metric import RUNS_ENSEMBLE
    from meta_course.tasks.lake_runs import RUNS_01_10, load_runs

    rows = {r["recipe"]: r for r in _results("omniglot")["rows"]}
    row, knobs = rows[recipe], dict(get_recipe(recipe).eval_knobs)
    runs = load_runs(DATA / "one_shot_runs_01-10.zip", runs=RUNS_01_10)
    assert runs_error(_learner(recipe), runs, **{**knobs, "tta": row["tta"]})["mean_error_percent"] == row["runs_error_tta"]
    members = sorted(rows[m]["runs_error_tta"] for m in RUNS_ENSEMBLE)
    assert f"against {members[0]:.1f}–{members[-1]:.1f}% for each member with TTA" in README.replace("\n", " ")
    cells = readme_row("Metric learners on Omniglot", f"`{recipe}`")
    assert figures(cells[5]) == [row["runs_error_tta"]]


#: rows whose episodes cost little (a metric learner embeds once; the transfer baseline fits a head on a frozen body);
#: the MAML-style rows take 10 gradient steps of Conv-4 per episode (≈ 0.45 s each)
CHEAP_20W1S = ("protonet_omniglot", "transfer_omniglot")


def _omniglot_column_sample(n_way: int, k_shot: int, recipes, n: int = 40):
    from meta_course.bench.omniglot import heldout_episodes
    from meta_course.evaluate import evaluate
    from meta_course.recipes import get_recipe

    rows = {r["recipe"]: (table, r) for table in ("omniglot", "omniglot_maml_family") for r in _results(table)["rows"]}
    key = f"{n_way}w{k_shot}s"
    for recipe in recipes:
        table, row = rows[recipe]
        bench = _results(table)
        assert (bench["episodes"], bench["q_query"], bench["seed"]) == (600, 5, 2026) and key in row, recipe
        episodes = heldout_episodes(n_way, k_shot, bench["episodes"], bench["q_query"], bench["seed"])
        sample = type(episodes)(*(t[:n] for t in episodes))
        r = evaluate(_learner(recipe), sample, metric="accuracy", chunk=50, **dict(get_recipe(recipe).eval_knobs))
        assert abs(100 * r.mean - row[key]) < 100 * r.ci95 + row[key + "_ci95"], (recipe, key, r, row[key])


@needs_data
def test_omniglot_five_way_five_shot_column_holds_on_a_sample_of_its_episodes():
    """The 5-way 5-shot column of the metric table (every row that has one) and of the transfer baseline: on the
    first 20 of the table's 600 seeded held-out episodes each committed checkpoint scores within the two CIs of its
    committed figure (≈ 1 s of CPU per row). MAML, first-order MAML, Meta-SGD and Reptile: not here (10 inner steps of
    Conv-4 per episode, ≈ 10 s per row for 20 episodes)."""
    rows = [r["recipe"] for r in _results("omniglot")["rows"] if "5w5s" in r]
    assert len(rows) == 8
    _omniglot_column_sample(5, 5, rows + ["transfer_omniglot"], n=20)


@needs_data
def test_omniglot_twenty_way_one_shot_column_holds_on_a_sample_of_rows_and_episodes():
    """The 20-way 1-shot column, a sample of rows (ProtoNet from the metric table, the transfer baseline from the MAML
    family's): on the first 40 of the table's 600 seeded held-out episodes, within the two CIs of the committed figure
    (≈ 5 s of CPU per row: 120 images an episode; the other rows are left for the budget)."""
    _omniglot_column_sample(20, 1, CHEAP_20W1S)


def test_ring_wgan_gp_seed_1_prefix_is_retrained_exactly():
    """The WGAN-GP runs' training path, retrained: seed 1's first 250 steps (5 critic steps each, ≈ 4 s of CPU) give
    its committed snapshots at steps 0 and 250 bit for bit (GAN seed 2's prefix: the collapse test above; a whole
    5 000-step WGAN-GP run costs ≈ 83 s of CPU, so the final rows of seeds 1–5 are checked from their snapshots
    only)."""
    from meta_course.bench.ring import train_with_snapshots

    kept = torch.load(RESULTS / "ring_snapshots.pt", weights_only=True)["wgan-gp|0.1|1"]
    curve = train_with_snapshots("wgan_gp_ring", seed=1, steps=250, every=250)
    assert curve["step"] == kept["step"][:2] == [0, 250] and curve["modes"] == kept["modes"][:2]
    assert torch.equal(torch.stack(curve["samples"]), kept["samples"][:2])


# -- lesson 14 / README "Few-shot generation": the adapted rows, from the committed per-run figures ---------------------
@needs_data
def test_generation_adapted_runs_are_recomputed_exactly_and_give_the_committed_rows(monkeypatch):
    """Every run of the first held-out character at seed 0 — FIGR and both baselines, after 0 / 10 / 25 / 50 rounds
    and at every latent temperature of the sweep — recomputed by the bench's own ``generation_runs`` equals its
    committed per-run figures (``runs``: the judge's float32 scores) bit for bit (≈ 6 s of CPU); and the committed runs
    give the committed rows: recognisability, diversity, nearest shot ± CI and per-seed means, collapsed runs, the
    real row, and the equal-diversity rows and paired comparisons (the Fréchet figures need the embeddings, not kept)."""
    from meta_course.bench.generation import CLASSIFIER, COLLAPSE, equal_diversity, generation_runs
    from meta_course.evaluate import mean_ci95
    from meta_course.learners.generative.metrics import GenerationJudge
    from meta_course.tasks.omniglot import omniglot_split

    monkeypatch.setenv("META_COURSE_DATA", str(DATA))
    bench = _results("generation")
    s, fields = bench["settings"], bench["runs"]["fields"]
    scores = fields[5:]   # recognisability ... real_nearest_shot, float32 written as their shortest decimals
    runs = [dict(zip(fields, v)) for v in bench["runs"]["values"]]
    for r in runs:
        r.update({k: torch.tensor(r[k], dtype=torch.float32).item() for k in scores})
    per_pair = len(s["methods"]) * (len(s["steps"]) + (len(s["temperatures"]) - 1) * len(s["sweep_steps"]))
    assert len(runs) == per_pair * s["seeds"] * s["characters"]
    judge = GenerationJudge(_learner(CLASSIFIER), omniglot_split("minimal", s["part"]), n_way=s["n_way"])
    fresh = generation_runs(judge, s["methods"], s["steps"], s["k"], 1, 1, s["n_generated"], progress=False,
                            temperatures=s["temperatures"], sweep_steps=s["sweep_steps"])
    key = lambda r: (r["method"], r["seed"], r["character"], r["steps"], r["temperature"])  # noqa: E731
    committed = {key(r): r for r in runs}
    assert len(fresh) == per_pair and {key(r)[1:3] for r in fresh} == {(0, 0)}
    for r in fresh:
        assert {k: r[k] for k in scores} == {k: committed[key(r)][k] for k in scores}, key(r)
    # the committed rows follow from the committed runs (characters are the units: seeds averaged first)
    one, chars = [r for r in runs if r["temperature"] == 1.0], sorted({r["character"] for r in runs})

    def per_char(recs, f):   # f(one character's runs over the seeds) for every character
        return torch.tensor([f([r for r in recs if r["character"] == c]) for c in chars], dtype=torch.float64)

    def mean(key):
        return lambda rs: sum(r[key] for r in rs) / len(rs)

    def sd(key):
        return lambda rs: float(torch.tensor([r[key] for r in rs], dtype=torch.float64).std())

    def collapsed(rs):
        return sum(float(r["diversity"] < COLLAPSE * r["real_diversity"]) for r in rs) / len(rs)

    def at(m, steps):
        return [r for r in one if (r["method"], r["steps"]) == (m, steps)]

    for row in bench["rows"]:
        real = row["method"] == "real"
        recs = at("figr", 0) if real else at(row["method"], row["steps"])
        for name in ("recognisability", "diversity", "nearest_shot"):
            k = f"real_{name}" if real else name
            assert (row[name], row["ci95"][name]) == pytest.approx(mean_ci95(per_char(recs, mean(k))), rel=1e-12), \
                (row["method"], row["steps"], name)
            by_seed = [mean(k)([r for r in recs if r["seed"] == sd_]) for sd_ in s["seed_list"]]
            assert row["seed_means"][name] == pytest.approx(by_seed, rel=1e-12), (row["method"], name)
        if not real:
            n = sum(r["diversity"] < COLLAPSE * r["real_diversity"] for r in recs)
            assert row["collapsed_runs"] == [n, len(recs)], (row["method"], row["steps"])
    for c, e in zip(bench["comparisons"], bench["stability"]):   # paired FIGR − baseline per character, at τ = 1
        assert (c["comparison"], c["steps"]) == (e["comparison"], e["steps"])
        a, b = at("figr", c["steps"]), at(c["comparison"].split(" - ")[1], c["steps"])
        diff = per_char(a, mean("recognisability")) - per_char(b, mean("recognisability"))
        assert (c["recognisability_diff"], c["ci95"]) == pytest.approx(mean_ci95(diff), rel=1e-12), c
        assert (e["collapsed_diff"], e["ci95_collapsed"]) == pytest.approx(
            mean_ci95(per_char(a, collapsed) - per_char(b, collapsed)), rel=1e-12, abs=1e-15), e
        for key in ("recognisability", "diversity"):
            assert (e["within_character_sd_diff"][key], e["ci95"][key]) == pytest.approx(
                mean_ci95(per_char(a, sd(key)) - per_char(b, sd(key))), rel=1e-12), (e, key)
    ed = equal_diversity(runs, s["k"])
    for name in ("matched", "matched_comparisons", "curves"):
        assert json.dumps(ed[name]) == json.dumps(bench[name]), name
