"""How good are few-shot generated drawings? Four measures in a classifier's embedding space.

Given an embedding ``embed`` (a trained few-shot classifier's; the course uses a ProtoNet that never saw
the held-out alphabet), a character c with K shots, real drawings of c not among the shots, and N − 1
other characters of the same alphabet:

- **recognisability** — the share of generated drawings that an N-way nearest-prototype classifier
  assigns to c, with every prototype built from real drawings that are *not* the K shots (so copying
  the shots is not rewarded by the prototypes themselves). Real held-out drawings of c give its ceiling.
- **diversity** — the mean pairwise Euclidean distance between the embeddings of the generated drawings,
  beside the same figure for real drawings of c (a collapsed generator scores near 0).
- **nearest-shot distance** — for each generated drawing, the embedding distance to the nearest of the K
  shots, beside the same for real held-out drawings: far below the real figure = copying the shots.
- **Fréchet distance** — ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁^{½} Σ₂ Σ₁^{½})^{½}) between Gaussians fitted to
  two sets of embeddings (Heusel et al. 2017's FID formula, here in the course's own 64-d embedding:
  no Inception network is downloaded, so the numbers are not comparable to published FIDs).

References:
    Heusel et al. (2017), "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
    Equilibrium", NeurIPS, Eq. (6) (the Fréchet distance). Snell et al. (2017), Eq. (1)–(2) (prototypes).
    Székely & Rizzo (2013), "Energy statistics: a class of statistics based on distances", J. Stat. Plan.
    Inference 143(8), Eq. (2) (the energy distance).
"""

from __future__ import annotations

import torch
from torch import Tensor


def _check_2d(name: str, z: Tensor, min_rows: int = 1) -> None:
    if z.dim() != 2 or z.shape[0] < min_rows:
        raise ValueError(f"{name} must be embeddings [n, d] with n >= {min_rows}, got shape {tuple(z.shape)}.")


def recognisability(z_generated: Tensor, prototypes: Tensor, target: int) -> Tensor:
    """Share of generated embeddings whose nearest prototype (squared Euclidean) is ``target``.

    Args:
        z_generated: ``[n, d]`` embeddings of generated drawings of the target character.
        prototypes: ``[N, d]`` class means of real drawings (row ``target`` is the character's).

    Example:
        >>> recognisability(torch.tensor([[0., 0.], [0.9, 1.], [5., 5.]]), torch.tensor([[1., 1.], [5., 5.]]), 0)
        tensor(0.6667)
    """
    _check_2d("z_generated", z_generated)
    _check_2d("prototypes", prototypes, 2)
    if not 0 <= target < prototypes.shape[0]:
        raise ValueError(f"target={target} is out of range: allowed [0, {prototypes.shape[0] - 1}] (a prototype row).")
    d = (z_generated.unsqueeze(1) - prototypes.unsqueeze(0)).pow(2).sum(-1)
    return (d.argmin(1) == target).float().mean()


def diversity(z: Tensor) -> Tensor:
    """Mean pairwise Euclidean distance between the rows of ``z`` (0 for a fully collapsed set).

    Example:
        >>> diversity(torch.tensor([[0., 0.], [3., 4.], [0., 0.]]))
        tensor(3.3333)
    """
    _check_2d("z", z, 2)
    n = z.shape[0]
    d = torch.cdist(z, z)
    return d.sum() / (n * (n - 1))


def nearest_distance(z: Tensor, z_reference: Tensor) -> Tensor:
    """Mean over the rows of ``z`` of the distance to the nearest row of ``z_reference`` (e.g. the K shots)."""
    _check_2d("z", z)
    _check_2d("z_reference", z_reference)
    return torch.cdist(z, z_reference).min(1).values.mean()


def energy_distance(x: Tensor, y: Tensor) -> Tensor:
    """2 E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖ between two samples ``[n, d]``, ``[m, d]`` (V-statistic).

    ≥ 0, and 0 in the population exactly when the two distributions are equal (Székely & Rizzo 2013,
    Eq. 2) — a distance between sample sets that needs no density, used as the GAN learners' score.

    Example:
        >>> float(energy_distance(torch.tensor([[0.], [0.]]), torch.tensor([[1.], [1.]])))  # 2·1 − 0 − 0
        2.0
    """
    _check_2d("x", x)
    _check_2d("y", y)
    return 2 * torch.cdist(x, y).mean() - torch.cdist(x, x).mean() - torch.cdist(y, y).mean()


