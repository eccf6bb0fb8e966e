"""``bench generation``: few-shot generation of held-out Omniglot characters — FIGR against two baselines.

Every method starts from its own WGAN-GP initialisation and adapts generator and critic on the same K = 4
drawings of each held-out character (``minimal``'s test alphabet, Sanskrit, 42 characters) with the same
inner loop (:func:`~meta_course.learners.generative.wgan_gp.wgan_gp_steps`: Adam, fresh moments, the same
step size and number of rounds):

- ``figr``: the initialisation meta-learned by Reptile (recipe ``figr_omniglot``);
- ``finetune``: a WGAN-GP trained on the pooled drawings of all training characters (``wgan_gp_omniglot``);
- ``scratch``: a randomly initialised WGAN-GP of the same architecture (a new initialisation per seed).

Each adapted generator draws ``--n-generated`` drawings, scored by
:class:`~meta_course.learners.generative.metrics.GenerationJudge` with the committed ``protonet_xl_omniglot``
(trained on ``minimal`` without Sanskrit: it never saw the held-out alphabet) in a 20-way test against
prototypes of 8 real drawings per character that are not among the shots. Rows per method and number of
adaptation rounds: recognisability, diversity and nearest-shot distance (mean over characters and seeds,
± 95% CI over characters), the Fréchet distance between the pooled embeddings of all generated drawings
and real drawings of the same characters (± 95% bootstrap interval over characters; the course's 64-d
embedding, no Inception network is available offline), the standard deviation of the recognisability
across seeds, and the share of collapsed runs (diversity below a quarter of the character's real
diversity). A ``real`` row scores held-out real drawings the same way (the ceiling), and paired rows give
FIGR − baseline per character.

**At equal diversity.** A method can buy recognisability with diversity (a generator that draws one clean
prototype is recognised every time). So every sampler is also run at latent temperatures τ (z = τ·ε,
``--temperatures``; τ = 1 gives the rows above), and each run's recognisability is read off at the diversity
of the character's real drawings, by linear interpolation along its (diversity, recognisability) points over τ
(:func:`recognisability_at_diversity`), after the rounds of ``--sweep-steps``. ``matched`` rows give that figure per method and number of rounds
(± 95% CI over characters, the share of runs whose τ range reached the target, the mean τ used) and
``matched_comparisons`` the paired FIGR − baseline differences at equal diversity (at the real drawings'
diversity, and — reachable even when a baseline's diversity never reaches the real one — FIGR read off at the
diversity the baseline itself has at τ = 1, against the baseline at τ = 1: ``at_baseline_diversity``); ``curves`` holds
recognisability and diversity per τ (the recognisability–diversity curves).

**More stable?** With several seeds, each row also holds its per-seed means (``seed_means``), their sd
(``recognisability_seed_sd``, ``diversity_seed_sd``), one character's sd over its seeds averaged over characters
(``within_character_sd``) and the collapsed runs (``collapsed_runs``: collapsed, total), and ``stability`` pairs
FIGR − each baseline per character (collapsed share; within-character sd of recognisability and diversity).

**In parts.** Every (seed, character) pair's runs depend on that pair only, so ``--seed-offset S --seeds n`` (seeds
S .. S + n − 1) and ``--first-character C --characters n`` run a part, ``--records F`` saves its runs, and ``--merge
F1 F2 …`` summarises the saved parts as one run over their (seeds × characters) grid would
(:func:`merge_records`; the committed table was made so, two parts at a time).
"""

from __future__ import annotations

import json
import math
import struct
import time
from pathlib import Path

import torch

HELP = "few-shot generation on held-out Omniglot characters: FIGR vs WGAN-GP from scratch vs fine-tuned (K = 4)"

METHODS = {"figr": "figr_omniglot", "finetune": "wgan_gp_omniglot", "scratch": None}
CLASSIFIER = "protonet_xl_omniglot"   # minimal without Sanskrit: never saw the held-out alphabet
STEPS = (0, 10, 25, 50)
TEMPERATURES = (0.25, 0.5, 1.0, 1.5)   # latent temperatures of the equal-diversity comparison ...
SWEEP_STEPS = (50,)             # ... measured after these rounds (each τ costs one more judge call per run)
COLLAPSE = 0.25                       # a run collapsed when its diversity < COLLAPSE × the real drawings'
#: where ``bench generation --json`` writes the committed results that lesson 14 and the README quote
RESULTS = Path(__file__).parent / "results" / "generation.json"


