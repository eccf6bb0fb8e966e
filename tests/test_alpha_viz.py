"""The α widget of the derivations lesson: errors of each meta-gradient approximation vs the inner step size."""

import pytest

from meta_course.core.metagrad import loglog_slope
from meta_course.viz.derivations import alpha_curves, alpha_frame, plot_alpha


def test_frame_agrees_with_the_curves_and_the_orders():
    grid, curves = alpha_curves()
    i = 4  # a grid point: the frame at that α must reproduce the curve
    frame = alpha_frame(grid[i])
    for m in ("first_order", "article", "expansion"):
        assert frame.errors[m] == pytest.approx(curves[m][i], rel=1e-9)
    # small α: the first-order and article errors grow like α, the expansion's like α²
    small = slice(0, 5)
    assert 0.8 < loglog_slope(grid[small], curves["first_order"][small]) < 1.2
    assert 0.8 < loglog_slope(grid[small], curves["article"][small]) < 1.2
    assert 1.8 < loglog_slope(grid[small], curves["expansion"][small]) < 2.2
    assert plot_alpha(frame).png()[:4] == b"\x89PNG"


def test_out_of_range_alpha_raises():
    with pytest.raises(ValueError, match="alpha"):
        alpha_frame(2.0)


def test_explorer_slider_redraws():
    from meta_course.viz.derivations import alpha_explorer

    box = alpha_explorer()
    slider, image = box.children
    before = bytes(image.value)
    slider.value = 0.1
    assert bytes(image.value) != before
