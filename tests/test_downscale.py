import numpy as np
import pytest
from blindsr.degradations import bicubic_kernel, downscale, imresize, modcrop, shift_kernel
from blindsr.degradations.kernels import anisotropic_gaussian, center_of_mass, random_table2_kernel
from scipy import ndimage
from skimage.registration import phase_cross_correlation


def reference_operator(hr, kernel, s):
    """Independent, literal transcription of the operator in docs/conventions.md for odd kernels."""
    k = kernel / kernel.sum()
    size = k.shape[0]
    com = np.array(ndimage.center_of_mass(k))
    wanted = size // 2 + 0.5 * (s - size % 2)
    shift = wanted - com
    pad = int(np.ceil(np.abs(shift).max())) + 1
    k = ndimage.shift(np.pad(k, pad), shift)
    h, w = hr.shape[:2]
    rows = np.round(np.linspace(0, h - s, int(np.ceil(h / s)))).astype(int)
    cols = np.round(np.linspace(0, w - s, int(np.ceil(w / s)))).astype(int)
    out = [
        ndimage.correlate(hr[..., c].astype(np.float64), k, mode="reflect")[np.ix_(rows, cols)]
        for c in range(hr.shape[2])
    ]
    return np.stack(out, -1)


def psnr01(a, b):
    return 10 * np.log10(1.0 / np.mean((np.asarray(a, np.float64) - b) ** 2))


@pytest.mark.parametrize("s", [2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1])
def test_agrees_with_independent_implementation(rgb_image, s, seed):
    rng = np.random.default_rng(seed)
    k = random_table2_kernel(rng, s)
    hr = rgb_image[: rgb_image.shape[0] - 1]  # also a height not divisible by s
    assert psnr01(downscale(hr, k, s), reference_operator(hr, k, s)) > 60


@pytest.mark.parametrize("s", [2, 3, 4])
@pytest.mark.parametrize("size", [13, 12])
def test_bicubic_upsampled_lr_is_aligned_with_hr(smooth_image, s, size):
    sigma = 0.6 * s
    k = anisotropic_gaussian(
        size, (sigma**2, sigma**2), 0.0, centre=((size - 1) / 2, (size - 1) / 2)
    )
    hr = modcrop(smooth_image, s)
    up = imresize(downscale(hr, k, s), s)
    m = 24
    shift, _, _ = phase_cross_correlation(hr[m:-m, m:-m], up[m:-m, m:-m], upsample_factor=100)
    assert np.all(np.abs(shift) <= 0.05), shift


def test_delta_kernel_is_decimation_at_block_centre(rgb_image):
    delta = np.zeros((7, 7))
    delta[3, 3] = 1
    hr = modcrop(rgb_image, 3)
    np.testing.assert_allclose(downscale(hr, delta, 3), hr[1::3, 1::3], atol=1e-5)


def test_no_kernel_is_matlab_bicubic(rgb_image):
    np.testing.assert_array_equal(downscale(rgb_image, None, 2), imresize(rgb_image, 0.5))


def test_bicubic_kernel_reproduces_imresize(rgb_image):
    for s in (2, 4):
        hr = modcrop(rgb_image, s)
        np.testing.assert_allclose(
            downscale(hr, bicubic_kernel(s), s), imresize(hr, 1 / s), atol=1e-5
        )


def test_shift_kernel_centre_of_mass_convention():
    k = anisotropic_gaussian(11, (2.0, 1.0), 0.3)
    for s in (2, 3, 4):
        shifted = shift_kernel(k, s)
        n = shifted.shape[0]
        np.testing.assert_allclose(center_of_mass(shifted), [n // 2 + 0.5 * (s - 1)] * 2, atol=1e-3)
        assert abs(shifted.sum() - 1) < 1e-9


def test_grey_and_2d_inputs_keep_layout(grey_image):
    k = random_table2_kernel(np.random.default_rng(3), 2)
    assert downscale(grey_image, k, 2).shape == (48, 48, 1)
    assert downscale(grey_image[..., 0], k, 2).shape == (48, 48)


def test_non_integer_and_anisotropic_scales(rgb_image):
    k = random_table2_kernel(np.random.default_rng(4), 2)
    assert downscale(rgb_image, k, 1.5).shape == (64, 80, 3)
    assert downscale(rgb_image, k, (2, 1.5)).shape == (48, 80, 3)


@pytest.mark.parametrize("bad", [1, 0.5, 0, float("inf")])
def test_bad_scale_raises(rgb_image, bad):
    with pytest.raises(ValueError, match="factor"):
        downscale(rgb_image, None, bad)


@pytest.mark.parametrize(
    "kernel,match",
    [
        (np.full((3, 3), np.nan), "non-finite"),
        (np.zeros((3, 3)), "positive mass"),
        (-np.ones((3, 3)), "positive mass"),
        (np.ones(5), "2-D"),
    ],
)
def test_bad_kernels_raise(rgb_image, kernel, match):
    with pytest.raises(ValueError, match=match):
        downscale(rgb_image, kernel, 2)


@pytest.mark.parametrize("shape", [(37, 29, 3), (5, 7, 1), (2, 9, 2)])
@pytest.mark.parametrize("scale", [2, 3, 1.5, (2.0, 1.5)])
def test_fft_correlation_equals_direct_correlation(shape, scale):
    """The FFT path equals scipy's direct correlate-then-sample, even when the kernel is wider
    than the image (repeated half-sample-symmetric reflections)."""
    from blindsr.degradations.downscale import downscale_with_shifted_kernel, sample_grid

    rng = np.random.default_rng(7)
    img = rng.random(shape)
    pair = scale if isinstance(scale, tuple) else (float(scale), float(scale))
    k = shift_kernel(random_table2_kernel(rng, 2), pair)
    rows, cols = sample_grid(shape[0], pair[0]), sample_grid(shape[1], pair[1])
    direct = np.stack(
        [
            ndimage.correlate(img[..., c], k, mode="reflect")[np.ix_(rows, cols)]
            for c in range(shape[2])
        ],
        axis=-1,
    )
    np.testing.assert_allclose(downscale_with_shifted_kernel(img, k, scale), direct, atol=1e-6)
