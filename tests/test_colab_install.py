"""Every lesson's setup cell installs the pinned release on Colab (never the moving head), the same line in
every notebook, overridable by META_COURSE_PIP; the release step that moves the pin works."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from meta_course.lessons.colab import ENV, PIN_RE, pinned_requirement, project_version, repin

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))


def setup_cell(path: Path) -> str:
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "find_spec(\"meta_course\")" in "".join(cell["source"]):
            return "".join(cell["source"])
    raise AssertionError(f"{path.name}: no setup cell installing the package when it is missing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_installs_the_pinned_release(path):
    cell = setup_cell(path)
    pin = pinned_requirement(project_version(ROOT))
    assert f'os.environ.get("{ENV}", "{pin}")' in cell, (
        f"{path.name}: the setup cell must install {pin!r} (overridable by {ENV}); after a version bump run "
        f"`python -m meta_course.lessons.colab`.\n{cell}")
    assert all(m.group(1) for m in PIN_RE.finditer(cell)), f"{path.name}: an unpinned install line"


def test_setup_cells_are_identical_up_to_the_install():
    lines = {}
    for path in NOTEBOOKS:
        cell = setup_cell(path)
        head = cell[cell.index("if importlib.util.find_spec"):cell.index("check=True)") + len("check=True)")]
        assert re.search(r"^import importlib\.util, os, subprocess, sys\b", cell, re.M), f"{path.name}: imports"
        lines.setdefault(head, []).append(path.name)
    assert len(lines) == 1, "the install lines differ:\n" + "\n".join(f"{v}: {k}" for k, v in lines.items())


def test_repin_rewrites_only_the_requirement(tmp_path):
    src = ROOT / "notebooks" / "01_maml_sine.ipynb"
    shutil.copy(src, tmp_path / src.name)
    before = (tmp_path / src.name).read_text()
    assert repin(tmp_path, "9.9.9") == [tmp_path / src.name]
    after = (tmp_path / src.name).read_text()
    assert pinned_requirement("9.9.9") in after and after.count("@v9.9.9") == before.count("meta-course @ git+")
    diff = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert len(before.splitlines()) == len(after.splitlines()) and all("git+" in a for a, _ in diff)
    assert repin(tmp_path, "9.9.9") == []  # idempotent


def test_readme_documents_the_release_steps():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Releasing"):]
    assert "python -m meta_course.lessons.colab" in section and re.search(r"git tag v", section)
