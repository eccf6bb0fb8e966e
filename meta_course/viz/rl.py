"""Widgets of the reinforcement-learning lessons.

Bandits (lesson 11): :func:`bandit_view` is the plain-Python update (unit-tested). It draws ONE
Bernoulli bandit from a seed, plays a trial of n pulls on it with RL² and with classical algorithms,
all on the same reward draws (reward of pull t = u_t < p_a, the same u_t for every method, so the
methods differ only by their choices), and returns the arm pulled at every step, the rewards, the
cumulative pseudo-regret Σ_t (max_j p_j − p_{a_t}) and the Beta(1 + s, 1 + f) posterior of every arm
after every pull. :class:`BanditFigure` draws a view; :func:`bandit_explorer` wires k, n, seed and a
"posterior after pull t" slider to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..core.checks import check_choice, check_int

BANDIT_METHODS = ("rl2", "ucb1", "thompson", "gittins", "greedy", "random")
COLORS = {"rl2": "tab:red", "ucb1": "tab:blue", "thompson": "tab:green", "gittins": "tab:purple",
          "greedy": "tab:orange", "random": "tab:gray", "bayes_optimal": "k", "epsilon_greedy": "tab:brown"}
LABELS = {"rl2": "RL²", "ucb1": "UCB1", "thompson": "Thompson", "gittins": "Gittins (finite horizon)",
          "greedy": "greedy", "random": "random", "bayes_optimal": "Bayes-optimal", "epsilon_greedy": "ε-greedy"}


@dataclass
class BanditView:
    """One trial on one bandit, played by several methods (every per-method tensor is ``[n]``)."""

    p: Tensor                          # [k] the arms' success probabilities (unknown to the players)
    methods: list[str]
    actions: dict[str, Tensor]         # arm pulled at step t
    rewards: dict[str, Tensor]         # 0/1 reward at step t
    cum_regret: dict[str, Tensor]      # Σ_{s ≤ t} (max p − p_{a_s})
    alpha: dict[str, Tensor]           # [n, k] Beta posterior α = 1 + successes after pull t
    beta: dict[str, Tensor]            # [n, k] Beta posterior β = 1 + failures after pull t
    k: int
    n: int
    seed: int

    def total_reward(self, method: str) -> float:
        return float(self.rewards[method].sum())


def bandit_view(agent=None, k: int = 5, n: int = 10, seed: int = 0, methods=("rl2", "ucb1", "thompson"),
                ucb_c: float = 0.2) -> BanditView:
    """Play one seeded bandit with each method.

    Args:
        agent: a trained :class:`~meta_course.learners.rl.rl2.RL2` for (k, n); needed if "rl2" is listed.
        k, n: arms and pulls of the trial.
        seed: picks the bandit (p) and the reward draws.
        methods: any of :data:`BANDIT_METHODS`.
        ucb_c: UCB1's exploration constant (the Beta-prior variant; 0.2 is the bench's tuned value).

    Example:
        >>> view = bandit_view(None, k=3, n=8, seed=1, methods=("ucb1", "random"))
        >>> view.cum_regret["ucb1"].shape, view.alpha["random"].shape
        (torch.Size([8]), torch.Size([8, 3]))
    """
    from ..learners.rl.bandit_baselines import make_baseline, posterior_params, run_policy
    from ..tasks.envs.bandits import BernoulliBandits

    check_int("k", k, 2, 20, "Arms of the bandit: 2-20.")
    check_int("n", n, 1, 500, "Pulls per trial: 1-500.")
    for m in methods:
        check_choice("method", m, BANDIT_METHODS)
    tasks = BernoulliBandits(k=k, n=n).sample_tasks(1, torch.Generator().manual_seed(int(seed)))
    actions, rewards, regret = {}, {}, {}
    for m in methods:
        if m == "rl2":
            if agent is None:
                raise ValueError("method 'rl2' needs a trained agent: pass agent=load_learner(checkpoint_path(...)) "
                                 "or drop 'rl2'.")
            env_args = agent.config["env_args"]
            if (env_args["k"], env_args["n"]) != (k, n):
                raise ValueError(f"the RL² agent was trained for k={env_args['k']}, n={env_args['n']} but the view "
                                 f"asks k={k}, n={n}: load the agent of that setting.")
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(seed))
                trial = agent.play(tasks, seed=int(seed))
            a, r, g = trial.actions[0], trial.rewards[0], trial.info["regret"][0]
        else:
            run = run_policy(make_baseline(m, **({"c": ucb_c} if m == "ucb1" else {})), tasks, n, seed=int(seed))
            a, r, g = run.actions[0], run.rewards[0], run.regret[0]
        actions[m], rewards[m], regret[m] = a, r, g.cumsum(0)
    alpha, beta = {}, {}
    for m in methods:
        al, be = posterior_params(actions[m].unsqueeze(0), rewards[m].unsqueeze(0), k)
        alpha[m], beta[m] = al[0], be[0]
    return BanditView(tasks.p[0], list(methods), actions, rewards, regret, alpha, beta, k, n, int(seed))


def beta_pdf(x: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """Beta(a, b) density at x (broadcasting), via log-gamma."""
    x = x.clamp(1e-6, 1 - 1e-6)
    log_norm = torch.lgamma(a + b) - torch.lgamma(a) - torch.lgamma(b)
    return torch.exp(log_norm + (a - 1) * torch.log(x) + (b - 1) * torch.log1p(-x))


class BanditFigure:
    """Three panels: arm pulls of each method (a dot per pull, filled if it paid), the posterior of every
    arm after pull t for the first method (true p dashed), and the cumulative regret curves."""

    def __init__(self, dpi: int = 72, figsize=(12, 3.8)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.ax_pulls, self.ax_post, self.ax_regret = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.4, 1, 1]})

    def update(self, view: BanditView, t: int | None = None) -> "BanditFigure":
        import matplotlib

        t = view.n if t is None else int(t)
        check_int("t", t, 1, view.n, "Posterior after pull t: 1..n.")
        ax = self.ax_pulls
        ax.clear()
        m_count = len(view.methods)
        for i, m in enumerate(view.methods):
            y = view.actions[m].float() + (i - (m_count - 1) / 2) * 0.8 / max(m_count, 1)
            paid = view.rewards[m] > 0
            steps = torch.arange(1, view.n + 1)
            ax.scatter(steps[paid], y[paid], s=14, color=COLORS[m], label=f"{LABELS[m]} ({view.total_reward(m):.0f})")
            ax.scatter(steps[~paid], y[~paid], s=14, facecolors="none", edgecolors=COLORS[m], linewidths=0.8)
        best = int(view.p.argmax())
        ax.axhspan(best - 0.45, best + 0.45, color="gold", alpha=0.2, lw=0)
        ax.axvline(t + 0.5, color="k", lw=0.6, ls=":")
        ax.set_yticks(range(view.k), [f"arm {i}  p={float(p):.2f}" for i, p in enumerate(view.p)], fontsize=7)
        ax.set(xlabel="pull t", title=f"arm pulled (filled: reward 1, shaded: best arm), seed {view.seed}")
        ax.title.set_fontsize(9)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0, -0.18), ncol=3, frameon=False)

        ax = self.ax_post
        ax.clear()
        m = view.methods[0]
        x = torch.linspace(0, 1, 201)
        cmap = matplotlib.colormaps["tab10"]
        for arm in range(view.k):
            density = beta_pdf(x, view.alpha[m][t - 1, arm], view.beta[m][t - 1, arm])
            ax.plot(x, density, color=cmap(arm % 10), lw=1.2, label=f"arm {arm}")
            ax.axvline(float(view.p[arm]), color=cmap(arm % 10), ls="--", lw=0.8)
        ax.set(xlabel="success probability p", ylabel="posterior density",
               title=f"posterior per arm after pull {t} ({LABELS[m]}); dashed: true p")
        ax.title.set_fontsize(9)
        ax.legend(fontsize=7, ncol=2)

        ax = self.ax_regret
        ax.clear()
        for m in view.methods:
            ax.plot(torch.arange(1, view.n + 1), view.cum_regret[m], color=COLORS[m], label=LABELS[m])
        ax.set(xlabel="pull t", ylabel="Σ (max p − p_a)", title="cumulative regret on this bandit")
        ax.title.set_fontsize(9)
        ax.legend(fontsize=7)
        self.fig.tight_layout()
        return self

    def png(self) -> bytes:
        from . import figure_png

        return figure_png(self.fig)


def bandit_explorer(agents: dict, methods=("rl2", "ucb1", "thompson")):
    """Setting (k arms, n pulls), seed and pull-t controls → :class:`BanditFigure` (``agents[(k, n)]`` = a
    trained RL²; the setting menu lists exactly the settings of ``agents``)."""
    import ipywidgets as W

    settings = sorted(agents, key=lambda kn: (kn[1], kn[0]))
    setting = W.Dropdown(options=[(f"k={k} arms, n={n} pulls", (k, n)) for k, n in settings], value=settings[0],
                         description="bandit")
    seed = W.IntSlider(value=0, min=0, max=99, description="seed")
    t_slider = W.IntSlider(value=settings[0][1], min=1, max=settings[0][1], description="posterior at t")
    image = W.Image(format="png")
    figure = BanditFigure()
    state = {}

    def redraw(*_):
        key = setting.value
        t_slider.max = key[1]
        if state.get("key") != (key, seed.value):
            state["view"] = bandit_view(agents[key], *key, seed.value, methods)
            state["key"] = (key, seed.value)
        image.value = figure.update(state["view"], min(t_slider.value, key[1])).png()

    for w in (setting, seed, t_slider):
        w.observe(redraw, "value")
    redraw()
    return W.VBox([W.HBox([setting, seed, t_slider]), image])


__all__ = ["BANDIT_METHODS", "BanditFigure", "BanditView", "bandit_explorer", "bandit_view", "beta_pdf"]