def load_results(path=None) -> dict:
    """The committed results of ``bench generation --json`` (``rows``, ``comparisons``, ``settings``)."""
    path = Path(path) if path is not None else RESULTS
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `python -m meta_course bench generation --json {path}`.")
    return json.loads(path.read_text())


def add_arguments(p) -> None:
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: small networks, a shared CPU)")
    p.add_argument("--k", type=int, default=4, help="shots per character (FIGR: 4)")
    p.add_argument("--steps", type=int, nargs="*", default=list(STEPS), help="adaptation rounds to report")
    p.add_argument("--seeds", type=int, default=3, help="seeds per character (shots, z, scratch initialisation)")
    p.add_argument("--characters", type=int, default=0, help="first N held-out characters (0: all 42)")
    p.add_argument("--first-character", type=int, default=0,
                   help="start at this held-out character (split one seed's characters over several runs)")
    p.add_argument("--n-generated", type=int, default=32, help="generated drawings per character and run")
    p.add_argument("--n-way", type=int, default=20, help="classes of the recognisability test")
    p.add_argument("--methods", nargs="*", default=list(METHODS), help="figr finetune scratch")
    p.add_argument("--part", default="test", help="minimal's part to generate for (test: Sanskrit; val: Balinese)")
    p.add_argument("--temperatures", type=float, nargs="*", default=list(TEMPERATURES),
                   help="latent temperatures τ (z = τ·ε) for the equal-diversity comparison; 1 is always included")
    p.add_argument("--sweep-steps", type=int, nargs="*", default=list(SWEEP_STEPS),
                   help="rounds after which the temperatures are swept (the others: τ = 1 only)")
    p.add_argument("--seed-offset", type=int, default=0,
                   help="first seed: run seeds S .. S + --seeds − 1 only (add seeds to an earlier run; see --records)")
    p.add_argument("--records", type=Path, default=None,
                   help="also save every run's scores and embeddings to this file (torch.save), for --merge")
    p.add_argument("--merge", type=Path, nargs="*", default=None,
                   help="no new runs: summarise the runs saved with --records in these files together (same settings, "
                        "disjoint seeds), e.g. --merge seed0.pt seed1.pt seed2.pt")


def starting_points(methods, seed: int) -> dict:
    """The initialisation of every method (``scratch``: a fresh WGAN-GP from ``seed``, same architecture)."""
    from ..checkpoints import checkpoint_path
    from ..learners.base import load_learner
    from ..learners.table import LEARNERS
    from ..recipes import get_recipe

    out = {}
    for m in methods:
        if METHODS[m] is not None:
            out[m] = load_learner(checkpoint_path(METHODS[m])).eval()
        else:
            recipe = get_recipe(METHODS["finetune"])
            torch.manual_seed(10_000 + seed)
            out[m] = LEARNERS[recipe.learner](**recipe.config).eval()
    return out


def generation_runs(judge, methods, steps=STEPS, k: int = 4, seeds: int = 3, characters: int = 0,
                    n_generated: int = 32, progress: bool = True, temperatures=(1.0,), sweep_steps=(),
                    seed_offset: int = 0, first_character: int = 0) -> list[dict]:
    """One record per (method, seed, character, rounds, temperature): the judge's scores (and, at τ = 1, the
    embeddings). ``temperatures`` are swept after the rounds in ``sweep_steps`` (elsewhere τ = 1); the drawings
    at every τ come from the same noise ε, scaled. Seeds ``seed_offset .. seed_offset + seeds − 1``, characters
    ``first_character ..`` (``characters`` of them, 0: to the last): every (seed, character)'s runs depend on that
    pair only, so disjoint parts can be run apart and summarised together (:func:`merge_records`)."""
    n_chars = characters or judge.n_chars - first_character
    steps = tuple(sorted(set(steps)))
    temperatures = tuple(sorted(set(float(t) for t in temperatures) | {1.0}))
    records, t0 = [], time.perf_counter()
    for seed in range(seed_offset, seed_offset + seeds):
        learners = starting_points(methods, seed)
        for c in range(first_character, first_character + n_chars):
            episode = judge.episode(c, k, seed)
            for m, learner in learners.items():
                pred = learner.adapt(episode.shots, inner_steps=max(steps), seed=seed * 1000 + c, snapshots=steps)
                for s in steps:
                    for tau in (temperatures if s in set(sweep_steps) else (1.0,)):
                        x = pred.at(s).sample(n_generated, torch.Generator().manual_seed(seed * 1000 + c), tau)
                        score = judge.score(x, episode)
                        if tau != 1.0:   # only τ = 1's embeddings feed the Fréchet distance
                            score = {key: v for key, v in score.items() if not key.startswith("z_")}
                        records.append({"method": m, "seed": seed, "character": c, "steps": s, "temperature": tau,
                                        **score})
            if progress:
                print(f"  seed {seed} character {c + 1}/{first_character + n_chars} ({time.perf_counter() - t0:.0f}s)",
                      flush=True)
    return records


