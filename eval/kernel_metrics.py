"""Kernel-quality measures: kernel error after alignment, and LR-reproduction PSNR.

Two estimated kernels that differ only by zero padding or by a translation blur identically up to
a shift of the output, and :func:`degradations.downscale` re-centres every kernel anyway, so
:func:`kernel_error` compares kernels only after normalising them, padding them to a common
support and aligning their centres of mass (docs/conventions.md, "Benchmark protocols").
:func:`lr_reproduction_psnr` is the measure that matters to the SR back end (DualSR's
"downsampler PSNR"): how well the kernel re-creates the LR image from the HR image.
"""

from __future__ import annotations

import math

import numpy as np
from blindsr.degradations.downscale import downscale
from blindsr.degradations.kernels import center_of_mass, normalize_kernel
from scipy import ndimage

__all__ = ["align_kernels", "kernel_error", "lr_reproduction_psnr"]


def _embed(kernel: np.ndarray, size: int) -> np.ndarray:
    """Zero-pad ``kernel`` into a ``size x size`` grid, geometric centre on geometric centre."""
    out = np.zeros((size, size))
    r0 = (size - kernel.shape[0]) // 2
    c0 = (size - kernel.shape[1]) // 2
    out[r0 : r0 + kernel.shape[0], c0 : c0 + kernel.shape[1]] = kernel
    return out


def align_kernels(estimated: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalise both kernels, pad them to one odd square support and move the estimate so
    its centre of mass coincides with the true kernel's.

    The shift is exact for whole pixels and a cubic-spline interpolation for the fraction (the
    interpolation ``degradations.kernels.shift_kernel`` uses).

    Args:
        estimated, true: 2-D kernels of any sizes (need not be square), positive total mass.

    Returns:
        ``(estimated_aligned, true_padded)``: float64 arrays of equal odd square shape.
    """
    est = normalize_kernel(estimated, name="estimated kernel")
    ref = normalize_kernel(true, name="true kernel")
    size = max(*est.shape, *ref.shape)
    size += 1 - size % 2
    est, ref = _embed(est, size), _embed(ref, size)
    shift = np.array(center_of_mass(ref)) - np.array(center_of_mass(est))
    pad = int(math.ceil(np.abs(shift).max())) + 1
    est, ref = np.pad(est, pad), np.pad(ref, pad)
    whole = np.round(shift).astype(int)
    est = np.roll(est, tuple(whole), axis=(0, 1))
    frac = shift - whole
    if np.abs(frac).max() > 1e-9:
        est = ndimage.shift(est, frac, order=3, mode="constant", cval=0.0)
    return est, ref


def kernel_error(estimated: np.ndarray, true: np.ndarray) -> dict[str, float]:
    """Distance between an estimated and a true kernel after :func:`align_kernels`.

    Args:
        estimated, true: 2-D kernels (any sizes); both are normalised to sum 1 first.

    Returns:
        dict with

        * ``l2``: ``sqrt(sum (e - t)^2)`` over the common support (padding-invariant);
        * ``l1``: ``sum |e - t|`` (0 to 2; the mass in the wrong place, counted twice);
        * ``mse``: ``sum (e - t)^2 / n`` with ``n`` the number of taps of the *true* kernel,
          so it equals DIPFKP's per-tap MSE when both kernels have the true kernel's size;
        * ``psnr``: DIPFKP's kernel PSNR ``20 log10(1 / sqrt(mse))`` in dB (``inf`` if equal).
    """
    est, ref = align_kernels(estimated, true)
    diff = est - ref
    sse = float(np.sum(diff * diff))
    n = int(np.asarray(true).size)
    mse = sse / n
    return {
        "l2": math.sqrt(sse),
        "l1": float(np.abs(diff).sum()),
        "mse": mse,
        "psnr": math.inf if mse <= 1e-30 else 20.0 * math.log10(1.0 / math.sqrt(mse)),
    }


def lr_reproduction_psnr(
    hr: np.ndarray,
    kernel: np.ndarray,
    true_lr: np.ndarray,
    scale: int,
    *,
    shave: int = 2,
) -> float:
    """PSNR (dB) of ``downscale(hr, kernel, scale)`` against the true LR image.

    The reproduction is clipped to [0, 1] (an LR image cannot leave it; the bicubic kernel's
    negative lobes can) but not quantised, and compared on all channels, on the [0, 1] scale
    (peak 1), after removing ``shave`` LR pixels from every border.

    Args:
        hr: ``H x W`` or ``H x W x C`` float HR image in [0, 1].
        kernel: 2-D kernel in the project convention (any size; ``downscale`` centres it).
        true_lr: the observed LR image, same layout, shape ``ceil(H/s) x ceil(W/s) (x C)``.
        scale: integer factor.
        shave: LR border pixels excluded.

    Raises:
        ValueError: the reproduction and ``true_lr`` shapes differ, or the shave leaves nothing.
    """
    lr = np.clip(downscale(hr, kernel, scale), 0.0, 1.0).astype(np.float64)
    ref = np.asarray(true_lr, dtype=np.float64)
    if ref.ndim == 3 and ref.shape[2] == 1 and lr.ndim == 2:
        ref = ref[..., 0]
    if lr.shape != ref.shape:
        raise ValueError(
            f"downscaled HR has shape {lr.shape} but true_lr has shape {ref.shape} (scale {scale})"
        )
    if shave < 0 or 2 * shave >= min(lr.shape[:2]):
        raise ValueError(f"shave={shave} leaves nothing of a {lr.shape[0]}x{lr.shape[1]} image")
    if shave:
        lr, ref = lr[shave:-shave, shave:-shave], ref[shave:-shave, shave:-shave]
    mse = float(np.mean((lr - ref) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)
