"""The lessons that need data run top to bottom in a runtime that has never seen the course.

What a learner on a fresh Colab runtime has, rebuilt here without the network:
- a new virtual environment *without* the package: the shared interpreter's libraries (torch, jupyter,
  ...) are visible through a filtered overlay that leaves out every ``meta_course`` file, so nothing is
  downloaded and torch comes from the existing install;
- an empty ``HOME`` (so an empty ``~/.cache/meta_course``), ``META_COURSE_DATA`` unset, the notebooks
  copied to a folder far from any offline data;
- ``META_COURSE_MIRROR`` pointed at a local ``http.server`` holding the official file names (see
  ``tests/_mirror.py``: the two small zips byte for byte, and a ten-run ``all_runs.zip`` fixture whose
  md5, computed here, is passed explicitly through ``META_COURSE_MD5``).

Each lesson runs through its own setup cell — the cell Colab runs — which finds no package and pip-installs
one; ``META_COURSE_PIP`` makes it install this checkout instead of the pinned release (``PIP_NO_INDEX``: no
download can happen). Every cell must run without error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from _mirror import build_mirror, have_offline_data, serve

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: lessons that read Omniglot or Lake's runs; later data lessons join this list
DATA_LESSONS = ["02_omniglot.ipynb", "06_metric_learning.ipynb", "07_maml_omniglot.ipynb", "08_memory_augmented.ipynb",
                "14_meta_gan.ipynb"]
SKIP_DIRS = {".git", ".venv", "runs", "build", "dist", "__pycache__", ".pytest_cache", ".ipynb_checkpoints"}

RUNNER = r'''
import sys, time, nbformat
from nbclient import NotebookClient
path, timeout = sys.argv[1], int(sys.argv[2])
nb = nbformat.read(path, as_version=4)
t0 = time.time()
client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": sys.argv[3]}})
try:
    client.execute()
finally:
    nbformat.write(nb, path)
print(f"{path}: {time.time() - t0:.0f} s")
'''


def _overlay(dest: Path) -> Path:
    """A folder of links to the shared site-packages minus every trace of ``meta_course``."""
    dest.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if "meta_course" in entry.name or "meta-course" in entry.name:
            continue
        (dest / entry.name).symlink_to(entry)
    return dest


def _fresh_venv(tmp: Path) -> Path:
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    overlay = _overlay(tmp / "overlay")
    # addsitedir also runs the overlay's own .pth files (setuptools' distutils shim), as a real site dir would
    Path(purelib, "shared_libraries.pth").write_text(f"import site; site.addsitedir({str(overlay)!r})\n")
    return python


def _checkout_copy(dest: Path) -> Path:
    """This checkout's files (working tree, so uncommitted edits count), without build litter."""
    shutil.copytree(ROOT, dest, ignore=lambda d, names: [n for n in names if n in SKIP_DIRS
                                                           or n.endswith(".egg-info")])
    return dest


@pytest.mark.skipif(not have_offline_data(), reason="offline Omniglot copies not found (../shared/data/omniglot)")
def test_data_lessons_run_in_a_fresh_runtime(tmp_path):
    python = _fresh_venv(tmp_path)
    probe = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('meta_course'))"],
                           capture_output=True, text=True, env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
                           cwd=tmp_path)
    assert probe.stdout.strip() == "None", f"the fresh venv already sees the package: {probe.stdout}{probe.stderr}"

    source = _checkout_copy(tmp_path / "checkout")
    mirror_dir, home, work = tmp_path / "mirror", tmp_path / "home", tmp_path / "lessons"
    home.mkdir()
    work.mkdir()
    sums = build_mirror(mirror_dir)
    for name in DATA_LESSONS:
        shutil.copy(ROOT / "notebooks" / name, work / name)

    with serve(mirror_dir) as url:
        env = {
            "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}", "HOME": str(home), "LANG": "C.UTF-8",
            "META_COURSE_MIRROR": url, "META_COURSE_MD5": f"all_runs.zip={sums['all_runs.zip']}",
            "META_COURSE_QUICK": "1", "META_COURSE_PIP": str(source),
            "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        timings = []
        for name in DATA_LESSONS:
            done = subprocess.run([str(python), "-c", RUNNER, str(work / name), "900", str(work)], env=env,
                                  capture_output=True, text=True, cwd=work)
            if done.returncode != 0:
                nb = json.loads((work / name).read_text())
                errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
                          if o["output_type"] == "error"]
                detail = "\n".join(errors[0]["traceback"]) if errors else done.stderr[-4000:]
                pytest.fail(f"{name} failed in the fresh runtime:\n{detail[-4000:]}")
            timings.append(done.stdout.strip())

    data = home / ".cache" / "meta_course"
    got = sorted(p.name for p in data.iterdir() if p.is_file())
    assert got == sorted(sums), f"the lessons downloaded {got}, expected the mirror's {sorted(sums)}"
    assert all(_md5(data / n) == m for n, m in sums.items())
    print("\n".join(timings))


def _md5(path: Path) -> str:
    import hashlib

    return hashlib.md5(path.read_bytes()).hexdigest()
