"""The one image reader and the one writer. BGR<->RGB conversion happens only here.

In memory an image is a numpy ``H x W x C`` float32 array in [0, 1], channels in RGB order,
``C = 3`` for colour and ``C = 1`` for grey (kept grey, not replicated). 8-bit files are divided
by 255 and 16-bit files by 65535. An alpha channel is dropped, with a warning when it is not
fully opaque.

EXIF orientation is **not** applied: pixels are used in stored order, so a kernel estimated on
a file and the SR output refer to the sensor grid and the writer round-trips the file. Rotate
the file first if you want display orientation.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import cv2
import numpy as np

__all__ = ["read_image", "read_image_with_depth", "write_image", "atomic_output", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def read_image_with_depth(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Read an image file; return (``H x W x C`` float32 RGB/grey in [0, 1], bit depth 8 or 16).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a readable image, or has an unsupported sample type.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"image not found: {p}")
    # IMREAD_UNCHANGED keeps 16-bit samples, grey as one channel and alpha; the flag also
    # ignores EXIF orientation, which is the documented policy.
    data = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
    if data is None:
        raise ValueError(f"not a readable image: {p}")
    if data.dtype == np.uint8:
        depth, pixels = 8, data.astype(np.float32) / 255.0
    elif data.dtype == np.uint16:
        depth, pixels = 16, data.astype(np.float32) / 65535.0
    elif data.dtype in (np.float32, np.float64):
        depth, pixels = 16, np.clip(data.astype(np.float32), 0.0, 1.0)
    else:
        raise ValueError(f"unsupported sample type {data.dtype} in {p}")
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    channels = pixels.shape[2]
    if channels in (2, 4):
        # Many files (every DIV2KRK LR PNG) carry a fully opaque alpha: dropping it loses
        # nothing, so only real transparency is worth a warning.
        if pixels[..., -1].min() < 1.0:
            warnings.warn(
                f"{p.name}: dropping the alpha channel (the image has transparent pixels; "
                "they are read as their stored colour, not composited)",
                stacklevel=2,
            )
        pixels = pixels[..., : channels - 1]
    if pixels.shape[2] == 3:
        pixels = pixels[..., ::-1]
    return np.ascontiguousarray(pixels, dtype=np.float32), depth


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image as ``H x W x C`` float32 in [0, 1] (RGB, or 1 channel for grey)."""
    return read_image_with_depth(path)[0]


class atomic_output:  # noqa: N801 - used like a function in a ``with`` statement
    """Context manager yielding a temporary path that replaces ``path`` only on success.

    Nothing is left behind if the block raises, so a failed command never leaves a partial file.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=self.path.suffix, dir=self.path.parent)
        os.close(fd)
        # mkstemp creates 0600; give the file the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def write_image(path: str | os.PathLike, image: np.ndarray, *, bit_depth: int = 8) -> Path:
    """Write a float [0, 1] ``H x W``, ``H x W x 1`` or ``H x W x 3`` RGB image.

    Values are clipped and **rounded** (not truncated) to 8 or 16 bits; grey stays grey. 16-bit
    needs PNG or TIFF. The file appears atomically (written to a temporary name, then renamed).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ValueError(f"unsupported output format {p.suffix!r}; use one of {IMAGE_SUFFIXES}")
    if bit_depth not in (8, 16):
        raise ValueError(f"bit_depth must be 8 or 16, got {bit_depth}")
    if bit_depth == 16 and suffix not in (".png", ".tif", ".tiff"):
        raise ValueError(f"16-bit output needs .png or .tif, got {p.suffix!r}")
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ValueError(f"can only write grey or RGB images, got shape {np.shape(image)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("image has non-finite values")
    peak, dtype = (255.0, np.uint8) if bit_depth == 8 else (65535.0, np.uint16)
    data = np.round(np.clip(arr, 0.0, 1.0) * peak).astype(dtype)
    if data.ndim == 3:
        data = np.ascontiguousarray(data[..., ::-1])
    with atomic_output(p) as tmp:
        if not cv2.imwrite(str(tmp), data):
            raise ValueError(f"could not write image {p}")
    return p
