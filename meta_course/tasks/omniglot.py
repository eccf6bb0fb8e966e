"""Omniglot: checksummed sources, cached splits and N-way K-shot episodes.

Omniglot (Lake, Salakhutdinov & Tenenbaum 2015) holds 1623 handwritten characters from 50 alphabets,
20 drawings each (105×105 binary PNGs, MIT licence). The official files live in the GitHub
repository ``brendenlake/omniglot`` under ``python/``; :data:`SOURCES` lists them with their md5.

Where the files are looked for (:func:`data_root`): the ``root=`` argument, else the
``META_COURSE_DATA`` environment variable, else ``~/.cache/meta_course``. A file already there with
the right md5 is used without network; a missing one is downloaded (progress bar, temporary name,
md5 check, then moved into place). Offline, the error names the file, its URL, its md5 and the
folder to put it in. Nothing ever falls back to fake data.

Splits (:data:`SPLITS`):

- ``minimal1`` = ``images_background_small1.zip``: 5 alphabets, 136 characters, 2720 drawings.
- ``minimal2`` = ``images_background_small2.zip``: 5 alphabets, 156 characters, 3120 drawings.
- ``minimal`` = their union. Greek and Latin are in *both* small zips, byte-identical, so the union has
  **8 alphabets / 242 characters**, not 10 / 292: the duplicates are kept once.
- ``background`` (30 alphabets, 964 characters), ``evaluation`` (20 alphabets, 659), ``full`` (both,
  1623) and ``vinyals`` (both, Vinyals et al.'s counts) need the big zips.

Held-out parts (:data:`PARTS`, used by :func:`omniglot_split` and :class:`OmniglotTasks`):

- ``minimal``: by alphabet. test = Sanskrit (42 characters), val = Balinese (24), train = the other
  six alphabets (176 characters). Lake's one-shot runs (drawn from the *evaluation* alphabets) are
  a second, external test for learners trained on ``minimal``.
- ``full``: Lake's protocol, by alphabet: train = background minus its last 5 alphabets (sorted),
  val = those 5, test = the 20 evaluation alphabets (use ``split="background"`` to train on all 30).
- ``vinyals``: by character, background first then evaluation, each in sorted (alphabet, character)
  order: train = first 1028, val = next 172, test = last 423 characters — the counts of Vinyals et al. /
  Snell et al. (1200 train+val); with ``rotations=True`` each rotation by 90° is a new class
  (×4). Same counts, not necessarily the same character lists as their split files.

Example:
    >>> tasks = OmniglotTasks("minimal", part="train", n_way=5, k_shot=1, q_query=15)  # doctest: +SKIP
    >>> ep = tasks.sample(torch.Generator().manual_seed(0), n_tasks=32)  # doctest: +SKIP
    >>> tuple(ep.x_support.shape), tuple(ep.y_query.shape)  # doctest: +SKIP
    ((32, 5, 1, 28, 28), (32, 75))

References:
    Lake, Salakhutdinov & Tenenbaum (2015), "Human-level concept learning through probabilistic
    program induction", Science 350(6266). Vinyals et al. (2016), "Matching Networks for One Shot
    Learning", NeurIPS, Section 4.1.1. Snell, Swersky & Zemel (2017), "Prototypical Networks".
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import threading
import urllib.error
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import torch

from ..core.checks import check_choice, check_int
from . import Episode
from .images import DEFAULT_SIZE, decode_png, to_float

BASE_URL = "https://raw.githubusercontent.com/brendenlake/omniglot/master/python/"

#: file name → (path under :data:`BASE_URL`, md5 of the official file)
SOURCES: dict[str, tuple[str, str]] = {
    "images_background.zip": ("images_background.zip", "68d2efa1b9178cc56df9314c21c6e718"),
    "images_evaluation.zip": ("images_evaluation.zip", "6b91aef0f799c5bb55b94e3f2daec811"),
    "images_background_small1.zip": ("images_background_small1.zip", "e704a628b5459e08445c13499850abc4"),
    "images_background_small2.zip": ("images_background_small2.zip", "b75a71a51d3b13f821f212756fe481fd"),
    "all_runs.zip": ("one-shot-classification/all_runs.zip", "e8996daecdf12afeeb4a53a179f06b19"),
}

#: split name → the source zips it is made of (in order; duplicate characters are kept once)
SPLITS: dict[str, tuple[str, ...]] = {
    "minimal1": ("images_background_small1.zip",),
    "minimal2": ("images_background_small2.zip",),
    "minimal": ("images_background_small1.zip", "images_background_small2.zip"),
    "background": ("images_background.zip",),
    "evaluation": ("images_evaluation.zip",),
    "full": ("images_background.zip", "images_evaluation.zip"),
    "vinyals": ("images_background.zip", "images_evaluation.zip"),
}

#: the documented held-out partitions (see the module docstring); splits not listed only have "all"
PARTS: dict[str, dict] = {
    "minimal": {"by": "alphabet", "test": ("Sanskrit",), "val": ("Balinese",)},
    "full": {"by": "alphabet", "val_last_background": 5},
    "vinyals": {"by": "character", "counts": (1028, 172, 423)},
}

DRAWINGS = 20  # drawings per character in every Omniglot file
DECODER_VERSION = 1  # bump when decoding changes: every cached tensor is rebuilt
_ENV_ROOT, _ENV_CACHE, _ENV_OFFLINE = "META_COURSE_DATA", "META_COURSE_CACHE", "META_COURSE_OFFLINE"


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
        sources, base_url: override :data:`SOURCES` / :data:`BASE_URL` (tests, mirrors).

    Raises:
        ChecksumError: a file is present but its md5 is wrong (it is not used).
        MissingDataError: absent and not downloadable; the message says what to fetch and where.
    """
    sources = SOURCES if sources is None else sources
    base_url = BASE_URL if base_url is None else base_url
    check_choice("Omniglot file", filename, sorted(sources), "These are the official files.")
    rel, md5 = sources[filename]
    url = base_url + rel
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


