"""Omniglot source files: the official zips with their md5, download, integrity checks, decoding and cache.

Where the files are looked for (:func:`data_root`): the ``root=`` argument, else the
``META_COURSE_DATA`` environment variable, else ``~/.cache/meta_course``. A file already there with
the right md5 is used without network; a missing one is downloaded (progress bar, temporary name,
md5 check, then moved into place). Offline, the error names the file, its URL, its md5 and the
folder to put it in. Nothing ever falls back to fake data.

Mirrors: ``META_COURSE_MIRROR=URL`` replaces every canonical URL with ``URL/<official file name>`` (a
flat folder holding ``images_background_small1.zip``, ``all_runs.zip``, ...), for a proxy, a classroom
server or tests. The md5 stays the official one; ``META_COURSE_MD5="name=md5,..."`` replaces it
explicitly (and loudly) for a file that is *not* the official one, e.g. a test fixture.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path, PurePosixPath

import torch

from ...core.checks import check_choice
from ...core.io import atomic_save
from .images import DEFAULT_SIZE, decode_png

BASE_URL = "https://raw.githubusercontent.com/brendenlake/omniglot/master/python/"

#: file name → (path under :data:`BASE_URL`, md5 of the official file)
SOURCES: dict[str, tuple[str, str]] = {
    "images_background.zip": ("images_background.zip", "68d2efa1b9178cc56df9314c21c6e718"),
    "images_evaluation.zip": ("images_evaluation.zip", "6b91aef0f799c5bb55b94e3f2daec811"),
    "images_background_small1.zip": ("images_background_small1.zip", "e704a628b5459e08445c13499850abc4"),
    "images_background_small2.zip": ("images_background_small2.zip", "b75a71a51d3b13f821f212756fe481fd"),
    "all_runs.zip": ("one-shot-classification/all_runs.zip", "e8996daecdf12afeeb4a53a179f06b19"),
}

DRAWINGS = 20  # drawings per character in every Omniglot file
DECODER_VERSION = 1  # bump when decoding changes: every cached tensor is rebuilt
_ENV_ROOT, _ENV_CACHE, _ENV_OFFLINE = "META_COURSE_DATA", "META_COURSE_CACHE", "META_COURSE_OFFLINE"
_ENV_MIRROR, _ENV_MD5 = "META_COURSE_MIRROR", "META_COURSE_MD5"


class ChecksumError(ValueError):
    """A file's md5 differs from the official one."""


class MissingDataError(FileNotFoundError):
    """A source file is absent and cannot be downloaded."""