def recognisability_at_diversity(points, target: float) -> tuple[float, float, bool]:
    """Recognisability of one run read off at diversity ``target``.

    Args:
        points: ``[(temperature, diversity, recognisability), ...]`` of one adapted generator.
        target: the diversity to compare at (the character's real drawings').
    Returns:
        ``(recognisability, temperature, reached)``: linear interpolation on the first segment, in order of τ,
        whose diversities bracket ``target``; when none does, the point whose diversity is closest, and
        ``reached = False``.

    Example:
        >>> recognisability_at_diversity([(0.0, 0.0, 1.0), (1.0, 2.0, 0.5), (2.0, 4.0, 0.1)], 3.0)
        (0.3, 1.5, True)
    """
    pts = sorted(points)
    for (t0, d0, r0), (t1, d1, r1) in zip(pts, pts[1:]):
        if min(d0, d1) <= target <= max(d0, d1):
            w = 0.0 if d1 == d0 else (target - d0) / (d1 - d0)
            return r0 + w * (r1 - r0), t0 + w * (t1 - t0), True
    t, _, r = min(pts, key=lambda p: abs(p[1] - target))
    return r, t, False


def _bootstrap_frechet(z_gen: list, z_ref: list, n_boot: int = 200, seed: int = 0) -> tuple[float, float]:
    """Fréchet distance of pooled embeddings and the half-width of a 95% bootstrap interval over characters."""
    from ..learners.generative.metrics import frechet_between

    value = float(frechet_between(torch.cat(z_gen), torch.cat(z_ref)))
    g, n, boots = torch.Generator().manual_seed(seed), len(z_gen), []
    for _ in range(n_boot):
        idx = torch.randint(n, (n,), generator=g).tolist()
        boots.append(float(frechet_between(torch.cat([z_gen[i] for i in idx]), torch.cat([z_ref[i] for i in idx]))))
    b = torch.tensor(boots)
    return value, float((b.quantile(0.975) - b.quantile(0.025)) / 2)


