"""An independent check of a kernel: does it make the image's power spectrum scale-invariant?

The cross-scale fit (``confidence.fit_gain``) judges a kernel by the criterion it was fitted
with, and on sharp (nearly aliased) images that criterion prefers a kernel wider than the truth
(docs/decisions.md, "A spectral second opinion"). This check uses another
property of natural images, the power law of their spectrum ``P_x(w) = A(theta) |w|^-gamma``,
which is scale-invariant.

Geometry: ``y = (x * k0) downscaled by a`` is the LR image and ``y_a = downscale(y, k, a)`` its
coarser version made with a candidate ``k``. With frequencies ``w`` in each image's own
cycles/sample and aliasing neglected,

    P_y(w)   = P_x(w / a) |K0(w / a)|^2
    P_y_a(w) = P_y(w / a) |K(w / a)|^2 = P_x(w / a^2) |K0(w / a^2)|^2 |K(w / a)|^2

(``K0`` on the HR grid, ``K`` on the LR grid). The power law turns ``P_x(w / a^2)`` into
``a^gamma P_x(w / a)``, so when ``k = k0``

    R(w) = log P_y_a(w) - log P_y(w) - log |K(w / a^2)|^2 = gamma log a + const(theta)

is constant along every direction, whatever ``gamma`` and ``A(theta)``. A kernel that is too
wide makes ``R`` fall with ``|w|``, one too narrow makes it rise. The score is the mean squared
deviation of ``R`` from its mean per direction over a mid-frequency annulus; lower is better.
It is computed on the luminance with Welch periodograms (Hann-windowed tiles), so it is cheap
(two FFT passes) and needs no nearest-neighbour search.

It inherits the power-law assumption: an image whose HR is itself soft, or dominated by one
texture scale, can prefer a wrong kernel here too. It is a second opinion, not a ground truth.
"""

from __future__ import annotations

import numpy as np
from blindsr.degradations.downscale import downscale

__all__ = ["spectral_residual"]

#: Tile side of the Welch periodograms, in pixels of each image.
TILE = 32
#: Annulus of frequencies scored, in cycles/sample of each image: above the tiles' lowest
#: resolvable frequencies, below where the quantisation floor and aliasing take over.
BAND = (0.06, 0.30)
#: Directions scored separately (the spectrum's amplitude and slope depend on the direction).
DIRECTIONS = 8


def _welch(image: np.ndarray, tile: int) -> np.ndarray:
    window = np.outer(np.hanning(tile), np.hanning(tile))
    rows = range(0, image.shape[0] - tile + 1, tile // 2)
    cols = range(0, image.shape[1] - tile + 1, tile // 2)
    tiles = np.stack([image[r : r + tile, c : c + tile] for r in rows for c in cols])
    tiles = (tiles - tiles.mean(axis=(1, 2), keepdims=True)) * window
    return np.mean(np.abs(np.fft.fft2(tiles)) ** 2, axis=0)


def _kernel_power(kernel: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """``|K(f)|^2`` on a ``(f_row, f_col)`` grid given in cycles/sample of the kernel's grid."""
    taps = np.arange(kernel.shape[0]) - (kernel.shape[0] - 1) / 2
    e_r = np.exp(-2j * np.pi * freqs[0][..., None] * taps)
    e_c = np.exp(-2j * np.pi * freqs[1][..., None] * taps)
    return np.abs(np.einsum("...i,ij,...j->...", e_r, kernel, e_c)) ** 2


def spectral_residual(lum: np.ndarray, kernel: np.ndarray, alpha: int) -> float:
    """Scale-invariance residual of ``kernel`` on a luminance image (lower is better).

    Args:
        lum: ``H x W`` float luminance in [0, 1], the LR image (at least ``1.5 * TILE * alpha``
            pixels on each side, so the coarse image holds at least two overlapping tiles).
        kernel: square odd-sized SR kernel in the project's convention, summing to 1.
        alpha: integer scale factor.

    Returns:
        Mean squared deviation (natural-log units squared) of ``R(w)`` (module docstring) from
        its per-direction mean over the annulus :data:`BAND`.
    """
    lum = np.asarray(lum, dtype=np.float64)
    need = 3 * TILE * alpha // 2
    if min(lum.shape) < need:
        raise ValueError(
            f"image {lum.shape} too small for the spectral check at x{alpha} "
            f"(needs >= {need} px a side)"
        )
    coarse = downscale(lum, kernel, alpha).astype(np.float64)
    f = np.fft.fftfreq(TILE)
    f_r, f_c = np.meshgrid(f, f, indexing="ij")
    eps = 1e-20
    residual = (
        np.log(_welch(coarse, TILE) + eps)
        - np.log(_welch(lum, TILE) + eps)
        - np.log(_kernel_power(kernel, (f_r / alpha**2, f_c / alpha**2)) + eps)
    )
    radius = np.hypot(f_r, f_c)
    angle = np.mod(np.arctan2(f_r, f_c), np.pi)
    in_band = (radius >= BAND[0]) & (radius <= BAND[1])
    deviations = []
    for d in range(DIRECTIONS):
        sel = in_band & (angle >= d * np.pi / DIRECTIONS) & (angle < (d + 1) * np.pi / DIRECTIONS)
        values = residual[sel]
        deviations.append(values - values.mean())
    return float(np.mean(np.concatenate(deviations) ** 2))
