"""eval/kernel_metrics.py: kernel error after alignment, LR-reproduction PSNR."""

from __future__ import annotations

import math

import numpy as np
import pytest
from blindsr.degradations import downscale
from blindsr.degradations.kernels import anisotropic_gaussian, bicubic_kernel, center_of_mass
from blindsr.eval.kernel_metrics import align_kernels, kernel_error, lr_reproduction_psnr


def test_identical_kernels_have_zero_error_and_infinite_psnr():
    k = anisotropic_gaussian(11, (2.0, 0.7), 0.4)
    err = kernel_error(k, k)
    assert err["l2"] == 0 and err["l1"] == 0 and err["mse"] == 0 and err["psnr"] == math.inf


def test_shifted_and_padded_copies_have_zero_error():
    k = anisotropic_gaussian(9, (1.5, 0.8), 1.1)
    moved = np.zeros((17, 15))
    moved[5:14, 2:11] = 3.0 * k  # other size, other place, other total mass
    err = kernel_error(moved, k)
    assert err["l2"] < 1e-12 and err["psnr"] == math.inf


def test_sub_pixel_shift_is_aligned_away():
    k = anisotropic_gaussian(15, (2.0, 1.0), 0.3)
    half = anisotropic_gaussian(15, (2.0, 1.0), 0.3, centre=(7.5, 7.0))
    # Only the cubic-spline interpolation residue of a half-pixel shift is left: under 2% of
    # the kernel's norm (estimation errors are 10-40%).
    assert kernel_error(half, k)["l2"] < 0.02 * np.linalg.norm(k)
    est, ref = align_kernels(half, k)
    np.testing.assert_allclose(center_of_mass(est), center_of_mass(ref), atol=1e-6)


def test_closed_form_delta_versus_box():
    box = np.full((3, 3), 1.0 / 9.0)
    err = kernel_error(np.ones((1, 1)), box)
    sse = (1 - 1 / 9) ** 2 + 8 / 81  # = 8/9
    assert err["l2"] == pytest.approx(math.sqrt(sse))
    assert err["l1"] == pytest.approx(16 / 9)
    assert err["mse"] == pytest.approx(sse / 9)  # per tap of the true (3x3) kernel
    assert err["psnr"] == pytest.approx(10 * math.log10(81 / 8))


def test_kernel_error_rejects_non_kernels():
    with pytest.raises(ValueError, match="estimated kernel"):
        kernel_error(np.zeros((3, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="true kernel"):
        kernel_error(np.ones((3, 3)), np.ones(3))


def test_lr_reproduction_psnr_true_kernel_is_exact_and_offset_closed_form(rgb_image):
    k = anisotropic_gaussian(11, (1.3, 2.2), 0.2)
    lr = downscale(rgb_image, k, 2)
    assert lr_reproduction_psnr(rgb_image, k, lr, 2) == math.inf
    # A constant 0.01 offset on pixels away from 0 and 1: MSE = 1e-4 -> exactly 40 dB.
    grey = np.full((40, 48), 0.5, dtype=np.float32)
    lr_grey = downscale(grey, k, 2)
    assert lr_reproduction_psnr(grey, k, lr_grey + 0.01, 2) == pytest.approx(40.0, abs=1e-4)
    # Grey images may come as HxW or HxWx1.
    assert lr_reproduction_psnr(grey, k, lr_grey[..., None] + 0.01, 2) == pytest.approx(
        40.0, abs=1e-4
    )


def test_lr_reproduction_prefers_the_right_kernel(rgb_image):
    k = anisotropic_gaussian(11, (2.5, 2.5), 0.0)
    lr = np.round(np.clip(downscale(rgb_image, k, 2), 0, 1) * 255) / 255
    assert lr_reproduction_psnr(rgb_image, k, lr, 2) > 50
    assert lr_reproduction_psnr(rgb_image, bicubic_kernel(2), lr, 2) < 40


def test_lr_reproduction_psnr_errors(rgb_image):
    k = bicubic_kernel(2)
    with pytest.raises(ValueError, match="shape"):
        lr_reproduction_psnr(rgb_image, k, np.zeros((10, 10, 3)), 2)
    with pytest.raises(ValueError, match="shave"):
        lr_reproduction_psnr(rgb_image, k, downscale(rgb_image, k, 2), 2, shave=40)
