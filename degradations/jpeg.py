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
