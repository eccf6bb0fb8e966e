"""Lake's 20-way within-alphabet one-shot benchmark (the "Omniglot challenge").

Each *run* holds 20 training images (one drawing of each of 20 characters from one alphabet) and
20 test items (another drawing of each of the same characters). A method scores every test item
against the 20 training images; the item is assigned the highest-scoring one; the run's error is the
fraction of wrong assignments, and the benchmark reports the mean error over runs, in percent.

Layout (the official ``all_runs.zip`` and the offline ``one_shot_runs_01-10.zip``)::

    runNN/class_labels.txt     lines "runNN/test/itemXX.png runNN/training/classYY.png"
    runNN/training/classYY.png 20 training images, 105×105 binary PNGs
    runNN/test/itemXX.png      20 test items

:func:`load_runs` reads a folder of runs, one run folder, or a zip of runs (read in place, never
extracted; members with absolute paths or ``..`` are refused). :func:`evaluate_runs` follows the
official demo (``demo_classification.py`` of brendenlake/omniglot): training and test files sorted
by name, a cost matrix ``[test item, training image]``, each item assigned the arg-min cost (here:
arg-max score, the first index on ties, as ``numpy.argmin``), error = 100 − % correct.

Baselines (:func:`mhd_scorer`, :func:`pixel_nn_scorer`, listed in :data:`BASELINES`) and
:func:`learner_scorer`, which turns any learner's ``adapt`` into a ``score_fn``. The methods of
``python -m meta_course runs --method NAME`` are these baselines plus the learner methods the recipes
name (:data:`meta_course.recipes.table.RUNS_METHODS`).

References:
    Lake, Salakhutdinov & Tenenbaum (2015). Human-level concept learning through probabilistic
    program induction. Science 350(6266). (Table/Fig. 3: 20-way one-shot, MHD baseline 38.8%.)
    Dubuisson & Jain (1994). A modified Hausdorff distance for object matching. ICPR, 566–568.
    github.com/brendenlake/omniglot, python/one-shot-classification/demo_classification.py
    (MHD on runs 01–10 of that demo's copy: 38.0%).

Example:
    >>> runs = load_runs(default_runs_path())                          # doctest: +SKIP
    >>> evaluate_runs(mhd_scorer, runs)["mean_error_percent"]          # doctest: +SKIP
    38.0
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from ..core.checks import check_choice
from .omniglot.files import SOURCES, ChecksumError, MissingDataError, check_members, data_root, fetch, md5sum
from .omniglot.images import decode_png, resize_u8, to_float

ScoreFn = Callable[[Tensor, Tensor], Tensor]
"""``score_fn(train_u8 [n_train, H, W], test_u8 [n_test, H, W]) -> Tensor[n_test, n_train]``,
higher = more similar. Images are ``uint8``, ink = 255, 105×105 as stored in the runs."""

DEFAULT_ZIP = "one_shot_runs_01-10.zip"
SOURCES_MD5_ALL_RUNS = SOURCES["all_runs.zip"][1]  # the official 20-run file
OFFLINE_COPY_MD5 = "96a719386675d50d48567314443503a3"  # runs 01-10 of all_runs.zip, repacked (not an official file)
RUNS_01_10 = tuple(f"run{i:02d}" for i in range(1, 11))
ALL_RUNS = tuple(f"run{i:02d}" for i in range(1, 21))
#: published MHD error (%) per set of runs, and its source
MHD_REFERENCES = {RUNS_01_10: (38.0, "official demo, runs 01–10"), ALL_RUNS: (38.8, "Lake et al. 2015, all 20 runs")}
LABELS = "class_labels.txt"
#: Lake's protocol: every run has 20 training images (one per class) and 20 test items, each 105×105
N_ITEMS, SIDE = 20, 105
_RUN_RE = re.compile(r"^run\d+$")


@dataclass(frozen=True, eq=False)  # tensors: compare runs field by field (torch.equal), not with ==
class Run:
    """One run of the benchmark.

    Attributes:
        name: ``"run01"`` ...
        train: ``uint8 [20, 105, 105]`` training images, ink = 255, in file-name order (class01..).
        test: ``uint8 [20, 105, 105]`` test items in file-name order (item01..).
        answer: ``LongTensor[20]``; ``answer[i]`` = index in ``train`` of test item ``i``'s class.
        train_files, test_files: the file names (``training/class01.png``, ...) in that order.
    """

    name: str
    train: Tensor
    test: Tensor
    answer: Tensor
    train_files: tuple[str, ...] = field(default=(), repr=False)
    test_files: tuple[str, ...] = field(default=(), repr=False)


# ----------------------------------------------------------------------------------------- loading
def default_runs_path(root=None, download: bool | None = None) -> Path:
    """The runs to use when none are named, in the data folder (``root``, else ``$META_COURSE_DATA``, else
    ``~/.cache/meta_course``): the offline copy ``one_shot_runs_01-10.zip`` when it is there, else the
    official ``all_runs.zip`` (20 runs, md5-checked), downloaded on first use (progress bar; from
    ``$META_COURSE_MIRROR/all_runs.zip`` when that is set).

    Args:
        root: data folder (see :func:`meta_course.tasks.omniglot.data_root`).
        download: try the network when ``all_runs.zip`` is absent; default: yes unless
            ``META_COURSE_OFFLINE=1``.

    Raises:
        MissingDataError (a FileNotFoundError): no runs there and no download possible; the message says
        what to pass or fetch. ChecksumError (a ValueError): a file is there with the wrong md5.
    """
    folder = data_root(root)
    offline = folder / DEFAULT_ZIP
    if offline.exists():
        got = md5sum(offline)
        if got != OFFLINE_COPY_MD5:
            raise ChecksumError(f"{offline} has md5 {got}, expected {OFFLINE_COPY_MD5} (runs 01-10 of the official "
                                f"all_runs.zip): it was not used. Delete it; all_runs.zip is then downloaded.")
        return offline
    try:
        return fetch("all_runs.zip", root, download_missing=download)
    except MissingDataError as err:
        raise MissingDataError(
            f"no one-shot runs in {folder} (looked for {DEFAULT_ZIP} and all_runs.zip). Pass --runs-dir (or "
            f"load_runs(path)) with a folder of runNN/ folders or a zip of them, or fetch the official all_runs.zip "
            f"with `python -m meta_course download --split runs`, or set META_COURSE_DATA to the folder holding "
            f"{DEFAULT_ZIP}. ({err})") from err


def runs_label(runs) -> str:
    """``"runs 01–10"`` for ten consecutive runs from run01, ``"runs 01–20"``, or the names joined."""
    names = [r if isinstance(r, str) else r.name for r in runs]
    n = len(names)
    if n and names == [f"run{i:02d}" for i in range(1, n + 1)]:
        return f"runs 01–{n:02d}" if n > 1 else "run 01"
    return "runs " + ", ".join(name.removeprefix("run") for name in names)


def mhd_reference(runs) -> tuple[float, str]:
    """The published MHD error (percent) for this set of runs and where it comes from.

    Runs 01–10: 38.0% (the official ``demo_classification.py`` on those runs); all 20 runs: 38.8%
    (Lake et al. 2015). A lesson checks its MHD against the figure for the set it loaded.

    Raises:
        ValueError: no published figure for this subset (names it and the two sets that have one).

    Example:
        >>> mhd_reference([f"run{i:02d}" for i in range(1, 11)])
        (38.0, 'official demo, runs 01–10')
    """
    names = tuple(r if isinstance(r, str) else r.name for r in runs)
    if names not in MHD_REFERENCES:
        raise ValueError(f"no published MHD figure for {runs_label(names)}: use runs 01–10 (the official demo, "
                         f"38.0%) or all 20 (Lake et al. 2015, 38.8%), e.g. load_runs(path, runs=RUNS_01_10).")
    return MHD_REFERENCES[names]


class _Source:
    """Read files of a runs collection by relative posix path, from a folder or a zip."""

    def __init__(self, path: Path):
        self.path = path
        self.zip = None
        if path.is_dir():
            self.files = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
        else:
            try:
                self.zip = zipfile.ZipFile(path)
            except zipfile.BadZipFile:
                if path.read_bytes()[:2] == b"PK":  # a zip, cut short or damaged
                    raise ValueError(f"{path} is a damaged zip file (truncated or corrupt): download it again "
                                     f"(`python -m meta_course download --split runs`).") from None
                raise ValueError(f"{path} is neither a folder nor a zip file: pass a folder of runNN/ folders "
                                 f"or a zip of them (e.g. all_runs.zip).") from None
            check_members(self.zip)  # refuse absolute paths and '..' (zip-slip), as for every Omniglot zip
            self.files = {info.filename for info in self.zip.infolist() if not info.is_dir()}

    def read(self, name: str) -> bytes:
        if name not in self.files:
            raise FileNotFoundError(f"{self.path}: missing {name!r}; a run needs {LABELS}, training/ and test/.")
        if self.zip is not None:
            try:
                return self.zip.read(name)
            except (zipfile.BadZipFile, zlib.error, EOFError) as err:  # e.g. a bad CRC-32
                raise ValueError(f"{self.path}: member {name} is damaged ({err}): download the file again.") from None
        return (self.path / name).read_bytes()

    def close(self):
        if self.zip is not None:
            self.zip.close()


def _parse_labels(text: str, run: str, where: str) -> dict[str, str]:
    """``{test file: training file}`` relative to the run folder, from class_labels.txt."""
    pairs = {}
    for k, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"{where} line {k}: {line!r} should be 'runNN/test/itemXX.png runNN/training/classYY.png'.")
        rel = []
        for part in parts:
            p = PurePosixPath(part)
            if p.parts and p.parts[0] == run:  # official paths carry the runNN/ prefix
                p = PurePosixPath(*p.parts[1:])
            if ".." in p.parts or p.is_absolute():
                raise ValueError(f"{where} line {k}: unsafe path {part!r}.")
            rel.append(p.as_posix())
        if rel[0] in pairs:
            raise ValueError(f"{where} line {k}: test item {rel[0]!r} listed twice.")
        pairs[rel[0]] = rel[1]
    if not pairs:
        raise ValueError(f"{where} is empty: expected one 'test training' pair per line.")
    return pairs


def _load_run(src: _Source, base: str, name: str) -> Run:
    """Load the run whose files sit under ``base`` (``"run01/"``, or ``""`` for a single run folder)."""
    where = f"{src.path}:{base}{LABELS}"
    try:
        text = src.read(base + LABELS).decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{where} is not UTF-8 text (byte {err.start}): it should hold lines "
                         "'runNN/test/itemXX.png runNN/training/classYY.png'.") from None
    pairs = _parse_labels(text, name, where)
    test_files = sorted(pairs)
    train_files = sorted(f[len(base):] for f in src.files if f.startswith(base + "training/") and f.endswith(".png"))
    index = {f: i for i, f in enumerate(train_files)}
    missing = sorted(set(pairs.values()) - set(index))
    if missing:
        raise ValueError(f"{where} names training images that are not in {base}training/: {missing[:3]}.")
    # Lake's protocol, checked rather than followed quietly (a 21st image would make the run 21-way)
    if len(train_files) != N_ITEMS:
        raise ValueError(f"{src.path}: run {name} has {len(train_files)} training images in {base}training/; the "
                         f"protocol has {N_ITEMS} (one per class).")
    if len(test_files) != N_ITEMS:
        raise ValueError(f"{where} lists {len(test_files)} test items; the protocol has {N_ITEMS} (one per line).")
    if len(set(pairs.values())) != N_ITEMS:
        raise ValueError(f"{where} gives some training classes no test item: each of the {N_ITEMS} has one.")
    absent = sorted(f for f in test_files if base + f not in src.files)
    if absent:
        raise ValueError(f"{where} lists test items that are not in {base}test/: {absent[:3]}.")

    def decode(f):
        try:
            image = decode_png(src.read(base + f), size=None)
        except (OSError, SyntaxError, ValueError) as err:  # PIL: truncated or not an image
            if isinstance(err, ValueError) and str(err).startswith(str(src.path)):
                raise
            raise ValueError(f"{src.path}: run {name}, image {f} is not a readable PNG ({err}).") from None
        if tuple(image.shape) != (SIDE, SIDE):
            raise ValueError(f"{src.path}: run {name}, image {f} is {tuple(image.shape)}, the protocol's images are "
                             f"{SIDE}×{SIDE}.")
        return image

    train = torch.stack([decode(f) for f in train_files])
    test = torch.stack([decode(f) for f in test_files])
    answer = torch.tensor([index[pairs[f]] for f in test_files], dtype=torch.long)
    return Run(name, train, test, answer, tuple(train_files), tuple(test_files))


def load_runs(path, runs=None) -> list[Run]:
    """Load Lake's one-shot runs from a folder of runs, a single run folder, or a zip of runs.

    Args:
        path: folder holding ``run01/``, ``run02/``, ... (or one run folder holding class_labels.txt), or a
            zip of them (runs may sit under a top folder). Zip members are read in place, never extracted.
        runs: optional names (``["run01", "run03"]`` or ``"run01,run03"``) to load only those.

    Returns:
        ``list[Run]`` sorted by name.

    Raises:
        FileNotFoundError: the path does not exist. ValueError: no runs inside, unsafe zip members,
        a malformed class_labels.txt, an unknown run name.

    Example:
        >>> runs = load_runs(default_runs_path())                      # doctest: +SKIP
        >>> len(runs), tuple(runs[0].train.shape)                      # doctest: +SKIP
        (10, (20, 105, 105))
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"runs path {str(path)!r} does not exist: pass a folder of runNN/ folders or a zip "
                                f"of them (e.g. $META_COURSE_DATA/{DEFAULT_ZIP}).")
    src = _Source(path)
    try:
        if LABELS in src.files:  # one run: class_labels.txt at the top
            found = {path.stem if src.zip is not None else path.name: ""}
        else:
            found = {}
            for f in sorted(src.files):
                p = PurePosixPath(f)
                if p.name == LABELS and _RUN_RE.match(p.parent.name):
                    if p.parent.name in found:
                        raise ValueError(f"{path} holds two runs named {p.parent.name!r}: "
                                         f"{found[p.parent.name]} and {p.parent.as_posix()}/.")
                    found[p.parent.name] = p.parent.as_posix() + "/"
            unlabeled = sorted({PurePosixPath(f).parts[-3] for f in src.files if len(PurePosixPath(f).parts) >= 3
                                and _RUN_RE.match(PurePosixPath(f).parts[-3])
                                and PurePosixPath(f).parts[-2] in ("training", "test")} - set(found))
            if unlabeled:
                raise ValueError(f"{path}: run {unlabeled[0]} has no {LABELS} (every run needs one; a run left out "
                                 f"would change the mean): restore it or remove the run.")
        if not found:
            raise ValueError(f"no runs in {path}: expected runNN/{LABELS} with runNN/training/ and runNN/test/ "
                             f"(the layout of the official all_runs.zip).")
        names = sorted(found)
        if runs is not None:
            wanted = [r.strip() for r in runs.split(",") if r.strip()] if isinstance(runs, str) else list(runs)
            if not wanted:
                raise ValueError(f"runs={runs!r} names no run: use e.g. 'run01,run02' (have {names[0]}..{names[-1]}).")
            for r in wanted:
                check_choice("run", r, names, f"Runs in {path}.")
            names = sorted(set(wanted))
        return [_load_run(src, found[n], n) for n in names]
    finally:
        src.close()


