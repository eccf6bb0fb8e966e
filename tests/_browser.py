"""Shared by the browser tests (tests/test_browser.py: lessons in JupyterLab; tests/test_browser_app.py: the
classroom app, then the lessons of ``APP_WORKER_LESSONS``) — two files, so that two pytest workers run them side
by side and finish together.

Real-browser tests: every widget lesson in JupyterLab, and every page of the classroom app, in Chromium.

Per file: one JupyterLab server (free port, token, temporary config/runtime dirs) serving a copy of
``notebooks/``, one Voilà server for the classroom app's pages (:mod:`meta_course.lessons.apps`), and one
Chromium (Debian's ``/usr/bin/chromium``, never ``playwright install``) with one browser context.

- JupyterLab: one page for all lessons (:class:`LabPage`). Each widget lesson in turn: open it as the only tab
  (a new kernel), Run All from the Run menu, wait until it started, no cell is queued and the kernel is idle,
  save, assert from the saved notebook that no cell raised and every cell ran once, in order; then move every
  control of every widget (sliders by keyboard, dropdowns, toggle buttons, buttons, number boxes) and assert
  that each move changed the rendered image; close the tab and shut its kernel down (a failed lesson reloads
  the page in a fresh workspace).
- The app: each page loads (its image renders, no code, no error output) and each control redraws.

``META_COURSE_SCREENSHOTS=DIR`` also writes one small JPEG per app page into DIR (the README's pictures:
``docs/screenshots``). Without Chromium or Playwright the tests skip — except under ``CI=true``, where
they fail (``.ci/run`` installs Chromium).
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


ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
#: every lesson that displays an explorer widget (a new family's lesson joins by itself)
WIDGET_LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9]*.ipynb")
                        if re.search(r"\b\w+_explorer\(", "".join("".join(c["source"]) for c in
                                     json.loads(p.read_text())["cells"] if c["cell_type"] == "code")))
#: without a GPU, Chromium composites pages in its GPU process on SwiftShader (software GL) unless GPU compositing is
#: off: the last two flags make it use the software compositor instead (measured here on lessons 01, 03, 05, 10 and
#: 13 in turn: 72–74 s instead of 86–88 s, the renderer's CPU 19 s instead of 23 s)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-gpu-compositing", "--disable-software-rasterizer"]
NO_ANIMATIONS = """document.addEventListener('DOMContentLoaded', () => {
    const style = document.createElement('style');
    style.textContent = '*, *::before, *::after { animation: none !important; transition: none !important; }';
    document.head.appendChild(style); });"""
REDRAW_TIMEOUT_MS = 120_000  # one redraw on a loaded 2-core machine (adapting two Conv-4s 10 steps)
#: the two browser files run side by side on two pytest workers (``make test``: ``-n 2 --dist loadfile``); the app's
#: 16 pages take about a third of the time of the 14 lessons, so the app's file also runs these lessons in JupyterLab,
#: which evens out the two workers (``--durations=0``: the two files' sums were 650 s and 525 s with lesson 06 alone
#: here, on a machine loaded by other jobs; lesson 12 took 52 s of the 650)
APP_WORKER_LESSONS = ("06_metric_learning.ipynb", "08_memory_augmented.ipynb", "12_maml_rl_and_pearl.ipynb")
SHARED = Path(os.environ.get("META_COURSE_DATA") or ROOT.parent / "shared" / "data" / "omniglot")


def _need_browser():
    """Skip without Chromium/Playwright — but fail under CI=true, where .ci/run installs them."""
    missing = None
    if not CHROMIUM.exists():
        missing = "Debian chromium is not installed (/usr/bin/chromium): `apt-get install -y chromium`"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "playwright is not installed: pip install -e '.[test]'"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{missing} (CI=true: the browser tests must run, .ci/run installs Chromium)")
        pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _jupyter_env(tmp: Path) -> dict:
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp / "config"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTER_DATA_DIR": str(tmp / "data"), "IPYTHONDIR": str(tmp / "ipython"), "MPLBACKEND": "",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "META_COURSE_QUICK": "1"}
    if "META_COURSE_DATA" not in os.environ and SHARED.exists():
        env["META_COURSE_DATA"] = str(SHARED)
    # the kernel must use this interpreter (the venv the tests run in)
    kernels = tmp / "data" / "kernels" / "python3"
    kernels.mkdir(parents=True, exist_ok=True)
    (kernels / "kernel.json").write_text(json.dumps(
        {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "Python 3 (ipykernel)", "language": "python"}))
    return env


def _start(cmd, env, cwd, tmp: Path, name: str, probe: str):
    log = open(tmp / f"{name}.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(probe, timeout=2)
            return proc, log
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError(f"{name} did not start: {(tmp / f'{name}.log').read_text()[-3000:]}")
            time.sleep(0.5)


def _stop(proc, log):
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        # one context for the module: its pages share the HTTP and compiled-script caches (each app page loads the
        # same widget bundles); CSS animations off: a spinner that turns while a kernel starts costs Chromium a
        # frame every 16 ms, and the tests look at the widgets' images, not at spinners
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(NO_ANIMATIONS)
        yield context
        context.close()
        chromium.close()


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    workdir = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", workdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
           "--ServerApp.open_browser=False", "--LabApp.news_url=", "--LabServerApp.announcements_url=",
           "--LabApp.expose_app_in_browser=True"]  # window.jupyterapp: open, save and close lessons in one page
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    base = f"http://127.0.0.1:{port}"
    proc, log = _start(cmd, _jupyter_env(tmp), workdir, tmp, "lab", f"{base}/api/status?token={token}")
    yield base, token, tmp
    _stop(proc, log)


@pytest.fixture(scope="module")
def lab_page(lab, browser):
    """One JupyterLab page for the module (:class:`LabPage`); each lesson resets the workspace after itself."""
    base, token, tmp = lab
    holder = LabPage(browser, base, token)
    yield holder
    if holder.page is not None:
        holder.page.close()  # the server's shutdown stops the last kernel (a DELETE per session waits ≈ 5 s for it)


@pytest.fixture(scope="module")
def app(browser, tmp_path_factory):
    from meta_course.lessons.apps import write_apps

    tmp = tmp_path_factory.mktemp("app")
    pages = write_apps(tmp / "pages")
    port = _free_port()
    cmd = [sys.executable, "-m", "voila", str(tmp / "pages"), "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--show_tracebacks=True"]
    # (pre-heating one kernel per page, --preheat_kernel=True --pool_size=1, was measured slower here: 4 min 27 s vs
    # 4 min 07 s for the browser suite idle — 16 kernels starting at once compete with the JupyterLab worker)
    base = f"http://127.0.0.1:{port}"
    proc, log = _start(cmd, _jupyter_env(tmp), tmp, tmp, "voila", f"{base}/")
    yield base, [p.name for p in pages], tmp
    _stop(proc, log)


# ------------------------------------------------------------------------------------------- controls
def _images(scope) -> list:
    return [img.get_attribute("src") for img in scope.locator("img.widget-image").all()]


def _controls(scope) -> list[tuple[str, object]]:
    """Every control inside ``scope``: (description, locator). Menus come last: choosing another item may put the
    widget in a state where a control is disabled (the embedding-space widget's distance applies to ProtoNet only),
    so every other control is moved in the widget's first state."""
    found = []
    for i, s in enumerate(scope.locator(".widget-slider, .widget-hslider").all()):
        label = s.locator(".widget-label").first.inner_text() if s.locator(".widget-label").count() else f"slider {i}"
        found.append((f"slider '{label}'", s))
    for s in scope.locator(".widget-toggle-buttons").all():
        found.append(("toggle buttons", s))
    for s in scope.locator("button.jupyter-button:not(.widget-toggle-button)").all():
        found.append((f"button '{s.inner_text().strip()}'", s))
    for s in scope.locator(".widget-text:has(input[type=number]), .widget-inline-hbox.widget-text").all():
        found.append((f"number box '{s.locator('.widget-label').first.inner_text()}'", s))
    for s in scope.locator(".widget-checkbox").all():
        found.append(("checkbox", s))
    for s in scope.locator(".widget-dropdown").all():
        found.append((f"dropdown '{s.locator('.widget-label').first.inner_text()}'", s))
    return found


def _move(kind: str, control, page) -> None:
    if kind.startswith("slider"):
        handle = control.locator(".noUi-handle").first
        handle.scroll_into_view_if_needed()
        now, top = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
        key = "ArrowLeft" if now is not None and top is not None and float(now) >= float(top) else "ArrowRight"
        handle.focus()
        handle.press(key)
    elif kind.startswith("dropdown"):
        select = control.locator("select")
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("el => el.options[el.selectedIndex].text")
        choice = next(o for o in options[1:] + options[:1] if o != current)
        select.select_option(label=choice)
    elif kind == "toggle buttons":
        control.locator("button:not(.mod-active):not([disabled])").first.click()
    elif kind.startswith("button"):
        control.click()
    elif kind.startswith("number box"):
        box = control.locator("input").first
        box.fill(str(int(float(box.input_value() or 0)) + 1))
        box.press("Enter")
    elif kind == "checkbox":
        control.locator("input").first.click()


def exercise(scope, page, where: str) -> list[str]:
    """Move every control in ``scope`` once; return what moved. Fails if a move leaves every image as it was."""
    controls = _controls(scope)
    assert controls, f"{where}: no control found"
    moved = []
    for kind, control in controls:
        before = _images(scope)
        t0 = time.time()
        _move(kind, control, page)
        try:
            page.wait_for_function(
                "([root, old]) => { const imgs = [...root.querySelectorAll('img.widget-image')];"
                " return imgs.length && imgs.some((img, i) => img.src !== old[i]); }",
                arg=[scope.element_handle(), before], timeout=REDRAW_TIMEOUT_MS, polling=100)
        except Exception as err:  # playwright's TimeoutError: name the control
            raise AssertionError(f"{where}: moving {kind} did not redraw the image") from err
        moved.append(f"{kind} {time.time() - t0:.1f} s")
    print(f"{where}: " + ", ".join(moved))
    return moved


# ---------------------------------------------------------------------------------------- JupyterLab
#: JupyterLab's current notebook, as the test reads it (the server runs with ``expose_app_in_browser``)
_CURRENT = "const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
#: ``(path) => {kernel: status, queued: cells shown as [*]}`` of lesson ``path``, or null while it is not the current tab
_STATE = "(path) => { " + _CURRENT + """
    if (!w || !w.context || w.context.path !== path || !w.sessionContext.session || !w.sessionContext.session.kernel)
        return null;
    return {kernel: w.sessionContext.session.kernel.status,
            queued: [...w.node.querySelectorAll('.jp-InputPrompt')].filter(p => p.textContent.includes('*')).length}; }"""


class LabPage:
    """One JupyterLab page for a whole test module: loading JupyterLab costs Chromium ≈ 5 s of CPU, so the lessons
    are opened in turn in the same page, and :meth:`reset` closes every tab and shuts its kernel down between them
    (a failed lesson reloads the page instead, in a fresh workspace)."""

    def __init__(self, browser, base: str, token: str):
        self.browser, self.base, self.token, self.page = browser, base, token, None
        self.loads = 0

    def load(self):
        if self.page is not None:
            self.page.close()
        self.loads += 1
        self.page = self.browser.new_page()
        self.page.set_default_timeout(120_000)
        self.page.goto(f"{self.base}/lab/workspaces/test{self.loads}?reset&token={self.token}")
        self.page.wait_for_function("() => window.jupyterapp", polling=100, timeout=180_000)
        self.page.evaluate("async () => { await window.jupyterapp.restored; }")
        return self.page

    def open(self, name: str):
        """Open lesson ``name`` in a workspace without any other tab; wait until its fresh kernel is idle."""
        page = self.page or self.load()
        page.evaluate("async (path) => { await window.jupyterapp.commands.execute('docmanager:open', "
                      "{path, factory: 'Notebook'}); }", name)
        # "Run All" is dropped until the kernel is idle
        page.wait_for_function(f"(path) => {{ const s = ({_STATE})(path); return s && s.kernel === 'idle'; }}",
                               arg=name, polling=100, timeout=180_000)
        return page

    def reset(self, ok: bool) -> None:
        """Close every tab and shut its kernel down (without waiting for it to exit); reload after a failure."""
        if not ok or self.page is None:
            if self.page is not None:
                self.page.close()
            self.page = None
            _shutdown_kernels(self.base, self.token)
            return
        self.page.evaluate("""() => { for (const w of [...window.jupyterapp.shell.widgets('main')]) {
            if (w.sessionContext) w.sessionContext.shutdown(); w.dispose(); } }""")


def _run_all(page, tmp: Path, name: str) -> None:
    """Run All from the Run menu; wait until no cell is queued and the kernel is idle; check the saved notebook."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
    page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
    page.wait_for_function(f"(path) => {{ const s = ({_STATE})(path); return s && s.queued > 0; }}", arg=name,
                           polling=50, timeout=60_000)  # Run All started: cells are queued
    deadline, quiet = time.time() + 900, 0
    while quiet < 2:  # idle with no queued cell on two polls in a row (Run All stops at the first error)
        if time.time() > deadline:
            page.screenshot(path=str(tmp / f"timeout-{name}.png"))
            raise AssertionError(f"{name}: Run All did not finish within 15 minutes")
        s = page.evaluate(_STATE, name)
        quiet = quiet + 1 if s and s["queued"] == 0 and s["kernel"] == "idle" else 0
        time.sleep(0.25)
    # errors render like stderr in the page, so read the truth from the saved notebook
    page.evaluate("async () => { " + _CURRENT + " await w.context.save(); }")
    saved = json.loads((tmp / "notebooks" / name).read_text())
    code = [c for c in saved["cells"] if c["cell_type"] == "code"]
    failed = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not failed, f"{name}: a cell raised: " + re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(failed[0]["traceback"]))[-3000:]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{name}: not every cell ran once, in order, in the new kernel: {counts}"


def explorer_cells(name: str) -> int:
    """How many code cells of lesson ``name`` end by displaying an explorer widget (``…_explorer(…)``)."""
    cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
    last = [[ln for ln in "".join(c["source"]).splitlines() if ln.strip() and not ln.lstrip().startswith("#")][-1:]
            for c in cells if c["cell_type"] == "code"]
    return sum(1 for ln in last if ln and re.match(r"\w+_explorer\(", ln[0]))


def check_lesson(lab, lab_page: LabPage, name: str) -> None:
    """Lesson ``name`` in JupyterLab: Run All with no error, then every control of every widget redraws its image."""
    ok = False
    try:
        page = lab_page.open(name)  # the only tab: the previous lesson's tab was closed and its kernel shut down
        _run_all(page, lab[2], name)
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


def _shutdown_kernels(base: str, token: str) -> None:
    req = urllib.request.Request(f"{base}/api/sessions?token={token}")
    for session in json.loads(urllib.request.urlopen(req, timeout=30).read()):
        urllib.request.urlopen(urllib.request.Request(
            f"{base}/api/sessions/{session['id']}?token={token}", method="DELETE"), timeout=60)