def _load_source(path: Path, size: int, progress: bool):
    key = f"{path.stem}-{md5sum(path)}-s{size}-v{DECODER_VERSION}.pt"
    cached = cache_dir() / key
    if cached.exists():
        d = torch.load(cached, weights_only=True)
        return d["images"], d["alphabets"], d["characters"]
    images, alphabets, characters = decode_zip(path, size, progress)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".part", dir=cached.parent)
        os.close(fd)
        torch.save({"images": images, "alphabets": alphabets, "characters": characters}, tmp)
        os.replace(tmp, cached)
    except OSError as err:  # a read-only home must not stop the course: it only loses the speed-up
        warnings.warn(f"could not write the Omniglot cache {cached} ({err}); set META_COURSE_CACHE to a writable "
                      f"folder to make the next load fast.")
    return images, alphabets, characters


@dataclass
class OmniglotSplit:
    """Decoded characters of one split (or one part of it).

    Attributes:
        images: ``uint8 [n_chars, 20, S, S]``, ink = 255.
        alphabets: alphabet names, each once.
        characters: ``"Alphabet/characterNN"`` for each character.
        alphabet_of: ``LongTensor [n_chars]``, index into ``alphabets``.
        name: split name, with the part after a colon (``"minimal:train"``).
        source_of: ``LongTensor [n_chars]``, index into ``SPLITS[name]`` of the zip each character came from.
    """

    images: torch.Tensor
    alphabets: list
    characters: list
    alphabet_of: torch.Tensor
    name: str
    source_of: torch.Tensor | None = None

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def n_images(self) -> int:
        return self.images.shape[0] * self.images.shape[1]

    def chars_per_alphabet(self) -> dict[str, int]:
        counts = torch.bincount(self.alphabet_of, minlength=len(self.alphabets)).tolist()
        return dict(zip(self.alphabets, counts))

    def select(self, keep: torch.Tensor, name: str) -> "OmniglotSplit":
        """The characters where the boolean mask ``keep`` is true (alphabets renumbered)."""
        idx = keep.nonzero().flatten()
        used = sorted(set(self.alphabet_of[idx].tolist()))
        remap = {a: i for i, a in enumerate(used)}
        return OmniglotSplit(self.images[idx], [self.alphabets[a] for a in used],
                             [self.characters[i] for i in idx.tolist()],
                             torch.tensor([remap[a] for a in self.alphabet_of[idx].tolist()], dtype=torch.long), name,
                             None if self.source_of is None else self.source_of[idx])

    def __repr__(self) -> str:
        return (f"OmniglotSplit({self.name!r}: {len(self.alphabets)} alphabets, {len(self)} characters, "
                f"{self.n_images} images of {self.images.shape[-1]}x{self.images.shape[-1]})")


