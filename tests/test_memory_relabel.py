"""Test-time relabelling of label-offset episodes (LabelSequenceLearner.probabilities) and the relabelled MANNs of
`bench mann` (MANN_RELABELLED): the symmetrisation checked exactly on a small network, the committed members checked
against their recipes, and the relabelled ensemble against the LSTM on held-out episodes (paired, CI-based)."""

from __future__ import annotations

import os

import pytest
import torch

from meta_course.bench.memory import INSTANCES, MANN_RELABELLED, Relabelled, mann_accuracies
from meta_course.checkpoints import checkpoint_path
from meta_course.evaluate import mean_ci95
from meta_course.learners import load_learner
from meta_course.learners.memory.mann import MANN
from meta_course.tasks.sequences import LabelledSequences
from _checkpoints import assert_recipe_checkpoint

needs_data = pytest.mark.skipif(not os.environ.get("META_COURSE_DATA"), reason="needs the Omniglot files")


def _episodes(n_classes=5, length=12, batch=3, size=4):
    g = torch.Generator().manual_seed(0)
    y = torch.stack([torch.randperm(n_classes, generator=g).repeat(3)[:length] for _ in range(batch)])
    x = torch.rand(batch, n_classes, 1, size, size, generator=g)[torch.arange(batch)[:, None], y]  # one image per class
    return LabelledSequences(x, y, torch.ones_like(y))


def _mann():
    torch.manual_seed(0)
    return MANN(image_size=4, memory_slots=8, memory_width=4, read_heads=2, hidden_size=8).eval()


def test_one_relabelling_is_the_network_itself():
    m, b = _mann(), _episodes()
    with torch.no_grad():
        assert torch.allclose(m.probabilities(b, relabelings=1), torch.softmax(m.logits(b), -1), atol=1e-6)


def test_every_cyclic_relabelling_makes_the_prediction_independent_of_the_label_numbers():
    """With all n cyclic shifts averaged, relabelling the episode by a shift σ relabels the prediction by σ exactly:
    p'(σ(c)) = p(c). The network alone (one relabelling) is not symmetric — the averaging is what makes it so."""
    m, b, n = _mann(), _episodes(), 5
    sigma = torch.roll(torch.arange(n), 2)
    shifted = LabelledSequences(b.x, sigma[b.y], b.instance)
    p, q = m.probabilities(b, relabelings=n), m.probabilities(shifted, relabelings=n)
    assert torch.allclose(q[..., sigma], p, atol=1e-6)
    assert torch.allclose(p.sum(-1), torch.ones(p.shape[:-1]), atol=1e-6)
    raw_p, raw_q = m.probabilities(b, 1), m.probabilities(shifted, 1)
    assert not torch.allclose(raw_q[..., sigma], raw_p, atol=1e-4)


def test_relabelings_must_be_a_positive_count():
    with pytest.raises(ValueError, match="relabelings"):
        _mann().probabilities(_episodes(), relabelings=0)


@pytest.mark.parametrize("name", ["mann_omniglot_conv_drop", "mann_omniglot_centred"])
def test_relabelled_members_are_committed_from_their_recipes(name):
    assert_recipe_checkpoint(name)
    assert name in {r for members, _ in MANN_RELABELLED.values() for r in members}


@needs_data
def test_relabelled_mann_ensemble_beats_the_lstm_on_a_held_out_alphabet():
    """The bench's mann-ens-r8 against the LSTM on the same fine-tuned encoder, 40 held-out (Sanskrit) episodes:
    the lower end of the paired 95% interval is far above zero at the 2nd and 10th sight."""
    torch.set_num_threads(1)
    members, relabelings = MANN_RELABELLED["mann-ens-r8"]
    ens = Relabelled(tuple(load_learner(checkpoint_path(r)).eval() for r in members), relabelings)
    acc = mann_accuracies({"ens": ens, "lstm": load_learner(checkpoint_path("lstm_omniglot_conv")).eval()},
                          episodes=40, seed=11, chunk=40)
    for j in (INSTANCES.index(2), INSTANCES.index(10)):
        mean, ci = mean_ci95(acc["ens"][:, j] - acc["lstm"][:, j])
        assert mean - ci > 0.3, (INSTANCES[j], mean, ci)