def _sqrtm_psd(a: Tensor) -> Tensor:
    """Symmetric square root of a symmetric positive semi-definite matrix (eigenvalues clipped at 0)."""
    vals, vecs = torch.linalg.eigh((a + a.T) / 2)
    return (vecs * vals.clamp_min(0).sqrt()) @ vecs.T


def frechet_distance(mu1: Tensor, cov1: Tensor, mu2: Tensor, cov2: Tensor) -> Tensor:
    """‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁^{½} Σ₂ Σ₁^{½})^{½}): the squared 2-Wasserstein distance of two Gaussians.

    Computed in float64 with symmetric eigendecompositions (no SciPy).

    Example:
        >>> one = torch.eye(2)
        >>> float(frechet_distance(torch.zeros(2), one, torch.tensor([3., 4.]), 4 * one))  # 25 + 2·(2 − 1)²
        27.0
    """
    mu1, mu2, cov1, cov2 = (t.double() for t in (mu1, mu2, cov1, cov2))
    s1 = _sqrtm_psd(cov1)
    cross = _sqrtm_psd(s1 @ cov2 @ s1)
    return (mu1 - mu2).pow(2).sum() + torch.trace(cov1) + torch.trace(cov2) - 2 * torch.trace(cross)


def gaussian_fit(z: Tensor) -> tuple[Tensor, Tensor]:
    """Mean ``[d]`` and (unbiased) covariance ``[d, d]`` of embeddings ``[n, d]``, in float64."""
    _check_2d("z", z, 2)
    z = z.double()
    return z.mean(0), torch.cov(z.T)


def frechet_between(z1: Tensor, z2: Tensor) -> Tensor:
    """Fréchet distance between Gaussians fitted to two sets of embeddings."""
    return frechet_distance(*gaussian_fit(z1), *gaussian_fit(z2))




# --------------------------------------------------------------------------- the protocol on Omniglot
class JudgeEpisode:
    """One held-out character's test: its K shots, real drawings kept apart, and an N-way prototype set.

    Attributes:
        character: index of the character in the judge's split.
        shots: ``[K, 1, S, S]`` the drawings a generator adapts on.
        real: ``[R, 1, S, S]`` other real drawings of the character (never shown to the generator).
        support: ``[N·P, 1, S, S]`` prototype drawings (P per class, none of them a shot), class-major.
        classes: ``[N]`` character indices of the N classes; row ``target`` is ``character``.
    """

    def __init__(self, character, shots, real, support, classes, target, n_proto):
        self.character, self.shots, self.real, self.support = character, shots, real, support
        self.classes, self.target, self.n_proto = classes, target, n_proto


