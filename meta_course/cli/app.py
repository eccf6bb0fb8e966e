"""``python -m meta_course app``: the classroom app — every lesson widget as a page without code (Voilà)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HELP = "serve the lesson widgets as pages without code (Voilà): sine, Omniglot, embedding and parameter space, ..."


def add_arguments(p) -> None:
    p.add_argument("--dir", type=Path, default=Path("build/app"), help="where the page notebooks are written "
                   "(default build/app)")
    p.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for a "
                   "classroom network)")
    p.add_argument("--write-only", action="store_true", help="write the page notebooks and exit")
    p.add_argument("--list", action="store_true", help="list the pages and exit")


def run(args) -> int:
    from ..lessons.apps import APPS, available_apps, write_apps

    if args.list:
        for name in available_apps():
            print(f"{name:22s} {APPS[name].title}  (lesson {APPS[name].lesson})")
        return 0
    paths = write_apps(args.dir)
    print(f"wrote {len(paths)} pages to {args.dir}: " + ", ".join(p.stem for p in paths))
    if args.write_only:
        return 0
    try:
        import voila  # noqa: F401
    except ImportError:
        raise FileNotFoundError("Voilà is not installed: pip install 'meta-course[app]' (or pip install voila), "
                                "then run this again.") from None
    cmd = [sys.executable, "-m", "voila", str(args.dir), "--no-browser", f"--port={args.port}",
           f"--Voila.ip={args.ip}", "--show_tracebacks=True"]
    print(f"open http://{args.ip}:{args.port}/ (Ctrl+C stops)")
    return subprocess.call(cmd, env={**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"})
