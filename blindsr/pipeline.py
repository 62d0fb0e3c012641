"""The blind pipeline: read the input, decide what a user would otherwise have to know, run ZSSR.

One place for every decision between an image and a ZSSR run, used by the CLI (``blindsr sr``),
the Python API (:func:`blindsr.super_resolve`) and the benchmark harness (``zssr-blind``,
``zssr-est``):

1. **JPEG**: from the file's quantisation table when the input is a JPEG file, else from the
   DCT grid of the pixels (:func:`blindsr.degradations.jpeg.estimate_jpeg_quality`). A JPEG input
   gets sons compressed at the same quality (the net learns to remove blocks instead of
   reproducing them) and no back-projection (it would copy the input's blocks back in).
2. **Noise**: a texture-robust estimate of the input's white noise (two-scale wavelet estimate
   on the chroma planes, :func:`blindsr.degradations.noise.estimate_noise_level`). A noisy input
   gets the reference ``real`` configuration with son noise matched to the input, and the
   bicubic kernel: the cross-scale kernel fit would explain noise as detail, so it is not run.
3. **Kernel**: the cross-scale estimate when its self-check trusts it, else MATLAB bicubic.
4. **Configuration**: ``given-kernel`` settings with an estimated kernel, ``ideal`` settings
   (8-way ensemble, 10 back-projection iterations) with the bicubic kernel, ``real`` settings on
   noisy inputs; the training budget is the fast one for ``auto`` and the reference rule for
   ``auto-faithful``; the dead-net guard (``revive_dead_net``) on.

A user-given kernel, noise level or named preset replaces the matching decision; the record
says so (``source`` is ``"user"``). Named presets run exactly as defined: no decision is added
to them except the kernel fallback of the ``given-kernel`` presets (an untrusted estimate runs
the kernel-free preset, exactly what ZSSR[bicubic] runs).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from blindsr.degradations.kernels import validate_kernel
from blindsr.zssr.config import KERNEL_FREE_PRESET, PRESETS, preset_config

__all__ = [
    "BLIND_PRESETS",
    "NOISY_ABOVE",
    "Decision",
    "Plan",
    "plan_run",
    "preset_names",
    "run_plan",
]

#: The blind presets: which named configuration each situation runs with.
BLIND_PRESETS: dict[str, dict[str, str]] = {
    "auto": {"bicubic": "fast", "kernel": "given-kernel-fast", "noisy": "real-fast"},
    "auto-faithful": {"bicubic": "ideal", "kernel": "given-kernel", "noisy": "real"},
}

#: Estimated per-channel noise std ([0, 1] scale) above which an input counts as noisy, by the
#: plane it was measured on (``blindsr.degradations.noise.estimate_noise_level``). On bicubic x2
#: LR of the 30 BSD100 tuning images (``bench/decisions_bench.py``) clean colour images read at
#: most 0.0003, Gaussian noise 0.01 reads 0.006-0.010, 0.02 reads >= 0.018, speckle 0.05 reads
#: 0.011-0.029, JPEG q45 <= 0.002. The threshold sits above 0.01 because strongly coloured
#: texture also reaches the chroma planes (a mandrill's fur reads about 0.01) and weak noise
#: costs ZSSR's clean configuration little. Grey images are judged on the luminance, where
#: clean texture reads up to 0.029, so only strong noise (Gaussian 0.05 reads >= 0.045) is
#: detected there.
NOISY_ABOVE = {"chroma": 0.012, "luminance": 0.035}


def preset_names() -> list[str]:
    """Every preset the pipeline accepts: the blind ones first, then the named ZSSR ones."""
    return [*BLIND_PRESETS, *PRESETS]


@dataclass(frozen=True)
class Decision:
    """One decision: its value, who made it and why."""

    value: object
    #: ``"auto"`` (decided from the input), ``"user"`` (given by the caller), ``"preset"`` (what
    #: the named preset implies) or ``"fallback"`` (a named kernel preset swapped for its
    #: kernel-free counterpart because the kernel fell back to bicubic).
    source: str
    reason: str
    evidence: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"value": self.value, "source": self.source, "reason": self.reason, **self.evidence}


@dataclass(frozen=True)
class Plan:
    """What will run: a named preset, overrides on top of it, one kernel per stage, and why."""

    requested_preset: str
    preset: str
    overrides: dict
    kernels: tuple
    decisions: dict
    seconds: float = 0.0

    def summary(self) -> str:
        """One console line naming what was decided."""
        parts = []
        for name in ("kernel", "noise", "jpeg", "config"):
            d = self.decisions.get(name)
            if d is not None:
                parts.append(
                    f"{name} {_short(d)}" + ("" if d.source == "auto" else f" ({d.source})")
                )
        return "decisions: " + "; ".join(parts)

    def record(self) -> dict:
        """JSON-ready decision record for reports and harness rows."""
        return {
            "requested_preset": self.requested_preset,
            "preset": self.preset,
            "overrides": {k: _jsonable(v) for k, v in self.overrides.items()},
            "decisions": {k: d.as_dict() for k, d in self.decisions.items()},
            "decision_seconds": self.seconds,
        }


def _short(d: Decision) -> str:
    return str(d.evidence.get("summary", d.value))


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _stage_count(preset: str, scale, overrides: dict) -> int:
    return len(preset_config(preset).with_overrides(**overrides).for_scale(scale).scale_factors)


def _integer_scale(scale) -> int | None:
    if isinstance(scale, (tuple, list)):
        if not math.isclose(float(scale[0]), float(scale[1])):
            return None
        scale = scale[0]
    s = float(scale)
    return int(s) if s.is_integer() and s >= 2 else None


def decide_jpeg(image: np.ndarray, source: str | os.PathLike | None) -> Decision:
    """Is the input a JPEG, and at which IJG quality? From the file's table when there is one."""
    from blindsr.degradations.jpeg import estimate_jpeg_quality, jpeg_quality_of_file

    if source is not None and Path(source).suffix.lower() in (".jpg", ".jpeg"):
        try:
            quality = jpeg_quality_of_file(source)
        except OSError:
            quality = None
        if quality is not None:
            return Decision(
                quality,
                "auto",
                f"JPEG file, luminance table of IJG quality {quality}",
                {"summary": f"q{quality} (file table)", "from": "file"},
            )
    quality, evidence = estimate_jpeg_quality(image)
    share = evidence.get("on_grid_share", 0.0)
    if quality is None:
        return Decision(
            None,
            "auto",
            f"no JPEG grid in the pixels ({100 * share:.0f}% of DCT coefficients on the best "
            "grid; compressed images have > 60%)",
            {"summary": "none", "from": "pixels", **evidence},
        )
    return Decision(
        quality,
        "auto",
        f"{100 * share:.0f}% of the 8x8 DCT coefficients sit on the grid of IJG quality {quality}",
        {"summary": f"q{quality} (pixels)", "from": "pixels", **evidence},
    )


