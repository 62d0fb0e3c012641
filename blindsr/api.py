"""The small Python API: ``super_resolve`` (and, with kernel estimation, ``estimate_kernel``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from blindsr.degradations.kernels import validate_kernel
from blindsr.zssr.config import PRESETS, preset_config
from blindsr.zssr.trainer import run_zssr

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
    kernel: np.ndarray | Sequence[np.ndarray | None] | None = None,
    preset: str = "ideal",
    *,
    seed: int = 0,
    device: str = "auto",
    progress: bool = True,
    threads: int | None = None,
    **overrides,
) -> tuple[np.ndarray, dict]:
    """Super-resolve one image with ZSSR trained on the image itself.

    Args:
        image: ``H x W x C`` (or ``H x W``) float in [0, 1]; RGB, grey or any channel count.
        scale: target factor (> 1), or ``(rows, cols)`` factors.
        kernel: the SR kernel (correlation convention, e.g. from ``estimate_kernel``), a list with
            one kernel per gradual stage, or None for MATLAB bicubic.
        preset: one of {presets} (``blindsr.zssr.config.PRESETS``).
        seed: seeds everything random (runs are repeatable on CPU).
        device: ``auto``, ``cpu`` or ``cuda``.
        progress: show a per-stage progress bar on stderr.
        threads: CPU threads for torch during this call (restored afterwards); None keeps
            torch's current setting. One thread per process is usually the most efficient on
            small machines.
        **overrides: any :class:`zssr.ZSSRConfig` field, e.g. ``max_iters=500``.

    Returns:
        ``(sr, report)``: ``ceil(H*s) x ceil(W*s) x C`` float32 in [0, 1], and a JSON-ready dict.
    """
    img = _as_image(image)
    config = preset_config(preset).with_overrides(**overrides).for_scale(scale)
    n = len(config.scale_factors)
    if kernel is None:
        kernels: list = [None] * n
    elif isinstance(kernel, np.ndarray):
        if n != 1:
            raise ValueError(f"{n} scale stages need {n} kernels (one per stage), got one")
        kernels = [validate_kernel(kernel)]
    else:
        kernels = [None if k is None else validate_kernel(k) for k in kernel]
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    import torch

    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        sr, report = run_zssr(
            img,
            config,
            kernels,
            seed=seed,
            device=device,
            progress=tqdm_progress if progress else None,
        )
    finally:
        torch.set_num_threads(previous)
    report["preset"] = preset
    report["overrides"] = {
        k: (list(v) if isinstance(v, tuple) else v) for k, v in overrides.items()
    }
    return sr, report


# The preset list is read from the one table of presets, so the docstring cannot go stale.
super_resolve.__doc__ = (super_resolve.__doc__ or "").replace(
    "{presets}", ", ".join(f"``{name}``" for name in PRESETS)
)


def estimate_kernel(
    image: np.ndarray,
    scale: int,
    *,
    seed: int = 0,
    progress: bool = False,
    **options,
) -> tuple[np.ndarray, dict]:
    """Estimate the SR kernel of an LR image (cross-scale recurrence, Michaeli & Irani 2013).

    Args:
        image: ``H x W x C`` (or ``H x W``) float in [0, 1], the LR image.
        scale: integer SR factor >= 2.
        seed: seeds the patch subsampling (deterministic).
        progress: show a progress bar on stderr.
        **options: any :class:`kernel_estimation.EstimatorConfig` field (``size``, ``x4_mode``...);
            ``None`` values are ignored.

    Returns:
        ``(kernel, report)``: odd-sized float64 kernel summing to 1 in the correlation convention
        of :func:`degradations.downscale`, and a JSON-ready report whose ``trustworthy`` flag says
        whether to use it (otherwise use the bicubic kernel; ``reason`` says why).
    """
    from dataclasses import fields, replace

    from blindsr.kernel_estimation import EstimatorConfig
    from blindsr.kernel_estimation import estimate_kernel as _estimate

    img = _as_image(image)
    config = EstimatorConfig()
    options = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(options) - {f.name for f in fields(config)})
    if unknown:
        raise ValueError(f"unknown estimator setting(s): {', '.join(unknown)}")
    config = replace(config, **options)
    bar = None
    callback = None
    if progress:
        bar = tqdm_progress(config.max_iterations, "kernel estimation")

        def callback(iteration: int, total: int, info: dict) -> None:
            bar.total = total
            bar.update(1)

    try:
        return _estimate(img, scale, config=config, seed=seed, progress=callback)
    finally:
        if bar is not None:
            bar.close()
