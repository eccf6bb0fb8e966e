"""Omniglot: checksummed sources, cached splits and N-way K-shot episodes.

Modules: ``files`` (sources, md5, download, zip decoding, cache), ``splits`` (splits and parts),
``episodes`` (N-way K-shot tasks), ``augment`` (affine distortions, test-time views), ``classes``
(global-label batches for pretraining), ``images`` (the one image convention).

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


from .episodes import OmniglotTasks, omniglot_tasks
from .files import (BASE_URL, DECODER_VERSION, DRAWINGS, SOURCES, ChecksumError, MissingDataError, cache_dir,
                    check_members, data_root, decode_zip, download, expected_md5, fetch, md5sum, safe_extract,
                    source_url)
from .splits import PARTS, SPLITS, OmniglotSplit, load_split, omniglot_split, part_alphabets

__all__ = ["BASE_URL", "ChecksumError", "DECODER_VERSION", "DRAWINGS", "MissingDataError", "OmniglotSplit",
           "OmniglotTasks", "PARTS", "SOURCES", "SPLITS", "cache_dir", "check_members", "data_root", "decode_zip",
           "download", "expected_md5", "fetch", "load_split", "md5sum", "omniglot_split", "omniglot_tasks", "part_alphabets",
           "safe_extract", "source_url"]
