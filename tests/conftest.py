"""Shared fixtures: small natural images from scikit-image (bundled, no download)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import data

# Tests use tiny tensors: one thread is as fast, deterministic, and never oversubscribes the CPU.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def rgb_image() -> np.ndarray:
    """96x120 RGB crop of skimage's astronaut, float32 [0, 1]."""
    return (data.astronaut()[100:196, 180:300].astype(np.float32) / 255.0).copy()


@pytest.fixture(scope="session")
def grey_image() -> np.ndarray:
    """96x96x1 crop of skimage's camera, float32 [0, 1]."""
    return (data.camera()[150:246, 200:296, None].astype(np.float32) / 255.0).copy()


@pytest.fixture(scope="session")
def smooth_image() -> np.ndarray:
    """A band-limited random texture (for sub-pixel alignment measurements)."""
    from scipy import ndimage

    rng = np.random.default_rng(7)
    noise = rng.normal(size=(192, 192))
    img = ndimage.gaussian_filter(noise, 3.0)
    img = (img - img.min()) / (img.max() - img.min())
    return img.astype(np.float32)
