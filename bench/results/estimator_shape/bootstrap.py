"""Does the estimator's width bias on the LR's own downscale predict its bias on the LR?

Per tuning case (bench/kernel_estimation_bench.py's protocols, seed 0): k_fit = the raw fit on the
LR; lr2 = quantised downscale(lr, k_fit, 2), whose true kernel is k_fit; k_boot = the raw fit on
lr2. r_true = area(k_fit) / area(k_true) is what a correction needs, r_boot = area(k_boot) /
area(k_fit) is what the image offers. One JSON line per case.

    OMP_NUM_THREADS=1 python bench/results/estimator_shape/bootstrap.py --data-dir data/bsd100 \
        --first 30 --num-images 30 --out bootstrap.jsonl
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from blindsr.degradations import downscale  # noqa: E402
from blindsr.degradations.kernels import effective_area  # noqa: E402
from blindsr.eval.kernel_metrics import kernel_error  # noqa: E402
from blindsr.kernel_estimation import EstimatorConfig, estimate_kernel  # noqa: E402
from kernel_estimation_bench import make_case, quantise  # noqa: E402

from blindsr.image_io import read_image  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--data-dir", type=Path, required=True)
ap.add_argument("--first", type=int, default=30)
ap.add_argument("--num-images", type=int, default=30)
ap.add_argument("--exclude", default="182053,24077,296059")
ap.add_argument("--protocols", default="table2-x2,div2krk-x2,bicubic-x2")
ap.add_argument("--out", type=Path, required=True)
args = ap.parse_args()
paths = sorted(args.data_dir.glob("*.png"))[args.first : args.first + args.num_images]
paths = [p for p in paths if p.stem not in args.exclude.split(",")]
config = EstimatorConfig(narrowing=1.0)
for path in paths:
    hr = read_image(path)
    for protocol in args.protocols.split(","):
        _, _, k_true, lr = make_case(hr, path.stem, protocol, 0)
        k_fit, rep = estimate_kernel(lr, 2, config=config, seed=0)
        k_boot, rep2 = estimate_kernel(quantise(downscale(lr, k_fit, 2)), 2, config=config, seed=0)
        a_true, a_fit, a_boot = map(effective_area, (k_true, k_fit, k_boot))
        row = {
            "image": path.stem,
            "protocol": protocol,
            "trust": bool(rep["trustworthy"]),
            "fit_gain": rep["confidence"]["relative_gain"],
            "trust_boot": bool(rep2["trustworthy"]),
            "area_true": a_true,
            "area_fit": a_fit,
            "area_boot": a_boot,
            "r_true": a_fit / a_true,
            "r_boot": a_boot / a_fit,
            "psnr_fit": kernel_error(k_fit, k_true)["psnr"],
            "k_fit": np.asarray(k_fit).tolist(),
            "k_boot": np.asarray(k_boot).tolist(),
        }
        with args.out.open("a") as f:
            f.write(json.dumps(row) + "\n")
