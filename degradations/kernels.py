"""Blur-kernel tools: validation, centring, the bicubic kernel, composition, random kernels.

Kernel convention: a 2-D float array ``k[row, col]`` used by *correlation* (not convolution)
with the HR image, normalised to sum 1. Before use, :func:`shift_kernel` moves its centre of mass
to the position that makes a kernel downscale land on the same sampling grid as MATLAB's bicubic
(see :mod:`degradations.downscale`). Random generators take an explicit
``numpy.random.Generator``; nothing here touches global random state.
"""

from __future__ import annotations

import math
import warnings
import zlib

import numpy as np
from blindsr.degradations.resize import cubic
from scipy import ndimage, signal

__all__ = [
    "validate_kernel",
    "normalize_kernel",
    "center_of_mass",
    "effective_area",
    "second_moments",
    "shift_kernel",
    "bicubic_kernel",
    "compose_kernels",
    "anisotropic_gaussian",
    "random_table2_kernel",
    "random_div2krk_kernel",
    "kernel_seed",
    "default_kernel_size",
]


def validate_kernel(kernel: np.ndarray, *, name: str = "kernel") -> np.ndarray:
    """Return ``kernel`` as float64 2-D after checking it can be a blur kernel.

    Raises:
        ValueError: not 2-D, empty, non-finite values, or total mass <= 0.
    """
    k = np.asarray(kernel)
    if k.dtype == object or not np.issubdtype(k.dtype, np.number):
        raise ValueError(f"{name} must be a numeric array, got dtype {k.dtype}")
    if k.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {k.shape}")
    if k.size == 0:
        raise ValueError(f"{name} is empty (shape {k.shape})")
    k = k.astype(np.float64)
    if not np.all(np.isfinite(k)):
        raise ValueError(f"{name} has non-finite values (NaN or inf)")
    total = float(k.sum())
    if not total > 0:
        raise ValueError(f"{name} has no positive mass (sum = {total:.6g}); cannot normalise it")
    return k


def normalize_kernel(
    kernel: np.ndarray, *, warn_tol: float | None = None, name: str = "kernel"
) -> np.ndarray:
    """Validate and scale to sum 1. With ``warn_tol``, warn if the sum was off by more."""
    k = validate_kernel(kernel, name=name)
    total = k.sum()
    if warn_tol is not None and abs(total - 1.0) > warn_tol:
        warnings.warn(f"{name} sums to {total:.6g}, not 1; normalising it", stacklevel=2)
    return k / total


def center_of_mass(kernel: np.ndarray) -> tuple[float, float]:
    """Centre of mass ``(row, col)`` in index coordinates."""
    k = np.asarray(kernel, dtype=np.float64)
    total = k.sum()
    rows, cols = np.indices(k.shape)
    return float((rows * k).sum() / total), float((cols * k).sum() / total)


def second_moments(kernel: np.ndarray) -> np.ndarray:
    """Covariance ``[[var_row, cov], [cov, var_col]]`` (HR pixels^2, ``(row, col)`` order) of the
    kernel's negative-clipped mass, normalised to sum 1, about its centre of mass."""
    k = np.clip(np.asarray(kernel, dtype=np.float64), 0.0, None)
    k = k / k.sum()
    rows, cols = np.indices(k.shape)
    dr, dc = rows - (k * rows).sum(), cols - (k * cols).sum()
    c = (k * dr * dc).sum()
    return np.array([[(k * dr**2).sum(), c], [c, (k * dc**2).sum()]])


def effective_area(kernel: np.ndarray) -> float:
    """Effective support ``1 / sum(k^2)`` of the kernel normalised to sum 1, in pixels^2.

    An orientation-free measure of how wide a blur is (a Gaussian with variances ``l1, l2``
    has ``4 pi sqrt(l1 l2)``). Second moments cannot serve: the bicubic kernel's vanish (its
    negative lobes cancel them), yet it blurs like a Gaussian of variance about 0.5 px^2 per
    axis at x2. A too-wide kernel makes ZSSR over-sharpen, a too-narrow one under-sharpen.
    """
    k = normalize_kernel(kernel)
    return float(1.0 / np.square(k, dtype=np.float64).sum())


