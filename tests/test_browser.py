"""Real-browser test: JupyterLab in headless Debian Chromium runs lesson 01 and a slider redraws the plot.

Starts ``jupyter lab`` on 127.0.0.1 (free port, token, temporary config/runtime dirs) serving
``notebooks/``, drives it with Playwright using ``/usr/bin/chromium`` (never ``playwright install``),
runs all cells, asserts that no cell errored, moves the first slider of the sine explorer with the
keyboard and asserts that the rendered plot image changed. Skips with a reason when Chromium or
Playwright is missing (``.ci/run`` installs Chromium).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = "01_maml_sine.ipynb"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium): `apt-get install -y chromium`, "
                    "as .ci/run does")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
    tmp = tmp_path_factory.mktemp("lab")
    workdir = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", workdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp / "config"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTER_DATA_DIR": str(tmp / "data"), "IPYTHONDIR": str(tmp / "ipython"), "MPLBACKEND": "",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    # the kernel must use this interpreter (the venv the tests run in)
    kernels = tmp / "data" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(
        '{"argv": ["%s", "-m", "ipykernel_launcher", "-f", "{connection_file}"], '
        '"display_name": "Python 3 (ipykernel)", "language": "python"}' % sys.executable)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
           "--ServerApp.open_browser=False", "--LabApp.news_url=", "--LabServerApp.announcements_url="]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp / "lab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError(f"JupyterLab did not start: {(tmp / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
    yield base, token, tmp
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_lesson01_runs_in_browser_and_slider_redraws(lab):
    from playwright.sync_api import sync_playwright

    base, token, tmp = lab
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            # On a fresh server "Run All" is dropped until the kernel is idle: wait for it.
            page.wait_for_selector("text=| Idle", timeout=120_000)
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
            page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
            # Wait until the kernel has been idle with no queued cell for a few seconds (Run All stops
            # at the first error, so "every prompt numbered" cannot be the only exit).
            deadline, quiet = time.time() + 600, 0
            while quiet < 3:
                if time.time() > deadline:
                    page.screenshot(path=str(tmp / "timeout.png"))
                    raise AssertionError("Run All did not finish within 10 minutes")
                busy = page.locator(".jp-InputPrompt:has-text('[*]')").count()
                quiet = quiet + 1 if busy == 0 and page.locator("text=| Idle").count() else 0
                time.sleep(1)
            # Errors render like stderr in the page, so read the truth from the saved notebook.
            page.keyboard.press("Control+s")
            page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
            saved = json.loads((tmp / "notebooks" / NOTEBOOK).read_text())
            code = [c for c in saved["cells"] if c["cell_type"] == "code"]
            failed = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
            assert not failed, "a cell raised: " + re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(failed[0]["traceback"]))[-3000:]
            assert all(c["execution_count"] for c in code), "some cells did not run"

            image = page.locator("img.widget-image").first
            image.scroll_into_view_if_needed()
            image.wait_for(state="visible")
            before = image.get_attribute("src")
            handle = page.locator(".widget-hslider .noUi-handle").first
            handle.scroll_into_view_if_needed()
            handle.focus()
            for _ in range(3):
                handle.press("ArrowRight")
            page.wait_for_function(
                "([sel, old]) => { const el = document.querySelector(sel); return el && el.src !== old; }",
                arg=["img.widget-image", before], timeout=60_000)
            after = image.get_attribute("src")
            page.screenshot(path=str(tmp / "lesson01.png"), full_page=False)
            assert after != before
        finally:
            browser.close()
