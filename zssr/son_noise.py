"""Noise on LR sons: the fixed std of the reference, or one matched to the input (``'auto'``).

Why match: ZSSR learns son -> father and is then applied to the input, so sons should carry
the input's noise. A son is the downscaled father plus added noise; the downscale already
keeps part of the father's noise (std ``gain * sigma``, ``gain`` = the operator's l2 norm, 0.40
for MATLAB bicubic x2), so the added std that gives a son the input's total noise ``sigma`` is
``sigma * sqrt(1 - gain**2)``. ``sigma`` is the input's white-noise std as the blind pipeline
measures it (``degradations.noise.estimate_noise_level``: two-scale wavelet estimate, on the
chroma planes of a colour image). The reference uses a fixed 0.0125 for real images and
publishes no value for its Table 3 (noise sigma 0.05 there); ``'auto'`` is this project's
option, not the reference's.

``'auto'`` never goes below the reference's 0.0125 (``AUTO_FLOOR``): the estimator measures
white noise, and degradations that are not white read low (JPEG removes the finest band). On
the tuning images (docs/decisions.md) plain matching gained +1.2..+3.6 dB on Gaussian noise but
lost 0.04..0.61 dB on JPEG 45, where it asked for 0.004..0.008; the floor keeps the
reference's behaviour there.
"""

from __future__ import annotations

import math

import numpy as np
from blindsr.degradations.noise import estimate_noise_level
from blindsr.zssr.back_projection import degrade_to

__all__ = ["AUTO_FLOOR", "matched_noise_std", "operator_noise_gain", "resolve_son_noise_std"]

#: The reference's son noise for real images (X2_REAL_CONF), the least ``'auto'`` adds.
AUTO_FLOOR = 0.0125

_PROBE_SIZE = 256


def operator_noise_gain(shifted_kernel: np.ndarray | None, scale: tuple[float, float]) -> float:
    """Std of white noise after the stage's degradation, per unit of input std.

    Measured by pushing a fixed white-noise probe through the same operator the sons use, so
    it holds for MATLAB bicubic, any kernel and non-integer or anisotropic steps alike.
    """
    probe = np.random.default_rng(0).standard_normal((_PROBE_SIZE, _PROBE_SIZE, 1))
    probe = probe.astype(np.float32)
    out = degrade_to(probe, shifted_kernel, scale)
    # Drop a border the kernel support reaches over the (replicated) image edge.
    b = max(2, int(math.ceil(max(scale))) * 4)
    out = out[b:-b, b:-b]
    return float(out.std() / probe.std())


def matched_noise_std(sigma: float, gain: float, *, floor: float = AUTO_FLOOR) -> float:
    """Noise to add to a son so it carries an input noise std ``sigma`` after an operator that
    keeps ``gain`` of it, never less than ``floor`` (the reference's ``AUTO_FLOOR``)."""
    return max(floor, sigma * math.sqrt(max(0.0, 1.0 - gain * gain)))


def resolve_son_noise_std(
    noise_std: float | str,
    image: np.ndarray,
    shifted_kernel: np.ndarray | None,
    scale: tuple[float, float],
) -> tuple[float, dict]:
    """The std to add to sons in one stage, and what it was derived from (for the report).

    Args:
        noise_std: a number (used as is) or ``'auto'``.
        image: the ZSSR input, ``H x W x C`` float in [0, 1].
        shifted_kernel: the stage's kernel (None = MATLAB bicubic).
        scale: the stage's ``(rows, cols)`` factor.
    """
    if noise_std != "auto":
        return float(noise_std), {}
    sigma, plane = estimate_noise_level(image)
    gain = operator_noise_gain(shifted_kernel, scale)
    matched = matched_noise_std(sigma, gain, floor=0.0)  # before the floor, reported
    info = {
        "input_noise_std": sigma,
        "measured_on": plane,
        "operator_noise_gain": gain,
        "matched_noise_std": matched,
    }
    return matched_noise_std(sigma, gain), info
