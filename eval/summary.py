"""Per-method summary of benchmark rows, shared by the Markdown tables and the HTML report."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from blindsr.eval.paper_numbers import PAPER

__all__ = ["paper_reference", "summarize"]


def paper_reference(
    protocol: str, set_name: str, scale: int, method: str
) -> tuple[float, float] | None:
    """The published (PSNR, SSIM) for a method's row, looked up by its full text then its base."""
    paper = PAPER.get((protocol, set_name, scale), {})
    return paper.get(method) or paper.get(method.split(":")[0])


def summarize(rows: list[dict], methods: list[str]) -> list[dict]:
    """One entry per method with rows, in ``methods`` order: ``method``, ``psnr``, ``psnr_std``,
    ``ssim``, ``ssim_std`` (NaN with fewer than two complete repeats), ``images`` (count),
    ``repeats`` (text, e.g. ``"1"`` or ``"1-3"``) and ``seconds`` (mean wall time per unit)."""
    by_method: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_method[row["method"]].append(row)
    summary = []
    for method in methods:
        mrows = by_method.get(method, [])
        if not mrows:
            continue
        # Mean over images of each image's mean over its repeats, so an unfinished repeat does
        # not weight its images twice; the spread is over the repeats every image has finished.
        per_image: dict[str, list[dict]] = defaultdict(list)
        per_repeat: dict[int, list[dict]] = defaultdict(list)
        for r in mrows:
            per_image[r["image"]].append(r)
            per_repeat[r["repeat"]].append(r)
        psnr_m = float(np.mean([np.mean([r["psnr"] for r in rs]) for rs in per_image.values()]))
        ssim_m = float(np.mean([np.mean([r["ssim"] for r in rs]) for rs in per_image.values()]))
        complete = [rs for rs in per_repeat.values() if len(rs) == len(per_image)]
        psnr_sd = ssim_sd = math.nan
        if len(complete) > 1:
            psnr_sd = float(np.std([np.mean([r["psnr"] for r in rs]) for rs in complete]))
            ssim_sd = float(np.std([np.mean([r["ssim"] for r in rs]) for rs in complete]))
        counts = sorted({len(rs) for rs in per_image.values()})
        reps = str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
        images = len({r["image"] for r in mrows})
        secs = float(np.mean([r["seconds"]["total"] for r in mrows]))
        summary.append(
            dict(
                method=method,
                psnr=psnr_m,
                psnr_std=psnr_sd,
                ssim=ssim_m,
                ssim_std=ssim_sd,
                images=images,
                repeats=reps,
                seconds=secs,
            )
        )
    return summary
