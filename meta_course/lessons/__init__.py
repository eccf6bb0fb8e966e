"""What only the notebooks use: derivations checked numerically, the pitfalls, the exercise checkers."""
