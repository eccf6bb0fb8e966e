"""The course's glossary and lesson map as data: one row per term (English, 中文, one-line definition,
the lesson that teaches it), rendered by lesson 00 and by any lesson that wants its own terms.

The Chinese terms are those of the source articles where they use one (元学习, 支持集, 内循环, ...);
where an article uses a wrong term, the row gives the right one and the errata lesson the correction
(e.g. 神经图灵机, not "神经算法机").

Adding a term: append a :class:`Term` to :data:`GLOSSARY` (the lesson must be a stem of :data:`LESSONS`;
``tests/test_glossary.py`` checks it, and that the lesson's notebook exists).

Example:
    >>> from meta_course.lessons.glossary import GLOSSARY, glossary_markdown
    >>> len(GLOSSARY) >= 60
    True
    >>> print(glossary_markdown(lesson="16_applications_cold_start").splitlines()[0])
    | English | 中文 | one line | lesson |
"""

from __future__ import annotations

from typing import NamedTuple


class Lesson(NamedTuple):
    """One row of the lesson map: the notebook's file stem, its title, family and what it shows."""

    stem: str
    title: str
    family: str
    shows: str


class Term(NamedTuple):
    """One glossary row."""

    english: str
    chinese: str
    definition: str
    lesson: str  # the stem of the notebook that teaches it (a key of LESSONS)


#: the lesson map, in course order (notebooks/<stem>.ipynb)
LESSONS: dict[str, Lesson] = {lesson.stem: lesson for lesson in (
    Lesson("00_welcome", "Welcome", "—", "what meta-learning is, the map, notation, glossary"),
    Lesson("01_maml_sine", "MAML on sine waves", "optimisation-based",
           "MAML's two loops as equations and code, the paper's table reproduced, the adaptation widget"),
    Lesson("02_omniglot", "Omniglot", "data", "the dataset, N-way K-shot episodes, Lake's one-shot benchmark"),
    Lesson("03_derivations", "Derivations", "optimisation-based",
           "the meta-gradient with its Hessian term, checked three ways; first-order error and its α widget; cost"),
    Lesson("04_pitfalls", "Pitfalls", "optimisation-based", "six bugs of popular meta-learning code, with numbers"),
    Lesson("05_optimisation_family", "Reptile and Meta-SGD", "optimisation-based",
           "Reptile and its Taylor expansion, Meta-SGD, the parameter-space widget, the sine family side by side"),
    Lesson("06_metric_learning", "Metric learning", "metric-based",
           "Siamese, Matching and Prototypical networks, the embedding-space widget"),
    Lesson("07_maml_omniglot", "MAML on Omniglot", "optimisation-based",
           "MAML, first-order MAML, Reptile, Meta-SGD and transfer on Conv-4"),
    Lesson("08_memory_augmented", "Memory-augmented networks", "model-based (memory)",
           "MANN: an external memory written and read within an episode"),
    Lesson("09_ntm_dnc", "NTM and DNC", "model-based (memory)",
           "the NTM's and the DNC's addressing; both, trained, copy beyond the training lengths beside an LSTM"),
    Lesson("10_neural_processes", "Neural processes", "model-based",
           "conditional neural processes on sine and Gaussian-process tasks"),
    Lesson("11_meta_rl_bandits", "Meta-RL on bandits", "model-based (RL)",
           "RL² against the bandit baselines, up to the Bayes-optimal policy"),
    Lesson("12_maml_rl_and_pearl", "MAML-RL and PEARL", "optimisation-based / model-based (RL)",
           "MAML with policy gradients, PEARL's posterior over tasks, on navigation"),
    Lesson("13_gans", "GANs", "generative", "generator and discriminator, mode collapse, WGAN-GP"),
    Lesson("14_meta_gan", "Meta-learning and GANs", "generative",
           "few-shot generation: FIGR against a fine-tuned and a from-scratch WGAN-GP, MetaGAN's measured effect"),
    Lesson("15_errata", "Errata of the source articles", "—",
           "every error of the five source articles, the right version, and the cell that checks it"),
    Lesson("16_applications_cold_start", "Cold-start recommendation", "optimisation-based (application)",
           "MeLU-style MAML over users against a global model and per-user fine-tuning"),
    Lesson("17_learned_optimisers", "Learned update rules", "optimisation-based",
           "the LSTM meta-learner and the learned LSTM optimiser against tuned SGD and Adam"),
)}

