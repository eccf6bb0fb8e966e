"""Self-checking exercises: ``check(name, answer)`` at the end of each lesson.

An unanswered exercise (``answer is None``) prints a hint and passes, so a lesson runs top to
bottom (and in CI) before the reader has tried anything; a wrong answer raises ``AssertionError``
with a hint (also one of another type or shape, or one that raises); a right one prints ✓. The
expected answers are computed by the package, not typed in.
"""

from __future__ import annotations

import functools
import re
from typing import Callable

import torch

_CHECKS: dict[str, tuple[Callable, str]] = {}


def exercise(name: str, hint: str):
    """Make ``fn(answer) -> bool | str`` the checker of exercise ``name`` (a string names a recognised
    mistake: the answer is wrong, and the message says how)."""
    def deco(fn):
        _CHECKS[name] = (fn, hint)
        return fn
    return deco


def check(name: str, answer) -> bool | None:
    """Check ``answer`` for exercise ``name``: ✓, a hint if unanswered, AssertionError if wrong.

    Example:
        >>> check("sine.inner_step", None)
        ✗ not answered yet. Hint: θ' = θ − α ∇L(θ): one line per parameter.
    """
    if name not in _CHECKS:
        raise ValueError(f"unknown exercise {name!r}: allowed {sorted(_CHECKS)}.")
    fn, hint = _CHECKS[name]
    if answer is None:
        print(f"✗ not answered yet. Hint: {hint}")
        return None
    try:
        verdict = fn(answer)
    except AssertionError:
        raise
    except Exception as err:  # the answer has another type or shape, or raised: a wrong answer, said as such
        reason = " ".join((str(err).strip().splitlines() or [""])[0].split())[:160]
        raise AssertionError(f"not quite: checking your answer raised {type(err).__name__} ({reason}). "
                             f"Hint: {hint}") from err
    if isinstance(verdict, str):  # a checker that recognises a specific mistake says which
        raise AssertionError(f"not quite: {verdict} Hint: {hint}")
    if not verdict:
        raise AssertionError(f"not quite. Hint: {hint}")
    print("✓ correct")
    return True


@exercise("sine.inner_step", "θ' = θ − α ∇L(θ): one line per parameter.")
def _inner_step(fn) -> bool:
    """``fn(params, grads, inner_lr) -> new params`` must equal :func:`meta_course.core.functional.sgd_step`."""
    from ..core.functional import sgd_step

    g = torch.Generator().manual_seed(0)
    params = {"w": torch.randn(3, 2, generator=g), "b": torch.randn(2, generator=g)}
    grads = {k: torch.randn(v.shape, generator=g) for k, v in params.items()}
    got, want = fn(params, grads, 0.1), sgd_step(params, grads, 0.1)
    return set(got) == set(want) and all(torch.allclose(got[k], want[k]) for k in want)


@exercise("sine.hessian_term", "Differentiate θ − α∇L_s(θ) with respect to θ: the Jacobian is I − α∇²L_s(θ).")
def _hessian_term(answer) -> bool:
    """Which factor does first-order MAML drop? Any expression equal to I − α∇²L_s(θ) is accepted: the
    answer is evaluated with a random α and a random symmetric matrix for the Hessian, not string-matched."""
    return matrix_expression_equals(str(answer), lambda eye, alpha, hess: eye - alpha * hess)


#: spellings of the support loss's Hessian ∇²L_s(θ), after lower-casing and removing spaces
_HESSIAN = re.compile(r"(∇\^?2|∇∇|nabla\^?2|nablanabla|grad\^?2|d\^?2)(_?\{?(θ|theta)\}?)?"
                      r"(l|loss)?(_?\{?(s|support|tr|train|t_?i)\}?)?(\((θ|theta)\))?"
                      r"|(the)?hessian(matrix)?(of)?(the)?((support)?(loss)?|l(_?s)?)(\((θ|theta)\))?|h_?s|h")
_WORDS = {"identity": "i", "minus": "-", "plus": "+", "times": "*", "ᵀ": "", "^t": "", "⊤": ""}