def decide_noise(image: np.ndarray, jpeg: Decision, scale) -> Decision:
    """Is the input noisy? If so, sons get noise matched to it: the input's std times
    ``sqrt(1 - gain^2)``, ``gain`` being how much of a father's noise the bicubic downscale keeps
    (:mod:`blindsr.zssr.son_noise`), never less than the reference's 0.0125."""
    from blindsr.degradations.noise import estimate_noise_level
    from blindsr.zssr.son_noise import matched_noise_std, operator_noise_gain

    sigma, plane = estimate_noise_level(image)
    threshold = NOISY_ABOVE[plane]
    evidence = {"input_noise_std": sigma, "measured_on": plane, "noisy_above": threshold}
    if jpeg.value is not None:
        return Decision(
            0.0,
            "auto",
            "JPEG input: its artefacts are modelled instead of noise",
            {"summary": "none (JPEG modelled instead)", **evidence},
        )
    if sigma <= threshold:
        return Decision(
            0.0,
            "auto",
            f"estimated noise std {sigma:.4f} <= {threshold} ({plane}): clean",
            {"summary": f"none (sigma {sigma:.3f})", **evidence},
        )
    sy, sx = scale if isinstance(scale, (tuple, list)) else (scale, scale)
    gain = operator_noise_gain(None, (float(sy), float(sx)))
    son = matched_noise_std(sigma, gain)
    evidence.update(operator_noise_gain=gain, son_noise_std=son)
    return Decision(
        son,
        "auto",
        f"estimated noise std {sigma:.4f} > {threshold} ({plane}): sons get {son:.4f}",
        {"summary": f"sigma {sigma:.3f} -> son noise {son:.3f}", **evidence},
    )


def estimate_or_bicubic(
    image: np.ndarray, scale: int, *, seed: int = 0, options: dict | None = None
) -> tuple[np.ndarray | None, Decision]:
    """The kernel estimate if its self-check trusts it, else None (bicubic), with the record.

    ``options`` are :class:`~blindsr.kernel_estimation.EstimatorConfig` fields.
    """
    import torch

    from blindsr.kernel_estimation import estimate_kernel, estimator_config

    t0 = time.perf_counter()
    config = estimator_config(**(options or {}))
    # The estimate uses the run's thread budget (--threads, or one per harness worker).
    kernel, report = estimate_kernel(
        image, scale, config=config, seed=seed, workers=torch.get_num_threads()
    )
    evidence = {
        "trustworthy": bool(report["trustworthy"]),
        "confidence": report.get("confidence"),
        "estimate": kernel.tolist(),
        "estimate_seconds": time.perf_counter() - t0,
    }
    if report["trustworthy"]:
        evidence["summary"] = f"estimated {kernel.shape[0]}x{kernel.shape[1]} (self-check passed)"
        return kernel, Decision("estimated", "auto", report["reason"], evidence)
    evidence["summary"] = "bicubic (estimate rejected by the self-check)"
    return None, Decision("bicubic", "auto", report["reason"], evidence)


