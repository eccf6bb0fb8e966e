"""The committed sine checkpoints, the widget's update function and `bench sine`."""

import json

import pytest
import torch

from meta_course.__main__ import main
from meta_course.learners import load_learner
from meta_course.checkpoints import checkpoint_path
from meta_course.evaluate import evaluate
from meta_course.tasks.sine import SineTasks
from meta_course.viz.sine import plot_sine_adaptation, sine_adaptation


@pytest.fixture(scope="module")
def learners():
    return {name: load_learner(checkpoint_path(f"{name}_sine")) for name in ("maml", "fomaml", "pretrained")}


@pytest.fixture(scope="module")
def held_out():
    return SineTasks().sample(torch.Generator().manual_seed(777), 500, k_shot=5, n_query=50)


def test_maml_checkpoint_adapts_on_held_out_tasks(learners, held_out):
    maml = learners["maml"]
    before = evaluate(maml, held_out, inner_steps=0)
    after = {s: evaluate(maml, held_out, inner_steps=s) for s in (1, 10)}
    assert after[1].mean < before.mean
    assert after[10].mean + after[10].ci95 < after[1].mean
    assert after[10].mean < 0.5, after[10]


def test_maml_beats_the_pretrained_baseline_after_10_steps(learners, held_out):
    maml = evaluate(learners["maml"], held_out, inner_steps=10)
    base = evaluate(learners["pretrained"], held_out, inner_steps=10)
    assert maml.mean + maml.ci95 < base.mean - base.ci95
    assert base.mean / maml.mean > 3, (base, maml)


def test_fomaml_checkpoint_adapts(learners, held_out):
    fo = learners["fomaml"]
    assert evaluate(fo, held_out, inner_steps=10).mean < 0.5 * evaluate(fo, held_out, inner_steps=0).mean


def test_widget_update_adapts_and_reports_every_step(learners):
    res = sine_adaptation(learners, amplitude=4.0, phase=2.0, k_shot=5, inner_steps=10, inner_lr=1e-3, seed=3)
    assert res.x_support.shape == (5, 1) and res.after["maml"].shape == res.y_true.shape == (200, 1)
    assert torch.allclose(res.y_support, 4.0 * torch.sin(res.x_support - 2.0))
    assert len(res.mse_by_step["maml"]) == 11
    assert res.mse_by_step["maml"][-1] < 0.5 * res.mse_by_step["maml"][0]
    assert res.mse_by_step["maml"][-1] < res.mse_by_step["pretrained"][-1]
    again = sine_adaptation(learners, amplitude=4.0, phase=2.0, k_shot=5, inner_steps=10, inner_lr=1e-3, seed=3)
    assert torch.equal(again.after["maml"], res.after["maml"])
    other = sine_adaptation(learners, amplitude=4.0, phase=2.0, k_shot=5, inner_steps=10, inner_lr=1e-3, seed=4)
    assert not torch.equal(other.x_support, res.x_support)  # "new support points" changes the draw


def test_widget_plot_draws_every_curve(learners):
    res = sine_adaptation(learners, amplitude=2.0, phase=0.5, k_shot=10, inner_steps=3)
    figure = plot_sine_adaptation(res)
    left, right = figure.axes
    assert len(left.lines) == 1 + 1 + len(learners) + 1  # truth, before, each learner after, support
    assert len(right.lines) == len(learners)
    assert list(figure.support.get_xdata()) == res.x_support.squeeze(1).tolist()
    assert list(figure.curves["maml"].get_ydata()) == res.mse_by_step["maml"]
    png_a = figure.png()
    assert png_a.startswith(b"\x89PNG")
    figure.update(sine_adaptation(learners, amplitude=4.5, phase=2.5, k_shot=3, inner_steps=7))
    assert len(figure.curves["maml"].get_xdata()) == 8
    assert figure.png() != png_a  # a slider move changes the picture


def test_explorer_slider_moves_redraw_the_image(learners):
    from meta_course.viz.sine import sine_explorer

    box = sine_explorer(learners)
    image = box.children[1]
    first = bytes(image.value)
    steps_slider = box.children[0].children[1].children[0]
    assert steps_slider.description == "inner steps"
    steps_slider.value = 2
    assert bytes(image.value) != first and bytes(image.value).startswith(b"\x89PNG")


@pytest.mark.parametrize("kwargs, match", [
    (dict(amplitude=7.0), r"amplitude=7.0 is out of range: allowed \[0.1, 5.0\]"),
    (dict(k_shot=0), r"k_shot=0 is out of range"),
    (dict(inner_lr=0), r"inner_lr=0 is out of range"),
    (dict(inner_steps=-2), r"inner_steps=-2 is out of range"),
])
def test_widget_rejects_bad_values(learners, kwargs, match):
    args = dict(amplitude=1.0, phase=1.0) | kwargs
    with pytest.raises(ValueError, match=match):
        sine_adaptation(learners, **args)


def test_bench_sine_json_rows_reproduce_evaluate(tmp_path, learners, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "sine", "--tasks", "60", "--skip-speed", "--json", str(out),
                 "--methods", "maml", "pretrained"]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert {(r["method"], r["k_shot"], r["steps"]) for r in rows} == {
        (m, k, s) for m in ("maml", "pretrained") for k in (5, 10, 20) for s in (1, 5, 10)}
    assert all(set(r) == {"method", "k_shot", "steps", "mse", "ci95"} for r in rows)
    tasks = SineTasks().sample(torch.Generator().manual_seed(2026 + 5), 60, 5, 100)
    expected = evaluate(learners["maml"], tasks, inner_steps=5)
    row = next(r for r in rows if r["method"] == "maml" and r["k_shot"] == 5 and r["steps"] == 5)
    assert row["mse"] == pytest.approx(expected.mean) and row["ci95"] == pytest.approx(expected.ci95)
    assert "paper (K=5)" in capsys.readouterr().out