def matrix_expression_equals(text: str, reference, trials: int = 2) -> bool:
    """Whether ``text`` (a formula in I, α and the Hessian, e.g. ``"I − α∇²L_s(θ)"`` or ``"(I - alpha*H)"``)
    equals ``reference(eye, alpha, hessian)`` for random α and random symmetric Hessians.

    Example:
        >>> matrix_expression_equals("I − α∇²L_s(θ)", lambda eye, a, h: eye - a * h)
        True
        >>> matrix_expression_equals("α∇²L_s(θ)", lambda eye, a, h: eye - a * h)
        False
    """
    t = text.strip().lower().replace(" ", "")
    for word, sub in _WORDS.items():
        t = t.replace(word, sub)
    t = (t.replace("−", "-").replace("–", "-").replace("·", "*").replace("⋅", "*").replace("×", "*")
         .replace("²", "^2").replace("α", "alpha"))
    t = _HESSIAN.sub("H", t.replace("alpha", "A"))
    tokens = re.findall(r"A|H|i|\d+\.?\d*|[()+\-*/]", t)
    if "".join(tokens) != t or not tokens:  # something the parser does not know
        return False
    expr = []
    for tok in tokens:  # implicit products: "AH", "2A", ")(" ...
        if expr and (expr[-1] in ("A", "H", "i", ")") or expr[-1][0].isdigit()) and (tok in ("A", "H", "i", "(")
                                                                                     or tok[0].isdigit()):
            expr.append("*")
        expr.append(tok)
    g = torch.Generator().manual_seed(0)
    for _ in range(trials):
        m = torch.randn(4, 4, generator=g, dtype=torch.float64)
        hess, alpha, eye = m + m.T, 0.1 + torch.rand(1, generator=g, dtype=torch.float64).item(), torch.eye(4, dtype=torch.float64)
        try:
            got = eval("".join(expr), {"__builtins__": {}}, {"A": alpha, "H": hess, "i": eye})  # noqa: S307 (tokens only)
        except Exception:  # noqa: BLE001 (any malformed formula is simply a wrong answer)
            return False
        if not torch.is_tensor(got) or got.shape != (4, 4) or not torch.allclose(got, reference(eye, alpha, hess)):
            return False
    return True


def _maml_problem():
    """The seeded problem every MAML implement-it checker uses: a float64 MLP 1-8-8-1, three sine tasks."""
    from .pitfalls import _small_problem

    return _small_problem(n_tasks=3, seed=4)


def _params_close(got, want, rtol: float = 1e-6) -> bool:
    from ..core.metagrad import relative_error

    return (isinstance(got, dict) and set(got) == set(want)
            and all(torch.is_tensor(got[k]) and got[k].shape == want[k].shape for k in want)
            and relative_error({k: got[k].detach().double() for k in want}, want) < rtol)


@exercise("sine.maml_step", "θ′_i = θ − α∇L_{S_i}(θ) per task, keeping the graph (torch.func.grad, or "
          "autograd.grad(..., create_graph=True)); loss = mean_i L_{Q_i}(θ′_i); g = autograd.grad(loss, θ); "
          "return {k: θ_k − β g_k}.")
def _maml_step(fn):
    """``fn(model, params, episodes, loss_fn, inner_lr, inner_steps, outer_lr) -> new params``: one MAML
    meta-training step with a plain SGD outer update, compared with the package's second-order meta-gradient
    on a seeded problem. Recognises the first-order and averaged-support-gradient mistakes."""
    from ..core.functional import meta_batch_loss
    from .pitfalls import WRONG_average_support_gradients

    model, params, eps = _maml_problem()
    mse = torch.nn.functional.mse_loss
    alpha, steps, beta = 0.05, 2, 0.1

    def reference(first_order):
        leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
        loss = meta_batch_loss(model, leaves, eps, mse, alpha, steps, first_order=first_order, use_vmap=False)
        grads = torch.autograd.grad(loss, list(leaves.values()))
        return {k: params[k] - beta * g for k, g in zip(leaves, grads)}

    theta = {k: v.clone().requires_grad_() for k, v in params.items()}
    got = fn(model, theta, eps, mse, alpha, steps, beta)
    if any(not torch.equal(theta[k].detach(), params[k]) for k in params):
        return "your function changed θ in place; return a new dict and leave the meta-parameters as they are."
    if _params_close(got, reference(False)):
        return True
    if _params_close(got, reference(True)):
        return ("that is first-order MAML: the inner gradient was detached, so the Hessian term is missing "
                "(keep the graph with create_graph=True or torch.func.grad).")
    avg = WRONG_average_support_gradients(model, params, eps, mse, alpha, steps)
    if _params_close(got, {k: params[k] - beta * avg[k] for k in params}):
        return "that step uses the mean support gradient — no adaptation and no query loss (lesson 04, pitfall 1)."
    return False


