"""The memory- and model-based family: learners that adapt by reading the support set into a memory
or a context vector, with no gradient step at test time (MANN, NTM, DNC, the conditional neural process)."""
