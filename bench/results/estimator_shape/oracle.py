"""Diagnostic: ZSSR with the estimate re-finished at an oracle exponent (uses the true kernel).

Per DIV2KRK-style x2 case of the harness (`eval.protocols.prepare_cases`, seed 0): fit the raw
kernel as `auto` does, choose g so that `finish_estimate(fit, narrowing=g)` either has the true
kernel's effective area (`--target area`) or lies just inside it (`--target inside`: the largest
eigenvalue of S_true^-1 S(k) is 1, S the second-moment matrix), and run the harness's zssr-true
unit (given-kernel-fast, same unit seed) with that kernel. Resumable JSON lines in OUT.

    OMP_NUM_THREADS=1 python bench/results/estimator_shape/oracle.py --data-dir data/bsd100 \
        --target area --images 101085,... --out runs/oracle_area
"""

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import torch
from blindsr.degradations.kernels import effective_area, second_moments
from blindsr.eval.kernel_metrics import kernel_error
from blindsr.eval.methods import run_unit
from blindsr.eval.protocols import prepare_cases
from blindsr.kernel_estimation import EstimatorConfig, estimate_kernel
from blindsr.kernel_estimation.cross_scale import finish_estimate

from blindsr.image_io import read_image
from blindsr.kernel_io import read_kernel, write_kernel


def oracle_exponent(fit: np.ndarray, size: int, k_true: np.ndarray, target: str):
    """Bisection for the exponent g of the target; returns (g, finished kernel)."""
    s_true = second_moments(k_true)

    def excess(g: float) -> float:
        k = finish_estimate(fit, 2, size=size, narrowing=g, composed=False)[0]
        if target == "area":
            return effective_area(k) / effective_area(k_true) - 1.0
        return np.linalg.eigvals(np.linalg.solve(s_true, second_moments(k))).real.max() - 1.0

    lo, hi = 0.2, 4.0  # both measures shrink as g grows
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
    g = 0.5 * (lo + hi)
    return g, finish_estimate(fit, 2, size=size, narrowing=g, composed=False)[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--target", choices=("area", "inside"), required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    store = args.out / "results.jsonl"
    done = (
        {json.loads(line)["image"] for line in store.read_text().splitlines()}
        if store.exists()
        else set()
    )
    cases = prepare_cases(
        "div2krk-synth", args.data_dir, args.out / "cache", scale=2, images=args.images.split(",")
    )
    for case in cases:
        if case.name in done:
            continue
        k_true = read_kernel(case.kernel_path)
        k_auto, rep = estimate_kernel(read_image(case.lr_path), 2, config=EstimatorConfig(), seed=0)
        fit = np.asarray(rep["kernel_fitted"])
        g, kernel = oracle_exponent(fit, k_auto.shape[0], k_true, args.target)
        path = args.out / "kernels" / f"{case.name}.mat"
        path.parent.mkdir(exist_ok=True)
        write_kernel(path, kernel.astype(np.float32))
        row = run_unit(
            dataclasses.replace(case, kernel_path=str(path)),
            "zssr-true:preset=given-kernel-fast",
            0,
            0,
        )
        row.pop("settings", None)
        row.update(
            method=f"zssr-oracle-{args.target}",
            trusted=bool(rep["trustworthy"]),
            g_oracle=g,
            area_ratio_auto=effective_area(k_auto) / effective_area(k_true),
            area_ratio_oracle=effective_area(kernel) / effective_area(k_true),
            kernel_psnr_auto=kernel_error(k_auto, k_true)["psnr"],
            kernel_psnr_oracle=kernel_error(kernel, k_true)["psnr"],
        )
        with store.open("a") as f:
            f.write(json.dumps(row) + "\n")
        print(case.name, f"g {g:.2f} PSNR {row['psnr']:.2f}", flush=True)


if __name__ == "__main__":
    main()
