"""Benchmarks: each module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args)``;
``python -m meta_course bench NAME`` runs one and prints its table."""
