"""When does a fast-budget ZSSR net die? Replays the start of one harness unit.

Reproduces: docs/results.md, "Known limits" (collapsed fast runs) and the warm-up row.

Reads a finished ``blindsr bench`` unit (``RUN/images/IMAGE/LR.png`` and ``true_kernel.npy``,
the unit's seed) and trains ``--method`` (harness notation, default ZSSR[true] at the fast
budget) for the first ``--steps`` steps at the rates of the full 1600-step cosine schedule, testing for a dead net every 10 steps (the guard of
``revive_dead_net``, zssr/trainer.py). Prints the step at which the guard first found the net
dead (none: alive) and the reconstruction error every 50 steps; a net that does nothing keeps
the error of bicubic + nothing.

    python bench/dead_net_timing.py runs/t2 101087 --steps 300 \
        [--method "zssr-true:preset=given-kernel-fast,learning_rate_warmup=100"]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from blindsr.eval.methods import parse_method, unit_seed
from blindsr.zssr import trainer

import blindsr
from blindsr.image_io import read_image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("image")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--budget", type=int, default=1600, help="the schedule's full length")
    ap.add_argument("--method", default="zssr-true:preset=given-kernel-fast")
    args = ap.parse_args()
    spec = parse_method(args.method)
    if spec.base != "zssr-true":
        ap.error(
            f"--method must be a zssr-true method (the unit's true kernel), got {args.method!r}"
        )
    overrides = spec.zssr_overrides()
    torch.set_num_threads(1)

    full_rate = trainer._scheduled_rate

    def rate_of_the_full_budget(config, iteration, policy):
        return full_rate(config.with_overrides(max_iters=args.budget), iteration, policy)

    trainer._scheduled_rate = rate_of_the_full_budget
    folder = args.run / "images" / args.image
    lr, kernel = read_image(folder / "LR.png"), np.load(folder / "true_kernel.npy")
    t0 = time.process_time()
    _, report = blindsr.super_resolve(
        lr,
        2,
        kernel=kernel,
        preset=spec.preset,
        seed=unit_seed(0, 0, args.image),
        progress=False,
        **{"max_iters": args.steps, "run_test_every": 10, "revive_dead_net": True, **overrides},
    )
    stage = report["stages"][0]
    print(
        json.dumps(
            {
                "image": args.image,
                "method": args.method,
                "dead_at": stage["revivals"][:1] or None,
                "error_every_50": [
                    round(e, 6) for i, e in stage["reconstruction_error"] if i % 50 == 0
                ],
                "cpu_seconds": round(time.process_time() - t0, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
