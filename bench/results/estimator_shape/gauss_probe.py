"""Gaussian-profile probe (a diagnostic, not a method; run from the repository root).

For each case whose estimate the self-check trusts, compares two SR kernels made from the same
raw fit: ``auto15``, ``auto``'s ``k**1.5``, and ``gaussNN``, a Gaussian with the raw fit's
second moments divided by ``g = NN / 10`` (recentred), so the fit's flat-topped profile is
replaced by a peaked one. ``zssr`` mode runs the harness's zssr-true unit at the fast budget on
each kernel and appends rows to ``OUT/results.jsonl`` (resumable); ``ks`` prints kernel space only.

    OMP_NUM_THREADS=1 python bench/results/estimator_shape/gauss_probe.py \
        OUT IMAGE,IMAGE,... auto15,gauss10 zssr|ks table2|div2krk-synth
"""

import dataclasses
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
from blindsr.degradations.kernels import effective_area
from blindsr.eval.kernel_metrics import kernel_error
from blindsr.eval.methods import run_unit
from blindsr.eval.protocols import prepare_cases
from blindsr.kernel_estimation import EstimatorConfig, estimate_kernel
from blindsr.kernel_estimation.cross_scale import finish_estimate

from blindsr.image_io import read_image
from blindsr.kernel_io import read_kernel, write_kernel


def gaussian_like(kernel: np.ndarray, g: float) -> np.ndarray:
    """The Gaussian with ``kernel``'s centre of mass and second moments divided by ``g``
    (the estimator's ``profile='gaussian', narrowing=g``)."""
    return finish_estimate(
        kernel, 2, size=kernel.shape[0], narrowing=g, composed=False, profile="gaussian"
    )[0]


def main() -> None:
    out, images, targets = Path(sys.argv[1]), sys.argv[2].split(","), sys.argv[3].split(",")
    zssr, protocol = sys.argv[4] == "zssr", sys.argv[5]
    torch.set_num_threads(1)
    out.mkdir(parents=True, exist_ok=True)
    store = out / "results.jsonl"
    rows = [json.loads(line) for line in store.read_text().splitlines()] if store.exists() else []
    done = {(r["image"], r["target"]) for r in rows}
    data = Path("data/bsd100")
    for case in prepare_cases(protocol, data, out / "cache", scale=2, images=images):
        k_true = read_kernel(case.kernel_path)
        lr = read_image(case.lr_path)
        k_auto, report = estimate_kernel(lr, 2, config=EstimatorConfig(), seed=0)
        if not report["trustworthy"]:
            print(case.name, "not trusted")
            continue
        fit = np.asarray(report["kernel_fitted"])
        for target in targets:
            if (case.name, target) in done:
                continue
            k = k_auto if target == "auto15" else gaussian_like(fit, float(target[5:]) / 10)
            row = {
                "image": case.name,
                "target": target,
                "kernel_psnr": kernel_error(k, k_true)["psnr"],
                "area_ratio": effective_area(k) / effective_area(k_true),
            }
            if zssr:
                path = out / "kernels" / f"{case.name}_{target}.mat"
                path.parent.mkdir(exist_ok=True)
                write_kernel(path, k.astype(np.float32))
                unit = dataclasses.replace(case, kernel_path=str(path))
                result = run_unit(unit, "zssr-true:preset=given-kernel-fast", 0, 0)
                row.update(psnr=result["psnr"], ssim=result["ssim"], dead=result["dead_at_end"])
                with store.open("a") as f:
                    f.write(json.dumps(row) + "\n")
            print(case.name, target, row, flush=True)


if __name__ == "__main__":
    main()
