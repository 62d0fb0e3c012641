"""The small Python API: ``super_resolve`` (and, with kernel estimation, ``estimate_kernel``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import numpy as np

__all__ = ["super_resolve", "estimate_kernel", "tqdm_progress", "LogProgress"]


class LogProgress:
    """Progress for logs (stderr not a terminal): one line every ``every`` iterations."""

    def __init__(self, total: int, description: str, every: int = 100) -> None:
        self.total, self.description, self.every = total, description, every
        self.count, self.postfix = 0, {}

    def update(self, n: int = 1) -> None:
        self.count += n
        if self.count % self.every == 0:
            extra = " ".join(f"{k} {v}" for k, v in self.postfix.items())
            print(
                f"{self.description}: iteration {self.count} (max {self.total}) {extra}",
                file=sys.stderr,
                flush=True,
            )

    def set_postfix(self, refresh: bool = False, **values) -> None:
        self.postfix = values

    def close(self) -> None:
        print(
            f"{self.description}: stopped after {self.count} iterations",
            file=sys.stderr,
            flush=True,
        )


def tqdm_progress(total: int, description: str):
    """A tqdm bar on stderr, or periodic log lines when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return LogProgress(total, description)
    from tqdm import tqdm

    return tqdm(total=total, desc=description, file=sys.stderr, leave=False, dynamic_ncols=True)


def _as_image(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or min(arr.shape) < 1:
        raise ValueError(f"image must be HxW or HxWxC, got shape {np.shape(image)}")
    if np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"image must be float in [0, 1] (use blindsr.read_image), got dtype {arr.dtype}"
        )
    arr = arr.astype(np.float32)
    if not np.all(np.isfinite(arr)):
        raise ValueError("image has non-finite values")
    return arr


def super_resolve(
    image: np.ndarray,
    scale: float | tuple[float, float],
    kernel: str | np.ndarray | Sequence[np.ndarray | None] | None = None,
    preset: str = "auto",
    *,
    noise_std: float | str | None = None,
    source: str | None = None,
    seed: int = 0,
    device: str = "auto",
    threads: int | None = None,
    progress: bool = True,
    estimator: dict | None = None,
    **overrides,
) -> tuple[np.ndarray, dict]:
    """Super-resolve one image with ZSSR trained on the image itself.

    By default (``preset='auto'``) the blind pipeline decides from the image alone whether it is
    a JPEG (and at what quality), whether it is noisy, which SR kernel to use (the cross-scale
    estimate when its self-check trusts it, else bicubic) and the configuration that fits;
    ``report["decisions"]`` records each decision and its evidence (:mod:`blindsr.pipeline`).

    Args:
        image: ``H x W x C`` (or ``H x W``) float in [0, 1]; RGB, grey or any channel count.
        scale: target factor (> 1), or ``(rows, cols)`` factors.
        kernel: None (decided: estimated by the blind presets, bicubic for named ones),
            ``'estimate'``, ``'bicubic'``, the SR kernel (correlation convention, e.g. from
            ``estimate_kernel``), or one kernel (None = bicubic) per gradual stage.
        preset: ``auto`` (blind, fast training budget), ``auto-faithful`` (blind, the
            reference's training rule), or a named ZSSR preset run as defined: one of
            ``blindsr.zssr.PRESETS`` (``ideal``, ``ideal-gradual``, ``given-kernel``, ``real``,
            ``fast``, ``given-kernel-fast``, ``real-fast``; tests/test_api.py checks this list).
        noise_std: son noise std ([0, 1] scale) or ``'auto'`` (matched to the input); replaces
            the noise decision.
        source: the file the image was read from (a JPEG file's quantisation table is read).
        seed: seeds everything random (runs are repeatable on CPU).
        device: ``auto``, ``cpu`` or ``cuda``.
        threads: CPU threads for torch during this call (restored afterwards); None keeps
            torch's current setting. One thread per process is usually the most efficient on
            small machines.
        progress: show a per-stage progress bar on stderr.
        estimator: :class:`blindsr.kernel_estimation.EstimatorConfig` fields for the estimate.
        **overrides: any :class:`blindsr.zssr.ZSSRConfig` field, e.g. ``max_iters=500``; they
            win over the pipeline's decisions.

    Returns:
        ``(sr, report)``: ``ceil(H*s) x ceil(W*s) x C`` float32 in [0, 1], and a JSON-ready dict
        (settings, per-stage training record, ``preset`` that ran, ``decisions``, ``kernel``).
    """
    from blindsr.pipeline import plan_run, run_plan

    img = _as_image(image)
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    plan = plan_run(
        img,
        scale,
        preset=preset,
        kernel=kernel,
        noise_std=noise_std,
        source=source,
        seed=seed,
        estimator=estimator,
        overrides=overrides,
    )
    import torch

    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        sr, report = run_plan(
            img,
            scale,
            plan,
            seed=seed,
            device=device,
            progress=tqdm_progress if progress else None,
        )
    finally:
        torch.set_num_threads(previous)
    return sr, report


def estimate_kernel(
    image: np.ndarray,
    scale: int,
    *,
    seed: int = 0,
    progress: bool = False,
    workers: int | None = None,
    **options,
) -> tuple[np.ndarray, dict]:
    """Estimate the SR kernel of an LR image (cross-scale recurrence, Michaeli & Irani 2013).

    Args:
        image: ``H x W x C`` (or ``H x W``) float in [0, 1], the LR image.
        scale: integer SR factor >= 2.
        seed: seeds the patch subsampling (deterministic).
        progress: show a progress bar on stderr.
        workers: threads for the nearest-neighbour searches (default: the machine's CPUs);
            the result is the same for any value.
        **options: any :class:`kernel_estimation.EstimatorConfig` field (``size``, ``x4_mode``...);
            ``None`` values are ignored.

    Returns:
        ``(kernel, report)``: odd-sized float64 kernel summing to 1 in the correlation convention
        of :func:`degradations.downscale`, and a JSON-ready report whose ``trustworthy`` flag says
        whether to use it (otherwise use the bicubic kernel; ``reason`` says why).
    """
    from blindsr.kernel_estimation import estimate_kernel as _estimate
    from blindsr.kernel_estimation import estimator_config

    img = _as_image(image)
    config = estimator_config(**options)
    bar = None
    callback = None
    if progress:
        bar = tqdm_progress(config.max_iterations, "kernel estimation")

        def callback(iteration: int, total: int, info: dict) -> None:
            bar.total = total
            bar.update(1)

    try:
        if workers is None:
            workers = os.cpu_count() or 1
        return _estimate(img, scale, config=config, seed=seed, progress=callback, workers=workers)
    finally:
        if bar is not None:
            bar.close()
