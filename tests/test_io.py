import warnings

import cv2
import numpy as np
import pytest
import scipy.io
from blindsr.degradations.kernels import random_table2_kernel

from blindsr.image_io import read_image, read_image_with_depth, write_image
from blindsr.kernel_io import read_kernel, write_kernel, write_kernel_picture


def test_rgb_round_trip_is_rgb_and_exact(tmp_path, rgb_image):
    path = write_image(tmp_path / "a.png", rgb_image)
    back, depth = read_image_with_depth(path)
    assert depth == 8 and back.dtype == np.float32 and back.shape == rgb_image.shape
    np.testing.assert_allclose(back, np.round(rgb_image * 255) / 255, atol=1e-7)
    # channel order: cv2 reads BGR, so the red plane of our file is the last cv2 plane
    raw = cv2.imread(str(path))
    np.testing.assert_array_equal(raw[..., 2], np.round(rgb_image[..., 0] * 255))


def test_writer_rounds_not_truncates(tmp_path):
    img = np.full((4, 4, 3), 0.999, dtype=np.float32)  # 254.745 -> 255, truncation gives 254
    assert read_image(write_image(tmp_path / "r.png", img)).max() == 1.0


def test_grey_and_16bit_are_preserved(tmp_path, grey_image):
    p8 = write_image(tmp_path / "g.png", grey_image)
    assert read_image(p8).shape == (96, 96, 1)
    p16 = write_image(tmp_path / "g16.png", grey_image, bit_depth=16)
    back, depth = read_image_with_depth(p16)
    assert depth == 16 and cv2.imread(str(p16), cv2.IMREAD_UNCHANGED).dtype == np.uint16
    np.testing.assert_allclose(back, grey_image, atol=1 / 65535)


def test_alpha_is_dropped_with_warning_only_when_transparent(tmp_path):
    rgba = np.zeros((5, 6, 4), np.uint8)
    rgba[..., 2] = 200  # red in BGRA
    rgba[..., 3] = 255
    cv2.imwrite(str(tmp_path / "opaque.png"), rgba)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an opaque alpha (every DIV2KRK LR) says nothing
        img = read_image(tmp_path / "opaque.png")
    assert img.shape == (5, 6, 3) and np.allclose(img[..., 0], 200 / 255)
    rgba[0, 0, 3] = 254
    cv2.imwrite(str(tmp_path / "a.png"), rgba)
    with pytest.warns(UserWarning, match="alpha"):
        img = read_image(tmp_path / "a.png")
    assert img.shape == (5, 6, 3)


def test_missing_and_corrupt_images(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_image(tmp_path / "nope.png")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="readable"):
        read_image(tmp_path / "bad.png")


def test_failed_write_leaves_no_file(tmp_path):
    with pytest.raises(ValueError):
        write_image(tmp_path / "x.png", np.full((3, 3), np.nan))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix,tol", [(".mat", 1e-7), (".npy", 1e-7), (".png", 2e-5)])
def test_kernel_round_trip(tmp_path, suffix, tol):
    k = random_table2_kernel(np.random.default_rng(0), 2)
    back = read_kernel(write_kernel(tmp_path / f"k{suffix}", k))
    assert back.shape == k.shape and abs(back.sum() - 1) < 1e-9
    np.testing.assert_allclose(back, k, atol=tol)


def test_mat_is_written_with_key_Kernel(tmp_path):
    write_kernel(tmp_path / "k.mat", np.ones((3, 3)))
    assert "Kernel" in scipy.io.loadmat(tmp_path / "k.mat")


@pytest.mark.parametrize("key", ["ker", "kernel", "k", "whatever"])
def test_mat_key_lookup(tmp_path, key):
    scipy.io.savemat(tmp_path / "k.mat", {key: np.ones((5, 5)) / 25})
    assert read_kernel(tmp_path / "k.mat").shape == (5, 5)