_SPLIT_MEMO: dict[tuple, OmniglotSplit] = {}
_LOCK = threading.Lock()


def load_split(name: str = "minimal", root=None, size: int = DEFAULT_SIZE, progress: bool = True) -> OmniglotSplit:
    """Load a split (:data:`SPLITS`), decoding and caching its zips on first use.

    The first load decodes every PNG (a few seconds for ``minimal``); later loads read one cached
    tensor per zip (well under a second); within a process the result is memoised. Characters that
    appear in two source zips with identical drawings (Greek and Latin in the two small zips) are
    kept once.

    Raises:
        MissingDataError / ChecksumError: see :func:`fetch`.
    """
    check_choice("split", name, sorted(SPLITS), "minimal (offline copies) or full/vinyals (need the big zips).")
    check_int("size", size, 8, 512, "Use the image side length in pixels, e.g. 28.")
    paths = [fetch(f, root, progress=progress) for f in SPLITS[name]]
    key = (name, tuple(md5sum(p) for p in paths), size)
    with _LOCK:
        if key in _SPLIT_MEMO:
            return _SPLIT_MEMO[key]
        images, alph, chars, source = [], [], [], []
        seen: dict[str, torch.Tensor] = {}
        for s, p in enumerate(paths):
            im, al, ch = _load_source(p, size, progress)
            for i, c in enumerate(ch):
                if c in seen:
                    if torch.equal(seen[c], im[i]):
                        continue  # the same character in two zips (Greek, Latin in small1 and small2)
                    raise ValueError(f"character {c} appears in two source zips of split {name!r} with different "
                                     f"drawings; the split would be ambiguous. Report this.")
                seen[c] = im[i]
                images.append(im[i])
                alph.append(al[i])
                chars.append(c)
                source.append(s)
        alphabets = sorted(set(alph))
        index = {a: i for i, a in enumerate(alphabets)}
        split = OmniglotSplit(torch.stack(images), alphabets, chars,
                              torch.tensor([index[a] for a in alph], dtype=torch.long), name,
                              torch.tensor(source, dtype=torch.long))
        _SPLIT_MEMO[key] = split
        return split


def part_alphabets(split: OmniglotSplit, name: str) -> dict[str, list[str]]:
    """``{"train": [...], "val": [...], "test": [...]}`` alphabet names of a by-alphabet partition."""
    spec = PARTS[name]
    if "test" in spec:
        test, val = list(spec["test"]), list(spec["val"])
    else:  # full: train on background minus its last few alphabets, test on evaluation
        bg = sorted({split.alphabets[a] for a, s in zip(split.alphabet_of.tolist(), split.source_of.tolist()) if s == 0})
        val = bg[-spec["val_last_background"]:]
        test = [a for a in split.alphabets if a not in bg]
    train = [a for a in split.alphabets if a not in test and a not in val]
    return {"train": train, "val": val, "test": test}


