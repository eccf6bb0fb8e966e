"""The classroom app's pages (meta_course.lessons.apps): one per widget lesson, each builds its widget,
the page notebooks are valid and hold no lesson code; ``python -m meta_course app --write-only`` writes them."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from meta_course.lessons import apps

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("META_COURSE_DATA") or ROOT.parent / "shared" / "data" / "omniglot")


def widget_lessons() -> set[str]:
    """Lessons whose code cells display an explorer widget."""
    found = set()
    for path in (ROOT / "notebooks").glob("[0-9]*.ipynb"):
        nb = json.loads(path.read_text())
        if any(re.search(r"\b\w+_explorer\(", "".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "code"):
            found.add(path.stem)
    return found


def test_every_widget_lesson_has_an_app_page():
    lessons = {app.lesson for app in apps.APPS.values()}
    missing = widget_lessons() - lessons
    assert not missing, f"lessons with a widget but no page in meta_course.lessons.apps.APPS: {sorted(missing)}"


def test_readme_shows_every_page():
    """The README's pictures (written by tests/test_browser_app.py with META_COURSE_SCREENSHOTS=docs/screenshots):
    one per page, so one for every widget lesson."""
    readme = (ROOT / "README.md").read_text()
    for i, name in enumerate(apps.available_apps(), 1):
        picture = f"docs/screenshots/{i:02d}_{name}.jpg"
        assert (ROOT / picture).is_file() and f"]({picture})" in readme, \
            f"{picture}: missing or not in the README (META_COURSE_SCREENSHOTS=docs/screenshots python -m pytest " \
            "tests/test_browser_app.py writes it)"
        assert (ROOT / picture).stat().st_size < 150_000, f"{picture}: keep the committed picture small"


def test_page_notebooks_are_valid_and_hold_one_call(tmp_path):
    paths = apps.write_apps(tmp_path)
    assert [p.name for p in paths][:2] == ["01_sine_adaptation.ipynb", "02_omniglot_episodes.ipynb"]
    assert {p.stem.split("_", 1)[1] for p in paths} == set(apps.available_apps())
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        assert len(code) == 1 and f"show({path.stem.split('_', 1)[1]!r})" in code[0]
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


def test_unknown_page_names_the_pages():
    with pytest.raises(ValueError, match="sine_adaptation"):
        apps.show("sine")


def test_cli_writes_the_pages(tmp_path, capsys):
    from meta_course.__main__ import main

    assert main(["app", "--write-only", "--dir", str(tmp_path / "app")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert len(list((tmp_path / "app").glob("*.ipynb"))) == len(apps.available_apps())
    assert main(["app", "--list"]) == 0
    assert "sine_adaptation" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "images_background_small1.zip").exists(), reason="offline Omniglot copies not found")
@pytest.mark.parametrize("name", apps.available_apps())
def test_each_page_builds_its_widget_with_an_image(name, monkeypatch):
    import ipywidgets as w
    import matplotlib.pyplot as plt

    monkeypatch.setenv("META_COURSE_DATA", str(SHARED))
    box = apps.show(name)
    images, stack = [], [box]
    while stack:
        widget = stack.pop()
        if isinstance(widget, w.Image):
            images.append(widget)
        stack.extend(getattr(widget, "children", ()))
    assert images and all(img.value[:4] == b"\x89PNG" for img in images), name
    plt.close("all")
