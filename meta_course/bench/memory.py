"""``bench mann`` and ``bench copy``: the memory-augmented learners beside their LSTM baselines and the papers.

- ``mann``: accuracy at the 1st, 2nd, 3rd, 4th, 5th and 10th instance of a class in held-out label-offset
  episodes (5 classes × 10 drawings, Sanskrit: an alphabet no recipe trained on), MANN vs LSTM on the same
  episodes, with the paired difference, beside Santoro et al. (2016), Table 1.
- ``copy``: wrong bits per sequence of the copy task at the training lengths and at twice the longest
  (Graves et al. 2014, Section 4.1), NTM / DNC / LSTM on the same sequences, with paired differences.

Both load the committed checkpoints (``meta_course/checkpoints/RECIPE.pt``, reproduced by ``python -m
meta_course train RECIPE``); all figures are mean ± 95% CI (1.96 s/√n) over the held-out episodes.
"""

from __future__ import annotations

import types
from typing import NamedTuple

import torch
from torch import Tensor

from ..evaluate import mean_ci95

INSTANCES = (1, 2, 3, 4, 5, 10)
#: Santoro et al. (2016), Table 1, Omniglot 5 classes, one-hot labels: accuracy (%) at these instances
PAPER_MANN = {"mann": (36.4, 82.8, 91.0, 92.6, 94.9, 98.1), "lstm": (24.4, 49.5, 55.3, 61.0, 63.6, 62.5)}
MANN_METHODS = {"mann": "mann_omniglot", "lstm": "lstm_omniglot"}
#: the same pair with the Conv-4 encoder fine-tuned end to end with the MANN (the LSTM reads that same encoder);
#: rows only where the checkpoint is committed
MANN_FT_METHODS = {"mann-ft": "mann_omniglot_conv", "lstm-ft": "lstm_omniglot_conv"}
COPY_METHODS = {"ntm": "ntm_copy", "dnc": "dnc_copy", "lstm": "lstm_copy"}
#: test-time relabelling (LabelSequenceLearner.probabilities): name → (member recipes, relabellings); the class
#: probabilities are averaged over the relabellings and the members; rows only where every member is committed
MANN_RELABELLED = {"mann-ft-r8": (("mann_omniglot_conv",), 8), "mann-drop-r8": (("mann_omniglot_conv_drop",), 8),
                   "mann-ens-r8": (("mann_omniglot_conv", "mann_omniglot_conv_drop", "mann_omniglot_centred"), 8)}


class Relabelled(NamedTuple):
    """Label-sequence learners scored together: their class probabilities averaged over ``relabelings`` relabellings
    of each episode and over the members (one member: that learner, symmetrised)."""

    members: tuple
    relabelings: int

    @property
    def image_size(self) -> int:
        return self.members[0].image_size

    def parameters(self):
        return self.members[0].parameters()

    def accuracy_by_instance(self, batch, instances) -> Tensor:
        probs = sum(m.probabilities(batch, self.relabelings) for m in self.members) / len(self.members)
        return self.members[0].accuracy_by_instance(batch, instances, probabilities=probs)


def _load(recipe: str, device="cpu"):
    from ..checkpoints import checkpoint_path
    from ..learners.base import load_learner

    learner = load_learner(checkpoint_path(recipe), device=device)
    learner.eval()
    return learner


def _fmt(mean: float, ci: float, scale: float = 1.0, digits: int = 1) -> str:
    return f"{mean * scale:.{digits}f} ± {ci * scale:.{digits}f}"


# --------------------------------------------------------------------------------------------- bench mann
def mann_add_arguments(p) -> None:
    p.add_argument("--episodes", type=int, default=1000, help="held-out episodes (default 1000)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the held-out episodes (never used in training)")
    p.add_argument("--part", default="test", choices=["test", "val"], help="held-out alphabet: test = Sanskrit")
    p.add_argument("--chunk", type=int, default=250, help="episodes per forward pass")


