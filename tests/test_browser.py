"""Every widget lesson in JupyterLab, in headless Chromium: Run All with no error, then every control of every
widget redraws its image (helpers and fixtures: tests/_browser.py; the classroom app: tests/test_browser_app.py)."""

from __future__ import annotations

import pytest
from _browser import WIDGET_LESSONS, _run_all, browser, exercise, explorer_cells, lab, lab_page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("name", WIDGET_LESSONS)
def test_lesson_runs_in_jupyterlab_and_every_control_redraws(lab, lab_page, name):
    tmp = lab[2]
    ok = False
    try:
        page = lab_page.open(name)  # the only tab: the previous lesson's tab was closed and its kernel shut down
        _run_all(page, tmp, name)
        widgets = page.locator(".jp-OutputArea-output:has(img.widget-image)")
        expected = explorer_cells(name)
        assert expected >= 1, f"{name}: no cell displays an explorer widget"
        page.wait_for_function(f"() => document.querySelectorAll('.jp-OutputArea-output img.widget-image').length >= "
                               f"{expected}", polling=100, timeout=60_000)
        assert widgets.count() == expected, f"{name}: {widgets.count()} widgets rendered, {expected} displayed"
        for i in range(widgets.count()):
            widget = widgets.nth(i)
            widget.scroll_into_view_if_needed()
            exercise(widget, page, f"{name} widget {i + 1}")
        ok = True
    finally:
        lab_page.reset(ok)
