"""Iterative back-projection onto the input (Irani & Peleg), with the one degradation operator.

``y <- clip(y + imresize(I - D(y), s), 0, 1)`` where ``D`` downscales with the stage's kernel (or
MATLAB bicubic) to exactly the input size and the error is upsampled with MATLAB bicubic.
:func:`back_project_torch` is the same on ``N x C x H x W`` tensors, on their device.
"""

from __future__ import annotations

import numpy as np
import torch
from blindsr.degradations.downscale import (
    downscale_with_shifted_kernel,
    downscale_with_shifted_kernel_torch,
)
from blindsr.degradations.resize import imresize, imresize_torch

__all__ = ["degrade_to", "degrade_to_torch", "back_project", "back_project_torch"]


def degrade_to(
    image: np.ndarray,
    shifted_kernel: np.ndarray | None,
    scale: tuple[float, float],
    output_shape: tuple[int, int] | None = None,
) -> np.ndarray:
    """Downscale ``image`` by ``scale`` with a centred kernel or MATLAB bicubic (the stage's
    degradation: ZSSR's sons and back-projection); ``output_shape`` defaults to the operator's."""
    if shifted_kernel is None:
        return imresize(image, (1.0 / scale[0], 1.0 / scale[1]), output_shape=output_shape)
    return downscale_with_shifted_kernel(image, shifted_kernel, scale, output_shape=output_shape)


def degrade_to_torch(
    image: torch.Tensor,
    shifted_kernel: np.ndarray | None,
    scale: tuple[float, float],
    output_shape: tuple[int, int] | None = None,
) -> torch.Tensor:
    """:func:`degrade_to` for ``N x C x H x W`` tensors, on their device."""
    if shifted_kernel is None:
        return imresize_torch(image, (1.0 / scale[0], 1.0 / scale[1]), output_shape=output_shape)
    return downscale_with_shifted_kernel_torch(
        image, shifted_kernel, scale, output_shape=output_shape
    )


def back_project(
    sr: np.ndarray,
    lr: np.ndarray,
    shifted_kernel: np.ndarray | None,
    scale: tuple[float, float],
    iterations: int,
) -> np.ndarray:
    """Run ``iterations`` back-projection steps of ``sr`` (``H x W x C``) against ``lr``."""
    y = np.asarray(sr, dtype=np.float32)
    for _ in range(iterations):
        residual = lr - degrade_to(y, shifted_kernel, scale, lr.shape[:2])
        y = np.clip(y + imresize(residual, scale, output_shape=y.shape[:2]), 0.0, 1.0)
    return y


def back_project_torch(
    sr: torch.Tensor,
    lr: torch.Tensor,
    shifted_kernel: np.ndarray | None,
    scale: tuple[float, float],
    iterations: int,
    *,
    work_dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """:func:`back_project` for ``N x C x H x W`` tensors (same operators, on their device).

    ``work_dtype``: the operators compute in it and round back to ``sr``'s dtype, as the numpy
    version computes in float64 and rounds to float32 (float64 here reproduces it bit for bit).
    """
    y = sr
    dtype = sr.dtype
    work = work_dtype or dtype
    out_shape = (int(lr.shape[-2]), int(lr.shape[-1]))
    for _ in range(iterations):
        residual = lr - degrade_to_torch(y.to(work), shifted_kernel, scale, out_shape).to(dtype)
        up = imresize_torch(
            residual.to(work), scale, output_shape=(int(y.shape[-2]), int(y.shape[-1]))
        )
        y = (y + up.to(dtype)).clamp(0.0, 1.0)
    return y
