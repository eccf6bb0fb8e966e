"""Device choice: CUDA, then Apple's MPS, then the CPU."""

import torch


def default_device() -> torch.device:
    """The fastest available device: ``cuda`` → ``mps`` → ``cpu``.

    Example:
        >>> default_device().type in {"cuda", "mps", "cpu"}
        True
    """
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
