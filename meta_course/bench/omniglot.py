"""``bench omniglot``: every Omniglot recipe with a committed checkpoint, beside the papers.

For each recipe whose task family is Omniglot and whose checkpoint ``meta_course/checkpoints/RECIPE.pt``
exists (any learner: metric, MAML, Reptile, ... register theirs and appear here), the table holds

- 5-way 1-shot, 5-way 5-shot and 20-way 1-shot accuracy ± 95% CI on ``--episodes`` episodes of the
  held-out test alphabets of ``minimal`` (Sanskrit, 42 characters), the same episodes for every
  method; blank when the recipe trained on those alphabets (``minimal2`` one-set recipes);
- the error on Lake's 20-way within-alphabet one-shot runs 01–10 (drawn from the *evaluation*
  alphabets, never trained on), with the recipe's evaluation knobs and, for learners that support
  it, with test-time augmentation (``--tta`` extra views).

Beside them: the papers' figures on full Omniglot (1200 training characters ×4 rotations against
about 200 here: larger training data) and Lake et al.'s references for the runs.
"""

from __future__ import annotations

import inspect
import json
import time
from pathlib import Path

import torch

HELP = "Omniglot few-shot: 5w1s/5w5s/20w1s on held-out alphabets ± CI and Lake's runs error, beside the papers"

SETTINGS = ((5, 1), (5, 5), (20, 1))
#: full-Omniglot accuracies (%) for 5w1s / 5w5s / 20w1s, as published ("larger training data").
PAPER = {
    "protonet": (98.8, 99.7, 96.0),   # Snell et al. 2017, Table 1
    "matching": (98.1, 98.9, 93.8),   # Vinyals et al. 2016, Table 1
    "siamese": (97.3, 98.4, 88.2),    # Koch et al. 2015 as reported by Vinyals et al. 2016, Table 1
    "maml": (98.7, 99.9, 95.8),       # Finn et al. 2017, Table 1
    "reptile": (97.7, 99.5, 89.4),    # Nichol et al. 2018, Table 1 (transductive)
    "meta-sgd": (99.5, 99.9, 95.9),   # Li et al. 2017, Table 1
}
#: Lake et al. (2019), "The Omniglot challenge", Table 1: error (%) on the 20 within-alphabet runs.
RUNS_REFERENCE = {
    "prototypical net, one minimal set": 30.1,
    "simple ConvNet, one minimal set": 23.2,
    "prototypical net, full background": 13.7,
    "Bayesian program learning": 3.3,
    "people": 4.5,
}
TEST_SPLIT, TEST_PART = "minimal", "test"
BASELINES = ("mhd", "pixel-nn")  # runs methods without training, scored beside the learners
#: where ``bench omniglot --json`` writes the committed results that lesson 06 prints
RESULTS = Path(__file__).parent / "results" / "omniglot.json"


def load_results(path=None) -> dict:
    """The committed benchmark results (``bench omniglot --json``), as a dict with ``rows`` and ``baselines``."""
    path = Path(path) if path is not None else RESULTS
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `python -m meta_course bench omniglot --json {path}`.")
    return json.loads(path.read_text())


def add_arguments(p) -> None:
    p.add_argument("--methods", nargs="*", help="recipe or learner names (default: every Omniglot checkpoint)")
    p.add_argument("--episodes", type=int, default=600, help="held-out episodes per setting (default 600)")
    p.add_argument("--q-query", type=int, default=5, help="queries per class in each episode (default 5)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the held-out episodes (never used in training)")
    p.add_argument("--tta", type=int, default=8, help="extra test-time views for the runs column (0 = off)")
    p.add_argument("--runs-dir", help="Lake's runs (folder or zip; default $META_COURSE_DATA/one_shot_runs_01-10.zip)")
    p.add_argument("--skip-runs", action="store_true", help="only the held-out alphabet accuracies")
    p.add_argument("--no-baselines", action="store_true", help=f"skip the runs baselines {', '.join(BASELINES)}")
    p.add_argument("--jobs", type=int, default=1, help="recipes scored in parallel processes (one thread each)")
    p.add_argument("--merge", nargs="+", type=Path, help="combine earlier --json outputs (rows in order, a recipe's "
                   "last row wins) into one table instead of scoring anything")