def _scale_pair(scale: float | tuple[float, float]) -> tuple[float, float]:
    if isinstance(scale, (tuple, list)):
        return float(scale[0]), float(scale[1])
    return float(scale), float(scale)


def shift_kernel(kernel: np.ndarray, scale: float | tuple[float, float]) -> np.ndarray:
    """Centre a kernel for a downscale by ``scale`` (docs/conventions.md, "Kernels").

    The centre of mass is moved, by a cubic-spline sub-pixel shift, to ``K//2 + 0.5*(s - 1)`` per
    axis, after zero padding so no mass is lost. Then the correlate-and-subsample operator places
    LR pixel ``m`` at HR coordinate ``s*m + (s-1)/2``: the centre of its ``s x s`` block, the
    same grid as MATLAB bicubic.

    For odd ``K`` this is the reference formula ``K//2 + 0.5*(s - K % 2)`` (floor division, as in
    the original Python-2 code). For even ``K`` the reference formula lands half a pixel off
    (docs/zssr.md, deviations); we first append a zero row/column to make ``K`` odd, which keeps
    the alignment property for every kernel size. Output is normalised to sum 1.
    """
    k = normalize_kernel(kernel)
    sy, sx = _scale_pair(scale)
    pad_r, pad_c = 1 - k.shape[0] % 2, 1 - k.shape[1] % 2
    if pad_r or pad_c:
        k = np.pad(k, ((0, pad_r), (0, pad_c)))
    com = np.array(center_of_mass(k))
    wanted = np.array([k.shape[0] // 2 + 0.5 * (sy - 1), k.shape[1] // 2 + 0.5 * (sx - 1)])
    shift = wanted - com
    pad = int(math.ceil(np.abs(shift).max())) + 1
    k = np.pad(k, pad)
    k = ndimage.shift(k, shift, order=3, mode="constant", cval=0.0)
    return k / k.sum()


def bicubic_kernel(scale: int | float, size: int | None = None) -> np.ndarray:
    """MATLAB's antialiased bicubic downscaling kernel as a 2-D array, already centred.

    It is sampled so that :func:`shift_kernel` leaves it where it is (centre of mass at
    ``K//2 + (s-1)/2``): ``downscale(x, bicubic_kernel(s), s)`` equals MATLAB
    ``imresize(x, 1/s)`` away from the borders. ``size`` defaults to the smallest odd size that holds
    the whole support ``4*s`` around that centre.
    """
    s = float(scale)
    if not s > 1:
        raise ValueError(f"scale must be > 1 for a downscaling kernel, got {scale!r}")
    if size is None:
        # The centre sits (s-1)/2 right of the middle, so the odd support must reach 2s past it.
        size = 2 * int(math.ceil(2 * s + 0.5 * (s - 1))) + 1
    centre = size // 2 + 0.5 * (s - 1)
    x = np.arange(size, dtype=np.float64) - centre
    k1 = cubic(x / s) / s
    k = np.outer(k1, k1)
    return k / k.sum()


def compose_kernels(first: np.ndarray, second: np.ndarray, first_scale: int) -> np.ndarray:
    """Kernel equivalent to ``first`` at scale ``first_scale`` followed by ``second``.

    Downscaling by ``a`` with ``k1`` then by ``b`` with ``k2`` equals downscaling by ``a*b`` with
    ``k1 * upsample_a(k2)`` (full 2-D convolution of ``k1`` with ``k2`` dilated by ``a``): this is
    the analytic x4-from-x2 kernel of KernelGAN. The result is normalised, not re-centred.
    """
    if int(first_scale) != first_scale or first_scale < 1:
        raise ValueError(f"first_scale must be a positive integer, got {first_scale!r}")
    k1 = normalize_kernel(first, name="first kernel")
    k2 = normalize_kernel(second, name="second kernel")
    a = int(first_scale)
    dilated = np.zeros(((k2.shape[0] - 1) * a + 1, (k2.shape[1] - 1) * a + 1))
    dilated[::a, ::a] = k2
    # Correlation chains compose by *correlating* the second (dilated) kernel with the first,
    # which for arrays is a convolution of k1 with the dilated k2 (indices add).
    k = signal.convolve2d(k1, dilated, mode="full")
    return k / k.sum()


def anisotropic_gaussian(
    size: int,
    variances: tuple[float, float],
    theta: float,
    centre: tuple[float, float] | None = None,
) -> np.ndarray:
    """Normalised Gaussian ``exp(-0.5 x^T S^-1 x)``, ``S = R(theta) diag(l1, l2) R(theta)^T``.

    ``variances`` are in HR pixels^2; ``centre`` is the mean in index coordinates (default: the
    grid centre ``size // 2``).
    """
    if size < 1:
        raise ValueError(f"kernel size must be >= 1, got {size}")
    l1, l2 = variances
    if not (l1 > 0 and l2 > 0):
        raise ValueError(f"variances must be > 0, got {variances!r}")
    c, s = math.cos(theta), math.sin(theta)
    rot = np.array([[c, -s], [s, c]])
    cov = rot @ np.diag([l1, l2]) @ rot.T
    inv = np.linalg.inv(cov)
    cy, cx = (size // 2, size // 2) if centre is None else centre
    yy, xx = np.meshgrid(np.arange(size) - cy, np.arange(size) - cx, indexing="ij")
    pts = np.stack([xx, yy], axis=-1)
    expo = np.einsum("...i,ij,...j->...", pts, inv, pts)
    k = np.exp(-0.5 * expo)
    return k / k.sum()


def default_kernel_size(scale: float) -> int:
    """Odd default support: 11 at x2 (DIV2KRK), ``4*s + 3`` in general, capped at 31."""
    size = min(int(math.ceil(4 * float(scale))) + 3, 31)
    return size + 1 - size % 2


def random_table2_kernel(
    rng: np.random.Generator,
    scale: float = 2,
    *,
    size: int | None = None,
    min_variance: float = 0.1,
) -> np.ndarray:
    """ZSSR Table-2 kernel: ``l1, l2 ~ U[0, s^2]``, ``theta ~ U[0, pi)`` (docs/conventions.md).

    Variances are floored at ``min_variance`` (HR px^2): a variance near 0 is a delta along that
    axis, i.e. an aliasing kernel that no SR method can invert.
    """
    size = default_kernel_size(scale) if size is None else int(size)
    s2 = float(scale) ** 2
    l1, l2 = (max(float(v), min_variance) for v in rng.uniform(0.0, s2, size=2))
    theta = float(rng.uniform(0.0, math.pi))
    return anisotropic_gaussian(size, (l1, l2), theta)


def random_div2krk_kernel(
    rng: np.random.Generator,
    scale: float = 2,
    *,
    size: int | None = None,
    variance_range: tuple[float, float] = (0.6, 5.0),
    noise: float = 0.25,
) -> np.ndarray:
    """DIV2KRK-style x2 kernel (docs/conventions.md, "Benchmark protocols").

    ``l1, l2 ~ U(0.6, 5)``, ``theta ~ U[0, pi)``, multiplied elementwise by ``1 + U(-noise,
    noise)``, clipped at 0 and normalised; size 11 at x2. For x4 use :func:`compose_kernels`
    of two independent x2 kernels (how DIV2KRK's x4 set was made).
    """
    size = default_kernel_size(scale) if size is None else int(size)
    l1, l2 = (float(v) for v in rng.uniform(*variance_range, size=2))
    theta = float(rng.uniform(0.0, math.pi))
    k = anisotropic_gaussian(size, (l1, l2), theta)
    k = k * (1.0 + rng.uniform(-noise, noise, size=k.shape))
    k = np.clip(k, 0.0, None)
    return k / k.sum()


def kernel_seed(seed: int, name: str) -> int:
    """Deterministic per-image seed from ``(protocol seed, image name)`` (stable across runs)."""
    return (int(seed) * 1_000_003 + zlib.crc32(name.encode("utf-8"))) % (2**32)
