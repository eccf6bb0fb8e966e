"""The Colab install line every lesson's setup cell carries, pinned to a tagged release.

A lesson opened on Colab (or any kernel without the package) installs ``meta-course`` from the tag
``v<version>`` of the repository, never the moving head, so a lesson and the package it runs always
match. ``META_COURSE_PIP`` replaces the requirement (tests install the local checkout that way; a
classroom can point at its own copy).

Release steps (README, "Releasing"): set the new version in ``pyproject.toml``, run
``python -m meta_course.lessons.colab`` (rewrites every notebook's pin to ``v<version>``), commit, tag
``v<version>`` and push the tag. ``tests/test_colab_install.py`` fails while any notebook pins another
version.

Example:
    >>> pinned_requirement("0.1.0")
    'meta-course @ git+https://github.com/meta-course/meta-course@v0.1.0'
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPOSITORY = "https://github.com/meta-course/meta-course"
#: the requirement inside a setup cell, any version
PIN_RE = re.compile(r"meta-course @ git\+" + re.escape(REPOSITORY) + r"(@[\w.\-]+)?")
ENV = "META_COURSE_PIP"


def pinned_requirement(version: str) -> str:
    """The pip requirement of the tagged release ``v<version>``."""
    return f"meta-course @ git+{REPOSITORY}@v{version}"


def project_version(root: Path) -> str:
    """``version`` from ``root/pyproject.toml``."""
    import tomllib

    return tomllib.loads((Path(root) / "pyproject.toml").read_text())["project"]["version"]


def repin(notebooks, version: str) -> list[Path]:
    """Rewrite the install requirement of every notebook under ``notebooks`` to ``v<version>``; return the
    files changed. Only the requirement string changes; every other byte stays."""
    changed = []
    for path in sorted(Path(notebooks).rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        text = path.read_text()
        new = PIN_RE.sub(json.dumps(pinned_requirement(version))[1:-1], text)
        if new != text:
            path.write_text(new)
            changed.append(path)
    return changed


def main(argv=None) -> int:
    root = Path(__file__).resolve().parents[2]
    args = argv if argv is not None else sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print("usage: python -m meta_course.lessons.colab [VERSION]  (default: the version in pyproject.toml)\n"
              "Rewrites every notebook's setup cell to install meta-course at tag vVERSION.")
        return 0
    version = (args or [project_version(root)])[0]
    if not re.fullmatch(r"\d+(\.\d+)*([a-z]+\d*)?", version):
        raise SystemExit(f"error: version {version!r} is not a release number like 0.1.0; "
                         "run without arguments to use pyproject.toml's version")
    for path in repin(root / "notebooks", version):
        print(f"pinned {path.relative_to(root)} to v{version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
