"""Tuning images whose kernel estimate the self-check trusts (the harness lists of gauss_tuning/).

    OMP_NUM_THREADS=1 python bench/results/gauss_tuning/trusted.py div2krk-synth|table2 OUT

BSD100 sorted names 31-60, the protocol's LR at x2 (seed 0, cached under OUT), the estimator's
default settings; prints one verdict per image, then the trusted names comma-separated.
"""

import sys
from pathlib import Path

import torch
from blindsr.eval.protocols import prepare_cases
from blindsr.kernel_estimation import estimate_kernel

from blindsr.image_io import read_image

torch.set_num_threads(1)
protocol, out = sys.argv[1], Path(sys.argv[2])
data = Path("data/bsd100")
names = sorted(p.stem for p in data.glob("*.png"))[30:60]
trusted = []
for case in prepare_cases(protocol, data, out / "cache", scale=2, images=names):
    _, report = estimate_kernel(read_image(case.lr_path), 2, seed=0)
    print(case.name, report["trustworthy"], flush=True)
    if report["trustworthy"]:
        trusted.append(case.name)
print("trusted:", ",".join(trusted))
