"""``make demo``: run the CLI end to end on a bundled sample image and say what happened.

The sample is scikit-image's astronaut (shipped inside the package, no download), blurred and
downscaled x2 with a random Table-2 kernel. ``blindsr sr`` then runs as a user would run it, with
the default (blind) preset: it estimates the kernel, checks it and trains ZSSR with the fast
budget, capped here at 300 iterations on one thread so that the demo takes about a minute. Every
step is a real ``blindsr`` command, printed before it runs, so the demo doubles as a tutorial.
"""

from __future__ import annotations

import os
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from skimage import data

from blindsr.degradations import imresize
from blindsr.image_io import read_image, write_image

OUT = Path("demo_out")
# The fast budget is 1600 iterations; 300 (cosine-annealed over 300) and one torch thread keep
# the demo near a minute of CPU, and one thread is what the CLI recommends on small machines.
ITERATIONS = 300


def _run(*args: str) -> str:
    cmd = [sys.executable, "-m", "blindsr", *args]
    print("$ blindsr " + " ".join(shlex.quote(a) for a in args), flush=True)
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    print(done.stdout.rstrip(), flush=True)
    return done.stdout


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    start = time.perf_counter()
    OUT.mkdir(exist_ok=True)
    hr = OUT / "hr.png"
    write_image(hr, data.astronaut()[40:232, 150:342].astype(np.float32) / 255.0)
    print(f"sample HR image: {hr} (skimage.data.astronaut crop, 192x192)")
    _run(
        "degrade",
        str(hr),
        "-o",
        str(OUT / "lr.png"),
        "--scale",
        "2",
        "--random-kernel",
        "table2",
        "--seed",
        "1",
        "--kernel-out",
        str(OUT / "true_kernel.mat"),
    )
    lr = read_image(OUT / "lr.png")
    write_image(OUT / "bicubic_x2.png", np.clip(imresize(lr, 2), 0, 1))
    _run(
        "sr",
        str(OUT / "lr.png"),
        "-o",
        str(OUT / "zssr_x2.png"),
        "--scale",
        "2",
        "--max-iters",
        str(ITERATIONS),
        "--threads",
        "1",
        "--seed",
        "0",
        "--compare",
        str(OUT / "compare.png"),
        "--kernel-out",
        str(OUT / "kernel_used.mat"),
        "--report",
        str(OUT / "zssr_report.json"),
        "--plot",
        str(OUT / "training.png"),
    )
    from blindsr.kernel_io import read_kernel, write_kernel_picture

    write_kernel_picture(
        OUT / "kernel_used_vs_true.png",
        read_kernel(OUT / "kernel_used.mat"),
        read_kernel(OUT / "true_kernel.mat"),
        titles=["used by sr", "true (from degrade)"],
        scale=2,
    )
    print("\nscores against the HR image (PSNR-Y / SSIM-Y, paper protocol):")
    _run("eval", str(OUT / "bicubic_x2.png"), str(hr), "--scale", "2")
    _run("eval", str(OUT / "zssr_x2.png"), str(hr), "--scale", "2")
    wall = time.perf_counter() - start
    print(
        f"\noutputs are in {OUT}/: compare.png (bicubic | blindsr), kernel_used_vs_true.png, "
        "training.png, zssr_report.json"
    )
    print(
        f"demo took {wall:.0f} s wall, {_cpu_seconds():.0f} s CPU "
        f"({_cpu_name()}, {os.cpu_count()} cores visible)"
    )


if __name__ == "__main__":
    main()
