"""PSNR and SSIM exactly as SR papers compute them (the VDSR/Kim scripts; docs/conventions.md).

Protocol, applied by :func:`psnr` and :func:`ssim` to float [0, 1] HWC images:

1. both images are clipped to [0, 1] and quantised to uint8 by *rounding* (as if read back from
   an 8-bit PNG);
2. RGB images go to MATLAB ``rgb2ycbcr`` luma ``Y = 16 + (65.481 R + 128.553 G + 24.966 B)/255``
   on the uint8 values, rounded to uint8 by default (``round_y``); grey images are used as is;
3. ``shave`` pixels are removed from every border (default: the scale, rounded up);
4. PSNR = ``10 log10(255^2 / MSE)`` per image (``inf`` for identical images);
   SSIM = Wang et al. 2004 (11x11 Gaussian, sigma 1.5, K1 0.01, K2 0.03, L 255, 'valid'
   window, population statistics), computed by scikit-image in float64.

Set scores are the mean of per-image values (do that in the caller).
Do not use full-range YIQ/BT.601 luma (piq, pyiqa default, kornia): ~1.3 dB off.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from skimage.metrics import structural_similarity

__all__ = [
    "EvalProtocol",
    "quantize_uint8",
    "rgb_to_y",
    "prepare_for_metric",
    "psnr",
    "ssim",
    "evaluate",
]


@dataclass(frozen=True)
class EvalProtocol:
    """The knobs of the paper protocol, recorded next to every score."""

    shave: int
    y_channel: bool = True
    round_y: bool = True
    quantize: bool = True

    def as_dict(self) -> dict:
        return {**asdict(self), "y": "matlab-rgb2ycbcr", "ssim": "wang2004-gaussian11-valid"}


def quantize_uint8(image: np.ndarray) -> np.ndarray:
    """Clip to [0, 1], scale to 255 and round (MATLAB ``im2uint8``); returns uint8."""
    return np.round(np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)


def rgb_to_y(rgb_255: np.ndarray, *, round_y: bool = True) -> np.ndarray:
    """MATLAB ``rgb2ycbcr`` luma of an ``H x W x 3`` RGB array on the 0-255 scale (float64 out)."""
    rgb = np.asarray(rgb_255, dtype=np.float64)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"rgb_to_y expects HxWx3 RGB, got shape {rgb.shape}")
    y = 16.0 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0
    return np.round(y) if round_y else y


def _default_shave(scale: float) -> int:
    return int(math.ceil(float(scale) - 1e-9))


def prepare_for_metric(image: np.ndarray, protocol: EvalProtocol) -> np.ndarray:
    """Quantise, convert to Y (RGB only) and shave; float64 on the 0-255 scale."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3:
        raise ValueError(f"expected an HxW or HxWxC image, got shape {image.shape}")
    values = (
        quantize_uint8(arr).astype(np.float64)
        if protocol.quantize
        else (np.asarray(arr, dtype=np.float64) * 255.0)
    )
    if protocol.y_channel and values.shape[2] == 3:
        values = rgb_to_y(values, round_y=protocol.round_y)[..., None]
    b = protocol.shave
    if b:
        if 2 * b >= values.shape[0] or 2 * b >= values.shape[1]:
            raise ValueError(
                f"shave={b} leaves nothing of a {values.shape[0]}x{values.shape[1]} image"
            )
        values = values[b:-b, b:-b]
    return values


def _pair(sr: np.ndarray, hr: np.ndarray, protocol: EvalProtocol) -> tuple[np.ndarray, np.ndarray]:
    if sr.shape != hr.shape:
        raise ValueError(f"SR and HR shapes differ: {sr.shape} vs {hr.shape}")
    return prepare_for_metric(sr, protocol), prepare_for_metric(hr, protocol)


def _protocol(scale: float, shave: int | None, y_channel: bool, round_y: bool) -> EvalProtocol:
    return EvalProtocol(
        shave=_default_shave(scale) if shave is None else int(shave),
        y_channel=y_channel,
        round_y=round_y,
    )


def psnr(
    sr: np.ndarray,
    hr: np.ndarray,
    *,
    scale: float = 1,
    shave: int | None = None,
    y_channel: bool = True,
    round_y: bool = True,
) -> float:
    """PSNR in dB between float [0, 1] images (HxW or HxWxC) under the paper protocol."""
    a, b = _pair(sr, hr, _protocol(scale, shave, y_channel, round_y))
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def ssim(
    sr: np.ndarray,
    hr: np.ndarray,
    *,
    scale: float = 1,
    shave: int | None = None,
    y_channel: bool = True,
    round_y: bool = True,
) -> float:
    """Wang et al. SSIM between float [0, 1] images under the paper protocol (mean over channels
    when scored on RGB)."""
    a, b = _pair(sr, hr, _protocol(scale, shave, y_channel, round_y))
    if min(a.shape[:2]) < 11:
        raise ValueError(f"SSIM needs at least 11x11 pixels after shaving, got {a.shape[:2]}")
    return float(
        structural_similarity(
            a,
            b,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=255.0,
            channel_axis=-1,
        )
    )


def evaluate(
    sr: np.ndarray,
    hr: np.ndarray,
    *,
    scale: float,
    shave: int | None = None,
    y_channel: bool = True,
    round_y: bool = True,
) -> dict:
    """PSNR and SSIM plus the protocol that produced them, as a JSON-ready dict."""
    protocol = _protocol(scale, shave, y_channel, round_y)
    kwargs = dict(scale=scale, shave=protocol.shave, y_channel=y_channel, round_y=round_y)
    return {
        "psnr": psnr(sr, hr, **kwargs),
        "ssim": ssim(sr, hr, **kwargs),
        "scale": scale,
        "protocol": protocol.as_dict(),
    }