def omniglot_split(name: str = "minimal", part: str = "train", root=None, size: int = DEFAULT_SIZE,
                   progress: bool = True) -> OmniglotSplit:
    """One part (``train``/``val``/``test``/``all``) of a split, following the documented partition.

    Example:
        >>> omniglot_split("minimal", "test").alphabets  # doctest: +SKIP
        ['Sanskrit']
    """
    allowed = ["train", "val", "test", "all"] if name in PARTS else ["all"]
    check_choice("part", part, allowed,
                 f"Split {name!r} has " + ("train/val/test parts." if name in PARTS else
                                             "no held-out partition; use part='all' or split 'minimal'/'full'."))
    split = load_split(name, root, size, progress)
    if part == "all":
        return split
    if PARTS[name]["by"] == "character":
        n_train, n_val, n_test = PARTS[name]["counts"]
        bounds = {"train": (0, n_train), "val": (n_train, n_train + n_val), "test": (n_train + n_val, len(split))}
        lo, hi = bounds[part]
        keep = torch.zeros(len(split), dtype=torch.bool)
        keep[lo:hi] = True
        return split.select(keep, f"{name}:{part}")
    wanted = part_alphabets(split, name)[part]
    keep = torch.tensor([split.alphabets[a] in wanted for a in split.alphabet_of.tolist()])
    return split.select(keep, f"{name}:{part}")