def omniglot_recipes(methods=None, committed_only: bool = True) -> list[str]:
    """Recipe names on Omniglot (task family ``omniglot*``) with a committed checkpoint."""
    from ..checkpoints import HERE
    from ..recipes import RECIPES

    names = []
    for name, r in sorted(RECIPES.items()):
        if not r.task.startswith("omniglot"):
            continue
        if methods and name not in methods and r.learner not in methods:
            continue
        if committed_only and not (HERE / f"{name}.pt").exists():
            continue
        names.append(name)
    return names


def trains_on_test_alphabets(recipe) -> bool:
    """Whether the recipe's training split contains the held-out test alphabets (then they are not held out)."""
    from ..tasks.omniglot import omniglot_split

    args = recipe.task_args
    split, part = args.get("split", "minimal"), args.get("part", "train")
    if split == TEST_SPLIT and part in ("train", "val", "train+val"):
        return False
    test = set(omniglot_split(TEST_SPLIT, TEST_PART).alphabets)
    train = set(omniglot_split(split, "all" if part in ("all", "train+val") else part).alphabets)
    return bool(test & train)


def heldout_episodes(n_way: int, k_shot: int, n_episodes: int = 600, q_query: int = 5, seed: int = 2026):
    """The benchmark's episodes: ``n_episodes`` N-way K-shot tasks from the held-out test alphabets."""
    from ..tasks.omniglot import OmniglotTasks

    tasks = OmniglotTasks(TEST_SPLIT, TEST_PART, n_way=n_way, k_shot=k_shot, q_query=q_query)
    return tasks.sample(torch.Generator().manual_seed(seed + 100 * n_way + k_shot), n_episodes)


def fixed_way(learner) -> int | None:
    """N of a learner whose network ends in an N-way head (MAML-style), else ``None`` (any N).

    Learners whose ``adapt`` takes ``n_way`` (MAML and its subclasses, transfer) fit their head to each
    task's N (:mod:`meta_course.core.heads`), so they answer 20-way episodes and runs too."""
    adapt = getattr(learner, "adapt", None)
    if adapt is not None and "n_way" in inspect.signature(adapt).parameters:
        return None
    model = getattr(learner, "config", {}).get("model")
    return model.get("out_features") if isinstance(model, dict) else None


def supports_tta(learner) -> bool:
    return "tta" in inspect.signature(learner.adapt).parameters


def heldout_accuracy(learner, n_way: int, k_shot: int, n_episodes: int = 600, q_query: int = 5, seed: int = 2026,
                     **knobs) -> tuple[float, float]:
    """Accuracy (%) ± 95% CI of ``learner`` on the benchmark's held-out episodes."""
    from ..evaluate import evaluate

    r = evaluate(learner, heldout_episodes(n_way, k_shot, n_episodes, q_query, seed), metric="accuracy", chunk=50,
                 **knobs)
    return 100 * r.mean, 100 * r.ci95


def runs_error(learner, runs, **knobs) -> dict:
    """Lake's runs error (%) of a learner adapted to each run as a 20-way 1-shot task."""
    from ..tasks.lake_runs import evaluate_runs, learner_scorer

    with torch.no_grad():
        return evaluate_runs(learner_scorer(learner, **knobs), runs)


