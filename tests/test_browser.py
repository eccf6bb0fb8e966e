"""Every widget lesson in JupyterLab, in headless Chromium: Run All with no error, then every control of every
widget redraws its image (helpers and fixtures: tests/_browser.py; the classroom app: tests/test_browser_app.py)."""

from __future__ import annotations

import pytest
from _browser import WIDGET_LESSONS, _run_all, _shutdown_kernels, browser, exercise, lab  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("name", WIDGET_LESSONS)
def test_lesson_runs_in_jupyterlab_and_every_control_redraws(lab, browser, name):
    base, token, tmp = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)
    try:
        # a fresh workspace per lesson: no tab of the previous lesson is restored
        page.goto(f"{base}/lab/workspaces/w{WIDGET_LESSONS.index(name)}/tree/{name}?reset&token={token}")
        _run_all(page, tmp, name)
        widgets = page.locator(".jp-OutputArea-output:has(img.widget-image)")
        assert widgets.count() >= 1, f"{name}: no widget rendered"
        for i in range(widgets.count()):
            widget = widgets.nth(i)
            widget.scroll_into_view_if_needed()
            exercise(widget, page, f"{name} widget {i + 1}")
    finally:
        page.close()
        _shutdown_kernels(base, token)
