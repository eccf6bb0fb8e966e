"""Cold-start recommendation: the user-item task family, NDCG@k, the recommenders and the widget."""

import math

import pytest
import torch

from meta_course.tasks.recommendation import (AGE_GROUPS, GENRES, N_FEATURES, RecommendationTasks, make_catalogue,
                                              ndcg_at_k, recommendation_tasks)
from meta_course.tasks.table import task_sampler


def test_catalogue_is_fixed_and_named():
    a, b = make_catalogue(120, seed=3), make_catalogue(120, seed=3)
    assert torch.equal(a.features(), b.features()) and len(a) == 120
    assert torch.allclose(a.genres.sum(1), torch.ones(120))
    assert len(set(a.names)) == 120 and all(n.split(" #")[0].split("/")[0] in GENRES for n in a.names)
    assert not torch.equal(make_catalogue(120, seed=4).genres, a.genres)


def test_episodes_shapes_ranges_and_distinct_items():
    tasks = RecommendationTasks(n_items=60)
    ep = tasks.sample(torch.Generator().manual_seed(0), 8, k_shot=4, n_query=10)
    assert ep.x_support.shape == (8, 4, N_FEATURES) and ep.y_query.shape == (8, 10, 1)
    y = torch.cat([ep.y_support, ep.y_query], 1)
    assert y.min() >= 1 and y.max() <= 5 and torch.equal(y, y.round())
    x = torch.cat([ep.x_support, ep.x_query], 1)
    for t in range(8):  # no item twice for one user (the item features identify the item)
        assert len({tuple(row.tolist()) for row in x[t, :, :-len(AGE_GROUPS)]}) == 14
        assert x[t, :, -len(AGE_GROUPS):].sum(-1).eq(1).all()  # one age group, the same for all items
    again = task_sampler("recommendation", k_shot=4, n_query=10, n_items=60)(torch.Generator().manual_seed(0), 8)
    assert torch.equal(again.y_query, ep.y_query)


def test_ratings_follow_the_user_taste():
    """Users drawn around a persona rate that persona's genres higher than its disliked genres."""
    tasks = RecommendationTasks()
    users = tasks.sample_users(torch.Generator().manual_seed(1), 2000)
    scores = tasks.expected_scores(users)
    cat = tasks.catalogue
    horror, animation = cat.genres[:, GENRES.index("horror")] == 1, cat.genres[:, GENRES.index("animation")] == 1
    fans = users.persona == 3  # the horror persona
    assert scores[fans][:, horror].mean() > scores[fans][:, animation].mean() + 1.0
    # age is informative but not decisive
    young = users.age == 0
    assert 0.2 < (fans & young).sum() / young.sum() < 0.5


def test_bad_input_names_the_value():
    tasks = RecommendationTasks(n_items=30)
    with pytest.raises(ValueError, match="n_query"):
        tasks.sample(torch.Generator(), 2, k_shot=10, n_query=25)
    with pytest.raises(ValueError, match="rating=6"):
        tasks.new_user(0, [1], [6])
    with pytest.raises(ValueError, match="age"):
        tasks.new_user(5, [1], [3])
    with pytest.raises(ValueError, match="2 items but 1 ratings"):
        tasks.new_user(0, [1, 2], [3])


def _ndcg_loop(scores, rel, k):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
    dcg = sum((2 ** rel[i] - 1) / math.log2(j + 2) for j, i in enumerate(order))
    ideal = sum((2 ** r - 1) / math.log2(j + 2) for j, r in enumerate(sorted(rel, reverse=True)[:k]))
    return dcg / ideal


def test_ndcg_against_a_loop_and_by_hand():
    g = torch.Generator().manual_seed(0)
    scores, rel = torch.randn(50, 12, generator=g), torch.randint(1, 6, (50, 12), generator=g).float()
    got = ndcg_at_k(scores, rel, 5)
    want = torch.tensor([_ndcg_loop(s.tolist(), r.tolist(), 5) for s, r in zip(scores, rel)])
    assert torch.allclose(got, want.float(), atol=1e-6)
    # by hand: ranking [b, a] of relevances a=3, b=1 at k=2: (1 + 7/log2 3) / (7 + 1/log2 3)
    hand = (1 + 7 / math.log2(3)) / (7 + 1 / math.log2(3))
    assert ndcg_at_k(torch.tensor([0.0, 1.0]), torch.tensor([3.0, 1.0]), 2).item() == pytest.approx(hand)
    assert ndcg_at_k(rel, rel, 5).eq(1).all()  # the ideal order
    with pytest.raises(ValueError, match="k must be"):
        ndcg_at_k(scores, rel, 13)


def test_new_user_episode():
    tasks = RecommendationTasks()
    ep = tasks.new_user(2, [4, 9], [5, 1])
    assert ep.x_support.shape == (2, N_FEATURES) and ep.x_query.shape == (200, N_FEATURES)
    assert torch.equal(ep.x_support[0], ep.x_query[4]) and ep.y_support.flatten().tolist() == [5.0, 1.0]


# --- the trained recommenders (committed checkpoints) ----------------------------------------------------

@pytest.fixture(scope="module")
def recommenders():
    from meta_course.bench.recommendation import load_recommenders
    return load_recommenders()


def test_maml_beats_both_baselines_on_held_out_users_paired(recommenders):
    """On 500 new users with K=5 ratings (a seed no training used), MAML's MAE is lower and its NDCG@5
    higher than the global model's and the fine-tuned model's: the 95% interval of the per-user
    difference excludes 0."""
    from meta_course.bench.recommendation import bench_rows

    rows = {r["method"]: r for r in bench_rows(recommenders, n_users=500, k_shots=(5,), seed=7)}
    for baseline in ("global model", "fine-tuning"):
        r = rows[baseline]
        assert r["maml_minus_mae"] + r["maml_minus_mae_ci95"] < 0, r
        assert r["maml_minus_ndcg"] - r["maml_minus_ndcg_ci95"] > 0, r
    # fine-tuning helps the global model (the baseline gets its best shot)
    assert rows["fine-tuning"]["mae"] < rows["global model"]["mae"]


def test_widget_update(recommenders):
    from meta_course.viz.recommendation import plot_recommendation, probe_items, recommend, top_table_html

    probes = probe_items()
    assert len(probes) == len(GENRES) and len(set(probes)) == len(GENRES)
    cat = RecommendationTasks().catalogue
    horror, animation = probes[GENRES.index("horror")], probes[GENRES.index("animation")]
    before = recommend(recommenders, age=0, ratings={}, k=5)
    # with no rating nobody adapts: fine-tuning predicts exactly the global model
    assert torch.equal(before.predictions["fine-tuning"], before.predictions["global model"])
    after = recommend(recommenders, age=0, ratings={horror: 5.0, animation: 1.0}, k=5)
    assert horror not in after.top["MAML"] and animation not in after.top["MAML"]  # rated items are not listed
    h = GENRES.index("horror")
    n_horror = lambda items: sum(cat.genres[i, h].item() > 0 for i in items)  # noqa: E731
    assert n_horror(after.top["MAML"]) > n_horror(after.top["global model"])
    assert after.genre_means["MAML"][h] > before.genre_means["MAML"][h]
    assert "<table>" in top_table_html(after) and plot_recommendation(after).png()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="k="):
        recommend(recommenders, age=0, ratings={}, k=0)
