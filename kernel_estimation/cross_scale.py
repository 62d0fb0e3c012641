"""Nonparametric cross-scale kernel estimation (Michaeli & Irani, ICCV 2013).

The SR kernel ``k`` of an LR image ``l`` is the one that makes ``l_a = downscale(l, k, alpha)``
(the project operator, :mod:`degradations.downscale`) most similar, patch for patch, to ``l``
itself: small patches recur across scales, and they recur best when the coarser scale was made
the way ``l`` was made from the unknown HR image (docs/kernel-estimation.md).

Each iteration (an EM / IRLS step on the MAP objective):

1. ``l_a = downscale(l, k_t, alpha)``;
2. every query patch ``q_i`` of ``l`` (``p x p``, the sharpest ones by ``query_score``) finds
   its nearest example patches ``r_j`` of ``l_a``, with Parzen weights
   ``w_ij ~ exp(-|q_i - r_j|^2 / 2h^2)`` (by default the single nearest one, the
   small-bandwidth limit, and queries that recur nowhere down-weighted; see
   :class:`EstimatorConfig`);
3. ``k_{t+1}`` minimises ``sum_ij w_ij |q_i - R_j k|^2 + smoothness + boundary`` subject to
   ``sum k = 1``, centre of mass at the convention centre and (by default) ``k >= 0``, where
   ``R_j k`` is the example patch recomputed from its parent region in ``l``.

Keeping the centre of mass at ``K//2 + (alpha-1)/2`` (the point :func:`shift_kernel` moves every
kernel to) makes ``l_a`` of step 1 exactly ``R k`` of step 3 and removes the translation
ambiguity of the objective. Against the aliasing failure (docs/kernel-estimation.md) the
estimator runs from several starts (delta and bicubic), keeps the one with the best cross-scale
fit, and compares that fit with the bicubic kernel's on the same image (:mod:`.confidence`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from blindsr.degradations.downscale import downscale_with_shifted_kernel
from blindsr.degradations.kernels import (
    bicubic_kernel,
    center_of_mass,
    compose_kernels,
    effective_area,
)
from blindsr.kernel_estimation.confidence import (
    CHECK_QUERY_FRACTION,
    CHECK_QUERY_SCORE,
    assess_confidence,
    fit_gain,
)
from blindsr.kernel_estimation.config import EstimatorConfig, default_kernel_size
from blindsr.kernel_estimation.patches import (
    luminance,
    nearest_neighbours,
    parent_windows,
    patches_at,
    select_queries,
)
from blindsr.kernel_estimation.support import (
    boundary_mask,
    convention_centre,
    difference_operator,
    embed_centred,
    gaussian_profile,
    initial_kernel,
    narrow_kernel,
    recentre,
)
from scipy import optimize, sparse
from scipy.linalg import cho_factor, solve_triangular

__all__ = ["estimate_kernel", "finish_estimate", "CrossScaleProblem", "prepare_luminance"]

ProgressFn = Callable[[int, int, dict], None]

# Coarse pixels per GEMM when forming the normal equations: bounds the gathered parent windows
# to 20k x K^2 float64 (27 MB at K = 13) however large the input is.
_CHUNK = 20000


def _check_scale(scale: object) -> int:
    try:
        value = float(scale)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"scale must be an integer >= 2, got {scale!r}") from None
    if not math.isfinite(value) or not value.is_integer() or value < 2:
        raise ValueError(f"scale must be an integer >= 2, got {scale!r}")
    return int(value)


@dataclass
class _Step:
    """What one E-step (nearest neighbours + weights) produced for a kernel."""

    fit: float
    bandwidth: float
    omega: np.ndarray
    beta: np.ndarray
    total_weight: float


class CrossScaleProblem:
    """The fixed data of one estimation: queries, example positions, parent windows, priors.

    Args:
        lum: ``H x W`` float64 luminance in [0, 1], already cropped to multiples of ``alpha``.
        alpha: integer scale factor of this estimation stage.
        size: odd kernel support ``K``.
        config: estimator settings.
        rng: source of the query/example subsets.
        workers: threads for the nearest-neighbour searches (no effect on the result).
    """

    def __init__(
        self,
        lum: np.ndarray,
        alpha: int,
        size: int,
        config: EstimatorConfig,
        rng: np.random.Generator,
        *,
        workers: int = 1,
    ) -> None:
        self.lum = lum
        self.workers = workers
        self.alpha = alpha
        self.size = size
        self.config = config
        p = config.patch_size
        self.patch = p
        self.padded = np.pad(lum, size // 2, mode="symmetric")
        corners = select_queries(
            lum, p, config.query_fraction, config.max_queries, rng, score=config.query_score
        )
        self.query_corners = corners
        self.queries = patches_at(lum, corners, p)
        self.coarse_shape = (lum.shape[0] // alpha, lum.shape[1] // alpha)
        n_rows, n_cols = self.coarse_shape[0] - p + 1, self.coarse_shape[1] - p + 1
        n_examples = n_rows * n_cols
        chosen = np.arange(n_examples)
        if n_examples > config.max_examples:
            chosen = np.sort(rng.choice(n_examples, size=config.max_examples, replace=False))
        self.example_corners = np.stack(np.divmod(chosen, n_cols), axis=1)
        # Data-term normaliser: per query and per unit of gradient energy of a query patch, so
        # the prior weights mean the same on small/large and flat/contrasty images.
        gy, gx = np.gradient(lum)
        grad = float(np.mean(gy * gy + gx * gx))
        self.data_scale = 1.0 / (p * p * max(grad, 1e-12))
        d = difference_operator(size)
        self.prior = config.smoothness * (d.T @ d).toarray() + config.boundary * np.diag(
            boundary_mask(size, alpha).ravel()
        )
        c = convention_centre(size, alpha)
        rows, cols = np.indices((size, size))
        # sum k = 1 and centre of mass at (c, c): three linear equalities.
        self.constraints = np.stack([np.ones(size * size), (rows - c).ravel(), (cols - c).ravel()])
        self.constraint_rhs = np.array([1.0, 0.0, 0.0])

    # -------------------------------------------------------------------------------- E-step
    def coarse(self, kernel: np.ndarray) -> np.ndarray:
        """``l_a = downscale(l, k, alpha)`` for a kernel centred at the convention centre."""
        return downscale_with_shifted_kernel(self.lum, kernel, self.alpha).astype(np.float64)

    def examples(self, kernel: np.ndarray) -> np.ndarray:
        """Example patches (the fixed subset) of the coarse image made with ``kernel``."""
        return patches_at(self.coarse(kernel), self.example_corners, self.patch)

    def nearest_distances(self, kernel: np.ndarray) -> np.ndarray:
        """Per-query squared distance to the nearest example patch, per pixel ([0, 1] scale)."""
        d2, _ = nearest_neighbours(self.examples(kernel), self.queries, 1, workers=self.workers)
        return d2[:, 0] / self.patch**2

    def fit(self, kernel: np.ndarray) -> float:
        """Cross-scale fit: mean over queries of the squared distance to the nearest example
        patch, per pixel (an MSE on the [0, 1] scale; lower is better)."""
        return float(self.nearest_distances(kernel).mean())

    def e_step(self, kernel: np.ndarray) -> _Step:
        """Nearest neighbours and Parzen weights, folded onto the coarse pixels.

        Returns per-coarse-pixel ``omega`` (total weight of example patches covering it) and
        ``beta`` (weighted sum of the query pixels those patches are asked to reproduce), which
        is all the M-step needs: ``sum_ij w_ij |q_i - R_j k|^2`` expands over coarse pixels.
        """
        p = self.patch
        d2, idx = nearest_neighbours(
            self.examples(kernel), self.queries, self.config.num_neighbors, workers=self.workers
        )
        nearest = d2[:, 0]
        h2 = self.config.bandwidth * max(float(np.median(nearest)), 1e-12)
        # Subtracting each query's nearest distance only rescales its row (the weights are
        # normalised per query) and avoids underflow to all-zero rows.
        w = np.exp(-(d2 - nearest[:, None]) / (2.0 * h2))
        w /= w.sum(axis=1, keepdims=True)
        if self.config.query_weighting == "likelihood":
            w *= np.exp(-(nearest - nearest.min()) / (2.0 * h2))[:, None]
        n_q, n_k = idx.shape
        n_e = self.example_corners.shape[0]
        assign = sparse.csr_matrix(
            (w.ravel(), (idx.ravel(), np.repeat(np.arange(n_q), n_k))), shape=(n_e, n_q)
        )
        weight_j = np.asarray(assign.sum(axis=1)).ravel()
        target_j = assign @ self.queries
        n_pix = self.coarse_shape[0] * self.coarse_shape[1]
        omega = np.zeros(n_pix)
        beta = np.zeros(n_pix)
        used = weight_j > 0
        r0, c0 = self.example_corners[used, 0], self.example_corners[used, 1]
        wj, tj = weight_j[used], target_j[used]
        for u in range(p):
            for v in range(p):
                flat = (r0 + u) * self.coarse_shape[1] + (c0 + v)
                omega += np.bincount(flat, weights=wj, minlength=n_pix)
                beta += np.bincount(flat, weights=tj[:, u * p + v], minlength=n_pix)
        return _Step(
            fit=float(nearest.mean()) / p**2,
            bandwidth=math.sqrt(h2 / p**2),
            omega=omega,
            beta=beta,
            total_weight=float(w.sum()),
        )

    # -------------------------------------------------------------------------------- M-step
    def normal_equations(self, step: _Step) -> tuple[np.ndarray, np.ndarray]:
        """``A = sum_m omega_m x_m x_m^T`` and ``b = sum_m beta_m x_m`` over coarse pixels
        ``m`` with parent windows ``x_m`` (normalised data term, prior not included)."""
        kk = self.size * self.size
        a = np.zeros((kk, kk))
        b = np.zeros(kk)
        active = np.flatnonzero(step.omega > 0)
        width = self.coarse_shape[1]
        for start in range(0, active.size, _CHUNK):
            pix = active[start : start + _CHUNK]
            x = parent_windows(self.padded, pix // width, pix % width, self.alpha, self.size)
            # y^T y with y = sqrt(omega) x is the same sum as x^T (omega x); numpy hands a
            # product of an array with its own transpose to BLAS syrk, half the multiplications.
            y = x * np.sqrt(step.omega[pix, None])
            a += y.T @ y
            b += x.T @ step.beta[pix]
        scale = self.data_scale / step.total_weight
        return a * scale, b * scale

    def solve(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Minimise ``k^T (A + prior) k - 2 b^T k`` under the sum/centre constraints (and
        ``k >= 0`` unless ``allow_negative``)."""
        h = a + self.prior
        h = 0.5 * (h + h.T)
        kk = h.shape[0]
        cons, rhs = self.constraints, self.constraint_rhs
        kkt = np.block([[h, cons.T], [cons, np.zeros((cons.shape[0],) * 2)]])
        k = np.linalg.solve(kkt, np.concatenate([b, rhs]))[:kk]
        if not self.config.allow_negative and k.min() < 0:
            # k^T H k - 2 b^T k = |U k - U^-T b|^2 + const with H = U^T U; the equalities enter
            # as heavily weighted rows (the weighting method), which NNLS honours to ~1e-6.
            factor, _ = cho_factor(h + 1e-12 * np.trace(h) / kk * np.eye(kk), lower=False)
            u = np.triu(factor)
            y = solve_triangular(u, b, trans="T", lower=False)
            weight = 1e3 * math.sqrt(np.abs(np.diag(h)).max())
            try:
                k, _ = optimize.nnls(
                    np.vstack([u, weight * cons]),
                    np.concatenate([y, weight * rhs]),
                    maxiter=50 * kk,
                )
            except RuntimeError:
                # NNLS hit its iteration cap (not seen in practice): project the equality-
                # constrained solution instead; the caller re-centres the final kernel.
                k = np.clip(k, 0.0, None)
        k = k.reshape(self.size, self.size)
        if not k.sum() > 0:
            raise RuntimeError("kernel update lost all its mass")  # excluded by sum k = 1
        return k / k.sum()

    def run(
        self,
        init: np.ndarray,
        on_iteration: Callable[[dict], None] | None = None,
    ) -> tuple[np.ndarray, list[dict]]:
        """Iterate from ``init`` until the relative change is below ``tol`` (or the cap)."""
        k = init
        log: list[dict] = []
        for it in range(self.config.max_iterations):
            step = self.e_step(k)
            a, b = self.normal_equations(step)
            new = self.solve(a, b)
            change = float(np.linalg.norm(new - k) / np.linalg.norm(new))
            entry = {
                "iteration": it + 1,
                "change": change,
                "sigma": step.bandwidth,
                "fit": step.fit,
            }
            log.append(entry)
            if on_iteration is not None:
                on_iteration(entry)
            k = new
            if change < self.config.tol:
                break
        return k, log


