"""Per-image Table-2 report from a harness ``results.jsonl``: ZSSR with the bicubic, estimated and
true kernels side by side, plus the estimate's kernel measures and self-check.

Reproduces: the per-image view behind docs/results.md, "Table 2" (trusted count, LR reproduction).

    python bench/table2_report.py bench/results/table2_bsd100/results.jsonl \
        --bicubic "zssr-bicubic:preset=fast" --est "zssr-est:preset=given-kernel-fast" \
        --true "zssr-true:preset=given-kernel-fast"

Only images every named method finished are listed; means are over those images.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--bicubic", default="zssr-bicubic")
    ap.add_argument("--est", default="zssr-est")
    ap.add_argument("--true", default="zssr-true")
    ap.add_argument("--interp", default="bicubic")
    ap.add_argument("--repeat", type=int, default=0, help="which repeat's units to list")
    ap.add_argument(
        "--data-dir", help="HR folder: adds the bicubic kernel's LR reproduction and kernel error"
    )
    args = ap.parse_args()
    rows: dict[str, dict[str, dict]] = defaultdict(dict)
    with open(args.results) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                if r["repeat"] == args.repeat:
                    rows[r["method"]][r["image"]] = r
    names = [args.interp, args.bicubic, args.est, args.true]
    images = sorted(set.intersection(*(set(rows[m]) for m in names)))
    if not images:
        raise SystemExit("no image finished by every method")
    print(f"{len(images)} images; ZSSR columns: {args.bicubic} | {args.est} | {args.true}")
    print()
    print(
        "| image | interp. | ZSSR[bicubic] | ZSSR[est] | ZSSR[true] | est - bic | true - est "
        "| trusted (fit gain) | LR-repro est / bicubic | kernel L2 est / bic | est. s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    cols = defaultdict(list)
    for image in images:
        i, b, e, t = (rows[m][image] for m in names)
        est = e["estimation"]
        conf = est.get("confidence") or {}
        lr_rep = est.get("lr_reproduction_psnr")
        kerr = est.get("kernel_error", {})
        for key, val in (("interp", i), ("bic", b), ("est", e), ("true", t)):
            cols[key].append(val["psnr"])
        cols["trusted"].append(est["trustworthy"])
        cols["secs"].append(est["seconds"])
        lr_txt = f"{lr_rep:.2f}" if isinstance(lr_rep, float) else ""
        k_txt = f"{kerr['l2']:.3f}" if "l2" in kerr else ""
        if args.data_dir:
            lr_bic, k_bic = _bicubic_measures(args.results, args.data_dir, image)
            lr_txt += f" / {lr_bic:.2f}"
            k_txt += f" / {k_bic:.3f}"
        print(
            f"| {image} | {i['psnr']:.2f} | {b['psnr']:.2f} | {e['psnr']:.2f} | {t['psnr']:.2f} "
            f"| {e['psnr'] - b['psnr']:+.2f} | {t['psnr'] - e['psnr']:+.2f} "
            f"| {'yes' if est['trustworthy'] else 'no: bicubic'} "
            f"({conf.get('relative_gain', float('nan')):+.3f}) | {lr_txt} | {k_txt} "
            f"| {est['seconds']:.1f} |"
        )
    m = {k: float(np.mean(v)) for k, v in cols.items() if k not in ("trusted",)}
    print(
        f"| **mean** | {m['interp']:.2f} | {m['bic']:.2f} | {m['est']:.2f} | {m['true']:.2f} "
        f"| {m['est'] - m['bic']:+.2f} | {m['true'] - m['est']:+.2f} "
        f"| {sum(cols['trusted'])}/{len(images)} | | | {m['secs']:.1f} |"
    )
    worse = [im for im, e, b in zip(images, cols["est"], cols["bic"]) if e < b]
    print()
    print(f"ZSSR[est] below ZSSR[bicubic] on: {', '.join(worse) if worse else 'none'}")


def _bicubic_measures(results: str, data_dir: str, image: str) -> tuple[float, float]:
    """LR-reproduction PSNR and kernel L2 of ``bicubic_kernel(2)`` for one Table-2 case, from
    the inputs the harness cached next to ``results.jsonl``."""
    from pathlib import Path

    from blindsr.degradations import bicubic_kernel, modcrop
    from blindsr.eval.kernel_metrics import kernel_error, lr_reproduction_psnr

    from blindsr.image_io import read_image
    from blindsr.kernel_io import read_kernel

    cache = next((Path(results).parent / "inputs").glob("table2_x2_seed*"))
    hr_path = next(p for p in Path(data_dir).iterdir() if p.stem == image)
    hr = modcrop(read_image(hr_path), 2)
    lr = read_image(cache / "lr" / f"{image}.png")
    true = read_kernel(cache / "kernels" / f"{image}.mat")
    bic = bicubic_kernel(2)
    return lr_reproduction_psnr(hr, bic, lr, 2), kernel_error(bic, true)["l2"]


if __name__ == "__main__":
    main()
