"""Test helpers: a local mirror of the official Omniglot files, served over HTTP on 127.0.0.1.

``build_mirror(dest)`` fills a flat folder with the official file names, as ``META_COURSE_MIRROR``
expects: the two small image zips (byte-identical copies of the official files, official md5) and an
``all_runs.zip`` *fixture* — the ten runs of the offline copy ``one_shot_runs_01-10.zip``, repacked
member by member in the official layout (``runNN/class_labels.txt``, ``runNN/training/``,
``runNN/test/``). The fixture is not the official 20-run file, so its md5 differs from the official
one: the md5 returned here is computed from the built file, and tests pass it explicitly through
``META_COURSE_MD5``. Nothing here claims an official checksum it did not verify.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import shutil
import threading
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("META_COURSE_DATA") or ROOT.parent / "shared" / "data" / "omniglot")
SMALL = ("images_background_small1.zip", "images_background_small2.zip")
OFFLINE_RUNS = "one_shot_runs_01-10.zip"


def have_offline_data(folder: Path = SHARED) -> bool:
    return all((folder / f).exists() for f in (*SMALL, OFFLINE_RUNS))


def md5(path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def build_all_runs_fixture(dest: Path, source: Path = SHARED / OFFLINE_RUNS) -> str:
    """Repack the offline runs 01-10 as ``dest`` (named like the official all_runs.zip); return its md5."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if not info.is_dir():
                out.writestr(info.filename, src.read(info))
    return md5(dest)


def build_mirror(dest: Path, source: Path = SHARED) -> dict[str, str]:
    """Fill ``dest`` with official file names; return ``{name: md5}`` of what it holds."""
    dest.mkdir(parents=True, exist_ok=True)
    sums = {}
    for name in SMALL:
        shutil.copy(source / name, dest / name)
        sums[name] = md5(dest / name)
    sums["all_runs.zip"] = build_all_runs_fixture(dest / "all_runs.zip", source / OFFLINE_RUNS)
    return sums


@contextlib.contextmanager
def serve(folder: Path):
    """A real HTTP server on 127.0.0.1 (free port) serving ``folder``; yields its base URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # no line per request on stderr
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
