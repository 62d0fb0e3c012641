"""A dependency-free training-curve picture (OpenCV drawing): loss and reconstruction error."""

from __future__ import annotations

import math
import os

import cv2
import numpy as np

from blindsr.image_io import atomic_output

__all__ = ["write_training_plot"]


def write_training_plot(
    path: str | os.PathLike, report: dict, *, width: int = 720, height: int = 360
) -> None:
    """Plot log10 of the L1 loss (every 20 iterations, grey) and of the reconstruction MSE
    (per test, blue) against the iteration, one panel per stage; learning-rate drops in red."""
    stages = report["stages"]
    panels = []
    for index, stage in enumerate(stages):
        canvas = np.full((height, width, 3), 255, np.uint8)
        rec = np.array(stage["reconstruction_error"], dtype=np.float64).reshape(-1, 2)
        loss = np.array(stage["loss_every_20"], dtype=np.float64)
        loss_x = np.arange(loss.size) * 20
        series = [(loss_x, loss, (150, 150, 150)), (rec[:, 0], rec[:, 1], (200, 80, 0))]
        values = np.concatenate([s[1] for s in series if s[1].size])
        values = values[values > 0]
        if values.size == 0:
            panels.append(canvas)
            continue
        lo, hi = math.log10(values.min()), math.log10(values.max())
        hi = hi if hi > lo else lo + 1
        x_max = max(stage["iterations"], 1)
        m = 40

        cv2.rectangle(canvas, (m, m), (width - m, height - m), (0, 0, 0), 1)
        for it in stage["lr_drop_iterations"]:
            x = int(m + it / x_max * (width - 2 * m))
            cv2.line(canvas, (x, m), (x, height - m), (0, 0, 220), 1)
        for xs, ys, colour in series:
            if len(xs) > 1:
                px = m + (np.asarray(xs) / x_max) * (width - 2 * m)
                logy = np.log10(np.maximum(ys, 1e-12))
                py = height - m - (logy - lo) / (hi - lo) * (height - 2 * m)
                points = np.stack([px, py], axis=1).astype(np.int32)
                cv2.polylines(canvas, [points], False, colour, 2)
        label = (
            f"stage {index + 1}: x{stage['scale'][0]:g},{stage['scale'][1]:g}  "
            f"{stage['iterations']} it  log10 y in [{lo:.2f}, {hi:.2f}]  "
            "grey=L1 loss blue=rec. MSE red=lr/10"
        )
        cv2.putText(canvas, label, (m, m - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
        panels.append(canvas)
    with atomic_output(path) as tmp:
        cv2.imwrite(str(tmp), np.concatenate(panels, axis=0))
