import numpy as np
import pytest
from blindsr.degradations import compose_kernels, downscale, modcrop
from blindsr.degradations.kernels import (
    anisotropic_gaussian,
    bicubic_kernel,
    center_of_mass,
    effective_area,
    kernel_seed,
    random_div2krk_kernel,
    random_table2_kernel,
    second_moments,
)


def covariance(k):
    r, c = np.indices(k.shape)
    cy, cx = center_of_mass(k)
    dy, dx = r - cy, c - cx
    return np.array(
        [[(k * dy * dy).sum(), (k * dy * dx).sum()], [(k * dy * dx).sum(), (k * dx * dx).sum()]]
    )


def test_table2_kernels_are_seeded_normalised_and_in_range():
    a = random_table2_kernel(np.random.default_rng(5), 2)
    b = random_table2_kernel(np.random.default_rng(5), 2)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (11, 11) and abs(a.sum() - 1) < 1e-12 and a.min() >= 0
    for seed in range(20):
        eig = np.linalg.eigvalsh(covariance(random_table2_kernel(np.random.default_rng(seed), 2)))
        assert eig.min() > 0.05 and eig.max() < 4.0 + 1e-6  # variances in [floor, s^2], truncated


def test_div2krk_kernel_shape_and_noise():
    k = random_div2krk_kernel(np.random.default_rng(1), 2)
    assert k.shape == (11, 11) and abs(k.sum() - 1) < 1e-12 and k.min() >= 0


def test_kernel_seed_depends_on_seed_and_name():
    assert kernel_seed(0, "3096") == kernel_seed(0, "3096")
    assert kernel_seed(0, "3096") != kernel_seed(1, "3096")
    assert kernel_seed(0, "3096") != kernel_seed(0, "8023")


def test_composition_equals_applying_twice(rgb_image):
    rng = np.random.default_rng(2)
    k1, k2 = random_table2_kernel(rng, 2, size=7), random_table2_kernel(rng, 2, size=7)
    hr = modcrop(rgb_image, 4)
    twice = downscale(downscale(hr, k1, 2), k2, 2)
    once = downscale(hr, compose_kernels(k1, k2, 2), 4)
    m = 4  # borders differ (reflection happens at two different scales)
    err = np.abs(twice - once)[m:-m, m:-m]
    assert err.max() < 2e-3


def test_bicubic_kernel_is_normalised_and_centred():
    for s in (2, 3, 4):
        k = bicubic_kernel(s)
        assert abs(k.sum() - 1) < 1e-12
        np.testing.assert_allclose(
            center_of_mass(k), [k.shape[0] // 2 + 0.5 * (s - 1)] * 2, atol=1e-9
        )


def test_bicubic_kernel_rejects_scale_one():
    with pytest.raises(ValueError):
        bicubic_kernel(1)


def test_second_moments_of_a_gaussian_are_its_covariance():
    # (row, col) order: anisotropic_gaussian's theta rotates in (x, y) = (col, row).
    l1, l2, theta = 3.0, 0.8, 0.4
    k = anisotropic_gaussian(31, (l1, l2), theta, centre=(15.5, 14.0))
    c, s = np.cos(theta), np.sin(theta)
    cov_xy = np.array([[c, -s], [s, c]]) @ np.diag([l1, l2]) @ np.array([[c, s], [-s, c]])
    np.testing.assert_allclose(second_moments(k), cov_xy[::-1, ::-1], atol=1e-6)
    # Negative taps are clipped (bicubic's lobes would otherwise cancel its variance).
    assert np.all(np.diag(second_moments(bicubic_kernel(2))) > 0.3)


def test_effective_area_of_gaussians_is_closed_form_and_orientation_free():
    # A sampled Gaussian on a large grid has sum(k^2) = 1 / (4 pi sqrt(l1 l2)).
    for variances, theta in [((1.0, 1.0), 0.0), ((0.8, 3.0), 0.4), ((3.0, 0.8), 1.9)]:
        k = anisotropic_gaussian(31, variances, theta)
        expected = 4 * np.pi * np.sqrt(variances[0] * variances[1])
        assert effective_area(k) == pytest.approx(expected, rel=1e-3)
    assert effective_area(np.pad(np.ones((1, 1)), 3)) == pytest.approx(1.0)
    # Bicubic x2 blurs like a Gaussian of variance ~0.5 px^2 per axis (area 4 pi 0.5).
    assert effective_area(bicubic_kernel(2)) == pytest.approx(2 * np.pi, rel=0.05)
    with pytest.raises(ValueError, match="kernel"):
        effective_area(np.zeros((3, 3)))