def summarise(records: list[dict], k: int) -> dict:
    """Rows (per method and rounds, plus ``real``) and paired FIGR − baseline comparisons."""
    from ..evaluate import mean_ci95

    def per_char(recs, key):   # average over seeds first: the characters are the independent units
        chars = sorted({r["character"] for r in recs})
        return torch.tensor([sum(r[key] for r in recs if r["character"] == c) /
                             sum(1 for r in recs if r["character"] == c) for c in chars], dtype=torch.float64)

    def per_char_sd(recs, key):   # per character: the sd of its runs over seeds
        chars = sorted({r["character"] for r in recs})
        return torch.tensor([float(torch.tensor([r[key] for r in recs if r["character"] == c],
                                                dtype=torch.float64).std()) for c in chars], dtype=torch.float64)

    def per_char_collapsed(recs):
        chars = sorted({r["character"] for r in recs})
        return torch.tensor([sum(float(r["diversity"] < COLLAPSE * r["real_diversity"]) for r in recs
                                 if r["character"] == c) / sum(1 for r in recs if r["character"] == c)
                             for c in chars], dtype=torch.float64)

    all_records = records
    records = [r for r in records if r.get("temperature", 1.0) == 1.0]
    rows, methods = [], list(dict.fromkeys(r["method"] for r in records))
    steps = sorted({r["steps"] for r in records})
    seeds = sorted({r["seed"] for r in records})
    for m in methods:
        for s in steps:
            recs = [r for r in records if r["method"] == m and r["steps"] == s]
            row = {"method": m, "k": k, "steps": s, "ci95": {}, "n_characters": len({r["character"] for r in recs}),
                   "seeds": len(seeds)}
            for key in ("recognisability", "diversity", "nearest_shot"):
                row[key], row["ci95"][key] = mean_ci95(per_char(recs, key))
            fr = [_bootstrap_frechet([r["z_generated"] for r in recs if r["seed"] == sd],
                                     [r["z_prototype_drawings"] for r in recs if r["seed"] == sd]) for sd in seeds]
            row["frechet"] = sum(f[0] for f in fr) / len(fr)
            row["ci95"]["frechet"] = sum(f[1] for f in fr) / len(fr)
            row["seed_means"] = {}
            for key in ("recognisability", "diversity"):
                by_seed = [sum(r[key] for r in recs if r["seed"] == sd) /
                           max(1, sum(1 for r in recs if r["seed"] == sd)) for sd in seeds]
                row["seed_means"][key] = by_seed
                row[f"{key}_seed_sd"] = float(torch.tensor(by_seed).std()) if len(by_seed) > 1 else float("nan")
                if len(seeds) > 1:   # the spread of one character's runs across seeds, averaged over characters
                    row.setdefault("within_character_sd", {})[key], row.setdefault("ci95_within", {})[key] = \
                        mean_ci95(per_char_sd(recs, key))
            row["seed_means"]["nearest_shot"] = [sum(r["nearest_shot"] for r in recs if r["seed"] == sd) /
                                                 max(1, sum(1 for r in recs if r["seed"] == sd)) for sd in seeds]
            row["seed_means"]["frechet"] = [f[0] for f in fr]
            n_collapsed = sum(r["diversity"] < COLLAPSE * r["real_diversity"] for r in recs)
            row["collapsed"], row["collapsed_runs"] = n_collapsed / len(recs), [int(n_collapsed), len(recs)]
            rows.append(row)
    ref = [r for r in records if r["method"] == methods[0] and r["steps"] == steps[0]]
    real = {"method": "real", "k": k, "steps": None, "ci95": {}, "n_characters": len({r["character"] for r in ref})}
    for key in ("recognisability", "diversity", "nearest_shot"):
        real[key], real["ci95"][key] = mean_ci95(per_char(ref, f"real_{key}"))
    fr = [_bootstrap_frechet([r["z_real"] for r in ref if r["seed"] == sd],
                             [r["z_prototype_drawings"] for r in ref if r["seed"] == sd]) for sd in seeds]
    real["frechet"], real["ci95"]["frechet"] = sum(f[0] for f in fr) / len(fr), sum(f[1] for f in fr) / len(fr)
    real["seed_means"] = {key: [sum(r[f"real_{key}"] for r in ref if r["seed"] == sd) /
                                 sum(1 for r in ref if r["seed"] == sd) for sd in seeds]
                           for key in ("recognisability", "diversity", "nearest_shot")}
    real["seed_means"]["frechet"] = [f[0] for f in fr]
    rows.append(real)
    comparisons = []
    if "figr" in methods:
        for base in (m for m in methods if m != "figr"):
            for s in steps:
                a = per_char([r for r in records if r["method"] == "figr" and r["steps"] == s], "recognisability")
                b = per_char([r for r in records if r["method"] == base and r["steps"] == s], "recognisability")
                diff, ci = mean_ci95(a - b)
                comparisons.append({"comparison": f"figr - {base}", "steps": s, "recognisability_diff": diff,
                                    "ci95": ci})
    stability = []   # "more stable": FIGR against each baseline, paired per character
    if "figr" in methods:
        for base in (m for m in methods if m != "figr"):
            for s in steps:
                a = [r for r in records if r["method"] == "figr" and r["steps"] == s]
                b = [r for r in records if r["method"] == base and r["steps"] == s]
                entry = {"comparison": f"figr - {base}", "steps": s}
                entry["collapsed_diff"], entry["ci95_collapsed"] = mean_ci95(per_char_collapsed(a) - per_char_collapsed(b))
                if len(seeds) > 1:
                    entry["within_character_sd_diff"], entry["ci95"] = {}, {}
                    for key in ("recognisability", "diversity"):
                        entry["within_character_sd_diff"][key], entry["ci95"][key] = mean_ci95(
                            per_char_sd(a, key) - per_char_sd(b, key))
                stability.append(entry)
    report = {"rows": rows, "comparisons": comparisons, "stability": stability}
    if len({r.get("temperature", 1.0) for r in all_records}) > 1:
        report.update(equal_diversity(all_records, k))
    return report


