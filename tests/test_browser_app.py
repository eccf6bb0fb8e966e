"""Every page of the classroom app (Voilà) in headless Chromium: it loads without code or error, and every control
redraws (helpers and fixtures: tests/_browser.py). Then the lessons of ``APP_WORKER_LESSONS`` in JupyterLab, as
tests/test_browser.py runs the others: the two files run side by side on two pytest workers and take about as long."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _browser import (APP_WORKER_LESSONS, WIDGET_LESSONS, app, browser, check_lesson, exercise, lab,  # noqa: F401
                      lab_page)

pytestmark = pytest.mark.browser


def test_every_app_page_loads_and_every_control_redraws(app, browser):
    base, pages, tmp = app
    shots = os.environ.get("META_COURSE_SCREENSHOTS")
    assert pages, "the app has no page"
    # one tab for every page, as a learner clicks through them: each navigation reuses the tab's renderer process
    # (a new tab per page started a renderer per page: the app's pages took 113 s here, in one tab 94 s)
    page = browser.new_page()
    page.set_viewport_size({"width": 1100, "height": 900})
    page.set_default_timeout(120_000)
    try:
        for name in pages:
            page.goto(f"{base}/voila/render/{name}", timeout=300_000)
            page.wait_for_selector("img.widget-image", timeout=300_000)
            body = page.locator("body")
            assert page.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor").count() == 0, f"{name}: code shown"
            errors = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
            assert not any("Traceback" in e or "Error" in e for e in errors), f"{name}: {errors}"
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.locator(".jp-OutputArea-output:has(img.widget-image)").first.screenshot(
                    path=str(Path(shots) / f"{Path(name).stem}.jpg"), type="jpeg", quality=70)
            exercise(body, page, f"app page {name}")
    finally:
        page.close()


@pytest.mark.parametrize("name", [n for n in WIDGET_LESSONS if n in APP_WORKER_LESSONS])
def test_lesson_runs_in_jupyterlab_and_every_control_redraws(lab, lab_page, name):
    check_lesson(lab, lab_page, name)
