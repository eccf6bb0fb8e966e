"""The navigation widget of lesson 12: PEARL exploring a new goal, episode by episode.

:func:`pearl_view` is the plain-Python update (unit-tested): for a goal on the half circle it lets a
trained :class:`~meta_course.learners.rl.pearl.PEARL` agent play ``n_episodes`` exploration episodes
by posterior sampling and records, before each episode, samples of its posterior q(z | context).
A latent z is not a position, so each sample is drawn as the *candidate goal it stands for*: the
point where the agent's greedy policy, given that z, ends an episode. As rewards arrive the candidate
goals gather around the true goal — the posterior sharpening, seen on the plane.
:class:`NavigationFigure` draws a view; :func:`navigation_explorer` wires a goal slider and an
"after k episodes" slider to it. :func:`maml_view` (plain Python, unit-tested) gives the trajectories
of a MAML-RL policy before and after its inner policy-gradient steps; :class:`AdaptationFigure` draws
them and :func:`maml_explorer` wires a goal, the number of inner steps and a seed to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ..core.checks import check_int, check_range

EPISODE_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive")


@dataclass
class NavigationView:
    """One task explored by PEARL: every tensor's first dimension indexes episodes (or posteriors)."""

    goal: Tensor                 # [2]
    goal_radius: float
    paths: Tensor                # [E, H + 1, 2] positions, from the origin
    rewards: Tensor              # [E, H] the sparse rewards the agent saw
    reached: Tensor              # [E] bool: the episode entered the goal region
    candidates: Tensor           # [E + 1, S, 2] candidate goals of the posterior before episode k (k = E: after all)
    posterior_std: Tensor        # [E + 1] mean posterior standard deviation over latent dims
    seed: int

    @property
    def n_episodes(self) -> int:
        return self.paths.shape[0]

    def candidate_spread(self, k: int) -> float:
        """Root-mean-square distance of the candidate goals before episode k+1 to their mean."""
        c = self.candidates[k]
        return float(((c - c.mean(0)) ** 2).sum(-1).mean().sqrt())

    def candidate_error(self, k: int) -> float:
        """Median distance of the candidate goals before episode k+1 to the true goal."""
        return float((self.candidates[k] - self.goal).norm(dim=-1).median())


@torch.no_grad()
def candidate_goals(learner, z: Tensor) -> Tensor:
    """Where the greedy policy ends an episode from the origin for each latent ``z [S, d]``: ``[S, 2]``."""
    from ..tasks.envs.navigation import GoalTasks, PointNavigation

    env = PointNavigation(**learner.env_config, num_envs=z.shape[0])
    env.set_task(GoalTasks(goal=torch.zeros(z.shape[0], 2)))  # the goal only affects rewards, not motion
    obs, _ = env.reset()
    for _ in range(env.horizon):
        obs = env.step(learner.act(obs, z, deterministic=True))[0]
    return obs


def pearl_view(learner, goal_angle: float = 90.0, n_episodes: int = 4, seed: int = 0,
               n_candidates: int = 64) -> NavigationView:
    """PEARL explores the goal at ``goal_angle`` degrees on the unit half circle.

    Args:
        learner: a trained PEARL agent of the sparse point-robot task.
        goal_angle: 0 (right end) … 180 (left end) degrees.
        n_episodes: exploration episodes (posterior sampling: z ~ q(z | earlier episodes) per episode).
        seed: the posterior samples (the agent acts greedily given z).
        n_candidates: posterior samples drawn as candidate goals before each episode.

    Example:
        >>> from meta_course.learners.rl.pearl import PEARL
        >>> view = pearl_view(PEARL(hidden=(8,)), goal_angle=45, n_episodes=2, n_candidates=5)
        >>> view.paths.shape, view.candidates.shape
        (torch.Size([2, 21, 2]), torch.Size([3, 5, 2]))
    """
    from ..tasks.envs.navigation import GoalTasks

    check_range("goal_angle", goal_angle, 0.0, 180.0, "Goals lie on the upper half circle: 0-180 degrees.")
    check_int("n_episodes", n_episodes, 1, 20, "Explore for 1-20 episodes.")
    check_int("n_candidates", n_candidates, 1, 1000)
    phi = math.radians(goal_angle)
    goal = torch.tensor([[math.cos(phi), math.sin(phi)]]) * learner.env_config.get("goal_size", 1.0)
    g = torch.Generator().manual_seed(int(seed))
    eps, posts, samples = learner.explore(GoalTasks(goal=goal), n_episodes, generator=g, posterior_samples=n_candidates)
    paths = torch.stack([torch.cat([e.obs[0, :1], e.next_obs[0]], 0) for e in eps])
    candidates = torch.stack([candidate_goals(learner, s[0]) for s in samples])
    std = torch.stack([p.var[0].sqrt().mean() for p in posts])
    return NavigationView(goal[0], float(learner.env_config.get("goal_radius", 0.2)), paths,
                          torch.stack([e.rewards[0] for e in eps]), torch.stack([e.reached[0] for e in eps]),
                          candidates, std, int(seed))


