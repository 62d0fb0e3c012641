"""Table 1 (ideal case): ZSSR on MATLAB-bicubic LR images of a benchmark set, resumable.

Usage (long on CPU: run in the background, it appends one JSON line per finished image and
skips images already in the results file when re-run):

    python bench/zssr_table1.py --data-dir ../shared/data/set5 --scale 2 --preset ideal \
        --out runs/table1_set5_x2 > runs/table1_set5_x2.log 2>&1 &

Protocol (protocols.md §2-3): HR mod-cropped to the scale, LR = MATLAB bicubic rounded to uint8
(as the SelfExSR LR PNGs are), SR scored by eval.metrics (Y, shave = scale, uint8 rounding).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from blindsr.degradations import imresize, modcrop
from blindsr.eval.metrics import psnr, ssim

from blindsr.api import super_resolve
from blindsr.image_io import read_image, write_image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--scale", type=int, default=2)
    ap.add_argument("--preset", default="ideal")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--images", help="comma-separated stems (default: all, sorted)")
    ap.add_argument("--max-iters", type=int)
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda")
    args = ap.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "results.jsonl"
    done = set()
    if results.exists():
        done = {json.loads(line)["image"] for line in results.read_text().splitlines() if line}
    paths = sorted(args.data_dir.glob("*.png"))
    if args.images:
        wanted = args.images.split(",")
        paths = [p for p in paths if p.stem in wanted]
    overrides = {} if args.max_iters is None else {"max_iters": args.max_iters}
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__}, threads {torch.get_num_threads()}",
        flush=True,
    )
    for path in paths:
        if path.stem in done:
            print(f"skip {path.stem} (done)", flush=True)
            continue
        hr = modcrop(read_image(path), args.scale)
        lr = np.round(np.clip(imresize(hr, 1 / args.scale), 0, 1) * 255) / 255
        bicubic = np.clip(imresize(lr.astype(np.float32), args.scale), 0, 1)
        t0 = time.perf_counter()
        sr, report = super_resolve(
            lr.astype(np.float32),
            args.scale,
            preset=args.preset,
            seed=args.seed,
            device=args.device,
            progress=True,
            **overrides,
        )
        seconds = time.perf_counter() - t0
        write_image(args.out / f"{path.stem}_x{args.scale}.png", sr)
        row = {
            "image": path.stem,
            "scale": args.scale,
            "preset": args.preset,
            "seed": args.seed,
            "psnr": psnr(sr, hr, scale=args.scale),
            "ssim": ssim(sr, hr, scale=args.scale),
            "bicubic_psnr": psnr(bicubic, hr, scale=args.scale),
            "bicubic_ssim": ssim(bicubic, hr, scale=args.scale),
            "iterations": [s["iterations"] for s in report["stages"]],
            "lr_drops": [s["lr_drop_iterations"] for s in report["stages"]],
            "last_reconstruction_error": [
                s["reconstruction_error"][-1][1] for s in report["stages"]
            ],
            "train_seconds": sum(s["train_seconds"] for s in report["stages"]),
            "inference_seconds": sum(s["inference_seconds"] for s in report["stages"]),
            "seconds": seconds,
            "device": report["device"],
            "overrides": overrides,
            "versions": report["versions"],
        }
        with results.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(
            f"{path.stem}: ZSSR {row['psnr']:.2f}/{row['ssim']:.4f}  bicubic "
            f"{row['bicubic_psnr']:.2f}/{row['bicubic_ssim']:.4f}  iters {row['iterations']}  "
            f"{seconds:.0f}s",
            flush=True,
        )
    rows = [json.loads(line) for line in results.read_text().splitlines() if line]
    if rows:
        print(
            f"mean over {len(rows)}: ZSSR {np.mean([r['psnr'] for r in rows]):.2f}/"
            f"{np.mean([r['ssim'] for r in rows]):.4f}  bicubic "
            f"{np.mean([r['bicubic_psnr'] for r in rows]):.2f}/"
            f"{np.mean([r['bicubic_ssim'] for r in rows]):.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
