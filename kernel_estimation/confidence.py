"""Self-check of an estimate: is it better than the bicubic default on this image?

A wrong kernel costs ZSSR far more than the bicubic default does (docs/kernel-estimation.md:
a too-wide kernel makes ZSSR over-sharpen). Without ground truth the estimate can only be
judged by the criterion it optimises, the cross-scale fit. On aliased images that criterion
prefers a somewhat too-wide kernel, but then it also barely prefers it over the bicubic kernel
(the truth is near-delta, so close to bicubic), so the estimate is trusted only when it explains the image's coarser scale
clearly better than the bicubic kernel does (``EstimatorConfig.trust_margin``).
"""

from __future__ import annotations

import numpy as np
from blindsr.kernel_estimation.config import EstimatorConfig

__all__ = ["assess_confidence", "fit_gain", "CHECK_QUERY_FRACTION", "CHECK_QUERY_SCORE"]

#: Queries the self-check judges on, whatever the fit used: the quarter of patch positions with
#: the most gradient energy, the set its trust margins were calibrated on.
CHECK_QUERY_SCORE = "gradient"
CHECK_QUERY_FRACTION = 0.25


def fit_gain(distances: np.ndarray, bicubic_distances: np.ndarray) -> dict:
    """Fit of an estimate against that of the bicubic kernel on the same queries.

    Args:
        distances: per-query nearest-example distances under the estimated kernel
            (``CrossScaleProblem.nearest_distances``).
        bicubic_distances: the same under the kernel the caller falls back to,
            ``bicubic_kernel(alpha)`` embedded in the estimate's support, negative lobes included.

    Returns:
        ``fit_estimate`` and ``fit_bicubic`` (mean per-pixel squared distance from a query to
        its nearest coarse patch, [0, 1] scale), ``relative_gain`` (``1 - fit_estimate /
        fit_bicubic``) and ``win_rate`` (fraction of queries matched more closely under the
        estimate).
    """
    d_est = np.asarray(distances, dtype=np.float64)
    d_bic = np.asarray(bicubic_distances, dtype=np.float64)
    if d_est.shape != d_bic.shape:
        raise ValueError(f"distances {d_est.shape} and bicubic_distances {d_bic.shape} differ")
    fit, fit_bic = float(d_est.mean()), float(d_bic.mean())
    return {
        "fit_estimate": fit,
        "fit_bicubic": fit_bic,
        "relative_gain": 1.0 - fit / fit_bic if fit_bic > 0 else 0.0,
        "win_rate": float(np.mean(d_est < d_bic) + 0.5 * np.mean(d_est == d_bic)),
    }


def assess_confidence(gain: dict, config: EstimatorConfig, area_ratio: float | None = None) -> dict:
    """Decide whether to trust an estimate from its :func:`fit_gain` and its width.

    Args:
        gain: :func:`fit_gain` of the raw estimate.
        config: the estimator settings (``trust_margin``, ``min_area_ratio``).
        area_ratio: effective area of the raw estimate over that of the bicubic kernel at the
            same factor (None skips the width condition).

    Returns:
        JSON-serialisable dict: the ``gain`` entries, ``trust_margin``, ``area_ratio``,
        ``min_area_ratio``, ``trustworthy`` and a one-line ``reason``.
    """
    g = gain["relative_gain"]
    margin = config.resolved_trust_margin()
    fits = g > margin
    wide_enough = area_ratio is None or area_ratio >= config.min_area_ratio
    if fits and wide_enough:
        reason = (
            f"the estimate explains the image's coarser scale {100 * g:.1f}% better than the "
            f"bicubic kernel (needs > {100 * margin:.0f}%)"
        )
    elif fits:
        reason = (
            f"the estimate is only {area_ratio:.2f}x as wide (in area) as the bicubic kernel, "
            f"within the band the estimator returns on bicubic inputs (needs >= "
            f"{config.min_area_ratio:g}x): no clear evidence for another kernel, use bicubic"
        )
    else:
        reason = (
            f"the estimate explains the image's coarser scale only {100 * g:+.1f}% better than "
            f"the bicubic kernel (needs > {100 * margin:.0f}%): no clear evidence "
            "for another kernel, use bicubic"
        )
    return {
        **gain,
        "trust_margin": float(margin),
        "area_ratio": None if area_ratio is None else float(area_ratio),
        "min_area_ratio": float(config.min_area_ratio),
        "trustworthy": bool(fits and wide_enough),
        "reason": reason,
    }
