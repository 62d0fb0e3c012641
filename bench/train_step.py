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
* ``trainer, fast, 240x160 / 1020x678 input`` (``--large``): the fast preset's per-step cost
  on a BSD100-size and a DIV2KRK-size input (``--image``, default a 1020 x 678 crop of
  astronaut upscaled), reconstruction tests amortised at the preset's period: per-step cost
  must not grow with the image.
* ``sgemm`` / ``bf16 gemm``: a 2048^3 matrix product, the practical compute ceiling of the
  machine for the same thread count (the roofline's flat part); the roofline lines give each
  loop's fraction of the ceiling of its arithmetic.
* ``--layouts`` (CPU): NCHW vs NHWC per pass in the arithmetic ``auto`` picks: the fast
  trainer's step, and a forward pass of a 540 x 540 tile (inference), each layout twice,
  interleaved (``channels_last='auto'`` resolves per pass from these: zssr/precision.py).
* ``--ops``: the operators the trainer runs (sons of a 128 px crop, x2 upsampling and kernel
  downscaling of a 1020 x 678 image) in torch, as the trainer runs them, against the numpy
  versions the tests keep as oracles (numpy's BLAS limited to one thread).

FLOPs per training step are counted as 3 x the forward's multiply-adds x 2 (forward, input
gradient, weight gradient), the standard estimate for convolutions.

On the CPU every rate is measured in process CPU seconds (``time.process_time``), which with
``--threads 1`` equals the wall time on an idle core and stays meaningful while other jobs share
the machine; on CUDA it is wall time after synchronisation.

    python bench/train_step.py --steps 40 --threads 1 [--device cpu] [--compile] [--large]
        [--layouts] [--ops]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from functools import partial

# numpy's BLAS would spin idle threads that process time counts; only the --ops oracle rows
# use it (the trainer runs on torch's threads, set by --threads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch
from blindsr.degradations import imresize, imresize_torch
from blindsr.zssr.config import preset_config
from blindsr.zssr.network import ZSSRNet
from blindsr.zssr.precision import bf16_matrix_units, resolve_precision
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


def trainer_step_on(image: np.ndarray, steps: int, preset: str, **overrides) -> float:
    """Seconds per step of ``preset``'s training on ``image`` (process CPU time), with the
    reconstruction tests amortised at the preset's period (a short run tests only once)."""
    config = (
        preset_config(preset)
        .with_overrides(max_iters=steps, output_flip=False, back_projection_iters=(0,), **overrides)
        .for_scale(2)
    )
    _, report = run_zssr(image, config, seed=0, device="cpu")
    stage = report["stages"][0]
    tests = len(stage["reconstruction_error"])
    per_test = stage["test_cpu_seconds"] / tests
    return (stage["train_cpu_seconds"] - stage["test_cpu_seconds"]) / steps + (
        per_test / config.run_test_every
    )


def large_input_rows(steps: int, path: str | None) -> list[str]:
    """Per-step cost of the fast preset on a BSD100-size input and a 1K-wide one."""
    if path:
        from blindsr.image_io import read_image

        large = read_image(path)
    else:
        large = imresize(data.astronaut().astype(np.float32) / 255, 2.0)[:678, :1020].clip(0, 1)
    small = imresize(large, (160 / large.shape[0], 240 / large.shape[1])).clip(0, 1)
    lines, base = [], None
    for image, overrides, note in (
        (small, {}, ""),
        (large, {}, ""),
        (large, {"test_pixels": None}, ", whole-image tests"),
    ):
        per_step = trainer_step_on(image, steps, "fast", **overrides)
        base = base or per_step
        lines.append(
            f"trainer, fast, {image.shape[1]}x{image.shape[0]} input{note}  "
            f"{1000 * per_step:7.1f} ms/step (tests amortised)  x{per_step / base:4.2f}"
        )
    return lines


def layout_rows(steps: int, device: torch.device) -> list[str]:
    """NCHW vs NHWC for the fast trainer's step and for an inference forward pass, in the
    precision ``'auto'`` resolves to on ``device``; two interleaved repeats each."""
    precision = resolve_precision("auto", device)
    lr = imresize(data.astronaut()[::2, ::2].astype(np.float32) / 255, 0.5).clip(0, 1)
    net = ZSSRNet(3, generator=torch.Generator().manual_seed(0)).to(device).eval()
    tile = torch.rand(1, 3, 540, 540, generator=torch.Generator().manual_seed(1)).to(device)

    def forward_seconds(nhwc: bool) -> float:
        x = tile.contiguous(memory_format=torch.channels_last if nhwc else torch.contiguous_format)
        with (
            torch.inference_mode(),
            torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"),
        ):
            net(x)
            _sync(device)
            t0 = _clock(device)
            for _ in range(3):
                net(x)
            _sync(device)
        return (_clock(device) - t0) / 3

    lines = []
    for repeat in range(2):
        for nhwc in (False, True):
            name = "NHWC" if nhwc else "NCHW"
            step = trainer_step_on(lr, steps, "fast", channels_last=nhwc)
            lines.append(
                f"layout {name} ({precision}), repeat {repeat + 1}: fast trainer "
                f"{1000 * step:6.1f} ms/step, forward 540x540 {forward_seconds(nhwc):6.3f} s"
            )
    return lines


def ops_rows(reps: int) -> list[str]:
    """The trainer's operators in torch (float64 on the CPU, as the trainer runs them) against
    the numpy oracles, process CPU time per call."""
    from blindsr.degradations.kernels import shift_kernel
    from blindsr.zssr.back_projection import degrade_to, degrade_to_torch

    rng = np.random.default_rng(0)
    g = np.exp(-((np.arange(19) - 9.0) ** 2) / 8.0)
    kernel = shift_kernel(np.outer(g, g) / np.outer(g, g).sum(), 2).astype(np.float64)

    def per_call(fn, n):
        fn()
        t0 = time.process_time()
        for _ in range(n):
            fn()
        return 1000 * (time.process_time() - t0) / n

    lines = []
    for shape, n in (((128, 128), reps), ((678, 1020), max(2, reps // 20))):
        img = rng.random(shape + (3,)).astype(np.float32)
        t = torch.from_numpy(img.transpose(2, 0, 1).copy())[None]
        cases = {
            "bicubic /2": (
                partial(degrade_to, img, None, (2.0, 2.0)),
                partial(degrade_to_torch, t.double(), None, (2.0, 2.0)),
            ),
            "kernel /2": (
                partial(degrade_to, img, kernel, (2.0, 2.0)),
                partial(degrade_to_torch, t.double(), kernel, (2.0, 2.0)),
            ),
            "bicubic x2": (partial(imresize, img, 2.0), partial(imresize_torch, t.double(), 2.0)),
        }
        for name, (np_fn, torch_fn) in cases.items():
            np_ms = per_call(np_fn, n)
            torch_ms = per_call(torch_fn, n)
            lines.append(
                f"op {name:10s} {shape[1]}x{shape[0]}: numpy {np_ms:8.2f} ms, "
                f"torch {torch_ms:8.2f} ms  (torch/numpy x{torch_ms / np_ms:4.2f})"
            )
    return lines


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
    ap.add_argument("--large", action="store_true", help="fast preset on a 1K-wide input too")
    ap.add_argument("--image", help="the large input for --large (default: astronaut crop)")
    ap.add_argument("--layouts", action="store_true", help="NCHW vs NHWC per pass")
    ap.add_argument("--ops", action="store_true", help="torch vs numpy operator timings")
    ap.add_argument("--no-plain", action="store_true", help="skip the plain-loop variants")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(
        f"# {platform.machine()} {os.cpu_count()} cores ({_cpu_summary()}), "
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, device {device}, "
        f"{args.steps} timed steps of a {CROP}x{CROP} crop, {STEP_FLOP / 1e9:.1f} GFLOP per step"
    )
    units = bf16_matrix_units(device)
    print(
        f"# bf16 matrix units: {units}; 'auto' precision picks {resolve_precision('auto', device)}"
    )
    fast_precision = resolve_precision(preset_config("fast").training_precision, device)
    rows: list[tuple[str, float, str]] = []
    base, _ = plain_loop(args.steps, device)
    rows.append(("plain fp32 (baseline)", base, ""))
    if not args.no_plain:
        rate, _ = plain_loop(args.steps, device, channels_last=True)
        rows.append(("plain fp32 channels_last", rate, ""))
        rate, _ = plain_loop(args.steps, device, fused_adam=True)
        rows.append(("plain fp32 fused Adam", rate, "one kernel for the 8 weight tensors"))
    # Emulated bf16 takes seconds per step: a few steps show it.
    bf16_steps = args.steps if units else min(args.steps, 3)
    bf16_rate, _ = plain_loop(bf16_steps, device, bf16=True, channels_last=True)
    rows.append(
        (
            "plain bf16 channels_last",
            bf16_rate,
            "the fast presets' arithmetic" if units else "emulated: no bf16 matrix units",
        )
    )
    if args.compile:
        rate, warm = plain_loop(args.steps, device, compile_net=True)
        rows.append(("plain fp32 torch.compile", rate, f"compile+warm-up {warm:.0f} s wall"))
        rate, warm = plain_loop(args.steps, device, channels_last=True, bf16=True, compile_net=True)
        rows.append(("  + torch.compile", rate, f"compile+warm-up {warm:.0f} s wall"))
    faithful = trainer_loop(args.steps, device, "ideal")
    rows.append(("trainer, ideal (faithful)", faithful, ""))
    fast = trainer_loop(2 * args.steps, device, "fast")
    rows.append(("trainer, fast", fast, f"96 px crops, {fast_precision}"))
    for name, rate, note in rows:
        print(
            f"{name:28s} {rate:6.2f} steps/s {1000 / rate:7.1f} ms/step "
            f"{rate * STEP_FLOP / 1e9:6.1f} GFLOP/s  x{rate / base:4.2f} vs baseline  {note}"
        )
    fp32_peak = gemm_rate(device, torch.float32)
    # Emulated bf16 runs at well under 1 GFLOP/s: a small product tells the same in a second.
    bf16_peak = gemm_rate(device, torch.bfloat16, **({} if units else {"n": 512, "reps": 1}))
    print(f"{'sgemm 2048^3':28s} {fp32_peak / 1e9:6.1f} GFLOP/s (practical fp32 ceiling)")
    bf16_name = "bf16 gemm 2048^3" if units else "bf16 gemm 512^3"
    bf16_note = "practical bf16 ceiling" if units else "emulated: no bf16 matrix units"
    print(f"{bf16_name:28s} {bf16_peak / 1e9:6.1f} GFLOP/s ({bf16_note})")
    print(
        f"roofline fp32: plain step {base * STEP_FLOP / 1e9:.1f} GFLOP/s = "
        f"{base * STEP_FLOP / fp32_peak:.0%} of the sgemm ceiling; faithful trainer "
        f"{faithful * STEP_FLOP / fp32_peak:.0%}; trainer/plain step time x{base / faithful:.2f}"
    )
    if units:
        print(
            f"roofline bf16: plain bf16 NHWC step {bf16_rate * STEP_FLOP / 1e9:.1f} GFLOP/s = "
            f"{bf16_rate * STEP_FLOP / bf16_peak:.0%} of the bf16 gemm ceiling"
        )
    # The fast trainer against the ceiling of the arithmetic it runs on this machine.
    fast_peak = bf16_peak if fast_precision == "bf16" else fp32_peak
    print(
        f"roofline fast trainer ({fast_precision}): {fast * STEP_FLOP / 1e9:.1f} GFLOP/s = "
        f"{fast * STEP_FLOP / fast_peak:.0%} of the {fast_precision} ceiling"
    )
    if args.large:
        for line in large_input_rows(args.steps, args.image):
            print(line)
    if args.layouts:
        for line in layout_rows(2 * args.steps, device):
            print(line)
    if args.ops:
        for line in ops_rows(args.steps):
            print(line)


if __name__ == "__main__":
    main()