def equal_diversity(records: list[dict], k: int) -> dict:
    """``curves`` (recognisability and diversity per method, rounds and τ), ``matched`` rows (recognisability
    at the real drawings' diversity) and ``matched_comparisons`` (paired FIGR − baseline at that diversity)."""
    from ..evaluate import mean_ci95

    methods = list(dict.fromkeys(r["method"] for r in records))
    temps = sorted({r["temperature"] for r in records})
    steps = sorted({r["steps"] for r in records if r["temperature"] != 1.0})
    records = [r for r in records if r["steps"] in steps]
    chars = sorted({r["character"] for r in records})
    curves = []
    for m in methods:
        for s in steps:
            for t in temps:
                recs = [r for r in records if r["method"] == m and r["steps"] == s and r["temperature"] == t]
                row = {"method": m, "steps": s, "temperature": t, "ci95": {}}
                for key in ("recognisability", "diversity"):
                    per_char = torch.tensor([sum(r[key] for r in recs if r["character"] == c) /
                                             sum(1 for r in recs if r["character"] == c) for c in chars],
                                            dtype=torch.float64)
                    row[key], row["ci95"][key] = mean_ci95(per_char)
                curves.append(row)
    runs = {}   # (method, steps, character, seed) -> its records over τ
    for r in records:
        runs.setdefault((r["method"], r["steps"], r["character"], r["seed"]), []).append(r)
    at = {}     # (method, steps, character) -> [(recognisability, temperature, reached) per seed]
    for (m, s, c, seed), recs in sorted(runs.items()):
        target = recs[0]["real_diversity"]
        at.setdefault((m, s, c), []).append(recognisability_at_diversity(
            [(r["temperature"], r["diversity"], r["recognisability"]) for r in recs], target))

    def figr_at_baseline(base, s):   # per character: FIGR at the baseline's τ = 1 diversity − the baseline at τ = 1
        out = []
        for c in chars:
            d = []
            for (m, s_, c_, seed), recs in sorted(runs.items()):
                if m == base and s_ == s and c_ == c:
                    b = next(r for r in recs if r["temperature"] == 1.0)
                    f = recognisability_at_diversity([(r["temperature"], r["diversity"], r["recognisability"])
                                                      for r in runs["figr", s, c, seed]], b["diversity"])[0]
                    d.append(f - b["recognisability"])
            out.append(sum(d) / len(d))
        return torch.tensor(out, dtype=torch.float64)

    def per_char(m, s, i):
        return torch.tensor([sum(float(v[i]) for v in at[m, s, c]) / len(at[m, s, c]) for c in chars],
                            dtype=torch.float64)

    def per_seed_diff(base, s):   # FIGR − baseline at the real drawings' diversity, each seed alone
        seeds = sorted({key[3] for key in runs})
        out = []
        for j in range(len(seeds)):
            d = [float(at["figr", s, c][j][0]) - float(at[base, s, c][j][0]) for c in chars]
            out.append(sum(d) / len(d))
        return out

    def reached_everywhere(m, s):   # characters whose every run reached the target diversity
        return per_char(m, s, 2) == 1

    matched, comparisons = [], []
    for m in methods:
        for s in steps:
            rec, ci = mean_ci95(per_char(m, s, 0))
            matched.append({"method": m, "k": k, "steps": s, "recognisability": rec, "ci95": ci,
                            "mean_temperature": float(per_char(m, s, 1).mean()),
                            "reached_share": float(per_char(m, s, 2).mean()), "n_characters": len(chars)})
    if "figr" in methods:
        for base in (m for m in methods if m != "figr"):
            for s in steps:
                d = per_char("figr", s, 0) - per_char(base, s, 0)
                diff, ci = mean_ci95(d)
                both = reached_everywhere("figr", s) & reached_everywhere(base, s)
                diff_b, ci_b = mean_ci95(d[both]) if int(both.sum()) >= 2 else (float("nan"), float("nan"))
                diff_a, ci_a = mean_ci95(figr_at_baseline(base, s))
                comparisons.append({"comparison": f"figr - {base}", "steps": s, "recognisability_diff": diff,
                                    "ci95": ci, "per_seed": per_seed_diff(base, s),
                                    "both_reached": {"n_characters": int(both.sum()),
                                                                 "recognisability_diff": diff_b, "ci95": ci_b},
                                    "at_baseline_diversity": {"recognisability_diff": diff_a, "ci95": ci_a}})
    return {"curves": curves, "matched": matched, "matched_comparisons": comparisons, "temperatures": temps}


