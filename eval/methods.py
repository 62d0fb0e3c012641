"""Benchmark methods: each a named row of the tables, with its settings recorded.

* ``bicubic``: MATLAB bicubic interpolation of the LR.
* ``zssr-bicubic``: ZSSR without a kernel (preset ``ideal``).
* ``zssr-true``: ZSSR given the ground-truth kernel (preset ``given-kernel``).
* ``zssr-est``: our kernel estimator, then ZSSR with that kernel (``given-kernel``). When the
  estimate's self-check says it is not trustworthy, the unit falls back to exactly what
  ``zssr-bicubic`` runs: the bicubic kernel with the kernel-free preset (``ideal``, or ``fast``
  for ``given-kernel-fast``), same seed, so a fallback can never score below ZSSR[bicubic].
* ``zssr-real``: ZSSR with noise on the sons, no back-projection (preset ``real``).
* ``zssr-blind``: the blind default (``blindsr.pipeline``, preset ``auto``; ``auto-faithful``
  with ``zssr-blind:preset=auto-faithful``): JPEG, noise, kernel and configuration decided
  from the LR alone; the decisions are stored in the row.

Any method takes overrides after a colon: ``zssr-est:preset=ideal,max_iters=500``
(``preset`` picks the ZSSR preset; ``estimator.KEY`` sets an EstimatorConfig field of
``zssr-est`` and ``zssr-blind``, e.g. ``zssr-est:estimator.narrowing=1.5``; other keys are
ZSSRConfig fields).
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
    "zssr-blind": "auto",
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
    if base not in ("zssr-est", "zssr-blind") and any(
        k.startswith("estimator.") for k in overrides
    ):
        raise ValueError(f"estimator.* options apply to zssr-est and zssr-blind only, got {text!r}")
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
        from blindsr.pipeline import plan_run, run_plan

        kernel = None
        if spec.base == "zssr-true":
            if case.kernel_path is None:
                raise ValueError(f"{case.protocol} has no ground-truth kernel for zssr-true")
            kernel = read_kernel(case.kernel_path)
        elif spec.base == "zssr-est":
            kernel = "estimate"
        unit = unit_seed(seed, repeat, case.name)
        plan = plan_run(
            lr,
            s,
            preset=spec.preset,
            kernel=kernel,
            source=case.lr_path,
            seed=unit,
            estimator=spec.estimator_overrides(),
            overrides=spec.zssr_overrides(),
        )
        if "estimate" in plan.decisions["kernel"].evidence:
            row["estimation"] = _estimation_record(plan, case, lr, s)
            seconds["estimate"] = row["estimation"]["seconds"]
        if spec.base == "zssr-blind":
            row["decisions"] = plan.record()
            seconds["decide"] = plan.seconds
        sr, report = run_plan(lr, s, plan, seed=unit, device=device)
        row["preset_run"] = plan.preset
        seconds["train"] = sum(st["train_seconds"] for st in report["stages"])
        seconds["inference"] = sum(st["inference_seconds"] for st in report["stages"])
        row.update(
            iterations=[st["iterations"] for st in report["stages"]],
            lr_drops=[st["lr_drop_iterations"] for st in report["stages"]],
            # Iterations where the dead-net guard restored a stage (empty when it is off).
            revivals=[st["revivals"] for st in report["stages"]],
            # Whether each stage's net ended dead (a collapsed run: bicubic + back-projection).
            dead_at_end=[st["dead_at_end"] for st in report["stages"]],
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


def _estimation_record(plan, case: Case, lr: np.ndarray, scale: int) -> dict:
    """The estimate's self-check and, where the protocol knows the truth, its kernel errors."""
    decision = plan.decisions["kernel"]
    evidence = decision.evidence
    kernel = np.asarray(evidence["estimate"])
    info = {
        "seconds": evidence["estimate_seconds"],
        "trustworthy": evidence["trustworthy"],
        "reason": decision.reason,
        "confidence": evidence["confidence"],
        "kernel_est": evidence["estimate"],
        "fallback_to_bicubic": not evidence["trustworthy"],
    }
    if not evidence["trustworthy"]:
        info["fallback_preset"] = plan.preset
    if case.kernel_path is not None:
        from blindsr.eval.kernel_metrics import kernel_error, lr_reproduction_psnr

        true_k = read_kernel(case.kernel_path)
        hr = modcrop(read_image(case.hr_path), scale)
        info["kernel_error"] = kernel_error(kernel, true_k)
        info["lr_reproduction_psnr"] = lr_reproduction_psnr(hr, kernel, lr, scale)
    return info
