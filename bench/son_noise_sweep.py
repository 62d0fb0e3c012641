"""Noise on sons for degraded inputs: the reference's fixed 0.0125 vs ``noise_std='auto'``.

Table-3 style inputs (bicubic x2 LR, 8-bit, then Gaussian sigma 0.05, speckle 0.05 or JPEG 45,
the noise seeded as the ``table3`` protocol seeds it), every degradation on every image, ZSSR
with a ``real`` preset at each son-noise setting. Resumable: one JSON line per unit.

    OMP_NUM_THREADS=1 python bench/son_noise_sweep.py --data-dir ../shared/data/bsd100 \
        --images 12084,65033,210088 --preset real-fast --out runs/son_noise_sweep
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from blindsr.degradations import downscale, imresize, modcrop
from blindsr.degradations.kernels import kernel_seed
from blindsr.eval.metrics import psnr, ssim
from blindsr.eval.protocols import TABLE3_DEGRADATIONS, _degrade_table3, _quantize

from blindsr.api import super_resolve
from blindsr.image_io import read_image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--images", required=True, help="comma-separated stems")
    ap.add_argument("--degradations", default=";".join(TABLE3_DEGRADATIONS))
    ap.add_argument("--noise-std", default="0.0125;auto", help="';'-separated settings")
    ap.add_argument("--preset", default="real-fast")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "results.jsonl"
    done = set()
    if results.exists():
        for line in results.read_text().splitlines():
            r = json.loads(line)
            done.add((r["image"], r["degradation"], str(r["noise_setting"])))
    settings = [s if s == "auto" else float(s) for s in args.noise_std.split(";")]
    for degradation in args.degradations.split(";"):
        for name in args.images.split(","):
            hr = modcrop(read_image(args.data_dir / f"{name}.png"), 2)
            rng = np.random.default_rng(kernel_seed(args.seed, name))
            lr, _ = _degrade_table3(_quantize(downscale(hr, None, 2)), rng, degradation)
            lr = _quantize(lr)
            bicubic = np.clip(imresize(lr, 2), 0, 1)
            for setting in settings:
                if (name, degradation, str(setting)) in done:
                    continue
                t0 = time.perf_counter()
                sr, report = super_resolve(
                    lr, 2, preset=args.preset, seed=args.seed, progress=False, noise_std=setting
                )
                stage = report["stages"][-1]
                row = {
                    "image": name,
                    "degradation": degradation,
                    "preset": args.preset,
                    "noise_setting": setting,
                    "noise_std": stage["noise_std"],
                    "input_noise_std": stage.get("input_noise_std"),
                    "psnr": psnr(sr, hr, scale=2),
                    "ssim": ssim(sr, hr, scale=2),
                    "bicubic_psnr": psnr(bicubic, hr, scale=2),
                    "bicubic_ssim": ssim(bicubic, hr, scale=2),
                    "iterations": stage["iterations"],
                    "seconds": time.perf_counter() - t0,
                }
                with results.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(
                    f"{name} {degradation} noise={setting} ({row['noise_std']:.4f}): "
                    f"{row['psnr']:.2f}/{row['ssim']:.4f} (bicubic {row['bicubic_psnr']:.2f}) "
                    f"{row['seconds']:.0f}s",
                    flush=True,
                )


if __name__ == "__main__":
    main()
