"""The sine family widget: every learner adapts to the same task with its own step size."""

import pytest
import torch

from meta_course.viz.sine_family import SINE_FAMILY, family_frame, load_sine_family, plot_family


@pytest.fixture(scope="module")
def family():
    return load_sine_family()


def test_every_committed_sine_learner_is_in_the_widget(family):
    from meta_course.checkpoints import HERE

    assert {"MAML", "first-order MAML", "Reptile", "Meta-SGD", "LSTM meta-learner", "pretrained + fine-tuning"} <= set(family)
    assert set(family) == {n for n, r in SINE_FAMILY.items() if (HERE / f"{r}.pt").exists()}
    with pytest.raises(ValueError, match="allowed"):
        load_sine_family(["nope"])


def test_frame_matches_each_learner_adapted_alone(family):
    frame = family_frame(family, amplitude=3.0, phase=1.0, k_shot=5, inner_steps=10, seed=2)
    for name, learner in family.items():
        steps = len(frame.mse_by_step[name]) - 1
        assert steps in (10, 0)
        with torch.no_grad():
            alone = learner.adapt(frame.x_support, frame.y_support, **({"inner_steps": 10} if steps else {}))(frame.x)
        assert torch.allclose(alone, frame.predictions[name], atol=1e-5), name
    # meta-learners adapt far better than fine-tuning the pretrained network (each with its own step size)
    final = {n: v[-1] for n, v in frame.mse_by_step.items()}
    assert all(final[n] < final["pretrained + fine-tuning"] for n in ("MAML", "first-order MAML", "Meta-SGD"))
    assert frame.mse_by_step["MAML"][-1] < frame.mse_by_step["MAML"][0] / 5
    assert plot_family(frame).png()[:4] == b"\x89PNG"


def test_bad_slider_values_raise(family):
    with pytest.raises(ValueError, match="amplitude"):
        family_frame(family, amplitude=9.0, phase=1.0)
