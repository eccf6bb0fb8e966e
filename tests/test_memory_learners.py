"""The memory learners' interface: loss, score, adapt (reading = continuing the same recurrence), the
frozen encoder, checkpoints, and the clear errors of bad input."""

from __future__ import annotations

import pytest
import torch

from meta_course.learners.base import learner_from_checkpoint
from meta_course.learners.memory.dnc import DNC
from meta_course.learners.memory.lstm import LSTMBits, LSTMLabels
from meta_course.learners.memory.mann import MANN
from meta_course.learners.memory.ntm import NTM
from meta_course.learners.memory.sequence import FrozenEncoder
from meta_course.learners.table import LEARNERS
from meta_course.tasks.sequences import CopyTask, LabelledSequences, instance_index


def episodes(n: int = 3, steps: int = 12, size: int = 6, n_classes: int = 3, seed: int = 0) -> LabelledSequences:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, n_classes, (n, steps), generator=g)
    return LabelledSequences(torch.rand(n, steps, 1, size, size, generator=g), y, instance_index(y))


def small_label_learners():
    torch.manual_seed(0)
    return [MANN(n_classes=3, image_size=6, memory_slots=10, memory_width=5, read_heads=2, hidden_size=12),
            LSTMLabels(n_classes=3, image_size=6, hidden_size=12)]


def small_bit_learners():
    torch.manual_seed(0)
    return [NTM(width=4, memory_slots=12, memory_width=5, hidden_size=10),
            DNC(width=4, memory_slots=12, memory_width=5, read_heads=2, hidden_size=10),
            LSTMBits(width=4, hidden_size=10)]


def test_learners_are_in_the_table():
    for name, cls in (("mann", MANN), ("lstm-labels", LSTMLabels), ("ntm", NTM), ("dnc", DNC), ("lstm-bits", LSTMBits)):
        assert LEARNERS[name] is cls and cls.name == name


@pytest.mark.parametrize("index", [0, 1])
def test_label_learner_loss_score_and_instances(index):
    learner = small_label_learners()[index]
    b = episodes()
    loss = learner.meta_loss(b)
    loss.backward()
    assert loss.dim() == 0 and all(p.grad is not None for p in learner.parameters())
    acc = learner.score(b)
    assert acc.shape == (3,) and ((0 <= acc) & (acc <= 1)).all()
    by_instance = learner.accuracy_by_instance(b, instances=(1, 2))
    assert by_instance.shape == (3, 2)
    assert torch.allclose(by_instance[:, 0], learner.score(b, instance=1))


@pytest.mark.parametrize("index", [0, 1])
def test_label_learner_adapt_continues_the_sequence(index):
    """Reading S−1 labelled steps and classifying item S gives exactly the logits of the full run at step S."""
    learner = small_label_learners()[index]
    b = episodes(n=1, steps=9)
    full = learner.logits(b)[0]
    predictor = learner.adapt(b.x[0, :-1], b.y[0, :-1])
    assert torch.allclose(predictor(b.x[0, -1:])[0], full[-1], atol=1e-5)
    assert torch.allclose(predictor.info["logits"], full[:-1], atol=1e-5)
    # several queries are classified independently from the same memory state
    two = predictor(torch.stack([b.x[0, -1], b.x[0, 0]]))
    assert two.shape == (2, 3) and torch.allclose(two[0], full[-1], atol=1e-5)


def test_mann_adapt_info_holds_memory_weights():
    mann = small_label_learners()[0]
    b = episodes(n=1, steps=7)
    info = mann.adapt(b.x[0], b.y[0]).info
    assert info["w_read"].shape == (7, 2, 10) and info["w_write"].shape == (7, 2, 10) and info["usage"].shape == (7, 10)
    assert torch.equal(info["instance"], b.instance[0])


