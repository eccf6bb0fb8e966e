"""Lesson 02's self-checking exercises accept right answers and reject wrong ones."""

import os
from pathlib import Path

import pytest
import torch

from meta_course.lessons.exercises import check, nearest_neighbour_accuracy, omniglot_nn_tasks
from meta_course.tasks import Episode
from meta_course.tasks.omniglot.images import to_float

SHARED = Path(os.environ.get("META_COURSE_DATA") or Path(__file__).resolve().parents[2] / "shared/data/omniglot")
pytestmark = pytest.mark.skipif(not (SHARED / "images_background_small1.zip").exists(),
                                reason="offline Omniglot copies not found")


@pytest.fixture(autouse=True)
def data(monkeypatch):
    monkeypatch.setenv("META_COURSE_DATA", str(SHARED))


def _sampler(images, n, k, q, g, overlap=False):
    classes = torch.randperm(images.shape[0], generator=g)[:n]
    xs, xq, ys, yq = [], [], [], []
    for label, c in enumerate(classes):
        d = torch.randperm(20, generator=g)[:k + q]
        xs.append(to_float(images[c, d[:k]]))
        xq.append(to_float(images[c, d[:q] if overlap else d[k:]]))
        ys += [label] * k
        yq += [label] * q
    return Episode(torch.cat(xs), torch.tensor(ys), torch.cat(xq), torch.tensor(yq))


def test_rotation_classes():
    assert check("omniglot.rotation_classes", 704)
    with pytest.raises(AssertionError):
        check("omniglot.rotation_classes", 176)


def test_episode_sampler_accepts_a_correct_sampler_and_rejects_overlap_and_fixed_classes():
    assert check("omniglot.episode_sampler", _sampler)
    with pytest.raises(AssertionError):
        check("omniglot.episode_sampler", lambda *a: _sampler(*a, overlap=True))
    with pytest.raises(AssertionError):  # ignores the generator: always the same classes
        check("omniglot.episode_sampler", lambda im, n, k, q, g: _sampler(im, n, k, q, torch.Generator()))


def test_within_nn_accuracy_has_one_two_decimal_answer():
    acc = nearest_neighbour_accuracy(omniglot_nn_tasks())
    right = [a / 100 for a in range(101) if _ok(a / 100)]
    assert right == [round(acc, 2)]


def _ok(answer) -> bool:
    try:
        return bool(check("omniglot.within_nn_accuracy", answer))
    except AssertionError:
        return False
