"""Kernel files: ``.mat`` (key ``Kernel``), ``.npy`` and 16-bit ``.png``; plus a picture for humans.

``.mat`` is written with the key ``Kernel``, which ZSSR, KernelGAN, DIPFKP and DualSR read. On
load the key is looked up as ``Kernel``, then ``kernel``/``ker``/``k``, then the single 2-D array
in the file. Loaded kernels are validated (2-D, finite, positive total mass) and normalised to
sum 1, with a warning when the sum was off by more than 1e-3. Negative taps are allowed (real
estimates have small negative lobes).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import scipy.io

from blindsr.degradations.kernels import center_of_mass, normalize_kernel
from blindsr.image_io import atomic_output

__all__ = [
    "read_kernel",
    "read_kernel_metadata",
    "write_kernel",
    "write_kernel_picture",
    "KERNEL_SUFFIXES",
]

KERNEL_SUFFIXES = (".mat", ".npy", ".png")
_MAT_KEYS = ("Kernel", "kernel", "ker", "k")


def _load_mat(p: Path) -> dict:
    try:
        return scipy.io.loadmat(str(p))
    except NotImplementedError as exc:  # MATLAB v7.3 = HDF5
        raise ValueError(
            f"{p} is a MATLAB v7.3 (HDF5) file; re-save it with save(..., '-v7') or as .npy"
        ) from exc
    except Exception as exc:  # scipy raises several types for corrupt files
        raise ValueError(f"not a readable .mat file: {p} ({exc})") from exc


def _from_mat(p: Path) -> np.ndarray:
    content = _load_mat(p)
    for key in _MAT_KEYS:
        if key in content:
            return np.asarray(content[key])
    arrays = {
        k: v
        for k, v in content.items()
        if not k.startswith("__") and isinstance(v, np.ndarray) and np.squeeze(v).ndim == 2
    }
    if len(arrays) == 1:
        return next(iter(arrays.values()))
    names = sorted(k for k in content if not k.startswith("__"))
    raise ValueError(
        f"{p}: no kernel found; expected key 'Kernel' (or one 2-D array), found {names}"
    )


def read_kernel(path: str | os.PathLike) -> np.ndarray:
    """Load a kernel as float64 2-D normalised to sum 1.

    Raises:
        FileNotFoundError: missing file.
        ValueError: unknown format, unreadable file, or not a valid kernel.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"kernel not found: {p}")
    suffix = p.suffix.lower()
    if suffix == ".mat":
        raw = _from_mat(p)
    elif suffix == ".npy":
        try:
            raw = np.load(p, allow_pickle=False)
        except Exception as exc:
            raise ValueError(f"not a readable .npy file: {p} ({exc})") from exc
    elif suffix == ".png":
        data = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
        if data is None:
            raise ValueError(f"not a readable kernel image: {p}")
        if data.ndim != 2:
            raise ValueError(f"kernel PNG must be single-channel, got shape {data.shape}: {p}")
        raw = data.astype(np.float64)
    else:
        raise ValueError(f"unknown kernel format {p.suffix!r}; use one of {KERNEL_SUFFIXES}")
    raw = np.asarray(raw)
    if raw.ndim > 2:
        raw = np.squeeze(raw)
    # PNG stores max-normalised integers, so its sum is never 1: no warning for it.
    return normalize_kernel(
        raw, warn_tol=None if suffix == ".png" else 1e-3, name=f"kernel {p.name}"
    )


def read_kernel_metadata(path: str | os.PathLike) -> dict:
    """Extra fields stored beside ``Kernel`` in a ``.mat`` written by :func:`write_kernel`
    (e.g. ``trustworthy``, ``scale``, ``reason`` from ``blindsr estimate``); ``{}`` otherwise."""
    p = Path(path)
    if p.suffix.lower() != ".mat":
        return {}
    content = _load_mat(p)
    meta = {}
    for key, value in content.items():
        if key.startswith("__") or key in _MAT_KEYS:
            continue
        arr = np.asarray(value)
        if arr.dtype.kind in "US":
            meta[key] = str(arr.squeeze()) if arr.size else ""
        elif arr.size == 1:
            meta[key] = arr.item()
    return meta


def write_kernel(
    path: str | os.PathLike, kernel: np.ndarray, *, metadata: dict | None = None
) -> Path:
    """Write a kernel by suffix: ``.mat`` (key ``Kernel``, float32), ``.npy`` (float32) or
    ``.png`` (16-bit, scaled so the maximum is 65535; negative taps clipped).

    ``metadata`` (scalars and strings) is stored beside ``Kernel`` in ``.mat`` files only; readers
    that look up ``Kernel`` (ZSSR, KernelGAN, DIPFKP) ignore it.
    """
    p = Path(path)
    k = normalize_kernel(kernel).astype(np.float32)
    suffix = p.suffix.lower()
    with atomic_output(p) as tmp:
        if suffix == ".mat":
            scipy.io.savemat(str(tmp), {**(metadata or {}), "Kernel": k})
        elif suffix == ".npy":
            with open(tmp, "wb") as fh:
                np.save(fh, k)
        elif suffix == ".png":
            data = np.round(np.clip(k, 0, None) / k.max() * 65535.0).astype(np.uint16)
            if not cv2.imwrite(str(tmp), data):
                raise ValueError(f"could not write {p}")
        else:
            raise ValueError(f"unknown kernel format {p.suffix!r}; use one of {KERNEL_SUFFIXES}")
    return p


def _panel(kernel: np.ndarray, cell: int, size: int) -> np.ndarray:
    k = np.asarray(kernel, dtype=np.float64)
    ph, pw = (size - k.shape[0]) // 2, (size - k.shape[1]) // 2
    k = np.pad(k, ((ph, size - k.shape[0] - ph), (pw, size - k.shape[1] - pw)))
    norm = np.clip(k, 0, None) / max(k.max(), 1e-12)
    u8 = np.round(norm * 255).astype(np.uint8)
    rgb = cv2.applyColorMap(u8, cv2.COLORMAP_VIRIDIS)  # BGR, stays inside this module
    big = cv2.resize(rgb, (size * cell, size * cell), interpolation=cv2.INTER_NEAREST)
    cy, cx = center_of_mass(np.clip(k, 0, None))
    centre = (int(round((cx + 0.5) * cell)), int(round((cy + 0.5) * cell)))
    cv2.drawMarker(big, centre, (0, 0, 255), cv2.MARKER_CROSS, cell, 1)
    return big


def write_kernel_picture(
    path: str | os.PathLike, kernel: np.ndarray, *others: np.ndarray, cell: int = 16
) -> Path:
    """Write an enlarged picture of one or more kernels side by side (e.g. true | estimated).

    Each panel is normalised to its own maximum (viridis colour map, nearest-neighbour
    enlargement by ``cell``) with a red cross at the centre of mass.
    """
    kernels = [kernel, *others]
    size = max(max(np.shape(k)) for k in kernels)
    gap = np.full((size * cell, 4, 3), 255, dtype=np.uint8)
    panels: list[np.ndarray] = []
    for i, k in enumerate(kernels):
        if i:
            panels.append(gap)
        panels.append(_panel(k, cell, size))
    p = Path(path)
    with atomic_output(p) as tmp:
        if not cv2.imwrite(str(tmp), np.concatenate(panels, axis=1)):
            raise ValueError(f"could not write {p}")
    return p