def format_table(report: dict) -> str:
    lines = [f"{'method':9s} {'rounds':>6s}  {'recognisability':>17s}  {'diversity':>13s}  {'nearest shot':>13s}  "
             f"{'Fréchet':>15s}  {'seed sd':>7s}  {'collapsed':>9s}"]
    for r in report["rows"]:
        ci = r["ci95"]
        steps = "—" if r["steps"] is None else str(r["steps"])
        sd = r.get("recognisability_seed_sd", float("nan"))
        col = r.get("collapsed")
        lines.append(f"{r['method']:9s} {steps:>6s}  {r['recognisability']:7.3f} ± {ci['recognisability']:5.3f}  "
                     f"{r['diversity']:5.2f} ± {ci['diversity']:4.2f}  {r['nearest_shot']:5.2f} ± {ci['nearest_shot']:4.2f}  "
                     f"{r['frechet']:7.1f} ± {ci['frechet']:5.1f}  {'' if math.isnan(sd) else f'{sd:7.3f}':>7s}  "
                     f"{'' if col is None else f'{col:9.2f}':>9s}")
    if report["comparisons"]:
        lines.append("\npaired per character (recognisability):")
        for c in report["comparisons"]:
            lines.append(f"  {c['comparison']:18s} rounds {c['steps']:>3d}: {c['recognisability_diff']:+.3f} ± {c['ci95']:.3f}")
    rows = [r for r in report["rows"] if "within_character_sd" in r]
    if rows:
        lines.append("\nacross seeds: sd of the per-seed means, and one character's sd over seeds (mean ± 95% CI over characters):")
        lines.append(f"{'method':9s} {'rounds':>6s}  {'recog. seed sd':>14s}  {'recog. within':>15s}  "
                     f"{'div. seed sd':>12s}  {'div. within':>13s}  {'collapsed runs':>14s}")
        for r in rows:
            w, c = r["within_character_sd"], r["ci95_within"]
            lines.append(f"{r['method']:9s} {r['steps']:>6d}  {r['recognisability_seed_sd']:14.3f}  "
                         f"{w['recognisability']:6.3f} ± {c['recognisability']:5.3f}  {r['diversity_seed_sd']:12.3f}  "
                         f"{w['diversity']:5.2f} ± {c['diversity']:4.2f}  {r['collapsed_runs'][0]:>6d} / {r['collapsed_runs'][1]:<5d}")
    if report.get("stability"):
        lines.append("paired per character, FIGR − baseline: collapsed share; within-character sd (recognisability, diversity):")
        for e in report["stability"]:
            line = (f"  {e['comparison']:18s} rounds {e['steps']:>3d}: collapsed {e['collapsed_diff']:+.3f} ± "
                    f"{e['ci95_collapsed']:.3f}")
            if "within_character_sd_diff" in e:
                d, c = e["within_character_sd_diff"], e["ci95"]
                line += (f"; sd {d['recognisability']:+.3f} ± {c['recognisability']:.3f}, "
                         f"{d['diversity']:+.2f} ± {c['diversity']:.2f}")
            lines.append(line)
    if report.get("matched"):
        lines.append(f"\nat the real drawings' diversity (latent temperature τ per run, over {report['temperatures']}):")
        lines.append(f"{'method':9s} {'rounds':>6s}  {'recognisability':>17s}  {'mean τ':>6s}  {'reached':>7s}")
        for r in report["matched"]:
            lines.append(f"{r['method']:9s} {r['steps']:>6d}  {r['recognisability']:7.3f} ± {r['ci95']:5.3f}  "
                         f"{r['mean_temperature']:6.2f}  {r['reached_share']:7.2f}")
        lines.append("paired per character at equal diversity (recognisability):")
        for c in report["matched_comparisons"]:
            b = c["both_reached"]
            lines.append(f"  {c['comparison']:18s} rounds {c['steps']:>3d}: {c['recognisability_diff']:+.3f} ± {c['ci95']:.3f}"
                         f"   (characters where both reached it: {b['n_characters']}, {b['recognisability_diff']:+.3f} ± "
                         f"{b['ci95']:.3f})")
            if len(c.get("per_seed", [])) > 1:
                lines.append(f"  {'':18s} each seed alone: " + ", ".join(f"{v:+.3f}" for v in c["per_seed"]))
            a = c["at_baseline_diversity"]
            lines.append(f"  {'':18s} at the baseline's own diversity (τ = 1): {a['recognisability_diff']:+.3f} ± "
                         f"{a['ci95']:.3f}")
    return "\n".join(lines)


