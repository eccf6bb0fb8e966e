"""The classroom app: every lesson widget as a page without code (served by Voilà).

:data:`APPS` is the one table: page name → :class:`App` (title, what to try, and a builder that loads the
committed checkpoints onto the chosen device and returns the same widget the lesson shows).
:func:`write_apps` writes one small notebook per page (a title cell and one code cell calling
:func:`show`); ``python -m meta_course app`` (``make app``) writes them and serves the folder with Voilà,
which runs each page's cell in its own kernel and shows only the rendered output.

Example:
    >>> sorted(APPS)[:2]
    ['embedding_space', 'neural_processes']
    >>> write_apps("build/app")                                       # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..core.checks import check_choice


@dataclass(frozen=True)
class App:
    """One page of the classroom app.

    Attributes:
        title: the page heading.
        lesson: the lesson notebook the widget comes from (``"01_maml_sine"``).
        intro: two or three sentences for the page: what is shown and what to try.
        build: ``build(device) -> ipywidgets.Widget``.
    """

    title: str
    lesson: str
    intro: str
    build: Callable


def _learner(recipe: str, device):
    from ..checkpoints import checkpoint_path
    from ..learners import load_learner

    return load_learner(checkpoint_path(recipe), device=device).eval()


def _sine(device):
    from ..viz.sine import sine_explorer

    return sine_explorer({"maml": _learner("maml_sine", device), "pretrained": _learner("pretrained_sine", device)})


def _omniglot_episodes(device):
    from ..tasks.omniglot import load_split
    from ..viz.omniglot import omniglot_explorer

    return omniglot_explorer(load_split("minimal"))


def _embedding_space(device):
    from ..viz.metric import metric_explorer

    return metric_explorer({"ProtoNet": _learner("protonet_omniglot", device),
                            "Matching": _learner("matching_omniglot", device),
                            "Siamese": _learner("siamese_omniglot", device)})


def _parameter_space(device):
    from ..tasks.linear import bowl_tasks
    from ..viz.param_space import param_space_explorer

    return param_space_explorer(bowl_tasks(), train_lr=0.3, train_steps=2)


def _omniglot_adaptation(device):
    from ..recipes import get_recipe
    from ..viz.omniglot_adapt import omniglot_explorer

    recipes = {"maml": "maml_omniglot", "transfer": "transfer_omniglot"}
    shown = {n: _learner(r, device) for n, r in recipes.items()}
    # each learner adapts with its recipe's test-time step size, as in lesson 07
    knobs = {n: {k: v for k, v in get_recipe(r).eval_knobs.items() if k != "inner_steps"} for n, r in recipes.items()}
    return omniglot_explorer(shown, max_steps=10, knobs=knobs)


def _neural_processes(device):
    from ..viz.neural_processes import np_explorer

    cnps = {"sine": _learner("cnp_sine", device), "gp": _learner("cnp_gp", device)}
    return np_explorer(cnps, maml=_learner("maml_sine", device))


def _memory_episode(device):
    from ..viz.memory import mann_explorer

    return mann_explorer({"mann": _learner("mann_omniglot", device), "lstm": _learner("lstm_omniglot", device)})


def _copy_task(device):
    from ..recipes import get_recipe
    from ..viz.memory import copy_explorer

    learners = {"ntm": _learner("ntm_copy", device), "dnc": _learner("dnc_copy", device),
                "lstm": _learner("lstm_copy", device)}
    return copy_explorer(learners, max_train_length=get_recipe("dnc_copy").task_args["max_length"])


#: RL² agents of lesson 11, one per (arms k, pulls n)
BANDIT_SETTINGS = ((5, 10), (10, 10), (5, 100), (10, 100))


def _bandits(device):
    from ..viz.rl import bandit_explorer

    return bandit_explorer({kn: _learner(f"rl2_bandits_k{kn[0]}_n{kn[1]}", device) for kn in BANDIT_SETTINGS})


def _maml_navigation(device):
    from ..viz.rl_navigation import maml_explorer

    return maml_explorer({"MAML-RL": _learner("maml_rl_nav", device), "pretrained": _learner("pretrained_rl_nav", device)})


def _pearl_navigation(device):
    from ..viz.rl_navigation import navigation_explorer

    return navigation_explorer(_learner("pearl_nav", device))


def _gan_ring(device):
    from ..viz.gan import load_ring_snapshots, ring_explorer

    return ring_explorer(load_ring_snapshots())


def _meta_gradient_alpha(device):
    from ..viz.derivations import alpha_explorer

    return alpha_explorer()


def _sine_family(device):
    from ..viz.sine_family import load_sine_family, sine_family_explorer

    return sine_family_explorer(load_sine_family(device=device))


def _cold_start(device):
    from ..bench.recommendation import load_recommenders
    from ..viz.recommendation import recommendation_explorer

    return recommendation_explorer(load_recommenders(device=device))


APPS: dict[str, App] = {
    "sine_adaptation": App(
        "Sine waves: MAML adapts, pretraining does not", "01_maml_sine",
        "A new task is a sine wave y = A·sin(x − φ); the learners see only K points of it. Move the sliders: "
        "MAML's initialisation fits the wave in a few gradient steps, the pretrained network barely moves. "
        "Try K = 1, or 0 inner steps.", _sine),
    "omniglot_episodes": App(
        "Omniglot: what a few-shot episode looks like", "02_omniglot",
        "An N-way K-shot episode: N characters, K drawings of each to learn from (support), more drawings to "
        "classify (query). Pick an alphabet, N and K; resample for a new episode.", _omniglot_episodes),
    "parameter_space": App(
        "Parameter space: where meta-learned initialisations sit", "05_optimisation_family",
        "Each contour plot is one task's loss over two parameters. MAML, Reptile and pretraining start from "
        "different points; the paths are the inner-loop steps. Change the steps and the step size.",
        _parameter_space),
    "embedding_space": App(
        "Embedding space: prototypes and their regions", "06_metric_learning",
        "A prototypical network maps every drawing to a point; each class is the mean of its support points, "
        "and a query takes the class of the nearest prototype. Change N, K and the distance and watch the "
        "regions move (a 2-D projection of the 64-D space).", _embedding_space),
    "omniglot_adaptation": App(
        "Omniglot: adaptation step by step", "07_maml_omniglot",
        "A held-out 5-way episode (an alphabet never seen in training). Slide the inner steps: MAML's "
        "predictions become right after a few steps; the transfer baseline's fresh head needs more. "
        "A new episode draws other characters.", _omniglot_adaptation),
    "memory_episode": App(
        "Memory-augmented networks: one episode, step by step", "08_memory_augmented",
        "A MANN and an LSTM read 50 drawings of 5 new characters; each label arrives one step after its image. "
        "Slide the step: see what each network predicted before the label came, and which memory slots the "
        "MANN wrote and read. Compare the first and the second sight of a character.", _memory_episode),
    "copy_task": App(
        "Memory networks: copying sequences longer than any seen in training", "09_ntm_dnc",
        "A neural Turing machine, a differentiable neural computer and an LSTM, all trained to copy sequences of 1 "
        "to 10 bit vectors. Slide the length past 10: the NTM keeps copying by walking its memory slot by slot, the "
        "DNC by following the order of its writes, while the LSTM's errors (circled) pile up. The lower panels "
        "show where the NTM and the DNC write and read.", _copy_task),
    "neural_processes": App(
        "Neural processes: a prediction with its uncertainty", "10_neural_processes",
        "A conditional neural process reads context points and predicts a mean and a band of uncertainty at "
        "once, with no gradient step. Add points and watch the band shrink where it has seen data.",
        _neural_processes),
    "bandits": App(
        "Meta-RL on bandits: an agent that learned to explore", "11_meta_rl_bandits",
        "An RL² agent (a recurrent policy trained on many bandit problems) pulls arms of a new bandit next to "
        "UCB1 and Thompson sampling. Change the number of arms and pulls, draw another bandit, and slide the "
        "pull t to see what each method believes at that point.", _bandits),
    "maml_navigation": App(
        "MAML for RL: one policy-gradient step towards a new goal", "12_maml_rl_and_pearl",
        "A point robot must reach a goal it is never shown; the reward is minus its distance. Gray paths are sampled "
        "before adapting, green ones after the inner policy-gradient steps. Move the goal: MAML-RL's start turns "
        "towards it in one step, the jointly trained policy barely moves.", _maml_navigation),
    "pearl_navigation": App(
        "PEARL: exploring by posterior sampling", "12_maml_rl_and_pearl",
        "The goal lies somewhere on the half circle and pays a reward only within 0.2 of it. Before each episode PEARL "
        "samples a task hypothesis from its posterior; the red dots are the goals its hypotheses stand for. Pick a "
        "goal and step through the episodes: after a rewarded one they gather at the goal.", _pearl_navigation),
    "gan_ring": App(
        "GANs on a ring: mode collapse and the gradient penalty", "13_gans",
        "Eight Gaussians on a circle are the data; each frame shows 500 samples of a generator during training. "
        "Pick the minimax GAN or WGAN-GP with a penalty weight λ and a seed, and slide through training: watch "
        "which modes are covered, and for how long.", _gan_ring),
    "meta_gradient_alpha": App(
        "The meta-gradient: how wrong is each shortcut?", "03_derivations",
        "MAML's meta-gradient needs a Hessian term. Move the inner step size α and compare three shortcuts with "
        "the exact gradient: first-order MAML, a source article's formula, and the correct expansion. Small α: "
        "the expansion wins; large α: every shortcut fails.", _meta_gradient_alpha),
    "sine_family": App(
        "The optimisation family on one sine wave", "05_optimisation_family",
        "MAML, first-order MAML, Reptile, Meta-SGD, the LSTM meta-learner and the pretrained network see the same "
        "K points of a new sine wave and adapt, each with its own step size or learned rule. Try K = 2, and 0 steps.",
        _sine_family),
    "cold_start": App(
        "Cold-start recommendation: you are the new user", "16_applications_cold_start",
        "Pick an age group and rate a few items. A global model, the same model fine-tuned on your ratings, and MAML "
        "over users each recommend five items; watch which genres they expect you to like.", _cold_start),
}


def available_apps() -> list[str]:
    """The pages whose checkpoints are in this install (a family's page appears once its checkpoints do)."""
    from ..checkpoints import HERE

    needs = {"neural_processes": ("cnp_sine", "cnp_gp"), "memory_episode": ("mann_omniglot", "lstm_omniglot"),
             "bandits": tuple(f"rl2_bandits_k{k}_n{n}" for k, n in BANDIT_SETTINGS),
             "maml_navigation": ("maml_rl_nav", "pretrained_rl_nav"), "pearl_navigation": ("pearl_nav",)}
    from ..viz.gan import SNAPSHOTS

    files = {"gan_ring": (SNAPSHOTS,)}
    needs["few_shot_generation"] = ("figr_omniglot", "wgan_gp_omniglot", "protonet_xl_omniglot")
    return [name for name in APPS if all((HERE / f"{r}.pt").exists() for r in needs.get(name, ()))
            and all(f.exists() for f in files.get(name, ()))]


def show(name: str, device=None):
    """Build page ``name``'s widget on ``device`` (default: cuda → mps → cpu) and return it."""
    from ..core.device import default_device

    check_choice("app", name, sorted(APPS), "These are the classroom pages (meta_course.lessons.apps.APPS).")
    return APPS[name].build(device if device is not None else default_device())


def app_notebook(name: str) -> dict:
    """The notebook of one page: a title cell and a code cell (hidden by Voilà) that shows the widget."""
    check_choice("app", name, sorted(APPS), "These are the classroom pages (meta_course.lessons.apps.APPS).")
    app = APPS[name]
    md = f"# {app.title}\n\n{app.intro}\n\n*From lesson `{app.lesson}` of the meta-learning course.*"
    code = ("import torch\nfrom meta_course.lessons.apps import show\n\n"
            f"torch.manual_seed(0)\nshow({name!r})")
    cell = lambda kind, text, **extra: {"cell_type": kind, "id": f"{name[:20]}-{kind[:4]}", "metadata": {},  # noqa: E731
                                        "source": text, **extra}
    return {"cells": [cell("markdown", md), cell("code", code, execution_count=None, outputs=[])],
            "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                        "name": "python3"},
                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def write_apps(folder, names=None) -> list[Path]:
    """Write one notebook per page into ``folder`` (``NN_name.ipynb`` in :data:`APPS` order); return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = available_apps() if names is None else list(names)
    paths = []
    for i, name in enumerate(names, 1):
        path = folder / f"{i:02d}_{name}.ipynb"
        path.write_text(json.dumps(app_notebook(name), indent=1) + "\n")
        paths.append(path)
    return paths


def _few_shot_generation(device):
    from ..viz.gan import few_shot_explorer, load_few_shot_explorer

    return few_shot_explorer(load_few_shot_explorer(device))


APPS["few_shot_generation"] = App(
    "Few-shot generation: new drawings of a character from K examples", "14_meta_gan",
    "A character of an alphabet no generator was trained on; the top row shows the K drawings each generator adapts "
    "on. FIGR (a meta-learned start), a GAN trained on all training characters and fine-tuned, and a GAN from scratch "
    "play the same rounds of WGAN-GP on them. Slide the rounds and K: recognisability is how often a classifier that "
    "never saw the alphabet names the right character among 20; diversity is the drawings' spread (real: in the title).",
    _few_shot_generation)
