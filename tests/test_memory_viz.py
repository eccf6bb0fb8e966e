"""The widgets of lessons 08 and 09: their update functions are plain Python, checked here."""

from __future__ import annotations

import math

import pytest
import torch

from meta_course.learners.memory.dnc import DNC
from meta_course.learners.memory.lstm import LSTMBits, LSTMLabels
from meta_course.learners.memory.mann import MANN
from meta_course.learners.memory.ntm import NTM
from meta_course.tasks.sequences import LabelledSequences, instance_index
from meta_course.viz.memory import CopyFigure, MannFigure, copy_view, mann_episode, mann_step


def one_episode(seed: int = 0, steps: int = 15, n_classes: int = 3, size: int = 6) -> LabelledSequences:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, n_classes, (1, steps), generator=g)
    return LabelledSequences(torch.rand(1, steps, 1, size, size, generator=g), y, instance_index(y))


@pytest.fixture(scope="module")
def label_learners():
    torch.manual_seed(0)
    return {"mann": MANN(n_classes=3, image_size=6, memory_slots=10, memory_width=4, read_heads=2, hidden_size=8),
            "lstm": LSTMLabels(n_classes=3, image_size=6, hidden_size=8)}


def test_mann_episode_matches_the_learners(label_learners):
    ep_data = one_episode()
    ep = mann_episode(label_learners, episode=ep_data)
    for name, learner in label_learners.items():
        expected = torch.softmax(learner.logits(ep_data)[0], -1)
        assert torch.allclose(ep.probs[name], expected, atol=1e-5)
    assert ep.w_read.shape == (15, 2, 10) and ep.usage.shape == (15, 10)
    assert torch.equal(ep.labels, ep_data.y[0]) and ep.images.shape == (15, 6, 6)


def test_mann_step_record_and_instances(label_learners):
    ep = mann_episode(label_learners, episode=one_episode(1))
    for t in (0, 7, 14):
        s = mann_step(ep, t)
        for name in label_learners:
            ok = ep.probs[name][:t + 1].argmax(-1) == ep.labels[:t + 1]
            assert torch.equal(s.correct[name], ok)
            assert s.predicted[name] == int(ep.probs[name][t].argmax())
            # accuracy at instance k = mean over the steps 0..t that showed the k-th drawing of their class
            for k in range(1, int(ep.instance.max()) + 1):
                at = ep.instance[:t + 1] == k
                value = s.accuracy_by_instance[name][k - 1].item()
                assert math.isnan(value) if not at.any() else value == pytest.approx(ok[at].float().mean().item())
        assert torch.equal(s.w_read, ep.w_read[t]) and s.label == int(ep.labels[t])
    with pytest.raises(ValueError, match="t=15"):
        mann_step(ep, 15)


def test_mann_figure_draws(label_learners):
    ep = mann_episode(label_learners, episode=one_episode(2))
    png = MannFigure(list(label_learners), n_classes=3).update(mann_step(ep, 5), ep).png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_mann_episode_rejects_mixed_inputs(label_learners):
    with pytest.raises(ValueError, match="sizes"):
        mann_episode({**label_learners, "other": LSTMLabels(n_classes=3, image_size=7, hidden_size=4)},
                     episode=one_episode())
    with pytest.raises(ValueError, match="learners is empty"):
        mann_episode({}, episode=one_episode())


@pytest.fixture(scope="module")
def bit_learners():
    torch.manual_seed(0)
    return {"ntm": NTM(width=4, memory_slots=12, memory_width=5, hidden_size=8),
            "dnc": DNC(width=4, memory_slots=10, memory_width=5, read_heads=2, hidden_size=8),
            "lstm": LSTMBits(width=4, hidden_size=8)}


def test_copy_view_counts_wrong_bits(bit_learners):
    v = copy_view(bit_learners, length=6, seed=3, width=4)
    assert v.bits.shape == (6, 4)
    for name, learner in bit_learners.items():
        from meta_course.tasks.sequences import CopyTask
        batch = CopyTask(width=4, min_length=6, max_length=6).sample(torch.Generator().manual_seed(3), 1)
        assert torch.equal(v.bits, batch.y[0, 7:])
        assert v.errors[name] == int(learner.score(batch)[0]) == int(v.wrong[name].sum())
    assert set(v.w_write) == {"ntm", "dnc"} and v.w_write["ntm"].shape == (13, 12) and v.w_read["dnc"].shape == (13, 10)


def test_copy_view_refuses_lengths_beyond_the_memory(bit_learners):
    with pytest.raises(ValueError, match="length=11"):
        copy_view(bit_learners, length=11, width=4)


def test_copy_figure_draws(bit_learners):
    v = copy_view(bit_learners, length=4, width=4)
    png = CopyFigure(list(bit_learners), ["ntm", "dnc"]).update(v, max_train_length=3).png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