RUN_FIELDS = ("method", "seed", "character", "steps", "temperature", "recognisability", "diversity", "nearest_shot",
              "real_recognisability", "real_diversity", "real_nearest_shot")


def _float32_text(x: float) -> float:
    """A float32 score as the shortest decimal that reads back as the same float32 (9 digits at most)."""
    f32 = struct.unpack("f", struct.pack("f", x))[0]
    for digits in range(1, 10):
        short = float(f"{f32:.{digits}g}")
        if struct.unpack("f", struct.pack("f", short))[0] == f32:
            return short
    return f32


def run_table(records: list[dict]) -> dict:
    """Every run's scalar figures for the JSON (``runs``; no drawings, no embeddings): ``fields`` (:data:`RUN_FIELDS`)
    and one row of ``values`` per (method, seed, character, rounds, temperature), in the order of the records. The
    judge's scores are float32: each is written as the shortest decimal that reads back as the same float32, so a
    recomputed run can be compared exactly (``torch.tensor(v, dtype=torch.float32)``).

    Example:
        >>> r = {"method": "figr", "seed": 0, "character": 3, "steps": 10, "temperature": 1.0, "recognisability": 0.40625,
        ...      "diversity": 2.4877331256866455, "nearest_shot": 5.0, "real_recognisability": 1.0,
        ...      "real_diversity": 2.5, "real_nearest_shot": 2.0, "z_generated": None}
        >>> run_table([r])["values"]
        [['figr', 0, 3, 10, 1.0, 0.40625, 2.4877331, 5.0, 1.0, 2.5, 2.0]]
    """
    values = [[r["method"], r["seed"], r["character"], r["steps"], float(r.get("temperature", 1.0)),
               *(_float32_text(r[key]) for key in RUN_FIELDS[5:])] for r in records]
    return {"fields": list(RUN_FIELDS), "values": values}


