"""Cold-start recommendation as a few-shot task family: one task = one user (Lee et al. 2019, MeLU).

A fixed catalogue of items, each described by observable features — its genres (one or two of
:data:`GENRES`), its release year and a critics' score — and a hidden quality. A user has a *taste*:
a weight per genre, a preference for old or new items and a rating bias, drawn around one of a few
:data:`PERSONAS`; the only thing known about a new user is an age group, which the persona makes
informative but not decisive. The user's rating of item i is

    r_ui = clip(round(3 + w_u · g_i + b_u · year_i + quality_i + a_u + ε), 1, 5),   ε ~ N(0, 0.3²).

A task is one user: the support set is K items the new user has rated (the cold start: K = 1…10),
the query set other items of the catalogue with their ratings. Inputs are
``x = [genres, year, critics' score, age group one-hot]`` and targets ``y = [rating]``, so the same
regression learners as on sine waves apply: a global model trained on every user's ratings, the
same model fine-tuned on the user's K ratings, and MAML (MeLU's local/global update).

Metrics (what recommender papers report, MeLU among them): mean absolute error of the predicted
ratings, and NDCG@k of the ranking of the query items by predicted rating (:func:`ndcg_at_k`).

References:
    Lee, Im, Jang, Cho & Chung (2019), "MeLU: Meta-Learned User Preference Estimator for Cold-Start
    Recommendation", KDD — MAML over users (local update on a user's few ratings, global update across
    users), MAE and nDCG@k. Järvelin & Kekäläinen (2002), "Cumulated gain-based evaluation of IR
    techniques", ACM TOIS (NDCG).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ..core.checks import check_int
from .episode import Episode

GENRES = ("action", "comedy", "drama", "romance", "sci-fi", "horror", "animation", "documentary")
AGE_GROUPS = ("under 25", "25-44", "45+")

#: the personas users are drawn around: genre weights (others 0) and the age groups they come from
PERSONAS: dict[str, dict] = {
    "action & sci-fi": {"genres": {"action": 1.5, "sci-fi": 1.5, "romance": -1.0, "documentary": -1.0},
                        "ages": (0.6, 0.3, 0.1)},
    "family": {"genres": {"animation": 1.5, "comedy": 1.2, "horror": -1.5}, "ages": (0.2, 0.6, 0.2)},
    "drama & romance": {"genres": {"drama": 1.5, "romance": 1.5, "action": -0.8, "horror": -1.0},
                        "ages": (0.2, 0.3, 0.5)},
    "horror": {"genres": {"horror": 2.0, "action": 0.8, "animation": -1.0, "romance": -0.5}, "ages": (0.6, 0.3, 0.1)},
    "documentary": {"genres": {"documentary": 2.0, "drama": 0.8, "comedy": -0.8}, "ages": (0.1, 0.3, 0.6)},
}

#: input features: genres, year, critics' score, age group
N_FEATURES = len(GENRES) + 2 + len(AGE_GROUPS)


@dataclass(frozen=True)
class Catalogue:
    """The items: ``genres [M, G]`` (rows sum to 1), ``year [M]`` in [−1, 1] (old → new), ``quality [M]``
    (hidden), ``critics [M]`` (quality + noise, observable) and a display name per item."""

    genres: Tensor
    year: Tensor
    quality: Tensor
    critics: Tensor
    names: tuple

    def __len__(self) -> int:
        return self.genres.shape[0]

    def features(self) -> Tensor:
        """``[M, G + 2]`` observable item features: genres, year, critics' score."""
        return torch.cat([self.genres, self.year[:, None], self.critics[:, None]], dim=1)


@functools.lru_cache(maxsize=4)
def make_catalogue(n_items: int = 200, seed: int = 0) -> Catalogue:
    """A fixed catalogue of ``n_items`` items (one or two genres each), the same for the same ``seed``.

    Example:
        >>> cat = make_catalogue(50)
        >>> tuple(cat.features().shape), cat.names[0]
        ((50, 10), 'sci-fi #1')
    """
    check_int("n_items", n_items, 10, 100_000, "The catalogue needs at least a handful of items per genre; try 200.")
    g = torch.Generator().manual_seed(seed)
    n_genres = len(GENRES)
    first = torch.randint(n_genres, (n_items,), generator=g)
    second = torch.randint(n_genres, (n_items,), generator=g)
    two = torch.rand(n_items, generator=g) < 0.4
    genres = torch.zeros(n_items, n_genres)
    genres[torch.arange(n_items), first] = 1.0
    genres[torch.arange(n_items)[two], second[two]] = 1.0
    genres = genres / genres.sum(1, keepdim=True)
    year = 2 * torch.rand(n_items, generator=g) - 1
    quality = 0.6 * torch.randn(n_items, generator=g)
    critics = quality + 0.3 * torch.randn(n_items, generator=g)
    counts: dict[str, int] = {}
    names = []
    for i in range(n_items):
        label = "/".join(GENRES[j] for j in genres[i].nonzero().flatten().tolist())
        counts[label] = counts.get(label, 0) + 1
        names.append(f"{label} #{counts[label]}")
    return Catalogue(genres, year, quality, critics, tuple(names))