def bench_recipe(name: str, episodes: int = 600, q_query: int = 5, seed: int = 2026, runs=None, tta: int = 8) -> dict:
    """One row of the table for the committed checkpoint of recipe ``name``."""
    from ..learners import load_learner
    from ..checkpoints import checkpoint_path
    from ..recipes import get_recipe

    recipe = get_recipe(name)
    learner = load_learner(checkpoint_path(name)).eval()
    knobs = dict(recipe.eval_knobs)
    row = {"recipe": name, "learner": recipe.learner, "knobs": knobs, "episodes": episodes, "q_query": q_query}
    t0 = time.perf_counter()
    way = fixed_way(learner)  # a 5-way head cannot answer 20-way episodes or the 20-way runs: left blank
    if not trains_on_test_alphabets(recipe):
        for n_way, k_shot in SETTINGS:
            if way is not None and way != n_way:
                continue
            mean, ci = heldout_accuracy(learner, n_way, k_shot, episodes, q_query, seed, **knobs)
            row[f"{n_way}w{k_shot}s"], row[f"{n_way}w{k_shot}s_ci95"] = mean, ci
    if runs is not None and way in (None, 20):
        row["runs_error"] = runs_error(learner, runs, **knobs)["mean_error_percent"]
        if tta and supports_tta(learner):
            row["runs_error_tta"] = runs_error(learner, runs, **{**knobs, "tta": tta})["mean_error_percent"]
            row["tta"] = tta
    row["seconds"] = round(time.perf_counter() - t0, 1)
    return row


def _fmt(row, key):
    return f"{row[key]:5.1f} ± {row[key + '_ci95']:.1f}" if key in row else "      —    "


def format_table(rows: list[dict], baselines: dict | None = None) -> str:
    """The printed table: one line per recipe, the paper's full-Omniglot figures beside."""
    head = (f"{'recipe':32s} {'5w1s %':>12s} {'5w5s %':>12s} {'20w1s %':>12s} {'runs err %':>10s} "
            f"{'+TTA':>6s}   paper 5w1s/5w5s/20w1s (full Omniglot: larger training data)")
    lines = [head, "-" * len(head)]
    for row in rows:
        paper = PAPER.get(row["learner"])
        runs = f"{row['runs_error']:10.1f}" if "runs_error" in row else f"{'—':>10s}"
        tta = f"{row['runs_error_tta']:6.1f}" if "runs_error_tta" in row else f"{'—':>6s}"
        lines.append(f"{row['recipe']:32s} {_fmt(row, '5w1s'):>12s} {_fmt(row, '5w5s'):>12s} {_fmt(row, '20w1s'):>12s} "
                     f"{runs} {tta}   " + ("/".join(f"{v:.1f}" for v in paper) if paper else ""))
    for name, err in (baselines or {}).items():
        lines.append(f"{name + ' (no training)':32s} {'—':>12s} {'—':>12s} {'—':>12s} {err:10.1f}")
    lines.append("")
    lines.append("Lake's runs 01-10 (20-way within-alphabet 1-shot). References, Lake et al. 2019 (all 20 runs): "
                 + ", ".join(f"{k} {v}%" for k, v in RUNS_REFERENCE.items()) + ".")
    return "\n".join(lines)


def _parallel_rows(names: list[str], args) -> list[dict]:
    """Score each recipe in its own process (``--jobs`` at a time, one thread each); rows in ``names`` order."""
    import shutil
    import subprocess
    import sys
    import tempfile

    out_dir = Path(tempfile.mkdtemp(prefix="bench-omniglot-"))
    try:  # the temporary folder goes, and no worker outlives a failure
        queue, running, done = list(names), [], {}
        while queue or running:
            while queue and len(running) < args.jobs:
                name = queue.pop(0)
                cmd = [sys.executable, "-m", "meta_course", "bench", "omniglot", "--methods", name, "--no-baselines",
                       "--episodes", str(args.episodes), "--q-query", str(args.q_query), "--seed", str(args.seed),
                       "--tta", str(args.tta), "--json", str(out_dir / f"{name}.json")]
                cmd += ["--skip-runs"] if args.skip_runs else []
                cmd += ["--runs-dir", str(args.runs_dir)] if args.runs_dir else []
                running.append((name, subprocess.Popen(cmd, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})))
            time.sleep(1.0)
            for name, proc in list(running):
                if proc.poll() is not None:
                    running.remove((name, proc))
                    if proc.returncode != 0:
                        raise RuntimeError(f"bench omniglot --methods {name} failed (exit {proc.returncode}).")
                    done[name] = json.loads((out_dir / f"{name}.json").read_text())["rows"][0]
    finally:
        for _, proc in running:
            proc.kill()
        shutil.rmtree(out_dir, ignore_errors=True)
    return [done[n] for n in names]


