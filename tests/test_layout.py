"""The package's shape: imports point down the layers, every registry is one explicit table, every lesson
starts with the one setup call.

Layers (a module may import its own layer and those below, never one above):
    core, checkpoints < tasks < models < learners < (train, evaluate) < recipes < (viz, bench) < (lessons, cli)
"""

import ast
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "meta_course"
LAYERS = {"core": 0, "checkpoints": 0, "tasks": 1, "models": 2, "learners": 3, "train": 4, "evaluate": 4,
          "recipes": 5, "viz": 6, "bench": 6, "lessons": 7, "cli": 7, "__main__": 8,
          "": 0}  # meta_course/__init__.py: a docstring and the version, imports nothing


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """Every module a file imports — top level, inside functions and classes alike — as absolute names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            yield node.lineno, target
            for alias in node.names:  # `from . import recipes` imports the module meta_course.recipes
                yield node.lineno, f"{target}.{alias.name}"


def _layer(module: str):
    parts = module.split(".")
    if parts[0] != "meta_course":
        return None
    return LAYERS.get(parts[1] if len(parts) > 1 else "")


def test_the_root_package_imports_nothing():
    assert not list(_imports(PACKAGE / "__init__.py"))


def test_every_top_level_room_has_a_layer():
    rooms = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.is_dir() and any(p.glob("*.py"))) or (p.suffix == ".py" and p.stem != "__init__")}
    assert rooms <= set(LAYERS), f"give these rooms a layer in tests/test_layout.py: {sorted(rooms - set(LAYERS))}"


def test_no_import_points_up_the_layers():
    """Walks every module's AST, function-level imports included."""
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _layer(_module_name(path))
        for line, target in _imports(path):
            layer = _layer(target)
            if layer is not None and own is not None and layer > own:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not upward, "imports pointing up the layers:\n" + "\n".join(upward)


def test_the_walker_sees_function_level_and_relative_imports(tmp_path):
    fake = PACKAGE / "tasks" / "_probe_for_test_layout.py"
    fake.write_text("def f():\n    from ..recipes import RECIPES\n    from . import sine\n")
    try:
        found = [t for _, t in _imports(fake)]
    finally:
        fake.unlink()
    assert "meta_course.recipes" in found and "meta_course.tasks.sine" in found
    assert _layer("meta_course.recipes") > _layer("meta_course.tasks.sine")


def test_importing_one_learner_loads_no_other_family_nor_the_registries():
    code = ("import sys, meta_course.learners.optimisation.maml; "
            "print([m for m in sys.modules if m.startswith('meta_course.')])")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout.replace("'", '"'))
    unwanted = [m for m in loaded if m.startswith(("meta_course.learners.metric", "meta_course.learners.table",
                                                   "meta_course.recipes", "meta_course.tasks.omniglot",
                                                   "meta_course.tasks.lake_runs", "meta_course.bench"))]
    assert not unwanted, unwanted


def test_each_registry_is_one_explicit_table_whose_entries_agree():
    from meta_course.bench.table import BENCHES
    from meta_course.cli import COMMANDS
    from meta_course.learners.base import Learner
    from meta_course.learners.table import LEARNERS
    from meta_course.models import MODELS
    from meta_course.recipes import RECIPES, RUNS_METHODS
    from meta_course.tasks.table import TASKS

    for name, cls in LEARNERS.items():
        assert issubclass(cls, Learner) and cls.name == name, (name, cls)
    for name, recipe in RECIPES.items():
        assert recipe.learner in LEARNERS and recipe.task in TASKS, name
        assert recipe.config.get("model", {"name": "mlp"})["name"] in MODELS, name
    for name, method in RUNS_METHODS.items():
        assert method.recipe in RECIPES, name
    for table in (BENCHES, COMMANDS):
        for name, module in table.items():
            assert module.HELP and callable(module.add_arguments) and callable(module.run), name
            assert "args" in inspect.signature(module.run).parameters, name
    # registration by import side effect is gone: no module defines a register_* function
    registering = [f"{p.relative_to(ROOT)}: {n.name}" for p in PACKAGE.rglob("*.py")
                   for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.FunctionDef)
                   and n.name.startswith("register")]
    assert not registering, registering


NOTEBOOKS = sorted(str(p.relative_to(ROOT / "notebooks")) for p in (ROOT / "notebooks").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_lesson_starts_with_the_one_setup_call(notebook):
    """Lessons and their worked solutions alike."""
    cells = json.loads((ROOT / "notebooks" / notebook).read_text())["cells"]
    first = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
    assert "from meta_course.lessons import" in first and "setup" in first and "= setup(" in first, first
    assert "manual_seed" not in first and "default_device" not in first, "the setup call does these"


def test_one_way_to_train_a_recipe():
    """Only recipes.train_recipe turns a recipe into a trained learner: the CLI, the lessons' TRAIN branches
    and the pitfalls (``meta_train_damage``) call it; ``build`` + ``train`` by hand appear only in short
    demonstrations with other settings."""
    from meta_course import recipes
    from meta_course.cli import train as cli_train
    from meta_course.lessons import pitfalls

    assert "train_recipe" in inspect.getsource(cli_train.run)
    assert "train_recipe" in inspect.getsource(pitfalls.meta_train_damage)
    assert "train_recipe" in inspect.getsource(recipes.load_or_train)
    for notebook in (ROOT / "notebooks").rglob("*.ipynb"):
        for cell in json.loads(notebook.read_text())["cells"]:
            src = "".join(cell["source"])
            if cell["cell_type"] == "code" and "if TRAIN" in src:
                assert any(call in src for call in ("load_or_train", "train_recipe", "meta_train_damage")), \
                    (notebook.name, src)