def save_records(path, records: list[dict], settings: dict) -> None:
    """Save the runs of :func:`generation_runs` and their settings (``--records``) for :func:`merge_records`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"settings": settings, "records": records}, path)


def merge_records(parts: list[dict]) -> tuple[list[dict], dict]:
    """Pool the saved runs of several ``bench generation --records`` files made with the same settings on disjoint
    (seed, character) pairs (``--seed-offset``, ``--first-character``): the records, and the settings with the
    pooled seeds and characters and the summed seconds.

    Raises ValueError when the settings differ (other than seeds, characters and time), two parts share a
    (seed, character) pair, or the pairs do not fill a seeds × characters grid (every seed on every character).

    Example:
        >>> a = {"settings": {"k": 4, "seed_list": [0]}, "records": [{"seed": 0, "character": 0}]}
        >>> b = {"settings": {"k": 4, "seed_list": [1]}, "records": [{"seed": 1, "character": 0}]}
        >>> merge_records([a, b])[1]["seed_list"]
        [0, 1]
    """
    if not parts:
        raise ValueError("merge_records got no parts: pass the files written with --records, e.g. --merge a.pt b.pt.")
    free = ("seeds", "seed_list", "seconds", "characters", "first_character")
    base = {key: v for key, v in parts[0]["settings"].items() if key not in free}
    records, seen = [], set()
    for i, part in enumerate(parts):
        other = {key: v for key, v in part["settings"].items() if key not in free}
        if other != base:
            diff = sorted(key for key in set(base) | set(other) if base.get(key) != other.get(key))
            raise ValueError(f"part {i} was run with other settings ({diff}: {[other.get(key) for key in diff]} vs "
                             f"{[base.get(key) for key in diff]}): merge only runs of the same settings.")
        pairs = {(r["seed"], r["character"]) for r in part["records"]}
        if pairs & seen:
            raise ValueError(f"part {i} repeats (seed, character) {sorted(pairs & seen)[:3]}: merge parts with "
                             "disjoint seeds (--seed-offset) or characters (--first-character).")
        seen |= pairs
        records += part["records"]
    seeds, chars = sorted({p[0] for p in seen}), sorted({p[1] for p in seen})
    if len(seen) != len(seeds) * len(chars):
        missing = sorted({(sd, c) for sd in seeds for c in chars} - seen)
        raise ValueError(f"the parts miss (seed, character) {missing[:3]} ({len(missing)} in all): every seed must "
                         "cover the same characters; run the missing ones and merge again.")
    records.sort(key=lambda r: (r["seed"], r["character"]))   # a single run's order (stable: the rest is kept)
    settings = {**base, "seeds": len(seeds), "seed_list": seeds, "characters": len(chars),
                "seconds": sum(p["settings"].get("seconds", 0) for p in parts),
                "parts": [{key: p["settings"].get(key) for key in ("seed_list", "first_character", "characters", "seconds")}
                          for p in parts]}
    return records, settings


def run(args) -> dict:
    from ..core.checks import check_int

    torch.set_num_threads(args.threads)  # checked with every bench's shared flags (cli/bench.py)
    if args.merge is not None:
        missing = [str(f) for f in args.merge if not Path(f).exists()]
        if missing:
            raise FileNotFoundError(f"--merge: {missing} do not exist: pass files written with --records.")
        records, settings = merge_records([torch.load(f, weights_only=False) for f in args.merge])
        report = summarise(records, settings["k"])
        print(format_table(report))
        report["settings"] = settings
        report["runs"] = run_table(records)
        return report
    from ..checkpoints import checkpoint_path
    from ..learners.base import load_learner
    from ..learners.generative.metrics import GenerationJudge
    from ..tasks.omniglot import omniglot_split

    check_int("seeds", args.seeds, 1, 100, "Seeds per character (3 measure the spread across seeds).")
    check_int("seed_offset", args.seed_offset, 0, 10_000, "The first seed to run, e.g. --seed-offset 1 --seeds 2.")
    check_int("n_generated", args.n_generated, 2, 1024, "Drawings per run; diversity needs >= 2.")
    check_int("characters", args.characters, 0, 10_000, "0 scores every held-out character.")
    check_int("first_character", args.first_character, 0, 10_000, "The first held-out character, e.g. 21.")
    for s in args.steps:
        check_int("steps", s, 0, 1000, "Adaptation rounds to report, e.g. --steps 0 10 25 50.")
    bad = [m for m in args.methods if m not in METHODS]
    if bad:
        raise ValueError(f"unknown method(s) {bad}: allowed {list(METHODS)}.")
    for t in args.temperatures:
        if not 0 <= t <= 10:
            raise ValueError(f"temperatures contains {t}: latent temperatures lie in [0, 10], e.g. --temperatures 0 0.5 1 2.")
    judge = GenerationJudge(load_learner(checkpoint_path(CLASSIFIER)).eval(), omniglot_split("minimal", args.part), n_way=args.n_way)
    seed_list = list(range(args.seed_offset, args.seed_offset + args.seeds))
    if args.first_character + args.characters > judge.n_chars or args.first_character >= judge.n_chars:
        raise ValueError(f"first_character={args.first_character} with characters={args.characters} runs past the "
                         f"{judge.n_chars} held-out characters of minimal:{args.part}: keep first + N <= {judge.n_chars}.")
    print(f"held-out characters: minimal:{args.part} ({judge.n_chars}); K = {args.k}; seeds {seed_list}; classifier "
          f"{CLASSIFIER} ({args.n_way}-way, prototypes of {judge.n_proto} real non-shot drawings)")
    t0 = time.perf_counter()
    records = generation_runs(judge, args.methods, args.steps, args.k, args.seeds, args.characters, args.n_generated,
                              temperatures=args.temperatures, sweep_steps=args.sweep_steps, seed_offset=args.seed_offset,
                              first_character=args.first_character)
    settings = {"k": args.k, "steps": sorted(set(args.steps)), "seeds": args.seeds, "part": args.part,
                "characters": args.characters or judge.n_chars - args.first_character, "n_generated": args.n_generated,
                "n_way": args.n_way, "classifier": CLASSIFIER, "collapse_threshold": COLLAPSE,
                "temperatures": sorted(set(args.temperatures) | {1.0}), "sweep_steps": sorted(set(args.sweep_steps)),
                "seconds": round(time.perf_counter() - t0)}
    if args.seed_offset:
        settings["seed_list"] = seed_list
    if args.first_character:
        settings["first_character"] = args.first_character
    if args.records:
        save_records(args.records, records, {**settings, "methods": list(args.methods), "seed_list": seed_list})
    report = summarise(records, args.k)
    print(format_table(report))
    report["settings"] = settings
    report["runs"] = run_table(records)
    return report
