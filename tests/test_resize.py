from pathlib import Path

import numpy as np
import pytest
import torch
from blindsr.degradations.resize import imresize, imresize_torch, output_shape_for

GOLDEN = np.load(Path(__file__).parent / "fixtures" / "imresize_golden.npz")


@pytest.mark.parametrize("name,scale", [("x0_5", 0.5), ("x0_25", 0.25), ("x2", 2.0), ("x3", 3.0)])
def test_matches_golden_matlab_values(name, scale):
    # Golden values from an independent MATLAB-imresize implementation (see fixtures/README.md).
    out = imresize(GOLDEN["image"], scale)
    assert out.shape == GOLDEN[name].shape
    np.testing.assert_allclose(out, GOLDEN[name], atol=1e-5)


def test_torch_backend_matches_numpy(rgb_image):
    x = torch.from_numpy(rgb_image).permute(2, 0, 1)[None]
    for scale in (0.5, 0.25, 2.0, (1.5, 2.0), 1 / 3):
        ref = imresize(rgb_image, scale)
        got = imresize_torch(x, scale)[0].permute(1, 2, 0).numpy()
        np.testing.assert_allclose(got, ref, atol=1e-5)


def test_constant_image_stays_constant():
    img = np.full((17, 23), 0.3)
    for scale in (0.5, 0.25, 2, 3, 1.7):
        np.testing.assert_allclose(imresize(img, scale), 0.3, atol=1e-6)


def test_output_shape_is_ceil_and_both_scale_and_shape_are_accepted():
    assert output_shape_for((13, 17), 0.5) == (7, 9)
    assert imresize(np.zeros((10, 10)), 2, output_shape=(21, 19)).shape == (21, 19)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), (1, 2, 3)])
def test_bad_scale_raises(bad):
    with pytest.raises(ValueError):
        imresize(np.zeros((4, 4)), bad)
