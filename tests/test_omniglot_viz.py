"""The Omniglot explorer's update function and figures (lesson 02)."""

import os
from pathlib import Path

import pytest
import torch

from meta_course.tasks.omniglot import load_split
from meta_course.viz.omniglot import ANY, alphabet_grid, episode_grid, episode_view, montage, omniglot_explorer

SHARED = Path(os.environ.get("META_COURSE_DATA") or Path(__file__).resolve().parents[2] / "shared/data/omniglot")
pytestmark = pytest.mark.skipif(not (SHARED / "images_background_small1.zip").exists(),
                                reason="offline Omniglot copies not found")


@pytest.fixture(scope="module")
def split():
    return load_split("minimal", root=SHARED, progress=False)


def test_episode_view_within_one_alphabet(split):
    v = episode_view(split, "Greek", n_way=5, k_shot=2, q_query=3, seed=4)
    assert len(v.class_names) == len(set(v.class_names)) == 5
    assert all(n.startswith("Greek/") for n in v.class_names)
    assert v.episode.x_support.shape == (10, 1, 28, 28) and v.episode.x_query.shape == (15, 1, 28, 28)
    # label c's support drawings are drawings of the character named class_names[c]
    c = 3
    char = split.characters.index(v.class_names[c])
    drawings = split.images[char].float() / 255
    for img in v.episode.x_support[v.episode.y_support == c]:
        assert any(torch.equal(img[0], d) for d in drawings)
    assert "5-way 2-shot" in v.title and "Greek" in v.title


def test_episode_view_seed_and_unstructured(split):
    a, b = episode_view(split, ANY, 5, 1, seed=1), episode_view(split, ANY, 5, 1, seed=1)
    c = episode_view(split, ANY, 5, 1, seed=2)
    assert a.class_names == b.class_names and torch.equal(a.episode.x_query, b.episode.x_query)
    assert a.class_names != c.class_names
    alphabets = {n.split("/")[0] for s in range(10) for n in episode_view(split, ANY, 5, 1, seed=s).class_names}
    assert len(alphabets) > 2


def test_episode_view_clear_errors(split):
    with pytest.raises(ValueError, match=r"n_way=30 is out of range: allowed \[1, 24\]"):
        episode_view(split, "Greek", n_way=30)
    with pytest.raises(ValueError, match="unknown alphabet 'Klingon'"):
        episode_view(split, "Klingon")
    with pytest.raises(ValueError, match=r"q_query=19 .*k_shot \+ q_query must be <= 20"):
        episode_view(split, ANY, k_shot=2, q_query=19)


def test_figures(split):
    fig = alphabet_grid(split, n_chars=6)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "Balinese (24)" and len(labels) == 8
    v = episode_view(split, "Latin", 4, 3, seed=0)
    fig = episode_grid(v.episode, v.class_names, max_query=2)
    assert [a.get_title() for a in fig.axes] == ["support (K=3)", "query (2 shown)"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][0] == f"0: {v.class_names[0]}"
    with pytest.raises(ValueError, match="one task"):
        episode_grid(type(v.episode)(*(t[None] for t in v.episode)))
    m = montage(torch.ones(5, 4, 4), ncols=3, pad=1)
    assert m.shape == (2 * 5 + 1, 3 * 5 + 1) and m.sum().item() == pytest.approx(5 * 16 + 0.15 * (m.numel() - 80))


def test_explorer_widget_resample_and_error_message(split):
    box = omniglot_explorer(split)
    alphabet, n, k = box.children[0].children
    button, seed = box.children[1].children
    message, image = box.children[2:]
    first = image.value
    assert first[:4] == b"\x89PNG" and message.value == ""
    button.click()
    assert seed.value == 1 and image.value != first
    alphabet.value = "Tagalog"  # 17 characters
    n.value = 20
    assert "n_way=20" in message.value and "[1, 17]" in message.value
    n.value = 5
    assert message.value == ""