@pytest.mark.parametrize("index", [0, 1, 2])
def test_bit_learner_loss_score_and_adapt(index):
    learner = small_bit_learners()[index]
    b = CopyTask(width=4, min_length=5, max_length=5).sample(torch.Generator().manual_seed(0), 3)
    learner.meta_loss(b).backward()
    errors = learner.score(b)
    assert errors.shape == (3,) and ((0 <= errors) & (errors <= 5 * 4)).all()
    # reading the input phase, then continuing, reproduces the full run
    full = learner.logits(b)[0]
    predictor = learner.adapt(b.x[0, :6])
    rest, trace = learner.continue_sequence(predictor, b.x[0, 6:])
    assert torch.allclose(rest, full[6:], atol=1e-5)
    assert torch.allclose(predictor(b.x[0, 6:7])[0], full[6], atol=1e-5)


def test_bit_loss_ignores_the_input_phase():
    ntm = small_bit_learners()[0]
    b = CopyTask(width=4, min_length=4, max_length=4).sample(torch.Generator().manual_seed(0), 2)
    changed = b._replace(y=b.y.clone())
    changed.y[:, :4] = 1 - changed.y[:, :4]         # targets outside the mask do not count
    assert torch.equal(ntm.meta_loss(b), ntm.meta_loss(changed))


def test_bad_inputs_raise_clear_errors():
    mann, lstm = small_label_learners()
    with pytest.raises(ValueError, match=r"image_size=6"):
        mann.score(episodes(size=8))
    with pytest.raises(ValueError, match="n_classes=3"):
        lstm.meta_loss(episodes(n_classes=5, seed=3)._replace(y=torch.full((3, 12), 4)))
    ntm, dnc, _ = small_bit_learners()
    too_long = CopyTask(width=4, min_length=13, max_length=13).sample(torch.Generator().manual_seed(0), 1)
    for learner in (ntm, dnc):
        with pytest.raises(ValueError, match=r"13 vectors but the memory holds 12 slots"):
            learner.score(too_long)
    with pytest.raises(ValueError, match="6 input / 4 output channels"):
        ntm.score(CopyTask(width=4).sample(torch.Generator().manual_seed(0), 1)._replace(x=torch.zeros(1, 3, 6)))
    with pytest.raises(ValueError, match="task"):
        NTM(task="sort")


def test_checkpoint_round_trip():
    for learner in small_label_learners() + small_bit_learners():
        clone = learner_from_checkpoint(learner.checkpoint())
        assert type(clone) is type(learner) and clone.config == learner.config
        for a, b in zip(learner.state_dict().values(), clone.state_dict().values()):
            assert torch.equal(a, b)


def test_ntm_length_curriculum_cuts_training_copies_only():
    torch.manual_seed(0)
    ntm = NTM(width=4, memory_slots=16, memory_width=5, hidden_size=10, controller="feedforward",
              curriculum_steps=4, curriculum_start=0.25)
    opt = ntm.optimizers(1e-3)
    batch = CopyTask(width=4, min_length=8, max_length=8).sample(torch.Generator().manual_seed(0), 3)
    # f rises linearly 0.25 → 1 over 4 steps: copies of 8 are cut to 2, 4, 5, 7, then 8
    lengths = [ntm.meta_step(batch, opt)["length"] for _ in range(6)]
    assert lengths == [2.0, 4.0, 5.0, 7.0, 8.0, 8.0] and int(ntm.steps_done) == 6
    assert ntm.score(batch).shape == (3,)                       # evaluation scores the whole copy
    clone = learner_from_checkpoint(ntm.checkpoint())          # a resumed run continues the curriculum
    assert int(clone.steps_done) == 6 and clone.curriculum_fraction() == 1.0
    with pytest.raises(ValueError, match="curriculum_start=0"):
        NTM(width=4, memory_slots=16, curriculum_steps=4, curriculum_start=0)
    with pytest.raises(ValueError, match="task='recall'"):
        NTM(task="recall", width=4, memory_slots=16, curriculum_steps=4, curriculum_start=0.5)