@exercise("sine.steps_needed", "Loop inner_steps over 1..10 with evaluate(maml, tasks, inner_steps=s) on the given tasks.")
def _steps_needed(answer) -> bool:
    """Fewest inner steps (1..10) after which MAML's mean MSE on the exercise's tasks is < 0.15."""
    return answer == _steps_needed_solution()


@functools.lru_cache(maxsize=1)
def _steps_needed_solution():
    from ..learners import load_learner
    from ..checkpoints import checkpoint_path
    from ..evaluate import evaluate

    maml = load_learner(checkpoint_path("maml_sine"))
    tasks = steps_needed_tasks()
    for steps in range(1, 11):
        if evaluate(maml, tasks, inner_steps=steps).mean < 0.15:
            return steps
    return False


def steps_needed_tasks():
    """The held-out tasks of exercise ``sine.steps_needed``: 500 tasks, K=10, seed 11."""
    from ..tasks.sine import SineTasks

    return SineTasks().sample(torch.Generator().manual_seed(11), 500, k_shot=10)


# --------------------------------------------------------------------------- lesson 02: Omniglot
@exercise("omniglot.rotation_classes", "Each rotation by 90° is a new class: characters × 4. "
          "len(omniglot_split('minimal', 'train')) counts the characters.")
def _rotation_classes(answer) -> bool:
    """Classes of the ``minimal`` training part with rotation augmentation."""
    from ..tasks.omniglot import omniglot_split

    return answer == 4 * len(omniglot_split("minimal", "train", progress=False))


@exercise("omniglot.episode_sampler", "Pick N distinct classes (torch.randperm), then per class K+Q distinct "
          "drawings (another randperm); the first K are support, the rest query; label = position in the class list.")
def _episode_sampler(fn) -> bool:
    """``fn(images uint8 [C, 20, S, S], n_way, k_shot, q_query, generator) -> Episode`` of one task.

    Checked on images whose pixels encode (class, drawing): labels 0..N−1 (K support, Q query each),
    one class per label, distinct classes, no drawing in both support and query, random across seeds.
    """
    from ..tasks import Episode

    C, S = 30, 4
    images = torch.zeros(C, 20, S, S, dtype=torch.uint8)
    images[..., 0, 0] = torch.arange(C).view(C, 1)
    images[..., 0, 1] = torch.arange(20).view(1, 20)
    images[..., 1, 1] = 255  # some ink, so float/uint8 outputs can be told apart

    def codes(x):
        x = x.reshape(x.shape[0], S, S)
        x = (x * 255).round() if x.is_floating_point() else x
        return [(int(a), int(b)) for a, b in zip(x[:, 0, 0], x[:, 0, 1])]

    seen = set()
    for seed in range(5):
        n, k, q = 5, 2, 3
        ep = fn(images, n, k, q, torch.Generator().manual_seed(seed))
        if not isinstance(ep, tuple) or len(ep) != 4:
            return False
        ep = Episode(*ep)
        if ep.x_support.shape[0] != n * k or ep.x_query.shape[0] != n * q:
            return False
        if sorted(ep.y_support.tolist()) != sorted(list(range(n)) * k) or \
                sorted(ep.y_query.tolist()) != sorted(list(range(n)) * q):
            return False
        s, qq = codes(ep.x_support), codes(ep.x_query)
        cls = {}
        for (c, d), y in [*zip(s, ep.y_support.tolist()), *zip(qq, ep.y_query.tolist())]:
            if cls.setdefault(y, c) != c:
                return False  # one label, two classes
        if len(set(cls.values())) != n or set(s) & set(qq) or len(set(s)) != len(s) or len(set(qq)) != len(qq):
            return False
        seen.add(tuple(sorted(cls.values())))
    return len(seen) > 1  # different seeds, different classes


@exercise("omniglot.within_nn_accuracy", "1-NN: each query takes the label of its closest support image "
          "(torch.cdist on flattened pixels); average over all queries of all episodes, round to 2 decimals.")
