"""MATLAB-compatible ``imresize`` (bicubic, antialiased), in numpy and in torch.

Geometric convention (MATLAB's, written down once here):

* pixel *centres* sit at integer coordinates; output pixel ``j`` (1-based) maps to the input
  coordinate ``u = j / s + 0.5 * (1 - 1 / s)`` where ``s`` is the scale factor of that axis;
* the interpolation kernel is Keys' cubic with ``a = -0.5``; when shrinking (``s < 1``) it is
  widened to ``s * cubic(s * x)`` (support ``4 / s``) so that it also anti-aliases;
* borders are half-sample symmetric (``... 2 1 0 | 0 1 2 ...``), and each output row of weights
  is normalised to sum 1.

For ``s = 1/2`` LR pixel ``m`` (0-based) is centred at HR coordinate ``2m + 0.5``, the centre
of the 2x2 block it summarises. The degradation operator in :mod:`degradations.downscale`
is built so that a kernel-based downscale uses the same grid.

Both back ends apply the same per-axis taps (:func:`resize_taps`; dense matrices in numpy, a
banded sum in torch), so the torch path is exact (no padding-mode approximation at the borders)
and runs on any device.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = [
    "cubic",
    "imresize",
    "imresize_torch",
    "resize_taps",
    "resize_weights",
    "output_shape_for",
]


def cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with ``a = -0.5`` (MATLAB ``imresize`` 'bicubic')."""
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * (
        (ax > 1) & (ax <= 2)
    )


def _pair(value: float | tuple[float, float] | list[float], name: str) -> tuple[float, float]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be a number or a (rows, cols) pair, got {value!r}")
        pair = (float(value[0]), float(value[1]))
    else:
        pair = (float(value), float(value))
    if not all(math.isfinite(v) and v > 0 for v in pair):
        raise ValueError(f"{name} must be finite and positive, got {value!r}")
    return pair


def output_shape_for(
    in_shape: tuple[int, int], scale: float | tuple[float, float]
) -> tuple[int, int]:
    """Output size ``ceil(in * scale)`` per axis, as MATLAB computes it.

    A tiny tolerance absorbs float error, so that e.g. ``51 * (1 / 1.7) * 1.7`` does not round up
    to one pixel more than intended.
    """
    sy, sx = _pair(scale, "scale")
    return (
        int(math.ceil(in_shape[0] * sy - 1e-9)),
        int(math.ceil(in_shape[1] * sx - 1e-9)),
    )


@lru_cache(maxsize=256)
def resize_taps(
    in_len: int, out_len: int, scale: float, antialias: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """MATLAB's ``contributions``: ``(out_len, taps)`` 0-based input indices (borders mirrored
    half-sample symmetric) and their float64 weights, each row summing to 1.

    ``scale`` sets the sampling grid (it need not equal ``out_len / in_len``), exactly as when
    MATLAB's ``imresize`` is given both a scale and an output size.
    """
    if in_len < 1 or out_len < 1:
        raise ValueError(f"resize lengths must be >= 1, got in={in_len}, out={out_len}")
    widen = antialias and scale < 1
    width = 4.0 / scale if widen else 4.0
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - width / 2.0)
    taps = int(math.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]  # 1-based input positions
    dist = u[:, None] - idx
    weights = scale * cubic(scale * dist) if widen else cubic(dist)
    weights = weights / weights.sum(axis=1, keepdims=True)
    # Half-sample symmetric mirroring of out-of-range taps.
    period = 2 * in_len
    zero_based = np.mod(idx.astype(np.int64) - 1, period)
    zero_based = np.where(zero_based >= in_len, period - 1 - zero_based, zero_based)
    return zero_based, weights


@lru_cache(maxsize=256)
def resize_weights(in_len: int, out_len: int, scale: float, antialias: bool = True) -> np.ndarray:
    """Dense ``(out_len, in_len)`` float64 weight matrix of :func:`resize_taps` (mirrored taps
    that land on the same input pixel are summed)."""
    index, weights = resize_taps(in_len, out_len, scale, antialias)
    matrix = np.zeros((out_len, in_len), dtype=np.float64)
    rows = np.repeat(np.arange(out_len), index.shape[1])
    np.add.at(matrix, (rows, index.ravel()), weights.ravel())
    return matrix


def _plan(
    in_shape: tuple[int, int],
    scale: float | tuple[float, float] | None,
    output_shape: tuple[int, int] | None,
) -> tuple[tuple[float, float], tuple[int, int]]:
    if scale is None and output_shape is None:
        raise ValueError("imresize needs a scale, an output_shape, or both")
    if output_shape is not None:
        out = (int(output_shape[0]), int(output_shape[1]))
        if min(out) < 1:
            raise ValueError(f"output_shape must be positive, got {output_shape!r}")
    if scale is None:
        sc = (out[0] / in_shape[0], out[1] / in_shape[1])
    else:
        sc = _pair(scale, "scale")
        if output_shape is None:
            out = output_shape_for(in_shape, sc)
    return sc, out