# --------------------------------------------------------------------------- frozen encoder
def test_frozen_encoder_is_a_function_of_each_image():
    enc = FrozenEncoder("protonet_xl_omniglot")
    g = torch.Generator().manual_seed(0)
    enc.calibrate(torch.rand(128, 1, 28, 28, generator=g))
    a, b = torch.rand(5, 1, 28, 28, generator=g).round(), torch.rand(30, 1, 28, 28, generator=g).round()
    alone = enc(a)
    mixed = enc(torch.cat([b, a, b]))                       # other images around, cached or not
    assert torch.allclose(mixed[30:35], alone) and alone.shape == (5, 64)
    fresh = FrozenEncoder("protonet_xl_omniglot")
    fresh.load_state_dict(enc.state_dict())
    assert torch.allclose(fresh(a), alone, atol=1e-6)       # statistics travel with the checkpoint
    assert all(not p.requires_grad for p in enc.parameters())


def test_frozen_encoder_gets_no_gradient_in_training():
    torch.manual_seed(0)
    mann = MANN(n_classes=3, image_size=28, memory_slots=10, memory_width=5, read_heads=2, hidden_size=12,
                encoder="protonet_xl_omniglot")
    before = {k: v.clone() for k, v in mann.encoder.state_dict().items()}
    b = episodes(size=28)
    mann.meta_loss(b).backward()
    assert bool(mann.encoder.calibrated)                    # calibrated on the first (training) batch
    assert all(p.grad is None for p in mann.encoder.parameters())
    assert mann.input_size == 64 + 3
    with pytest.raises(ValueError, match="image_size=20 with encoder"):
        MANN(image_size=20, encoder="protonet_xl_omniglot")
    for k, v in mann.encoder.state_dict().items():
        if k.startswith("blocks"):
            assert torch.equal(v, before[k])


def test_mann_second_stage_starts_from_the_committed_weights_and_decays_its_step():
    from meta_course.checkpoints import checkpoint_path
    from meta_course.learners.base import load_learner
    from meta_course.recipes import get_recipe

    config = get_recipe("mann_omniglot_long").config
    stage2, stage1 = MANN(**config), load_learner(checkpoint_path(config["init_from"]))
    assert stage2.state_dict().keys() == stage1.state_dict().keys()
    assert all(torch.equal(a, b) for a, b in zip(stage2.state_dict().values(), stage1.state_dict().values()))
    assert [stage2.outer_lr_factor(s, 100) for s in (0, 50, 100)] == pytest.approx([1.0, 0.5, 0.0])
    assert MANN(image_size=4, memory_slots=8, memory_width=4, read_heads=2, hidden_size=8).outer_lr_factor(99, 100) == 1
    with pytest.raises(ValueError, match="init_from"):
        MANN(**{**config, "hidden_size": 64})
    with pytest.raises(ValueError, match="lr_schedule"):
        MANN(image_size=4, memory_slots=8, memory_width=4, read_heads=2, hidden_size=8, lr_schedule="linear")


