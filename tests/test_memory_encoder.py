"""The memory learners' image encoder: flat pixels by default (unchanged), a committed Conv-4 frozen, or that Conv-4
fine-tuned end to end with the MANN; the clear errors of a bad encoder."""

from __future__ import annotations

import os

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


# --------------------------------------------------------------------------- the committed fine-tuned pair
@pytest.mark.parametrize("name", ["mann_omniglot_conv", "lstm_omniglot_conv"])
def test_finetuned_checkpoints_are_small_and_match_their_recipes(name):
    from meta_course.checkpoints import checkpoint_path

    path = checkpoint_path(name)
    assert path.stat().st_size <= 2 * 2 ** 20
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    assert ckpt["name"] == get_recipe(name).learner and ckpt["config"] == get_recipe(name).config


@pytest.mark.skipif(not os.environ.get("META_COURSE_DATA"), reason="needs the Omniglot files")
def test_finetuned_mann_beats_the_lstm_on_the_same_encoder_at_the_second_sight():
    """Paired over the same held-out (Sanskrit) episodes: the lower end of the 95% CI of MANN − LSTM clears 10
    points at the 2nd instance, so it cannot pass by chance."""
    from meta_course.bench.memory import MANN_FT_METHODS, _load, mann_accuracies
    from meta_course.evaluate import mean_ci95

    torch.set_num_threads(1)
    acc = mann_accuracies({n: _load(r) for n, r in MANN_FT_METHODS.items()}, episodes=100, seed=11)
    mean, ci = mean_ci95(acc["mann-ft"][:, 1] - acc["lstm-ft"][:, 1])
    assert mean - ci > 0.1, (mean, ci)


def test_readme_states_the_committed_bench_figures_of_the_finetuned_rows():
    """The README's fine-tuned rows are `bench mann --json meta_course/bench/results/mann.json`, to the printed digit."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    bench = json.loads((root / "meta_course/bench/results/mann.json").read_text())
    readme = root.joinpath("README.md").read_text()
    rows = {(r["method"], r["instance"]): r for r in bench["rows"]}
    paired = {(p["pair"], p["instance"]): p for p in bench["paired_ft"]}
    cells = {
        "MANN, Conv-4 fine-tuned": [f"{100 * rows['mann-ft', k]['accuracy']:.1f} ± {100 * rows['mann-ft', k]['ci95']:.1f}"
                                    for k in (1, 2, 3, 4, 5, 10)],
        "LSTM on that fine-tuned": [f"{100 * rows['lstm-ft', k]['accuracy']:.1f} ± {100 * rows['lstm-ft', k]['ci95']:.1f}"
                                    for k in (1, 2, 3, 4, 5, 10)],
        "MANN-ft − LSTM-ft": [f"{100 * paired['mann-ft - lstm-ft', k]['difference']:+.1f} ± "
                              f"{100 * paired['mann-ft - lstm-ft', k]['ci95']:.1f}" for k in (1, 2, 3, 4, 5, 10)],
    }
    # the relabelled rows (test-time relabelling ×8; the ensemble of three MANNs) and their paired rows
    for method, first in (("mann-ft-r8", "MANN-ft relabelled ×8"), ("mann-drop-r8", "MANN-drop relabelled ×8"),
                          ("mann-ens-r8", "Three MANNs relabelled ×8")):
        cells[first] = [f"{100 * rows[method, k]['accuracy']:.1f} ± {100 * rows[method, k]['ci95']:.1f}"
                        for k in (1, 2, 3, 4, 5, 10)]
    for pair, first in (("mann-drop-r8 - lstm-ft", "MANN-drop-r8 − LSTM-ft"),
                        ("mann-ens-r8 - lstm-ft", "MANN-ens-r8 − LSTM-ft")):
        cells[first] = [f"{100 * paired[pair, k]['difference']:+.1f} ± {100 * paired[pair, k]['ci95']:.1f}"
                        for k in (1, 2, 3, 4, 5, 10)]
    for first, expected in cells.items():
        line = next(line for line in readme.splitlines() if line.startswith(f"| {first}"))
        assert [c.strip() for c in line.strip().strip("|").split("|")][1:] == expected, first
    assert bench["episodes"] >= 1000 and rows["mann-ft", 2]["recipe"] == "mann_omniglot_conv"
