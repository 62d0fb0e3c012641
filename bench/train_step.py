"""Training-step throughput: blindsr's ZSSR trainer vs a plain eager PyTorch loop.

Both run the reference network on 128x128 crops of the same image for the same number of
steps, in the same process, and the script prints steps/s, the ratio, and the achieved FLOP/s
(forward + backward ~ 3x the forward multiply-adds x 2).

    python bench/train_step.py --steps 60 [--threads 2] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch
from skimage import data

from degradations import imresize
from zssr.config import preset_config
from zssr.network import ZSSRNet
from zssr.trainer import run_zssr


def plain_loop(steps: int, device: torch.device) -> float:
    """The textbook eager loop: random crop tensor in, L1, Adam; no augmentation or sons."""
    gen = torch.Generator().manual_seed(0)
    net = ZSSRNet(3, generator=gen).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(1, 3, 128, 128, generator=gen).to(device)
    y = torch.rand(1, 3, 128, 128, generator=gen).to(device)
    for _ in range(3):  # warm-up
        loss = torch.mean(torch.abs(net(x) - y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = torch.mean(torch.abs(net(x) - y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    loss.item()
    return steps / (time.perf_counter() - t0)


def trainer_loop(steps: int, device: torch.device) -> float:
    """blindsr's trainer for exactly ``steps`` iterations (augmentation, sons, tests included)."""
    lr = imresize(data.astronaut()[::2, ::2].astype(np.float32) / 255, 0.5).clip(0, 1)
    config = (
        preset_config("ideal")
        .with_overrides(max_iters=steps, output_flip=False, back_projection_iters=(0,))
        .for_scale(2)
    )
    _, report = run_zssr(lr, config, seed=0, device=device)
    return steps / report["stages"][0]["train_seconds"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    macs = 128 * 128 * 9 * (3 * 64 + 6 * 64 * 64 + 64 * 3)
    print(
        f"# {platform.machine()} {os.cpu_count()} cores, torch {torch.__version__}, "
        f"threads {torch.get_num_threads()}, device {device}"
    )
    plain = plain_loop(args.steps, device)
    ours = trainer_loop(args.steps, device)
    for name, rate in (("plain eager loop", plain), ("blindsr trainer", ours)):
        print(
            f"{name:18s} {rate:6.2f} steps/s  {1000 / rate:7.1f} ms/step  "
            f"{rate * macs * 2 * 3 / 1e9:6.1f} GFLOP/s"
        )
    print(f"ratio trainer/plain: {ours / plain:.2f}")


if __name__ == "__main__":
    main()