def test_mann_input_to_heads_is_a_skip_connection_off_by_default():
    from meta_course.checkpoints import checkpoint_path
    from meta_course.learners.base import load_learner
    from meta_course.learners.memory.mann import MANNNetwork

    torch.manual_seed(0)
    plain = MANNNetwork(7, 3, memory_slots=8, memory_width=4, read_heads=2, hidden_size=16, key_strength=True)
    torch.manual_seed(0)
    same = MANNNetwork(7, 3, memory_slots=8, memory_width=4, read_heads=2, hidden_size=16, key_strength=True,
                       input_to_heads=False)
    x = torch.randn(2, 6, 7)
    assert torch.equal(plain(x), same(x)) and plain.heads.in_features == 16      # off: the paper's heads on h_t
    torch.manual_seed(0)
    skip = MANNNetwork(7, 3, memory_slots=8, memory_width=4, read_heads=2, hidden_size=16, key_strength=True,
                       input_to_heads=True)
    assert skip.heads.in_features == 16 + 7 and skip.heads.out_features == plain.heads.out_features
    logits, trace = skip(x, trace=True)
    assert logits.shape == (2, 6, 3) and trace["w_read"].shape == (2, 6, 2, 8)
    # with the input part of the heads' weights zeroed, the skip network computes exactly what the plain one does
    with torch.no_grad():
        skip.load_state_dict({**plain.state_dict(), "heads.weight": torch.cat(
            [plain.heads.weight, torch.zeros(plain.heads.out_features, 7)], dim=1)})
    assert torch.allclose(skip(x), plain(x), atol=1e-6)
    with torch.no_grad():                                  # and the input really reaches the keys when it is not
        skip.heads.weight[:, 16:] = 0.5
    assert not torch.allclose(skip(x), plain(x), atol=1e-3)
    with pytest.raises(ValueError, match="input_to_heads=True"):
        skip.step(skip.controller.project(x[:, 0]), skip.initial_state(2))
    # the option enters the config only when on: committed checkpoints keep theirs and load
    assert "input_to_heads" not in MANN(image_size=4, memory_slots=8, memory_width=4, read_heads=2, hidden_size=8).config
    on = MANN(image_size=4, memory_slots=8, memory_width=4, read_heads=2, hidden_size=8, input_to_heads=True)
    assert on.config["input_to_heads"] is True and learner_from_checkpoint(on.checkpoint()).net.input_to_heads
    old = load_learner(checkpoint_path("mann_omniglot_conv"))
    assert "input_to_heads" not in old.config and not old.net.input_to_heads


def test_feature_dropout_acts_in_training_only_and_never_on_the_label():
    torch.manual_seed(0)
    kw = dict(n_classes=3, image_size=6, memory_slots=10, memory_width=5, read_heads=2, hidden_size=12)
    drop, plain = MANN(**kw, feature_dropout=0.5), MANN(**kw)
    drop.load_state_dict(plain.state_dict())
    b = episodes()
    assert torch.equal(drop.score(b), plain.score(b))                       # scoring drops nothing
    assert drop.meta_loss(b).item() != plain.meta_loss(b).item()            # training does
    seen = []

    def run(inputs, *args, **kwargs):                                        # record what the network is given
        seen.append(inputs.detach())
        return plain.net.run(inputs, *args, **kwargs)

    drop.net.run = run
    drop.meta_loss(b)
    full = plain.inputs(b)
    assert torch.equal(seen[0][..., -3:], full[..., -3:])                    # the previous label is kept whole
    feats = seen[0][..., :-3]
    kept = feats != 0
    assert torch.allclose(feats[kept], 2 * full[..., :-3][kept])             # inverted dropout: kept ones scaled
    assert 0.3 < 1 - kept.float().mean() < 0.7
    assert drop.config["feature_dropout"] == 0.5 and "feature_dropout" not in plain.config
    with pytest.raises(ValueError, match="feature_dropout"):
        MANN(**kw, feature_dropout=1.0)


def test_centred_features_subtract_the_running_mean_and_adapt_continues_it():
    torch.manual_seed(0)
    kw = dict(n_classes=3, image_size=6, memory_slots=10, memory_width=5, read_heads=2, hidden_size=12)
    mann = MANN(**kw, centre_features=True)
    b = episodes(n=1, steps=8)
    flat = b.x.flatten(-3)
    inputs = mann.inputs(b)
    assert torch.allclose(inputs[0, 0, :36], torch.zeros(36))                            # step 1: its own mean
    assert torch.allclose(inputs[0, 4, :36], flat[0, 4] - flat[0, :5].mean(0), atol=1e-6)  # steps 1..t only
    full = mann.logits(b)[0]
    pred = mann.adapt(b.x[0, :7], b.y[0, :7])                 # the 8th step from the memory the first 7 left
    assert torch.allclose(pred(b.x[0, 7:8])[0], full[7], atol=1e-5)
    assert mann.config["centre_features"] is True and "centre_features" not in MANN(**kw).config
    lstm = LSTMLabels(n_classes=3, image_size=6, hidden_size=12, centre_features=True)      # its baseline: same input
    assert torch.equal(lstm.inputs(b), inputs) and lstm.config["centre_features"] is True
