"""Training-step throughput: blindsr's ZSSR trainer vs a plain eager PyTorch loop, and the roofline.

Reproduces: docs/results.md, "Speed" (training-step row).

Everything runs in one process on the same network (8 conv 3x3, 64 channels) and 128x128 crops,
so the printed ratios compare like with like:

* ``plain fp32``: the textbook eager loop (one fixed random crop tensor, L1, Adam); no
  augmentation, no sons. The baseline.
* ``plain fp32 channels_last``: the same with NHWC memory format.
* ``plain fp32 fused Adam``: the baseline with ``Adam(fused=True)``.
* ``plain bf16 autocast``: the same under ``torch.autocast(bfloat16)`` (fp32 weights).
* with ``--compile``: ``torch.compile`` of the fp32 loop and of the bf16 NHWC loop (the fast
  presets' arithmetic); compile + warm-up is reported in wall seconds.
* ``trainer fp32`` / ``trainer bf16``: ``zssr.trainer.run_zssr`` for exactly ``--steps``
  iterations (reference augmentation, sons via the degradation operator, reconstruction tests).
* ``sgemm`` / ``bf16 gemm``: a 2048^3 matrix product, the practical compute ceiling of the
  machine for the same thread count (the roofline's flat part).

FLOPs per training step are counted as 3 x the forward's multiply-adds x 2 (forward, input
gradient, weight gradient), the standard estimate for convolutions.

On the CPU every rate is measured in process CPU seconds (``time.process_time``), which with
``--threads 1`` equals the wall time on an idle core and stays meaningful while other jobs share
the machine; on CUDA it is wall time after synchronisation.

    python bench/train_step.py --steps 40 --threads 1 [--device cpu] [--compile]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch
from blindsr.degradations import imresize
from blindsr.zssr.config import preset_config
from blindsr.zssr.network import ZSSRNet
from blindsr.zssr.trainer import run_zssr
from skimage import data

CROP = 128
MACS = CROP * CROP * 9 * (3 * 64 + 6 * 64 * 64 + 64 * 3)
STEP_FLOP = 3 * 2 * MACS


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _clock(device: torch.device) -> float:
    return time.perf_counter() if device.type == "cuda" else time.process_time()


def plain_loop(
    steps: int,
    device: torch.device,
    *,
    channels_last: bool = False,
    bf16: bool = False,
    compile_net: bool = False,
    fused_adam: bool = False,
) -> tuple[float, float]:
    """Steps/s of the eager loop, and the seconds spent before the timed steps (compile)."""
    gen = torch.Generator().manual_seed(0)
    net = ZSSRNet(3, generator=gen).to(device)
    x = torch.rand(1, 3, CROP, CROP, generator=gen).to(device)
    y = torch.rand(1, 3, CROP, CROP, generator=gen).to(device)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True if fused_adam else None)
    model = torch.compile(net) if compile_net else net

    def step() -> torch.Tensor:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            out = model(x)
        loss = torch.mean(torch.abs(out.float() - y))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    # Wall time: inductor compiles in worker processes that process_time would not count.
    t0 = time.perf_counter()
    for _ in range(3):  # warm-up (and compilation)
        step()
    _sync(device)
    warm = time.perf_counter() - t0
    t0 = _clock(device)
    for _ in range(steps):
        loss = step()
    loss.item()
    _sync(device)
    return steps / (_clock(device) - t0), warm


def trainer_loop(steps: int, device: torch.device, preset: str) -> float:
    """blindsr's trainer, ``preset``'s training settings, exactly ``steps`` iterations
    (augmentation, sons and reconstruction tests included), in 128x128-crop-equivalent
    steps/s (pixels per second / 128^2) so every row compares with the baseline's crop."""
    lr = imresize(data.astronaut()[::2, ::2].astype(np.float32) / 255, 0.5).clip(0, 1)
    config = (
        preset_config(preset)
        .with_overrides(
            max_iters=steps,
            output_flip=False,
            back_projection_iters=(0,),
            learning_rate_schedule="cosine",  # a fixed step count for both presets
        )
        .for_scale(2)
    )
    t0 = _clock(device)
    _, report = run_zssr(lr, config, seed=0, device=device)
    _sync(device)
    # Includes one inference pass of the 128x128 input (no ensemble): ~1% of the total.
    return steps / (_clock(device) - t0) * (config.crop_size / CROP) ** 2


