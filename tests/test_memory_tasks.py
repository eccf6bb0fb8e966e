"""Sequence tasks of the memory family: label-offset Omniglot episodes, copy and associative recall."""

from __future__ import annotations

import os

import pytest
import torch

from meta_course.tasks.omniglot import OmniglotSplit
from meta_course.tasks.sequences import (AssociativeRecallTask, CopyTask, OmniglotSequences, bit_errors, copy_prefix,
                                         instance_index, offset_labels)


def fake_split(n_chars: int = 12, size: int = 6) -> OmniglotSplit:
    """Constant images whose value encodes (character, drawing): value = 20·c + d (rotation-invariant)."""
    values = torch.arange(n_chars * 20, dtype=torch.uint8).view(n_chars, 20, 1, 1)
    images = values.expand(n_chars, 20, size, size).contiguous()
    return OmniglotSplit(images, ["A", "B"], [f"A/c{i}" for i in range(n_chars)],
                         torch.tensor([i % 2 for i in range(n_chars)]), "fake")


def decode(x: torch.Tensor) -> torch.Tensor:
    """Image value back to 20·c + d."""
    return (x[..., 0, 0, 0] * 255).round().long()


def test_offset_labels_and_instances():
    y = torch.tensor([[1, 1, 0, 2, 1]])
    x = offset_labels(y, 3)
    assert x[0, 0].sum() == 0 and torch.equal(x[0, 1:].argmax(-1), y[0, :-1])
    assert instance_index(y).tolist() == [[1, 2, 1, 1, 3]]


def test_omniglot_episodes_follow_the_paper_protocol():
    seqs = OmniglotSequences(data=fake_split(), n_classes=5, n_instances=10, rotations=False, size=6)
    g = torch.Generator().manual_seed(0)
    b = seqs.sample(g, 50)
    assert b.x.shape == (50, 50, 1, 6, 6) and b.y.shape == (50, 50)
    code = decode(b.x)
    char, drawing = code // 20, code % 20
    class_major = 0
    label_of_char: dict[int, set] = {}
    for t in range(50):
        y = b.y[t]
        assert torch.bincount(y, minlength=5).tolist() == [10] * 5         # 5 classes × 10 instances
        for label in range(5):
            chars = char[t][y == label]
            assert len(set(chars.tolist())) == 1                            # one character per label
            assert len(set(drawing[t][y == label].tolist())) == 10          # distinct drawings
            label_of_char.setdefault(int(chars[0]), set()).add(label)
        assert len(set(char[t].tolist())) == 5
        class_major += int(torch.equal(y, y.sort().values))
        assert torch.equal(b.instance[t], instance_index(y[None])[0])
    assert class_major == 0                                                 # the order is shuffled
    # classes are re-drawn and re-labelled per episode: a character gets several labels over episodes
    assert len(label_of_char) == 12 and max(len(v) for v in label_of_char.values()) >= 4


def test_omniglot_rotations_are_extra_classes():
    seqs = OmniglotSequences(data=fake_split(), rotations=True, size=6)
    assert seqs.tasks.n_classes == 48


def test_omniglot_sequences_reject_bad_sizes():
    with pytest.raises(ValueError, match="n_instances=20"):
        OmniglotSequences(data=fake_split(), n_instances=20)
    with pytest.raises(ValueError, match="n_way=13"):
        OmniglotSequences(data=fake_split(), n_classes=13, rotations=False)


@pytest.mark.skipif(not os.environ.get("META_COURSE_DATA"), reason="needs the Omniglot files")
def test_real_omniglot_episodes_have_20px_images():
    seqs = OmniglotSequences(part="test", size=20, rotations=False)
    b = seqs.sample(torch.Generator().manual_seed(0), 3)
    assert b.x.shape == (3, 50, 1, 20, 20) and 0 <= float(b.x.min()) and float(b.x.max()) <= 1
    assert int(b.instance.max()) == 10


def test_copy_task_structure():
    task = CopyTask(width=8, min_length=3, max_length=9)
    g = torch.Generator().manual_seed(0)
    lengths = set()
    for _ in range(30):
        b = task.sample(g, 4)
        L = b.length
        lengths.add(L)
        assert 3 <= L <= 9 and b.x.shape == (4, 2 * L + 1, 9) and b.y.shape == (4, 2 * L + 1, 8)
        assert torch.equal(b.y[:, L + 1:], b.x[:, :L, :8])                  # the answer is the input
        assert torch.equal(b.x[:, L, 8], torch.ones(4)) and b.x[:, :, 8].sum() == 4     # one delimiter
        assert b.x[:, L + 1:].abs().sum() == 0                              # nothing to see while answering
        assert b.mask[:, L + 1:].all() and not b.mask[:, :L + 1].any()
    assert len(lengths) > 4