# -------------------------------------------------------------------------------------- evaluation
def check_scores(scores: Tensor, n_test: int, n_train: int, who: str = "score_fn") -> Tensor:
    """Return ``scores`` as a float CPU tensor ``[n_test, n_train]``, or raise a clear error."""
    if not isinstance(scores, Tensor):
        scores = torch.as_tensor(scores)
    if tuple(scores.shape) != (n_test, n_train):
        raise ValueError(f"{who} returned shape {tuple(scores.shape)}; expected [{n_test} test items, {n_train} "
                         f"training images] (higher = more similar).")
    scores = scores.detach().float().cpu()
    if not torch.isfinite(scores).all():
        raise ValueError(f"{who} returned non-finite scores (NaN or inf): check the method.")
    return scores


def assign(scores: Tensor) -> Tensor:
    """Training image assigned to each test item: arg-max score, the first index on ties (numpy.argmin of
    the demo's cost = −score)."""
    # torch.argmax's tie rule is not documented as "first"; numpy's is.
    return torch.from_numpy(np.argmax(scores.numpy(), axis=1)).long()


def evaluate_run(score_fn: ScoreFn, run: Run) -> dict:
    """One run: ``{"run", "error_percent", "n_wrong", "assigned"}`` (``assigned[i]`` = chosen training index)."""
    scores = check_scores(score_fn(run.train, run.test), len(run.test), len(run.train))
    assigned = assign(scores)
    wrong = int((assigned != run.answer).sum())
    return {"run": run.name, "error_percent": 100.0 * wrong / len(run.test), "n_wrong": wrong,
            "assigned": assigned.tolist()}