def _within_nn_accuracy(answer) -> bool:
    """Pixel 1-NN accuracy on the exercise's 20-way 1-shot within-alphabet episodes (±0.005: 2 decimals)."""
    return abs(float(answer) - _within_nn_solution()) <= 0.005


@functools.lru_cache(maxsize=1)
def _within_nn_solution() -> float:
    return nearest_neighbour_accuracy(omniglot_nn_tasks())


def nearest_neighbour_accuracy(episodes) -> float:
    """Mean accuracy of 1-nearest-neighbour on raw pixels (Euclidean) over a batch of episodes."""
    xs, xq = episodes.x_support.flatten(2), episodes.x_query.flatten(2)
    pred = episodes.y_support.gather(1, torch.cdist(xq, xs).argmin(-1))
    return (pred == episodes.y_query).float().mean().item()


@functools.lru_cache(maxsize=1)
def omniglot_nn_tasks():
    """The episodes of exercise ``omniglot.within_nn_accuracy``: 500 within-alphabet 20-way 1-shot tasks,
    5 queries per class, from all 8 alphabets of ``minimal``, seed 12."""
    from ..tasks.omniglot import OmniglotTasks

    tasks = OmniglotTasks("minimal", "all", n_way=20, k_shot=1, q_query=5, within_alphabet=True)
    return tasks.sample(torch.Generator().manual_seed(12), 500)

# --- lesson 03 · derivations ------------------------------------------------------------------------------

def _derivations_problem():
    from ..models import MLP
    from ..tasks import Episode
    from ..tasks.sine import SineTasks

    torch.manual_seed(0)
    net = MLP((1, 8, 8, 1)).double()
    params = {k: v.detach() for k, v in net.named_parameters()}
    ep = SineTasks().sample(torch.Generator().manual_seed(3), 1, k_shot=5, n_query=5).task(0)
    return net, params, Episode(*(t.double() for t in ep))


@exercise("derivations.one_step", "(I − α∇²L_s(θ)) v with v = ∇L_q(θ′): compute v at θ′ = θ − α∇L_s(θ), then "
          "v − α·hvp(support_loss, θ, v) with meta_course.core.metagrad.hvp.")
def _one_step(fn) -> bool:
    """``fn(model, params, x_s, y_s, x_q, y_q, loss_fn, inner_lr) -> dict`` must equal the one-step meta-gradient."""
    from ..core.metagrad import maml_meta_gradient, relative_error

    net, params, ep = _derivations_problem()
    want = maml_meta_gradient(net, params, *ep, torch.nn.functional.mse_loss, 0.05, 1)
    got = fn(net, params, *ep, torch.nn.functional.mse_loss, 0.05)
    return isinstance(got, dict) and set(got) == set(want) and relative_error(got, want) < 1e-8


@exercise("derivations.linear_adapt", "Each step is θ ← θ − α(Aθ − c) with (A, c) = quadratic_form(x, y); "
          "loop k times (or use matrix powers).")
def _linear_adapt(fn) -> bool:
    """``fn(theta, x_support, y_support, inner_lr, inner_steps) -> Tensor`` must equal closed_form_adapt."""
    from ..tasks.linear import LinearTasks, closed_form_adapt

    ep = LinearTasks(dim=3).sample(torch.Generator().manual_seed(5), 1, k_shot=6, n_query=2).task(0)
    xs, ys = ep.x_support.double(), ep.y_support.double()
    theta = torch.linspace(-1, 1, 4, dtype=torch.double)
    want = closed_form_adapt(theta, xs, ys, 0.05, 4)
    got = fn(theta, xs, ys, 0.05, 4)
    return torch.is_tensor(got) and got.shape == want.shape and torch.allclose(got, want, rtol=1e-9, atol=1e-12)