def min_image_side(scale: int, config: EstimatorConfig) -> int:
    """The shortest image side (pixels) the estimator accepts at ``scale``."""
    alpha = 2 if scale == 4 and config.x4_mode == "composed" else scale
    return max(config.min_size, 3 * config.patch_size * alpha) + 2 * config.border


def prepare_luminance(image: np.ndarray, alpha: int, config: EstimatorConfig) -> np.ndarray:
    """Luminance of ``image`` with ``config.border`` cropped and sides cut to multiples of
    ``alpha`` (the ``l`` the estimator works on), float64 ``H x W``.

    Raises:
        ValueError: bad layout, non-finite values, or too small for the patch statistics.
    """
    lum = luminance(image)
    if not np.all(np.isfinite(lum)):
        raise ValueError("image has non-finite values (NaN or inf)")
    b = config.border
    h, w = lum.shape
    need = max(config.min_size, 3 * config.patch_size * alpha)
    if min(h, w) - 2 * b < need:
        raise ValueError(
            f"image of {h}x{w} px is too small to estimate a x{alpha} kernel: need at least "
            f"{need + 2 * b} px per side ({need} after cropping a {b}-px border)"
        )
    lum = lum[b : h - b, b : w - b]
    return lum[: lum.shape[0] - lum.shape[0] % alpha, : lum.shape[1] - lum.shape[1] % alpha]


