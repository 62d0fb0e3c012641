"""The image-specific ZSSR network (docs/zssr.md).

``depth`` 3x3 convolutions, ``width`` channels, ReLU after all but the last, no biases, zero
'same' padding, plain normal init with std ``sqrt(init_variance / (9 * C_in))``, and a global
residual over the (bicubic-interpolated) input. Runs on any channel count (RGB directly).
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["ZSSRNet"]


class ZSSRNet(nn.Module):
    """``N x C x H x W`` float in, same shape out."""

    def __init__(
        self,
        channels: int,
        *,
        width: int = 64,
        depth: int = 8,
        init_variance: float = 0.1,
        learn_residual: bool = True,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if depth < 2:
            raise ValueError(f"depth must be >= 2, got {depth}")
        if channels < 1:
            raise ValueError(f"channels must be >= 1, got {channels}")
        sizes = [channels] + [width] * (depth - 1) + [channels]
        self.convs = nn.ModuleList(
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
            for c_in, c_out in zip(sizes, sizes[1:])
        )
        self.learn_residual = learn_residual
        self.init_variance = init_variance
        self.reset_parameters(generator)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """The reference init: plain normal, std ``sqrt(init_variance / (9 * C_in))``."""
        for conv in self.convs:
            std = math.sqrt(self.init_variance / (9 * conv.in_channels))
            # Drawn on the CPU (where the generator lives) so a device gives the same weights.
            weight = torch.empty(conv.weight.shape).normal_(0.0, std, generator=generator)
            conv.weight.copy_(weight)

    @property
    def receptive_radius(self) -> int:
        """Pixels of context each output pixel sees on every side (one per 3x3 layer)."""
        return len(self.convs)

    @torch.no_grad()
    def live_channels(self, x: torch.Tensor, *, margin: int = 0) -> list[int]:
        """Per hidden layer, the channels whose ReLU output is positive somewhere on ``x`` at
        least ``margin`` pixels from its border (clamped so some interior is left).

        A layer with none is a dead net: without biases nothing downstream of it can respond
        to the input again, and every gradient through it is 0.
        """
        return [int((h.amax(dim=(0, 2, 3)) > 0).sum()) for h in self._hidden(x, margin)]

    @torch.no_grad()
    def live_fractions(self, x: torch.Tensor, *, margin: int = 0) -> list[float]:
        """Per hidden layer, the fraction of its units (channels x pixels at least ``margin``
        from the border) with a positive ReLU output on ``x``."""
        return [float((h > 0).float().mean()) for h in self._hidden(x, margin)]

    def _hidden(self, x: torch.Tensor, margin: int):
        height, width = x.shape[-2:]
        m = max(0, min(margin, (min(height, width) - 1) // 2))
        h = x
        for conv in self.convs[:-1]:
            h = torch.relu(conv(h))
            yield h[:, :, m : height - m, m : width - m]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for conv in self.convs[:-1]:
            h = torch.relu(conv(h))
        out = self.convs[-1](h)
        return out + x if self.learn_residual else out
