"""Random father crops, as the reference ``random_augment`` draws them (docs/zssr.md).

Each training father is a ``crop x crop`` window of an image from the pool (the input and, in
gradual mode, earlier outputs), taken through a random projective warp: 5% "leave" (plain crop),
45% "no-interp" (crop plus a multiple of 90 degrees and a mirror, integer-aligned), 50% affine
(scale, anisotropic scale difference, any rotation, shear, mirror). The warp is OpenCV bicubic
(a = -0.75) with a zero border, and the window is positioned relative to the unscaled source,
so many crops contain zero-filled areas: a quirk of the original code kept on purpose because it
shapes what the network learns (fathers and sons share those areas, so pairs stay consistent).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["random_father"]


def _translate(tx: float, ty: float) -> np.ndarray:
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def _warp(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """cv2.warpPerspective on any channel count (cv2 handles at most 4 at a time)."""
    src = np.ascontiguousarray(image, dtype=np.float32)
    out = np.empty((size[1], size[0], src.shape[2]), dtype=np.float32)
    for start in range(0, src.shape[2], 4):
        chunk = np.ascontiguousarray(src[..., start : start + 4])
        warped = cv2.warpPerspective(
            chunk,
            matrix,
            size,
            flags=cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        out[..., start : start + 4] = warped.reshape(size[1], size[0], -1)
    return out


def random_father(
    pool: list[np.ndarray],
    base_scales: list[float],
    max_scale: float,
    *,
    rng: np.random.Generator,
    crop_size: tuple[int, int] = (128, 128),
    leave_as_is_probability: float = 0.05,
    no_interpolate_probability: float = 0.45,
    min_scale: float = 0.5,
    scale_diff_sigma: float = 0.25,
    shear_sigma: float = 0.1,
    allow_rotation: bool = True,
) -> np.ndarray:
    """Draw one father crop.

    Args:
        pool: ``H x W x C`` float32 images in [0, 1]; ``pool[0]`` is the input.
        base_scales: scale of each pool image relative to the input (``min`` of its pair).
        max_scale: largest scale a crop may be drawn at (1.0 in the first stage).
        rng: the generator all draws come from.
        crop_size: ``(rows, cols)`` of the output.

    Returns:
        ``rows x cols x C`` float32 crop clipped to [0, 1].
    """
    r = rng.random()
    if r < leave_as_is_probability:
        mode = "leave"
    elif r < leave_as_is_probability + no_interpolate_probability:
        mode = "no_interp"
    else:
        mode = "affine"
    scale = 1.0 if mode == "leave" else rng.uniform(min_scale, max_scale)
    # The smallest pool image at least as large as the drawn scale.
    index = next(
        (i for i, b in enumerate(base_scales[: len(pool)]) if b > scale - 1e-6), len(pool) - 1
    )
    source, base = pool[index], base_scales[index]
    height, width = source.shape[:2]
    centre_out = _translate(width / 2.0, height / 2.0)
    centre_in = _translate(-width / 2.0, -height / 2.0)
    if mode != "affine":
        centre_out, centre_in = np.round(centre_out), np.round(centre_in)
    if mode == "affine":
        scale = scale / base
        diff = scale_diff_sigma * rng.standard_normal()
    else:
        scale, diff = 1.0, 0.0
    mirror = (
        1.0 if (mode == "leave" or not allow_rotation) else float(np.sign(rng.standard_normal()))
    )
    scaling = np.diag([mirror * (scale + diff / 2.0), scale - diff / 2.0, 1.0])
    crop_h, crop_w = crop_size
    tx = rng.random() * max(scale * width - crop_w, 0)
    ty = rng.random() * max(scale * height - crop_h, 0)
    shift = _translate(-tx, -ty)
    if mode != "affine":
        shift = np.round(shift)
    if not allow_rotation or mode == "leave":
        theta = 0.0
    elif mode == "affine":
        theta = rng.uniform(0.0, 2.0 * math.pi)
    else:
        theta = rng.integers(4) * math.pi / 2.0
    c, s = math.cos(theta), math.sin(theta)
    rotation = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
    if mode == "affine":
        shear_x, shear_y = shear_sigma * rng.standard_normal(2)
    else:
        shear_x = shear_y = 0.0
    shear = np.array([[1.0, shear_x, 0.0], [shear_y, 1.0, 0.0], [0.0, 0.0, 1.0]])
    matrix = centre_out @ shift @ shear @ rotation @ scaling @ centre_in
    return np.clip(_warp(source, matrix, (crop_w, crop_h)), 0.0, 1.0)
