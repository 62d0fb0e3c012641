"""blindsr: blind super-resolution (cross-scale kernel estimation + ZSSR) with paper-exact metrics.

Public API (numpy ``H x W x C`` float32 RGB/grey images in [0, 1]):

* :func:`read_image`, :func:`write_image`, :func:`read_kernel`, :func:`write_kernel`
* :func:`degradations.downscale` -- the one degradation operator
* :func:`eval.metrics.psnr`, :func:`eval.metrics.ssim` -- paper protocol
"""

from importlib.metadata import PackageNotFoundError, version

from blindsr.image_io import read_image, write_image
from blindsr.kernel_io import read_kernel, write_kernel

try:
    __version__ = version("blindsr")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = ["__version__", "read_image", "write_image", "read_kernel", "write_kernel"]


def super_resolve(*args, **kwargs):
    """Lazy wrapper of :func:`blindsr.api.super_resolve` (keeps ``import blindsr`` light)."""
    from blindsr.api import super_resolve as _super_resolve

    return _super_resolve(*args, **kwargs)


__all__ += ["super_resolve"]