# --------------------------------------------------------------------------- episodes
class OmniglotTasks:
    """N-way K-shot episodes from one part of an Omniglot split.

    Each task draws N classes (characters, or character×rotation when ``rotations=True``), then K
    support and Q query drawings per class *without overlap*; labels 0..N−1 are assigned in a random
    class order. ``within_alphabet=True`` draws all N classes of a task from one alphabet (Lake's
    harder protocol; the alphabet is chosen uniformly among those with ≥ N classes).

    Args:
        split, part: see :func:`omniglot_split` (``minimal``: train 176 / val 24 / test 42 characters).
        n_way, k_shot, q_query: N, K and Q (K + Q ≤ 20 drawings).
        within_alphabet: one alphabet per task.
        rotations: rotations by 0/90/180/270° are four distinct classes (Santoro et al. 2016,
            Vinyals et al. 2016).
        root, size: data folder and image side.

    Episodes are ``Episode(x_support [T, N*K, 1, S, S], y_support [T, N*K], x_query [T, N*Q, 1, S, S],
    y_query [T, N*Q])``, float images in [0, 1], support class-major (labels ``0,0,..,1,1,..``).

    Example:
        >>> ep = OmniglotTasks(n_way=5, k_shot=1).sample(torch.Generator().manual_seed(0), 4)  # doctest: +SKIP
        >>> tuple(ep.x_support.shape)  # doctest: +SKIP
        (4, 5, 1, 28, 28)
    """

    def __init__(self, split: str = "minimal", part: str = "train", n_way: int = 5, k_shot: int = 1,
                 q_query: int = 15, within_alphabet: bool = False, rotations: bool = False, root=None,
                 size: int = DEFAULT_SIZE, data: OmniglotSplit | None = None):
        self.data = data if data is not None else omniglot_split(split, part, root, size)
        self.within_alphabet, self.rotations = bool(within_alphabet), bool(rotations)
        self.n_rot = 4 if self.rotations else 1
        n_classes = len(self.data) * self.n_rot
        self.class_alphabet = self.data.alphabet_of.repeat_interleave(self.n_rot)
        sizes = torch.bincount(self.class_alphabet, minlength=len(self.data.alphabets))
        where = f"{self.data.name}" + (" with rotations" if self.rotations else "")
        if self.within_alphabet:
            biggest = int(sizes.max())
            check_int("n_way", n_way, 1, biggest,
                      f"Within-alphabet episodes of {where} can have at most {biggest} classes (the largest alphabet,"
                      f" {self.data.alphabets[int(sizes.argmax())]}); lower n_way or use within_alphabet=False.")
        else:
            check_int("n_way", n_way, 1, n_classes,
                      f"{where} has {n_classes} classes; lower n_way or use a bigger split/part.")
        check_int("k_shot", k_shot, 1, DRAWINGS - 1, f"Each class has {DRAWINGS} drawings, shared by support and query.")
        check_int("q_query", q_query, 1, DRAWINGS - k_shot,
                  f"k_shot + q_query must be <= {DRAWINGS} drawings per class (k_shot={k_shot}).")
        self.n_way, self.k_shot, self.q_query = n_way, k_shot, q_query
        self.n_classes = n_classes
        # class c is row c of the bank: character c // n_rot rotated by (c % n_rot) * 90° (built once, so
        # sampling is a single gather)
        images = self.data.images
        self.bank = (torch.stack([torch.rot90(images, r, dims=(-2, -1)) for r in range(4)], dim=1).flatten(0, 1)
                     if self.rotations else images).contiguous()
        # labels 0..N-1, class-major: 0,0,..,1,1,.. (K times each in the support, Q in the query)
        self._labels = (torch.arange(n_way).repeat_interleave(k_shot), torch.arange(n_way).repeat_interleave(q_query))
        self.eligible = (sizes >= n_way).nonzero().flatten()  # alphabets that can host a within-alphabet task
        self.class_sizes = sizes

    def sample_indices(self, g: torch.Generator, n_tasks: int):
        """``(classes [T, N], drawings [T, N, K+Q])``: which class (see ``class_alphabet``) and drawing each
        image of each task is. Drawings ``[..., :K]`` are the support, the rest the query."""
        check_int("n_tasks", n_tasks, 1, fix="Ask for at least one task.")
        scores = torch.rand(n_tasks, self.n_classes, generator=g)
        if self.within_alphabet:
            pick = torch.randint(len(self.eligible), (n_tasks,), generator=g)
            alphabet = self.eligible[pick]
            # classes outside the chosen alphabet sort after every class inside it
            scores = scores + (self.class_alphabet[None, :] != alphabet[:, None]).float() * 2
        classes = scores.topk(self.n_way, dim=1, largest=False).indices
        drawings = torch.rand(n_tasks, self.n_way, DRAWINGS, generator=g).argsort(dim=-1)[..., :self.k_shot + self.q_query]
        return classes, drawings

    def episodes(self, classes: torch.Tensor, drawings: torch.Tensor) -> Episode:
        """The episodes of given indices (see :meth:`sample_indices`)."""
        T, N, M = drawings.shape
        K, Q, S = self.k_shot, M - self.k_shot, self.bank.shape[-1]
        # one row per drawing: index_select on a [classes*20, S*S] view is a plain row copy (~40x faster
        # than advanced indexing on the 4-d bank)
        rows = classes[..., None] * DRAWINGS + drawings  # [T, N, K+Q]
        flat = self.bank.view(-1, S * S)

        def images(r):
            return to_float(flat.index_select(0, r.reshape(-1))).view(T, -1, 1, S, S)  # same pixels as the runs

        y_support, y_query = self._labels
        return Episode(images(rows[..., :K]), y_support.expand(T, -1).clone(),
                       images(rows[..., K:]), y_query.expand(T, -1).clone())

    def sample(self, generator: torch.Generator, n_tasks: int) -> Episode:
        """A meta-batch of ``n_tasks`` episodes."""
        return self.episodes(*self.sample_indices(generator, n_tasks))

    def __repr__(self) -> str:
        return (f"OmniglotTasks({self.data.name}, {self.n_way}-way {self.k_shot}-shot, q_query={self.q_query}, "
                f"within_alphabet={self.within_alphabet}, rotations={self.rotations}, {self.n_classes} classes)")


def _omniglot_sampler(**task_args):
    return OmniglotTasks(**task_args).sample


from ..recipes import register_task  # noqa: E402  (after the definitions: recipes imports this module)

register_task("omniglot", _omniglot_sampler)

__all__ = ["BASE_URL", "ChecksumError", "MissingDataError", "OmniglotSplit", "OmniglotTasks", "PARTS", "SOURCES",
           "SPLITS", "cache_dir", "check_members", "data_root", "decode_zip", "download", "fetch", "load_split",
           "md5sum", "omniglot_split", "safe_extract"]
