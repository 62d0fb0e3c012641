"""End-to-end ``estimate -> ZSSR`` wall time and peak memory per stage.

Reproduces: docs/results.md, "Memory" (the two estimate + ZSSR rows).

Runs what the CLI runs (``blindsr.estimate_kernel``, then ZSSR as ``blindsr.super_resolve`` does)
on a synthetic LR of a given size and prints, per phase (estimate, train, inference), the wall
time and the peak resident memory of the process. A sampler thread reads ``/proc/self/statm``
every 20 ms; phases are delimited by the API's progress hooks (a bar opens when training
starts and closes when it ends).

The LR is the skimage astronaut (or coffee) resized to the requested size and degraded by a
random Table-2 kernel, so the estimator has something to find. Memory does not depend on the
number of training iterations (one crop per step), so ``--max-iters`` may cap training to keep
the run short; the per-iteration time is printed either way.

    python bench/end_to_end.py --size 160x240 --preset given-kernel-fast
    python bench/end_to_end.py --size 680x1020 --preset given-kernel --max-iters 100
"""

from __future__ import annotations

import argparse
import os
import platform
import threading
import time

import numpy as np
import torch
from blindsr.degradations.downscale import downscale
from blindsr.degradations.kernels import kernel_seed, random_table2_kernel
from blindsr.zssr.config import preset_config
from blindsr.zssr.trainer import run_zssr
from skimage import data
from skimage.transform import resize

from blindsr import estimate_kernel

_PAGE = os.sysconf("SC_PAGE_SIZE")


class PeakSampler:
    """Peak RSS per named phase, sampled in a daemon thread."""

    def __init__(self, period: float = 0.02) -> None:
        self.phase = "setup"
        self.peaks: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self._stop = threading.Event()
        self._period = period
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self.rss()
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)
            time.sleep(self._period)

    def enter(self, phase: str) -> None:
        now = time.perf_counter()
        self.ended[self.phase] = now
        rss = self.rss()
        self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)
        self.phase = phase
        self.started[phase] = now
        self.peaks[phase] = max(self.peaks.get(phase, 0), rss)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.enter("done")
        self._stop.set()
        self._thread.join()


class _PhaseBar:
    """A progress bar that only switches the sampler's phase when it opens and closes."""

    def __init__(self, sampler: PeakSampler, description: str) -> None:
        self.sampler = sampler
        sampler.enter(f"train {description}")

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **kwargs) -> None:
        pass

    def close(self) -> None:
        self.sampler.enter("inference")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="160x240", help="LR rows x cols")
    ap.add_argument("--scale", type=int, default=2)
    ap.add_argument("--preset", default="given-kernel")
    ap.add_argument("--max-iters", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows, cols = (int(v) for v in args.size.split("x"))
    s = args.scale
    hr = resize(
        data.astronaut().astype(np.float32) / 255, (rows * s, cols * s), anti_aliasing=True
    ).astype(np.float32)
    kernel = random_table2_kernel(np.random.default_rng(kernel_seed(0, "end_to_end")), s)
    lr = np.clip(np.round(downscale(hr, kernel, s) * 255) / 255, 0, 1).astype(np.float32)
    overrides = {} if args.max_iters is None else {"max_iters": args.max_iters}
    print(
        f"# {platform.machine()} {os.cpu_count()} cores, torch {torch.__version__}, threads "
        f"{torch.get_num_threads()}, device {args.device}; LR {rows}x{cols} x{s} -> "
        f"{rows * s}x{cols * s}, preset {args.preset} {overrides or ''}"
    )
    with PeakSampler() as sampler:
        sampler.enter("estimate")
        est, est_report = estimate_kernel(lr, s, seed=0)
        sampler.enter("zssr setup")
        # What blindsr.super_resolve does, with a progress factory that marks the phases.
        config = preset_config(args.preset).with_overrides(**overrides).for_scale(s)
        sr, report = run_zssr(
            lr,
            config,
            [est if est_report["trustworthy"] else None],
            seed=0,
            device=args.device,
            progress=lambda total, desc: _PhaseBar(sampler, desc),
        )
    iters = sum(st["iterations"] for st in report["stages"])
    train_s = sum(st["train_seconds"] for st in report["stages"])
    for phase in sampler.started:
        if phase == "done":
            continue
        seconds = sampler.ended.get(phase, sampler.started["done"]) - sampler.started[phase]
        print(f"{phase:28s} {seconds:8.1f} s   peak RSS {sampler.peaks[phase] / 2**20:7.0f} MiB")
    print(
        f"kernel trusted: {est_report['trustworthy']}; training {iters} iterations, "
        f"{1000 * train_s / max(iters, 1):.0f} ms/iteration; output {sr.shape[0]}x{sr.shape[1]}"
    )
    print(f"process peak RSS {max(sampler.peaks.values()) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
