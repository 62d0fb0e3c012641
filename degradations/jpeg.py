"""JPEG compression round trip through libjpeg (Pillow), IJG quality scale.

The IJG scale is what MATLAB ``imwrite(..., 'Quality', q)``, OpenCV and Pillow use; standard
tables, 4:2:0 chroma subsampling for colour images (libjpeg's default).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

__all__ = ["jpeg_compress"]


def jpeg_compress(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode ``image`` (HxW, HxWx1 or HxWx3 RGB float in [0, 1]) as JPEG and decode it.

    The image is first rounded to uint8, as a saved 8-bit LR image would be. Returns float32 in
    [0, 1] with the input's layout.
    """
    if isinstance(quality, bool) or int(quality) != quality or not 1 <= int(quality) <= 100:
        raise ValueError(f"JPEG quality must be an integer in [1, 100], got {quality!r}")
    arr = np.asarray(image)
    squeeze_channel = arr.ndim == 3 and arr.shape[2] == 1
    plane = arr[..., 0] if squeeze_channel else arr
    if plane.ndim not in (2, 3) or (plane.ndim == 3 and plane.shape[2] != 3):
        raise ValueError(f"JPEG needs a grey or RGB image, got shape {arr.shape}")
    u8 = np.round(np.clip(plane, 0.0, 1.0) * 255.0).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(u8).save(buffer, format="JPEG", quality=int(quality))
    buffer.seek(0)
    decoded = np.asarray(Image.open(buffer)).astype(np.float32) / 255.0
    return decoded[..., None] if squeeze_channel else decoded


#: The IJG (libjpeg) luminance quantisation table at quality 50, natural (row-major) order.
_IJG_LUMA_50 = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=np.float64,
)


def ijg_luma_table(quality: int) -> np.ndarray:
    """The 8x8 luminance quantisation table libjpeg writes at ``quality`` (baseline, 1..255)."""
    q = int(quality)
    if not 1 <= q <= 100:
        raise ValueError(f"JPEG quality must be an integer in [1, 100], got {quality!r}")
    scale = 5000 / q if q < 50 else 200 - 2 * q
    return np.clip(np.floor((_IJG_LUMA_50 * scale + 50) / 100), 1, 255)


def quality_from_table(table) -> int:
    """The IJG quality whose luminance table is closest to ``table`` (64 values, any order).

    Sorted values are compared, so zig-zag and natural order give the same answer; a camera's
    own table gets the IJG quality that quantises about as coarsely.
    """
    values = np.sort(np.asarray(table, dtype=np.float64).ravel())
    if values.size != 64:
        raise ValueError(f"a JPEG quantisation table has 64 entries, got {values.size}")
    errors = [
        np.mean((np.log(values) - np.log(np.sort(ijg_luma_table(q).ravel()))) ** 2)
        for q in range(1, 101)
    ]
    return int(np.argmin(errors)) + 1


def jpeg_quality_of_file(path) -> int | None:
    """IJG quality of a JPEG file from its luminance quantisation table; None if not a JPEG."""
    with Image.open(path) as im:
        if im.format != "JPEG" or not getattr(im, "quantization", None):
            return None
        return quality_from_table(im.quantization[0])


#: Least share of the non-zero quantised coefficients that must sit on the quantisation grid of
#: the best-fitting quality (an uncompressed image gives about ``2 * _TOLERANCE``).
_ON_GRID_MIN = 0.6
#: Steps smaller than this are within the 8-bit rounding noise of the decoded coefficients.
_MIN_STEP = 4.0
#: Distance from a multiple of the step, in steps, that still counts as on the grid.
_TOLERANCE = 0.15
_MIN_COEFFICIENTS = 500


def estimate_jpeg_quality(image: np.ndarray) -> tuple[int | None, dict]:
    """Detect JPEG compression in a decoded image and estimate its IJG quality.

    A JPEG stores each 8x8 block's DCT coefficients as integer multiples of a quantisation step,
    so after decoding and 8-bit rounding the coefficients of the luma ``Y = 0.299 R + 0.587 G +
    0.114 B`` still sit near multiples of the step. For each candidate quality, over the
    frequencies whose step is at least ``_MIN_STEP`` and the coefficients at least half a step
    from zero (zeros fit every grid), the share within ``_TOLERANCE`` steps of a multiple is
    measured: about ``2 * _TOLERANCE`` for an uncompressed image at every quality, close to 1 at
    the quality it was compressed with. Needs the 8x8 grid at pixel (0, 0): an image cropped or
    resized after compression reads as uncompressed.

    Args:
        image: ``H x W x C`` (C = 1 or 3, RGB) or ``H x W`` float in [0, 1].

    Returns:
        ``(quality or None, evidence)``; evidence has the best quality's ``on_grid_share`` and
        the number of coefficients it was measured on.
    """
    from scipy.fft import dctn

    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim == 3 and arr.shape[2] not in (1, 3):
        return None, {"reason": f"JPEG holds grey or RGB images, not {arr.shape[2]} channels"}
    if arr.ndim == 3:
        arr = arr[..., 0] if arr.shape[2] == 1 else arr @ np.array([0.299, 0.587, 0.114])
    h, w = (arr.shape[0] // 8) * 8, (arr.shape[1] // 8) * 8
    if h < 16 or w < 16:
        return None, {"reason": "image smaller than 16x16"}
    y = np.round(arr[:h, :w] * 255.0) - 128.0
    blocks = y.reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3).reshape(-1, 8, 8)
    coef = dctn(blocks, axes=(1, 2), norm="ortho")
    best_q, best_share, best_n = None, 0.0, 0
    for q in range(5, 100):
        step = ijg_luma_table(q)
        use = step >= _MIN_STEP
        use[0, 0] = False  # the DC term also carries the level shift's rounding
        ratio = coef[:, use] / step[use]
        ratio = ratio[np.abs(ratio) >= 0.5]
        if ratio.size < _MIN_COEFFICIENTS:
            continue
        share = float(np.mean(np.abs(ratio - np.round(ratio)) <= _TOLERANCE))
        if share > best_share:
            best_q, best_share, best_n = q, share, int(ratio.size)
    evidence = {"on_grid_share": best_share, "coefficients": best_n, "best_fit_quality": best_q}
    if best_q is None or best_share < _ON_GRID_MIN:
        return None, evidence
    return best_q, evidence
