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


def module_device(module) -> torch.device:
    """The device of a module's first parameter (or buffer); ``cpu`` for a module with neither.

    Widgets and scorers use it to send their data where the learner lives (the setup cell's ``device``).

    Example:
        >>> module_device(torch.nn.Linear(2, 1))
        device(type='cpu')
    """
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")