def mann_accuracies(learners: dict, episodes: int = 1000, seed: int = 2026, part: str = "test",
                    chunk: int = 250) -> dict:
    """``{name: Tensor [episodes, len(INSTANCES)]}``: each learner's accuracy per episode and instance, all
    learners on the same held-out episodes (``minimal`` ``part``, no rotations)."""
    from ..core.checks import check_int
    from ..tasks.sequences import OmniglotSequences

    check_int("episodes", episodes, 2, 1_000_000, "At least 2 episodes for a confidence interval; 1000 is the default.")
    sizes = {learner.image_size for learner in learners.values()}
    if len(sizes) != 1:
        raise ValueError(f"the learners take images of sizes {sorted(sizes)}: compare learners with the same input.")
    seqs = OmniglotSequences("minimal", part, rotations=False, size=sizes.pop())
    g = torch.Generator().manual_seed(seed)
    out = {name: [] for name in learners}
    for start in range(0, episodes, chunk):
        batch = seqs.sample(g, min(chunk, episodes - start))
        for name, learner in learners.items():
            device = next(learner.parameters()).device
            out[name].append(learner.accuracy_by_instance(batch.to(device), INSTANCES).cpu())
    return {name: torch.cat(v) for name, v in out.items()}


def mann_run(args) -> dict:
    from ..checkpoints import HERE

    methods = dict(MANN_METHODS)
    for name, recipe in MANN_FT_METHODS.items():
        if (HERE / f"{recipe}.pt").exists():
            methods[name] = recipe
        else:
            print(f"({name}: no committed checkpoint {recipe}.pt in this install; "
                  f"`python -m meta_course train {recipe}` makes it)")
    learners = {name: _load(recipe) for name, recipe in methods.items()}
    by_recipe = {recipe: learners[name] for name, recipe in methods.items()}   # each checkpoint loaded once
    for name, (members, relabelings) in MANN_RELABELLED.items():
        missing = [r for r in members if not (HERE / f"{r}.pt").exists()]
        if missing:
            print(f"({name}: no committed checkpoint {', '.join(missing)} in this install)")
            continue
        methods[name] = " + ".join(members) + f" ×{relabelings} relabellings"
        for r in members:
            if r not in by_recipe:
                by_recipe[r] = _load(r)
        learners[name] = Relabelled(tuple(by_recipe[r] for r in members), relabelings)
    acc = mann_accuracies(learners, args.episodes, args.seed, args.part, args.chunk)
    rows, header = [], ["method"] + [f"{k}{'st' if k == 1 else 'nd' if k == 2 else 'rd' if k == 3 else 'th'}"
                                       for k in INSTANCES]
    print(f"Label-offset Omniglot episodes, 5 classes × 10 instances, held-out alphabet ({args.part}), "
          f"{args.episodes} episodes: accuracy (%) at each instance, mean ± 95% CI")
    print(" | ".join(f"{h:>13s}" for h in header))
    for name, a in acc.items():
        cells = []
        for j, k in enumerate(INSTANCES):
            mean, ci = mean_ci95(a[:, j])
            family = name.split("-")[0]                 # the paper's row of the same family
            rows.append({"method": name, "recipe": methods[name], "instance": k, "accuracy": mean, "ci95": ci,
                         "paper": PAPER_MANN[family][j] / 100})
            cells.append(_fmt(mean, ci, 100))
        print(" | ".join([f"{name:>13s}"] + [f"{c:>13s}" for c in cells]))
        if name in PAPER_MANN:
            print(" | ".join([f"{'paper ' + name:>13s}"] + [f"{v:>13.1f}" for v in PAPER_MANN[name]]))
    diff = acc["mann"] - acc["lstm"]
    paired = []
    for j, k in enumerate(INSTANCES):
        mean, ci = mean_ci95(diff[:, j])
        paired.append({"instance": k, "mann_minus_lstm": mean, "ci95": ci})
    print(" | ".join([f"{'MANN − LSTM':>13s}"] + [f"{_fmt(p['mann_minus_lstm'], p['ci95'], 100):>13s}" for p in paired]))
    pairs = [(a, b) for a, b in (("mann-ft", "lstm-ft"), ("mann-ft", "lstm"), ("mann-ft", "mann"),
                                 ("mann-ft-r8", "mann-ft"), ("mann-drop-r8", "mann-ft"), ("mann-drop-r8", "lstm-ft"),
                                 ("mann-drop-r8", "lstm"), ("mann-ens-r8", "mann-ft"), ("mann-ens-r8", "lstm-ft"),
                                 ("mann-ens-r8", "lstm")) if a in acc and b in acc]
    paired_ft = []
    for a, b in pairs:
        cells = []
        for j, k in enumerate(INSTANCES):
            mean, ci = mean_ci95(acc[a][:, j] - acc[b][:, j])
            paired_ft.append({"instance": k, "pair": f"{a} - {b}", "difference": mean, "ci95": ci})
            cells.append(_fmt(mean, ci, 100))
        print(" | ".join([f"{a.upper() + ' − ' + b.upper():>13s}"] + [f"{c:>13s}" for c in cells]))
    return {"rows": rows, "paired": paired, "paired_ft": paired_ft, "episodes": args.episodes, "seed": args.seed,
            "part": args.part,
            "input": {name: (learner.config.get("encoder") or "pixels")
                      + (" (fine-tuned)" if learner.config.get("finetune_encoder") else "")
                      for name, learner in learners.items() if not isinstance(learner, Relabelled)}}


