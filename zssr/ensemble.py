"""Geometric self-ensemble: the 8 rotations/flips of the input and their exact inverses.

Transform ``k`` (``H x W x C`` arrays): ``rot90(x, k)`` for ``k < 4`` and ``fliplr(rot90(x, k))``
for ``k >= 4``; ``np.rot90`` is counter-clockwise on (row, col). The inverse of ``k >= 4`` is
``rot90(fliplr(y), -k)`` (the reference code before 2018-09 used ``+k``, wrong for 5 and 7).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ensemble_indices", "forward_transform", "inverse_transform", "median_fuse"]


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
