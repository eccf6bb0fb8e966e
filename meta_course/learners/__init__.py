"""Learners, one folder per family (see ``learners/memory`` for the model-based family)."""
