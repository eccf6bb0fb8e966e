"""The neural-process explorer's update function (plain Python) and its figure."""

import pytest
import torch

from meta_course.learners.memory.cnp import ConditionalNeuralProcess
from meta_course.tasks.gp import GPTasks
from meta_course.viz.neural_processes import NPFigure, draw_task, error_curves, np_frame


class Reader:
    """The smallest object :func:`np_frame` accepts: ``adapt(xs, ys).distribution(x)``."""

    def __init__(self, seed=0):
        torch.manual_seed(seed)
        self.net = ConditionalNeuralProcess(hidden=8, r_dim=4)
        self.calls = []

    def adapt(self, xs, ys):
        self.calls.append(len(xs))
        net = self.net
        return type("P", (), {"distribution": lambda _, x: net(xs, ys, x)})()


class Oracle:
    """A "CNP" that is the exact GP posterior: its curve must equal the oracle's."""

    def __init__(self, gp):
        self.gp = gp

    def adapt(self, xs, ys):
        gp = self.gp
        return type("P", (), {"distribution": lambda _, x: gp.posterior(xs, ys, x)})()


def test_draws_are_seeded_and_contexts_nested():
    a, b = draw_task("gp", seed=4), draw_task("gp", seed=4)
    assert torch.equal(a.y_pool, b.y_pool) and torch.equal(a.y_true, b.y_true)
    f3, f7 = np_frame("sine", Reader(), k=3, seed=2, max_k=8), np_frame("sine", Reader(), k=7, seed=2, max_k=8)
    assert torch.equal(f7.x_context[:3], f3.x_context)  # points arrive one by one, the earlier ones stay
    assert len(f7.x_context) == 7 and f7.mse_by_k["cnp"] == f3.mse_by_k["cnp"]


def test_sine_frame_lies_on_the_drawn_sine():
    d = draw_task("sine", seed=1)
    a, p = d.amplitude_phase
    torch.testing.assert_close(d.y_pool, a * torch.sin(d.x_pool - p))
    torch.testing.assert_close(d.y_true, a * torch.sin(d.x - p))


def test_gp_frame_oracle_matches_the_posterior_and_shrinks_with_k():
    gp = GPTasks()
    f = np_frame("gp", Oracle(gp), k=10, seed=3, max_k=20, gp=gp)
    d = draw_task("gp", seed=3)
    post = gp.posterior(d.x_pool[:10], d.y_pool[:10], d.x)
    torch.testing.assert_close(f.mean["oracle"], post.mean[:, 0])
    torch.testing.assert_close(f.std["oracle"], post.std[:, 0])
    assert f.mse_by_k["cnp"] == pytest.approx(f.mse_by_k["oracle"])
    assert sorted(f.mse_by_k["oracle"]) == list(range(1, 21))
    # the oracle's average band narrows as points arrive (20 points on [-2, 2], lengthscale 0.4)
    f1 = np_frame("gp", Oracle(gp), k=1, seed=3, max_k=20, gp=gp)
    f20 = np_frame("gp", Oracle(gp), k=20, seed=3, max_k=20, gp=gp)
    assert f20.std["oracle"].mean() < 0.6 * f1.std["oracle"].mean()


def test_maml_curve_is_shown_on_sine_only():
    class Shift:  # "adapts" by predicting the mean of the context
        def adapt(self, xs, ys, inner_steps):
            return lambda x: torch.full_like(x, ys.mean().item())

    f = np_frame("sine", Reader(), k=4, seed=0, maml=Shift(), max_k=6)
    assert set(f.mse_by_k) == {"cnp", "maml"} and sorted(f.mse_by_k["maml"]) == [1, 2, 3, 4, 5]  # MAML_KS up to 6
    assert sorted(f.mse_by_k["cnp"]) == [1, 2, 3, 4, 5, 6]
    assert torch.allclose(f.mean["maml"], torch.full((200,), f.y_context.mean().item()))
    g = np_frame("gp", Reader(), k=4, seed=0, maml=Shift(), max_k=6)
    assert set(g.mse_by_k) == {"cnp", "oracle"}


def test_cached_curves_give_the_same_frame():
    reader = Reader()
    curves = error_curves("gp", reader, seed=6, max_k=8)
    assert set(curves) == {"cnp", "oracle"} and all(sorted(v) == list(range(1, 9)) for v in curves.values())
    n_calls = len(reader.calls)
    cached = np_frame("gp", reader, k=4, seed=6, max_k=8, curves=curves)
    assert len(reader.calls) == n_calls + 1  # one adaptation for the shown K, none for the curves
    fresh = np_frame("gp", reader, k=4, seed=6, max_k=8)
    assert cached.mse_by_k == fresh.mse_by_k and torch.equal(cached.mean["cnp"], fresh.mean["cnp"])


def test_figure_renders_png_and_switches_families():
    figure = NPFigure()
    png = figure.update(np_frame("gp", Reader(), k=5, seed=0, max_k=10)).png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 200_000
    figure.update(np_frame("sine", Reader(), k=3, seed=0, max_k=10))
    assert len(figure.bands) == 1 and not figure.means["oracle"].get_visible()  # only the CNP's band is left
    assert figure.axes[0].get_ylim() == (-6, 6)


@pytest.mark.parametrize("kwargs, match", [
    (dict(family="gp", k=0), "k=0"),
    (dict(family="gp", k=31), "k=31"),
    (dict(family="cosine", k=3), "unknown family"),
    (dict(family="gp", k=3, max_k=60), "max_k=60"),
])
def test_bad_controls_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        np_frame(cnp=Reader(), **kwargs)
