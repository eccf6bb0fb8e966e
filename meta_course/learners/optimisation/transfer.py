"""The transfer-learning baseline for few-shot classification: pretrain, then fine-tune a fresh head.

Pretraining (no episodes): one classifier g_φ ∘ f_θ over *every* training class c = 1..C,
    min_{θ,φ} E_{(x,c)} [ −log softmax(g_φ(f_θ(x)))_c ].
Adaptation to an N-way task: throw g_φ away, start a fresh head W = 0, b = 0 (N rows) on the
features f_θ(x) and take ``inner_steps`` gradient steps of size α on the support cross-entropy:
    (W, b) ← (W, b) − α ∇_{W,b} L_S(W f_θ(x) + b)        (``finetune="head"``: θ frozen)
or on (θ, W, b) together (``finetune="all"``). From W = 0 the first step gives
W_c ∝ mean_{s: y_s = c} f(s) − mean_s f(s): a nearest-class-mean classifier on the features,
which later steps sharpen. This is the "pretrained" baseline of the MAML paper's Table 1 and the
"Baseline" of Chen et al. (2019), who showed it is much stronger than early papers reported.

The pretraining data is :class:`~meta_course.tasks.omniglot.classes.OmniglotClasses` (task
family ``"omniglot_classes"``); the shared training loop drives it like any learner.

References:
    Finn et al. (2017), Section 5.2, Table 1 ("MAML ... compared to ... pretraining on all classes").
    Chen et al. (2019), "A closer look at few-shot classification", ICLR — Baseline (fixed body,
    new linear head trained on the support set).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.func import grad

from ...core.checks import check_choice, check_int
from ...core.functional import adapt as adapt_params
from ...core.functional import forward, pooled_loss, sgd_step
from ...core.heads import head_names, infer_n_way, zero_head
from ...models import build_model
from ..base import GradientLearner, Predictor

FINETUNE = ("head", "all")


class Transfer(GradientLearner):
    """Pretrain a classifier on all training classes; adapt by fine-tuning a fresh zero head.

    Args:
        model: spec of the body for :func:`~meta_course.models.build_model` with ``out_features``
            None (an embedding), e.g. ``{"name": "conv4", "out_features": None, "hidden": 64,
            "in_channels": 1}``.
        n_classes: classes of the pretraining classifier (training characters × 4 rotations).
        image_size: input side length (to size the head).
        inner_lr: α of the fine-tuning steps.
        inner_steps: fine-tuning steps (the default of :meth:`adapt`).
        finetune: ``"head"`` (body frozen, the default: fine-tuning 110k weights on 5 images
            over-fits) or ``"all"``.

    Example:
        >>> spec = {"name": "mlp", "sizes": [4, 8]}
        >>> t = Transfer(spec, n_classes=10, image_size=4, in_shape=(4,))
        >>> xs, ys = torch.randn(6, 4), torch.tensor([0, 1, 2, 0, 1, 2])
        >>> t.adapt(xs, ys, inner_steps=3)(xs).shape
        torch.Size([6, 3])
    """

    name = "transfer"

    def __init__(self, model: dict, n_classes: int, image_size: int = 28, inner_lr: float = 0.1,
                 inner_steps: int = 10, finetune: str = "head", in_shape: tuple | list | None = None):
        check_int("n_classes", n_classes, 2, fix="The pretraining classifier needs >= 2 classes.")
        check_int("image_size", image_size, 1, 4096, "The side of the input images in pixels; Omniglot uses 28.")
        check_choice("finetune", finetune, FINETUNE)
        body = build_model(model)
        shape = tuple(in_shape) if in_shape is not None else (model.get("in_channels", 1), image_size, image_size)
        with torch.no_grad():
            dim = body(torch.zeros(2, *shape)).shape[-1]
        super().__init__(nn.Sequential(body, nn.Linear(dim, n_classes)), "cross_entropy", inner_lr, inner_steps)
        self.config = dict(model=model, n_classes=n_classes, image_size=image_size, inner_lr=inner_lr,
                           inner_steps=inner_steps, finetune=finetune, in_shape=in_shape)
        self.finetune = finetune
        self.head = head_names(self.net)

    def meta_loss(self, episodes) -> Tensor:
        """Cross-entropy of the C-way classifier on every image of the batch (global labels)."""
        top = max((int(y.max()) for y in (episodes.y_support, episodes.y_query) if y.numel()), default=-1)
        if top >= self.config["n_classes"]:
            raise ValueError(f"label {top} >= n_classes={self.config['n_classes']}: the transfer baseline pretrains on "
                             "global class ids; use task family 'omniglot_classes' with the same split, part and "
                             "rotations as the recipe.")
        return pooled_loss(self.net, self.params(), episodes, self.loss_fn)

    def features(self, params: dict[str, Tensor], x: Tensor) -> Tensor:
        """f_θ(x): the body's embedding (batch statistics of ``x`` in its normalisation layers)."""
        body = {k[2:]: v for k, v in params.items() if k.startswith("0.")}
        return forward(self.net[0], body, x)

    def adapt(self, x_support, y_support, inner_steps: int | None = None, inner_lr: float | None = None,
              finetune: str | None = None, n_way: int | None = None) -> Predictor:
        """Fresh zero head with ``n_way`` rows, fine-tuned for ``inner_steps`` steps; trajectory kept."""
        steps = self.inner_steps if inner_steps is None else inner_steps
        lr = self.inner_lr if inner_lr is None else inner_lr
        mode = check_choice("finetune", self.finetune if finetune is None else finetune, FINETUNE)
        n = infer_n_way(y_support) if n_way is None else n_way
        params = zero_head(self.params(), self.head, n)
        if mode == "all":
            path = adapt_params(self.net, params, x_support, y_support, self.loss_fn, lr, steps, trajectory=True)
            return Predictor(self.net, path[-1], path)
        # Body frozen: the features are fixed, so the inner loop is logistic regression on them.
        check_int("inner_steps", steps, 0, 10_000, "Use 0 (the zero head) to 100.")
        feats = self.features(params, x_support).detach()
        w, b = self.head

        def support_loss(head):
            return self.loss_fn(nn.functional.linear(feats, head[w], head[b]), y_support)

        head, path = {w: params[w], b: params[b]}, [params]
        for _ in range(steps):
            g = grad(support_loss)(head)
            head = sgd_step(head, g, lr)
            path.append({**params, **head})
        return Predictor(self.net, path[-1], path)
