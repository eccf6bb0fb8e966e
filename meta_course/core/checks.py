"""Argument checks shared by the whole package.

Every check raises :class:`ValueError` with a message that names the bad value, the allowed range
and how to fix it, so a learner who mistypes a slider value or a CLI flag knows what to change.
"""

from __future__ import annotations

import math


def check_int(name: str, value, low: int, high: int | None = None, fix: str = "") -> int:
    """Return ``value`` if it is an integer in ``[low, high]``; raise a clear ``ValueError`` if not."""
    bounds = f"[{low}, {high}]" if high is not None else f">= {low}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}={value!r} must be an integer {bounds}. {fix}".strip())
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name}={value} is out of range: allowed {bounds}. {fix}".strip())
    return value


def _not_text(name: str, value, allowed: str, fix: str) -> None:
    """A number given as text ("0.1") or a bool would be stored as such and fail (or mean 1) only when used."""
    if isinstance(value, (str, bytes, bool)):
        raise ValueError(f"{name}={value!r} must be a number {allowed}, not {type(value).__name__}. {fix}".strip())


def check_positive(name: str, value, fix: str = "") -> float:
    """Return ``value`` if it is a finite number > 0; raise a clear ``ValueError`` if not."""
    _not_text(name, value, "> 0", fix)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} must be a number > 0. {fix}".strip()) from None
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name}={value} is out of range: allowed > 0 (finite). {fix}".strip())
    return v


def check_range(name: str, value, low: float, high: float, fix: str = "") -> float:
    """Return ``value`` if ``low <= value <= high``; raise a clear ``ValueError`` if not (NaN included)."""
    _not_text(name, value, f"in [{low}, {high}]", fix)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} must be a number in [{low}, {high}]. {fix}".strip()) from None
    if not (low <= v <= high):
        raise ValueError(f"{name}={value} is out of range: allowed [{low}, {high}]. {fix}".strip())
    return v


def check_choice(name: str, value, choices, fix: str = "") -> str:
    """Return ``value`` if it is one of ``choices``; raise a clear ``ValueError`` if not."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {name} {value!r}: allowed {allowed}. {fix}".strip())
    return value


def check_same_len(name_a: str, a, name_b: str, b) -> None:
    """Raise if two tensors do not have the same leading (example) dimension."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} has {a.shape[0]} examples (shape {tuple(a.shape)}) but {name_b} has "
            f"{b.shape[0]} (shape {tuple(b.shape)}): they must match one target per input."
        )
