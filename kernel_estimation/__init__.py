"""Nonparametric cross-scale SR-kernel estimation (Michaeli & Irani, ICCV 2013).

Usage::

    from blindsr.degradations.kernels import bicubic_kernel
    from blindsr.kernel_estimation import EstimatorConfig, estimate_kernel

    kernel, report = estimate_kernel(lr, 2, seed=0)   # lr: H x W x C float in [0, 1]
    if not report["trustworthy"]:                     # the self-check failed
        kernel = bicubic_kernel(2)                    # ... so use the safe default

Modules: :mod:`.cross_scale` (the algorithm and ``estimate_kernel``), :mod:`.config`
(``EstimatorConfig``), :mod:`.patches` (query/example patches, parent windows, nearest
neighbours), :mod:`.support` (the kernel grid: convention centre, starts, priors),
:mod:`.confidence` (the self-check against the bicubic kernel). Measured quality and run time:
docs/decisions.md.
"""

from blindsr.kernel_estimation.config import EstimatorConfig, default_kernel_size, estimator_config
from blindsr.kernel_estimation.cross_scale import estimate_kernel

__all__ = ["EstimatorConfig", "default_kernel_size", "estimate_kernel", "estimator_config"]
