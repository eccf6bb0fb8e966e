"""meta-course: a small, correct PyTorch implementation of every algorithm the course teaches.

The package is the single source of truth for the lessons in ``notebooks/``: parameters are
dictionaries of tensors, models are called with :func:`torch.func.functional_call`, every
gradient-based learner adapts with :func:`meta_course.core.adapt`, and every learner trains with
:func:`meta_course.train.train` and is scored with :func:`meta_course.evaluate.evaluate`.
"""

__version__ = "0.1.0"