class Users:
    """A batch of users: ``taste [U, G]``, ``year_pref [U]``, ``bias [U]``, ``age [U]`` (index into
    :data:`AGE_GROUPS`) and ``persona [U]`` (index into :data:`PERSONAS`)."""

    def __init__(self, taste: Tensor, year_pref: Tensor, bias: Tensor, age: Tensor, persona: Tensor):
        self.taste, self.year_pref, self.bias, self.age, self.persona = taste, year_pref, bias, age, persona

    def __len__(self) -> int:
        return self.taste.shape[0]


def persona_tastes() -> Tensor:
    """``[P, G]`` genre weights of the personas."""
    return torch.tensor([[p["genres"].get(genre, 0.0) for genre in GENRES] for p in PERSONAS.values()])


@dataclass(frozen=True)
class RecommendationTasks:
    """The distribution over users of one catalogue.

    Args:
        n_items: catalogue size; catalogue_seed: which catalogue.
        taste_noise: standard deviation of a user's genre weights around their persona's.
        rating_noise: standard deviation of ε in the rating.

    Example:
        >>> tasks = RecommendationTasks(n_items=100)
        >>> ep = tasks.sample(torch.Generator().manual_seed(0), 4, k_shot=5, n_query=20)
        >>> tuple(ep.x_support.shape), tuple(ep.y_query.shape)
        ((4, 5, 13), (4, 20, 1))
    """

    n_items: int = 200
    catalogue_seed: int = 0
    taste_noise: float = 0.7
    rating_noise: float = 0.3

    @property
    def catalogue(self) -> Catalogue:
        return make_catalogue(self.n_items, self.catalogue_seed)

    def sample_users(self, g: torch.Generator, n_users: int) -> Users:
        """``n_users`` users drawn around uniformly chosen personas."""
        check_int("n_users", n_users, 1, fix="Ask for at least one user.")
        persona = torch.randint(len(PERSONAS), (n_users,), generator=g)
        ages = torch.tensor([p["ages"] for p in PERSONAS.values()])
        age = torch.multinomial(ages[persona], 1, generator=g).squeeze(1)
        taste = persona_tastes()[persona] + self.taste_noise * torch.randn(n_users, len(GENRES), generator=g)
        year_pref = 0.5 * torch.randn(n_users, generator=g)
        bias = 0.3 * torch.randn(n_users, generator=g)
        return Users(taste, year_pref, bias, age, persona)

    def expected_scores(self, users: Users) -> Tensor:
        """``[U, M]`` noise-free scores w_u·g_i + b_u·year_i + quality_i + a_u (the rating before noise,
        rounding and clipping, minus 3): what an ideal recommender ranks by."""
        cat = self.catalogue
        return (users.taste @ cat.genres.T + users.year_pref[:, None] * cat.year[None] + cat.quality[None]
                + users.bias[:, None])

    def ratings(self, users: Users, items: Tensor, g: torch.Generator | None = None) -> Tensor:
        """Ratings 1…5 (float) of ``items [U, n]`` by each user (with noise when ``g`` is given)."""
        score = self.expected_scores(users).gather(1, items)
        if g is not None:
            score = score + self.rating_noise * torch.randn(score.shape, generator=g)
        return (3 + score).round().clamp(1, 5)

    def inputs(self, users: Users, items: Tensor) -> Tensor:
        """``[U, n, N_FEATURES]`` model inputs: the items' features and each user's age group."""
        item_x = self.catalogue.features()[items]                               # [U, n, G+2]
        age = torch.nn.functional.one_hot(users.age, len(AGE_GROUPS)).float()   # [U, 3]
        return torch.cat([item_x, age[:, None, :].expand(-1, items.shape[1], -1)], dim=-1)

    def sample(self, g: torch.Generator, n_tasks: int, k_shot: int, n_query: int = 20) -> Episode:
        """``n_tasks`` users, each with K rated support items and ``n_query`` other rated query items."""
        check_int("k_shot", k_shot, 1, self.n_items - 1, "K is the number of items the new user has rated; try 5.")
        check_int("n_query", n_query, 1, self.n_items - k_shot,
                  f"The catalogue has {self.n_items} items: k_shot + n_query must not exceed it.")
        users = self.sample_users(g, n_tasks)
        items = torch.rand(n_tasks, self.n_items, generator=g).argsort(1)[:, :k_shot + n_query]
        y = self.ratings(users, items, g)[..., None]
        x = self.inputs(users, items)
        return Episode(x[:, :k_shot], y[:, :k_shot], x[:, k_shot:], y[:, k_shot:])

    def new_user(self, age: int, items, ratings) -> Episode:
        """The support set of a user who gave ``ratings`` to ``items`` (indices), and the whole catalogue as
        the query set (targets NaN: unknown) — what the widget adapts on.

        Raises:
            ValueError: a rating outside 1…5, an unknown item or age group, or items and ratings of
                different lengths.
        """
        items, ratings = list(items), [float(r) for r in ratings]
        if len(items) != len(ratings):
            raise ValueError(f"{len(items)} items but {len(ratings)} ratings: give one rating (1-5) per item.")
        check_int("age", age, 0, len(AGE_GROUPS) - 1, f"The age group is an index into {AGE_GROUPS}.")
        for i, r in zip(items, ratings):
            check_int("item", i, 0, self.n_items - 1, f"Items are indices into the catalogue of {self.n_items}.")
            if not 1 <= r <= 5:
                raise ValueError(f"rating={r} of item {i} is outside 1-5: ratings are on the 1-5 star scale.")
        user = Users(torch.zeros(1, len(GENRES)), torch.zeros(1), torch.zeros(1), torch.tensor([age]), torch.zeros(1))
        support = torch.tensor([items], dtype=torch.long).reshape(1, -1)
        everything = torch.arange(self.n_items)[None]
        return Episode(self.inputs(user, support)[0], torch.tensor(ratings).reshape(-1, 1),
                       self.inputs(user, everything)[0], torch.full((self.n_items, 1), math.nan))


