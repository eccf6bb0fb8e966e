"""MetaGAN: a few-shot classifier that is also the discriminator of a task-conditioned GAN (Zhang et al. 2018).

The N-way classifier of an episode becomes an (N+1)-way discriminator: besides the N classes of the
task, class N+1 is "generated". A generator G(z, h) conditioned on the task (h: here the mean embedding
of the support set) produces fake drawings *for this task*; the classifier must give them to class
N+1, and real queries to one of the N real classes. The argument of the paper: fakes that look like the
task but belong to none of its classes force sharper class boundaries around the real data, so the
classifier learns from the adversary even when no extra labels exist.

On top of ProtoNet the N real logits stay −‖f(x) − c_k‖² (Snell et al. Eq. 2). The fake class gets one
learned logit b — a distance threshold: a query far from every prototype (Σ_k e^{−d_k} small beside e^b)
is called generated. With ℓ_k the real logits and LSE the log-sum-exp,

    p(fake | x) = e^b / (e^b + Σ_k e^{ℓ_k}),
    L_D = CE_N(ℓ(x_q), y_q)                        (the supervised ProtoNet loss, unchanged)
        + λ ( E_{x_q} softplus(b − LSE ℓ(x_q))     ( = −log(1 − p(fake | x_q)), real queries)
            + E_z softplus(LSE ℓ(G(z,h)) − b) )    ( = −log p(fake | G(z, h)), generated)

the semi-supervised GAN discriminator loss of Salimans et al. (2016), with the generator trained by
*feature matching* — ‖E f(x_q) − E f(G(z, h))‖² in the classifier's embedding (Salimans et al., §3.1).

Batch statistics. The course's Conv-4 normalises with the statistics of its batch; in training the
support set, the queries and the fakes of an episode form one batch (one forward pass for every term),
so the fakes also shift the statistics the real drawings are normalised with. At test time MetaGAN *is*
a ProtoNet on real drawings only: the fake class and the generator are not used, only the embedding
they shaped.

References:
    Zhang, Tan, Song, Yu, Ermon & Song (2018), "MetaGAN: An Adversarial Approach to Few-Shot Learning",
    NeurIPS, Section 3 ((N+1)-way discriminator, task-conditioned generator). Salimans et al. (2016),
    "Improved Techniques for Training GANs", NeurIPS, Sections 3.1 (feature matching) and 5
    (semi-supervised learning with K+1 classes). Snell et al. (2017), Eq. (1)–(2).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.functional import cross_entropy, softplus

from ...core.checks import check_int, check_positive
from ...core.heads import infer_n_way
from ...models import build_model
from ..metric.protonet import ProtoNet, prototypes, protonet_logits


def real_fake_losses(real_logits: Tensor, fake_logits: Tensor, fake_bias: Tensor) -> tuple[Tensor, Tensor]:
    """``(E −log(1 − p_fake(x_real)), E −log p_fake(x_fake))`` from N real-class logits and the fake logit b.

    Example:
        >>> r, f = real_fake_losses(torch.zeros(1, 2), torch.zeros(1, 2), torch.tensor(0.0))
        >>> [round(float(v), 4) for v in (r, f)]          # p_fake = 1/3 for both: −log(2/3), −log(1/3)
        [0.4055, 1.0986]
    """
    lse_real = torch.logsumexp(real_logits, -1)
    lse_fake = torch.logsumexp(fake_logits, -1)
    return softplus(fake_bias - lse_real).mean(), softplus(lse_fake - fake_bias).mean()


def n_plus_one_probabilities(class_logits: Tensor, fake_bias: Tensor) -> Tensor:
    """Softmax over the N class logits and the fake logit b: ``[Q, N]`` → ``[Q, N + 1]`` (last column: fake)."""
    b = fake_bias.expand(*class_logits.shape[:-1], 1)
    return torch.softmax(torch.cat([class_logits, b], -1), -1)


def feature_matching(z_real: Tensor, z_fake: Tensor) -> Tensor:
    """‖E f(x) − E f(G(z))‖² (Salimans et al. 2016, §3.1); the real features are a fixed target."""
    return (z_real.detach().mean(0) - z_fake.mean(0)).pow(2).sum()


class MetaGAN(ProtoNet):
    """ProtoNet trained as the (N+1)-way discriminator of a task-conditioned generator.

    Args:
        model: the embedding network spec (as ProtoNet).
        generator: a conditional generator spec, e.g. ``{"name": "gan_conv_generator", "cond_dim": 64}``
            (``cond_dim`` must equal the embedding size).
        gan_weight: λ, the weight of the real/fake terms in the classifier's loss.
        n_fake: generated drawings per episode.
        distance, scale, halve_lr_every: as :class:`ProtoNet`.

    Example:
        >>> net = MetaGAN({"name": "conv4", "out_features": None, "hidden": 8},
        ...               {"name": "gan_conv_generator", "cond_dim": 8, "channels": 4, "z_dim": 8})
        >>> sorted(net.optimizers(1e-3))
        ['classifier', 'generator']
    """

    distributed = False  # its own meta_step (classifier and generator), not split across processes yet

    name = "metagan"

    def __init__(self, model: dict, generator: dict, gan_weight: float = 1.0, n_fake: int = 30,
                 distance: str = "euclidean", scale: float = 10.0, halve_lr_every: int = 0):
        super().__init__(model, distance, scale, halve_lr_every)
        self.gan_weight = check_positive("gan_weight", gan_weight, "λ weighs the real/fake terms; 1 is the usual start.")
        self.n_fake = check_int("n_fake", n_fake, 1, 1000, "Generated drawings per episode, e.g. one per class.")
        self.generator = build_model(generator)
        z_dim = int(torch.as_tensor(self.embed(torch.zeros(2, 1, 28, 28))).shape[-1])
        if getattr(self.generator, "cond_dim", 0) != z_dim:
            raise ValueError(f"the generator's cond_dim must equal the embedding size {z_dim} (it is conditioned on the "
                             f"task's mean support embedding); got {generator}. Set cond_dim={z_dim}.")
        self.fake_bias = nn.Parameter(torch.zeros(()))
        self.config.update(generator=dict(generator), gan_weight=gan_weight, n_fake=n_fake)

    def optimizers(self, outer_lr: float) -> dict[str, torch.optim.Optimizer]:
        """``{"classifier": Adam(embedding, b), "generator": Adam(G, β₁ = 0.5)}``, both with step size β."""
        classifier = [p for n, p in self.named_parameters() if not n.startswith("generator.")]
        return {"classifier": torch.optim.Adam(classifier, lr=outer_lr),
                "generator": torch.optim.Adam(self.generator.parameters(), lr=outer_lr, betas=(0.5, 0.999))}

    def task_representation(self, z_support: Tensor) -> Tensor:
        """h: the mean support embedding ``[1, d]`` (the generator reads the task, it does not shape it)."""
        return z_support.detach().mean(0, keepdim=True)

    def episode_losses(self, x_support: Tensor, y_support: Tensor, x_query: Tensor, y_query: Tensor) -> dict:
        """Supervised, real, fake and feature-matching losses of one episode (see the module docstring)."""
        n_way, n_s, n_q = infer_n_way(y_support), x_support.shape[0], x_query.shape[0]
        with torch.no_grad():   # h: what the task looks like, from its support set alone
            h = self.task_representation(self.embed(x_support))
        z = torch.randn(self.n_fake, self.generator.z_dim, device=x_support.device)
        fakes = self.generator(z, h.expand(self.n_fake, -1))
        z_all = self.embed(torch.cat([x_support, x_query, fakes]))       # one batch: reals and fakes together
        protos = prototypes(z_all[:n_s], y_support, n_way)
        real_logits = protonet_logits(z_all[n_s:n_s + n_q], protos, self.distance, self.scale)
        fake_logits = protonet_logits(z_all[n_s + n_q:], protos, self.distance, self.scale)
        real, fake = real_fake_losses(real_logits, fake_logits, self.fake_bias)
        return {"supervised": cross_entropy(real_logits, y_query), "real": real, "fake": fake,
                "feature_matching": feature_matching(z_all[n_s:n_s + n_q], z_all[n_s + n_q:]),
                "p_fake_real": n_plus_one_probabilities(real_logits.detach(), self.fake_bias.detach())[:, -1].mean(),
                "p_fake_fake": n_plus_one_probabilities(fake_logits.detach(), self.fake_bias.detach())[:, -1].mean()}

    def meta_step(self, batch, optimizers: dict) -> dict[str, float]:
        """One simultaneous step of both players on a batch of episodes.

        The classifier descends L_D; the generator descends the feature-matching loss, its gradient
        taken from the same forward pass (the fakes are not detached, and each player's gradient is
        taken with respect to its own parameters only).
        """
        parts = [self.episode_losses(*batch.task(i)) for i in range(batch.n_tasks)]
        mean = {k: torch.stack([p[k] for p in parts]).mean() for k in parts[0]}
        loss_d = mean["supervised"] + self.gan_weight * (mean["real"] + mean["fake"])
        loss_g = mean["feature_matching"]
        classifier = [p for n, p in self.named_parameters() if not n.startswith("generator.")]
        gen = list(self.generator.parameters())
        grads_d = torch.autograd.grad(loss_d, classifier, retain_graph=True, allow_unused=True)
        grads_g = torch.autograd.grad(loss_g, gen)
        for p, g in zip(classifier + gen, list(grads_d) + list(grads_g)):
            p.grad = g
        if getattr(self, "clip_grad_norm", 0.0):
            torch.nn.utils.clip_grad_norm_(classifier, self.clip_grad_norm)
        for opt in optimizers.values():
            opt.step()
        return {"loss": mean["supervised"].item(), "critic": loss_d.item(), "generator": loss_g.item(),
                "p_fake_real": mean["p_fake_real"].item(), "p_fake_fake": mean["p_fake_fake"].item()}


__all__ = ["MetaGAN", "feature_matching", "n_plus_one_probabilities", "real_fake_losses"]
