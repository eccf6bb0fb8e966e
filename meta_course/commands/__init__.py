"""Subcommands of ``python -m meta_course``; each module is discovered by ``meta_course.__main__``."""
