"""Time vs PSNR trade-off of ZSSR settings, from benchmark-harness results.

Reproduces: docs/img/fast_tradeoff.png and its table (docs/results.md, "Speed").

Reads one or more ``results.jsonl`` written by ``blindsr bench``, keeps the images every listed
method finished (so each point averages the same images), and plots mean wall seconds per image
(log axis) against mean PSNR, one point per method. Prints the same numbers as a table, with the
speed-up and PSNR change against ``--baseline``.

    pip install matplotlib   # bench-only dependency (pip install -e '.[bench]')
    python bench/plot_tradeoff.py bench/results/table2_bsd100/results.jsonl \
        --baseline zssr-true --methods "zssr-true;zssr-true:preset=given-kernel-fast" \
        -o docs/img/fast_tradeoff.png
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

import numpy as np


def load(paths: list[str]) -> dict[str, dict[str, dict]]:
    rows: dict[str, dict[str, dict]] = defaultdict(dict)
    for path in paths:
        with open(path) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    rows[r["method"]][r["image"]] = r
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="+")
    ap.add_argument("--methods", required=True, help="';'-separated, in plotting order")
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--labels", help="';'-separated short labels, same order as --methods")
    ap.add_argument("-o", "--output")
    ap.add_argument("--per-image", action="store_true", help="also print a per-image table")
    ap.add_argument(
        "--x",
        choices=("seconds", "pixels"),
        default="seconds",
        help="x axis: wall seconds, or training pixels (iterations x crop^2, from the settings; "
        "independent of machine load)",
    )
    args = ap.parse_args()
    methods = [m for m in args.methods.split(";") if m]
    labels = args.labels.split(";") if args.labels else methods
    rows = load(args.results)
    missing = [m for m in methods + [args.baseline] if m not in rows]
    if missing:
        raise SystemExit(f"no results for: {', '.join(missing)}")
    images = sorted(set.intersection(*(set(rows[m]) for m in methods + [args.baseline])))
    if not images:
        raise SystemExit("no image was finished by every method")

    def cost(row: dict) -> float:
        if args.x == "seconds":
            return row["seconds"]["total"]
        return sum(row["iterations"]) * row["settings"]["crop_size"] ** 2 / 1e6

    def stats(method: str) -> tuple[float, float]:
        return (
            float(np.mean([cost(rows[method][i]) for i in images])),
            float(np.mean([rows[method][i]["psnr"] for i in images])),
        )

    base_t, base_p = stats(args.baseline)
    print(f"{len(images)} images: {', '.join(images)}")
    unit = "s" if args.x == "seconds" else "Mpx trained"
    ratio = "speed-up" if args.x == "seconds" else "fewer pixels"
    print(f"| setting | mean {unit} / image | {ratio} | mean PSNR | vs baseline |")
    print("|---|---|---|---|---|")
    points = []
    for method, label in zip(methods, labels):
        t, p = stats(method)
        points.append((label, t, p, method == args.baseline))
        print(f"| {label} | {t:.0f} | x{base_t / t:.1f} | {p:.2f} | {p - base_p:+.2f} |")
    if args.per_image:
        print()
        head = " | ".join(f"{label} PSNR / s / iters" for label in labels)
        print(f"| image | {head} |")
        print("|---|" + "---|" * len(labels))
        for image in images:
            cells = []
            for method in methods:
                r = rows[method][image]
                its = sum(r.get("iterations") or [0])
                cells.append(f"{r['psnr']:.2f} / {r['seconds']['total']:.0f} / {its}")
            print(f"| {image} | " + " | ".join(cells) + " |")
    if args.output:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
        for label, t, p, is_base in points:
            ax.plot(t, p, "o", color="tab:red" if is_base else "tab:blue")
            ax.annotate(label, (t, p), textcoords="offset points", xytext=(5, 4), fontsize=8)
        ys = [p for _, _, p, _ in points]
        mid, half = (max(ys) + min(ys)) / 2, max((max(ys) - min(ys)) / 2 + 0.1, 0.3)
        ax.set_ylim(mid - half, mid + half)  # never magnify hundredths of a dB into a slope
        ax.set_xscale("log")
        ax.set_xlabel(
            "mean wall seconds per image (log)"
            if args.x == "seconds"
            else "training pixels per image, Mpx (log)"
        )
        ax.set_ylabel("mean PSNR-Y (dB)")
        ax.set_title(f"ZSSR time vs quality, {len(images)} images")
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        fig.savefig(args.output)
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
