"""Metric-based learners: a new task is solved by comparing embeddings, with no weight change
(Siamese, Matching and Prototypical networks, and an ensemble of them)."""
