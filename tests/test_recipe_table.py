"""Recipes shown to learners as a table read from the recipes themselves."""

from meta_course.lessons.recipe_table import recipe_markdown, recipe_rows
from meta_course.recipes import RECIPES, get_recipe


def test_rows_state_the_recipe_settings():
    rows = {r["recipe"]: r for r in recipe_rows(["maml_omniglot", "reptile_omniglot", "metasgd_sine", "transfer_omniglot"])}
    maml = get_recipe("maml_omniglot")
    assert rows["maml_omniglot"]["inner loop (training)"] == f"1 step of α={maml.config['inner_lr']:g}, second order"
    assert rows["maml_omniglot"]["outer loop"] == "6 000 × 8 tasks, Adam β=0.001"
    assert rows["reptile_omniglot"]["outer loop"].endswith("SGD ε=1") and "first order" in rows["reptile_omniglot"]["inner loop (training)"]
    assert rows["metasgd_sine"]["inner loop (training)"].startswith("10 steps of learned α")
    assert rows["metasgd_sine"]["task"] == "sine, K=5, 10 queries"
    assert rows["transfer_omniglot"]["outer loop"].startswith("1 500 batches of 32 images")
    assert rows["transfer_omniglot"]["test-time adaptation"] == "20 steps, α=0.03"


def test_every_recipe_renders():
    md = recipe_markdown(sorted(RECIPES))
    assert md.count("\n") == len(RECIPES) + 1 and "Recipe(" not in md
