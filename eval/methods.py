"""Benchmark methods: each a named row of the tables, with its settings recorded.

* ``bicubic``: MATLAB bicubic interpolation of the LR.
* ``zssr-bicubic``: ZSSR without a kernel (preset ``ideal``).
* ``zssr-true``: ZSSR given the ground-truth kernel (preset ``given-kernel``).
* ``zssr-est``: our kernel estimator, then ZSSR with that kernel (``given-kernel``). When the
  estimate's self-check says it is not trustworthy, the unit falls back to exactly what
  ``zssr-bicubic`` runs: the bicubic kernel with the kernel-free preset (``ideal``, or ``fast``
  for ``given-kernel-fast``), same seed, so a fallback can never score below ZSSR[bicubic].
* ``zssr-real``: ZSSR with noise on the sons, no back-projection (preset ``real``).

Any method takes overrides after a colon: ``zssr-est:preset=ideal,max_iters=500``
(``preset`` picks the ZSSR preset; ``estimator.KEY`` sets an EstimatorConfig field of
``zssr-est``, e.g. ``zssr-est:estimator.narrowing=1.5``; other keys are ZSSRConfig fields).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from blindsr.degradations import imresize, modcrop
from blindsr.eval.metrics import psnr, ssim
from blindsr.eval.protocols import Case

from blindsr.image_io import read_image, write_image
from blindsr.kernel_io import read_kernel

__all__ = ["MethodSpec", "parse_method", "run_unit", "BASE_METHODS", "output_image_name"]

BASE_METHODS = {
    "bicubic": None,
    "zssr-bicubic": "ideal",
    "zssr-true": "given-kernel",
    "zssr-est": "given-kernel",
    "zssr-real": "real",
}


@dataclass(frozen=True)
class MethodSpec:
    """A method name as written by the user, split into base, preset and overrides."""

    text: str
    base: str
    preset: str | None
    overrides: dict = field(default_factory=dict, hash=False, compare=False)

    def estimator_overrides(self) -> dict:
        """The ``estimator.KEY`` options, keyed by EstimatorConfig field."""
        return {
            k.split(".", 1)[1]: v for k, v in self.overrides.items() if k.startswith("estimator.")
        }

    def zssr_overrides(self) -> dict:
        """The ZSSRConfig field overrides."""
        return {k: v for k, v in self.overrides.items() if not k.startswith("estimator.")}


def _value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_method(text: str) -> MethodSpec:
    base, _, rest = text.partition(":")
    if base not in BASE_METHODS:
        raise ValueError(f"unknown method {base!r}; choose from {', '.join(BASE_METHODS)}")
    overrides = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"method option must be KEY=VALUE, got {item!r} in {text!r}")
        overrides[key] = _value(value)
    preset = overrides.pop("preset", BASE_METHODS[base])
    if base == "bicubic" and (overrides or preset):
        raise ValueError(f"bicubic takes no options, got {text!r}")
    if base != "zssr-est" and any(k.startswith("estimator.") for k in overrides):
        raise ValueError(f"estimator.* options apply to zssr-est only, got {text!r}")
    return MethodSpec(text, base, preset, overrides)


def unit_seed(seed: int, repeat: int, name: str) -> int:
    from blindsr.degradations.kernels import kernel_seed

    return kernel_seed(seed * 1009 + repeat, name)


def output_image_name(method: str, seed: int, repeat: int) -> str:
    """File name of a unit's SR image inside ``images/<image>/``: the method text with anything
    but letters, digits, ``.``, ``_`` and ``-`` replaced (``zssr-est:preset=fast`` ->
    ``zssr-est_preset-fast.png``); seed and repeat are added unless both are 0."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", method.replace("=", "-"))
    extra = "" if (seed, repeat) == (0, 0) else f"_seed{seed}_rep{repeat}"
    return f"{safe}{extra}.png"


