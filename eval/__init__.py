"""Evaluation: paper-protocol PSNR/SSIM (and, later, the benchmark harness)."""

from blindsr.eval.metrics import evaluate, psnr, ssim

__all__ = ["evaluate", "psnr", "ssim"]
