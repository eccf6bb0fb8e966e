"""Data-parallel meta-training with :mod:`torch.distributed`: the meta-batch split across processes.

One outer step of a single process samples a meta-batch of B tasks and follows the gradient of the
mean meta-loss ``(1/B) Σ_i L_i(θ)`` (MAML's Eq. 2 / 6; the mean episode loss of a metric learner). With
N processes every rank samples *the same* B tasks from the same seeded generator, keeps its own
contiguous slice ``S_r`` of ``n_r`` tasks and back-propagates the mean over its slice. Since

    (1/B) Σ_i ∇L_i = Σ_r (n_r/B) · [(1/n_r) Σ_{i∈S_r} ∇L_i],

weighting each rank's gradient by its share ``n_r/B`` and summing over ranks (one ``all_reduce``) gives
every rank the single-process meta-gradient — up to float rounding — also when B is not a multiple of N.
Every rank then takes the same optimiser step, so the parameters stay identical on all of them.

Without an initialised process group everything here is a no-op (world size 1, rank 0), so a plain
``python -m meta_course train`` trains exactly as before.

References:
    Li et al. (2020), "PyTorch Distributed: Experiences on Accelerating Data Parallel Training", VLDB —
    gradient averaging by all-reduce (Section 2). Finn et al. (2017), MAML, Eq. (6): the meta-gradient
    is a mean over the tasks of the meta-batch, which is what makes the split exact.

Example:
    >>> world()
    (0, 1)
    >>> [task_slice(5, r, 2) for r in range(2)]
    [slice(0, 3, None), slice(3, 5, None)]
"""

from __future__ import annotations

import os
from typing import Iterable

import torch
import torch.distributed as dist


def world() -> tuple[int, int]:
    """``(rank, world_size)`` of the default process group; ``(0, 1)`` when there is none."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main() -> bool:
    """Whether this process writes files and prints (rank 0, or no process group)."""
    return world()[0] == 0


def task_slice(n_tasks: int, rank: int, world_size: int) -> slice:
    """The contiguous tasks of ``rank``: sizes differ by at most one, the first ``n_tasks % world_size``
    ranks take one more. Rank r of N sees exactly the tasks r·B/N … of the batch one process would use."""
    check_world_size(world_size, n_tasks)
    base, extra = divmod(n_tasks, world_size)
    start = rank * base + min(rank, extra)
    return slice(start, start + base + (rank < extra))


def check_world_size(world_size: int, meta_batch_size: int) -> None:
    """Every process needs at least one task of the meta-batch.

    Raises:
        ValueError: ``world_size`` is < 1 or larger than ``meta_batch_size``, naming both and the fix.
    """
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"number of processes {world_size!r} is out of range: allowed 1 to the meta-batch size "
                         f"({meta_batch_size}). Use --nproc 1 for one process or e.g. --nproc 2.")
    if world_size > meta_batch_size:
        raise ValueError(f"{world_size} processes for a meta-batch of {meta_batch_size} task(s): each process needs at "
                         f"least one task, so allowed 1 to {meta_batch_size}. Use --nproc {meta_batch_size} or fewer, "
                         "or a larger --meta-batch-size.")


def split_batch(batch, rank: int, world_size: int):
    """This rank's slice of a meta-batch and its share ``n_r / B`` of the tasks.

    ``batch`` is a named tuple of tensors with a leading task dimension (an
    :class:`~meta_course.tasks.Episode` and its kin); with world size 1 it is returned as it is.

    Example:
        >>> from meta_course.tasks import Episode
        >>> e = Episode(*(torch.arange(5.).view(5, 1) for _ in range(4)))
        >>> part, share = split_batch(e, 1, 2)
        >>> part.x_support.flatten().tolist(), share
        ([3.0, 4.0], 0.4)
    """
    if world_size == 1:
        return batch, 1.0
    fields = getattr(batch, "_fields", None)
    if fields is None or not all(isinstance(t, torch.Tensor) for t in batch):
        raise ValueError(f"a meta-batch of type {type(batch).__name__} cannot be split across processes: the split "
                         "needs a named tuple of tensors with a leading task dimension (an Episode). Train this "
                         "recipe with one process.")
    n = batch[0].shape[0]
    if any(t.shape[0] != n for t in batch):
        raise ValueError(f"the tensors of the {type(batch).__name__} have leading dimensions "
                         f"{[t.shape[0] for t in batch]}: they must all be the number of tasks to split them.")
    part = task_slice(n, rank, world_size)
    return type(batch)(*(t[part] for t in batch)), (part.stop - part.start) / n


def all_reduce_grads(params: Iterable[torch.Tensor], share: float = 1.0) -> None:
    """Make every rank's ``.grad`` the meta-gradient of the whole meta-batch: ``Σ_r share_r · grad_r``.

    ``share`` is this rank's fraction ``n_r / B`` of the tasks (its gradient is the mean over its own
    tasks). One flat all-reduce per dtype and device. A parameter whose ``.grad`` is ``None`` is left
    so (the same parameters get gradients on every rank: they run the same code). No-op without a
    process group.
    """
    rank, world_size = world()
    if world_size == 1:
        return
    groups: dict[tuple, list[torch.Tensor]] = {}
    for p in params:
        if p.grad is not None:
            groups.setdefault((p.grad.device, p.grad.dtype), []).append(p.grad)
    for grads in groups.values():
        flat = torch.cat([g.reshape(-1) for g in grads]).mul_(share)
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()


def all_reduce_mean(value: torch.Tensor, share: float = 1.0) -> torch.Tensor:
    """``Σ_r share_r · value_r`` (the meta-batch mean of a per-rank mean, e.g. the loss); ``value`` itself
    without a process group."""
    if world()[1] == 1:
        return value
    total = value.detach().double().reshape(1) * share
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total[0].to(value.dtype)


def any_rank(flag: bool, device=None) -> bool:
    """Whether ``flag`` is true on any rank (e.g. Ctrl-C reached one of them: all stop at the same step)."""
    if world()[1] == 1:
        return flag
    t = torch.tensor([float(flag)], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def rank_device(device: torch.device) -> torch.device:
    """``cuda`` without an index becomes this rank's GPU (``LOCAL_RANK``, set by torchrun) under a process group."""
    if device.type == "cuda" and device.index is None and world()[1] > 1:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", world()[0])) % torch.cuda.device_count())
    return device


def init_from_env(device=None) -> bool:
    """Join the process group torchrun describes (``WORLD_SIZE`` > 1 in the environment): NCCL when the
    device is CUDA, gloo otherwise. Returns whether a group was created here (destroy it with
    :func:`shutdown`). No-op when there is already a group or the world size is 1."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        return False
    cuda = torch.cuda.is_available() and (device is None or str(device).startswith("cuda") or device == "auto")
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")) % torch.cuda.device_count())
    dist.init_process_group("nccl" if cuda else "gloo")
    return True


def barrier() -> None:
    """Wait for every rank (no-op without a process group): e.g. rank 0 has finished writing a checkpoint."""
    if world()[1] > 1:
        dist.barrier()


def shutdown() -> None:
    """Leave the process group (every rank waits for the others first)."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
