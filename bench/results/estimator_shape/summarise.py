"""Table of the oracle-exponent ZSSR diagnostic against the stored report rows.

python bench/results/estimator_shape/summarise.py > bench/results/estimator_shape/oracle.md
"""

import json
from pathlib import Path

import numpy as np

here = Path(__file__).resolve().parent
report = here.parent / "blind_d2s_x2_warmup" / "results.jsonl"
psnr: dict = {}
for line in report.read_text().splitlines():
    r = json.loads(line)
    psnr.setdefault(r["image"], {})[r["method"].split(":")[0]] = r["psnr"]
oracle = {}
for target in ("area", "inside"):
    for line in (here / f"oracle_{target}.jsonl").read_text().splitlines():
        r = json.loads(line)
        oracle.setdefault(r["image"], {})[target] = r
print(
    "| image | ZSSR[true] | auto (`k**1.5`) | auto area / true | area oracle: g, dB vs auto "
    "| inside oracle: g, dB vs auto |"
)
print("|---|---|---|---|---|---|")
d_area, d_in, gaps, areas = [], [], [], []
for image in sorted(oracle):
    o, p = oracle[image], psnr[image]
    a, i = o["area"], o["inside"]
    d_area.append(a["psnr"] - p["zssr-blind"])
    d_in.append(i["psnr"] - p["zssr-blind"])
    gaps.append(p["zssr-blind"] - p["zssr-true"])
    areas.append(a["area_ratio_auto"])
    print(
        f"| {image} | {p['zssr-true']:.2f} | {p['zssr-blind']:.2f} | {a['area_ratio_auto']:.2f} "
        f"| {a['g_oracle']:.2f}, {d_area[-1]:+.2f} | {i['g_oracle']:.2f}, {d_in[-1]:+.2f} |"
    )
print(
    f"| **mean** | | gap {np.mean(gaps):+.2f} | | {np.mean(d_area):+.2f} | {np.mean(d_in):+.2f} |"
)
print(
    f"\ncorrelation of the gap with log(area ratio): {np.corrcoef(gaps, np.log(areas))[0, 1]:.2f}"
)
