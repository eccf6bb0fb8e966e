"""Every widget lesson in JupyterLab, in headless Chromium: Run All with no error, then every control of every
widget redraws its image (helpers and fixtures: tests/_browser.py). The lessons of ``APP_WORKER_LESSONS`` run in
tests/test_browser_app.py, beside the classroom app, so that two pytest workers share the time evenly."""

from __future__ import annotations

import pytest
from _browser import APP_WORKER_LESSONS, WIDGET_LESSONS, browser, check_lesson, lab, lab_page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("name", [n for n in WIDGET_LESSONS if n not in APP_WORKER_LESSONS])
def test_lesson_runs_in_jupyterlab_and_every_control_redraws(lab, lab_page, name):
    check_lesson(lab, lab_page, name)