#: lessons being written: referenced before their notebooks exist (each leaves this list when it lands)
PENDING_LESSONS: tuple[str, ...] = ()

_ = Term  # keeps the rows below short
GLOSSARY: tuple[Term, ...] = (
    # --- the idea -------------------------------------------------------------------------------------
    _("meta-learning", "元学习", "learning, across many tasks, how to learn a new task of the same kind quickly", "00_welcome"),
    _("learning to learn", "学会学习", "another name for meta-learning", "00_welcome"),
    _("transfer learning", "迁移学习", "reuse a model trained on a source task for a target task; its objective "
      "does not ask for fast adaptation", "00_welcome"),
    _("few-shot learning", "少样本学习", "learning a task from a handful (K) of labelled examples", "00_welcome"),
    _("one-shot learning", "单样本学习", "few-shot learning with one example per class (K = 1)", "02_omniglot"),
    _("zero-shot learning", "零样本学习", "recognising classes with no labelled example, from side information "
      "(attributes, text); not what few-shot meta-learning does", "15_errata"),
    _("meta-knowledge", "元知识", "what carries over from task to task: an initialisation, an update rule, a "
      "metric, a way of using memory", "00_welcome"),
    _("meta-learner", "元学习器", "the part trained by the outer loop, e.g. the LSTM that updates the learner's "
      "weights", "17_learned_optimisers"),
    _("base learner", "基学习器", "the model adapted to each task by the inner loop", "17_learned_optimisers"),
    # --- tasks and data ---------------------------------------------------------------------------------
    _("task", "任务", "a data distribution and a loss; in meta-learning a draw from the task distribution p(T)",
      "01_maml_sine"),
    _("meta-task", "元任务", "the articles' word for a training task drawn from p(T); the course says task",
      "01_maml_sine"),
    _("task distribution", "任务分布", "p(T), the family tasks are drawn from; meta-learning assumes the test "
      "tasks come from it too", "01_maml_sine"),
    _("episode", "情节 / 任务", "one task as training data: a support set and a query set", "02_omniglot"),
    _("support set", "支持集", "the labelled examples a learner adapts on", "01_maml_sine"),
    _("query set", "查询集", "held-out examples of the same task that score the adaptation", "01_maml_sine"),
    _("N-way K-shot", "N 类 K 样本", "a classification task with N classes and K labelled examples of each "
      "(N·K support examples)", "02_omniglot"),
    _("meta-training", "元训练", "the outer phase: learn the meta-parameters on tasks from the training "
      "classes", "01_maml_sine"),
    _("meta-validation", "元验证", "tasks from held-out classes used to choose settings (never to report "
      "results)", "07_maml_omniglot"),
    _("meta-testing", "元测试", "adapt to new tasks from classes never seen in meta-training and report the "
      "query score", "01_maml_sine"),
    _("Omniglot", "Omniglot 数据集", "1 623 handwritten characters from 50 alphabets, 20 drawings each",
      "02_omniglot"),
    _("rotation augmentation", "旋转增广", "every 90° rotation of a character counted as a new class",
      "02_omniglot"),
    _("Lake's one-shot benchmark", "Lake 单样本基准", "20-way within-alphabet one-shot runs scored by the share "
      "of wrong assignments", "02_omniglot"),
    _("nearest neighbour", "最近邻", "predict the label of the closest support example", "02_omniglot"),
    # --- the optimisation-based family --------------------------------------------------------------------
    _("inner loop", "内循环", "per-task adaptation on the support set", "01_maml_sine"),
    _("outer loop", "外循环", "the update of what adaptation starts from (or of the rule), across tasks",
      "01_maml_sine"),
    _("inner learning rate (α)", "内循环学习率", "the step size of the adaptation steps, `inner_lr`",
      "01_maml_sine"),
    _("outer learning rate (β)", "元学习率", "the step size of the meta-update, `outer_lr`", "01_maml_sine"),
    _("meta-parameters", "元参数", "what the outer loop learns: θ₀ for MAML, α for Meta-SGD, the embedding for "
      "ProtoNet", "01_maml_sine"),
    _("meta-batch", "元批次", "the tasks averaged in one outer step, `meta_batch_size`", "01_maml_sine"),
    _("fast adaptation", "快速适应", "reaching a good model of a new task in a few steps from a few examples",
      "01_maml_sine"),
    _("pretraining", "预训练", "training one model on all the training tasks' data jointly", "01_maml_sine"),
    _("fine-tuning", "微调", "continuing to train a pretrained model on the target task's data", "01_maml_sine"),
    _("model-agnostic meta-learning (MAML)", "模型无关元学习", "meta-learn an initialisation from which a few "
      "gradient steps fit a new task", "01_maml_sine"),
    _("meta-gradient", "元梯度", "the gradient of the post-adaptation query loss with respect to the "
      "meta-parameters", "03_derivations"),
    _("Hessian", "海森矩阵", "the matrix of second derivatives; MAML's meta-gradient multiplies by I − α∇²L",
      "03_derivations"),
    _("Hessian-vector product", "海森向量积", "Hv computed by differentiating ∇L·v, without forming H",
      "03_derivations"),
    _("first-order approximation", "一阶近似", "drop the Hessian term of the meta-gradient (first-order MAML); "
      "error grows like α", "03_derivations"),
    _("first-order MAML (FOMAML)", "一阶 MAML", "MAML with the inner gradients detached", "03_derivations"),
    _("Reptile", "Reptile", "move the initialisation towards the weights k SGD steps reach on each task",
      "05_optimisation_family"),
    _("Meta-SGD", "Meta-SGD", "MAML with a meta-learned step size for every coordinate", "05_optimisation_family"),
    _("LSTM meta-learner", "LSTM 元学习器", "an LSTM whose cell state is the learner's weights and whose gates "
      "are learned step sizes", "17_learned_optimisers"),
    _("learned optimiser", "学习的优化器", "a coordinate-wise LSTM that outputs the update from the gradient",
      "17_learned_optimisers"),
    _("optimisation-based meta-learning", "基于优化的元学习", "adaptation is an optimiser: learn its start, "
      "steps or rule", "05_optimisation_family"),
    _("transductive", "直推式", "predictions that use the whole query batch (e.g. batch statistics), not one "
      "query at a time", "07_maml_omniglot"),
    _("batch normalisation", "批归一化", "normalise features with batch statistics; running averages leak "
      "across tasks", "04_pitfalls"),
    _("Conv-4", "四层卷积网络", "four blocks of 3×3 conv, batch norm, ReLU, 2×2 max-pool (+ one linear head for "
      "MAML)", "06_metric_learning"),
    # --- the metric-based family -------------------------------------------------------------------------
    _("metric-based meta-learning", "基于度量的元学习", "learn an embedding in which a fixed comparison rule "
      "classifies", "06_metric_learning"),
    _("metric learning", "度量学习", "learning a distance or similarity between examples", "06_metric_learning"),
    _("embedding", "嵌入", "the vector a network maps an example to", "06_metric_learning"),
    _("Siamese network", "孪生网络", "two copies of one network and a learned similarity of the pair",
      "06_metric_learning"),
    _("matching network", "匹配网络", "predict a softmax-attention-weighted sum of the support labels",
      "06_metric_learning"),
    _("attention", "注意力", "weights that sum to one, here a softmax over similarities", "06_metric_learning"),
    _("full-context embedding", "全上下文嵌入", "embeddings that depend on the whole support set (LSTMs)",
      "06_metric_learning"),
    _("prototypical network", "原型网络", "classify by distance to class means in an embedding space",
      "06_metric_learning"),
    _("prototype", "原型", "the mean embedding of one class's support examples", "06_metric_learning"),
    _("cosine similarity", "余弦相似度", "the dot product of two vectors divided by their norms",
      "06_metric_learning"),
    _("softmax", "softmax 归一化指数函数", "exp(zₖ) / Σⱼ exp(zⱼ): turns scores into probabilities",
      "06_metric_learning"),
    _("cross-entropy", "交叉熵", "−log of the probability given to the right class", "06_metric_learning"),
    # --- the model- and memory-based families -------------------------------------------------------------
    _("model-based meta-learning", "基于模型的元学习", "a network that takes the support set as input and "
      "outputs the task's predictor (black box)", "08_memory_augmented"),
    _("black-box meta-learning", "黑盒元学习", "another name for model-based meta-learning", "08_memory_augmented"),
    _("memory-based meta-learning", "基于记忆的元学习", "model-based learners that write the support set into "
      "an external memory", "08_memory_augmented"),
    _("memory-augmented neural network (MANN)", "记忆增强神经网络", "a controller that writes and reads an "
      "external memory within an episode", "08_memory_augmented"),
    _("external memory", "外部记忆", "a matrix of slots a network reads and writes with soft attention",
      "08_memory_augmented"),
    _("content-based addressing", "基于内容的寻址", "read or write weights from the similarity of a key to each "
      "memory slot", "08_memory_augmented"),
    _("least recently used access (LRUA)", "最近最少使用访问", "MANN's rule: write to the least used slot or "
      "the last read one", "08_memory_augmented"),
    _("neural Turing machine (NTM)", "神经图灵机", "a controller with a memory addressed by content and by "
      "location (shifts)", "09_ntm_dnc"),
    _("differentiable neural computer (DNC)", "可微神经计算机", "an NTM successor with dynamic allocation and "
      "temporal links", "09_ntm_dnc"),
    _("label offset", "标签错位输入", "the label of step t is given with the input of step t+1, so a sequence "
      "model must predict before it is told", "08_memory_augmented"),
    _("accuracy by instance", "按实例计的准确率", "accuracy at the 1st, 2nd, ... sight of a class within an "
      "episode; a learner jumps at the 2nd", "08_memory_augmented"),
    _("key strength", "键强度", "β ≥ 1 multiplying the cosine before the softmax, so content addressing can focus "
      "on one slot", "08_memory_augmented"),
    _("copy task", "复制任务", "read a sequence of bit vectors, then emit it; tested on lengths beyond training",
      "09_ntm_dnc"),
    _("location-based addressing", "基于位置的寻址", "the NTM's interpolation, circular shift and sharpening of "
      "the previous weighting", "09_ntm_dnc"),
    _("dynamic memory allocation", "动态内存分配", "the DNC writes into the least-used slot, from a usage "
      "vector that reads can free", "09_ntm_dnc"),
    _("temporal link matrix", "时序链接矩阵", "L[i, j] ≈ 1 if slot i was written right after slot j; reads can "
      "follow it forward or backward", "09_ntm_dnc"),
    _("conditional neural process (CNP)", "条件神经过程", "encode a context set, average, decode a predictive "
      "mean and variance", "10_neural_processes"),
    _("context set", "上下文集", "the observed (x, y) pairs a neural process conditions on", "10_neural_processes"),
    _("Gaussian process", "高斯过程", "a distribution over functions with Gaussian joint marginals; its "
      "posterior is exact", "10_neural_processes"),
    _("mean aggregation", "均值聚合", "r = the mean of the per-point codes r_i: order- and size-free, but "
      "blind to repeated points", "10_neural_processes"),
    _("amortised inference", "摊销推断", "a network trained once to map any context to its posterior predictive "
      "in one forward pass", "10_neural_processes"),
    _("posterior predictive distribution", "后验预测分布", "p(y* | x*, context): what to expect at a new input "
      "given what was observed", "10_neural_processes"),
    _("Gaussian negative log-likelihood", "高斯负对数似然", "½ log 2π + log σ + (y − μ)²/(2σ²): the CNP's training "
      "loss per target", "10_neural_processes"),
    _("squared-exponential kernel", "平方指数核", "k(x, x') = σ_f² exp(−(x − x')²/(2ℓ²)): the GP prior of "
      "smooth functions", "10_neural_processes"),
    # --- meta-RL ----------------------------------------------------------------------------------------
    _("meta reinforcement learning", "元强化学习", "learning to solve a new environment of a family in a few "
      "episodes", "11_meta_rl_bandits"),
    _("multi-armed bandit", "多臂老虎机", "repeated choice among arms with unknown reward probabilities",
      "11_meta_rl_bandits"),
    _("exploration–exploitation", "探索与利用", "trying uncertain actions to learn versus taking the best known "
      "one", "11_meta_rl_bandits"),
    _("regret", "遗憾", "the reward lost relative to always playing the best arm", "11_meta_rl_bandits"),
    _("RL²", "RL²", "a recurrent policy whose hidden state, kept across episodes, is the learning algorithm",
      "11_meta_rl_bandits"),
    _("UCB1", "上置信界算法", "pull the arm with the largest mean plus a bonus that shrinks as the arm is pulled "
      "(optimism under uncertainty)", "11_meta_rl_bandits"),
    _("Thompson sampling", "汤普森采样", "pull the arm whose value drawn from its posterior is largest "
      "(probability matching)", "11_meta_rl_bandits"),
    _("Gittins index", "Gittins指数", "the retirement reward at which pulling an arm and retiring are worth the "
      "same; pulling the largest index is near Bayes-optimal", "11_meta_rl_bandits"),
    _("Bayes-optimal policy", "贝叶斯最优策略", "the policy with the largest expected return under the task prior; "
      "it acts on the posterior", "11_meta_rl_bandits"),
    _("advantage actor-critic (A2C)", "优势演员-评论家", "policy gradient weighted by return minus a learnt value "
      "baseline, one step per batch of fresh rollouts", "11_meta_rl_bandits"),
    _("policy gradient", "策略梯度", "the gradient of expected return, estimated from sampled trajectories",
      "12_maml_rl_and_pearl"),
    _("PEARL", "PEARL", "infer a posterior over a latent task variable from context, act by posterior "
      "sampling", "12_maml_rl_and_pearl"),
    _("posterior sampling", "后验采样", "act as if a sample from the posterior over tasks were the true task",
      "12_maml_rl_and_pearl"),
    _("score-function estimator (REINFORCE)", "得分函数估计 (REINFORCE)", "∇J = E[Σ ∇log π(a|s) · return-to-go]: "
      "a policy gradient from sampled trajectories alone", "12_maml_rl_and_pearl"),
    _("MAML-RL", "强化学习中的MAML", "MAML whose inner step is a policy-gradient step on a new task's trajectories",
      "12_maml_rl_and_pearl"),
    _("product of Gaussians", "高斯乘积", "PEARL's posterior: precisions of per-transition Gaussian factors add",
      "12_maml_rl_and_pearl"),
    _("information bottleneck", "信息瓶颈", "a KL penalty to the prior that keeps the latent task variable to what "
      "the critic needs", "12_maml_rl_and_pearl"),
    _("soft actor-critic (SAC)", "软演员-评论家", "off-policy actor-critic maximising reward plus policy entropy",
      "12_maml_rl_and_pearl"),
    _("sparse reward", "稀疏奖励", "a reward paid only in a small region of states (here within 0.2 of the goal)",
      "12_maml_rl_and_pearl"),
    # --- generative -------------------------------------------------------------------------------------
    _("generative adversarial network (GAN)", "生成对抗网络", "a generator and a discriminator trained against "
      "each other", "13_gans"),
    _("generator", "生成器", "the network that maps noise to samples", "13_gans"),
    _("discriminator", "判别器", "the network that scores samples as real or generated", "13_gans"),
    _("mode collapse", "模式崩溃", "the generator covers only some modes of the data distribution", "13_gans"),
    _("Nash equilibrium", "纳什均衡", "a pair of strategies where neither player gains by changing alone; for a GAN "
      "p_g = p_data and D = 1/2", "13_gans"),
    _("optimal discriminator", "最优判别器", "D* = p_data / (p_data + p_g), the best reply to a fixed generator",
      "13_gans"),
    _("Wasserstein distance", "Wasserstein距离", "the least average distance mass must move to turn one "
      "distribution into another (earth mover's distance)", "13_gans"),
    _("gradient penalty", "梯度惩罚", "WGAN-GP's term λ·E(‖∇f(x̂)‖ − 1)² on interpolates, a soft 1-Lipschitz "
      "constraint on the critic", "13_gans"),
    _("few-shot generation", "少样本生成", "generating new samples of a class from a few of its examples",
      "14_meta_gan"),
    # --- applications -------------------------------------------------------------------------------------
    _("recommender system", "推荐系统", "ranks items for a user from past ratings or behaviour",
      "16_applications_cold_start"),
    _("cold start", "冷启动", "recommending to a new user (or item) with almost no history",
      "16_applications_cold_start"),
    _("personalisation", "个性化", "one model per user, here reached by adapting a shared initialisation",
      "16_applications_cold_start"),
    _("NDCG@k", "归一化折损累计增益", "the discounted gain of the top k recommendations divided by the best "
      "possible", "16_applications_cold_start"),
    _("mean absolute error (MAE)", "平均绝对误差", "the mean of |predicted rating − true rating|",
      "16_applications_cold_start"),
    _("out-of-distribution task", "分布外任务", "a task not drawn from the training task distribution; "
      "meta-learning gives no guarantee on it", "15_errata"),
    # --- terms of single lessons ---------------------------------------------------------------------------
    _("in-place update", "原地更新", "writing into a tensor's storage (`.data -= ...`): autograd never sees it, so "
      "no gradient flows through it", "04_pitfalls"),
    _("create_graph", "create_graph (保留计算图)", "the autograd option that keeps a gradient differentiable; "
      "without it MAML is silently first order", "04_pitfalls"),
    _("running statistics", "滑动统计量", "batch norm's averages kept across batches; shared across tasks they "
      "leak one task's data into another", "04_pitfalls"),
    _("Taylor expansion", "泰勒展开", "a function near a point as a polynomial in the step; how Reptile's update "
      "is shown to contain MAML's gradient", "05_optimisation_family"),
    _("per-coordinate learning rate", "逐坐标学习率", "one step size for every parameter coordinate, as "
      "Meta-SGD learns", "05_optimisation_family"),
    _("learning-rate annealing", "学习率退火", "shrinking a step size over training, e.g. Reptile's ε to zero",
      "05_optimisation_family"),
    _("transfer baseline", "迁移基线", "pretrain a classifier on all training classes, then fine-tune a fresh "
      "head on each new task", "07_maml_omniglot"),
    _("classifier head", "分类头", "the last linear layer that maps features to the N class scores",
      "07_maml_omniglot"),
    _("Lake's runs", "Lake 测试轮次", "the 20 fixed 20-way one-shot classification runs of Lake et al. (2015)",
      "02_omniglot"),
    _("gradient preprocessing", "梯度预处理", "(log|g|/p, sign g), or (−1, e^p·g) for tiny g: gradients of any "
      "scale become O(1) inputs", "17_learned_optimisers"),
    _("truncated backpropagation", "截断反向传播", "backpropagate through only the last T steps of an unrolled "
      "optimisation, to bound memory", "17_learned_optimisers"),
    _("FIGR", "FIGR", "few-shot image generation: Reptile applied to a GAN's generator and discriminator",
      "14_meta_gan"),
    _("MetaGAN", "MetaGAN", "a GAN whose generator feeds fake examples to a few-shot classifier as an extra "
      "class", "14_meta_gan"),
    _("taxonomy of meta-learning", "元学习的分类", "the four families: optimisation-, metric-, model- and "
      "memory-based (the articles disagree; lesson 15 reconciles)", "15_errata"),
    _("erratum", "勘误", "a named error of a source, with the right version and a check", "15_errata"),
    _("length curriculum", "长度课程学习", "train on short sequences first and lengthen them as training goes on",
      "09_ntm_dnc"),
    _("feedforward controller", "前馈控制器", "a memory network's controller with no state of its own: all it "
      "carries between steps goes through the memory", "09_ntm_dnc"),
    _("Fréchet distance", "弗雷歇距离", "the distance between Gaussians fitted to the embeddings of real and of generated "
      "samples (FID when the embedding is Inception's)", "14_meta_gan"),
    _("recognisability", "可识别度", "the share of generated drawings that a classifier which never saw their class "
      "assigns to it in an N-way test", "14_meta_gan"),
    _("fine-tuning baseline", "微调基线", "one model trained jointly on all training classes, then adapted to a new class "
      "by the same steps", "14_meta_gan"),
    _("attentive neural process (ANP)", "注意力神经过程", "a neural process whose targets each attend over the context "
      "instead of reading one mean r", "10_neural_processes"),
    _("cross-attention", "交叉注意力", "each query (a target x) takes a softmax(q·k/√d)-weighted mean of the values of "
      "the keys (context points)", "10_neural_processes"),
    _("latent temperature", "潜变量温度（截断技巧）", "the factor τ in z = τ·ε that trades a generator's diversity for "
      "typical samples; used to compare generators at equal diversity", "14_meta_gan"),
    _("test-time relabelling", "测试时标签重排", "averaging a sequence learner's class probabilities over relabellings of "
      "an episode: the prediction no longer depends on the label numbers", "08_memory_augmented"),
)


