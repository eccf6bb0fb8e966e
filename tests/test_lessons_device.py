"""Lint over the lessons' code cells: no lesson hard-codes a device; every model a lesson trains or loads
goes to the setup cell's ``device``.

Parsed with ``ast`` (IPython magics and shell lines removed first), so comments and strings in markdown
never trigger it. Rules, for every code cell of ``notebooks/*.ipynb`` and ``notebooks/solutions/*.ipynb``:

1. no string naming a device where a device is expected: ``device="cpu"``, ``torch.device("cuda")``,
   ``.to("cpu")``, ``map_location="cuda"``; no ``.cuda()``. (``.cpu()`` is allowed: results come back to
   the host for printing and plotting.)
2. every call of ``train(...)``, ``train_recipe(...)``, ``load_or_train(...)`` and ``load_learner(...)``
   passes ``device=`` — or its result is moved with ``.to(device)`` in the same expression — so that on a
   GPU runtime the lesson's demonstrations run on the GPU. One exception, by design: a model turned into
   float64 in the same expression (``load_learner(p).double()``) serves a float64 numeric check
   (finite differences, Hessian eigenvalues), which stays on the CPU (Apple's MPS has no float64).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
DEVICE_NAMES = re.compile(r"^(cpu|cuda|mps|xpu)(:\d+)?$")
NEEDS_DEVICE = {"train", "train_recipe", "load_or_train", "load_learner"}


def code_cells(path: Path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        # IPython syntax is not Python: drop magics and shell escapes, keep the line count
        lines = ["" if re.match(r"\s*[%!]", line) else line for line in src.splitlines()]
        yield i, "\n".join(lines)


def _is_device_string(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(DEVICE_NAMES.match(node.value))


def _name(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def problems(source: str) -> list[str]:
    """What rule 1 and rule 2 find in one cell's code (line numbers within the cell)."""
    tree = ast.parse(source)
    moved = set()  # calls wrapped as <call>.to(device) / .to(device=...), or <call>.double() (float64 checks)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in ("to", "double") and isinstance(node.func, ast.Attribute):
            # every call in the receiver: load_learner(p).eval().to(device), (a(p) if c else b(p)).to(device)
            moved.update(id(inner) for inner in ast.walk(node.func.value) if isinstance(inner, ast.Call))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        where = f"line {node.lineno}"
        if name == "cuda" and isinstance(node.func, ast.Attribute):
            found.append(f"{where}: .cuda() — use .to(device)")
        if (name == "device" or name == "to") and node.args and _is_device_string(node.args[0]):
            found.append(f"{where}: {name}({node.args[0].value!r}) — use the setup cell's device")
        for kw in node.keywords:
            if kw.arg in ("device", "map_location") and _is_device_string(kw.value):
                found.append(f"{where}: {kw.arg}={kw.value.value!r} — use the setup cell's device")
        if name in NEEDS_DEVICE and id(node) not in moved and not any(kw.arg == "device" for kw in node.keywords):
            found.append(f"{where}: {name}(...) without device= — pass device=device (or .to(device))")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_lesson_hard_codes_a_device(path):
    found = [f"cell {i} {p}" for i, src in code_cells(path) for p in problems(src)]
    assert not found, f"{path.name}:\n" + "\n".join(found)


def test_the_lint_catches_what_it_should():
    bad = ['train(l, s, steps=3, device="cpu")', 'x = torch.zeros(3, device="cuda")', "m.cuda()",
           'y = x.to("mps")', 'torch.load(p, map_location="cpu")', "load_learner(path)", "train(l, s, 10)",
           'torch.device("cuda:0")']
    for src in bad:
        assert problems(src), src
    good = ["train(l, s, steps=3, device=device)", "load_learner(path, device=device)",
            "load_learner(path).eval().to(device)", "load_learner(path).double()",
            "(load_learner(a) if TRAIN else load_learner(b)).to(device).eval()", "load_learner(path).to(device)", "x.cpu().numpy()",
            "torch.zeros(3, device=device)", "z = x.to(device)", "'cpu' in names"]
    for src in good:
        assert not problems(src), src
