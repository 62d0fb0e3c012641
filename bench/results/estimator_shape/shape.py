"""Kernel-space shape analysis of trusted x2 estimates (docs/decisions.md, "The estimate's error
is directional"). Reads results.jsonl files written by bench/kernel_estimation_bench.py (which
store the reported kernel, k_fit**1.5), rebuilds each true kernel from the protocol, and prints
per file: the raw fit's covariance against the truth's along the truth's principal axes, the
"inside" exponent (largest eigenvalue of S_true^-1 S_fit: k_fit**g lies inside the truth for
g >= it), the area exponent, the anisotropy and axis agreement.

    OMP_NUM_THREADS=1 python bench/results/estimator_shape/shape.py --data-dir data/bsd100 \
        bench/results/estimator_shape/default.jsonl ...
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from blindsr.degradations.kernels import second_moments as cov  # noqa: E402
from kernel_estimation_bench import make_case  # noqa: E402

from blindsr.image_io import read_image  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--data-dir", type=Path, required=True)
ap.add_argument("files", nargs="+", type=Path)
args = ap.parse_args()
for f in args.files:
    rows = [json.loads(line) for line in f.read_text().splitlines()]
    if "r_boot" in rows[0]:  # bootstrap.py's rows
        print(f"## {f.name}")
        trusted = [r for r in rows if r["trust"] and r["protocol"] != "bicubic-x2"]
        for proto in ("table2-x2", "div2krk-x2"):
            rs = [r for r in trusted if r["protocol"] == proto]
            print(
                f"{proto}: {len(rs)} trusted; area fit/true median "
                f"{np.median([r['r_true'] for r in rs]):.2f}, bootstrap reads "
                f"{np.median([r['r_boot'] for r in rs]):.2f}"
            )
        a, b = (np.log([r[k] for r in trusted]) for k in ("r_true", "r_boot"))
        print(f"correlation in log over {len(trusted)} trusted: {np.corrcoef(a, b)[0, 1]:.2f}")
        continue
    stats = {}
    for r in rows:
        if not r["trustworthy"] or r["protocol"] == "bicubic-x2":
            continue
        hr = read_image(args.data_dir / f"{r['image']}.png")
        k_true = make_case(hr, r["image"], r["protocol"], 0)[2]
        k_fit = np.clip(np.array(r["kernel_est"]), 0, None) ** (1 / 1.5)
        st, sf = cov(k_true), cov(k_fit)
        wt, vt = np.linalg.eigh(st)
        we, ve = np.linalg.eigh(sf)
        ev = np.linalg.eigvals(np.linalg.solve(st, sf)).real
        s = stats.setdefault(
            r["protocol"], {k: [] for k in "short long inside area at ae axis".split()}
        )
        s["short"].append(vt[:, 0] @ sf @ vt[:, 0] / wt[0])
        s["long"].append(vt[:, 1] @ sf @ vt[:, 1] / wt[1])
        s["inside"].append(ev.max())
        s["area"].append(np.sqrt(np.prod(ev)))
        s["at"].append(wt[1] / wt[0])
        s["ae"].append(we[1] / we[0])
        s["axis"].append(np.degrees(np.arccos(min(1.0, abs(vt[:, 1] @ ve[:, 1])))))
    print(f"## {f.name}")
    for proto, s in stats.items():
        s = {k: np.array(v) for k, v in s.items()}
        strong = s["at"] > 1.5
        print(
            f"{proto}: {len(s['short'])} trusted; fit/true variance along the truth's short axis "
            f"{np.median(s['short']):.2f}, long axis {np.median(s['long']):.2f} (medians); "
            f"inside exponent median {np.median(s['inside']):.2f} "
            f"(q25 {np.percentile(s['inside'], 25):.2f}, q75 {np.percentile(s['inside'], 75):.2f}, "
            f"> 1 on {np.mean(s['inside'] > 1):.0%}); area exponent {np.median(s['area']):.2f}; "
            f"anisotropy fit {np.median(s['ae'][strong]):.2f} vs true {np.median(s['at'][strong]):.2f}"
            f" and axis error {np.median(s['axis'][strong]):.0f} deg where the truth's is > 1.5 "
            f"({strong.sum()})"
        )