def _run_starts(
    problem: CrossScaleProblem,
    config: EstimatorConfig,
    report: Callable[[str, dict], None],
) -> tuple[np.ndarray, np.ndarray, list[dict], int]:
    """Iterate from every start; return the best kernel (by cross-scale fit), its per-query
    distances, the per-start logs and the index of the best start."""
    starts: list[dict] = []
    results: list[tuple[np.ndarray, np.ndarray]] = []
    for name in config.inits:
        init = initial_kernel(name, problem.size, problem.alpha)
        kernel, log = problem.run(init, lambda entry, name=name: report(name, entry))
        kernel = recentre(kernel, problem.alpha, nonnegative=not config.allow_negative)
        distances = problem.nearest_distances(kernel)
        results.append((kernel, distances))
        starts.append(
            {"init": name, "iterations": len(log), "final_fit": float(distances.mean()), "log": log}
        )
    best = int(np.argmin([s["final_fit"] for s in starts]))
    return results[best][0], results[best][1], starts, best


def _estimate_stage(
    lum: np.ndarray,
    alpha: int,
    size: int,
    config: EstimatorConfig,
    rng: np.random.Generator,
    progress: ProgressFn | None,
    workers: int,
) -> tuple[np.ndarray, dict]:
    """Estimate one kernel at factor ``alpha``: all starts, pick by fit, assess confidence."""
    total = len(config.inits) * config.max_iterations
    done = 0

    def report(name: str, entry: dict) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, {"init": name, **entry})

    problem = CrossScaleProblem(lum, alpha, size, config, rng, workers=workers)
    kernel, distances, starts, best = _run_starts(problem, config, report)
    check = config.resolved_check_patch_size()
    check_config = replace(
        config, patch_size=check, query_score=CHECK_QUERY_SCORE, query_fraction=CHECK_QUERY_FRACTION
    )
    if check_config != config:
        # Judge the estimate on the queries and patch size the self-check was calibrated with.
        problem = CrossScaleProblem(lum, alpha, size, check_config, rng, workers=workers)
        distances = problem.nearest_distances(kernel)
    bicubic = embed_centred(bicubic_kernel(alpha), size)
    gain = fit_gain(distances, problem.nearest_distances(bicubic))
    area_ratio = effective_area(kernel) / effective_area(bicubic_kernel(alpha))
    confidence = assess_confidence(gain, config, area_ratio)
    confidence["check_patch_size"] = check
    stage = {
        "alpha": alpha,
        "size": size,
        "queries": int(problem.queries.shape[0]),
        "examples": int(problem.example_corners.shape[0]),
        "starts": starts,
        "chosen_init": starts[best]["init"],
        "confidence": confidence,
    }
    return kernel, stage