def run_unit(
    case: Case,
    method_text: str,
    seed: int,
    repeat: int,
    device: str = "cpu",
    *,
    images_dir: str | None = None,
) -> dict:
    """Run one (image, method, seed, repeat) unit and score it; returns the JSON row.

    ``images_dir``: also write the SR image (8-bit PNG) to ``images_dir/<image>/<name>`` (name
    from :func:`output_image_name`); the row then records that path relative to ``images_dir``'s
    parent as ``output_image``.
    """
    spec = parse_method(method_text)
    s = case.scale
    hr = modcrop(read_image(case.hr_path), s)
    lr = read_image(case.lr_path)
    row: dict = {
        "image": case.name,
        "method": spec.text,
        "protocol": case.protocol,
        "scale": s,
        "seed": seed,
        "repeat": repeat,
        "degradation": case.degradation,
    }
    seconds: dict = {}
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    if spec.base == "bicubic":
        sr = np.clip(imresize(lr, s), 0, 1)
    else:
        from blindsr.api import super_resolve

        kernel, preset = None, spec.preset
        if spec.base == "zssr-true":
            if case.kernel_path is None:
                raise ValueError(f"{case.protocol} has no ground-truth kernel for zssr-true")
            kernel = read_kernel(case.kernel_path)
        elif spec.base == "zssr-est":
            kernel, est_info = _estimate(
                lr, s, case, unit_seed(seed, repeat, case.name), spec.estimator_overrides()
            )
            if kernel is None:
                from blindsr.zssr.config import KERNEL_FREE_PRESET

                preset = KERNEL_FREE_PRESET.get(preset, preset)
                est_info["fallback_preset"] = preset
            row["estimation"] = est_info
            seconds["estimate"] = est_info["seconds"]
        sr, report = super_resolve(
            lr,
            s,
            kernel,
            preset,
            seed=unit_seed(seed, repeat, case.name),
            device=device,
            progress=False,
            **spec.zssr_overrides(),
        )
        seconds["train"] = sum(st["train_seconds"] for st in report["stages"])
        seconds["inference"] = sum(st["inference_seconds"] for st in report["stages"])
        row.update(
            iterations=[st["iterations"] for st in report["stages"]],
            lr_drops=[st["lr_drop_iterations"] for st in report["stages"]],
            # Iterations where the dead-net guard restored a stage (empty when it is off).
            revivals=[st["revivals"] for st in report["stages"]],
            settings=report["settings"],
            device=report["device"],
            versions=report["versions"],
        )
    seconds["total"] = time.perf_counter() - t0
    # CPU seconds of this process: with one torch thread per unit, what the wall time would be
    # on an otherwise idle machine (wall time grows when units share cores).
    seconds["cpu"] = time.process_time() - cpu0
    row.update(psnr=psnr(sr, hr, scale=s), ssim=ssim(sr, hr, scale=s), seconds=seconds)
    if images_dir is not None:
        folder = Path(images_dir)
        target = folder / case.name / output_image_name(spec.text, seed, repeat)
        write_image(target, sr)
        row["output_image"] = target.relative_to(folder.parent).as_posix()
    return row


def _estimate(
    lr: np.ndarray, scale: int, case: Case, seed: int, options: dict
) -> tuple[np.ndarray | None, dict]:
    """Estimate the kernel; None (bicubic) when the self-check rejects it. Scores the kernel
    against the truth when the protocol has one."""
    from blindsr.api import estimate_kernel

    t0 = time.perf_counter()
    kernel, report = estimate_kernel(lr, scale, seed=seed, **options)
    info = {
        "seconds": time.perf_counter() - t0,
        "trustworthy": bool(report.get("trustworthy")),
        "reason": report.get("reason", ""),
        "confidence": report.get("confidence"),
        # The kernel itself (a few hundred taps), so the report can draw it beside the truth
        # even when no images are kept; 6 significant digits are plenty for a picture.
        "kernel": [[float(f"{v:.6g}") for v in r] for r in np.asarray(kernel, np.float64)],
    }
    if case.kernel_path is not None:
        from blindsr.eval.kernel_metrics import kernel_error, lr_reproduction_psnr

        true_k = read_kernel(case.kernel_path)
        hr = modcrop(read_image(case.hr_path), scale)
        info["kernel_error"] = kernel_error(kernel, true_k)
        info["lr_reproduction_psnr"] = lr_reproduction_psnr(hr, kernel, lr, scale)
    info["fallback_to_bicubic"] = not info["trustworthy"]
    return (kernel if info["trustworthy"] else None), info
