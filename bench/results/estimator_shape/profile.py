"""Peak times effective area (2 for any Gaussian, 1 for a box) of the true kernel and of the
raw fit on the nine trusted DIV2KRK-style x2 report images.

    OMP_NUM_THREADS=1 python bench/results/estimator_shape/profile.py --data-dir data/bsd100 \
        --cache runs/profile_cache > bench/results/estimator_shape/profile.md
"""

import argparse
from pathlib import Path

import numpy as np
from blindsr.degradations.kernels import effective_area
from blindsr.eval.protocols import prepare_cases
from blindsr.kernel_estimation import EstimatorConfig, estimate_kernel

from blindsr.image_io import read_image
from blindsr.kernel_io import read_kernel

IMAGES = "101085,101087,102061,103070,105025,108005,108070,108082,109053"

ap = argparse.ArgumentParser()
ap.add_argument("--data-dir", type=Path, required=True)
ap.add_argument("--cache", type=Path, required=True)
args = ap.parse_args()
cases = prepare_cases("div2krk-synth", args.data_dir, args.cache, scale=2, images=IMAGES.split(","))
print("| image | true: peak x area | raw fit: peak x area |")
print("|---|---|---|")
for case in cases:
    k_true = read_kernel(case.kernel_path)
    _, rep = estimate_kernel(read_image(case.lr_path), 2, config=EstimatorConfig(), seed=0)
    fit = np.asarray(rep["kernel_fitted"])
    peak = [k.max() / k.sum() * effective_area(k) for k in (k_true, fit)]
    print(f"| {case.name} | {peak[0]:.2f} | {peak[1]:.2f} |")