def evaluate_runs(score_fn: ScoreFn, runs: list[Run], progress: bool = False) -> dict:
    """Lake's protocol over runs: per-run error and mean error in percent.

    Args:
        score_fn: ``score_fn(train_u8, test_u8) -> Tensor[n_test, n_train]``, higher = more similar.
        runs: from :func:`load_runs`.
        progress: show a progress bar over runs.

    Returns:
        ``{"mean_error_percent": float, "per_run": [{"run", "error_percent", "n_wrong", "assigned"}, ...]}``.

    Example:
        >>> oracle = lambda run: (lambda tr, te: torch.nn.functional.one_hot(run.answer, 20).float())
        >>> # evaluate_runs(oracle(run), [run])["mean_error_percent"] == 0.0
    """
    if not runs:
        raise ValueError("no runs to evaluate: load them with load_runs(path).")
    it = runs
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(runs, desc="runs", leave=False)
    per_run = [evaluate_run(score_fn, run) for run in it]
    mean = sum(r["error_percent"] for r in per_run) / len(per_run)
    return {"mean_error_percent": mean, "per_run": per_run}


# --------------------------------------------------------------------------------------- baselines
def ink_points(image: Tensor, threshold: int = 127) -> Tensor:
    """Coordinates ``[n, 2]`` (row, col; float64) of the inked pixels, centred on their mean.

    The demo's ``LoadImgAsPoints``: inked = not white in the binary PNG; then subtract the mean.
    """
    pts = (image > threshold).nonzero().double()
    if len(pts) == 0:
        raise ValueError("an image has no inked pixels: MHD needs at least one stroke pixel.")
    return pts - pts.mean(0)


