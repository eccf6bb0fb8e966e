"""pyproject.toml and environment.yml name the same dependencies, and admit torch 2.13.0."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(req).name).lower()


def pyproject_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]


def conda_requirements() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    reqs = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            reqs += dep["pip"]
        elif not dep.startswith(("python=", "pip")) or dep.startswith("pillow"):
            reqs.append(dep.replace("=", "==") if re.search(r"[^<>=!]=[^=]", dep) else dep)
    return reqs


def test_both_files_name_the_same_dependencies():
    py = {_name(r) for r in pyproject_requirements()}
    conda = {_name(r) for r in conda_requirements()}
    assert py == conda, f"only in pyproject.toml: {sorted(py - conda)}; only in environment.yml: {sorted(conda - py)}"


def test_every_torch_range_admits_the_local_cpu_build():
    torch_reqs = [Requirement(r) for r in pyproject_requirements() + conda_requirements() if _name(r) == "torch"]
    assert len(torch_reqs) == 2
    for req in torch_reqs:
        assert req.specifier.contains(Version("2.13.0")), f"{req} does not admit torch 2.13.0"


def test_the_makefile_installs_the_pinned_torch_first():
    makefile = (ROOT / "Makefile").read_text()
    assert "TORCH ?= torch==2.13.0" in makefile
    assert makefile.index('pip install -q "$(TORCH)"') < makefile.index('pip install -q -e ".[lab,test,app]"')