# --------------------------------------------------------------------------------------------- bench copy
def copy_add_arguments(p) -> None:
    p.add_argument("--sequences", type=int, default=200, help="sequences per length (default 200)")
    p.add_argument("--lengths", type=int, nargs="*", help="default: 1/4, 1/2 and all of the longest training "
                                                         "length, and twice it")
    p.add_argument("--seed", type=int, default=2026, help="seed of the held-out sequences")


def copy_errors(learners: dict, lengths, sequences: int = 200, seed: int = 2026, width: int = 8) -> dict:
    """``{(name, L): Tensor [sequences]}``: wrong bits per copied sequence, the same sequences for every learner."""
    from ..core.checks import check_int
    from ..tasks.sequences import CopyTask

    check_int("sequences", sequences, 2, 1_000_000, "At least 2 sequences for a confidence interval.")
    out = {}
    for L in lengths:
        batch = CopyTask(width=width, min_length=L, max_length=L).sample(torch.Generator().manual_seed(seed + L), sequences)
        for name, learner in learners.items():
            out[name, L] = learner.score(batch.to(next(learner.parameters()).device)).cpu()
    return out


def copy_run(args) -> dict:
    from ..recipes import get_recipe

    from ..checkpoints import HERE

    present = {name: recipe for name, recipe in COPY_METHODS.items() if (HERE / f"{recipe}.pt").exists()}
    for name in sorted(set(COPY_METHODS) - set(present)):
        print(f"({name}: no committed checkpoint {COPY_METHODS[name]}.pt in this install; "
              f"`python -m meta_course train {COPY_METHODS[name]}` makes it)")
    if "lstm" not in present:
        raise ValueError("bench copy compares with the LSTM baseline: lstm_copy.pt is missing; "
                         "run `python -m meta_course train lstm_copy`.")
    learners = {name: _load(recipe) for name, recipe in present.items()}
    memories = [name for name in ("ntm", "dnc") if name in learners]
    longest = get_recipe(COPY_METHODS["dnc"]).task_args["max_length"]
    lengths = args.lengths or sorted({max(1, longest // 4), max(1, longest // 2), longest, 2 * longest})
    errors = copy_errors(learners, lengths, args.sequences, args.seed)
    print(f"Copy task (8-bit vectors), trained on lengths 1..{longest}: wrong bits per sequence over "
          f"{args.sequences} held-out sequences, mean ± 95% CI")
    print(" | ".join(f"{h:>15s}" for h in ["length"] + list(learners) + [f"{m.upper()} − LSTM" for m in memories]))
    rows, paired = [], []
    for L in lengths:
        cells = []
        for name in learners:
            mean, ci = mean_ci95(errors[name, L])
            rows.append({"method": name, "recipe": COPY_METHODS[name], "length": L, "bit_errors": mean, "ci95": ci,
                         "trained_on": f"1..{longest}"})
            cells.append(_fmt(mean, ci, digits=2))
        for name in memories:
            mean, ci = mean_ci95(errors[name, L] - errors["lstm", L])
            paired.append({"length": L, "method": name, "minus_lstm": mean, "ci95": ci})
            cells.append(_fmt(mean, ci, digits=2))
        print(" | ".join([f"{L:>15d}"] + [f"{c:>15s}" for c in cells]))
    return {"rows": rows, "paired": paired, "sequences": args.sequences, "seed": args.seed, "trained_on": [1, longest]}


mann = types.SimpleNamespace(
    HELP="MANN vs LSTM on held-out label-offset Omniglot episodes: accuracy at instances 1-5 and 10, beside the paper",
    add_arguments=mann_add_arguments, run=mann_run)
copy = types.SimpleNamespace(
    HELP="NTM / DNC / LSTM on the copy task: wrong bits per sequence at the training lengths and twice the longest",
    add_arguments=copy_add_arguments, run=copy_run)

__all__ = ["COPY_METHODS", "INSTANCES", "MANN_FT_METHODS", "MANN_METHODS", "MANN_RELABELLED", "PAPER_MANN",
           "Relabelled", "copy", "copy_errors",
           "mann", "mann_accuracies"]