def _why_not_estimate(
    image: np.ndarray, scale, n_stages: int, *, blind: bool, noisy: bool, options: dict | None
) -> tuple[str, str] | None:
    """Why the kernel estimator cannot or should not run here, as ``(reason, summary)``, or
    None when it should. A named preset asked to estimate where it cannot is an error."""
    if blind and image.shape[2] not in (1, 3):
        return (
            f"the estimator reads grey or RGB images, this one has {image.shape[2]} channels",
            "bicubic (not grey or RGB)",
        )
    if blind and noisy:
        return (
            "noisy input: the cross-scale fit would explain noise as detail, so the estimator "
            "is not run",
            "bicubic (noisy input)",
        )
    s = _integer_scale(scale)
    if s is None or n_stages != 1:
        if not blind:
            raise ValueError("kernel estimation needs one integer scale stage")
        return (
            "the estimator needs one integer scale stage",
            "bicubic (non-integer or gradual scale)",
        )
    from blindsr.kernel_estimation import estimator_config
    from blindsr.kernel_estimation.cross_scale import min_image_side

    need = min_image_side(s, estimator_config(**(options or {})))
    if blind and min(image.shape[:2]) < need:
        return (
            f"image smaller than the {need} px per side the estimator needs",
            "bicubic (image too small to estimate)",
        )
    return None


