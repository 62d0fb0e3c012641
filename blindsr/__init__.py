"""blindsr: blind super-resolution (cross-scale kernel estimation + ZSSR) with paper-exact metrics.

Public API (numpy ``H x W x C`` float32 RGB/grey images in [0, 1]):

* :func:`read_image`, :func:`write_image`, :func:`read_kernel`, :func:`write_kernel`
* :func:`estimate_kernel` -- the image's SR kernel and a trust verdict
* :func:`super_resolve` -- ZSSR trained on the image itself
* :func:`degradations.downscale` -- the one degradation operator
* :func:`eval.metrics.psnr`, :func:`eval.metrics.ssim` -- paper protocol
"""

from blindsr._version import __version__
from blindsr.image_io import read_image, write_image
from blindsr.kernel_io import read_kernel, write_kernel

__all__ = [
    "__version__",
    "read_image",
    "write_image",
    "read_kernel",
    "write_kernel",
    "estimate_kernel",
    "super_resolve",
]


def __getattr__(name: str):
    # torch is imported only when the heavy API is first used, so `import blindsr` stays quick.
    if name in ("estimate_kernel", "super_resolve"):
        from blindsr import api

        return getattr(api, name)
    raise AttributeError(f"module 'blindsr' has no attribute {name!r}")
