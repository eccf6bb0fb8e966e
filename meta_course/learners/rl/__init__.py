"""Reinforcement-learning learners: the agent adapts to a new task (an MDP) from its own experience —
RL² (a recurrent policy whose hidden state carries the task), MAML-RL (policy-gradient inner steps
from a meta-learned initialisation) and PEARL (inference of a latent task variable, off-policy SAC) —
and their baselines (classical bandit algorithms, a jointly trained policy)."""
