"""The memory learners' image encoder: flat pixels by default (unchanged), a committed Conv-4 frozen, or that Conv-4
fine-tuned end to end with the MANN; the clear errors of a bad encoder."""

from __future__ import annotations

import pytest
import torch

from meta_course.learners.memory.lstm import LSTMLabels
from meta_course.learners.memory.mann import MANN
from meta_course.learners.memory.sequence import FrozenEncoder, conv4_encoders
from meta_course.recipes import get_recipe
from meta_course.tasks.sequences import LabelledSequences, instance_index

SMALL = dict(n_classes=3, memory_slots=10, memory_width=5, read_heads=2, hidden_size=12)


def episodes(n: int = 2, steps: int = 8, size: int = 28, n_classes: int = 3, seed: int = 0) -> LabelledSequences:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, n_classes, (n, steps), generator=g)
    return LabelledSequences(torch.rand(n, steps, 1, size, size, generator=g).round(), y, instance_index(y))


def test_default_input_is_the_flat_pixels_and_the_config_is_unchanged():
    torch.manual_seed(0)
    mann, lstm = MANN(image_size=6, **SMALL), LSTMLabels(n_classes=3, image_size=6, hidden_size=12)
    b = episodes(size=6)
    for learner in (mann, lstm):
        assert learner.encoder is None and learner.input_size == 36 + 3
        assert torch.equal(learner.image_features(b.x), b.x.flatten(-3))
        assert "finetune_encoder" not in learner.config      # older checkpoints' configs stay valid as they are
    # the committed recipes' learners rebuild with exactly their recipe's config (their checkpoints load unchanged)
    for name, cls in (("mann_omniglot", MANN), ("lstm_omniglot", LSTMLabels)):
        assert cls(**get_recipe(name).config).config == get_recipe(name).config


def test_finetuned_encoder_learns_and_keeps_its_statistics():
    torch.manual_seed(0)
    mann = MANN(image_size=28, encoder="protonet_xl_omniglot", finetune_encoder=True, **SMALL)
    b = episodes()
    mann.meta_loss(b).backward()
    grads = [p.grad for p in mann.encoder.parameters()]
    assert grads and all(g is not None and g.abs().sum() > 0 for g in grads)     # the gradient reaches the Conv-4
    stats = mann.encoder.mean0.clone()
    mann.meta_loss(episodes(seed=1)).backward()
    assert torch.equal(mann.encoder.mean0, stats)                                # calibrated once, then fixed
    alone = mann.image_features(b.x[:1, :3])
    assert torch.allclose(mann.image_features(b.x)[:1, :3], alone, atol=1e-5)   # one image, one feature vector
    assert mann.config["finetune_encoder"] is True
    frozen = MANN(image_size=28, encoder="protonet_xl_omniglot", **SMALL)
    frozen.meta_loss(b).backward()
    assert all(p.grad is None for p in frozen.encoder.parameters())


def test_an_encoder_can_be_read_from_a_committed_memory_learner():
    from meta_course.checkpoints import checkpoint_path
    from meta_course.learners.base import load_learner

    enc = FrozenEncoder("mann_omniglot")
    inner = load_learner(checkpoint_path("mann_omniglot")).encoder
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0)).round()
    assert bool(enc.calibrated) and torch.allclose(enc(x), inner(x), atol=1e-6)   # same weights, same statistics


@pytest.mark.parametrize("bad", ["conv4_typo", "maml_sine", 3])
def test_a_bad_encoder_names_the_value_the_allowed_ones_and_the_fix(bad):
    with pytest.raises(ValueError) as err:
        MANN(image_size=28, encoder=bad, **SMALL)
    message = str(err.value)
    assert repr(bad) in message and "protonet_xl_omniglot" in message and "None (flat pixels)" in message
    assert "protonet_xl_omniglot" in conv4_encoders()


def test_finetuning_without_an_encoder_is_refused():
    with pytest.raises(ValueError, match="finetune_encoder=True with encoder=None"):
        MANN(image_size=6, finetune_encoder=True, **SMALL)
    with pytest.raises(ValueError, match="finetune_encoder=True with encoder=None"):
        LSTMLabels(n_classes=3, image_size=6, hidden_size=12, finetune_encoder=True)


def test_a_second_stage_may_fine_tune_the_encoder_of_the_first():
    config = get_recipe("mann_omniglot_conv").config
    assert config["finetune_encoder"] and config["init_from"] == "mann_omniglot"
    assert get_recipe("lstm_omniglot_conv").config["encoder"] == "mann_omniglot_conv"    # the SAME encoder
    with pytest.raises(ValueError, match="init_from='mann_omniglot' is not an LSTM"):
        LSTMLabels(n_classes=5, image_size=28, encoder="protonet_xl_omniglot", init_from="mann_omniglot")
