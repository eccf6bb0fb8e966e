"""The errata of the five source articles (lesson 15): what each says, what is right, and a numeric check.

:data:`ERRATA` is the table — one :class:`Erratum` per error, with the short phrase or formula at issue
quoted from its article (``tests/test_errata.py`` checks every quote against the article files when
they are present), the correction, the lesson that teaches the right version, and the name of the
function below that checks it. :data:`TAXONOMY` reconciles how the articles file the algorithms into
families. The ``check_*`` functions run small seeded problems with the package and return the numbers
the lesson asserts on.

The articles (Chinese) are described in the project's ``seeds/README.md``; they are not part of the
package. Only the phrase at issue is quoted, never their sentences or code.

References:
    Finn, Abbeel & Levine (2017), "Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks",
    ICML (UC Berkeley and OpenAI) — Eq. (1)-(3). Vinyals et al. (2016), "Matching Networks for One Shot
    Learning", Eq. (1)-(2). Snell et al. (2017), "Prototypical Networks", Eq. (1)-(2). Ravi & Larochelle
    (2017), "Optimization as a Model for Few-Shot Learning", Eq. (2)-(4). Graves, Wayne & Danihelka
    (2014), "Neural Turing Machines". Lake et al. (2015), Science (Omniglot). Li et al. (2017),
    "Meta-SGD". Lee & Choi (2018), "Gradient-Based Meta-Learning with Learned Layerwise Metric and
    Subspace" (MT-net). Munkhdalai & Yu (2017), "Meta Networks". Lee et al. (2019), "Meta-Learning with
    Differentiable Convex Optimization" (MetaOptNet). Garnelo et al. (2018), "Conditional Neural
    Processes". Hospedales et al. (2021), "Meta-Learning in Neural Networks: A Survey", IEEE TPAMI.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn
from torch.func import functional_call

#: the source articles (file names in the project's seeds folder), with a short name for tables
ARTICLES: dict[str, str] = {
    "000_173a952c172f036d.txt": "A0 · meta- and transfer learning",
    "001_dfa118c3fbdc5ab5.txt": "A1 · learning new tasks faster",
    "002_20ce13fa6d20724b.txt": "A2 · overview, MAML code, meta-LSTM",
    "003_83ec3df623c75040.txt": "A3 · fine-tunable models",
    "004_817b854d3093cd2f.txt": "A4 · meta-learning and GANs",
}
A0, A1, A2, A3, A4 = ARTICLES


class Erratum(NamedTuple):
    """One error of a source article.

    Attributes:
        key: short identifier.
        article: file name of the article (a key of :data:`ARTICLES`).
        quote: the phrase or formula at issue, verbatim; several fragments are joined by `` … ``.
        says: what the quote claims, in English.
        right: what is right.
        lesson: the notebook stem of the lesson that teaches the right version (and its section).
        check: the name of the function of this module that checks it numerically ("" when a check is
            not possible: a name, a citation).
    """

    key: str
    article: str
    quote: str
    says: str
    right: str
    lesson: str
    check: str

    @property
    def section(self) -> int:
        """The section of lesson 15 that discusses (and, with ``check``, checks) this erratum."""
        return SECTIONS[self.key]

    @property
    def number(self) -> int:
        """The erratum's number in lesson 15's table (1-based, the order of :data:`ERRATA`); lessons cite it."""
        return ERRATA.index(self) + 1


ERRATA: tuple[Erratum, ...] = (
    # --- where the algorithms belong ------------------------------------------------------------------
    Erratum("maml_model_based", A0, "基于模型的元学习 … 代表性算法包括 MAML、Reptile 等",
            "MAML and Reptile are model-based (and Reptile is optimisation-based too, a section later)",
            "Both are optimisation-based: adaptation *is* gradient descent from a meta-learned start. Model-based "
            "(black-box) learners read the support set with a network (MANN, SNAIL, CNP).",
            "01_maml_sine §2", "check_maml_is_gradient_descent"),
    Erratum("maml_model_based_a2", A2, "MAML是一种基于模型学习的元学习算法",
            "MAML is a model-based algorithm", "Optimisation-based, as above.", "01_maml_sine §2",
            "check_maml_is_gradient_descent"),
    Erratum("protonet_memory_based", A1, "基于记忆的元学习 … Matching Networks、Proto-Net",
            "Matching and Prototypical networks are memory-based",
            "Metric-based: a query is classified by distances (or attention) in a learned embedding; nothing is "
            "written to or read from a memory, and the prediction does not depend on the order of the support set.",
            "06_metric_learning §2", "check_protonet_is_metric"),
    Erratum("supervision_family", A1, "基于监督的元学习 … Meta-SGD、Metro",
            "a 'supervision-based' family with Meta-SGD (and 'Metro')",
            "No such family: every family here is trained on supervised query losses. Meta-SGD is "
            "optimisation-based — MAML with a learned step size per coordinate, θ′ = θ − α ⊙ ∇L.",
            "05_optimisation_family §2", "check_metasgd_is_gradient_descent"),
    Erratum("metro", A1, "Meta-SGD、Metro",
            "an algorithm called Metro",
            "No published meta-learning algorithm is called Metro. Nearest real candidates: MT-net (Lee & Choi "
            "2018; like Meta-SGD it learns how the gradient step is taken — the likeliest meaning beside "
            "Meta-SGD), Meta Networks (MetaNet, Munkhdalai & Yu 2017) and MetaOptNet (Lee et al. 2019). A name "
            "with no paper has no equations, settings or results to reproduce, so the course cannot teach it.",
            "15_errata §6", ""),
    Erratum("rl_family", A1, "基于强化学习的元学习 … RL2、PEARL",
            "reinforcement learning is a family of meta-learning methods",
            "RL is a setting, not a family: RL² is model-based (a recurrent policy), MAML-RL optimisation-based, "
            "PEARL model-based with a probabilistic task encoder.",
            "11_meta_rl_bandits", "check_rl2_is_model_based"),
    # --- MAML's objective and gradient ----------------------------------------------------------------
    Erratum("objective_inner_min", A1,
            r"\left[ \min_{\theta_i'} \mathcal{L}_{\mathcal{T}_i}(\theta_i') \right]",
            "the meta-objective is E[min over θ′ of L(θ′)]",
            "min_θ E_T[L_T(θ − α∇L_T(θ))]: a fixed number of gradient steps, no inner minimum. With the minimum "
            "inside, the objective no longer depends on θ, and its gradient is zero.",
            "01_maml_sine §3", "check_inner_min_objective"),
    Erratum("objective_taylor", A1,
            r"\mathcal{L}_{\mathcal{T}_i}(\theta) - \alpha \nabla_\theta \mathcal{L}_{\mathcal{T}_i}(\theta)",
            "the final objective is L(θ) − α∇L(θ)",
            "L(θ − α∇L(θ)), the loss *at* the adapted parameters. The printed form subtracts a vector from a "
            "scalar; its nearest reading, L(θ) − α‖∇L(θ)‖², is only the first-order Taylor expansion (error O(α²)).",
            "01_maml_sine §3", "check_objective_taylor"),
    Erratum("meta_gradient_formula", A1,
            r"\nabla_\theta \mathcal{L}_{\mathcal{T}_i}(\theta) - \alpha \nabla_\theta \nabla_\theta "
            r"\mathcal{L}_{\mathcal{T}_i}(\theta)",
            "∇_θ L(θ′) = ∇L(θ) − α∇∇L(θ)",
            "(I − α∇²L_s(θ)) ∇L_q(θ′): the Hessian multiplies the query gradient taken at the adapted θ′. The "
            "printed form's error grows like α — as large as dropping the Hessian altogether.",
            "03_derivations §2", "check_meta_gradient_formula"),
    Erratum("averaged_support_gradients", A1, "torch.stack(task_grads).mean(0)",
            "the meta-gradient is the mean of the support-set gradients",
            "The meta-gradient is the mean of ∇_θ L_q(θ′_i): query loss, after adaptation, through the inner step. "
            "The mean support gradient is the gradient of joint pretraining.",
            "04_pitfalls §1", "check_averaged_support_gradients"),
    Erratum("data_inplace", A2, "param.data -= self.inner_lr * param.grad.data",
            "an inner step written on .data", "A functional step θ′ = θ − α∇L returning new tensors. A .data write "
            "is invisible to autograd: the gradient lacks the (I − α∇²L) factor (silently first order) and θ "
            "itself is overwritten.", "04_pitfalls §2", "check_data_inplace"),
    Erratum("range_inner_lr", A2, "range(self.inner_lr)",
            "loop over range(inner_lr)", "range(inner_steps): range(0.01) raises TypeError, and range(int(0.01)) "
            "takes zero steps — θ′ = θ, silently.", "04_pitfalls §4", "check_range_inner_lr"),
    Erratum("joint_objective", A0, r"\min_\theta \sum_i \mathcal{L}(\mathcal{T}_i, f_\theta)",
            "the model-based meta-objective is the sum of the tasks' losses at θ (then fine-tune)",
            "That is joint pretraining (transfer learning): adaptation is not in the objective. The meta-objective "
            "puts it inside: Σ_i L(T_i, f_{U(θ, S_i)}). Fine-tuned for 10 steps, the jointly trained sine network "
            "stays many times worse than MAML.", "01_maml_sine §5", "check_joint_objective"),
    Erratum("maml_cost", A4, "计算开销较大,因为它需要在每个任务上执行多次梯度更新",
            "MAML is expensive because it takes several gradient steps per task",
            "First-order MAML and Reptile take the same steps. What costs is back-propagating *through* them: "
            "second-order memory grows with every inner step, first order stays flat.",
            "03_derivations §5", "check_maml_cost"),
    # --- the metric family and the meta-LSTM ------------------------------------------------------------
    Erratum("matching_no_softmax", A4, r"\hat{y}_j = \sum_{(x_i, y_i) \in S} c(x_j, x_i) y_i",
            "the prediction is the cosine-weighted sum of the support labels",
            "The weights are a softmax over the cosines (Vinyals et al., Eq. 2). Raw cosines can be negative "
            "and do not sum to one: the 'probabilities' fall outside [0, 1].",
            "06_metric_learning §4", "check_matching_softmax"),
    Erratum("meta_lstm_linear", A2, r"\alpha_{t}, g_{t} = W_{h}h_{t} + b_{h}",
            "the meta-LSTM outputs a learning rate and a gradient direction with a linear layer",
            "The learner's weights are the cell state, c_t = f_t ⊙ c_{t−1} + i_t ⊙ (−∇L_t); the step size is the "
            "input gate i_t = σ(·) ∈ (0, 1) and the direction is the gradient itself (Ravi & Larochelle, "
            "Eq. 2-4). A linear output can be negative: a step uphill.", "17_learned_optimisers §1",
            "check_meta_lstm_gates"),
    # --- names and credits -----------------------------------------------------------------------------
    Erratum("ntm_name", A4, "神经算法机",
            "the NTM is a 'neural algorithm machine'",
            "神经图灵机, the neural Turing machine (Graves, Wayne & Danihelka 2014): a controller with a memory "
            "tape addressed by content and by location — a shift moves the head one slot, like a Turing "
            "machine's.", "09_ntm_dnc", "check_ntm_shift"),
    Erratum("neural_context_learners", A4, "神经上下文学习器",
            "a model-based method called 'neural context learners'",
            "No published model has that name. Nearest: conditional neural processes (Garnelo et al. 2018), which "
            "predict from a context set (lesson 10), and SNAIL (Mishra et al. 2018).", "10_neural_processes", ""),
    Erratum("google_brain", A3, "由Google Brain提出",
            "MAML was proposed by Google Brain",
            "Finn, Abbeel & Levine, UC Berkeley (Abbeel also OpenAI), ICML 2017.", "01_maml_sine", ""),
    # --- Omniglot ---------------------------------------------------------------------------------------
    Erratum("omniglot_64_20", A3, "64个训练类别和20个验证类别",
            "Omniglot is split into 64 training and 20 validation classes",
            "Omniglot has 1 623 characters; Vinyals et al. train on 1 200 (×4 rotations) and test on 423 "
            "(the course: 1 028 / 172 / 423, or by alphabet). 64/16/20 is miniImageNet's class split.",
            "02_omniglot §2", "check_omniglot_split"),
    Erratum("conv4_fc", A3, "4个卷积层和2个全连接层",
            "the network has 4 conv layers and 2 fully connected layers",
            "Conv-4: four blocks of 3×3 conv, batch norm, ReLU, 2×2 max-pool, then one linear layer (MAML) or "
            "none (ProtoNet, Matching: the 64-d output is the embedding).", "06_metric_learning §1",
            "check_conv4_layers"),
    Erratum("n_way_k_shot", A3, "随机采样k个类别 … n个样本作为支持集",
            "k classes per task and n support examples",
            "N-way K-shot: N classes, K labelled examples of *each*, N·K support examples.", "02_omniglot §3",
            "check_n_way_k_shot"),
    Erratum("evaluate_on_validation", A3, "在20个验证类别上进行fine-tuning和评估",
            "fine-tune and evaluate on the validation classes",
            "Validation classes choose settings; the reported score comes from test classes never used for a "
            "choice (the course: Balinese validates, Sanskrit tests).", "07_maml_omniglot §5",
            "check_disjoint_parts"),
    # --- claims -----------------------------------------------------------------------------------------
    Erratum("no_data", A4, "从少量数据或无数据中",
            "meta-learning learns new tasks from few *or no* data",
            "Few, not none: with no example nothing identifies the task, and the model predicts the same for "
            "every task. Learning with no example of a class (zero-shot) needs side information.",
            "01_maml_sine §5", "check_no_data"),
    Erratum("completely_different_tasks", A4, "在完全不同的任务之间进行知识迁移",
            "meta-learning transfers between completely different tasks",
            "Meta-learning assumes the new task comes from the training task distribution p(T). Sine phases it "
            "never saw already make MAML many times worse.", "01_maml_sine §1", "check_out_of_distribution"),
    Erratum("fine_tuning_worse", A3, "相比于直接在少量样本上fine-tuning",
            "meta-learning beats fine-tuning (higher accuracy)",
            "Not always: on the course's Omniglot budget the transfer baseline (pretrain + fine-tune a fresh head) "
            "beats first-order MAML and Reptile at 5-way 1-shot and MAML on Lake's runs.", "07_maml_omniglot §6",
            "check_fine_tuning_baseline"),
)


def numbers(lesson: str) -> list[int]:
    """The numbers of the errata whose right version ``lesson`` (a notebook stem) teaches.

    Example:
        >>> numbers("04_pitfalls")
        [10, 11, 12]
    """
    return [e.number for e in ERRATA if e.lesson.split()[0] == lesson]


#: erratum key -> the section of lesson 15 where it is discussed and checked
SECTIONS: dict[str, int] = {
    "maml_model_based": 1, "maml_model_based_a2": 1, "protonet_memory_based": 1, "supervision_family": 1,
    "rl_family": 1, "objective_inner_min": 2, "objective_taylor": 2, "meta_gradient_formula": 3,
    "averaged_support_gradients": 3, "data_inplace": 3, "range_inner_lr": 3, "matching_no_softmax": 4,
    "meta_lstm_linear": 4, "omniglot_64_20": 5, "conv4_fc": 5, "n_way_k_shot": 5, "evaluate_on_validation": 5,
    "metro": 6, "ntm_name": 6, "neural_context_learners": 6, "google_brain": 6, "joint_objective": 7,
    "maml_cost": 7, "no_data": 7, "completely_different_tasks": 7, "fine_tuning_worse": 7,
}


# --------------------------------------------------------------------------------------------------------
# The taxonomy, reconciled
# --------------------------------------------------------------------------------------------------------

#: the four families of the course (the articles' own four names); many references merge the last two
FAMILIES: dict[str, str] = {
    "optimisation": "optimisation-based (基于优化): adaptation is an optimiser — learn its start, step sizes or rule",
    "metric": "metric-based (基于度量): learn an embedding; a fixed rule compares queries with the support set",
    "model": "model-based / black box (基于模型): a network reads the support set and outputs the predictor",
    "memory": "memory-based (基于记忆): model-based learners with an external, addressable memory",
}


class Filing(NamedTuple):
    """Where one article files one algorithm: the family label it uses and the phrase that says so."""

    label: str
    quote: str


class TaxonomyRow(NamedTuple):
    algorithm: str
    family: str            # a key of FAMILIES
    lesson: str            # the lesson that teaches it
    filings: dict          # article file name -> Filing


TAXONOMY: tuple[TaxonomyRow, ...] = (
    TaxonomyRow("MAML", "optimisation", "01_maml_sine", {
        A0: Filing("model-based", "代表性算法包括 MAML、Reptile 等"),
        A1: Filing("optimisation-based", "代表算法包括 MAML、Reptile 等"),
        A2: Filing("model-based", "MAML是一种基于模型学习的元学习算法"),
        A4: Filing("optimisation-based", "基于优化的方法:如模型无关的元学习")}),
    TaxonomyRow("Reptile", "optimisation", "05_optimisation_family", {
        A0: Filing("model-based and optimisation-based", "代表性算法包括 LSTM Meta-Learner、Reptile 等"),
        A1: Filing("optimisation-based", "代表算法包括 MAML、Reptile 等"),
        A4: Filing("a cheaper MAML", "First-Order MAML、Reptile")}),
    TaxonomyRow("Meta-SGD", "optimisation", "05_optimisation_family", {
        A1: Filing("supervision-based", "Meta-SGD、Metro")}),
    TaxonomyRow("LSTM meta-learner", "optimisation", "17_learned_optimisers", {
        A0: Filing("optimisation-based", "代表性算法包括 LSTM Meta-Learner、Reptile 等"),
        A2: Filing("optimisation-based", "Meta-LSTM是一种基于优化学习的元学习算法")}),
    TaxonomyRow("Siamese network", "metric", "06_metric_learning", {
        A0: Filing("metric-based", "代表性算法包括 Siamese Nets、Matching Nets 等")}),
    TaxonomyRow("Matching network", "metric", "06_metric_learning", {
        A0: Filing("metric-based", "代表性算法包括 Siamese Nets、Matching Nets 等"),
        A1: Filing("memory-based", "Matching Networks、Proto-Net"),
        A4: Filing("metric-based", "基于度量的方法:如匹配网络(Matching Networks)和原型网络")}),
    TaxonomyRow("Prototypical network", "metric", "06_metric_learning", {
        A1: Filing("memory-based", "Matching Networks、Proto-Net"),
        A4: Filing("metric-based", "基于度量的方法:如匹配网络(Matching Networks)和原型网络")}),
    TaxonomyRow("MANN", "memory", "08_memory_augmented", {
        A0: Filing("memory-based", "代表性算法包括 Memory-Augmented Neural Networks、Differentiable Neural Computer 等")}),
    TaxonomyRow("NTM", "memory", "09_ntm_dnc", {
        A4: Filing("model-based", "基于模型的方法:如神经算法机(Neural Turing Machines)")}),
    TaxonomyRow("DNC", "memory", "09_ntm_dnc", {
        A0: Filing("memory-based", "代表性算法包括 Memory-Augmented Neural Networks、Differentiable Neural Computer 等")}),
    TaxonomyRow("conditional neural process", "model", "10_neural_processes", {
        A4: Filing("model-based, as 'neural context learners'?", "神经上下文学习器(Neural Context Learners)")}),
    TaxonomyRow("RL²", "model", "11_meta_rl_bandits", {
        A1: Filing("RL-based", "RL2、PEARL")}),
    TaxonomyRow("PEARL", "model", "12_maml_rl_and_pearl", {
        A1: Filing("RL-based", "RL2、PEARL")}),
    TaxonomyRow("'Metro'", "", "15_errata", {
        A1: Filing("supervision-based", "Meta-SGD、Metro")}),
)


# --------------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------------

def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _lesson_link(lesson: str) -> str:
    """``"01_maml_sine §3"`` -> a markdown link to the notebook, labelled ``01 §3``."""
    stem, _, section = lesson.partition(" ")
    return f"[{stem[:2]}{' ' + section if section else ''}]({stem}.ipynb)"


def errata_markdown() -> str:
    """The errata table: # | article | what it says (quote) | what is right | taught in | checked in (§ of lesson 15)."""
    rows = ["| # | article | what it says | what is right | taught in | checked in |", "|---|---|---|---|---|---|"]
    for i, e in enumerate(ERRATA, 1):
        quote = e.quote if not e.quote.isascii() else f"`{e.quote}`"
        if "\\" in e.quote:  # a formula: show it as math
            quote = "$" + e.quote.replace(" … ", "$ … $") + "$"
        check = f"§{e.section}" + (f" `{e.check}`" if e.check else "")
        rows.append(f"| {i} | A{e.article[2]} | {_cell(quote)} ({_cell(e.says)}) | {_cell(e.right)} | "
                    f"{_lesson_link(e.lesson)} | {check} |")
    return "\n".join(rows)


