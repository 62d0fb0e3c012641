"""``make demo``: run the CLI end to end on a bundled sample image and say what happened.

The sample is scikit-image's astronaut (shipped inside the package, no download). Every step
is a real ``blindsr`` command, printed before it runs, so the demo doubles as a tutorial.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
from skimage import data

from blindsr.degradations import imresize
from blindsr.image_io import read_image, write_image

OUT = Path("demo_out")


def _run(*args: str) -> str:
    cmd = [sys.executable, "-m", "blindsr", *args]
    print("$ blindsr " + " ".join(shlex.quote(a) for a in args), flush=True)
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    print(done.stdout.rstrip(), flush=True)
    return done.stdout


def main() -> None:
    OUT.mkdir(exist_ok=True)
    hr = OUT / "hr.png"
    # A 192x192 crop and a capped iteration count keep the demo to a couple of minutes on a
    # 2-core CPU; the faithful preset trains 900-3000 iterations per stage.
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
        "estimate",
        str(OUT / "lr.png"),
        "--scale",
        "2",
        "-o",
        str(OUT / "estimated_kernel.mat"),
        "--png",
        str(OUT / "estimated_kernel.png"),
    )
    _run(
        "sr",
        str(OUT / "lr.png"),
        "-o",
        str(OUT / "zssr_x2.png"),
        "--scale",
        "2",
        "--kernel",
        str(OUT / "estimated_kernel.mat"),
        "--preset",
        "given-kernel",
        "--max-iters",
        "300",
        "--seed",
        "0",
        "--report",
        str(OUT / "zssr_report.json"),
    )
    print("\nscores against the HR image (PSNR-Y / SSIM-Y, paper protocol):")
    _run("eval", str(OUT / "bicubic_x2.png"), str(hr), "--scale", "2")
    _run("eval", str(OUT / "zssr_x2.png"), str(hr), "--scale", "2")
    print(f"outputs are in {OUT}/")


if __name__ == "__main__":
    main()
