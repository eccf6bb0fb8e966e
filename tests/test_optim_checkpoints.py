"""The committed checkpoints of the optimisation family: each improves its held-out metric after
adaptation, and the learned update rules beat plain SGD with the same step budget (seeded)."""

import pytest
import torch

from meta_course.learners import load_learner
from meta_course.learners.optimisation.l2l_optimizer import hand_designed_path, loss_curves, tune_lr
from meta_course.tasks.linear import QuadraticTasks
from meta_course.checkpoints import checkpoint_path
from meta_course.core.functional import task_loss
from meta_course.evaluate import evaluate
from meta_course.tasks.sine import SineTasks

SINE = ["reptile_sine", "metasgd_sine", "metalstm_sine", "l2lopt_sine"]
GRID = (1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3)


@pytest.fixture(scope="module")
def sine_tasks():
    return SineTasks().sample(torch.Generator().manual_seed(31337), 200, k_shot=5, n_query=50)


@pytest.mark.parametrize("recipe", SINE)
def test_sine_checkpoint_improves_after_adaptation(recipe, sine_tasks):
    learner = load_learner(checkpoint_path(recipe))
    before = evaluate(learner, sine_tasks, inner_steps=0)
    after = evaluate(learner, sine_tasks, inner_steps=10)
    assert after.mean + after.ci95 < before.mean - before.ci95, (recipe, before, after)


def test_l2l_quadratic_checkpoint_improves_and_beats_tuned_sgd():
    opt = load_learner(checkpoint_path("l2lopt_quadratic"))
    val = QuadraticTasks().sample(torch.Generator().manual_seed(7), 64)
    test = QuadraticTasks().sample(torch.Generator().manual_seed(8), 64)
    lr = tune_lr(opt, val, "sgd", 100, (3e-3, 0.01, 0.02, 0.03))  # brackets SGD's stability limit (≈ 0.025)
    curves = loss_curves(opt, test, 100, {"sgd": lr}, on="support")
    learned, sgd = curves["learned"][:, -1], curves["sgd"][:, -1]
    assert learned.mean() < 0.1 * curves["learned"][:, 0].mean()  # it optimises
    assert learned.mean() < sgd.mean(), (learned.mean(), sgd.mean(), lr)
    assert (learned < sgd).float().mean() > 0.5  # and on most problems, not only on average


def _sgd_query_mse(net, loss_fn, init, lr, tasks, steps=10):
    def one(xs, ys, xq, yq):
        path = hand_designed_path(net, loss_fn, init, xs, ys, "sgd", lr, steps)
        return task_loss(net, path[-1], xq, yq, loss_fn)
    values = torch.func.vmap(one)(*tasks)
    return values.mean().item() if torch.isfinite(values).all() else float("inf")


def _tuned_sgd(net, loss_fn, init, held_out):
    val = SineTasks().sample(torch.Generator().manual_seed(4), 100, k_shot=5, n_query=50)
    best = min(GRID, key=lambda lr: _sgd_query_mse(net, loss_fn, init, lr, val))
    return _sgd_query_mse(net, loss_fn, init, best, held_out), best


def test_l2l_sine_update_rule_beats_tuned_sgd_from_the_same_start(sine_tasks):
    """Same θ_0 (the learned one), same 10 gradient evaluations of the support loss: only the rule differs."""
    learner = load_learner(checkpoint_path("l2lopt_sine"))
    init = {k: v.detach() for k, v in learner.initial_params().items()}
    sgd, lr = _tuned_sgd(learner.net, learner.loss_fn, init, sine_tasks)
    learned = evaluate(learner, sine_tasks, inner_steps=10).mean
    assert learned < sgd, (learned, sgd, lr)


def test_meta_lstm_beats_fine_tuning_with_tuned_sgd_and_the_same_budget(sine_tasks):
    """10 meta-LSTM updates vs 10 SGD steps (best step size) from the jointly pretrained network.

    (From the meta-LSTM's *own* θ_0, tuned SGD does better than its learned gates at this training
    budget — lesson 05 shows it: the meta-learner learned the initialisation more than the rule.)
    """
    metalstm = load_learner(checkpoint_path("metalstm_sine"))
    pretrained = load_learner(checkpoint_path("pretrained_sine"))
    init = {k: v.detach() for k, v in pretrained.params().items()}
    sgd, lr = _tuned_sgd(pretrained.net, pretrained.loss_fn, init, sine_tasks)
    learned = evaluate(metalstm, sine_tasks, inner_steps=10)
    assert learned.mean + learned.ci95 < sgd, (learned, sgd, lr)
