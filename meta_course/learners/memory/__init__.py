"""The memory- and model-based family: learners that adapt by reading the support set, with no
gradient step at test time (MANN, NTM, DNC, the conditional neural process)."""