def gemm_rate(device: torch.device, dtype: torch.dtype, n: int = 2048, reps: int = 5) -> float:
    """Achieved FLOP/s of an n^3 matrix product: the practical compute ceiling."""
    a = torch.rand(n, n, device=device).to(dtype)
    b = torch.rand(n, n, device=device).to(dtype)
    (a @ b).sum().item()
    _sync(device)
    t0 = _clock(device)
    for _ in range(reps):
        c = a @ b
    c.sum().item()
    _sync(device)
    return reps * 2 * n**3 / (_clock(device) - t0)


def _cpu_summary() -> str:
    try:
        info = open("/proc/cpuinfo").read()
    except OSError:
        return platform.processor() or platform.machine()
    model = next(
        (ln.split(":", 1)[1].strip() for ln in info.splitlines() if "model name" in ln), "?"
    )
    mhz = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if "cpu MHz" in ln), "?")
    flags = set(next((ln for ln in info.splitlines() if ln.startswith("flags")), "").split())
    isa = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16") if f in flags]
    return f"{model}, {mhz} MHz, {' '.join(isa)}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile (slow)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(
        f"# {platform.machine()} {os.cpu_count()} cores ({_cpu_summary()}), "
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, device {device}, "
        f"{args.steps} timed steps of a {CROP}x{CROP} crop, {STEP_FLOP / 1e9:.1f} GFLOP per step"
    )
    rows: list[tuple[str, float, str]] = []
    base, _ = plain_loop(args.steps, device)
    rows.append(("plain fp32 (baseline)", base, ""))
    rate, _ = plain_loop(args.steps, device, channels_last=True)
    rows.append(("plain fp32 channels_last", rate, ""))
    rate, _ = plain_loop(args.steps, device, fused_adam=True)
    rows.append(("plain fp32 fused Adam", rate, "one kernel for the 8 weight tensors"))
    rate, _ = plain_loop(args.steps, device, bf16=True)
    rows.append(("plain bf16 autocast", rate, ""))
    if args.compile:
        rate, warm = plain_loop(args.steps, device, compile_net=True)
        rows.append(("plain fp32 torch.compile", rate, f"compile+warm-up {warm:.0f} s wall"))
        rate, _ = plain_loop(args.steps, device, channels_last=True, bf16=True)
        rows.append(("plain bf16 channels_last", rate, "the fast presets' arithmetic"))
        rate, warm = plain_loop(args.steps, device, channels_last=True, bf16=True, compile_net=True)
        rows.append(("  + torch.compile", rate, f"compile+warm-up {warm:.0f} s wall"))
    rows.append(("trainer, ideal (faithful)", trainer_loop(args.steps, device, "ideal"), ""))
    rows.append(("trainer, fast", trainer_loop(2 * args.steps, device, "fast"), "96 px crops"))
    for name, rate, note in rows:
        print(
            f"{name:28s} {rate:6.2f} steps/s {1000 / rate:7.1f} ms/step "
            f"{rate * STEP_FLOP / 1e9:6.1f} GFLOP/s  x{rate / base:4.2f} vs baseline  {note}"
        )
    fp32_peak = gemm_rate(device, torch.float32)
    bf16_peak = gemm_rate(device, torch.bfloat16)
    print(f"{'sgemm 2048^3':28s} {fp32_peak / 1e9:6.1f} GFLOP/s (practical fp32 ceiling)")
    print(f"{'bf16 gemm 2048^3':28s} {bf16_peak / 1e9:6.1f} GFLOP/s (practical bf16 ceiling)")
    print(
        f"plain fp32 step reaches {base * STEP_FLOP / fp32_peak:.0%} of the sgemm ceiling; "
        f"faithful trainer {rows[-2][1] * STEP_FLOP / fp32_peak:.0%}"
    )


if __name__ == "__main__":
    main()
