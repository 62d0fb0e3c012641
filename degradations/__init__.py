"""Degradation model: MATLAB-exact resize, the kernel downscale operator, noise, JPEG."""

from blindsr.degradations.downscale import downscale, modcrop
from blindsr.degradations.jpeg import jpeg_compress
from blindsr.degradations.kernels import (
    bicubic_kernel,
    compose_kernels,
    normalize_kernel,
    random_div2krk_kernel,
    random_table2_kernel,
    shift_kernel,
)
from blindsr.degradations.noise import add_gaussian_noise, add_speckle_noise
from blindsr.degradations.resize import imresize, imresize_torch

__all__ = [
    "add_gaussian_noise",
    "add_speckle_noise",
    "bicubic_kernel",
    "compose_kernels",
    "downscale",
    "imresize",
    "imresize_torch",
    "jpeg_compress",
    "modcrop",
    "normalize_kernel",
    "random_div2krk_kernel",
    "random_table2_kernel",
    "shift_kernel",
]
