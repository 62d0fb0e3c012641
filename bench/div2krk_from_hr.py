"""Write a DIV2KRK-layout folder from any HR set, with DIV2KRK-protocol x2 kernels.

Reproduces: docs/results.md, "DIV2KRK protocol" (first step; the harness scores the folder).

DIV2KRK itself (DIV2K validation HR + random kernels) is not always at hand. To measure
ZSSR[estimated] against ZSSR[true] under that kernel distribution anyway, this builds the same
layout the harness's ``div2krk`` protocol reads (``gt/im_NN.png``, ``lr_x2/im_NN.png``,
``gt_k_x2/kernel_NN.mat``) from, e.g., BSD100, with the kernels of
``bench/kernel_estimation_bench.py``'s ``div2krk-x2`` protocol (same seeds, so the kernel-only
results of that benchmark describe these very kernels).

    python bench/div2krk_from_hr.py --data-dir data/bsd100 --num-images 6 \
        --out runs/div2krk_bsd100
    blindsr bench div2krk --data-dir runs/div2krk_bsd100 --out runs/div2krk_bsd100_zssr ...

``names.json`` maps ``im_NN`` back to the source image names.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from blindsr.degradations import downscale, modcrop
from blindsr.degradations.kernels import kernel_seed, random_div2krk_kernel

from blindsr.image_io import read_image, write_image
from blindsr.kernel_io import write_kernel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True, help="folder of HR PNG images")
    ap.add_argument("--num-images", type=int, default=20, help="first N in sorted order")
    ap.add_argument("--seed", type=int, default=0, help="protocol seed (kernel_seed)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    paths = sorted(args.data_dir.glob("*.png"))[: args.num_images]
    if not paths:
        ap.error(f"no PNG images in {args.data_dir}")
    for sub in ("gt", "lr_x2", "gt_k_x2"):
        (args.out / sub).mkdir(parents=True, exist_ok=True)
    names = {}
    for i, path in enumerate(paths, start=1):
        tag = f"{i:02d}"
        rng = np.random.default_rng(kernel_seed(args.seed, f"{path.stem}:div2krk"))
        kernel = random_div2krk_kernel(rng, 2)
        hr = modcrop(read_image(path), 2)
        lr = downscale(hr, kernel, 2)
        write_image(args.out / "gt" / f"im_{tag}.png", hr)
        write_image(args.out / "lr_x2" / f"im_{tag}.png", lr)
        write_kernel(args.out / "gt_k_x2" / f"kernel_{tag}.mat", kernel)
        names[f"im_{tag}"] = path.stem
    (args.out / "names.json").write_text(json.dumps(names, indent=1) + "\n")
    print(f"{len(names)} images -> {args.out}")


if __name__ == "__main__":
    main()