def imresize(
    image: np.ndarray,
    scale: float | tuple[float, float] | None = None,
    *,
    output_shape: tuple[int, int] | None = None,
    antialias: bool = True,
) -> np.ndarray:
    """MATLAB ``imresize(image, scale, 'bicubic')`` for numpy arrays.

    Args:
        image: ``H x W`` or ``H x W x C`` array (any float or integer dtype; computed in float64).
        scale: a factor or ``(rows, cols)`` factors; > 1 enlarges. Sets the sampling grid.
        output_shape: ``(H_out, W_out)``; defaults to ``ceil(H * scale), ceil(W * scale)``.
        antialias: widen the kernel when shrinking (MATLAB default ``true``).

    Returns:
        float32 array of the output shape with the input's channel layout. Values are not clipped:
        bicubic overshoots, clip when you need a [0, 1] image.
    """
    if image.ndim not in (2, 3):
        raise ValueError(f"imresize expects an HxW or HxWxC array, got shape {image.shape}")
    (sy, sx), (out_h, out_w) = _plan(image.shape[:2], scale, output_shape)
    result = np.asarray(image, dtype=np.float64)
    if (out_h, out_w) != image.shape[:2] or (sy, sx) != (1.0, 1.0):
        wy = resize_weights(image.shape[0], out_h, sy, antialias)
        wx = resize_weights(image.shape[1], out_w, sx, antialias)
        result = np.tensordot(wy, result, axes=(1, 0))
        result = np.moveaxis(np.tensordot(wx, result, axes=(1, 1)), 0, 1)
    return result.astype(np.float32)


#: Largest side a GPU resizes with dense weight matrices.
DENSE_MAX = 512


def imresize_torch(
    image: torch.Tensor,
    scale: float | tuple[float, float] | None = None,
    *,
    output_shape: tuple[int, int] | None = None,
    antialias: bool = True,
) -> torch.Tensor:
    """Same as :func:`imresize` for a tensor whose last two axes are ``H x W`` (e.g. NCHW),
    computed in the tensor's dtype on its device.

    Applies the same per-axis taps as the numpy path, but banded: a sum over the few taps of
    each output pixel instead of a dense ``out x in`` matrix product, so the cost and memory
    grow linearly with the image (a dense product is ~100x the work for a 2K-wide image). The
    two back ends agree to float rounding. On a GPU, images up to ``DENSE_MAX`` pixels a side
    (training crops) use the dense products instead.
    """
    import torch

    if image.ndim < 2:
        raise ValueError(
            f"imresize_torch expects a tensor with >= 2 dims, got {tuple(image.shape)}"
        )
    in_shape = (int(image.shape[-2]), int(image.shape[-1]))
    (sy, sx), (out_h, out_w) = _plan(in_shape, scale, output_shape)
    if (out_h, out_w) == in_shape and (sy, sx) == (1.0, 1.0):
        return image
    if image.device.type != "cpu" and max(in_shape + (out_h, out_w)) <= DENSE_MAX:
        # A GPU step is launch-bound: two dense products beat 2 x taps small kernels there.
        wy, wx = (
            torch.as_tensor(resize_weights(n, m, sc, antialias), device=image.device)
            for n, m, sc in ((in_shape[0], out_h, sy), (in_shape[1], out_w, sx))
        )
        return wy.to(image.dtype) @ image @ wx.to(image.dtype).T
    # Both passes gather whole rows (contiguous copies): the column pass runs on the transpose.
    rows = _resize_rows(image, *resize_taps(in_shape[0], out_h, sy, antialias))
    cols = _resize_rows(rows.transpose(-2, -1), *resize_taps(in_shape[1], out_w, sx, antialias))
    return cols.transpose(-2, -1).contiguous()


def _resize_rows(image: torch.Tensor, index: np.ndarray, weights: np.ndarray) -> torch.Tensor:
    """``sum_t weights[:, t] * image.index_select(-2, index[:, t])``, tap by tap (memory: two
    outputs, not ``taps`` of them)."""
    import torch

    image = image.contiguous()
    idx = torch.as_tensor(index.T.copy(), device=image.device)
    w = torch.as_tensor(weights.T.copy(), dtype=image.dtype, device=image.device)[..., None]
    out = image.index_select(-2, idx[0]).mul_(w[0])
    for t in range(1, idx.shape[0]):
        out.addcmul_(image.index_select(-2, idx[t]), w[t])
    return out
