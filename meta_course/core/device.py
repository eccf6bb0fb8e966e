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


def resolve_device(device=None) -> torch.device:
    """``device`` as a :class:`torch.device` that exists here (``None`` or ``"auto"``: :func:`default_device`).

    Raises:
        ValueError: not a device name (``"bogus"``), or a device this machine lacks (``"cuda"`` without CUDA).

    Example:
        >>> resolve_device("cpu"), resolve_device(None) == default_device()
        (device(type='cpu'), True)
    """
    if device is None or device == "auto":
        return default_device()
    try:
        d = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"device={device!r} is not a device: use cpu, cuda, cuda:1, mps or auto.") from None
    if d.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device={device!r}: the course trains on cpu, cuda or mps, not {d.type}.")
    if d.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r}: CUDA is not available on this machine (torch.cuda.is_available() is "
                         "False): use cpu, or leave the device out for the fastest one available.")
    if d.type == "cuda" and d.index is not None and d.index >= torch.cuda.device_count():
        raise ValueError(f"device={device!r}: this machine has {torch.cuda.device_count()} CUDA device(s), "
                         f"numbered from 0: use cuda:0 ... cuda:{torch.cuda.device_count() - 1}.")
    if d.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"device={device!r}: Apple's MPS is not available on this machine: use cpu, or leave the "
                         "device out for the fastest one available.")
    return d


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
