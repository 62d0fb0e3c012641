"""Additive and multiplicative noise on [0, 1] images (docs/conventions.md).

All functions take an explicit ``numpy.random.Generator``, clip to [0, 1], and by default
quantise to the 8-bit grid (``round(x * 255) / 255``) as a saved LR image would be.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "add_gaussian_noise",
    "add_speckle_noise",
    "estimate_noise_level",
    "quantize_uint8_grid",
]


def quantize_uint8_grid(image: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] and round to the nearest of the 256 8-bit levels (float32 out)."""
    return (np.round(np.clip(image, 0.0, 1.0) * 255.0) / 255.0).astype(np.float32)


def _finish(image: np.ndarray, quantize: bool) -> np.ndarray:
    return quantize_uint8_grid(image) if quantize else np.clip(image, 0, 1).astype(np.float32)


def _check_sigma(sigma: float) -> float:
    sigma = float(sigma)
    if not (np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"noise sigma must be finite and >= 0, got {sigma!r}")
    return sigma


def add_gaussian_noise(
    image: np.ndarray, sigma: float, rng: np.random.Generator, *, quantize: bool = True
) -> np.ndarray:
    """``image + N(0, sigma^2)`` i.i.d. per pixel and channel; ``sigma`` on the [0, 1] scale."""
    sigma = _check_sigma(sigma)
    noisy = image + rng.normal(0.0, sigma, size=image.shape)
    return _finish(noisy, quantize)


def add_speckle_noise(
    image: np.ndarray,
    sigma: float,
    rng: np.random.Generator,
    *,
    distribution: str = "gaussian",
    quantize: bool = True,
) -> np.ndarray:
    """Multiplicative noise ``J = I + n * I`` with zero-mean ``n`` of standard deviation ``sigma``.

    ``distribution='gaussian'`` (default) draws ``n ~ N(0, sigma^2)``; ``'uniform'`` draws ``n``
    uniform with variance ``sigma^2``, which is MATLAB ``imnoise(I, 'speckle', sigma^2)``.
    """
    sigma = _check_sigma(sigma)
    if distribution == "gaussian":
        n = rng.normal(0.0, sigma, size=image.shape)
    elif distribution == "uniform":
        n = (rng.random(size=image.shape) - 0.5) * np.sqrt(12.0) * sigma
    else:
        raise ValueError(
            f"speckle distribution must be 'gaussian' or 'uniform', got {distribution!r}"
        )
    return _finish(image + n * image, quantize)


#: Ratio of the finest-band wavelet MAD of white noise after a MATLAB-bicubic x1/2 resize to
#: that before it (measured on a 512 x 512 probe by ``_downscale_noise_ratio``).
_HALF_SCALE_NOISE_RATIO: float | None = None


def _finest_band_std(plane: np.ndarray) -> float:
    from skimage.restoration import estimate_sigma

    return float(estimate_sigma(plane))


def _downscale_noise_ratio() -> float:
    global _HALF_SCALE_NOISE_RATIO
    if _HALF_SCALE_NOISE_RATIO is None:
        from blindsr.degradations.resize import imresize

        probe = np.random.default_rng(0).standard_normal((512, 512, 1))
        half = imresize(probe, 0.5)[..., 0]
        _HALF_SCALE_NOISE_RATIO = _finest_band_std(half) / _finest_band_std(probe[..., 0])
    return _HALF_SCALE_NOISE_RATIO


def _two_scale_noise(plane: np.ndarray) -> float:
    """White-noise std of one plane, with the image's own fine structure subtracted.

    The finest wavelet band holds noise and fine structure alike (so Donoho's estimate reads
    textured clean images as noisy). Measured again after a x1/2 bicubic resize, white noise
    drops by a known ratio ``g`` while natural structure, being roughly scale invariant, keeps
    its strength: with ``s1^2 = n^2 + t^2`` and ``s2^2 = g^2 n^2 + t^2``,
    ``n^2 = (s1^2 - s2^2) / (1 - g^2)``.
    """
    from blindsr.degradations.resize import imresize

    g = _downscale_noise_ratio()
    s1 = _finest_band_std(plane)
    s2 = _finest_band_std(imresize(plane[..., None], 0.5)[..., 0])
    return float(np.sqrt(max(0.0, s1 * s1 - s2 * s2) / (1.0 - g * g)))


def estimate_noise_level(image: np.ndarray) -> tuple[float, str]:
    """Per-channel std of additive white noise in an image ([0, 1] scale), robust to texture.

    Colour images are judged on two chroma planes, ``(R - G) / sqrt 2`` and ``(R + G - 2 B) /
    sqrt 6``: noise drawn independently per channel keeps its std there while natural
    structure, mostly shared by the channels, largely cancels. Grey images (and colour images
    whose channels are equal) are judged on the luminance, where fine texture competes with the
    noise and the estimate is less certain. Both use a two-scale wavelet estimate
    (:func:`_two_scale_noise`). JPEG compression is not white noise and reads close to 0.

    Returns:
        ``(sigma, plane)`` with ``plane`` ``'chroma'`` or ``'luminance'`` (the thresholds that
        separate clean from noisy differ: see ``blindsr.pipeline``).
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or min(img.shape[:2]) < 16:
        raise ValueError(f"expected an H x W (x C) image of at least 16 x 16, got {img.shape}")
    if img.shape[2] >= 3:
        r, g, b = img[..., 0], img[..., 1], img[..., 2]
        planes = [(r - g) / np.sqrt(2.0), (r + g - 2.0 * b) / np.sqrt(6.0)]
        if max(float(np.abs(p).max()) for p in planes) > 0:
            return float(np.mean([_two_scale_noise(p) for p in planes])), "chroma"
        return _two_scale_noise(r), "luminance"
    return _two_scale_noise(img[..., 0]), "luminance"