def taxonomy_markdown() -> str:
    """Where each article files each algorithm, beside the course's family."""
    names = {"optimisation": "optimisation-based", "metric": "metric-based", "model": "model-based",
             "memory": "memory-based", "": "—"}
    arts = [a for a in ARTICLES if any(a in r.filings for r in TAXONOMY)]
    rows = ["| algorithm | course family | lesson | " + " | ".join(f"A{a[2]}" for a in arts) + " |",
            "|---|---|---|" + "---|" * len(arts)]
    for r in TAXONOMY:
        cells = [r.filings[a].label if a in r.filings else "" for a in arts]
        rows.append(f"| {r.algorithm} | **{names[r.family]}** | {r.lesson[:2]} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def show_errata():
    """Display :func:`errata_markdown` in a notebook."""
    from IPython.display import Markdown

    return Markdown(errata_markdown())


def show_taxonomy():
    """Display :func:`taxonomy_markdown` in a notebook."""
    from IPython.display import Markdown

    return Markdown(taxonomy_markdown())


def missing_quotes(seeds_dir) -> list[str]:
    """Quotes of :data:`ERRATA` and :data:`TAXONOMY` not found verbatim in their article (empty = all found).

    Raises:
        FileNotFoundError: ``seeds_dir`` lacks one of the five articles.
    """
    seeds_dir = Path(seeds_dir)
    texts = {}
    for name in ARTICLES:
        path = seeds_dir / name
        if not path.exists():
            raise FileNotFoundError(f"article {path} not found: point seeds_dir at the folder of the five articles.")
        texts[name] = path.read_text(encoding="utf-8")
    missing = [f"{e.key}: {frag}" for e in ERRATA for frag in e.quote.split(" … ") if frag not in texts[e.article]]
    missing += [f"{r.algorithm} in {a}: {f.quote}" for r in TAXONOMY for a, f in r.filings.items()
                if f.quote not in texts[a]]
    return missing


# --------------------------------------------------------------------------------------------------------
# The checks: small seeded problems, the package's functions, the numbers the lesson asserts on
# --------------------------------------------------------------------------------------------------------

def _sine_episode(seed: int = 1, k_shot: int = 5, n_query: int = 7, dtype=torch.float32):
    from ..tasks.sine import SineTasks

    ep = SineTasks().sample(torch.Generator().manual_seed(seed), 1, k_shot=k_shot, n_query=n_query).task(0)
    return type(ep)(*(t.to(dtype) for t in ep))


def _sgd_by_hand(net: nn.Module, params: dict, x, y, inner_lr, steps: int) -> dict:
    """θ ← θ − α ⊙ ∇L(θ), ``steps`` times, with torch.autograd.grad (no package function)."""
    for _ in range(steps):
        loss = nn.functional.mse_loss(functional_call(net, params, (x,)), y)
        grads = torch.autograd.grad(loss, list(params.values()))
        lr = inner_lr if isinstance(inner_lr, dict) else {k: inner_lr for k in params}
        params = {k: p - lr[k] * g for (k, p), g in zip(params.items(), grads)}
    return params


def check_maml_is_gradient_descent(inner_lr: float = 0.05, inner_steps: int = 3) -> dict:
    """MAML's adaptation equals ``inner_steps`` steps of plain gradient descent written by hand.

    Returns ``{"max_abs_diff": float, "moved": float}``: the largest difference between the adapted
    learner's query predictions and those of the hand-written SGD parameters (≈ 0), and how far the
    predictions moved from the unadapted ones (> 0: the comparison is not vacuous).
    """
    from ..recipes import build

    maml, _ = build("maml_sine", seed=0, inner_lr=inner_lr, inner_steps=inner_steps)
    ep = _sine_episode()
    predicted = maml.adapt(ep.x_support, ep.y_support)(ep.x_query).detach()
    theta = {k: v.detach().clone().requires_grad_() for k, v in maml.net.named_parameters()}
    by_hand = _sgd_by_hand(maml.net, theta, ep.x_support, ep.y_support, inner_lr, inner_steps)
    want = functional_call(maml.net, by_hand, (ep.x_query,)).detach()
    before = functional_call(maml.net, theta, (ep.x_query,)).detach()
    return {"max_abs_diff": (predicted - want).abs().max().item(), "moved": (want - before).abs().max().item()}


def check_metasgd_is_gradient_descent() -> dict:
    """Meta-SGD's adaptation equals θ − α ⊙ ∇L with its learned per-coordinate α (by hand).

    Returns ``{"max_abs_diff": float, "alpha_spread": float}`` — the second is max(α)/min(α) over the
    coordinates of the committed ``metasgd_sine`` learner: one step size per coordinate, not one α.
    """
    from ..checkpoints import checkpoint_path
    from ..learners import load_learner

    msgd = load_learner(checkpoint_path("metasgd_sine"))
    ep = _sine_episode()
    predicted = msgd.adapt(ep.x_support, ep.y_support, inner_steps=1)(ep.x_query).detach()
    alpha = {k: v.detach() for k, v in msgd.inner_lrs().items()}
    theta = {k: v.detach().clone().requires_grad_() for k, v in msgd.net.named_parameters()}
    want = functional_call(msgd.net, _sgd_by_hand(msgd.net, theta, ep.x_support, ep.y_support, alpha, 1),
                           (ep.x_query,)).detach()
    flat = torch.cat([a.abs().flatten() for a in alpha.values()])
    return {"max_abs_diff": (predicted - want).abs().max().item(),
            "alpha_spread": (flat.max() / flat.min().clamp_min(1e-12)).item()}


def check_rl2_is_model_based(recipe: str = "rl2_bandits_k5_n10") -> dict:
    """RL² adapts like a model-based learner: its hidden state moves, its weights do not.

    The committed RL² bandit agent is shown one pull of the arm it tries first, once rewarded and once not.
    Returns ``{"weights_changed": bool, "p_stay_after_win": float, "p_stay_after_loss": float}``: whether any
    weight differs after both adaptations (it must not), and the probability of pulling the same arm again
    after the win and after the loss (win-stay, lose-shift: the behaviour changed with the data alone).
    """
    from ..checkpoints import checkpoint_path
    from ..learners import load_learner

    agent = load_learner(checkpoint_path(recipe))
    before = {k: v.clone() for k, v in agent.state_dict().items()}
    with torch.no_grad():
        first = int(agent.adapt(torch.zeros(0, dtype=torch.long), torch.zeros(0)).info["probs"].argmax())
        arm = torch.tensor([first])
        win = agent.adapt(arm, torch.ones(1)).info["probs"][first].item()
        loss = agent.adapt(arm, torch.zeros(1)).info["probs"][first].item()
    changed = any(not torch.equal(before[k], v) for k, v in agent.state_dict().items())
    return {"weights_changed": changed, "p_stay_after_win": win, "p_stay_after_loss": loss}


def check_protonet_is_metric(seed: int = 0) -> dict:
    """A ProtoNet's scores are minus the squared distances to the class means of the support embeddings,
    and they do not depend on the order of the support set (nothing is written to a memory in order).

    Returns ``{"distance_diff": float, "permutation_diff": float}`` (both ≈ 0).
    """
    from ..learners.metric.protonet import ProtoNet

    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = ProtoNet({"name": "mlp", "sizes": [6, 16, 4]})
    xs, ys = torch.randn(12, 6, generator=g), torch.arange(4).repeat(3)
    xq = torch.randn(5, 6, generator=g)
    with torch.no_grad():
        scores = net.adapt(xs, ys)(xq)
        zs, zq = net.net(xs), net.net(xq)
        means = torch.stack([zs[ys == k].mean(0) for k in range(4)])
        by_hand = -((zq[:, None, :] - means[None]) ** 2).sum(-1)
        perm = torch.randperm(12, generator=g)
        shuffled = net.adapt(xs[perm], ys[perm])(xq)
    return {"distance_diff": (scores - by_hand).abs().max().item(),
            "permutation_diff": (scores - shuffled).abs().max().item()}


def check_matching_softmax(seed: int = 0, n_way: int = 5, k_shot: int = 2, dim: int = 8) -> dict:
    """Matching-network label weights with and without the softmax, on random embeddings.

    Returns ``{"raw_min_weight", "raw_row_sums", "raw_prob_range", "softmax_row_sum_error",
    "softmax_prob_range"}``: raw cosines give negative weights and rows that do not sum to one, hence
    'probabilities' outside [0, 1]; the package's attention (Eq. 2) gives a distribution.
    """
    from ..learners.metric.matching import attend_labels, attention
    from ..learners.metric.protonet import cosine_similarity

    g = torch.Generator().manual_seed(seed)
    zs, zq = torch.randn(n_way * k_shot, dim, generator=g), torch.randn(10, dim, generator=g)
    ys = torch.arange(n_way).repeat_interleave(k_shot)
    raw = cosine_similarity(zq, zs)
    raw_probs = attend_labels(raw, ys, n_way)
    soft = attention(zq, zs)
    soft_probs = attend_labels(soft, ys, n_way)
    return {"raw_min_weight": raw.min().item(), "raw_row_sums": (raw.sum(1).min().item(), raw.sum(1).max().item()),
            "raw_prob_range": (raw_probs.min().item(), raw_probs.max().item()),
            "softmax_row_sum_error": (soft_probs.sum(1) - 1).abs().max().item(),
            "softmax_prob_range": (soft_probs.min().item(), soft_probs.max().item())}


def check_meta_lstm_gates(alpha: float = 0.01, seed: int = 0) -> dict:
    """The meta-LSTM's update is an LSTM cell-state update whose gates are sigmoids.

    With zero weights, a forget gate saturated at 1 and an input-gate bias logit(α), the package's
    :func:`~meta_course.learners.optimisation.meta_lstm.meta_lstm_step` is exactly the SGD step θ − α∇L.
    For random weights and inputs the gates stay in (0, 1) — a step can shrink but never point uphill —
    while a linear output ``W h + b`` of the same inputs takes negative values.

    Returns ``{"sgd_diff", "gate_range", "linear_min"}``.
    """
    from ..learners.optimisation.meta_lstm import meta_lstm_step

    g = torch.Generator().manual_seed(seed)
    theta, grad, loss = torch.randn(50, generator=g), torch.randn(50, generator=g), torch.tensor(0.7)
    zeros = torch.zeros(6)
    new, i, f = meta_lstm_step(theta, grad, loss, torch.zeros(50), torch.ones(50), zeros,
                               torch.tensor(math.log(alpha / (1 - alpha))), zeros, torch.tensor(50.0))
    sgd_diff = (new - (theta - alpha * grad)).abs().max().item()
    w_i, w_f = torch.randn(6, generator=g), torch.randn(6, generator=g)
    _, i2, f2 = meta_lstm_step(theta, grad, loss, torch.rand(50, generator=g), torch.rand(50, generator=g),
                               w_i, torch.tensor(0.3), w_f, torch.tensor(-0.2))
    gates = torch.cat([i2, f2])
    h = torch.randn(50, 20, generator=g)  # hidden states of an LSTM, one row per coordinate
    linear = h @ torch.randn(20, generator=g) + 0.1
    return {"sgd_diff": sgd_diff, "gate_range": (gates.min().item(), gates.max().item()),
            "linear_min": linear.min().item()}


def check_inner_min_objective(seed: int = 0, n_tasks: int = 20) -> dict:
    """On linear-regression tasks (closed form), the article's E[min_θ′ L(θ′)] is the same for two very
    different θ — its gradient is zero — while MAML's E[L_q(θ − α∇L_s(θ))] is not.

    Returns ``{"article": (value at θ_a, value at θ_b), "maml": (value at θ_a, value at θ_b)}``.
    """
    from ..tasks.linear import LinearTasks, closed_form_adapt

    ep = LinearTasks(dim=3).sample(torch.Generator().manual_seed(seed), n_tasks, k_shot=10, n_query=10)
    xs, ys, xq, yq = (t.double() for t in ep)

    def design(x):
        return torch.cat([x, torch.ones(*x.shape[:-1], 1, dtype=x.dtype)], -1)

    def loss(theta, x, y):  # mean squared error of the linear model [w, b] on one task
        return ((design(x) @ theta - y.squeeze(-1)) ** 2).mean()

    def article(theta):  # min over θ′ of the task's (support) loss: least squares, whatever θ is
        out = []
        for i in range(n_tasks):
            best = torch.linalg.lstsq(design(xs[i]), ys[i].squeeze(-1)).solution
            out.append(loss(best, xs[i], ys[i]))
        return torch.stack(out).mean().item()

    def maml(theta):
        return torch.stack([loss(closed_form_adapt(theta, xs[i], ys[i], 0.05, 1), xq[i], yq[i])
                            for i in range(n_tasks)]).mean().item()

    theta_a, theta_b = torch.zeros(4, dtype=torch.double), torch.tensor([3.0, -2.0, 1.0, 5.0], dtype=torch.double)
    return {"article": (article(theta_a), article(theta_b)), "maml": (maml(theta_a), maml(theta_b))}


def check_objective_taylor(alphas=(0.02, 0.01, 0.005)) -> dict:
    """L(θ − α∇L(θ)) against the printed L(θ) − α∇L(θ) and its nearest reading L(θ) − α‖∇L(θ)‖².

    Returns ``{"shapes": (shape of L, shape of ∇L), "residuals": [...], "slope": float}`` — the printed
    form subtracts a vector of P numbers from a scalar; the reading's residual shrinks like α² (slope 2)
    on a smooth (tanh) sine network.
    """
    from ..core.metagrad import loglog_slope
    from ..models.mlp import tanh_mlp

    torch.manual_seed(0)
    net = tanh_mlp((1, 16, 16, 1))
    ep = _sine_episode(dtype=torch.float64)
    theta = {k: v.detach().clone().requires_grad_() for k, v in net.named_parameters()}
    loss = nn.functional.mse_loss(functional_call(net, theta, (ep.x_support,)), ep.y_support)
    grads = torch.autograd.grad(loss, list(theta.values()))
    flat = torch.cat([g.flatten() for g in grads])
    residuals = []
    with torch.no_grad():
        for a in alphas:
            adapted = {k: p - a * g for (k, p), g in zip(theta.items(), grads)}
            exact = nn.functional.mse_loss(functional_call(net, adapted, (ep.x_support,)), ep.y_support)
            residuals.append(abs((exact - (loss - a * flat @ flat)).item()))
    return {"shapes": (tuple(loss.shape), tuple(flat.shape)), "residuals": residuals,
            "slope": loglog_slope(list(alphas), residuals)}


def check_meta_gradient_formula(alphas=(1e-3, 5e-4, 2.5e-4)) -> dict:
    """Relative error of the article's meta-gradient and of the right expansion, and their log-log slopes
    in α (lesson 03's :func:`~meta_course.core.metagrad.formula_errors` on a small tanh network).

    Returns ``{"article": [...], "expansion": [...], "article_slope", "expansion_slope"}``: the article's
    error grows like α (slope 1), the expansion's like α² (slope 2).
    """
    from ..tasks.sine import SineTasks
    from ..core.metagrad import formula_errors, loglog_slope
    from ..models.mlp import tanh_mlp

    torch.manual_seed(0)
    net = tanh_mlp((1, 16, 16, 1))
    theta = {k: v.detach() for k, v in net.named_parameters()}
    eps = SineTasks().sample(torch.Generator().manual_seed(2), 4, k_shot=10, n_query=10)
    eps = type(eps)(*(t.double() for t in eps))
    errs = formula_errors(net, theta, eps, nn.functional.mse_loss, list(alphas))
    return {"article": errs["article"], "expansion": errs["expansion"],
            "article_slope": loglog_slope(list(alphas), errs["article"]),
            "expansion_slope": loglog_slope(list(alphas), errs["expansion"])}


def _pitfall_gradients(wrong, inner_lr: float = 0.05, inner_steps: int = 1):
    from ..core.metagrad import relative_error
    from .pitfalls import _small_problem, maml_meta_gradient_autograd

    model, params, eps = _small_problem()
    mse = nn.functional.mse_loss
    true = maml_meta_gradient_autograd(model, {k: v.clone() for k, v in params.items()}, eps, mse, inner_lr, inner_steps)
    got = wrong(model, {k: v.clone() for k, v in params.items()}, eps, mse, inner_lr, inner_steps)
    return model, params, eps, relative_error(got, true), got


def check_averaged_support_gradients() -> dict:
    """The averaged support gradients (lesson 04's wrong code) against the true meta-gradient, and against
    the gradient of joint training on the support sets (which they equal).

    Returns ``{"error_vs_meta_gradient", "error_vs_joint_training"}``.
    """
    from ..core.metagrad import relative_error
    from .pitfalls import WRONG_average_support_gradients

    model, params, eps, err, got = _pitfall_gradients(WRONG_average_support_gradients)
    leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
    joint = torch.stack([nn.functional.mse_loss(functional_call(model, leaves, (eps.x_support[i],)), eps.y_support[i])
                         for i in range(eps.n_tasks)]).mean()
    joint_grad = dict(zip(leaves, torch.autograd.grad(joint, list(leaves.values()))))
    return {"error_vs_meta_gradient": err, "error_vs_joint_training": relative_error(got, joint_grad)}


def check_data_inplace() -> dict:
    """The ``.data -=`` inner loop (lesson 04's wrong code): its error against the true meta-gradient and
    against first-order MAML, and how far it moved θ (the module's parameters).

    Returns ``{"error_vs_meta_gradient", "error_vs_first_order", "theta_moved"}``.
    """
    from ..core.metagrad import relative_error
    from .pitfalls import WRONG_inplace_data_meta_gradient, WRONG_no_create_graph_meta_gradient

    model, params, eps, err, got = _pitfall_gradients(WRONG_inplace_data_meta_gradient)
    moved = max((p.detach() - params[k]).abs().max().item() for k, p in model.named_parameters())
    first = WRONG_no_create_graph_meta_gradient(model, {k: v.clone() for k, v in params.items()}, eps,
                                                nn.functional.mse_loss, 0.05, 1)
    return {"error_vs_meta_gradient": err, "error_vs_first_order": relative_error(got, first), "theta_moved": moved}


def check_range_inner_lr(inner_lr: float = 0.01) -> dict:
    """``range(inner_lr)`` raises TypeError; ``range(int(inner_lr))`` adapts zero steps (lesson 04).

    Returns ``{"type_error": bool, "steps_taken": int, "theta_unchanged": bool}``.
    """
    from .pitfalls import WRONG_range_inner_lr_adapt, _small_problem

    try:
        range(inner_lr)
        type_error = False
    except TypeError:
        type_error = True
    model, params, eps = _small_problem(1)
    ep = eps.task(0)
    fast = WRONG_range_inner_lr_adapt(model, params, ep.x_support, ep.y_support, nn.functional.mse_loss, inner_lr, 5)
    return {"type_error": type_error, "steps_taken": len(range(int(inner_lr))),
            "theta_unchanged": all(torch.equal(fast[k], params[k]) for k in params)}


def _sine_evaluations(specs, n_tasks: int, seed: int = 7) -> dict:
    """``{label: mean query MSE}`` for (label, recipe, SineTasks kwargs, k_shot, inner_steps) specs."""
    from ..checkpoints import checkpoint_path
    from ..evaluate import evaluate
    from ..learners import load_learner
    from ..tasks.sine import SineTasks

    learners, out = {}, {}
    for label, recipe, dist, k_shot, steps in specs:
        learner = learners.setdefault(recipe, load_learner(checkpoint_path(recipe)))
        ep = SineTasks(**dist).sample(torch.Generator().manual_seed(seed), n_tasks, k_shot=k_shot, n_query=50)
        out[label] = evaluate(learner, ep, inner_steps=steps).mean
    return out


def check_joint_objective(n_tasks: int = 300) -> dict:
    """The network trained on Σ_i L(T_i, f_θ) (``pretrained_sine``) against MAML, both fine-tuned 10 steps
    on K=5 points of the same held-out tasks. Returns ``{"joint_training": mse, "maml": mse}``."""
    return _sine_evaluations([("joint_training", "pretrained_sine", {}, 5, 10), ("maml", "maml_sine", {}, 5, 10)],
                             n_tasks)


def check_no_data(n_tasks: int = 300) -> dict:
    """MAML with no support example (no step possible: it predicts θ's function for every task) against
    K = 5 examples and 10 steps. Returns ``{"no_data": mse, "five_examples": mse, "same_prediction": bool}``."""
    from ..checkpoints import checkpoint_path
    from ..learners import load_learner
    from ..tasks.sine import SineTasks

    out = _sine_evaluations([("no_data", "maml_sine", {}, 5, 0), ("five_examples", "maml_sine", {}, 5, 10)], n_tasks)
    maml = load_learner(checkpoint_path("maml_sine"))
    ep = SineTasks().sample(torch.Generator().manual_seed(3), 2, k_shot=1, n_query=20)
    x = ep.x_query[0]
    with torch.no_grad():  # zero steps on two different tasks' (unused) data: the same function
        a = maml.adapt(ep.x_support[0], ep.y_support[0], inner_steps=0)(x)
        b = maml.adapt(ep.x_support[1], ep.y_support[1], inner_steps=0)(x)
    out["same_prediction"] = bool(torch.equal(a, b))
    return out


def check_out_of_distribution(n_tasks: int = 300) -> dict:
    """MAML (trained on phases in [0, π]) on held-out tasks from its distribution and on tasks with phases
    in [π, 2π] (same amplitudes, same inputs). Returns ``{"in_distribution": mse, "new_phases": mse}``."""
    return _sine_evaluations([("in_distribution", "maml_sine", {}, 5, 10),
                              ("new_phases", "maml_sine", {"phase": (math.pi, 2 * math.pi)}, 5, 10)], n_tasks)


def check_maml_cost(steps=(1, 4)) -> dict:
    """Peak memory (kB) of one meta-step on 25 sine tasks, second- vs first-order MAML, for each number
    of inner steps (:func:`~meta_course.bench.metagrad.meta_step_cost`, deterministic).

    Returns ``{"maml": [kB...], "fomaml": [kB...], "steps": [...]}``.
    """
    from ..bench.metagrad import meta_step_cost

    out = {"steps": list(steps)}
    for method in ("maml", "fomaml"):
        out[method] = [meta_step_cost(method, k, repeats=1).peak_bytes / 1e3 for k in steps]
    return out


def check_ntm_shift() -> dict:
    """The NTM's location addressing (Eq. 8) moves a focused head one slot per +1 shift, wrapping around,
    like a Turing machine's head on its tape. Returns ``{"before": [...], "after": [...]}`` (argmax slots)."""
    from ..learners.memory.ntm import circular_shift

    w = torch.zeros(1, 1, 6)
    w[..., 5] = 1.0
    shift = torch.tensor([[[0.0, 0.0, 1.0]]])  # all mass on offset +1
    heads = [int(w.argmax())]
    for _ in range(3):
        w = circular_shift(w, shift)
        heads.append(int(w.argmax()))
    return {"before": heads[:-1], "after": heads[1:]}


def check_omniglot_split() -> dict:
    """Omniglot's documented counts: characters in the background + evaluation sets, and the course's
    Vinyals-style split (from :data:`meta_course.tasks.omniglot.splits.PARTS`).

    Returns ``{"characters": 1623, "vinyals": (train, val, test), "vinyals_train_total": 1200}``.
    """
    from ..tasks.omniglot import splits

    counts = splits.PARTS["vinyals"]["counts"]
    return {"characters": sum(counts), "vinyals": tuple(counts), "vinyals_train_total": counts[0] + counts[1]}


def check_conv4_layers() -> dict:
    """Convolution and linear layers of the package's Conv-4, as a classifier (MAML) and as an embedding
    (ProtoNet, Matching). Returns ``{"classifier": (convs, linears), "embedding": (convs, linears)}``."""
    from ..models.conv4 import Conv4

    def count(net):
        mods = list(net.modules())
        return (sum(isinstance(m, nn.Conv2d) for m in mods), sum(isinstance(m, nn.Linear) for m in mods))

    return {"classifier": count(Conv4(out_features=5)), "embedding": count(Conv4(None))}


def _toy_split(n_alphabets: int = 3, chars_per_alphabet: int = 10, size: int = 8):
    """A small synthetic :class:`~meta_course.tasks.omniglot.splits.OmniglotSplit` (pixel 0 = class id)."""
    from ..tasks.omniglot.splits import OmniglotSplit

    n = n_alphabets * chars_per_alphabet
    images = torch.zeros(n, 20, size, size, dtype=torch.uint8)
    images[:, :, 0, 0] = torch.arange(n, dtype=torch.uint8).view(n, 1)
    images[:, :, 0, 1] = torch.arange(20, dtype=torch.uint8).view(1, 20)
    alphabets = [f"A{a}" for a in range(n_alphabets)]
    chars = [f"A{c // chars_per_alphabet}/character{c % chars_per_alphabet:02d}" for c in range(n)]
    return OmniglotSplit(images, alphabets, chars, torch.arange(n) // chars_per_alphabet, "toy")


def check_n_way_k_shot(n_way: int = 5, k_shot: int = 3, q_query: int = 2) -> dict:
    """A 5-way 3-shot episode of the package's sampler, on a synthetic split: N distinct classes, K support
    examples of each. Returns ``{"support_size", "classes", "per_class"}``."""
    from ..tasks.omniglot.episodes import OmniglotTasks

    tasks = OmniglotTasks(n_way=n_way, k_shot=k_shot, q_query=q_query, data=_toy_split())
    ep = tasks.sample(torch.Generator().manual_seed(0), 1).task(0)
    counts = torch.bincount(ep.y_support, minlength=n_way)
    return {"support_size": ep.y_support.numel(), "classes": int((counts > 0).sum()),
            "per_class": sorted(set(counts.tolist()))}


def check_disjoint_parts() -> dict:
    """The course's by-alphabet partition of ``minimal``: train, validation and test alphabets share no
    alphabet (from the partition's definition, no data needed). Returns ``{"val": [...], "test": [...],
    "overlap": [...]}``."""
    from ..tasks.omniglot.splits import PARTS

    spec = PARTS["minimal"]
    return {"val": list(spec["val"]), "test": list(spec["test"]), "overlap": sorted(set(spec["val"]) & set(spec["test"]))}


def check_fine_tuning_baseline() -> dict:
    """The committed Omniglot benchmark (held-out Sanskrit, 600 episodes): 5-way 1-shot accuracy and Lake's
    runs error of the transfer baseline against the MAML family. Returns ``{recipe: (acc %, runs error %)}``."""
    from ..bench.omniglot import RESULTS, load_results

    rows = load_results(RESULTS.with_name("omniglot_maml_family.json"))["rows"]
    return {r["recipe"]: (r["5w1s"], r["runs_error"]) for r in rows}