# --------------------------------------------------------------------------- files and integrity
def data_root(root: str | os.PathLike | None = None) -> Path:
    """Folder holding the source zips: ``root``, else ``$META_COURSE_DATA``, else ``~/.cache/meta_course``."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(_ENV_ROOT)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "meta_course"


def cache_dir() -> Path:
    """Where decoded splits are cached: ``$META_COURSE_CACHE``, else ``~/.cache/meta_course/omniglot``.

    Separate from :func:`data_root` because the data folder may be read-only; the cache is keyed by
    the source md5, so one cache serves every root.
    """
    env = os.environ.get(_ENV_CACHE)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "meta_course" / "omniglot"


_MD5_MEMO: dict[tuple, str] = {}


def md5sum(path: str | os.PathLike) -> str:
    """Hex md5 of a file (memoised on path, size and modification time)."""
    st = os.stat(path)
    key = (os.fspath(path), st.st_size, st.st_mtime_ns)
    if key not in _MD5_MEMO:
        h = hashlib.md5()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _MD5_MEMO[key] = h.hexdigest()
    return _MD5_MEMO[key]


def _missing_message(filename: str, url: str, md5: str, folder: Path, why: str) -> str:
    return (f"{filename} is missing from {folder} ({why}). Download it from {url} (md5 {md5}) and put it in "
            f"{folder}, or point META_COURSE_DATA / root= at a folder that holds it.")


def source_url(filename: str, sources: dict | None = None, base_url: str | None = None) -> str:
    """Where ``filename`` is downloaded from.

    ``base_url`` (an explicit override) wins; else ``$META_COURSE_MIRROR/<filename>`` when the variable is
    set (a flat folder of the official file names); else the canonical URL, :data:`BASE_URL` + its path.

    Example:
        >>> source_url("all_runs.zip", base_url="http://127.0.0.1:8000/")
        'http://127.0.0.1:8000/one-shot-classification/all_runs.zip'
    """
    sources = SOURCES if sources is None else sources
    rel, _ = sources[filename]
    if base_url is not None:
        return base_url + rel
    mirror = os.environ.get(_ENV_MIRROR, "").strip()
    if mirror:
        return mirror.rstrip("/") + "/" + filename
    return BASE_URL + rel


def md5_overrides() -> dict[str, str]:
    """``{file name: md5}`` from ``META_COURSE_MD5="name=md5,name=md5"`` (empty when unset).

    Raises:
        ValueError: an entry is not ``name=<32 hex digits>``.
    """
    text = os.environ.get(_ENV_MD5, "").strip()
    out = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        name, _, md5 = entry.partition("=")
        md5 = md5.strip().lower()
        if not name.strip() or len(md5) != 32 or any(c not in "0123456789abcdef" for c in md5):
            raise ValueError(f"{_ENV_MD5} entry {entry!r} is not 'file name=md5' with a 32-digit hex md5: "
                             f"write e.g. {_ENV_MD5}='all_runs.zip=0123456789abcdef0123456789abcdef', or unset it.")
        out[name.strip()] = md5
    return out


def expected_md5(filename: str, sources: dict | None = None) -> str:
    """The md5 a file must have: the official one, unless ``META_COURSE_MD5`` names the file (warns)."""
    sources = SOURCES if sources is None else sources
    official = sources[filename][1]
    override = md5_overrides().get(filename)
    if override is None or override == official:
        return official
    warnings.warn(f"{_ENV_MD5} replaces the official md5 of {filename} ({official}) with {override}: the file "
                  f"used is not the official one.", stacklevel=3)
    return override


def download(url: str, dest: str | os.PathLike, md5: str, progress: bool = True, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` via a temporary file in the same folder; verify ``md5``; move into place.

    A wrong checksum deletes the temporary file and raises :class:`ChecksumError`; ``dest`` is never
    created with unverified content.
    """
    from tqdm.auto import tqdm

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    h = hashlib.md5()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=not progress) as bar:
                for block in iter(lambda: resp.read(1 << 16), b""):
                    out.write(block)
                    h.update(block)
                    bar.update(len(block))
        if h.hexdigest() != md5:
            raise ChecksumError(f"{url} downloaded with md5 {h.hexdigest()}, expected {md5}: the partial file was "
                                f"deleted. Retry; if it persists the source changed — report it.")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def fetch(filename: str, root=None, download_missing: bool | None = None, progress: bool = True,
          sources: dict | None = None, base_url: str | None = None) -> Path:
    """Path of a verified source file, downloading it into the root when it is missing.

    Args:
        filename: a key of :data:`SOURCES` (e.g. ``"images_background_small1.zip"``).
        root: data folder (see :func:`data_root`).
        download_missing: try the network when the file is absent; default: yes unless
            ``META_COURSE_OFFLINE=1``.
        sources, base_url: override :data:`SOURCES` / the download URL (tests); see :func:`source_url`
            for ``META_COURSE_MIRROR``.

    Raises:
        ChecksumError: a file is present but its md5 is wrong (it is not used).
        MissingDataError: absent and not downloadable; the message says what to fetch and where.
    """
    sources = SOURCES if sources is None else sources
    check_choice("Omniglot file", filename, sorted(sources), "These are the official files.")
    url = source_url(filename, sources, base_url)
    md5 = expected_md5(filename, sources)
    folder = data_root(root)
    path = folder / filename
    if path.exists():
        got = md5sum(path)
        if got != md5:
            raise ChecksumError(f"{path} has md5 {got}, expected {md5}: the file is corrupt or not the official one "
                                f"and was not used. Delete it and download it again from {url}.")
        return path
    if download_missing is None:
        download_missing = os.environ.get(_ENV_OFFLINE, "") in ("", "0")
    if not download_missing:
        raise MissingDataError(_missing_message(filename, url, md5, folder, "offline mode"))
    try:
        return download(url, path, md5, progress=progress)
    except (urllib.error.URLError, OSError) as err:
        if isinstance(err, ChecksumError):
            raise
        raise MissingDataError(_missing_message(filename, url, md5, folder, f"download failed: {err}")) from err