@exercise("derivations.reptile_power", "Halving α divided the residual of the expansion by about 4 = 2^p: p is ...")
def _reptile_power(answer) -> bool:
    """The power of α in the residual of Reptile's second-order Taylor expansion (measured in lesson 03)."""
    from ..core.metagrad import loglog_slope
    from .derivations import reptile_taylor_check
    from ..models import MLP
    from ..tasks.sine import SineTasks

    torch.manual_seed(0)
    net = MLP((1, 8, 8, 1)).double()
    params = {k: v.detach() for k, v in net.named_parameters()}
    ep = SineTasks().sample(torch.Generator().manual_seed(0), 1, 20, 5).task(0)
    batches = [(ep.x_support[i::2].double(), ep.y_support[i::2].double()) for i in range(2)]
    alphas = [0.002, 0.001, 0.0005]
    slope = loglog_slope(alphas, reptile_taylor_check(net, params, batches, torch.nn.functional.mse_loss, alphas).residual)
    return isinstance(answer, (int, float)) and answer == round(slope)


# --- lesson 04 · pitfalls ---------------------------------------------------------------------------------

@exercise("pitfalls.fix_no_create_graph", "Copy WRONG_no_create_graph_meta_gradient and pass create_graph=True to "
          "torch.autograd.grad in the inner loop.")
def _fix_no_create_graph(fn) -> bool:
    """``fn`` (a meta-gradient function) must pass the finite-difference catcher."""
    from .pitfalls import catch_wrong_meta_gradient

    try:
        catch_wrong_meta_gradient(fn)
    except AssertionError:
        return False
    return True


@exercise("pitfalls.which_bug", "Run every catcher in PITFALLS on mystery_meta_gradient; compare it with each "
          "wrong function's output on the same inputs.")
def _which_bug(answer) -> bool:
    """Name (a key of PITFALLS) of the bug inside :func:`mystery_meta_gradient`."""
    return answer == _mystery_name()


def _mystery_name() -> str:
    return sorted(("average_support", "no_create_graph", "stale_forward"))[1]


def mystery_meta_gradient(model, params, episodes, loss_fn, inner_lr, inner_steps):
    """A meta-gradient function with one of lesson 04's bugs (exercise ``pitfalls.which_bug``)."""
    from .pitfalls import PITFALLS

    return PITFALLS[_mystery_name()].wrong(model, params, episodes, loss_fn, inner_lr, inner_steps)

# --- lesson 06: metric learning -------------------------------------------------------------------
@exercise("metric.prototypes", "c_k is the mean of the support embeddings whose label is k: mask by y == k, then mean.")
def _metric_prototypes(fn) -> bool:
    """``fn(z_support, y_support, n_way) -> [n_way, d]`` must equal ProtoNet's Eq. 1."""
    from ..learners.metric.protonet import prototypes

    g = torch.Generator().manual_seed(0)
    z, y = torch.randn(12, 4, generator=g), torch.randperm(12, generator=g) % 3
    got = fn(z, y, 3)
    return torch.is_tensor(got) and got.shape == (3, 4) and torch.allclose(got, prototypes(z, y, 3), atol=1e-6)


@exercise("metric.protonet_loss", "c_k = mean of the support embeddings of class k; logits = −‖z_query − c_k‖² "
          "(squared Euclidean); loss = cross_entropy(logits, y_query).")
def _metric_protonet_loss(fn):
    """``fn(z_support, y_support, z_query, y_query, n_way) -> scalar``: ProtoNet's training loss (Eq. 1-2 and
    Algorithm 1), compared in value and in gradient (with respect to both embeddings) with the package."""
    from ..learners.metric.protonet import prototypes, protonet_logits

    g = torch.Generator().manual_seed(2)
    n_way, k_shot, q = 4, 3, 2
    zs0, zq0 = torch.randn(n_way * k_shot, 5, generator=g), torch.randn(n_way * q, 5, generator=g)
    ys, yq = torch.arange(n_way).repeat(k_shot), torch.arange(n_way).repeat_interleave(q)

    def value_and_grads(loss_fn):
        zs, zq = zs0.clone().requires_grad_(), zq0.clone().requires_grad_()
        loss = loss_fn(zs, ys, zq, yq, n_way)
        if not (torch.is_tensor(loss) and loss.numel() == 1 and loss.requires_grad):
            return None
        grads = torch.autograd.grad(loss.reshape(()), [zs, zq], allow_unused=True)
        return (loss.detach().reshape(()), *(torch.zeros_like(z) if gz is None else gz for z, gz in zip((zs, zq), grads)))

    def ce(logits_fn):
        return lambda zs, ys_, zq, yq_, n: torch.nn.functional.cross_entropy(logits_fn(zs, ys_, zq, n), yq_)

    want = value_and_grads(ce(lambda zs, ys_, zq, n: protonet_logits(zq, prototypes(zs, ys_, n))))
    got = value_and_grads(fn)
    if got is None:
        return "return the loss as a scalar tensor that is still attached to the embeddings' graph."
    if all(torch.allclose(a, b, atol=1e-5) for a, b in zip(got, want)):
        return True
    dist = value_and_grads(ce(lambda zs, ys_, zq, n: -torch.cdist(zq, prototypes(zs, ys_, n))))
    if all(torch.allclose(a, b, atol=1e-5) for a, b in zip(got, dist)):
        return "that uses the Euclidean distance; ProtoNet's logits are minus the *squared* distance."
    if torch.allclose(got[0], want[0], atol=1e-5):
        return "the value is right but the gradient is not: did you detach the prototypes or the embeddings?"
    return False