def modified_hausdorff(a: Tensor, b: Tensor) -> Tensor:
    """Modified Hausdorff distance (Dubuisson & Jain 1994, Eq. 6 with d_6):
    ``max(mean_a min_b ||a−b||, mean_b min_a ||a−b||)``. Symmetric, so the demo's item/train order
    does not matter."""
    d = torch.cdist(a, b)
    return torch.maximum(d.min(1).values.mean(), d.min(0).values.mean())


class InkTable:
    """An image's centred ink points plus row-wise nearest-ink tables, for exact fast MHD.

    Brute force compares every ink point of A with every ink point of B (~900 × 900 per pair). Here, for
    each row of B and each column, ``left``/``right`` hold the nearest ink column on either side, so the
    nearest B point to a (fractional, centred) query is ``min over B's rows of dr² + dc²`` with ``dc``
    read from the tables: ~900 × 60 per pair, same result to 1e-13 (tested against
    :func:`modified_hausdorff`), ~10× faster.
    """

    def __init__(self, image: Tensor, threshold: int = 127):
        ink = image > threshold
        pts = ink.nonzero()
        if len(pts) == 0:
            raise ValueError("an image has no inked pixels: MHD needs at least one stroke pixel.")
        r0, r1 = int(pts[:, 0].min()), int(pts[:, 0].max()) + 1
        ink = ink[r0:r1]
        h, w = ink.shape
        col = torch.arange(w, dtype=torch.float64).expand(h, w)
        far = torch.tensor(1e4, dtype=torch.float64)  # "no ink in this row on that side"
        self.left = torch.where(ink, col, -far).cummax(1).values.T.contiguous()  # [w, h]
        self.right = torch.where(ink, col, far).flip(1).cummin(1).values.flip(1).T.contiguous()
        self.rows = torch.arange(r0, r1, dtype=torch.float64)
        self.points = pts.double()
        self.mean = self.points.mean(0)
        self.width = w

    def mean_min_distance(self, other: "InkTable") -> Tensor:
        """``mean over my centred points of min over other's centred points of the distance``."""
        q = self.points + (other.mean - self.mean)  # my centred points in other's pixel grid
        qr, qc = q[:, :1], q[:, 1]
        lo = qc.floor().clamp_(0, other.width - 1).long()
        hi = qc.ceil().clamp_(0, other.width - 1).long()
        qc = qc[:, None]
        dc = torch.minimum(qc - other.left[lo], other.right[hi] - qc)  # [n, rows of other]
        dr = other.rows - qr
        return (dr * dr + dc * dc).min(1).values.sqrt().mean()