def test_mat_without_a_kernel_is_an_error(tmp_path):
    scipy.io.savemat(tmp_path / "k.mat", {"a": np.ones((3, 3)), "b": np.ones((4, 4))})
    with pytest.raises(ValueError, match="Kernel"):
        read_kernel(tmp_path / "k.mat")


def test_unnormalised_kernel_warns_and_is_normalised(tmp_path):
    np.save(tmp_path / "k.npy", np.ones((3, 3)))
    with pytest.warns(UserWarning, match="sums to 9"):
        k = read_kernel(tmp_path / "k.npy")
    assert abs(k.sum() - 1) < 1e-12
    np.save(tmp_path / "ok.npy", np.ones((3, 3)) / 9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_kernel(tmp_path / "ok.npy")


@pytest.mark.parametrize("bad", [np.full((3, 3), np.inf), np.zeros((3, 3)), np.ones((2, 2, 2))])
def test_invalid_kernels_are_rejected(tmp_path, bad):
    np.save(tmp_path / "k.npy", bad)
    with pytest.raises(ValueError):
        read_kernel(tmp_path / "k.npy")


def test_corrupt_and_missing_kernel_files(tmp_path):
    (tmp_path / "k.mat").write_bytes(b"garbage")
    with pytest.raises(ValueError):
        read_kernel(tmp_path / "k.mat")
    with pytest.raises(FileNotFoundError):
        read_kernel(tmp_path / "missing.mat")
    (tmp_path / "k.txt").write_text("1")
    with pytest.raises(ValueError, match="format"):
        read_kernel(tmp_path / "k.txt")


def _centroid(mask: np.ndarray) -> tuple[float, float]:
    rows, cols = np.nonzero(mask)
    return float(rows.mean()), float(cols.mean())


@pytest.mark.parametrize("scale", [2, 4])
def test_kernel_picture_marks_the_centre_of_mass_and_the_convention_centre(tmp_path, scale):
    from blindsr.kernel_io import _LEFT, _TOP, kernel_picture

    k = np.zeros((11, 11))
    k[2, 7] = 1.0  # far from both centres, so the two markers do not overlap
    cell = 16
    pic = kernel_picture(k, np.ones((5, 5)), titles=["estimated", "true"], scale=scale, cell=cell)
    panel = pic[_TOP : _TOP + 11 * cell, _LEFT : _LEFT + 11 * cell].astype(int)
    red = (panel[..., 0] > 180) & (panel[..., 1] < 90) & (panel[..., 2] < 90)
    white = panel.min(axis=2) > 235
    r, c = _centroid(red)
    assert abs(r - 2.5 * cell) < 2 and abs(c - 7.5 * cell) < 2
    conv = 11 // 2 + (scale - 1) / 2  # degradations.kernels: where downscale wants the mass
    r, c = _centroid(white)
    assert abs(r - (conv + 0.5) * cell) < 2 and abs(c - (conv + 0.5) * cell) < 2
    # The second panel shares the colour scale: its flat 5x5 kernel (1/25 per tap against a
    # peak of 1) is dark, not the top of the map.
    second = pic[_TOP + 5 * cell, _LEFT + 11 * cell + 16 + 5 * cell]
    assert second.max() < 120


def test_a_kernel_picture_is_refused_as_a_kernel_with_a_pointer_to_the_mat(tmp_path):
    k = random_table2_kernel(np.random.default_rng(0), 2)
    p = write_kernel_picture(tmp_path / "pic.png", k, scale=2)
    with pytest.raises(ValueError, match=r"picture of a kernel.*\.mat"):
        read_kernel(p)
    # an RGB PNG from elsewhere (no tag) is refused the same way
    cv2.imwrite(str(tmp_path / "rgb.png"), np.zeros((9, 9, 3), np.uint8))
    with pytest.raises(ValueError, match=r"\.mat"):
        read_kernel(tmp_path / "rgb.png")


def test_written_files_get_normal_permissions(tmp_path, rgb_image):
    import os

    umask = os.umask(0)
    os.umask(umask)
    mode = write_image(tmp_path / "p.png", rgb_image).stat().st_mode & 0o777
    assert mode == 0o666 & ~umask
