"""Soft HRs for the self-check's blind spot: tuning HRs blurred before the ideal protocol's downscale.

    python bench/results/soft_hr_tuning/make_soft.py SIGMA OUT

BSD100 sorted names 31-60 without the ``table3-paper`` images, each blurred with an isotropic
Gaussian of ``SIGMA`` HR pixels (OpenCV, reflected border) and written as 8-bit PNG to ``OUT``.
``blindsr bench ideal --data-dir OUT`` then downscales them with MATLAB bicubic and scores
against the soft HR, as Set5 does for its soft images (baby).
"""

import sys
from pathlib import Path

import cv2
import numpy as np

from blindsr.image_io import read_image, write_image

sigma, out = float(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
data = Path("data/bsd100")
names = sorted(p.stem for p in data.glob("*.png"))[30:60]
for name in names:
    if name in ("182053", "24077", "296059"):
        continue
    hr = read_image(data / f"{name}.png")
    soft = cv2.GaussianBlur(hr, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    write_image(out / f"{name}.png", np.clip(soft, 0, 1))
