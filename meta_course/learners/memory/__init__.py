"""Memory- and model-based learners: they adapt by reading the support data into a memory or context."""
