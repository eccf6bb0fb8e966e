"""Recipes of the metric-based family on Omniglot: Siamese, Matching and Prototypical networks and the
ProtoNet ensemble, and the learner methods of Lake's one-shot runs (``runs --method NAME``). Each comment
is the lab note of the set-up below it.
"""

from __future__ import annotations

from .base import Recipe, RunsMethod

#: the embedding every metric recipe uses: Conv-4, 64 channels, a 64-d embedding of a 28×28 image
CONV4 = {"name": "conv4", "out_features": None}


def omniglot_recipe(learner: str, config: dict, steps: int, n_way: int = 30, q_query: int = 4, split: str = "minimal",
                    part: str = "train+val", affine_strength: float = 0.0, note: str = "", seed: int = 0) -> Recipe:
    """A metric recipe on Omniglot: 1-shot episodes with rotations as new classes, one episode per step.

    ``part="train+val"`` trains on every alphabet of ``split`` except its test alphabets (for
    ``minimal``: all but Sanskrit), ``"all"`` on the whole split (``minimal1``/``minimal2``, scored
    on Lake's runs only). More ways than at test time (Snell et al. 2017, Section 3.1) and few
    queries per class keep a step around 150 images: about 0.5 s on one busy CPU thread.
    """
    return Recipe(learner, config, task="omniglot_affine",
                  task_args=dict(split=split, part=part, n_way=n_way, k_shot=1, q_query=q_query, rotations=True,
                                 affine_strength=affine_strength),
                  steps=steps, meta_batch_size=1, outer_lr=1e-3, note=note, seed=seed)


RECIPES: dict[str, Recipe] = {}

# Siamese networks (Koch et al. 2015)
RECIPES["siamese_omniglot"] = omniglot_recipe("siamese", dict(model=CONV4), steps=600,
                                              note="twin Conv-4, weighted L1 + sigmoid, balanced pairs")

# Matching networks (Vinyals et al. 2016)
RECIPES["matching_omniglot"] = omniglot_recipe("matching", dict(model=CONV4), steps=800,
                                               note="Conv-4 Matching net, cosine attention")
RECIPES["matching_fce_omniglot"] = omniglot_recipe("matching", dict(model=CONV4, fce=True), steps=600,
                                                   note="+ full-context embeddings (BiLSTM g, attLSTM f)")
# The same FCE run continued (identical settings and seed: retraces matching_fce_omniglot exactly).
RECIPES["matching_fce_long_omniglot"] = omniglot_recipe("matching", dict(model=CONV4, fce=True), steps=1800,
                                                        note="matching_fce_omniglot trained longer")

# Prototypical networks (Snell et al. 2017).
# Snell et al. train 60-way on 1200×4 classes; minimal's 200 train+val characters ×4 rotations allow it,
# but 30 ways keep a step near 0.5 s here.
RECIPES["protonet_omniglot"] = omniglot_recipe("protonet", dict(model=CONV4), steps=800,
                                               note="Conv-4 ProtoNet, 30-way 1-shot, rotations")
# The same run continued (identical settings and seed, so `train protonet_long_omniglot` retraces
# protonet_omniglot's first 800 steps exactly), for as long as the CPU budget allowed.
RECIPES["protonet_long_omniglot"] = omniglot_recipe("protonet", dict(model=CONV4), steps=1400,
                                                    note="protonet_omniglot trained longer")
RECIPES["protonet_xl_omniglot"] = omniglot_recipe("protonet", dict(model=CONV4), steps=2600,
                                                  note="protonet_long_omniglot trained longer still")
# For Lake's runs only (they use the evaluation alphabets, none of which is in `minimal`): every `minimal`
# alphabet, Sanskrit included (so no held-out alphabet columns), small affine distortions, and Snell et
# al.'s halving of the step size — 8 000 episodes, 46 min on one CPU thread.
RECIPES["protonet_runs_omniglot"] = omniglot_recipe(
    "protonet", dict(model=CONV4, halve_lr_every=2500), steps=8000, part="all", affine_strength=0.5,
    note="all of minimal (runs only), affine 0.5, step size halved every 2 500")