def ndcg_at_k(scores: Tensor, relevance: Tensor, k: int) -> Tensor:
    """NDCG@k of ranking each row's items by ``scores`` when their true relevance is ``relevance``.

    DCG@k = Σ_{j<k} (2^{rel_(j)} − 1) / log2(j + 2) over the items in predicted order; NDCG@k divides it
    by the DCG@k of the ideal order (1 for a perfect ranking). Rows whose relevances are all 0 score 1.

    Args:
        scores, relevance: ``[..., n]`` (predicted ratings and true ratings); k: cut-off (≤ n).

    Returns:
        ``[...]`` NDCG@k per row.

    Example:
        >>> ndcg_at_k(torch.tensor([[3., 2., 1.]]), torch.tensor([[3., 2., 1.]]), 2)
        tensor([1.])
    """
    check_int("k", k, 1, scores.shape[-1], f"NDCG@k ranks the {scores.shape[-1]} query items: k must be ≤ that.")
    if scores.shape != relevance.shape:
        raise ValueError(f"scores {tuple(scores.shape)} and relevance {tuple(relevance.shape)} must have one shape.")
    discount = 1.0 / torch.log2(torch.arange(k, dtype=torch.float64) + 2)
    gain = 2.0 ** relevance.double() - 1
    order = scores.argsort(dim=-1, descending=True, stable=True)[..., :k]
    dcg = (gain.gather(-1, order) * discount).sum(-1)
    ideal = (gain.sort(dim=-1, descending=True).values[..., :k] * discount).sum(-1)
    return torch.where(ideal > 0, dcg / ideal.clamp_min(1e-12), torch.ones_like(dcg)).float()


def recommendation_tasks(k_shot: int, n_query: int = 20, **distribution):
    """Task family ``"recommendation"``: ``sample(generator, n_tasks) -> Episode``, one user per task."""
    return functools.partial(RecommendationTasks(**distribution).sample, k_shot=k_shot, n_query=n_query)
