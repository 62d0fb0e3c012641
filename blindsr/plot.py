"""The training-curve picture of ``blindsr sr --plot``, drawn with OpenCV (no plotting library).

One panel per stage: the L1 training loss (every 20th iteration) and the reconstruction error
(mean squared error of the LR rebuilt from its own son, at each test) on a log axis against the
iteration, with the learning-rate drops as vertical lines. The legend names only what is drawn.
"""

from __future__ import annotations

import math
import os

import cv2
import numpy as np

from blindsr.image_io import atomic_output

__all__ = ["write_training_plot", "training_plot", "log_ticks", "linear_ticks"]

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_BLACK, _GRID = (0, 0, 0), (225, 225, 225)
# BGR: the picture is written by cv2 directly.
_LOSS, _REC, _DROP = (150, 150, 150), (200, 80, 0), (0, 0, 220)


def linear_ticks(high: float, count: int = 6) -> list[float]:
    """0 and round multiples (1, 2 or 5 x 10^k) up to ``high``, about ``count`` of them."""
    if high <= 0:
        return [0.0]
    raw = high / max(count - 1, 1)
    base = 10 ** math.floor(math.log10(raw))
    step = next(m * base for m in (1, 2, 5, 10) if m * base >= raw)
    return [i * step for i in range(int(high // step) + 1)]


def log_ticks(low: float, high: float) -> list[float]:
    """Tick values for a log axis over [low, high]: the powers of ten inside it, with 2x and 5x
    added when fewer than three powers fall inside (short ranges)."""
    lo, hi = math.floor(math.log10(low)), math.ceil(math.log10(high))
    decades = [10.0**e for e in range(lo, hi + 1) if low <= 10.0**e <= high]
    if len(decades) >= 3:
        return decades
    ticks = [
        m * 10.0**e for e in range(lo, hi + 1) for m in (1, 2, 5) if low <= m * 10.0**e <= high
    ]
    return ticks or [low, high]


def _fmt(value: float) -> str:
    return f"{value:g}" if 1e-3 <= value < 1e4 else f"{value:.0e}".replace("e-0", "e-")


def _text(canvas, text, org, scale=0.42, colour=_BLACK):
    cv2.putText(canvas, text, org, _FONT, scale, colour, 1, cv2.LINE_AA)


def _panel(stage: dict, index: int, width: int, height: int) -> np.ndarray:
    canvas = np.full((height, width, 3), 255, np.uint8)
    left, right, top, bottom = 70, 20, 46, 44
    x_max = max(int(stage["iterations"]), 1)
    rec = np.array(stage.get("reconstruction_error", []), dtype=np.float64).reshape(-1, 2)
    loss = np.array(stage.get("loss_every_20", []), dtype=np.float64)
    series = [
        ("L1 training loss (every 20 it.)", np.arange(loss.size) * 20.0, loss, _LOSS),
        ("reconstruction MSE (per test)", rec[:, 0], rec[:, 1], _REC),
    ]
    series = [(n, x, y, c) for n, x, y, c in series if np.any(y > 0)]
    _text(
        canvas,
        f"stage {index + 1}: x{stage['scale'][0]:g},{stage['scale'][1]:g}, "
        f"{stage['iterations']} iterations",
        (left, 18),
        0.5,
    )
    if not series:
        _text(canvas, "nothing recorded", (left, height // 2))
        return canvas
    values = np.concatenate([y[y > 0] for _, _, y, _ in series])
    low, high = float(values.min()), float(values.max())
    if high / low < 1.5:  # flat curves: give the axis some room
        low, high = low / 1.5, high * 1.5
    lo, hi = math.log10(low), math.log10(high)
    pad = 0.06 * (hi - lo)  # keep the extreme points off the frame
    lo, hi = lo - pad, hi + pad
    low, high = 10.0**lo, 10.0**hi
    x0, x1, y0, y1 = left, width - right, top, height - bottom

    def px(x):
        return x0 + np.asarray(x, np.float64) / x_max * (x1 - x0)

    def py(y):
        return y1 - (np.log10(np.maximum(y, 1e-300)) - lo) / (hi - lo) * (y1 - y0)

    for tick in log_ticks(low, high):
        y = int(round(py(tick)))
        cv2.line(canvas, (x0, y), (x1, y), _GRID, 1)
        cv2.line(canvas, (x0 - 4, y), (x0, y), _BLACK, 1)
        label = _fmt(tick)
        (tw, th), _ = cv2.getTextSize(label, _FONT, 0.4, 1)
        _text(canvas, label, (x0 - 8 - tw, y + th // 2), 0.4)
    for tick in linear_ticks(x_max):
        x = int(round(px(tick)))
        cv2.line(canvas, (x, y1), (x, y1 + 4), _BLACK, 1)
        label = f"{tick:g}"
        (tw, _), _ = cv2.getTextSize(label, _FONT, 0.4, 1)
        _text(canvas, label, (x - tw // 2, y1 + 18), 0.4)
    _text(canvas, "iteration", ((x0 + x1) // 2 - 30, height - 8))
    _text(canvas, "log scale", (4, y0 - 8), 0.4)
    drops = [it for it in stage.get("lr_drop_iterations", []) if 0 <= it <= x_max]
    for it in drops:
        x = int(round(px(it)))
        for y in range(y0, y1, 8):  # dashed
            cv2.line(canvas, (x, y), (x, min(y + 4, y1)), _DROP, 1)
    for _, xs, ys, colour in series:
        keep = ys > 0
        points = np.stack([px(xs[keep]), py(ys[keep])], axis=1).round().astype(np.int32)
        if len(points) > 1:
            cv2.polylines(canvas, [points], False, colour, 2, cv2.LINE_AA)
        for p in points if len(points) <= 30 else []:
            cv2.circle(canvas, tuple(int(v) for v in p), 3, colour, -1, cv2.LINE_AA)
    cv2.rectangle(canvas, (x0, y0), (x1, y1), _BLACK, 1)
    legend = [(name, colour, False) for name, _, _, colour in series]
    if drops:
        legend.append(("learning rate / 10", _DROP, True))
    lx = x0 + 8
    for name, colour, dashed in legend:
        if dashed:
            for x in range(lx, lx + 22, 8):
                cv2.line(canvas, (x, 32), (x + 4, 32), colour, 2)
        else:
            cv2.line(canvas, (lx, 32), (lx + 22, 32), colour, 2)
        _text(canvas, name, (lx + 28, 37))
        (tw, _), _ = cv2.getTextSize(name, _FONT, 0.42, 1)
        lx += tw + 50
    return canvas


def training_plot(report: dict, *, width: int = 720, height: int = 360) -> np.ndarray:
    """The picture :func:`write_training_plot` writes, as a BGR uint8 array."""
    return np.concatenate(
        [_panel(stage, i, width, height) for i, stage in enumerate(report["stages"])], axis=0
    )


def write_training_plot(
    path: str | os.PathLike, report: dict, *, width: int = 720, height: int = 360
) -> None:
    """Write the training curves of an ``sr`` report (``report["stages"]``) as a PNG."""
    picture = training_plot(report, width=width, height=height)
    with atomic_output(path) as tmp:
        if not cv2.imwrite(str(tmp), picture):
            raise ValueError(f"could not write {path}")
