"""Every lesson has the shape the course promises a learner: at most 40 cells, an "Open in Colab" badge, a
"you will learn" list, a Summary, and Exercises with one "implement it" exercise, one open question and a link
to its worked solutions — which exist, in ``notebooks/solutions/NN_<name>_solutions.ipynb``."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _markdown(path: Path) -> str:
    nb = json.loads(path.read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_shape(path):
    nb = json.loads(path.read_text())
    assert len(nb["cells"]) <= 40, f"{path.name}: {len(nb['cells'])} cells — split the lesson (one idea per lesson)"
    text = _markdown(path)
    assert "colab-badge.svg" in text and f"notebooks/{path.name}" in text, f"{path.name}: no Open-in-Colab badge"
    assert "**You will learn**" in text or "You will learn" in text, f"{path.name}: no 'you will learn' list"
    assert "## Summary" in text and "## Exercises" in text, f"{path.name}: Summary and Exercises sections"
    solutions = NOTEBOOKS / "solutions" / f"{path.stem}_solutions.ipynb"
    assert solutions.exists(), f"{path.name}: no worked solutions at {solutions}"
    assert f"solutions/{solutions.name}" in text, f"{path.name}: the Exercises do not link {solutions.name}"


@pytest.mark.parametrize("path", [p for p in LESSONS if not p.stem.startswith("00_")], ids=lambda p: p.stem)
def test_lesson_has_an_implement_it_exercise_and_an_open_question(path):
    text = _markdown(path).lower()
    exercises = text[text.index("## exercises"):]
    assert "implement it" in exercises, f"{path.name}: no 'implement it' exercise"
    assert "open question" in exercises, f"{path.name}: no open question among the exercises"
