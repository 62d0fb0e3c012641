"""Geometric self-ensemble: the 8 rotations/flips of the input and their exact inverses.

Transform ``k`` (``H x W x C`` arrays): ``rot90(x, k)`` for ``k < 4`` and ``fliplr(rot90(x, k))``
for ``k >= 4``; ``np.rot90`` is counter-clockwise on (row, col). The inverse of ``k >= 4`` is
``rot90(fliplr(y), -k)`` (the reference code before 2018-09 used ``+k``, wrong for 5 and 7).

The ``*_torch`` twins do the same on ``N x C x H x W`` tensors on their device (``torch.rot90``
on dims (H, W) turns the same way as ``np.rot90`` on (row, col)); the GPU path uses them so the
ensemble never leaves the device.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = [
    "ensemble_indices",
    "forward_transform",
    "inverse_transform",
    "median_fuse",
    "forward_transform_torch",
    "inverse_transform_torch",
    "median_fuse_torch",
]


def ensemble_indices(output_flip: bool, scale: tuple[float, float]) -> list[int]:
    """All 8 transforms; the 4 that keep axes (no 90-degree turn) for anisotropic scales; or
    just the identity when the ensemble is off."""
    step = 1 + int(scale[0] != scale[1])
    return list(range(0, 1 + 7 * int(output_flip), step))


def forward_transform(x: np.ndarray, k: int) -> np.ndarray:
    y = np.rot90(x, k % 4)
    return np.fliplr(y) if k >= 4 else y


def inverse_transform(y: np.ndarray, k: int) -> np.ndarray:
    if k >= 4:
        y = np.fliplr(y)
    return np.ascontiguousarray(np.rot90(y, -(k % 4)))


def median_fuse(outputs: list[np.ndarray]) -> np.ndarray:
    """Element-wise median (mean of the two middle values for an even count)."""
    return np.median(np.stack(outputs, axis=0), axis=0).astype(np.float32)


def forward_transform_torch(x: torch.Tensor, k: int) -> torch.Tensor:
    y = torch.rot90(x, k % 4, dims=(-2, -1))
    return torch.flip(y, dims=(-1,)) if k >= 4 else y


def inverse_transform_torch(y: torch.Tensor, k: int) -> torch.Tensor:
    if k >= 4:
        y = torch.flip(y, dims=(-1,))
    return torch.rot90(y, -(k % 4), dims=(-2, -1)).contiguous()


def median_fuse_torch(outputs: list[torch.Tensor]) -> torch.Tensor:
    """:func:`median_fuse` on tensors. ``torch.median`` returns the lower middle value for an
    even count (8 transforms), so the two middle values of a sort are averaged instead."""
    values = torch.sort(torch.stack(outputs, dim=0), dim=0).values
    n = values.shape[0]
    if n % 2:
        return values[n // 2]
    return 0.5 * (values[n // 2 - 1] + values[n // 2])
