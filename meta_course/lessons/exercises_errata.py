"""Self-checking exercises of lesson 15 (errata). Importing this module registers them with
:func:`meta_course.lessons.exercises.check`; the expected answers come from the package."""

from __future__ import annotations

import torch

from .exercises import check, exercise

__all__ = ["check", "family_of"]


@exercise("errata.matching_probs", "cos = normalised z_query @ normalised z_supportᵀ; a = softmax(cos, dim=1); "
          "probs = a @ one_hot(y_support, n_way).")
def _matching_probs(fn) -> bool:
    """``fn(z_query, z_support, y_support, n_way) -> [Q, n_way]`` must equal Matching networks' Eq. 1-2."""
    from ..learners.metric.matching import attend_labels, attention

    for seed, (n_way, k_shot) in enumerate(((5, 1), (3, 4))):
        g = torch.Generator().manual_seed(seed)
        zs, zq = torch.randn(n_way * k_shot, 6, generator=g), torch.randn(7, 6, generator=g)
        ys = torch.arange(n_way).repeat(k_shot)
        got = fn(zq, zs, ys, n_way)
        want = attend_labels(attention(zq, zs), ys, n_way)
        if not (torch.is_tensor(got) and got.shape == want.shape and torch.allclose(got.float(), want, atol=1e-5)):
            return False
    return True


#: accepted spellings of each family (lower case); a learner with an external memory is also model-based
_SYNONYMS = {
    "optimisation": ("optimisation", "optimization", "gradient", "基于优化"),
    "metric": ("metric", "non-parametric", "nonparametric", "基于度量"),
    "memory": ("memory", "基于记忆"),
    "model": ("model", "black-box", "black box", "blackbox", "基于模型"),
}


def family_of(answer: str) -> str | None:
    """The family key (``optimisation``/``metric``/``memory``/``model``) an answer names, or None."""
    text = str(answer).strip().lower()
    for key in ("optimisation", "metric", "memory", "model"):  # "model-agnostic" is not asked; memory before model
        if any(s in text for s in _SYNONYMS[key]):
            return key
    return None


_FAMILIES_ASKED = {"MAML": {"optimisation"}, "Prototypical network": {"metric"}, "Meta-SGD": {"optimisation"},
                   "MANN": {"memory", "model"}, "RL²": {"model"}}


@exercise("errata.families", "Ask what adaptation computes: gradient steps (optimisation), distances in an embedding "
          "(metric), a network reading the support set (model), with an external memory (memory).")
def _families(answer) -> bool:
    """A dict algorithm -> family for the five algorithms of the exercise (synonyms and Chinese accepted)."""
    if not isinstance(answer, dict):
        return False
    for algorithm, allowed in _FAMILIES_ASKED.items():
        key = next((k for k in answer if str(k).strip().lower() == algorithm.lower()
                    or str(k).replace("2", "²").lower() == algorithm.lower()), None)
        if key is None or family_of(answer[key]) not in allowed:
            return False
    return True