def mhd_scorer(train: Tensor, test: Tensor) -> Tensor:
    """Score = −MHD between the centred ink point sets (the official demo's baseline), float64.

    Runs on one thread: its ~800 small tensor ops per pair gain nothing from intra-op threads, and on a
    busy machine idle-spinning worker threads cost ~10× the CPU time (measured: 0.8 s vs ~12 s per run).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tr = [InkTable(t) for t in train]
        te = [InkTable(t) for t in test]
        return -torch.tensor([[max(float(a.mean_min_distance(b)), float(b.mean_min_distance(a))) for b in tr]
                              for a in te], dtype=torch.float64)
    finally:
        torch.set_num_threads(threads)


def pixel_nn_scorer(size: int | None = 28) -> ScoreFn:
    """Pixel nearest neighbour: score = −squared Euclidean distance of the ``[0, 1]`` images at ``size``."""
    def score(train: Tensor, test: Tensor) -> Tensor:
        a = to_float(resize_u8(test, size)).flatten(1)
        b = to_float(resize_u8(train, size)).flatten(1)
        return -torch.cdist(a.double(), b.double()).pow(2)
    return score


# ---------------------------------------------------------------------------------------- learners
def learner_scorer(learner, size: int = 28, device=None, **knobs) -> ScoreFn:
    """Turn a few-shot learner into a ``score_fn``: the 20 training images are a 20-way 1-shot support
    set (labels 0..19, ``to_float`` at ``size``×``size``), the test items the queries, logits the scores.

    Args:
        learner: a :class:`meta_course.learners.base.Learner` (``adapt(x_support, y_support, **knobs)``).
        size: side the learner was trained at (28 for the course's Conv-4).
        device: where to run (default: the learner's parameters' device).
        **knobs: passed to ``adapt`` (e.g. ``inner_steps``).

    Note: a learner whose network uses batch statistics (the course's Conv-4) normalises the 20 test
    items as one batch: transductive, as in MAML's own Omniglot evaluation.
    """
    if device is None:
        p = next(iter(learner.parameters()), None)
        device = p.device if p is not None else torch.device("cpu")

    def score(train: Tensor, test: Tensor) -> Tensor:
        x_support = to_float(resize_u8(train, size)).to(device)
        x_query = to_float(resize_u8(test, size)).to(device)
        y_support = torch.arange(len(train), device=device)
        predictor = learner.adapt(x_support, y_support, **knobs)
        logits = predictor(x_query)
        return logits.detach().cpu()

    return score


def _baseline(name, fn_factory):
    def factory(checkpoint=None, device=None):
        if checkpoint is not None:
            raise ValueError(f"method {name!r} has no checkpoint; drop --checkpoint {checkpoint}.")
        return fn_factory()
    return factory


#: runs methods without training: name → (``factory(checkpoint=None, device=None) -> score_fn``, help)
BASELINES: dict[str, tuple[Callable, str]] = {
    "mhd": (_baseline("mhd", lambda: mhd_scorer),
            "modified Hausdorff distance on centred ink points, 105x105 (official demo baseline)"),
    "pixel-nn": (_baseline("pixel-nn", lambda: pixel_nn_scorer(28)), "pixel nearest neighbour, Euclidean, 28x28"),
    "pixel-nn-105": (_baseline("pixel-nn-105", lambda: pixel_nn_scorer(None)),
                     "pixel nearest neighbour, Euclidean, 105x105"),
}

__all__ = ["BASELINES", "InkTable", "Run", "ScoreFn", "assign", "default_runs_path", "evaluate_run", "evaluate_runs",
           "ink_points", "learner_scorer", "load_runs", "mhd_scorer", "modified_hausdorff", "pixel_nn_scorer",
           "resize_u8"]
