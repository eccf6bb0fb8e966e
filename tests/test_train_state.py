"""Every learner resumes bit-identically through the one loop, including state that is not a parameter or an
optimiser's (PEARL's replay buffers, which stay out of the committed checkpoint): ``Learner.train_state()`` is
saved in the resumable state and ``load_train_state`` restores it.

Each case is four meta-steps (one task each) of the first recipe of every learner, on the CPU, one thread.
"""

from __future__ import annotations

import pytest
import torch

from meta_course import recipes
from meta_course.learners.base import Learner
from meta_course.learners.table import LEARNERS
from meta_course.recipes.table import RECIPES
from meta_course.train import train

pytestmark = pytest.mark.usefixtures("one_thread")

FIRST_RECIPE = {}
for _name, _recipe in RECIPES.items():
    FIRST_RECIPE.setdefault(_recipe.learner, _name)
STEPS, EVERY, STOP = 4, 2, 3  # a checkpoint at 2; interrupted after step 3; resumed from 2 up to 4
#: an ensemble of committed checkpoints is not trained (see below): resume is checked on one that owns its members
OVERRIDES = {"ensemble": {"members": [{"name": "protonet", "config": {"model": {"name": "conv4", "hidden": 8}}}] * 2}}


class Interrupt(Exception):
    pass


def _run(name, checkpoint=None, stop_at=None, steps=STEPS):
    learner, sample = recipes.build(name, **OVERRIDES.get(RECIPES[name].learner, {}))

    def stop(step, values):
        if step == stop_at:
            raise Interrupt

    history = train(learner, sample, steps, meta_batch_size=1, outer_lr=1e-3,
                    seed=1, checkpoint=checkpoint, checkpoint_every=EVERY, log_every=1, progress=False, device="cpu",
                    callback=stop)
    return learner, history


def _equal(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and set(a) == set(b) and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


def test_every_learner_is_covered():
    assert set(FIRST_RECIPE) == set(LEARNERS), set(LEARNERS) - set(FIRST_RECIPE)


@pytest.mark.parametrize("learner", sorted(FIRST_RECIPE))
def test_an_interrupted_run_resumes_bit_identically(learner, tmp_path):
    name = FIRST_RECIPE[learner]
    reference, ref_history = _run(name)
    with pytest.raises(Interrupt):
        _run(name, tmp_path / "state.pt", stop_at=STOP)
    assert torch.load(tmp_path / "state.pt", weights_only=True)["step"] == EVERY
    torch.manual_seed(12345)  # another global RNG state before resuming: the loop must restore its own
    resumed, history = _run(name, tmp_path / "state.pt")
    for (key, a), b in zip(reference.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), f"{learner} ({name}): {key} differs after the resume"
    assert _equal(reference.train_state(), resumed.train_state()), f"{learner}: its training state differs"
    assert history.values == ref_history.values, f"{learner}: the logged values differ after the resume"


def test_pearl_saves_its_replay_buffers_in_the_resumable_state_only(tmp_path):
    """Without them a resumed PEARL refilled empty buffers (other data, other updates); they stay out of the
    committed checkpoint (80 tasks × 2000 transitions would be 5 MB)."""
    learner, _ = _run("pearl_nav", tmp_path / "state.pt", steps=2)
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    replay = state["train_state"]["replay"]
    assert int(replay["size"].sum()) > 0 and torch.equal(replay["data"], learner.replay.data)
    assert state["train_state"]["last_collect"] == learner.last_collect != {}
    assert not any(k.startswith("replay.") for k in state["learner"]["state_dict"])


def test_a_training_state_of_another_shape_is_refused_in_one_line():
    learner, _ = recipes.build("pearl_nav", n_train_tasks=3, capacity=10)
    other, _ = recipes.build("pearl_nav", n_train_tasks=4, capacity=10)
    with pytest.raises(ValueError, match=r"replay buffers have shapes .*--restart"):
        learner.load_train_state(other.train_state())
    with pytest.raises(ValueError, match=r"holds \['replay'\].*--restart"):
        recipes.build("maml_sine")[0].load_train_state({"replay": {}})


def test_an_ensemble_of_committed_checkpoints_refuses_to_train():
    """Its checkpoint keeps only the members' recipe names, so trained member weights were silently dropped at
    every save (the resumed run and the written file went back to the committed members)."""
    learner, sample = recipes.build("protonet_runs_ensemble_omniglot")
    with pytest.raises(ValueError, match=r"not trained .*0 steps.*\{'name', 'config'\} dicts"):
        train(learner, sample, 1, meta_batch_size=1, progress=False, device="cpu")


def test_the_base_learner_keeps_no_training_state():
    learner = recipes.build("maml_sine")[0]
    assert learner.train_state() == {} and learner.load_train_state({}) is None
    assert isinstance(learner, Learner)