@torch.no_grad()
def maml_view(learner, goal, inner_steps: int = 1, n_traj: int = 10, seed: int = 0) -> dict:
    """Trajectories of a MAML-RL (or pretrained) policy on one goal before and after each inner step.

    Returns ``{"goal": [2], "paths": [inner_steps + 1] of [n_traj, H, 2], "returns": [...],
    "final_distance": [...]}``: the positions at which each action was taken with the parameters
    before step 0, 1, ..., their mean return, and the mean distance of the last position to the goal.
    """
    from ..tasks.envs.navigation import GoalTasks

    check_int("inner_steps", inner_steps, 0, 10, "MAML-RL takes 0-10 inner policy-gradient steps here.")
    goal = torch.as_tensor(goal, dtype=torch.float32).view(1, 2)
    predictor = learner.adapt(GoalTasks(goal=goal), inner_steps=inner_steps, n_traj=n_traj,
                              generator=torch.Generator().manual_seed(int(seed)))
    paths = predictor.info["positions"]
    return {"goal": goal[0], "paths": paths, "returns": predictor.info["returns"],
            "final_distance": [float((p[:, -1] - goal[0]).norm(dim=-1).mean()) for p in paths]}


class AdaptationFigure:
    """MAML-RL's adaptation on one goal: for each learner, the sampled trajectories before (gray) and
    after (green) its inner policy-gradient steps, and the goal."""

    def __init__(self, n_panels: int = 2, dpi: int = 72, figsize=(10, 4.2)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.axes = list(self.fig.subplots(1, n_panels, squeeze=False)[0])

    def update(self, views: dict) -> "AdaptationFigure":
        """``views``: name → :func:`maml_view` result (one panel each, in order)."""
        if len(views) != len(self.axes):
            raise ValueError(f"views has {len(views)} learners, the figure {len(self.axes)} panels: "
                             f"build AdaptationFigure(n_panels={len(views)}).")
        for ax, (name, view) in zip(self.axes, views.items()):
            ax.clear()
            last = len(view["paths"]) - 1
            for step, paths in enumerate(view["paths"]):
                color = "tab:green" if step == last and last > 0 else "0.6"
                for j, p in enumerate(paths):
                    ax.plot(p[:, 0], p[:, 1], color=color, lw=0.7, alpha=0.8,
                            label=(f"after {step} step(s)" if step else "before adapting") if j == 0 else None)
            ax.plot(*view["goal"].tolist(), marker="*", color="k", ms=12)
            ax.set(xlim=(-0.75, 0.75), ylim=(-0.75, 0.75), aspect="equal",
                   title=f"{name}: return {view['returns'][0]:.0f} → {view['returns'][-1]:.0f}")
            ax.title.set_fontsize(10)
            ax.legend(fontsize=7, loc="lower right", frameon=False)
        return self

    def png(self) -> bytes:
        from . import figure_png

        return figure_png(self.fig)


def maml_explorer(learners: dict, n_traj: int = 10):
    """ipywidgets: goal x/y sliders, inner steps and a seed driving :class:`AdaptationFigure` for each
    learner of ``learners`` (name → MAML-RL or pretrained agent)."""
    import ipywidgets as W

    figure = AdaptationFigure(len(learners))
    image = W.Image(format="png")
    gx = W.FloatSlider(value=0.3, min=-0.5, max=0.5, step=0.05, description="goal x")
    gy = W.FloatSlider(value=-0.2, min=-0.5, max=0.5, step=0.05, description="goal y")
    steps = W.IntSlider(value=1, min=0, max=3, description="inner steps")
    seed = W.IntSlider(value=0, min=0, max=20, description="seed")

    def redraw(*_):
        views = {name: maml_view(agent, [gx.value, gy.value], steps.value, n_traj, seed.value)
                 for name, agent in learners.items()}
        image.value = figure.update(views).png()

    for w in (gx, gy, steps, seed):
        w.observe(redraw, names="value")
    redraw()
    return W.VBox([W.HBox([gx, gy]), W.HBox([steps, seed]), image])


class NavigationFigure:
    """Left: the plane — the half circle of goals, the goal region, the episodes' paths and the
    candidate goals of the posterior. Right: how far the candidate goals are from the goal, and how
    spread out they are, before each episode."""

    def __init__(self, dpi: int = 72, figsize=(10, 4.2)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.ax_plane, self.ax_post = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})

    def update(self, view: NavigationView, k: int | None = None) -> "NavigationFigure":
        """Show the first ``k`` episodes and the posterior after them (``k = 0``: the prior)."""
        from matplotlib.patches import Circle

        k = view.n_episodes if k is None else int(k)
        check_int("k", k, 0, view.n_episodes, "Episodes seen: 0 (the prior) to n_episodes.")
        ax = self.ax_plane
        ax.clear()
        t = torch.linspace(0, math.pi, 100)
        ax.plot(torch.cos(t), torch.sin(t), color="0.7", lw=1, ls="--")
        ax.add_patch(Circle(view.goal.tolist(), view.goal_radius, color="gold", alpha=0.35, lw=0))
        ax.plot(*view.goal.tolist(), marker="*", color="k", ms=12)
        for e in range(k):
            p = view.paths[e]
            label = f"episode {e + 1}" + (" (reward)" if bool(view.reached[e]) else "")
            ax.plot(p[:, 0], p[:, 1], "-o", ms=2.5, lw=1.2, color=EPISODE_COLORS[e % len(EPISODE_COLORS)], label=label)
        c = view.candidates[k]
        ax.scatter(c[:, 0], c[:, 1], s=12, color="tab:red", alpha=0.5, label=f"candidate goals after {k} episode(s)")
        ax.set(xlim=(-1.35, 1.35), ylim=(-0.35, 1.35), aspect="equal",
               title=f"PEARL after {k} exploration episode(s)")
        ax.title.set_fontsize(10)
        ax.legend(fontsize=7, loc="lower center", ncol=2, frameon=False)

        ax = self.ax_post
        ax.clear()
        ks = list(range(view.n_episodes + 1))
        ax.plot(ks, [view.candidate_error(j) for j in ks], "-o", color="tab:red", label="median distance to the goal")
        ax.plot(ks, [view.candidate_spread(j) for j in ks], "-s", color="tab:gray", label="spread of the candidates")
        ax.axvline(k, color="k", ls=":", lw=0.8)
        ax.axhline(view.goal_radius, color="gold", lw=1, label="goal radius")
        ax.set(xlabel="exploration episodes seen", ylabel="distance", ylim=(0, None),
               title="the posterior's candidate goals")
        ax.title.set_fontsize(10)
        ax.legend(fontsize=7, frameon=False)
        return self

    def png(self) -> bytes:
        from . import figure_png

        return figure_png(self.fig)


def navigation_explorer(learner, n_episodes: int = 4, n_candidates: int = 64):
    """ipywidgets: a goal-angle slider, a seed and an "episodes seen" slider driving :class:`NavigationFigure`."""
    import ipywidgets as W

    figure = NavigationFigure()
    image = W.Image(format="png")
    angle = W.FloatSlider(value=60.0, min=0.0, max=180.0, step=5.0, description="goal angle °")
    seed = W.IntSlider(value=0, min=0, max=20, description="seed")
    k = W.IntSlider(value=0, min=0, max=n_episodes, description="episodes seen")
    cache = {}

    def redraw(*_):
        key = (angle.value, seed.value)
        if key not in cache:
            cache.clear()
            cache[key] = pearl_view(learner, angle.value, n_episodes, seed.value, n_candidates)
        image.value = figure.update(cache[key], k.value).png()

    for w in (angle, seed, k):
        w.observe(redraw, names="value")
    redraw()
    return W.VBox([W.HBox([angle, seed, k]), image])


__all__ = ["AdaptationFigure", "NavigationFigure", "NavigationView", "candidate_goals", "maml_explorer", "maml_view",
           "navigation_explorer", "pearl_view"]
