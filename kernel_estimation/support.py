"""The kernel's support grid: convention centre, embedding, re-centring, starts and priors.

Every kernel here is a ``K x K`` array (``K`` odd) in the project's correlation convention with
its centre of mass at the *convention centre* ``K//2 + (alpha-1)/2`` per axis, the point
:func:`degradations.kernels.shift_kernel` moves any kernel to. Kept there, a kernel is left
untouched by ``shift_kernel`` (up to one ring of zero padding), so ``downscale`` applies it as
is and the estimator's linear model ``R_j k`` is exactly the operator's output.
"""

from __future__ import annotations

import math

import numpy as np
from blindsr.degradations.kernels import (
    anisotropic_gaussian,
    bicubic_kernel,
    center_of_mass,
    second_moments,
)
from scipy import ndimage, sparse

__all__ = [
    "convention_centre",
    "embed_centred",
    "recentre",
    "narrow_kernel",
    "gaussian_profile",
    "initial_kernel",
    "difference_operator",
    "boundary_mask",
]


def convention_centre(size: int, alpha: int) -> float:
    """Centre-of-mass position ``size//2 + (alpha-1)/2`` (index units) that ``shift_kernel``
    targets for an odd ``size``."""
    return size // 2 + 0.5 * (alpha - 1)


def embed_centred(kernel: np.ndarray, size: int) -> np.ndarray:
    """Crop or zero-pad an odd square kernel to odd ``size`` by the same amount on every side.

    ``K//2`` moves by exactly that amount, so a kernel at the convention centre stays at the
    convention centre of the new size. Returns float64, renormalised to sum 1.
    """
    k = np.asarray(kernel, dtype=np.float64)
    off = k.shape[0] // 2 - size // 2
    k = k[off : off + size, off : off + size] if off >= 0 else np.pad(k, -off)
    return k / k.sum()


def recentre(kernel: np.ndarray, alpha: int, *, nonnegative: bool) -> np.ndarray:
    """Move the centre of mass to the convention centre, keeping the support size.

    Linear interpolation keeps a non-negative kernel non-negative (cubic otherwise). Mass that
    a shift pushes off the support moves the centre again, so the shift is repeated until the
    centre is within 1e-9 px (two or three rounds for the sub-pixel shifts needed here).
    """
    k = np.asarray(kernel, dtype=np.float64)
    k = k / k.sum()
    want = convention_centre(k.shape[0], alpha)
    for _ in range(10):
        shift = np.array([want, want]) - np.array(center_of_mass(k))
        if np.abs(shift).max() < 1e-9:
            break
        k = ndimage.shift(k, shift, order=1 if nonnegative else 3, mode="constant", cval=0.0)
        if nonnegative:
            k = np.clip(k, 0.0, None)
        k = k / k.sum()
    return k


def narrow_kernel(kernel: np.ndarray, exponent: float, alpha: int) -> np.ndarray:
    """``k**exponent``, renormalised and re-centred: a narrower kernel of the same shape.

    For a Gaussian this divides the covariance by ``exponent`` (the effective area too); the
    orientation and the anisotropy ratio are kept. Negative taps are clipped first.
    """
    if not exponent > 0:
        raise ValueError(f"narrowing exponent must be > 0, got {exponent!r}")
    k = np.clip(np.asarray(kernel, dtype=np.float64), 0.0, None)
    if not k.sum() > 0:
        raise ValueError("kernel has no positive mass to narrow")
    k = k**exponent
    return recentre(k / k.sum(), alpha, nonnegative=True)


def gaussian_profile(kernel: np.ndarray, alpha: int) -> np.ndarray:
    """The Gaussian with the kernel's second moments (negative taps clipped), re-centred.

    Keeps the fitted kernel's covariance (its width, orientation and anisotropy) and replaces
    its profile: the cross-scale fit returns flat-topped kernels with a sharp fall-off, while
    camera and DIV2KRK-style blurs are peaked. Variances are floored at 1e-4 px^2 so a
    near-delta fit still gives a valid (near-delta) Gaussian.
    """
    k = np.clip(np.asarray(kernel, dtype=np.float64), 0.0, None)
    if not k.sum() > 0:
        raise ValueError("kernel has no positive mass to fit a Gaussian to")
    # second_moments is in (row, col) order; anisotropic_gaussian takes (x, y) = (col, row).
    variances, vectors = np.linalg.eigh(second_moments(k)[::-1, ::-1])
    theta = math.atan2(vectors[1, 0], vectors[0, 0])
    floored = (max(float(variances[0]), 1e-4), max(float(variances[1]), 1e-4))
    gauss = anisotropic_gaussian(k.shape[0], floored, theta, centre=center_of_mass(k))
    return recentre(gauss, alpha, nonnegative=True)


def initial_kernel(name: str, size: int, alpha: int) -> np.ndarray:
    """A starting kernel at the convention centre: ``'delta'`` or ``'bicubic'``.

    The delta is a unit impulse at the (half-integer for even ``alpha``) convention centre, split
    bilinearly over the neighbouring taps so that it is non-negative with an exact centre of
    mass. ``'bicubic'`` is MATLAB's bicubic kernel with its negative lobes clipped.
    """
    if name == "delta":
        c = convention_centre(size, alpha)
        lo = math.floor(c)
        frac = c - lo
        k = np.zeros((size, size))
        taps = np.array([1.0 - frac, frac])
        k[lo : lo + 2, lo : lo + 2] = np.outer(taps, taps)[: size - lo, : size - lo]
        return k / k.sum()
    if name == "bicubic":
        b = embed_centred(np.clip(bicubic_kernel(alpha), 0.0, None), size)
        return recentre(b, alpha, nonnegative=True)
    raise ValueError(f"unknown initial kernel {name!r}; expected 'delta' or 'bicubic'")


def difference_operator(size: int) -> sparse.csr_matrix:
    """Forward differences along both axes of a ``K x K`` kernel, zeros outside the support.

    Shape ``2K(K+1) x K^2``. Differences to the zero surround are included, so ``||D k||^2``
    also pulls the edge taps towards 0.
    """
    d1 = sparse.diags([np.ones(size), -np.ones(size)], [0, -1], shape=(size + 1, size))
    eye = sparse.identity(size)
    return sparse.vstack([sparse.kron(eye, d1), sparse.kron(d1, eye)]).tocsr()


def boundary_mask(size: int, alpha: int) -> np.ndarray:
    """Per-tap penalty: 0 within half the support radius of the convention centre, growing
    quadratically to 1 at the edge of the support (``K x K`` float64)."""
    c = convention_centre(size, alpha)
    r = np.hypot(*(np.indices((size, size)) - c))
    radius = size / 2.0
    return np.clip((r - radius / 2) / (radius / 2), 0.0, None) ** 2
