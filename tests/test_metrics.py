import math

import numpy as np
import pytest
from blindsr.eval.metrics import psnr, rgb_to_y, ssim
from scipy import ndimage


def wang_ssim(a, b):
    """Independent 'valid'-window SSIM (Wang et al. 2004, ssim_index.m) on float64 arrays."""
    x = np.arange(11) - 5
    g = np.exp(-(x**2) / (2 * 1.5**2))
    w = np.outer(g, g)
    w /= w.sum()

    def filt(z):
        return ndimage.correlate(z, w)[5:-5, 5:-5]

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = filt(a), filt(b)
    saa = filt(a * a) - mu_a**2
    sbb = filt(b * b) - mu_b**2
    sab = filt(a * b) - mu_a * mu_b
    m = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a**2 + mu_b**2 + c1) * (saa + sbb + c2))
    return m.mean()


def noisy(img, sigma, seed=0):
    return np.clip(img + np.random.default_rng(seed).normal(0, sigma, img.shape), 0, 1)


def test_identity_gives_inf_and_one(rgb_image):
    assert psnr(rgb_image, rgb_image, scale=2) == math.inf
    assert ssim(rgb_image, rgb_image, scale=2) == pytest.approx(1.0)


def test_symmetry(rgb_image):
    other = noisy(rgb_image, 0.05)
    assert psnr(rgb_image, other, scale=2) == pytest.approx(psnr(other, rgb_image, scale=2))
    assert ssim(rgb_image, other, scale=2) == pytest.approx(ssim(other, rgb_image, scale=2))


def test_closed_form_constant_offset():
    # Grey images: a uniform difference of d grey levels gives PSNR = 20 log10(255 / d).
    a = np.full((32, 32, 1), 100 / 255)
    b = np.full((32, 32, 1), 110 / 255)
    assert psnr(a, b, scale=2) == pytest.approx(20 * math.log10(255 / 10), abs=1e-9)


def test_y_is_matlab_rgb2ycbcr():
    rgb = np.array([[[255, 255, 255], [0, 0, 0], [255, 0, 0]]], dtype=np.float64)
    np.testing.assert_allclose(rgb_to_y(rgb, round_y=False)[0], [235.0, 16.0, 16 + 65.481])
    assert rgb_to_y(rgb)[0, 2] == 81.0


def test_protocol_against_independent_computation(rgb_image):
    sr = noisy(rgb_image, 0.03, seed=1)
    q = lambda z: np.round(np.clip(np.float64(z), 0, 1) * 255)  # noqa: E731
    ya, yb = (
        np.round(16 + (65.481 * z[..., 0] + 128.553 * z[..., 1] + 24.966 * z[..., 2]) / 255)
        for z in (q(sr), q(rgb_image))
    )
    ya, yb = ya[2:-2, 2:-2], yb[2:-2, 2:-2]
    ref_psnr = 10 * np.log10(255**2 / np.mean((ya - yb) ** 2))
    assert psnr(sr, rgb_image, scale=2) == pytest.approx(ref_psnr, abs=1e-9)
    assert ssim(sr, rgb_image, scale=2) == pytest.approx(wang_ssim(ya, yb), abs=1e-9)


def test_round_y_option_changes_result_slightly(rgb_image):
    sr = noisy(rgb_image, 0.03, seed=2)
    a, b = psnr(sr, rgb_image, scale=2), psnr(sr, rgb_image, scale=2, round_y=False)
    assert a != b and abs(a - b) < 0.1


def test_quantisation_rounds_before_scoring(rgb_image):
    # Differences below half a grey level vanish after uint8 rounding.
    tiny = rgb_image + 0.4 / 255
    assert psnr(np.round(rgb_image * 255) / 255, np.round(rgb_image * 255) / 255 + 0.0) == math.inf
    assert (
        psnr(np.round(rgb_image * 255) / 255 + 0.4 / 255, np.round(rgb_image * 255) / 255)
        == math.inf
    )
    assert np.isfinite(psnr(tiny, rgb_image + 0.6 / 255))


def test_shape_mismatch_and_over_shave(rgb_image):
    with pytest.raises(ValueError, match="shapes differ"):
        psnr(rgb_image, rgb_image[1:])
    with pytest.raises(ValueError, match="shave"):
        psnr(rgb_image, rgb_image, shave=60)
