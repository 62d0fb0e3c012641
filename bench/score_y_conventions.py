"""Score saved SR outputs under the luma conventions people report ZSSR numbers with.

Calibrates third-party numbers against ours (docs/benchmarks.md, "Against the official code"):
the same PNGs scored with MATLAB ``rgb2ycbcr`` luma rounded to 8 bits (our protocol), unrounded
(BasicSR/RCAN), and OpenCV's full-range ``COLOR_RGB2YCrCb`` luma with and without the shave.

python bench/score_y_conventions.py --sr-dir runs/table1_set5_x2 --hr-dir ../shared/data/set5 \
    --scale 2 --suffix _x2
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import cv2
import numpy as np
from blindsr.degradations.downscale import modcrop
from blindsr.eval.metrics import psnr, quantize_uint8

from blindsr.image_io import read_image


def _opencv_luma_psnr(sr: np.ndarray, hr: np.ndarray, shave: int) -> float:
    def luma(x: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(quantize_uint8(x), cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float64)

    a, b = luma(sr), luma(hr)
    if shave:
        a, b = a[shave:-shave, shave:-shave], b[shave:-shave, shave:-shave]
    return 10.0 * math.log10(255.0**2 / float(np.mean((a - b) ** 2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sr-dir", type=Path, required=True)
    parser.add_argument("--hr-dir", type=Path, required=True)
    parser.add_argument("--scale", type=int, required=True)
    parser.add_argument("--suffix", default="", help="SR file = <HR stem><suffix>.png")
    args = parser.parse_args()
    columns = ("matlab-Y rounded", "matlab-Y unrounded", "opencv-Y shaved", "opencv-Y unshaved")
    print(f"{'image':<12}" + "".join(f"{c:>20}" for c in columns))
    rows, grey = [], []
    for hr_path in sorted(args.hr_dir.glob("*.png")):
        sr_path = args.sr_dir / f"{hr_path.stem}{args.suffix}.png"
        if not sr_path.exists():
            continue
        sr, hr = read_image(sr_path), modcrop(read_image(hr_path), args.scale)
        if sr.shape[2] != 3:
            grey.append(hr_path.stem)  # the luma conventions differ only for colour images
            continue
        row = (
            psnr(sr, hr, scale=args.scale),
            psnr(sr, hr, scale=args.scale, round_y=False),
            _opencv_luma_psnr(sr, hr, args.scale),
            _opencv_luma_psnr(sr, hr, 0),
        )
        rows.append(row)
        print(f"{hr_path.stem:<12}" + "".join(f"{v:>20.2f}" for v in row))
    if not rows:
        raise SystemExit(f"no SR outputs matching {args.hr_dir}/*.png in {args.sr_dir}")
    print(f"{'mean':<12}" + "".join(f"{v:>20.2f}" for v in np.mean(rows, axis=0)))
    if grey:
        print(f"(mean of the {len(rows)} colour images; grey, not scored here: {', '.join(grey)})")


if __name__ == "__main__":
    main()
