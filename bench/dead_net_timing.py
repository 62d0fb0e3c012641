"""When does a fast-budget ZSSR net die? Replays the start of one harness unit.

Reproduces: docs/results.md, "Known limits" (collapsed fast runs) and the warm-up row.

Reads a finished ``blindsr bench`` unit (``RUN/images/IMAGE/LR.png`` and ``true_kernel.npy``,
the unit's seed) and trains ``given-kernel-fast`` for the first ``--steps`` steps at the rates
of the full 1600-step cosine schedule, testing for a dead net every 10 steps (the guard of
``revive_dead_net``, zssr/trainer.py). Prints the step at which the guard first found the net
dead (none: alive) and the reconstruction error every 50 steps; a net that does nothing keeps
the error of bicubic + nothing.

    python bench/dead_net_timing.py runs/t2 101087 --steps 300 [--set learning_rate_warmup=100]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from blindsr.eval.methods import unit_seed
from blindsr.zssr import trainer

import blindsr
from blindsr.image_io import read_image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("image")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--budget", type=int, default=1600, help="the schedule's full length")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args()
    torch.set_num_threads(1)
    overrides = {}
    for item in args.set:
        key, value = item.split("=", 1)
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value  # a bare string such as auto or fp32

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
        preset="given-kernel-fast",
        seed=unit_seed(0, 0, args.image),
        progress=False,
        **{"max_iters": args.steps, "run_test_every": 10, "revive_dead_net": True, **overrides},
    )
    stage = report["stages"][0]
    print(
        json.dumps(
            {
                "image": args.image,
                "overrides": overrides,
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
