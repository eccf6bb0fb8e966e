"""One image convention for every Omniglot path (training data, Lake's runs, widgets).

Omniglot drawings are 105×105 binary PNGs with black strokes on white. The course stores them as
``uint8`` tensors with **ink high** (255 = stroke, 0 = background), resized with an antialiasing
filter, and feeds networks ``float32`` in ``[0, 1]`` (:func:`to_float`). Both the dataset cache and
the one-shot runs decode through :func:`decode_png`, so a model sees the same pixels in both.
"""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

from ...core.checks import check_int

DEFAULT_SIZE = 28


def decode_png(data: bytes | str, size: int | None = DEFAULT_SIZE) -> torch.Tensor:
    """Decode an Omniglot PNG (bytes or a path) to a ``uint8 [size, size]`` tensor, ink = 255.

    Args:
        data: the PNG file's bytes, or its path.
        size: output side length (Lanczos, antialiased); ``None`` keeps the original 105×105.

    Example:
        >>> img = Image.new("1", (105, 105), 1); buf = io.BytesIO(); img.save(buf, "PNG")
        >>> decode_png(buf.getvalue()).shape, int(decode_png(buf.getvalue()).max())
        (torch.Size([28, 28]), 0)
    """
    img = Image.open(io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data).convert("L")
    return resize_u8(torch.from_numpy(255 - np.asarray(img, dtype=np.uint8).copy()), size)


def resize_u8(images: torch.Tensor, size: int | None) -> torch.Tensor:
    """Resize ``uint8 [..., H, W]`` ink-high images (Lanczos, antialiased): the one resize of the course, so
    a PNG decoded at ``size`` and a tensor resized later give the same pixels. ``None``: unchanged."""
    if size is None:
        return images
    check_int("size", size, 1, 1024, "Use the image side length in pixels, e.g. 28.")
    if tuple(images.shape[-2:]) == (size, size):
        return images
    flat = images.reshape(-1, *images.shape[-2:]).numpy()
    out = [255 - np.asarray(Image.fromarray(255 - im).resize((size, size), Image.LANCZOS), dtype=np.uint8)
           for im in flat]
    return torch.from_numpy(np.stack(out)).reshape(*images.shape[:-2], size, size)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """``uint8`` ink-high images → ``float32`` in ``[0, 1]`` with a channel axis: ``[..., 1, H, W]``."""
    return images.float().div_(255).unsqueeze(-3)


__all__ = ["DEFAULT_SIZE", "decode_png", "resize_u8", "to_float"]
