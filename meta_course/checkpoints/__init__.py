"""Small pretrained checkpoints, one per recipe; each is rebuilt by ``python -m meta_course train NAME``."""

from pathlib import Path

HERE = Path(__file__).parent


def checkpoint_path(name: str) -> Path:
    """Path of the committed checkpoint for recipe ``name`` (e.g. ``"maml_sine"``).

    Raises:
        FileNotFoundError: naming the command that creates it.
    """
    path = HERE / f"{name}.pt"
    if not path.exists():
        available = sorted(p.stem for p in HERE.glob("*.pt"))
        raise FileNotFoundError(
            f"no committed checkpoint {name!r} (have {available}): create it with "
            f"`python -m meta_course train {name} --out {path}`.")
    return path