def plan_run(
    image: np.ndarray,
    scale: float | tuple[float, float],
    *,
    preset: str = "auto",
    kernel: str | np.ndarray | Sequence[np.ndarray | None] | None = None,
    noise_std: float | str | None = None,
    source: str | os.PathLike | None = None,
    seed: int = 0,
    estimator: dict | None = None,
    overrides: dict | None = None,
) -> Plan:
    """Decide kernel, son noise, JPEG handling and configuration for one input.

    Args:
        image: the LR input, ``H x W x C`` float32 in [0, 1] (RGB or grey).
        scale: SR factor (> 1) or ``(rows, cols)`` factors.
        preset: ``auto`` / ``auto-faithful`` (decide everything) or a named ZSSR preset (run it
            as defined).
        kernel: None (decide: estimate for blind presets, bicubic for named ones), ``"estimate"``
            (estimate, bicubic if the self-check rejects it), ``"bicubic"``, one kernel, or one
            kernel (or None = bicubic) per stage, given by the user.
        noise_std: a user-given son noise (number or ``'auto'``); None decides (blind presets)
            or keeps the preset's.
        source: the file the image was read from (JPEG quality from its table).
        seed: seeds the kernel estimator's patch sampling.
        estimator: :class:`~blindsr.kernel_estimation.EstimatorConfig` fields.
        overrides: :class:`~blindsr.zssr.ZSSRConfig` field overrides; they win over decisions.

    Raises:
        ValueError: unknown preset or setting, kernels that do not match the stages, or
            estimation asked for where it cannot run (non-integer scale, several stages).
    """
    t0 = time.perf_counter()
    user = dict(overrides or {})
    if noise_std is not None:
        user["noise_std"] = noise_std
    blind = preset in BLIND_PRESETS
    if not blind and preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(preset_names())}")
    decisions: dict[str, Decision] = {}
    extra: dict = {}
    base = BLIND_PRESETS[preset]["bicubic"] if blind else preset
    n_stages = _stage_count(base, scale, user)

    user_kernels = None
    if isinstance(kernel, np.ndarray):
        if n_stages != 1:
            raise ValueError(f"{n_stages} scale stages need {n_stages} kernels (one per stage)")
        user_kernels = [validate_kernel(kernel)]
    elif kernel is not None and not isinstance(kernel, str):
        user_kernels = [None if k is None else validate_kernel(k) for k in kernel]
        if len(user_kernels) != n_stages:
            raise ValueError(
                f"{n_stages} scale stage(s) need {n_stages} kernels, got {len(user_kernels)}"
            )
    elif kernel not in (None, "estimate", "bicubic"):
        raise ValueError(
            f"kernel must be an array, a list, 'estimate' or 'bicubic', got {kernel!r}"
        )

    if blind:
        jpeg = decide_jpeg(image, source)
        decisions["jpeg"] = jpeg
        if noise_std is not None:
            noise = Decision(noise_std, "user", "given by the caller", {"summary": str(noise_std)})
        else:
            noise = decide_noise(image, jpeg, scale)
        decisions["noise"] = noise
        noisy = noise.value == "auto" or (
            not isinstance(noise.value, str) and float(noise.value) > 0
        )
    else:
        noisy = False

    # The kernel.
    asked = kernel if isinstance(kernel, str) else None
    estimate_wanted = asked == "estimate" or (blind and kernel is None)
    if user_kernels is not None:
        kernels = user_kernels
        described = "bicubic" if all(k is None for k in kernels) else "given"
        decisions["kernel"] = Decision(
            described, "user", "given by the caller", {"summary": f"{described} (user)"}
        )
    elif estimate_wanted:
        why_not = _why_not_estimate(
            image, scale, n_stages, blind=blind, noisy=noisy, options=estimator
        )
        if why_not is None:
            k, decision = estimate_or_bicubic(
                image, _integer_scale(scale), seed=seed, options=estimator
            )
            kernels = [k]
            decisions["kernel"] = decision
        else:
            kernels = [None] * n_stages
            reason, summary = why_not
            decisions["kernel"] = Decision("bicubic", "auto", reason, {"summary": summary})
    elif asked == "bicubic":
        kernels = [None] * n_stages
        decisions["kernel"] = Decision(
            "bicubic", "user", "given by the caller", {"summary": "bicubic"}
        )
    else:
        kernels = [None] * n_stages
        decisions["kernel"] = Decision(
            "bicubic", "preset", f"preset {preset} without a kernel", {"summary": "bicubic"}
        )
    has_kernel = any(k is not None for k in kernels)

    # The configuration.
    if blind:
        table = BLIND_PRESETS[preset]
        if noisy and not has_kernel:
            run_preset, why = table["noisy"], "noisy input: the reference's real-image settings"
        elif has_kernel:
            run_preset, why = table["kernel"], "a non-bicubic kernel: no rotations or ensemble"
        else:
            run_preset, why = table["bicubic"], "bicubic kernel: 8-way ensemble, back-projection"
        # A net that dies (a hidden layer with no live unit: the net has no biases) returns
        # little more than the interpolated input; the guard restarts it at a tenth of the rate
        # and changes nothing in a run it does not flag (docs/decisions.md, "A dead-net guard
        # in the blind presets").
        extra["revive_dead_net"] = True
        if noisy and "noise_std" not in user:
            extra["noise_std"] = noise.value
        if jpeg.value is not None:
            extra["son_jpeg_quality"] = int(jpeg.value)
            extra["back_projection_iters"] = (0,)
            why += f"; JPEG q{jpeg.value}: sons compressed alike, no back-projection"
        source_kind = "auto"
    else:
        run_preset = preset
        why = "named preset"
        source_kind = "user"
        if (asked is not None or user_kernels is not None) and not has_kernel:
            swapped = KERNEL_FREE_PRESET.get(preset, preset)
            if swapped != preset:
                why = f"bicubic kernel: {preset} runs as its kernel-free counterpart {swapped}"
                run_preset, source_kind = swapped, "fallback"
    final_overrides = {**extra, **user}
    config = preset_config(run_preset).with_overrides(**final_overrides).for_scale(scale)
    decisions["config"] = Decision(
        run_preset,
        source_kind,
        why,
        {
            "summary": (
                f"{run_preset}{f' instead of {preset}' if run_preset != preset and not blind else ''}"
                f" (ensemble {'on' if config.output_flip else 'off'}, "
                f"back-projection {max(config.back_projection_iters)}, "
                f"{'up to ' if config.learning_rate_schedule == 'reference' else ''}"
                f"{config.max_iters} iterations)"
            ),
        },
    )
    return Plan(
        requested_preset=preset,
        preset=run_preset,
        overrides=final_overrides,
        kernels=tuple(kernels),
        decisions=decisions,
        seconds=time.perf_counter() - t0,
    )


def run_plan(
    image: np.ndarray,
    scale: float | tuple[float, float],
    plan: Plan,
    *,
    seed: int = 0,
    device: str = "auto",
    progress=None,
) -> tuple[np.ndarray, dict]:
    """Run ZSSR as planned. Returns ``(sr, report)``; the report holds the plan's record and
    the kernel actually used (``kernel``: one nested list per stage, None for bicubic)."""
    from blindsr.zssr.trainer import run_zssr

    config = preset_config(plan.preset).with_overrides(**plan.overrides).for_scale(scale)
    sr, report = run_zssr(
        image, config, list(plan.kernels), seed=seed, device=device, progress=progress
    )
    report.update(plan.record())
    report["kernel"] = [None if k is None else np.asarray(k).tolist() for k in plan.kernels]
    return sr, report
