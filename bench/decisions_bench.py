"""Accuracy of the blind pipeline's input decisions (no ZSSR training): noise level and JPEG.

Reproduces: docs/results.md, "Blind default: decision calibration". For each BSD100 image of a
range (default: sorted names 30-59, the tuning images), it makes a MATLAB-bicubic x2 LR and
variants with a known answer (Gaussian noise 0.01 / 0.02 / 0.05, speckle 0.05, JPEG q45 and
q75, a DIV2KRK-style blur, a grey copy with and without noise), then prints the range of
``estimate_noise_level`` per variant (what ``blindsr.pipeline.NOISY_ABOVE`` is set between) and
how often ``estimate_jpeg_quality`` finds the exact quality.

    OMP_NUM_THREADS=1 python bench/decisions_bench.py --data-dir data/bsd100 --first 30 --count 30

``--protocol P`` instead prints what ``zssr-blind`` decides on each case of a harness protocol
(the same LR and seed the harness uses), without training: kernel, noise, JPEG, preset.

    OMP_NUM_THREADS=1 python bench/decisions_bench.py --protocol table2 --data-dir data/bsd100 \
        --first 0 --count 20 [--scale 2] [--images a,b,c]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from blindsr.degradations import (
    add_gaussian_noise,
    add_speckle_noise,
    downscale,
    imresize,
    jpeg_compress,
    modcrop,
)
from blindsr.degradations.jpeg import estimate_jpeg_quality
from blindsr.degradations.kernels import random_div2krk_kernel
from blindsr.degradations.noise import estimate_noise_level

from blindsr.image_io import read_image


def _q(image: np.ndarray) -> np.ndarray:
    return (np.round(np.clip(image, 0, 1) * 255) / 255).astype(np.float32)


def plans(args: argparse.Namespace) -> None:
    """One line per case: what the blind default decides (no training)."""
    import tempfile

    from blindsr.eval.methods import unit_seed
    from blindsr.eval.protocols import prepare_cases

    from blindsr.pipeline import plan_run

    with tempfile.TemporaryDirectory() as cache:
        cases = prepare_cases(
            args.protocol,
            args.data_dir,
            Path(cache),
            scale=args.scale,
            seed=0,
            images=args.images.split(",") if args.images else None,
        )
        if not args.images:
            first = args.first or 0
            cases = cases[first : first + args.count]
        for case in cases:
            lr = read_image(case.lr_path)
            plan = plan_run(lr, case.scale, source=case.lr_path, seed=unit_seed(0, 0, case.name))
            kernel = plan.decisions["kernel"]
            conf = kernel.evidence.get("confidence") or {}
            print(
                f"{case.name} ({case.degradation}): preset {plan.preset}; {plan.summary()}; "
                f"fit gain {conf.get('relative_gain', float('nan')):.3f}, area ratio "
                f"{conf.get('area_ratio') or float('nan'):.2f}",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument(
        "--first", type=int, help="skip this many sorted names (default: 30; 0 with --protocol)"
    )
    ap.add_argument("--count", type=int, default=30)
    ap.add_argument("--protocol", help="print zssr-blind's decisions on a harness protocol")
    ap.add_argument("--scale", type=int, default=2)
    ap.add_argument("--images", help="comma-separated image names (with --protocol)")
    args = ap.parse_args()
    if args.protocol:
        plans(args)
        return
    paths = sorted(args.data_dir.glob("*.png"), key=lambda p: p.stem)
    first = 30 if args.first is None else args.first
    paths = paths[first : first + args.count]
    rng = np.random.default_rng(0)
    noise: dict[str, list[float]] = {}
    jpeg_hits: dict[str, int] = {"clean": 0, "q45": 0, "q75": 0, "blur+q75": 0}
    for path in paths:
        hr = modcrop(read_image(path), 2)
        lr = _q(imresize(hr, 0.5))
        blur = _q(downscale(hr, random_div2krk_kernel(rng, 2), 2))
        grey = _q(lr @ np.array([0.299, 0.587, 0.114]))[..., None]
        variants = {
            "clean": lr,
            "blur": blur,
            "gaussian 0.01": add_gaussian_noise(lr, 0.01, rng),
            "gaussian 0.02": add_gaussian_noise(lr, 0.02, rng),
            "gaussian 0.05": add_gaussian_noise(lr, 0.05, rng),
            "speckle 0.05": add_speckle_noise(lr, 0.05, rng),
            "jpeg q45": jpeg_compress(lr, 45),
            "grey clean": grey,
            "grey gaussian 0.05": add_gaussian_noise(grey, 0.05, rng),
        }
        for name, image in variants.items():
            noise.setdefault(name, []).append(estimate_noise_level(image)[0])
        jpeg_hits["clean"] += estimate_jpeg_quality(lr)[0] is None
        jpeg_hits["q45"] += estimate_jpeg_quality(jpeg_compress(lr, 45))[0] == 45
        jpeg_hits["q75"] += estimate_jpeg_quality(jpeg_compress(lr, 75))[0] == 75
        jpeg_hits["blur+q75"] += estimate_jpeg_quality(jpeg_compress(blur, 75))[0] == 75
    print(f"{len(paths)} images ({paths[0].stem} .. {paths[-1].stem})")
    print("| input | noise estimate min | median | max |\n|---|---|---|---|")
    for name, values in noise.items():
        v = np.array(values)
        print(f"| {name} | {v.min():.4f} | {np.median(v):.4f} | {v.max():.4f} |")
    print("\n| JPEG case | right answer |\n|---|---|")
    for name, hits in jpeg_hits.items():
        print(f"| {name} | {hits}/{len(paths)} |")


if __name__ == "__main__":
    main()
