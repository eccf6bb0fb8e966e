"""Recipes as a readable table for a lesson: the settings in words, read from the recipes themselves (so a
lesson never restates a number that could drift from what trained its checkpoint).

Example:
    >>> print(recipe_markdown(["maml_sine"]).splitlines()[2])
    | `maml_sine` | maml | sine, K=10, 10 queries | 1 step of α=0.001, second order | 70 000 × 25 tasks, Adam β=0.001 | 10 steps |
"""

from __future__ import annotations

from ..recipes import get_recipe

def _task(r) -> str:
    args = r.task_args
    parts = [r.task]
    if "n_way" in args:
        parts.append(f"{args['n_way']}-way {args.get('k_shot', '?')}-shot")
    elif "k_shot" in args:
        parts.append(f"K={args['k_shot']}")
    for key, word in (("q_query", "queries/class"), ("n_query", "queries")):
        if key in args:
            parts.append(f"{args[key]} {word}")
    return ", ".join(parts)


def _inner(r) -> str:
    c = r.config
    steps = c.get("inner_steps")
    if steps is None:
        return "—"
    if r.learner == "pretrained":
        return "none (joint training)"
    if r.learner == "transfer":
        return "none (pretraining)"
    if r.learner == "meta-sgd":
        lo, hi = c.get("alpha_init", (None, None))
        alpha = f"learned α (init U[{lo:g}, {hi:g}])"
    elif r.learner == "meta-lstm":
        alpha = "learned gates"
    elif "inner_lr" in c:
        alpha = f"α={c['inner_lr']:g}"
    else:
        alpha = "learned rule"
    order = "first order" if c.get("first_order") or r.learner in ("fomaml", "reptile") else "second order"
    if r.learner in ("meta-lstm", "l2l-optimizer"):
        order = "no second derivatives"
    return f"{steps} step{'s' if steps != 1 else ''} of {alpha}, {order}"


def _outer(r) -> str:
    word = "SGD ε" if r.learner == "reptile" else "Adam β"
    steps = f"{r.steps:,}".replace(",", " ")
    if r.learner == "transfer":
        return f"{steps} batches of {r.task_args.get('batch_size', '?')} images, {word}={r.outer_lr:g}"
    return f"{steps} × {r.meta_batch_size} tasks, {word}={r.outer_lr:g}"


def _test(r) -> str:
    k = r.eval_knobs
    if "inner_steps" not in k:
        return "—"
    text = f"{k['inner_steps']} step{'s' if k['inner_steps'] != 1 else ''}"
    return text + (f", α={k['inner_lr']:g}" if "inner_lr" in k else "")


def recipe_rows(names) -> list[dict]:
    """One dict per recipe: recipe, learner, task, inner loop in training, outer loop, adaptation at test."""
    return [{"recipe": n, "learner": (r := get_recipe(n)).learner, "task": _task(r), "inner loop (training)": _inner(r),
             "outer loop": _outer(r), "test-time adaptation": _test(r)} for n in names]


def recipe_markdown(names) -> str:
    """:func:`recipe_rows` as a markdown table."""
    rows = recipe_rows(names)
    cols = list(rows[0]) if rows else []
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        out.append("| " + " | ".join(f"`{v}`" if k == "recipe" else str(v) for k, v in row.items()) + " |")
    return "\n".join(out)


def show_recipes(names):
    """Display :func:`recipe_markdown` in a notebook."""
    from IPython.display import Markdown

    return Markdown(recipe_markdown(names))