def check_members(zf: zipfile.ZipFile) -> None:
    """Refuse zips whose member names are absolute or climb out with ``..`` (zip-slip)."""
    for name in zf.namelist():
        p = PurePosixPath(name.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
            raise ValueError(f"unsafe zip member {name!r} in {zf.filename}: absolute paths and '..' are refused. "
                             f"Use the official file (see meta_course.tasks.omniglot.SOURCES).")


def safe_extract(zip_path, dest) -> Path:
    """Extract a zip into ``dest`` after :func:`check_members` (the loaders read zips directly)."""
    dest = Path(dest)
    with zipfile.ZipFile(zip_path) as zf:
        check_members(zf)
        zf.extractall(dest)
    return dest


# --------------------------------------------------------------------------- decoding and cache
def decode_zip(path, size: int = DEFAULT_SIZE, progress: bool = False):
    """Decode every ``Alphabet/characterNN/*.png`` of an Omniglot zip.

    Returns ``(images uint8 [n_chars, 20, size, size], alphabets_per_char list, characters list)``,
    characters sorted by (alphabet, character), drawings by file name.
    """
    from tqdm.auto import tqdm

    groups: dict[tuple[str, str], list[str]] = {}
    with zipfile.ZipFile(path) as zf:
        check_members(zf)
        for name in zf.namelist():
            parts = name.split("/")
            if name.lower().endswith(".png") and len(parts) >= 3:
                groups.setdefault((parts[-3], parts[-2]), []).append(name)
        if not groups:
            raise ValueError(f"{path} holds no Alphabet/character/*.png drawings: is it an Omniglot image zip?")
        keys = sorted(groups)
        images = torch.empty(len(keys), DRAWINGS, size, size, dtype=torch.uint8)
        for i, key in enumerate(tqdm(keys, desc=Path(path).name, disable=not progress)):
            names = sorted(groups[key])
            if len(names) != DRAWINGS:
                raise ValueError(f"{path}: character {key[0]}/{key[1]} has {len(names)} drawings, expected "
                                 f"{DRAWINGS}. The file is not an official Omniglot zip.")
            for j, name in enumerate(names):
                images[i, j] = decode_png(zf.read(name), size)
    return images, [a for a, _ in keys], [f"{a}/{c}" for a, c in keys]


def zip_characters(path) -> list[str]:
    """The ``Alphabet/characterNN`` names of a zip's drawings, in :func:`decode_zip`'s order (no decoding)."""
    with zipfile.ZipFile(path) as zf:
        keys = {tuple(n.split("/")[-3:-1]) for n in zf.namelist() if n.lower().endswith(".png") and n.count("/") >= 2}
    return [f"{a}/{c}" for a, c in sorted(keys)]


def _cache_problem(d, md5: str, size: int, characters: list[str]) -> str | None:
    """Why a decoded cache does not match its source (md5, dtype, shape, the characters of the zip), or None."""
    if not isinstance(d, dict) or not {"images", "alphabets", "characters"} <= set(d):
        return "it holds no images/alphabets/characters"
    if d.get("md5", md5) != md5:
        return f"it was decoded from another file (md5 {d['md5']}, the source's is {md5})"
    im, want = d["images"], (len(characters), DRAWINGS, size, size)
    if not isinstance(im, torch.Tensor) or im.dtype != torch.uint8 or tuple(im.shape) != want:
        got = f"{tuple(im.shape)} {im.dtype}" if isinstance(im, torch.Tensor) else type(im).__name__
        return f"its images are {got}, expected {want} torch.uint8"
    if list(d["characters"]) != characters or list(d["alphabets"]) != [c.split("/")[0] for c in characters]:
        return f"its {len(d['characters'])} characters are not the {len(characters)} of the source"
    return None


def _load_source(path: Path, size: int, progress: bool):
    md5 = md5sum(path)
    key = f"{path.stem}-{md5}-s{size}-v{DECODER_VERSION}.pt"
    cached = cache_dir() / key
    if cached.exists():  # checked against its source: a corrupt or mismatching cache is rebuilt, with a notice
        characters = zip_characters(path)
        try:
            d = torch.load(cached, weights_only=True)
            problem = _cache_problem(d, md5, size, characters)
        except Exception as err:  # truncated, not a torch file, ...
            problem = f"it is unreadable ({type(err).__name__})"
        if problem is None:
            return d["images"], d["alphabets"], d["characters"]
        warnings.warn(f"rebuilding the Omniglot cache {cached}: {problem}.", stacklevel=2)
    images, alphabets, characters = decode_zip(path, size, progress)
    try:
        atomic_save({"images": images, "alphabets": alphabets, "characters": characters, "md5": md5}, cached)
    except OSError as err:  # a read-only home must not stop the course: it only loses the speed-up
        warnings.warn(f"could not write the Omniglot cache {cached} ({err}); set META_COURSE_CACHE to a writable "
                      f"folder to make the next load fast.")
    return images, alphabets, characters
