"""Omniglot data layer on the offline copies (../shared/data/omniglot): counts, parts, episodes."""

import os
from pathlib import Path

import pytest
import torch

from meta_course.recipes import task_sampler
from meta_course.tasks.omniglot import OmniglotTasks, load_split, omniglot_split

SHARED = Path(os.environ.get("META_COURSE_DATA") or Path(__file__).resolve().parents[2] / "shared/data/omniglot")
DATA = os.environ.get("META_COURSE_DATA") or (str(SHARED) if SHARED.exists() else None)
needs_data = pytest.mark.skipif(not DATA or not Path(DATA, "images_background_small1.zip").exists(),
                                reason="offline Omniglot copies not found (set META_COURSE_DATA)")


@needs_data
@pytest.mark.parametrize("name, n_chars, alphabets", [("minimal1", 136, 5), ("minimal2", 156, 5), ("minimal", 242, 8)])
def test_counts_shape_dtype_range(name, n_chars, alphabets):
    s = load_split(name, root=DATA)
    assert s.images.shape == (n_chars, 20, 28, 28) and s.images.dtype == torch.uint8
    assert s.n_images == n_chars * 20  # 2720, 3120, 4840
    assert len(s.characters) == len(set(s.characters)) == n_chars and len(s.alphabets) == alphabets
    assert s.alphabet_of.dtype == torch.long and s.alphabet_of.shape == (n_chars,)
    assert int(s.images.min()) == 0 and int(s.images.max()) == 255
    # ink is high and sparse: most pixels are background
    assert 0.02 < s.images.float().div(255).mean().item() < 0.3


@needs_data
def test_minimal_is_the_union_without_the_duplicated_greek_and_latin():
    a, b, u = (load_split(n, root=DATA) for n in ("minimal1", "minimal2", "minimal"))
    assert set(a.alphabets) & set(b.alphabets) == {"Greek", "Latin"}
    assert set(u.characters) == set(a.characters) | set(b.characters)
    assert len(u) == 136 + 156 - 24 - 26


@needs_data
def test_minimal_partition_by_alphabet():
    parts = {p: omniglot_split("minimal", p, root=DATA) for p in ("train", "val", "test")}
    assert parts["test"].alphabets == ["Sanskrit"] and len(parts["test"]) == 42
    assert parts["val"].alphabets == ["Balinese"] and len(parts["val"]) == 24
    assert len(parts["train"]) == 176 and len(parts["train"].alphabets) == 6
    chars = [set(p.characters) for p in parts.values()]
    assert not (chars[0] & chars[1]) and not (chars[0] & chars[2]) and not (chars[1] & chars[2])
    with pytest.raises(ValueError, match="part"):
        omniglot_split("minimal1", "train", root=DATA)


def _image_keys(tasks, classes, drawings):
    return {(c, d) for c, d in zip(classes.repeat_interleave(drawings.shape[-1]).tolist(), drawings.flatten().tolist())}


@needs_data
@pytest.mark.parametrize("within, rotations", [(False, False), (True, False), (True, True)])
def test_episode_properties(within, rotations):
    tasks = OmniglotTasks("minimal", "train", n_way=5, k_shot=2, q_query=3, within_alphabet=within,
                          rotations=rotations, root=DATA)
    g = torch.Generator().manual_seed(3)
    classes, drawings = tasks.sample_indices(g, 16)
    ep = tasks.episodes(classes, drawings)
    assert ep.x_support.shape == (16, 10, 1, 28, 28) and ep.x_query.shape == (16, 15, 1, 28, 28)
    assert ep.x_support.dtype == torch.float32 and 0 <= ep.x_support.min() and ep.x_support.max() <= 1
    for t in range(16):
        assert sorted(ep.y_support[t].tolist()) == sorted(list(range(5)) * 2)
        assert set(ep.y_query[t].tolist()) == set(ep.y_support[t].tolist())
        assert len(set(classes[t].tolist())) == 5
        # no drawing in both support and query
        for n in range(5):
            assert not set(drawings[t, n, :2].tolist()) & set(drawings[t, n, 2:].tolist())
        if within:
            assert len(set(tasks.class_alphabet[classes[t]].tolist())) == 1
    # the episode's images are the indexed drawings (rotated by 90° per rotation index)
    c, d = int(classes[0, 1]), int(drawings[0, 1, 0])
    expected = torch.rot90(tasks.data.images[c // tasks.n_rot, d], c % tasks.n_rot).float() / 255
    assert torch.equal(ep.x_support[0, 2, 0], expected)  # exact: to_float, as for the runs; label 1 starts at K=2
    if not within:  # unstructured episodes mix alphabets
        assert max(len(set(tasks.class_alphabet[classes[t]].tolist())) for t in range(16)) > 1


@needs_data
def test_same_seed_same_episode_and_registered_task():
    sample = task_sampler("omniglot", split="minimal", part="val", n_way=5, k_shot=1, q_query=5, root=DATA)
    a = sample(torch.Generator().manual_seed(7), 4)
    b = sample(torch.Generator().manual_seed(7), 4)
    c = sample(torch.Generator().manual_seed(8), 4)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a.x_support, c.x_support)


@needs_data
@pytest.mark.parametrize("kwargs, match", [
    (dict(n_way=177), r"n_way=177 is out of range: allowed \[1, 176\]"),
    (dict(n_way=48, within_alphabet=True), r"n_way=48 .*\[1, 47\].*Japanese"),
    (dict(k_shot=5, q_query=16), r"q_query=16 .*\[1, 15\].*k_shot \+ q_query must be <= 20"),
    (dict(k_shot=0), r"k_shot=0 .*\[1, 19\]"),
    (dict(n_way=-1), r"n_way=-1"),
])
def test_bad_n_k_q_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        OmniglotTasks("minimal", "train", root=DATA, **kwargs)
