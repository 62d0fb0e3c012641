"""Side-by-side pictures for judging SR by eye: ``blindsr sr --compare`` and the bench report.

:func:`choose_region` finds the window where several outputs of the same image differ most;
:func:`compare_picture` puts bicubic and the SR result side by side, each with the same region
enlarged in an inset. Images are ``H x W x C`` float32 in [0, 1] (RGB or grey), as everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from blindsr.image_io import write_image

__all__ = ["choose_region", "compare_picture", "write_compare"]

_RED = (255, 40, 40)


def choose_region(
    outputs: list[np.ndarray], reference: np.ndarray, *, size: int, step: int
) -> tuple[int, int]:
    """Top-left (row, col) of the ``size x size`` window where the outputs differ most.

    "Differ" is the per-pixel variance across the outputs (of their channel mean), summed over
    the window; with a single output it is that output's squared error against ``reference``.
    The window stays ``step`` pixels (the scale: the border the metrics shave) away from the
    edges when the image allows, and its corner sits on a multiple of ``step`` so that the same
    window maps onto whole LR pixels.
    """
    h, w = reference.shape[:2]
    size = min(size, h, w)
    step = max(1, int(step))
    stack = np.stack([np.asarray(o, np.float64).mean(axis=2) for o in outputs])
    if len(outputs) > 1:
        energy = stack.var(axis=0)
    else:
        energy = (stack[0] - np.asarray(reference, np.float64).mean(axis=2)) ** 2
    # Sum over every window via the integral image: sums[r, c] covers rows r..r+size-1.
    integral = cv2.integral(energy)
    sums = (
        integral[size:, size:]
        - integral[:-size, size:]
        - integral[size:, :-size]
        + integral[:-size, :-size]
    )
    margin_r = step if h - size >= 2 * step else 0
    margin_c = step if w - size >= 2 * step else 0
    rows = np.arange(margin_r, h - size - margin_r + 1, step)
    cols = np.arange(margin_c, w - size - margin_c + 1, step)
    grid = sums[np.ix_(rows, cols)]
    r, c = np.unravel_index(int(np.argmax(grid)), grid.shape)
    return int(rows[r]), int(cols[c])


def _rgb(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image, np.float32)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    return np.ascontiguousarray(np.clip(arr[..., :3], 0, 1))


def _label(width: int, text: str, height: int = 26) -> np.ndarray:
    strip = np.full((height, width, 3), 255, np.uint8)
    scale = 0.55
    while (
        scale > 0.3 and cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] > width - 8
    ):
        scale -= 0.05
    cv2.putText(
        strip, text, (4, height - 8), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA
    )
    return strip


def compare_picture(
    bicubic: np.ndarray,
    result: np.ndarray,
    *,
    labels: tuple[str, str] = ("bicubic", "blindsr"),
    scale: int = 2,
) -> np.ndarray:
    """``bicubic | result`` side by side, each labelled, with the same region (where the two
    differ most) outlined and shown enlarged in an inset in the corner farthest from it.

    Returns an ``H' x W' x 3`` float32 RGB picture in [0, 1].
    """
    a, b = _rgb(bicubic), _rgb(result)
    # Drawn in 8 bits (OpenCV's text needs it), as the picture will be written anyway.
    a8, b8 = (np.round(x * 255).astype(np.uint8) for x in (a, b))
    if a.shape != b.shape:
        raise ValueError(f"bicubic {a.shape} and result {b.shape} differ in size")
    h, w = a.shape[:2]
    side = min(h, w)
    size = int(max(8, min(64, side // 4)))
    zoom = int(min(4, max(2, (0.45 * side) // size)))
    r, c = choose_region([a, b], a, size=size, step=max(1, scale))
    inset_h = inset_w = size * zoom
    # The inset goes in the corner farthest from the region, so it never hides it.
    top = 0 if r + size / 2 > h / 2 else h - inset_h
    left = 0 if c + size / 2 > w / 2 else w - inset_w
    panels = []
    for image, label in zip((a8, b8), labels):
        panel = image.copy()
        crop = image[r : r + size, c : c + size]
        inset = np.repeat(np.repeat(crop, zoom, axis=0), zoom, axis=1)
        panel[top : top + inset_h, left : left + inset_w] = inset
        cv2.rectangle(panel, (c, r), (c + size - 1, r + size - 1), _RED, 1)
        cv2.rectangle(panel, (left, top), (left + inset_w - 1, top + inset_h - 1), _RED, 2)
        panels.append(np.concatenate([_label(w, label), panel], axis=0))
    gap = np.full((panels[0].shape[0], 6, 3), 255, np.uint8)
    return np.concatenate([panels[0], gap, panels[1]], axis=1).astype(np.float32) / 255.0


def write_compare(
    path: str | os.PathLike,
    lr: np.ndarray,
    result: np.ndarray,
    scale: float | tuple[float, float],
    *,
    label: str = "blindsr",
) -> Path:
    """Write :func:`compare_picture` of MATLAB-bicubic(``lr``) and ``result`` (8-bit)."""
    from blindsr.degradations import imresize

    bicubic = np.clip(imresize(lr, scale, output_shape=result.shape[:2]), 0, 1)
    step = int(round(max(scale if isinstance(scale, tuple) else (scale,))))
    picture = compare_picture(bicubic, result, labels=("bicubic", label), scale=step)
    return write_image(path, picture)
