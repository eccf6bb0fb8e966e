"""The LSTM meta-learner (Ravi & Larochelle 2017, "Optimization as a Model for Few-Shot Learning").

Gradient descent θ_t = θ_{t−1} − α_t ∇L_t looks like the cell-state update of an LSTM (Eq. 2):
    c_t = f_t ⊙ c_{t−1} + i_t ⊙ c̃_t,    with  c_t = θ_t,  c̃_t = −∇_{θ_{t−1}} L_t,
so the learner's parameters *are* the cell state, the input gate i_t is a learned per-coordinate
learning rate and the forget gate f_t a learned shrinkage (weight decay) (Eq. 3-4):
    i_t = σ(W_I · [∇_{θ_{t−1}} L_t, L_t, θ_{t−1}, i_{t−1}] + b_I)
    f_t = σ(W_F · [∇_{θ_{t−1}} L_t, L_t, θ_{t−1}, f_{t−1}] + b_F)
The initial cell state c_0 = θ_0 is meta-learned too. W_I, W_F are *shared across coordinates*
(each coordinate is one row of a batch), so the meta-learner has a handful of weights whatever the
learner's size. Gradient and loss enter preprocessed (log/sign, :func:`~meta_course.core.coordinatewise.preprocess`),
and, as in the paper (Section 3.2), the learner's gradients are treated as inputs — no second
derivatives through ∇L_t; the meta-gradient flows through c_t and the gates.

Simplification (documented): the paper's meta-learner has a first, ordinary LSTM layer (hidden size
20) on the preprocessed (gradient, loss) before this cell; here the gates read the preprocessed
inputs directly, which is exactly Eq. 3-4 above.

References:
    Ravi & Larochelle (2017), ICLR, Eq. (2)-(4), Section 3.2 (parameter sharing, preprocessing,
    ignoring second derivatives), Algorithm 1.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.func import grad_and_value

from ...core.checks import check_int, check_range
from ...core.coordinatewise import flatten, preprocess, unflatten
from ...core.functional import task_loss
from ...models import build_model
from ..base import GradientLearner, Predictor


def gate(weight: Tensor, bias: Tensor, grad_features: Tensor, loss_features: Tensor, theta: Tensor,
         prev: Tensor) -> Tensor:
    """σ(W · [preprocess(∇), preprocess(L), θ, previous gate] + b) for every coordinate (Eq. 3/4).

    Args:
        weight: ``[6]`` shared weights; bias: ``[]``.
        grad_features: ``[n, 2]`` preprocessed gradient; loss_features: ``[2]`` preprocessed loss,
            the same for every coordinate; theta, prev: ``[n]``.
    """
    # the same as concatenating the 6 features and multiplying by W, without materialising [n, 6]
    shared = loss_features @ weight[2:4] + bias
    return torch.sigmoid(grad_features @ weight[:2] + weight[4] * theta + weight[5] * prev + shared)


def cell_update(theta: Tensor, grad: Tensor, forget: Tensor, input_: Tensor) -> Tensor:
    """The cell update that *is* the learner's parameter update (Eq. 2):

        c_t = f_t ⊙ c_{t−1} + i_t ⊙ c̃_t,   c_t = θ_t,   c̃_t = −∇_{θ_{t−1}} L_t.

    With f_t = 1 and i_t = α it is exactly the SGD step θ_t = θ_{t−1} − α∇L_t; learning f_t lets the
    meta-learner shrink the parameters (like weight decay), learning i_t gives a coordinate- and
    step-dependent learning rate.

    Example:
        >>> theta, g = torch.tensor([1.0, 2.0]), torch.tensor([0.5, -1.0])
        >>> cell_update(theta, g, forget=torch.ones(2), input_=torch.full((2,), 0.1))  # = θ − 0.1·∇
        tensor([0.9500, 2.1000])
    """
    return forget * theta - input_ * grad


def meta_lstm_step(theta: Tensor, grad: Tensor, loss: Tensor, i_prev: Tensor, f_prev: Tensor,
                   w_i: Tensor, b_i: Tensor, w_f: Tensor, b_f: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """One cell update c_t = f_t ⊙ c_{t−1} − i_t ⊙ ∇L_t (Eq. 2); returns (θ_t, i_t, f_t)."""
    grad_features, loss_features = preprocess(grad), preprocess(loss)
    i = gate(w_i, b_i, grad_features, loss_features, theta, i_prev)
    f = gate(w_f, b_f, grad_features, loss_features, theta, f_prev)
    return cell_update(theta, grad, f, i), i, f


class GatedPredictor(Predictor):
    """:meth:`MetaLSTM.adapt`'s result: a :class:`~meta_course.learners.base.Predictor` whose ``info`` also holds
    the input and forget gates of every cell update (``info["input_gate"][t]``, ``info["forget_gate"][t]``,
    one value per coordinate) — the learned step sizes and shrinkage a lesson plots."""

    def __init__(self, model, params, trajectory, input_gates: list, forget_gates: list):
        super().__init__(model, params, trajectory)
        self.input_gates, self.forget_gates = input_gates, forget_gates

    @property
    def info(self) -> dict:
        return {**super().info, "input_gate": self.input_gates, "forget_gate": self.forget_gates}


class MetaLSTM(GradientLearner):
    """The LSTM meta-learner: learned initial parameters c_0 and learned gated updates.

    Args:
        model, loss: the learner network spec and its loss (as :class:`~meta_course.learners.optimisation.maml.MAML`).
        inner_steps: T, updates per task during meta-training (and the default of :meth:`adapt`).
        input_bias, forget_bias: initial b_I, b_F. The paper starts with a small input gate and a forget
            gate close to 1 so that the first updates are small gradient steps without decay:
            σ(−4.6) ≈ 0.01 (a step size), σ(5) ≈ 0.993.

    References:
        Ravi & Larochelle (2017), Eq. (2)-(4), Algorithm 1.

    Example:
        >>> import torch
        >>> from meta_course.tasks.sine import SineTasks
        >>> m = MetaLSTM({"name": "mlp", "sizes": [1, 40, 40, 1]}, inner_steps=3)
        >>> ep = SineTasks().sample(torch.Generator().manual_seed(0), 2, k_shot=5)
        >>> len(m.adapt(ep.x_support[0], ep.y_support[0]).trajectory)
        4
    """

    name = "meta-lstm"

    def __init__(self, model: dict, loss: str = "mse", inner_steps: int = 5, input_bias: float = -4.6,
                 forget_bias: float = 5.0):
        # no inner_lr (the input gate is the step size) and no first_order switch (Section 3.2: always first order)
        for name, value in (("input_bias", input_bias), ("forget_bias", forget_bias)):
            check_range(name, value, -50.0, 50.0, "An initial gate bias (sigmoid logit); the paper uses -4.6 and 5.")
        super().__init__(build_model(model), loss, inner_lr=None, inner_steps=inner_steps, first_order=True)
        self.config = dict(model=model, loss=loss, inner_steps=inner_steps, input_bias=input_bias,
                           forget_bias=forget_bias)
        # c_0: the learned initial parameters live in the network itself (self.net), as for MAML.
        self.w_i = nn.Parameter(torch.zeros(6))
        self.w_f = nn.Parameter(torch.zeros(6))
        self.b_i = nn.Parameter(torch.tensor(float(input_bias)))
        self.b_f = nn.Parameter(torch.tensor(float(forget_bias)))

    def adapt(self, x_support, y_support, inner_steps: int | None = None, inner_lr=None, first_order=None):
        """θ_0 → θ_T by T meta-LSTM cell updates on the support set.

        ``inner_lr`` is not a knob of this learner (the input gate *is* the learning rate): passing one
        raises, rather than being silently ignored.
        """
        if inner_lr is not None:
            raise ValueError(f"inner_lr={inner_lr!r}: the meta-LSTM learns its own step sizes (input gate); "
                             "drop inner_lr, or use MAML/Meta-SGD to set one.")
        steps = check_int("inner_steps", self.inner_steps if inner_steps is None else inner_steps, 0, 10_000)
        like = self.params()
        theta = flatten(like)
        i_prev = f_prev = torch.zeros_like(theta)
        loss_and_grad = grad_and_value(lambda p: task_loss(self.net, p, x_support, y_support, self.loss_fn))
        path, input_gates, forget_gates = [like], [], []
        for _ in range(steps):
            g, loss = loss_and_grad(unflatten(theta, like))
            g, loss = flatten(g).detach(), loss.detach()  # Section 3.2: gradients are inputs, no 2nd order
            theta, i_prev, f_prev = meta_lstm_step(theta, g, loss, i_prev, f_prev, self.w_i, self.b_i,
                                                   self.w_f, self.b_f)
            path.append(unflatten(theta, like))
            input_gates.append(i_prev)
            forget_gates.append(f_prev)
        return GatedPredictor(self.net, path[-1], path, input_gates, forget_gates)

    def meta_loss(self, episodes, use_vmap: bool = True) -> Tensor:
        """Mean query loss after T cell updates (Algorithm 1, line 12), through c_t and the gates."""
        pred = self.predict(episodes) if use_vmap else torch.stack(
            [self.adapt(episodes.x_support[i], episodes.y_support[i])(episodes.x_query[i])
             for i in range(episodes.n_tasks)])
        return torch.stack([self.loss_fn(p, y) for p, y in zip(pred, episodes.y_query)]).mean()
