"""The reference learning-rate rule (docs/zssr.md).

Every ``check_every`` iterations (when ``(it + 1) % check_every == 0``) and at least
``min_iters`` after the last change, fit a line to the last ``slope_range // test_every``
reconstruction-error measurements. If ``-ratio * slope < std(slope)`` -- the error is not
falling clearly faster than the fit noise -- divide the rate by 10. Training stops when the
rate falls below the minimum.

The slope's std depends on the numpy version the original ran with: ``np.polyfit(cov=True)``
scaled the covariance by ``SSR / (N - 4)`` in 2018 and by ``SSR / (N - 2)`` since numpy 1.16.
With the reference's 5 points that is a factor sqrt(3) on the std. We compute it in closed form
and name the convention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["slope_and_std", "LearningRatePolicy"]


def slope_and_std(
    x: np.ndarray, y: np.ndarray, convention: str = "numpy-2018"
) -> tuple[float, float]:
    """Least-squares slope of ``y`` on ``x`` and its standard error under ``convention``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.size
    dof = {"numpy-2018": n - 4, "modern": n - 2}.get(convention)
    if dof is None:
        raise ValueError(f"unknown slope-variance convention {convention!r}")
    if dof < 1:
        raise ValueError(f"need more than {n} points for the {convention} convention")
    design = np.stack([x, np.ones_like(x)], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    ssr = float(np.sum((y - design @ coef) ** 2))
    var = np.linalg.inv(design.T @ design)[0, 0] * ssr / dof
    return float(coef[0]), math.sqrt(max(var, 0.0))


@dataclass
class LearningRatePolicy:
    """Mutable per-stage state of the rule; ``update`` is called after every iteration."""

    learning_rate: float = 1e-3
    ratio: float = 1.5
    check_every: int = 60
    slope_range: int = 256
    test_every: int = 50
    min_iters: int = 256
    convention: str = "numpy-2018"
    last_change: int = 0
    changes: list[int] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)

    def update(self, iteration: int, test_iters: list[int], test_errors: list[float]) -> bool:
        """Apply the rule at ``iteration``; return True if the rate was divided by 10."""
        if (iteration + 1) % self.check_every or iteration - self.last_change <= self.min_iters:
            return False
        points = self.slope_range // self.test_every
        if len(test_errors) < max(points, 2):
            return False
        slope, std = slope_and_std(
            np.array(test_iters[-points:]), np.array(test_errors[-points:]), self.convention
        )
        drop = -self.ratio * slope < std
        self.decisions.append({"iteration": iteration, "slope": slope, "std": std, "drop": drop})
        if drop:
            self.learning_rate /= 10.0
            self.last_change = iteration
            self.changes.append(iteration)
        return drop