def terms(lesson: str | None = None) -> tuple[Term, ...]:
    """The glossary rows, all or only those taught in ``lesson`` (a key of :data:`LESSONS`)."""
    if lesson is not None and lesson not in LESSONS:
        raise ValueError(f"lesson={lesson!r} is not in the lesson map: allowed {sorted(LESSONS)}.")
    return tuple(t for t in GLOSSARY if lesson is None or t.lesson == lesson)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def glossary_markdown(lesson: str | None = None) -> str:
    """The glossary (or one lesson's terms) as a markdown table: English | 中文 | one line | lesson."""
    rows = ["| English | 中文 | one line | lesson |", "|---|---|---|---|"]
    for t in sorted(terms(lesson), key=lambda t: t.english.lower()):
        rows.append(f"| {_cell(t.english)} | {_cell(t.chinese)} | {_cell(t.definition)} | {t.lesson[:2]} |")
    return "\n".join(rows)


def lesson_map_markdown() -> str:
    """The lesson map as a markdown table: lesson | family | what you will see."""
    rows = ["| lesson | family | what you will see |", "|---|---|---|"]
    for stem, lesson in LESSONS.items():
        rows.append(f"| {stem[:2]} {_cell(lesson.title)} | {_cell(lesson.family)} | {_cell(lesson.shows)} |")
    return "\n".join(rows)


def show_glossary(lesson: str | None = None):
    """Display :func:`glossary_markdown` in a notebook (returns the IPython Markdown object)."""
    from IPython.display import Markdown

    return Markdown(glossary_markdown(lesson))


def show_lesson_map():
    """Display :func:`lesson_map_markdown` in a notebook."""
    from IPython.display import Markdown

    return Markdown(lesson_map_markdown())
