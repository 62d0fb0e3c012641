"""Which arithmetic the fast presets' ``'auto'`` precision picks on this machine.

bf16 autocast pays only where the hardware has bf16 matrix units: on an x86 CPU with
AVX512-BF16 or AMX-BF16 oneDNN runs bf16 convolutions at about twice the fp32 rate (measured:
bench/train_step.py); without them it emulates bf16 through fp32 and is slower than plain fp32.
CUDA GPUs from Ampere on have bf16 tensor cores.

The memory layout follows the arithmetic: oneDNN's bf16 convolutions run fastest in NHWC, while
fp32 training in NHWC was 13-17 % slower than NCHW on an AVX2-only AMD EPYC (no bf16 units;
bench/train_step.py), so ``channels_last='auto'`` means NHWC exactly when training runs in bf16.
"""

from __future__ import annotations

from functools import lru_cache

import torch

__all__ = ["bf16_matrix_units", "resolve_channels_last", "resolve_precision", "PRECISIONS"]

PRECISIONS = ("fp32", "bf16", "auto")

#: CPU flags (Linux ``/proc/cpuinfo`` names) of native bf16 matrix arithmetic.
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@lru_cache(maxsize=1)
def _cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def bf16_matrix_units(device: torch.device) -> bool:
    """True where bf16 matmul/convolution runs natively (not emulated) on ``device``."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":
        return torch.backends.mkldnn.is_available() and bool(
            _cpu_flags().intersection(BF16_CPU_FLAGS)
        )
    return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """``'fp32'`` or ``'bf16'``: ``'auto'`` is bf16 where :func:`bf16_matrix_units`, else fp32."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "auto":
        return "bf16" if bf16_matrix_units(device) else "fp32"
    return precision


def resolve_channels_last(channels_last: bool | str, training_precision: str) -> bool:
    """Whether to train in NHWC: ``True``/``False`` as given, ``'auto'`` when
    ``training_precision`` (already resolved: ``'fp32'`` or ``'bf16'``) is ``'bf16'``."""
    if channels_last == "auto":
        return training_precision == "bf16"
    if isinstance(channels_last, bool):
        return channels_last
    raise ValueError(f"channels_last must be True, False or 'auto', got {channels_last!r}")
