"""Fault injection: each case below lost work or gave a wrong answer without a word before it was fixed.

Every training here is a few steps of ``maml_sine`` (or of a tiny learner defined here) on the CPU.
"""

from __future__ import annotations

import pytest
import torch

from meta_course import recipes
from meta_course.__main__ import main
from meta_course.learners import load_learner
from meta_course.train import train


def _cli_train(tmp_path, *extra, name="maml_sine", out="c.pt"):
    return main(["train", name, "--out", str(tmp_path / out), "--no-progress", "--device", "cpu", *extra])


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    return err


def _same(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


# -- 1. a resume is the same run ------------------------------------------------------------------------------
def test_resume_refuses_another_seed_naming_the_field_and_the_fix(tmp_path, capsys):
    assert _cli_train(tmp_path, "--steps", "2") == 0
    capsys.readouterr()
    assert _cli_train(tmp_path, "--steps", "2", "--seed", "7") == 2
    err = _one_line_error(capsys)
    assert "seed" in err and "7" in err and "--restart" in err
    # --restart starts afresh: the very learner of a fresh seed-7 run
    assert _cli_train(tmp_path, "--steps", "2", "--seed", "7", "--restart") == 0
    fresh, _ = recipes.train_recipe("maml_sine", steps=2, seed=7, progress=False, device="cpu")
    assert _same(load_learner(tmp_path / "c.pt"), fresh)
    assert torch.load(tmp_path / "c.pt", weights_only=True)["seed"] == 7


def test_fewer_steps_than_done_is_refused_and_more_steps_continue(tmp_path, capsys):
    assert _cli_train(tmp_path, "--steps", "4") == 0
    capsys.readouterr()
    assert _cli_train(tmp_path, "--steps", "2") == 2  # used to write the 4-step learner as if it were 2 steps
    err = _one_line_error(capsys)
    assert "step 4" in err and "--steps" in err and "--restart" in err
    assert _cli_train(tmp_path, "--steps", "6") == 0  # a continuation: exactly an uninterrupted 6-step run
    whole, _ = recipes.train_recipe("maml_sine", steps=6, progress=False, device="cpu")
    assert _same(load_learner(tmp_path / "c.pt"), whole)


@pytest.mark.parametrize("field, change", [
    ("task_args.k_shot", {"run": {"recipe": "maml_sine", "task": "sine", "task_args": {"k_shot": 5}}}),
    ("meta_batch_size", {"meta_batch_size": 3}),
    ("outer_lr", {"outer_lr": 0.01}),
    ("recipe", {"run": {"recipe": "other", "task": "sine", "task_args": {"k_shot": 10}}}),
])
def test_resume_refuses_any_other_setting_of_the_run(tmp_path, field, change):
    learner, sample = recipes.build("maml_sine")
    base = dict(meta_batch_size=2, outer_lr=1e-3, progress=False, device="cpu", checkpoint=tmp_path / "s.pt",
                run={"recipe": "maml_sine", "task": "sine", "task_args": {"k_shot": 10}})
    train(learner, sample, 2, **base)
    with pytest.raises(ValueError, match=rf"{field}=.*restart"):
        train(learner, sample, 2, **{**base, **change})

