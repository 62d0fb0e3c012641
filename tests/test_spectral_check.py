"""The scale-invariance residual on images whose spectrum is an exact power law."""

from __future__ import annotations

import numpy as np
import pytest
from blindsr.degradations import downscale
from blindsr.degradations.kernels import anisotropic_gaussian, bicubic_kernel
from blindsr.kernel_estimation.spectral_check import spectral_residual


def power_law_image(size: int, gamma: float, seed: int) -> np.ndarray:
    """Random-phase image with power spectrum |w|^-gamma (scale-invariant by construction)."""
    rng = np.random.default_rng(seed)
    f = np.fft.fftfreq(size)
    radius = np.hypot(*np.meshgrid(f, f, indexing="ij"))
    radius[0, 0] = 1.0
    spectrum = radius ** (-gamma / 2) * np.exp(2j * np.pi * rng.random((size, size)))
    image = np.real(np.fft.ifft2(spectrum))
    return (image - image.min()) / (image.max() - image.min())


@pytest.mark.parametrize("variances", [(0.6, 0.8), (2.0, 2.0), (1.0, 3.5)])
def test_the_true_kernel_scores_best(variances):
    hr = power_law_image(512, 2.0, seed=1)
    true = anisotropic_gaussian(13, variances, 0.4)
    lr = downscale(hr, true, 2)
    score = {
        name: spectral_residual(lr, k, 2)
        for name, k in {
            "true": true,
            "narrower": anisotropic_gaussian(13, tuple(v / 3 for v in variances), 0.4),
            "wider": anisotropic_gaussian(13, tuple(v * 3 for v in variances), 0.4),
        }.items()
    }
    assert score["true"] < score["narrower"] and score["true"] < score["wider"], score


def test_the_power_law_exponent_does_not_matter():
    k = bicubic_kernel(2)
    wide = anisotropic_gaussian(13, (3.0, 3.0), 0.0)
    for gamma in (1.5, 2.5):
        lr = downscale(power_law_image(512, gamma, seed=2), k, 2)
        assert spectral_residual(lr, k, 2) < spectral_residual(lr, wide, 2)


def test_too_small_image_is_rejected():
    with pytest.raises(ValueError, match="too small"):
        spectral_residual(np.zeros((60, 200)), bicubic_kernel(2), 2)
