"""Lesson 04's pitfalls: each catcher rejects the wrong code and accepts the right code."""

import pytest
import torch
from torch import nn

from meta_course.lessons.pitfalls import PITFALLS


@pytest.mark.parametrize("name", sorted(PITFALLS))
def test_catcher_passes_the_right_code(name):
    PITFALLS[name].catch(PITFALLS[name].right)


@pytest.mark.parametrize("name", sorted(PITFALLS))
def test_catcher_fails_the_wrong_code(name):
    with pytest.raises(AssertionError):
        PITFALLS[name].catch(PITFALLS[name].wrong)


def test_range_inner_lr_measured_damage_no_adaptation_and_worse_than_maml():
    """Pitfall 4's damage, measured on lesson 04's meta-trained learners (committed checkpoint): ``range(int(α))``
    runs zero inner steps for every α < 1, so the buggy learner answers every task with θ itself — its held-out MSE
    "after 10 steps" is the MSE of the unadapted network (recomputed here by hand) — and it is worse than correct
    MAML on the same tasks (paired 95% CI above zero)."""
    from meta_course.lessons.pitfalls import load_damage_learners
    from meta_course.tasks.sine import SineTasks

    learners = load_damage_learners()
    tasks = SineTasks().sample(torch.Generator().manual_seed(7), 200, k_shot=5, n_query=50)
    wrong = learners["range_inner_lr"]
    after_10 = wrong.score(tasks, inner_steps=10)
    with torch.no_grad():
        theta_itself = ((wrong.net(tasks.x_query) - tasks.y_query) ** 2).flatten(1).mean(1)
    assert torch.allclose(after_10, theta_itself.to(after_10.dtype), rtol=1e-5, atol=1e-6)
    diff = after_10 - learners["maml"].score(tasks, inner_steps=10)
    assert diff.mean() - 1.96 * diff.std() / len(diff) ** 0.5 > 0


def test_no_create_graph_is_exactly_first_order_maml():
    from meta_course.core.metagrad import relative_error
    from meta_course.lessons.pitfalls import WRONG_no_create_graph_meta_gradient, _small_problem, maml_meta_gradient_autograd
    from meta_course.core.functional import meta_batch_loss

    model, params, eps = _small_problem()
    wrong = WRONG_no_create_graph_meta_gradient(model, params, eps, nn.functional.mse_loss, 0.05, 2)
    leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
    fo = torch.autograd.grad(meta_batch_loss(model, leaves, eps, nn.functional.mse_loss, 0.05, 2, first_order=True),
                             list(leaves.values()))
    assert relative_error(wrong, dict(zip(leaves, fo))) < 1e-12
    right = maml_meta_gradient_autograd(model, params, eps, nn.functional.mse_loss, 0.05, 2)
    assert relative_error(wrong, right) > 0.01


def test_average_support_and_stale_forward_are_joint_training_gradients():
    """Pitfall 1 is ∇ mean L_S(θ); pitfall 5 is ∇ mean L_Q(θ): neither depends on α or the inner steps."""
    from meta_course.core.metagrad import relative_error
    from meta_course.lessons.pitfalls import _small_problem

    model, params, eps = _small_problem()
    for name, x, y in (("average_support", eps.x_support, eps.y_support), ("stale_forward", eps.x_query, eps.y_query)):
        a = PITFALLS[name].wrong(model, params, eps, nn.functional.mse_loss, 0.05, 2)
        b = PITFALLS[name].wrong(model, params, eps, nn.functional.mse_loss, 0.5, 4)
        leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
        joint = nn.functional.mse_loss(torch.func.vmap(lambda xi: torch.func.functional_call(model, leaves, (xi,)))(x), y)
        want = dict(zip(leaves, torch.autograd.grad(joint, list(leaves.values()))))
        assert relative_error(a, want) < 1e-12 and relative_error(b, want) < 1e-12


def test_batchnorm_order_dependence_is_measured_and_zero_for_the_right_code():
    from meta_course.lessons.pitfalls import bn_order_dependence

    wrong, right = bn_order_dependence(n_tasks=12)
    assert wrong > 0.01
    assert right == 0.0


def test_pitfalls_exercises():
    from meta_course.lessons.exercises import check, mystery_meta_gradient
    from meta_course.lessons.pitfalls import _small_problem, create_graph_meta_gradient
    from meta_course.core.metagrad import relative_error

    assert check("pitfalls.fix_no_create_graph", create_graph_meta_gradient)
    with pytest.raises(AssertionError):
        check("pitfalls.fix_no_create_graph", PITFALLS["no_create_graph"].wrong)
    # the mystery function behaves exactly like one wrong function, and that name is the only accepted answer
    model, params, eps = _small_problem()
    out = mystery_meta_gradient(model, params, eps, nn.functional.mse_loss, 0.05, 2)
    same = [n for n in ("average_support", "no_create_graph", "stale_forward")
            if relative_error(PITFALLS[n].wrong(model, params, eps, nn.functional.mse_loss, 0.05, 2), out) < 1e-12]
    assert len(same) == 1 and check("pitfalls.which_bug", same[0])
    for other in set(PITFALLS) - set(same):
        with pytest.raises(AssertionError):
            check("pitfalls.which_bug", other)


def test_caught_and_verdict_report_the_catchers_outcome():
    from meta_course.lessons.pitfalls import caught, verdict

    p = PITFALLS["range_inner_lr"]
    assert caught(p.catch, p.right) is None and verdict(p.catch, p.right) == "passes ✓"
    message = caught(p.catch, p.wrong)
    assert message and verdict(p.catch, p.wrong) == f"caught ✗ — {message}"
    with pytest.raises(TypeError):  # only AssertionError means "caught"; other errors surface
        caught(lambda fn: fn(None), lambda x: len(x))
