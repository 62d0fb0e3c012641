"""Which arithmetic the fast presets' ``'auto'`` precision picks on this machine.

bf16 autocast pays only where the hardware has bf16 matrix units: on an x86 CPU with
AVX512-BF16 or AMX-BF16 oneDNN runs bf16 convolutions at about twice the fp32 rate (measured:
bench/train_step.py); without them it emulates bf16 through fp32 and is slower than plain fp32.
CUDA GPUs from Ampere on have bf16 tensor cores.

The memory layout follows the arithmetic and the pass: oneDNN's bf16 convolutions run fastest in
NHWC; in fp32 on an AVX2-only AMD EPYC (no bf16 units) an NHWC training step was 6-17 % slower
than NCHW while an NHWC forward pass was 1.40x faster (bench/train_step.py; the 1K photo of
docs/results.md, "Speed"). So ``channels_last='auto'`` trains in NHWC exactly when training
runs in bf16, and runs the forward-only passes (inference, reconstruction tests) in NHWC on the
CPU whatever the arithmetic. On a GPU ``'auto'`` is NHWC for both passes with bf16, else NCHW.
"""

from __future__ import annotations

from functools import lru_cache

import torch

__all__ = ["bf16_matrix_units", "resolve_layouts", "resolve_precision", "PRECISIONS"]

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


def resolve_layouts(
    channels_last: bool | str, training_precision: str, device: torch.device
) -> dict[str, bool]:
    """Whether each pass runs in NHWC: ``{"training": bool, "inference": bool}``.

    ``True``/``False`` apply to both passes; ``'auto'`` is NHWC for training when
    ``training_precision`` (already resolved: ``'fp32'`` or ``'bf16'``) is ``'bf16'``, and for
    inference in that case or on the CPU.
    """
    if isinstance(channels_last, bool):
        return {"training": channels_last, "inference": channels_last}
    if channels_last != "auto":
        raise ValueError(f"channels_last must be True, False or 'auto', got {channels_last!r}")
    training = training_precision == "bf16"
    return {"training": training, "inference": training or device.type == "cpu"}