def finish_estimate(
    raw: np.ndarray,
    scale: int,
    *,
    size: int,
    narrowing: float,
    composed: bool,
    allow_negative: bool = False,
    profile: str = "power",
) -> tuple[np.ndarray, np.ndarray | None]:
    """The reported kernel from the fitted one: profile and narrowing, then (x4 composed)
    composition.

    Args:
        raw: the fitted stage kernel (``size x size``, or the x2 kernel when ``composed``).
        scale: the SR scale (4 when ``composed``).
        size: side of the returned kernel.
        narrowing: exponent ``g`` of ``k**g`` (1 = the fitted kernel as is).
        composed: ``raw`` is an x2 kernel and the x4 kernel is its composition with itself.
        profile: ``'power'`` (the fitted kernel itself) or ``'gaussian'`` (the Gaussian with
            its second moments) before narrowing (:class:`EstimatorConfig` ``profile``).

    Returns:
        ``(kernel, kernel_x2)``; ``kernel_x2`` is None unless ``composed``.
    """
    alpha = 2 if composed else scale
    kernel = np.asarray(raw, dtype=np.float64)
    if profile == "gaussian":
        kernel = gaussian_profile(kernel, alpha)
    if narrowing != 1.0:
        # Before composing, so a composed x4 kernel stays exactly the composition of the
        # reported x2 kernel (for Gaussians the same covariance as narrowing afterwards).
        kernel = narrow_kernel(kernel, narrowing, alpha)
    if not composed:
        return kernel, None
    kernel_x2 = kernel
    kernel = embed_centred(compose_kernels(kernel_x2, kernel_x2, 2), size)
    return recentre(kernel, scale, nonnegative=not allow_negative), kernel_x2


