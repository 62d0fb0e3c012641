"""Does narrowing the estimated kernel pay, judged by ZSSR? (issue 4, tuning images only)

The cross-scale criterion compresses estimated kernel sizes towards ~20 px² (too wide for
narrow truths, too narrow for wide ones), and ZSSR's cost is asymmetric: a too-wide kernel
over-sharpens (several dB), a too-narrow one under-sharpens (a fraction). Narrowing is
``k**gamma`` renormalised and re-centred (for a Gaussian: covariance / gamma).

Stage ``kernel``: estimate on every image, record LR-reproduction PSNR, kernel PSNR and area
for each gamma (cheap). Stage ``zssr``: ZSSR (``given-kernel-fast``) with the true kernel, the
estimate and each narrowed estimate, on the images named by ``--images``. Resumable.

    OMP_NUM_THREADS=1 python bench/kernel_narrowing.py kernel --data-dir ../shared/data/bsd100 \
        --first 20 --num-images 80 --seed 2 --out runs/kernel_narrowing
    OMP_NUM_THREADS=1 python bench/kernel_narrowing.py zssr --data-dir ../shared/data/bsd100 \
        --images 159008,45096 --seed 2 --out runs/kernel_narrowing
    # the same on DIV2KRK-protocol kernels (kernel-estimation.md §3.1):
    OMP_NUM_THREADS=1 python bench/kernel_narrowing.py zssr --kernels div2krk --skip-true \
        --gammas 1.5 --data-dir ../shared/data/bsd100 --images 159008 --seed 2 \
        --out runs/kernel_narrowing_div2krk
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from blindsr.degradations import downscale, modcrop
from blindsr.degradations.kernels import (
    effective_area,
    kernel_seed,
    random_div2krk_kernel,
    random_table2_kernel,
)
from blindsr.eval.kernel_metrics import kernel_error, lr_reproduction_psnr
from blindsr.eval.metrics import psnr, ssim
from blindsr.eval.protocols import _quantize
from blindsr.kernel_estimation.support import narrow_kernel as narrow

from blindsr.api import estimate_kernel, super_resolve
from blindsr.image_io import read_image

HELD_OUT = {"97033", "89072", "86016"}  # the ZSSR held-out check; never tuned on


def case(data_dir: Path, name: str, seed: int, kernels: str = "table2"):
    hr = modcrop(read_image(data_dir / f"{name}.png"), 2)
    if kernels == "div2krk":  # as bench/kernel_estimation_bench.py's div2krk-x2 protocol
        rng = np.random.default_rng(kernel_seed(seed, name + ":div2krk"))
        kernel = random_div2krk_kernel(rng, 2)
    else:
        kernel = random_table2_kernel(np.random.default_rng(kernel_seed(seed, name)), 2)
    return hr, kernel, _quantize(downscale(hr, kernel, 2))


def cached_estimate(
    out: Path, name: str, lr: np.ndarray, overrides: dict | None = None
) -> tuple[np.ndarray, dict]:
    path = out / "kernels" / f"{name}.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        return z["kernel"], json.loads(str(z["report"]))
    # The raw estimate (narrowing 1); ``overrides`` are other EstimatorConfig fields.
    kernel, report = estimate_kernel(lr, 2, progress=False, **{**(overrides or {}), "narrowing": 1})
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "trustworthy": bool(report["trustworthy"]),
        "fit_gain": report["confidence"]["relative_gain"],
    }
    np.savez(path, kernel=kernel, report=json.dumps(report))
    return kernel, report


def done_keys(path: Path, *fields: str) -> set:
    if not path.exists():
        return set()
    rows = [json.loads(line) for line in path.read_text().splitlines() if line]
    return {tuple(str(r[f]) for f in fields) for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stage", choices=["kernel", "zssr"])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--first", type=int, default=20)
    ap.add_argument("--num-images", type=int, default=80)
    ap.add_argument("--images", help="comma-separated stems (zssr stage)")
    ap.add_argument("--gammas", default="1.25,1.5,2")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--preset", default="given-kernel-fast")
    ap.add_argument("--skip-true", action="store_true", help="zssr stage: no true-kernel run")
    ap.add_argument("--kernels", choices=["table2", "div2krk"], default="table2")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="EstimatorConfig override, e.g. --set 'query_score=\"laplacian\"'; use a fresh --out",
    )
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = json.loads(value)
    args.out.mkdir(parents=True, exist_ok=True)
    gammas = [1.0] + [float(g) for g in args.gammas.split(",")]

    if args.stage == "kernel":
        names = sorted(p.stem for p in args.data_dir.glob("*.png"))
        names = [n for n in names[args.first : args.first + args.num_images] if n not in HELD_OUT]
        rows_path = args.out / "kernel.jsonl"
        done = done_keys(rows_path, "image")
        for name in names:
            if (name,) in done:
                continue
            hr, true, lr = case(args.data_dir, name, args.seed, args.kernels)
            t0 = time.perf_counter()
            est, report = cached_estimate(args.out, name, lr, overrides)
            row = {
                "image": name,
                "trustworthy": report["trustworthy"],
                "fit_gain": report["fit_gain"],
                "area_true": effective_area(true),
                "lr_psnr_true": lr_reproduction_psnr(hr, true, lr, 2),
                "seconds": time.perf_counter() - t0,
            }
            for g in gammas:
                k = narrow(est, g, 2)
                row[f"area_{g:g}"] = effective_area(k)
                row[f"lr_psnr_{g:g}"] = lr_reproduction_psnr(hr, k, lr, 2)
                row[f"kernel_psnr_{g:g}"] = kernel_error(k, true)["psnr"]
            with rows_path.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
            print(
                f"{name}: true area {row['area_true']:.1f}, est "
                + ", ".join(
                    f"g{g:g} {row[f'area_{g:g}']:.1f}/{row[f'lr_psnr_{g:g}']:.1f}dB" for g in gammas
                )
                + f" trusted={row['trustworthy']}",
                flush=True,
            )
        return

    rows_path = args.out / "zssr.jsonl"
    done = done_keys(rows_path, "image", "kernel")
    for name in args.images.split(","):
        hr, true, lr = case(args.data_dir, name, args.seed, args.kernels)
        est, report = cached_estimate(args.out, name, lr, overrides)
        kernels = {f"est^{g:g}": narrow(est, g, 2) for g in gammas}
        if not args.skip_true:
            kernels["true"] = true
        for label, k in kernels.items():
            if (name, label) in done:
                continue
            t0 = time.perf_counter()
            sr, rep = super_resolve(lr, 2, kernel=k, preset=args.preset, seed=0, progress=False)
            row = {
                "image": name,
                "kernel": label,
                "preset": args.preset,
                "trustworthy": report["trustworthy"],
                "area": effective_area(k),
                "area_true": effective_area(true),
                "psnr": psnr(sr, hr, scale=2),
                "ssim": ssim(sr, hr, scale=2),
                "seconds": time.perf_counter() - t0,
            }
            with rows_path.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
            print(f"{name} {label}: area {row['area']:.1f} -> {row['psnr']:.2f} dB", flush=True)


if __name__ == "__main__":
    main()
