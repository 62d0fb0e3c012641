import numpy as np
import pytest
from blindsr.degradations import add_gaussian_noise, add_speckle_noise, jpeg_compress


def test_gaussian_noise_statistics_and_seed():
    img = np.full((200, 200, 3), 0.5, np.float32)
    a = add_gaussian_noise(img, 0.05, np.random.default_rng(0), quantize=False)
    b = add_gaussian_noise(img, 0.05, np.random.default_rng(0), quantize=False)
    np.testing.assert_array_equal(a, b)
    assert abs((a - img).std() - 0.05) < 0.002 and abs((a - img).mean()) < 0.002


def test_outputs_are_clipped_and_quantised():
    img = np.full((50, 50), 0.98, np.float32)
    out = add_gaussian_noise(img, 0.1, np.random.default_rng(1))
    assert out.max() <= 1 and out.min() >= 0
    np.testing.assert_allclose(out * 255, np.round(out * 255), atol=1e-4)


@pytest.mark.parametrize("dist", ["gaussian", "uniform"])
def test_speckle_is_multiplicative_with_given_std(dist):
    img = np.full((300, 300), 0.4, np.float32)
    out = add_speckle_noise(img, 0.05, np.random.default_rng(2), distribution=dist, quantize=False)
    rel = out / img - 1
    assert abs(rel.std() - 0.05) < 0.002
    assert np.all(add_speckle_noise(np.zeros((5, 5)), 0.05, np.random.default_rng(0)) == 0)


def test_jpeg_round_trip_loses_quality_monotonically(rgb_image):
    err = [np.abs(jpeg_compress(rgb_image, q) - rgb_image).mean() for q in (20, 45, 95)]
    assert err[0] > err[1] > err[2]
    assert jpeg_compress(rgb_image[..., :1], 45).shape == rgb_image[..., :1].shape


@pytest.mark.parametrize("q", [0, 101, 45.5, True])
def test_jpeg_quality_validation(rgb_image, q):
    with pytest.raises(ValueError):
        jpeg_compress(rgb_image, q)


def test_noise_level_reads_white_noise_and_not_smooth_content():
    from blindsr.degradations.noise import estimate_noise_level

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:128, 0:128] / 128.0
    smooth = np.stack([0.2 + 0.6 * xx, 0.3 + 0.4 * yy, 0.5 + 0.2 * xx * yy], axis=-1)
    assert estimate_noise_level(smooth) == (pytest.approx(0.0, abs=0.002), "chroma")
    for sigma in (0.01, 0.05):
        noisy = smooth + rng.normal(0, sigma, smooth.shape)
        level, plane = estimate_noise_level(noisy)
        assert plane == "chroma" and abs(level - sigma) < 0.1 * sigma
    level, plane = estimate_noise_level(noisy[..., 0])  # grey: judged on the luminance
    assert plane == "luminance" and abs(level - 0.05) < 0.1 * 0.05
    with pytest.raises(ValueError, match="16 x 16"):
        estimate_noise_level(np.zeros((8, 64)))