RECIPES["protonet_runs_xl_omniglot"] = omniglot_recipe(
    "protonet", dict(model=CONV4, halve_lr_every=2500), steps=12000, part="all", affine_strength=0.5,
    note="protonet_runs_omniglot continued to 12 000 episodes (the same run)")
# Two more runs-only models with their own seeds, for the ensemble below: Snell et al.'s 60-way
# training (2 queries per class keep a step at 180 images), and Koch et al.'s full distortion strength.
RECIPES["protonet_runs60_omniglot"] = omniglot_recipe(
    "protonet", dict(model=CONV4, halve_lr_every=2500), steps=8000, n_way=60, q_query=2, part="all",
    affine_strength=0.5, seed=1, note="all of minimal (runs only), 60-way 1-shot, affine 0.5, seed 1")
RECIPES["protonet_runs_affine1_omniglot"] = omniglot_recipe(
    "protonet", dict(model=CONV4, halve_lr_every=2500), steps=8000, part="all", affine_strength=1.0, seed=2,
    note="all of minimal (runs only), 30-way 1-shot, affine 1.0 (Koch's ranges), seed 2")
# Their ensemble (`learners/metric/ensemble.py`: embeddings concatenated, logits summed), each member at its
# final step. Fixed before any member was scored; `train` with 0 steps writes it from the members'
# committed checkpoints.
RUNS_ENSEMBLE = ("protonet_runs_xl_omniglot", "protonet_runs60_omniglot", "protonet_runs_affine1_omniglot")
RECIPES["protonet_runs_ensemble_omniglot"] = omniglot_recipe(
    "ensemble", dict(members=list(RUNS_ENSEMBLE)), steps=0, part="all",
    note="the three runs-only ProtoNets as one (concatenated embeddings); 0 steps: writes the ensemble")
# Lake et al. (2019)'s one-set settings: train on one five-alphabet minimal set, score on the runs.
RECIPES["protonet_minimal1_omniglot"] = omniglot_recipe("protonet", dict(model=CONV4), steps=300,
                                                        split="minimal1", part="all",
                                                        note="one set: images_background_small1")
RECIPES["protonet_minimal2_omniglot"] = omniglot_recipe("protonet", dict(model=CONV4), steps=300,
                                                        split="minimal2", part="all",
                                                        note="one set: images_background_small2")

# Lake's runs (`python -m meta_course runs --method NAME`). ProtoNet: the ensemble of the three runs-only
# ProtoNets (this rule was fixed before its members were scored), 8 extra test-time views per image (TTA);
# "-plain" without them; "-single" the longest-trained single network; "-heldout" the best checkpoint that
# never saw Sanskrit (the one lesson 06 evaluates).
RUNS_METHODS: dict[str, RunsMethod] = {
    "siamese": RunsMethod("siamese_omniglot", "Siamese net, Conv-4 on minimal, TTA 8", {"tta": 8}),
    "matching": RunsMethod("matching_omniglot", "Matching net, Conv-4 on minimal, TTA 8", {"tta": 8}),
    "matching-fce": RunsMethod("matching_fce_omniglot", "Matching net + FCE on minimal, TTA 8", {"tta": 8}),
    "protonet": RunsMethod("protonet_runs_ensemble_omniglot", "ensemble of 3 ProtoNets on all of minimal, TTA 8",
                           {"tta": 8}),
    "protonet-plain": RunsMethod("protonet_runs_ensemble_omniglot", "ensemble of 3 ProtoNets on all of minimal, no TTA"),
    "protonet-single": RunsMethod("protonet_runs_xl_omniglot", "ProtoNet (12 000 episodes) on all of minimal, TTA 8",
                                  {"tta": 8}),
    "protonet-heldout": RunsMethod("protonet_xl_omniglot",
                                   "ProtoNet (2 600 episodes) on minimal without Sanskrit, TTA 8", {"tta": 8}),
}
