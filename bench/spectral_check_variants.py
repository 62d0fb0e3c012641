"""The spectral residual as a veto on the self-check: its effect, for a few tile/band settings.

Reads kernel-bench rows that carry the estimated kernel (``kernel_est``, written by
``bench/kernel_estimation_bench.py``), re-makes each LR (deterministic), and counts, per
protocol, how a veto "trust only if the fit check passes and the estimate's spectral residual
is not above the bicubic kernel's" changes the trusted-but-worse estimates and the needless
fallbacks (LR reproduction decides which is which).

    python bench/spectral_check_variants.py runs/spcal_seed2/results.jsonl \
        --data-dir ../shared/data/bsd100 --seed 2
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kernel_estimation_bench as bench  # noqa: E402
from blindsr.degradations.kernels import bicubic_kernel  # noqa: E402
from blindsr.kernel_estimation.patches import luminance  # noqa: E402

import kernel_estimation.spectral_check as spectral  # noqa: E402
from blindsr.image_io import read_image  # noqa: E402

VARIANTS = ((32, (0.06, 0.30)), (16, (0.06, 0.30)), (32, (0.06, 0.22)), (24, (0.08, 0.35)))
VARIANTS += ((32, (0.10, 0.40)),)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path, help="kernel-bench results.jsonl with kernel_est")
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0, help="protocol seed the rows were made with")
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.results.read_text().splitlines() if line]
    scores = []
    for r in rows:
        hr = read_image(args.data_dir / f"{r['image']}.png")
        scale, _, k_true, lr = bench.make_case(hr, r["image"], r["protocol"], args.seed)
        lum = luminance(lr)
        kernels = (np.array(r["kernel_est"]), bicubic_kernel(scale), k_true)
        per_variant = {}
        for tile, band in VARIANTS:
            spectral.TILE, spectral.BAND = tile, band
            per_variant[(tile, band)] = [spectral.spectral_residual(lum, k, scale) for k in kernels]
        scores.append(per_variant)
    print(
        "| tile | band | protocol | images | trusted & worse: fit -> fit+spectral | "
        "needless fallbacks: fit -> fit+spectral | true kernel below bicubic |"
    )
    print("|---|---|---|---|---|---|---|")
    for variant in VARIANTS:
        for protocol in sorted({r["protocol"] for r in rows}):
            idx = [i for i, r in enumerate(rows) if r["protocol"] == protocol]
            worse = {i: rows[i]["lr_psnr_est"] < rows[i]["lr_psnr_bicubic"] for i in idx}
            veto = {i: scores[i][variant][0] > scores[i][variant][1] for i in idx}
            trusted = {i: rows[i]["trustworthy"] for i in idx}
            bad_fit = sum(trusted[i] and worse[i] for i in idx)
            bad_both = sum(trusted[i] and not veto[i] and worse[i] for i in idx)
            need_fit = sum(not worse[i] and not trusted[i] for i in idx)
            need_both = sum(not worse[i] and (not trusted[i] or veto[i]) for i in idx)
            true_wins = sum(scores[i][variant][2] < scores[i][variant][1] for i in idx)
            print(
                f"| {variant[0]} | {variant[1][0]}-{variant[1][1]} | {protocol} | {len(idx)} | "
                f"{bad_fit} -> {bad_both} | {need_fit} -> {need_both} | {true_wins} |"
            )


if __name__ == "__main__":
    main()
