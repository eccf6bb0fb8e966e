"""Omniglot splits (which zips) and their held-out parts (which alphabets or characters); see the
package docstring of :mod:`meta_course.tasks.omniglot` for the numbers."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch

from ...core.checks import check_choice, check_int
from .files import _load_source, fetch, md5sum
from .images import DEFAULT_SIZE

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
    check_choice("split", name, list(SPLITS), "The course uses 'minimal' (small) or 'full'.")
    allowed = ["train", "val", "test", "all"] if name in PARTS else ["all"]
    if name in PARTS and PARTS[name]["by"] == "character":
        allowed.append("train+val")  # Vinyals et al.'s 1 200 training characters (MAML and ProtoNet train on them)
    check_choice("part", part, allowed,
                 f"Split {name!r} has " + ("train/val/test parts." if name in PARTS else
                                             "no held-out partition; use part='all' or split 'minimal'/'full'."))
    split = load_split(name, root, size, progress)
    if part == "all":
        return split
    if PARTS[name]["by"] == "character":
        n_train, n_val, n_test = PARTS[name]["counts"]
        bounds = {"train": (0, n_train), "val": (n_train, n_train + n_val), "test": (n_train + n_val, len(split)),
                  "train+val": (0, n_train + n_val)}
        lo, hi = bounds[part]
        keep = torch.zeros(len(split), dtype=torch.bool)
        keep[lo:hi] = True
        return split.select(keep, f"{name}:{part}")
    wanted = part_alphabets(split, name)[part]
    keep = torch.tensor([split.alphabets[a] in wanted for a in split.alphabet_of.tolist()])
    return split.select(keep, f"{name}:{part}")
