"""One inner step size per learner in the sine explorer: the baseline runs at its own tuned α."""

import pytest
import torch

from meta_course.checkpoints import checkpoint_path
from meta_course.learners import load_learner
from meta_course.viz.sine import learner_inner_lrs, sine_adaptation


@pytest.fixture(scope="module")
def learners():
    return {n: load_learner(checkpoint_path(f"{n}_sine")) for n in ("maml", "pretrained")}


def test_default_is_each_learners_own_step_size(learners):
    from meta_course.recipes import get_recipe

    lrs = learner_inner_lrs(learners)
    assert lrs == {"maml": get_recipe("maml_sine").config["inner_lr"],
                   "pretrained": get_recipe("pretrained_sine").config["inner_lr"]}
    assert lrs["pretrained"] == 0.01 and lrs["maml"] == 1e-3


def test_per_learner_alpha_is_used(learners):
    own = sine_adaptation(learners, 3.0, 1.0, inner_steps=5, seed=1)
    same = sine_adaptation(learners, 3.0, 1.0, inner_steps=5, seed=1, inner_lr=1e-3)
    explicit = sine_adaptation(learners, 3.0, 1.0, inner_steps=5, seed=1, inner_lr={"maml": 1e-3, "pretrained": 0.01})
    assert torch.equal(own.after["maml"], same.after["maml"])                  # MAML at its own α either way
    assert not torch.equal(own.after["pretrained"], same.after["pretrained"])  # the baseline no longer at MAML's
    assert torch.equal(own.after["pretrained"], explicit.after["pretrained"])
    with pytest.raises(ValueError, match=r"no step size for \['pretrained'\]"):
        sine_adaptation(learners, 3.0, 1.0, inner_lr={"maml": 1e-3})
    with pytest.raises(ValueError, match="inner_lr\\['maml'\\]"):
        sine_adaptation(learners, 3.0, 1.0, inner_lr={"maml": -1.0, "pretrained": 0.01})


def test_explorer_has_one_alpha_slider_per_learner(learners):
    from meta_course.viz.sine import sine_explorer

    box = sine_explorer(learners)
    column = box.children[0].children[1].children
    alphas = {s.description: s for s in column if getattr(s, "description", "").startswith("α ")}
    assert set(alphas) == {"α maml", "α pretrained"} and alphas["α pretrained"].value == pytest.approx(0.01)
    image, before = box.children[1], bytes(box.children[1].value)
    alphas["α pretrained"].value = 0.03
    assert bytes(image.value) != before