def estimate_kernel(
    image: np.ndarray,
    scale: int,
    *,
    config: EstimatorConfig | None = None,
    seed: int = 0,
    progress: ProgressFn | None = None,
    workers: int = 1,
) -> tuple[np.ndarray, dict]:
    """Estimate the SR (downscaling) kernel of an LR image from cross-scale patch recurrence.

    The estimate is made on the BT.601 luminance ``0.299 R + 0.587 G + 0.114 B`` (one kernel for
    all channels), after cropping ``config.border`` pixels from every side.

    Args:
        image: ``H x W`` or ``H x W x C`` (C = 1 grey or 3 RGB) float array in [0, 1], the LR
            image itself.
        scale: integer SR factor >= 2. x2 and x3 are estimated directly; x4 directly or, by
            default, as the analytic composition ``k2 * dilate_2(k2)`` of an x2 estimate made on
            this same image (``config.x4_mode``).
        config: estimator settings (default :class:`EstimatorConfig`).
        seed: seed of the query/example subsampling; the result is deterministic for a seed.
        progress: optional ``progress(iteration, total, info)`` called after every iteration;
            ``total`` is an upper bound (starts x max_iterations), ``info`` holds the start's
            name, relative change, Parzen bandwidth and fit.
        workers: threads for the nearest-neighbour searches, the estimator's main cost; the
            result is the same for any value.

    Returns:
        ``(kernel, report)``. ``kernel`` is a 2-D float64 ``size x size`` array (odd size,
        default 13 / 19 / 25 at x2 / x3 / x4), summing to 1, non-negative unless
        ``config.allow_negative``, in the project's correlation convention with its centre of
        mass at the convention centre ``size//2 + (scale-1)/2``: ``degradations.downscale(hr,
        kernel, scale)`` is the estimated degradation, and ``shift_kernel`` leaves it in place.
        ``report`` is a JSON-serialisable dict: ``scale``, ``size``, ``mode`` (``'direct'`` or
        ``'composed-from-x2'``), ``kernel_x2`` (the 13x13 x2 kernel as nested lists in composed
        mode, for gradual x2-then-x4 SR; else ``None``), ``iterations``, ``time_s``, ``stage``
        (per-start iteration logs with ``change``, ``sigma``, ``fit``), ``confidence`` (fits of
        the estimate and of the bicubic kernel; in composed mode those of the x2 stage),
        ``trustworthy`` and a one-line ``reason``. When ``trustworthy`` is False, use
        ``bicubic_kernel(scale)``.

    Raises:
        ValueError: non-integer or < 2 scale, bad layout, non-finite values, or an image too
            small for the patch statistics.
    """
    start_time = time.perf_counter()
    s = _check_scale(scale)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    config = EstimatorConfig() if config is None else config
    size = default_kernel_size(s) if config.size is None else int(config.size)
    if size < 2 * s - 1:
        raise ValueError(f"kernel size {size} is too small for x{s} (need >= {2 * s - 1})")
    composed = s == 4 and config.x4_mode == "composed"
    alpha = 2 if composed else s
    lum = prepare_luminance(image, alpha, config)
    rng = np.random.default_rng(seed)
    stage_size = default_kernel_size(2) if composed else size
    raw, stage = _estimate_stage(lum, alpha, stage_size, config, rng, progress, workers)
    kernel, kernel_x2 = finish_estimate(
        raw,
        s,
        size=size,
        narrowing=config.resolved_narrowing(),
        composed=composed,
        allow_negative=config.allow_negative,
        profile=config.profile,
    )
    confidence = stage["confidence"]
    report = {
        "method": "michaeli-irani-2013 cross-scale",
        "scale": s,
        "size": size,
        "mode": "composed-from-x2" if composed else "direct",
        # Gradual x4 SR (x2 then x4, as KernelGAN + ZSSR) needs the x2 kernel as well.
        "kernel_x2": None if kernel_x2 is None else kernel_x2.tolist(),
        # Before profile, narrowing and composition: finish_estimate(kernel_fitted, ...) redoes them.
        "kernel_fitted": np.asarray(raw).tolist(),
        "luminance": "bt601",
        "seed": int(seed),
        "iterations": int(sum(st["iterations"] for st in stage["starts"])),
        "stage": stage,
        "confidence": {k: v for k, v in confidence.items() if k not in ("trustworthy", "reason")},
        "trustworthy": bool(confidence["trustworthy"]),
        "reason": confidence["reason"],
        "centre_of_mass": list(center_of_mass(kernel)),
        "config": config.as_dict(),
        "time_s": time.perf_counter() - start_time,
    }
    return kernel, report
