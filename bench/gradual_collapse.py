"""Diagnose collapsed gradual runs: how many ReLU channels are still alive after each stage.

A collapsed `ideal-gradual` run (docs/benchmarks.md, "GPU") stops every later stage at the
900-iteration minimum and returns what an untrained net returns. The hypothesis: the net has no
biases, so once every channel of one layer is negative on every input pixel, the output is the
residual's bicubic base and every gradient is zero. This script runs ZSSR on one image (LR =
MATLAB bicubic of the mod-cropped HR, as in Table 1) and, after each stage's training, counts per
hidden layer the channels whose ReLU output is positive somewhere on the stage's network input.
One JSON line per stage, then the PSNR.

    OMP_NUM_THREADS=1 python bench/gradual_collapse.py --hr ../shared/data/set5/bird.png \
        --seed 0 --preset ideal-gradual --out runs/collapse_bird_s0.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import blindsr.zssr.trainer as trainer
import numpy as np
import torch
from blindsr.degradations import imresize, modcrop
from blindsr.eval.metrics import psnr

from blindsr.api import super_resolve
from blindsr.image_io import read_image


def live_channels(stage, image: np.ndarray) -> list[int]:
    """Per hidden layer, channels with a positive ReLU output somewhere on the stage's input."""
    x = trainer._to_tensor(stage.interpolate(image), stage.device)
    return stage.net.live_channels(x)


@torch.no_grad()
def interior_measures(stage, image: np.ndarray, band: int = 8) -> dict:
    """Liveness away from the zero padding: per hidden layer, channels positive somewhere at
    least ``band`` pixels from the border, and the share of positive units there; plus the
    largest |residual| (net output minus its input) in that interior."""
    x = trainer._to_tensor(stage.interpolate(image), stage.device)
    net = stage.net
    counts = net.live_channels(x, margin=band)
    shares = net.live_fractions(x, margin=band)
    # The conv stack's own output: net(x) - x would round residuals below float32's epsilon at
    # 1.0 (6e-8) to zero, and the collapsed runs' are 1e-8.
    h = x
    for conv in net.convs[:-1]:
        h = torch.relu(conv(h))
    residual = net.convs[-1](h)
    return {
        "interior_live_channels": counts,
        "interior_live_share": [round(v, 6) for v in shares],
        "interior_max_abs_residual": float(residual[:, :, band:-band, band:-band].abs().max()),
        "border_max_abs_residual": float(residual.abs().max()),
    }


def _parse(value: str) -> object:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hr", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--preset", default="ideal-gradual")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--set", action="append", default=[], help="KEY=VALUE config override")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    overrides = {}
    for item in args.set:
        key, value = item.split("=", 1)
        overrides[key] = _parse(value)

    hr = modcrop(read_image(args.hr), 2)
    lr = (np.round(np.clip(imresize(hr, 0.5), 0, 1) * 255) / 255).astype(np.float32)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    infer = trainer._infer_stage

    def watched(stage, image, bp_iters):
        row = {"scale": list(stage.scale), "live_channels": live_channels(stage, image)}
        row.update(interior_measures(stage, image))
        row["reconstruction_error"] = stage.reconstruction_error(image)
        with args.out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)
        return infer(stage, image, bp_iters)

    trainer._infer_stage = watched
    sr, report = super_resolve(
        lr, 2, preset=args.preset, seed=args.seed, device=args.device, progress=True, **overrides
    )
    row = {
        "image": args.hr.stem,
        "seed": args.seed,
        "preset": args.preset,
        "overrides": overrides,
        "psnr": psnr(sr, hr, scale=2),
        "iterations": [s["iterations"] for s in report["stages"]],
        "revivals": [s["revivals"] for s in report["stages"]],
        "lr_drops": [s["lr_drop_iterations"] for s in report["stages"]],
        "device": report["device"],
    }
    with args.out.open("a") as fh:
        fh.write(json.dumps(row) + "\n")
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
