"""The "implement it" exercises: every correct implementation passes (several are tried), the typical
mistakes fail with a message naming them, and formula answers are compared by evaluation."""

import pytest
import torch
from torch.func import functional_call

from meta_course.core.functional import meta_batch_loss
from meta_course.lessons.exercises import check, matrix_expression_equals
from meta_course.lessons import exercises_optimisation  # noqa: F401  (registers lesson 05's exercises)

F = torch.nn.functional


# --- lesson 01: "I − α∇²L_s(θ)" in any spelling ----------------------------------------------------------

@pytest.mark.parametrize("answer", ["I − α∇²L_s(θ)", "I - α∇²L_s(θ)", "I - alpha * hessian", "(I-αH)",
                                    "identity minus alpha times the hessian", "-alpha*H + I", "I − α ∇²_θ L_s(θ)"])
def test_hessian_term_accepts_every_spelling(answer):
    assert check("sine.hessian_term", answer)


@pytest.mark.parametrize("answer", ["alpha * hessian", "I + alpha H", "H", "I - α∇L_s(θ)", "__import__('os')", ""])
def test_hessian_term_rejects_wrong_answers(answer):
    with pytest.raises(AssertionError):
        check("sine.hessian_term", answer)


def test_expression_comparison_is_by_value():
    assert matrix_expression_equals("2 I - 2 α H", lambda e, a, h: 2 * (e - a * h))
    assert not matrix_expression_equals("I - α H", lambda e, a, h: e - 2 * a * h)


# --- lesson 01: MAML's meta-training step ------------------------------------------------------------------

def maml_step_loop(model, params, episodes, loss_fn, inner_lr, inner_steps, outer_lr, create_graph=True):
    total = 0.0
    for i in range(episodes.n_tasks):
        xs, ys, xq, yq = episodes.task(i)
        fast = params
        for _ in range(inner_steps):
            loss = loss_fn(functional_call(model, fast, (xs,)), ys)
            grads = torch.autograd.grad(loss, list(fast.values()), create_graph=create_graph)
            fast = {k: w - inner_lr * g for (k, w), g in zip(fast.items(), grads)}
        total = total + loss_fn(functional_call(model, fast, (xq,)), yq)
    grads = torch.autograd.grad(total / episodes.n_tasks, list(params.values()))
    return {k: w.detach() - outer_lr * g for (k, w), g in zip(params.items(), grads)}


def maml_step_package(model, params, episodes, loss_fn, inner_lr, inner_steps, outer_lr):
    loss = meta_batch_loss(model, params, episodes, loss_fn, inner_lr, inner_steps)  # vmapped
    grads = torch.autograd.grad(loss, list(params.values()))
    return {k: w.detach() - outer_lr * g for (k, w), g in zip(params.items(), grads)}


def test_maml_step_accepts_a_loop_and_the_vmapped_package():
    assert check("sine.maml_step", maml_step_loop)
    assert check("sine.maml_step", maml_step_package)


def test_maml_step_names_the_first_order_mistake():
    with pytest.raises(AssertionError, match="first-order MAML"):
        check("sine.maml_step", lambda *a: maml_step_loop(*a, create_graph=False))


def test_maml_step_rejects_in_place_updates_and_plain_wrong_answers():
    def in_place(model, params, episodes, loss_fn, inner_lr, inner_steps, outer_lr):
        new = maml_step_loop(model, params, episodes, loss_fn, inner_lr, inner_steps, outer_lr)
        with torch.no_grad():
            for k in params:
                params[k].copy_(new[k])
        return new
    with pytest.raises(AssertionError, match="in place"):
        check("sine.maml_step", in_place)
    with pytest.raises(AssertionError):
        check("sine.maml_step", lambda model, params, *a: {k: v.detach() for k, v in params.items()})


# --- lesson 06: the ProtoNet loss --------------------------------------------------------------------------

def protonet_loss(zs, ys, zq, yq, n_way):
    protos = torch.stack([zs[ys == k].mean(0) for k in range(n_way)])
    return F.cross_entropy(-((zq[:, None] - protos[None]) ** 2).sum(-1), yq)


def protonet_loss_cdist(zs, ys, zq, yq, n_way):
    protos = F.one_hot(ys, n_way).T.float() @ zs / F.one_hot(ys, n_way).sum(0)[:, None]
    return F.nll_loss(torch.log_softmax(-torch.cdist(zq, protos) ** 2, dim=1), yq)


def test_protonet_loss_accepts_equivalent_code():
    assert check("metric.protonet_loss", protonet_loss)
    assert check("metric.protonet_loss", protonet_loss_cdist)


def test_protonet_loss_names_the_mistakes():
    def not_squared(zs, ys, zq, yq, n_way):
        protos = torch.stack([zs[ys == k].mean(0) for k in range(n_way)])
        return F.cross_entropy(-torch.cdist(zq, protos), yq)

    def detached(zs, ys, zq, yq, n_way):
        protos = torch.stack([zs[ys == k].mean(0) for k in range(n_way)]).detach()
        return F.cross_entropy(-((zq[:, None] - protos[None]) ** 2).sum(-1), yq)

    with pytest.raises(AssertionError, match="squared"):
        check("metric.protonet_loss", not_squared)
    with pytest.raises(AssertionError, match="detach"):
        check("metric.protonet_loss", detached)
    with pytest.raises(AssertionError, match="scalar"):
        check("metric.protonet_loss", lambda *a: 0.0)


# --- lesson 05: Reptile's step -----------------------------------------------------------------------------

def reptile_step(model, params, episodes, loss_fn, inner_lr, inner_steps, epsilon, support_only=False):
    phis = []
    for i in range(episodes.n_tasks):
        xs, ys, xq, yq = episodes.task(i)
        x, y = (xs, ys) if support_only else (torch.cat([xs, xq]), torch.cat([ys, yq]))
        phi = {k: v.detach().clone().requires_grad_() for k, v in params.items()}
        for _ in range(inner_steps):
            grads = torch.autograd.grad(loss_fn(functional_call(model, phi, (x,)), y), list(phi.values()))
            phi = {k: (w - inner_lr * g).detach().requires_grad_() for (k, w), g in zip(phi.items(), grads)}
        phis.append(phi)
    return {k: params[k] + epsilon * torch.stack([p[k].detach() - params[k] for p in phis]).mean(0) for k in params}


def test_reptile_step_accepts_a_loop_and_names_the_support_only_mistake():
    assert check("optim.reptile_step", reptile_step)
    with pytest.raises(AssertionError, match="only the support set"):
        check("optim.reptile_step", lambda *a: reptile_step(*a, support_only=True))
    with pytest.raises(AssertionError):
        check("optim.reptile_step", lambda model, params, *a: dict(params))  # no step