class GenerationJudge:
    """Scores drawings generated for held-out characters with a few-shot classifier's embedding.

    Args:
        classifier: anything with ``embed_episode(x_support, x_query) -> (z_support, z_query)`` (the
            course's metric learners; with batch-statistics normalisation the P·N prototype drawings
            dominate each batch, so a query set barely moves the statistics).
        data: the held-out characters (an :class:`~meta_course.tasks.omniglot.OmniglotSplit`, e.g.
            ``minimal``'s test part, Sanskrit).
        n_way: N, classes of the recognisability test (the target and N − 1 others of ``data``).
        n_proto: P, real drawings per prototype (none of them a shot).

    Example:
        >>> judge = GenerationJudge(protonet, omniglot_split("minimal", "test"))   # doctest: +SKIP
        >>> ep = judge.episode(0, k_shot=4, seed=0)                                # doctest: +SKIP
        >>> judge.score(generated, ep)["recognisability"]                          # doctest: +SKIP
    """

    def __init__(self, classifier, data, n_way: int = 20, n_proto: int = 8):
        from ...core.checks import check_int

        self.classifier, self.data = classifier, data
        self.n_chars = len(data)
        self.n_way = check_int("n_way", n_way, 2, self.n_chars, f"{data.name} has {self.n_chars} characters.")
        self.n_proto = check_int("n_proto", n_proto, 1, 12, "Real drawings per prototype; 8 leaves room for 8 shots.")

    def episode(self, character: int, k_shot: int = 4, seed: int = 0) -> JudgeEpisode:
        """The test of ``character`` with ``k_shot`` shots; ``seed`` picks the shots and the other classes."""
        from ...core.checks import check_int
        from ...tasks.omniglot.images import to_float

        check_int("character", character, 0, self.n_chars - 1, f"{self.data.name} has {self.n_chars} characters.")
        n_drawings = self.data.images.shape[1]
        check_int("k_shot", k_shot, 1, n_drawings - self.n_proto - 1,
                  f"K shots + {self.n_proto} prototype drawings + >= 1 held-out drawing must fit in {n_drawings}.")
        g = torch.Generator().manual_seed(1_000_003 * int(seed) + int(character))
        order = torch.randperm(n_drawings, generator=g)
        shots, proto, real = order[:k_shot], order[k_shot:k_shot + self.n_proto], order[k_shot + self.n_proto:]
        others = torch.tensor([c for c in torch.randperm(self.n_chars, generator=g).tolist() if c != character])
        classes = torch.cat([torch.tensor([character]), others[:self.n_way - 1]])
        perm = torch.randperm(self.n_way, generator=g)
        classes = classes[perm]
        target = int((perm == 0).nonzero())
        rows = []
        for c in classes.tolist():
            idx = proto if c == character else torch.randperm(n_drawings, generator=g)[:self.n_proto]
            rows.append(self.data.images[c, idx])
        imgs = self.data.images[character]
        return JudgeEpisode(character, to_float(imgs[shots]), to_float(imgs[real]), to_float(torch.cat(rows)),
                            classes, target, self.n_proto)

    @torch.no_grad()
    def embed(self, episode: JudgeEpisode, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(z_support [N, P, d], prototypes [N, d], z [n, d])``: x embedded beside the prototype drawings."""
        zs, zq = self.classifier.embed_episode(episode.support, x)
        zs = zs.view(self.n_way, episode.n_proto, -1)
        return zs, zs.mean(1), zq

    @torch.no_grad()
    def score(self, generated: Tensor, episode: JudgeEpisode) -> dict:
        """Recognisability, diversity and nearest-shot distance of ``generated`` ``[n, 1, S, S]`` (n ≥ 2),
        with the same figures for the character's real held-out drawings, and the embeddings (generated, real
        held-out, and the character's P prototype drawings — the Fréchet reference)."""
        if generated.dim() != 4 or generated.shape[1:] != episode.shots.shape[1:]:
            raise ValueError(f"generated drawings must be [n, {', '.join(map(str, episode.shots.shape[1:]))}] like the "
                             f"shots, got {tuple(generated.shape)}: generate at the classifier's image size.")
        k, r = episode.shots.shape[0], episode.real.shape[0]
        # one batch: the prototype drawings dominate the normalisation statistics of every call alike
        zs, protos, zq = self.embed(episode, torch.cat([episode.shots, episode.real, generated]))
        z_shots, z_real, z_gen = zq[:k], zq[k:k + r], zq[k + r:]
        return {"recognisability": float(recognisability(z_gen, protos, episode.target)),
                "diversity": float(diversity(z_gen)),
                "nearest_shot": float(nearest_distance(z_gen, z_shots)),
                "real_recognisability": float(recognisability(z_real, protos, episode.target)),
                "real_diversity": float(diversity(torch.cat([z_shots, z_real]))),
                "real_nearest_shot": float(nearest_distance(z_real, z_shots)),
                "z_generated": z_gen, "z_real": z_real, "z_prototype_drawings": zs[episode.target]}


__all__ = ["GenerationJudge", "JudgeEpisode", "diversity", "energy_distance", "frechet_between", "frechet_distance",
           "gaussian_fit", "nearest_distance", "recognisability"]