def format_markdown(rows: list[dict], baselines: dict | None = None) -> str:
    """The table as Markdown (for the README), paper figures beside."""
    def cell(row, key):
        return f"{row[key]:.1f} ± {row[key + '_ci95']:.1f}" if key in row else "—"

    out = ["| recipe | 5w1s % | 5w5s % | 20w1s % | runs 01–10 error % | + TTA | paper (full Omniglot) |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        paper = "/".join(f"{v:.1f}" for v in PAPER[r["learner"]]) if r["learner"] in PAPER else ""
        runs = f"{r['runs_error']:.1f}" if "runs_error" in r else "—"
        tta = f"{r['runs_error_tta']:.1f}" if "runs_error_tta" in r else "—"
        out.append(f"| `{r['recipe']}` | {cell(r, '5w1s')} | {cell(r, '5w5s')} | {cell(r, '20w1s')} | {runs} | {tta} "
                   f"| {paper} |")
    for name, err in (baselines or {}).items():
        out.append(f"| {name} (no training) | — | — | — | {err:.1f} | — | |")
    return "\n".join(out)


def _merge(args) -> dict:
    rows, baselines, meta = {}, {}, {}
    for path in args.merge:
        part = load_results(path)
        rows.update({r["recipe"]: r for r in part["rows"]})
        baselines.update(part.get("baselines", {}))
        meta = {k: part[k] for k in ("episodes", "q_query", "seed") if k in part}
    print(format_table(list(rows.values()), baselines))
    return {"rows": list(rows.values()), "baselines": baselines, "paper": PAPER, "runs_reference": RUNS_REFERENCE,
            **meta}


def run(args) -> dict:
    from ..core.checks import check_int

    if args.merge:
        return _merge(args)
    check_int("episodes", args.episodes, 1, fix="600 episodes give a CI of about ±1%.")
    check_int("q_query", args.q_query, 1, 15, "Queries per class; at most 15 leave the support drawings free.")
    check_int("tta", args.tta, 0, 64, "Extra test-time views; 0 switches TTA off.")
    names = omniglot_recipes(args.methods)
    if not names:
        raise ValueError(f"no committed Omniglot checkpoint matches --methods {args.methods}: "
                         f"see `python -m meta_course train --list`.")
    runs, baselines = None, {}
    if not args.skip_runs:
        from ..recipes import get_runs_method
        from ..tasks.lake_runs import default_runs_path, evaluate_runs, load_runs
        runs = load_runs(args.runs_dir or default_runs_path())
        if not args.no_baselines:
            for name in BASELINES:
                baselines[name] = evaluate_runs(get_runs_method(name), runs)["mean_error_percent"]
                print(f"{name}: runs error {baselines[name]:.1f}%", flush=True)
    if args.jobs > 1 and len(names) > 1:
        rows = _parallel_rows(names, args)
    else:
        rows = []
        for name in names:
            row = bench_recipe(name, args.episodes, args.q_query, args.seed, runs, args.tta)
            rows.append(row)
            print(f"{name}: {json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()})}",
                  flush=True)
    print()
    print(format_table(rows, baselines))
    return {"rows": rows, "baselines": baselines, "paper": PAPER, "runs_reference": RUNS_REFERENCE,
            "episodes": args.episodes, "q_query": args.q_query, "seed": args.seed}
