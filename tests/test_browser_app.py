"""Every page of the classroom app (Voilà) in headless Chromium: it loads without code or error, and every control
redraws (helpers and fixtures: tests/_browser.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _browser import app, browser, exercise  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_every_app_page_loads_and_every_control_redraws(app, browser):
    base, pages, tmp = app
    shots = os.environ.get("META_COURSE_SCREENSHOTS")
    assert pages, "the app has no page"
    for name in pages:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.set_default_timeout(120_000)
        try:
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