def test_bit_errors_count_wrong_bits_only_in_the_answer():
    b = CopyTask(width=4, min_length=5, max_length=5).sample(torch.Generator().manual_seed(1), 2)
    perfect = (b.y * 2 - 1) * 3.0
    assert bit_errors(perfect, b).tolist() == [0.0, 0.0]
    wrong = perfect.clone()
    wrong[0, 7, :2] *= -1                                                   # 2 wrong bits in the answer
    wrong[1, 0, :] *= -1                                                    # input phase: not counted
    assert bit_errors(wrong, b).tolist() == [2.0, 0.0]
    assert bit_errors(torch.zeros_like(perfect) - 1, b).tolist() == b.y.sum((1, 2)).tolist()


def test_associative_recall_answer_follows_the_query():
    task = AssociativeRecallTask(width=6, item_length=3, min_items=2, max_items=6)
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        b = task.sample(g, 5)
        K, W = 3, 6
        for s in range(5):
            x = b.x[s]
            starts = (x[:, W] == 1).nonzero().flatten().tolist()
            items = [x[i + 1:i + 1 + K, :W] for i in starts]
            q = (x[:, W + 1] == 1).nonzero().flatten().tolist()
            assert len(q) == 2 and q[1] - q[0] == K + 1
            query = x[q[0] + 1:q[1], :W]
            matches = [i for i, item in enumerate(items) if torch.equal(item, query)]
            assert matches and matches[0] < len(items) - 1
            assert torch.equal(b.y[s][b.mask[s]], items[matches[0] + 1])
        assert b.length == 3


@pytest.mark.parametrize("kwargs, message", [
    (dict(min_length=0), "min_length=0"),
    (dict(min_length=5, max_length=4), "max_length=4"),
    (dict(width=0), "width=0"),
])
def test_copy_task_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CopyTask(**kwargs)


def test_recall_rejects_a_single_item():
    with pytest.raises(ValueError, match="min_items=1"):
        AssociativeRecallTask(min_items=1)


def test_copy_prefix_is_the_copy_of_the_first_vectors():
    b = CopyTask(width=4, min_length=7, max_length=7).sample(torch.Generator().manual_seed(2), 3)
    for L in (1, 3, 7):
        short = copy_prefix(b, L)
        # the same as a copy task of length L built from the first L vectors, in every field
        assert short.x.shape == (3, 2 * L + 1, 5) and short.length == L
        assert torch.equal(short.x[:, :L], b.x[:, :L]) and torch.equal(short.x[:, L, 4], torch.ones(3))
        assert short.x[:, L + 1:].abs().sum() == 0 and short.x[:, :L, 4].abs().sum() == 0
        assert torch.equal(short.y[:, L + 1:], b.x[:, :L, :4]) and short.y[:, :L + 1].abs().sum() == 0
        assert short.mask[:, L + 1:].all() and not short.mask[:, :L + 1].any()
    assert torch.equal(copy_prefix(b, 7).x, b.x) and torch.equal(copy_prefix(b, 7).y, b.y)
    with pytest.raises(ValueError, match="length=8"):
        copy_prefix(b, 8)
    recall = AssociativeRecallTask(width=4, item_length=1, min_items=3, max_items=3).sample(torch.Generator(), 2)
    with pytest.raises(ValueError, match="not a copy batch"):
        copy_prefix(recall, 1)


def test_omniglot_sequences_affine_distortion_is_reproducible_and_keeps_the_labels():
    from meta_course.tasks.sequences import omniglot_sequences

    plain = omniglot_sequences(data=fake_split(), rotations=False, size=6)
    warped = omniglot_sequences(affine_strength=1.0, data=fake_split(), rotations=False, size=6)
    a, b = plain(torch.Generator().manual_seed(3), 4), warped(torch.Generator().manual_seed(3), 4)
    assert torch.equal(a.y, b.y) and torch.equal(a.instance, b.instance)   # same episodes, same order
    assert b.x.shape == a.x.shape and not torch.equal(a.x, b.x)             # every image distorted
    assert torch.equal(b.x, warped(torch.Generator().manual_seed(3), 4).x)  # drawn from the task generator
    assert omniglot_sequences(affine_strength=0.0, data=fake_split(), size=6) is not None
    with pytest.raises(ValueError, match="affine_strength"):
        omniglot_sequences(affine_strength=-1.0, data=fake_split(), size=6)
