"""The shared training loop: resume is exact, checkpoints round-trip, NaN stops with a message."""

import pytest
import torch

from meta_course import recipes
from meta_course.__main__ import main
from meta_course.learners import load_learner, save_learner
from meta_course.train import train


def _train(tmp_path=None, steps=60, callback=None, **kw):
    learner, sample = recipes.build("maml_sine")
    ckpt = tmp_path / "state.pt" if tmp_path is not None else None
    history = train(learner, sample, steps, meta_batch_size=5, seed=3, checkpoint=ckpt, checkpoint_every=20,
                    log_every=10, progress=False, callback=callback, device="cpu", **kw)
    return learner, history


class Interrupt(Exception):
    pass


def _stop_at(n):
    def cb(step, loss):
        if step == n:
            raise Interrupt
    return cb


def test_resume_after_interrupt_gives_the_same_parameters(tmp_path):
    reference, ref_hist = _train(None)
    with pytest.raises(Interrupt):
        _train(tmp_path, callback=_stop_at(50))  # last checkpoint: step 40
    assert torch.load(tmp_path / "state.pt", weights_only=True)["step"] == 40
    resumed, hist = _train(tmp_path)
    for (name, a), b in zip(reference.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
    assert hist.step == ref_hist.step
    assert hist.loss == pytest.approx(ref_hist.loss)


def test_training_lowers_the_held_out_query_loss():
    from meta_course.evaluate import evaluate
    from meta_course.tasks.sine import SineTasks

    held_out = SineTasks().sample(torch.Generator().manual_seed(123), 300, k_shot=10)
    before = evaluate(recipes.build("maml_sine", seed=3)[0], held_out, inner_steps=1)
    learner, history = _train(None, steps=300)
    after = evaluate(learner, held_out, inner_steps=1)
    assert after.mean + after.ci95 < before.mean - before.ci95, (before, after)


def test_checkpoint_round_trip(tmp_path):
    learner, history = _train(None, steps=10)
    save_learner(learner, tmp_path / "m.pt", history=history.as_dict())
    loaded = load_learner(tmp_path / "m.pt")
    assert loaded.config == learner.config and loaded.name == "maml"
    for a, b in zip(learner.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)
    x = torch.linspace(-5, 5, 7).view(-1, 1)
    assert torch.equal(loaded.adapt(x, torch.sin(x), inner_steps=2)(x), learner.adapt(x, torch.sin(x), inner_steps=2)(x))


def test_resume_refuses_a_checkpoint_of_another_learner(tmp_path):
    _train(tmp_path, steps=20)
    learner, sample = recipes.build("pretrained_sine")
    with pytest.raises(ValueError, match="learner=.maml. there, .pretrained. here.*--restart"):
        train(learner, sample, 40, checkpoint=tmp_path / "state.pt", progress=False, device="cpu")


def test_nan_loss_stops_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    learner, sample = recipes.build("maml_sine")

    def poisoned(g, n):
        ep = sample(g, n)
        if poisoned.calls == 25:
            ep = ep._replace(y_query=ep.y_query * float("nan"))
        poisoned.calls += 1
        return ep
    poisoned.calls = 0
    with pytest.raises(FloatingPointError, match=r"meta-step value 'loss' is nan at step 26: .*last good checkpoint .*state.pt is kept"):
        train(learner, poisoned, 100, meta_batch_size=4, checkpoint=tmp_path / "state.pt", checkpoint_every=10,
              progress=False, device="cpu")
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert state["step"] == 20
    assert all(torch.isfinite(v).all() for v in state["learner"]["state_dict"].values())


@pytest.mark.parametrize("argv, message", [
    (["train", "mamll_sine"], "unknown recipe 'mamll_sine': allowed"),
    (["train", "maml_sine", "--steps", "-5"], "steps=-5 is out of range: allowed >= 0"),
    (["train", "maml_sine", "--inner-lr", "0", "--steps", "1"], "inner_lr=0.0 is out of range"),
])
def test_cli_bad_input_gives_a_clear_error(argv, message, capsys, tmp_path):
    assert main(argv + ["--out", str(tmp_path / "x.pt"), "--no-progress"]) == 2
    assert message in capsys.readouterr().err


def test_cli_evaluate_applies_the_recipes_eval_knobs(tmp_path):
    """`evaluate RECIPE` scores with the knobs every table uses for it (10 inner steps for maml_sine)."""
    import json

    from meta_course.evaluate import evaluate

    out = tmp_path / "e.json"
    assert main(["evaluate", "maml_sine", "--tasks", "40", "--json", str(out)]) == 0
    row = json.loads(out.read_text())[0]
    recipe = recipes.get_recipe("maml_sine")
    assert row["inner_steps"] == recipe.eval_knobs["inner_steps"] == 10
    tasks = recipes.task_sampler(recipe.task, **recipe.task_args)(torch.Generator().manual_seed(2026), 40)
    assert row["mse"] == evaluate(recipes.load_or_train("maml_sine"), tasks, inner_steps=10).mean
    assert main(["evaluate", "maml_sine", "--tasks", "40", "--inner-steps", "1", "--json", str(out)]) == 0
    assert json.loads(out.read_text())[0]["inner_steps"] == 1  # the command line wins


def test_train_recipe_is_what_the_cli_trains(tmp_path):
    """`python -m meta_course train` and train_recipe give the same learner (the one way to train a recipe)."""
    assert main(["train", "reptile_sine", "--steps", "3", "--out", str(tmp_path / "cli.pt"), "--no-progress",
                 "--device", "cpu"]) == 0
    learner, history = recipes.train_recipe("reptile_sine", steps=3, progress=False, device="cpu")
    cli = load_learner(tmp_path / "cli.pt")
    for a, b in zip(cli.state_dict().values(), learner.state_dict().values()):
        assert torch.equal(a, b)
    saved = torch.load(tmp_path / "cli.pt", weights_only=True)
    assert saved["recipe"] == "reptile_sine" and saved["history"]["loss"] == history.loss


def test_cli_unknown_command_exits_with_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["trian"])
    assert exc.value.code == 2
    assert "invalid choice: 'trian'" in capsys.readouterr().err


def test_every_task_family_resolves_in_a_fresh_interpreter():
    """The task table is explicit: in a fresh interpreter every family is found by name."""
    import subprocess
    import sys

    code = ("from meta_course.tasks.table import task_sampler, TASKS; import torch; "
            "ep = task_sampler('linear', k_shot=3)(torch.Generator().manual_seed(0), 2); "
            "assert ep.x_support.shape[:2] == (2, 3), ep.x_support.shape; "
            "assert {'sine', 'linear', 'quadratic', 'omniglot'} <= set(TASKS), sorted(TASKS)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_clip_grad_norm_bounds_the_outer_step():
    """Reptile's outer optimiser is SGD with step ε, so a clipped meta-gradient bounds ‖Δθ‖ by ε·clip."""
    def moved(clip):
        learner, sample = recipes.build("reptile_sine")
        before = torch.cat([p.detach().flatten().clone() for p in learner.parameters()])
        train(learner, sample, steps=1, meta_batch_size=5, outer_lr=1.0, clip_grad_norm=clip, progress=False)
        return (torch.cat([p.detach().flatten() for p in learner.parameters()]) - before).norm().item()

    assert moved(1e-3) <= 1e-3 * (1 + 1e-4) < 0.1 * moved(0.0)
    with pytest.raises(ValueError, match="clip_grad_norm=-1"):
        moved(-1)
