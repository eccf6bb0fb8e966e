"""Benchmarks: the tables the README quotes, printed and (with ``--json``) written; listed in :mod:`.table`."""