@exercise("metric.linear_bias", "Expand −‖z − c_k‖² and keep the terms without z that depend on k.")
def _metric_linear_bias(fn) -> bool:
    """``fn(protos) -> b`` with b_k = −‖c_k‖², the bias of ProtoNet's linear-classifier form."""
    from ..learners.metric.protonet import linear_classifier

    protos = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))
    got = fn(protos)
    return torch.is_tensor(got) and got.shape == (5,) and torch.allclose(got, linear_classifier(protos)[1])


@exercise("metric.attention_ratio", "a_i ∝ exp(scale · cos_i): the ratio of two weights is exp(scale · (cos_1 − cos_2)).")
def _metric_attention_ratio(answer) -> bool:
    """Matching-network attention with scale 10: weight ratio of supports with cosines 0.9 and 0.5."""
    import math

    return abs(float(answer) - math.exp(10 * (0.9 - 0.5))) < 0.01 * math.exp(4.0)

# ---------------------------------------------------------------- lesson 07: MAML family on Omniglot
@exercise("maml_omniglot.zero_head_accuracy",
          "With a zero head every class gets the same logit; argmax returns the first class, 0. How many queries "
          "belong to class 0?")
def _zero_head_accuracy(fn) -> bool:
    """``fn(n_way)`` = accuracy of the transfer baseline's fresh zero head before any step (Q per class)."""
    from ..learners.optimisation.transfer import Transfer

    t = Transfer({"name": "mlp", "sizes": [4, 8]}, n_classes=6, in_shape=(4,))
    for n_way in (2, 5, 20):
        y = torch.arange(n_way).repeat(3)
        x = torch.randn(len(y), 4, generator=torch.Generator().manual_seed(n_way))
        got = (t.adapt(x, y, inner_steps=0)(x).argmax(1) == y).double().mean().item()
        if abs(float(fn(n_way)) - got) > 1e-9:
            return False
    return True


@exercise("maml_omniglot.first_step_head",
          "At W = 0 the softmax is uniform, so ∂L/∂W_c = (1/M) Σ_s (1/N − [y_s = c]) f_s; one step subtracts α times it.")
def _first_step_head(fn) -> bool:
    """``fn(features [M, d], labels [M], n_way, inner_lr) -> W [n_way, d]`` after one step from W = 0, b = 0."""
    g = torch.Generator().manual_seed(7)
    feats, labels = torch.randn(10, 6, generator=g, dtype=torch.float64), torch.arange(5).repeat(2)
    w = torch.zeros(5, 6, dtype=torch.float64, requires_grad=True)
    (grad_w,) = torch.autograd.grad(torch.nn.functional.cross_entropy(feats @ w.T, labels), w)
    got = fn(feats, labels, 5, 0.3)
    return torch.is_tensor(got) and got.shape == (5, 6) and torch.allclose(got.double(), -0.3 * grad_w)


@exercise("maml_omniglot.metasgd_numbers",
          "Meta-SGD learns θ and one α per coordinate of θ: count the entries of its checkpoint's state_dict.")
def _metasgd_numbers(answer) -> bool:
    """How many numbers the committed Meta-SGD Conv-4 meta-learns (θ and α together)."""
    from ..learners import load_learner
    from ..checkpoints import checkpoint_path

    learner = load_learner(checkpoint_path("metasgd_omniglot"))
    return answer == sum(p.numel() for p in learner.parameters())
