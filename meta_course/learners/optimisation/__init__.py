"""Optimisation-based learners: the learner is trained so that a few steps of an inner optimiser adapt it
(MAML, FOMAML, Meta-SGD, Reptile, the meta-LSTM, the learned optimiser) — and their baselines
(joint pretraining, transfer)."""
