"""Kernel files: ``.mat`` (key ``Kernel``), ``.npy`` and 16-bit ``.png``; plus a picture for humans.

``.mat`` is written with the key ``Kernel``, which ZSSR, KernelGAN, DIPFKP and DualSR read. On
load the key is looked up as ``Kernel``, then ``kernel``/``ker``/``k``, then the single 2-D array
in the file. Loaded kernels are validated (2-D, finite, positive total mass) and normalised to
sum 1, with a warning when the sum was off by more than 1e-3. Negative taps are allowed (real
estimates have small negative lobes).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
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
    "kernel_picture",
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


def _is_picture(path: Path) -> bool:
    """True for a PNG tagged by :func:`write_kernel_picture`."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.info.get("Software") == PICTURE_TAG
    except OSError:
        return False


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
        if _is_picture(p) or data.ndim != 2:
            raise ValueError(
                f"{p} is a picture of a kernel (for viewing), not a kernel file; pass the "
                "kernel itself: the .mat (or .npy / 16-bit grey .png) written with it"
            )
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


PICTURE_TAG = "blindsr kernel picture"  # PNG text chunk that marks a picture for humans
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_TOP, _LEFT = 40, 10  # where the first panel starts (tests locate the markers from it)
_BLACK = (0, 0, 0)
_COM_COLOUR = (230, 30, 30)  # RGB: red "+" at the centre of mass
_CONV_COLOUR = (255, 255, 255)  # white circle at the convention centre


def _text(canvas: np.ndarray, text: str, org: tuple[int, int], scale: float = 0.45) -> None:
    cv2.putText(canvas, text, org, _FONT, scale, _BLACK, 1, cv2.LINE_AA)


def _marker_com(canvas: np.ndarray, centre: tuple[int, int], size: int) -> None:
    cv2.drawMarker(canvas, centre, _COM_COLOUR, cv2.MARKER_CROSS, size, 2, cv2.LINE_AA)


def _marker_conv(canvas: np.ndarray, centre: tuple[int, int], size: int) -> None:
    cv2.circle(canvas, centre, max(3, size // 3), _BLACK, 3, cv2.LINE_AA)
    cv2.circle(canvas, centre, max(3, size // 3), _CONV_COLOUR, 1, cv2.LINE_AA)


def _viridis(values: np.ndarray) -> np.ndarray:
    """[0, 1] -> RGB uint8 with OpenCV's viridis table."""
    u8 = np.round(np.clip(values, 0, 1) * 255).astype(np.uint8)
    return cv2.applyColorMap(u8, cv2.COLORMAP_VIRIDIS)[..., ::-1]


def kernel_picture(
    kernel: np.ndarray,
    *others: np.ndarray,
    titles: Sequence[str] | None = None,
    scale: float | None = None,
    cell: int | None = None,
) -> np.ndarray:
    """The picture :func:`write_kernel_picture` writes, as an ``H x W x 3`` uint8 RGB array."""
    # Normalised to sum 1, so that kernels of different sizes share one meaningful scale.
    kernels = [normalize_kernel(k) for k in (kernel, *others)]
    if titles is None:
        titles = [f"kernel {i + 1}" for i in range(len(kernels))] if others else ["kernel"]
    if len(titles) != len(kernels):
        raise ValueError(f"{len(kernels)} kernels need {len(kernels)} titles, got {len(titles)}")
    size = max(max(k.shape) for k in kernels)
    cell = cell or max(8, 208 // size)
    side = size * cell
    peak = max(float(np.clip(k, 0, None).max()) for k in kernels) or 1.0
    s = 1.0 if scale is None else float(scale)
    top, gap, bar_w = _TOP, 16, 14
    legend_h = 58
    width = 10 + len(kernels) * (side + gap) + bar_w + 70
    canvas = np.full((top + side + legend_h, width, 3), 255, np.uint8)
    x0 = _LEFT
    mark = max(cell, 12)
    for k, title in zip(kernels, titles):
        ph, pw = (size - k.shape[0]) // 2, (size - k.shape[1]) // 2
        padded = np.pad(k, ((ph, size - k.shape[0] - ph), (pw, size - k.shape[1] - pw)))
        panel = cv2.resize(
            _viridis(np.clip(padded, 0, None) / peak), (side, side), interpolation=cv2.INTER_NEAREST
        )
        canvas[top : top + side, x0 : x0 + side] = panel
        cv2.rectangle(canvas, (x0 - 1, top - 1), (x0 + side, top + side), _BLACK, 1)
        _text(canvas, title, (x0, 16), 0.5)
        _text(canvas, f"{k.shape[0]}x{k.shape[1]} px, 1 square = 1 px", (x0, 33), 0.4)
        cy, cx = center_of_mass(np.clip(k, 0, None))
        com = (x0 + int(round((cx + pw + 0.5) * cell)), top + int(round((cy + ph + 0.5) * cell)))
        conv_r = k.shape[0] // 2 + (s - 1) / 2 + ph
        conv_c = k.shape[1] // 2 + (s - 1) / 2 + pw
        conv = (x0 + int(round((conv_c + 0.5) * cell)), top + int(round((conv_r + 0.5) * cell)))
        _marker_conv(canvas, conv, mark)
        _marker_com(canvas, com, mark)
        x0 += side + gap
    # Colour bar: all panels share one scale, so estimated and true read alike.
    ramp = _viridis(np.linspace(1, 0, side)[:, None].repeat(bar_w, axis=1))
    canvas[top : top + side, x0 : x0 + bar_w] = ramp
    cv2.rectangle(canvas, (x0 - 1, top - 1), (x0 + bar_w, top + side), _BLACK, 1)
    _text(canvas, f"{peak:.3g}", (x0 + bar_w + 4, top + 10), 0.4)
    _text(canvas, "0", (x0 + bar_w + 4, top + side), 0.4)
    _text(canvas, "tap", (x0 + bar_w + 4, top + side // 2), 0.4)
    y = top + side + 20
    _marker_com(canvas, (18, y - 5), 12)
    _text(canvas, "centre of mass", (32, y))
    conv_name = "convention centre K//2 + (s-1)/2" + ("" if scale is None else f", s={s:g}")
    _marker_conv(canvas, (18, y + 19), 12)
    _text(canvas, conv_name, (32, y + 24))
    return canvas


def write_kernel_picture(
    path: str | os.PathLike,
    kernel: np.ndarray,
    *others: np.ndarray,
    titles: Sequence[str] | None = None,
    scale: float | None = None,
    cell: int | None = None,
) -> Path:
    """Write an enlarged picture of one or more kernels side by side (e.g. estimated | true).

    Every panel shares one viridis colour scale (the bar on the right, from 0 to the largest
    tap), is enlarged ``cell`` times (nearest neighbour) and states its size in pixels; a red
    ``+`` marks the centre of mass and a white circle the convention centre
    ``K//2 + (s-1)/2`` where :func:`blindsr.degradations.downscale` expects a kernel's mass
    (``s`` = ``scale``; without it the plain centre ``K//2``), named in the legend. The PNG
    carries a text chunk saying it is a picture, so :func:`read_kernel` can refuse it clearly.
    """
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    picture = kernel_picture(kernel, *others, titles=titles, scale=scale, cell=cell)
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise ValueError(f"a kernel picture is a .png, got {p.suffix!r}")
    info = PngInfo()
    info.add_text("Software", PICTURE_TAG)
    with atomic_output(p) as tmp:
        Image.fromarray(picture).save(tmp, format="PNG", pnginfo=info)
    return p
