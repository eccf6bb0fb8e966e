"""What only the notebooks use: the setup call, derivations checked numerically, the pitfalls, the
exercise checkers."""

from .setup import setup

__all__ = ["setup"]
