"""What a width guard would trade on tuning images: blurred inputs' gains against soft ones' losses.

    python bench/results/soft_hr_tuning/tradeoff.py

Reads this folder's soft-HR rows and the blurred tuning rows (``../gauss_tuning/{t2,d2s_x2}``:
``zssr-blind:estimator.profile=gaussian``, today's default; ``blurred_bic/{t2,d2s_x2}``:
``zssr-bicubic:preset=fast`` on the same inputs). For each threshold A, a guard "fall back to
bicubic when the raw estimate is under A times bicubic's area" would give up the blurred inputs'
gain over ZSSR[bicubic] below A and win back the soft inputs' loss below A; printed as a
markdown table (sums in dB and counts, per class).
"""

import json
from pathlib import Path

HERE = Path(__file__).parent
GAUSS = "zssr-blind:estimator.profile=gaussian"
BIC = "zssr-bicubic:preset=fast"


def rows(path: Path, method: str | None = None) -> dict:
    out = {}
    for line in path.read_text().splitlines():
        r = json.loads(line)
        if method is None or r["method"] == method:
            out[r["image"]] = r
    return out


def area(row: dict) -> float:
    return row["decisions"]["decisions"]["kernel"]["confidence"]["area_ratio"]


pairs = {"blurred": [], "soft": []}
for name in ("t2", "d2s_x2"):
    est = rows(HERE.parent / "gauss_tuning" / name / "results.jsonl", GAUSS)
    bic = rows(HERE / "blurred_bic" / name / "results.jsonl", BIC)
    for image in sorted(set(est) & set(bic) - {"182053", "24077", "296059"}):
        pairs["blurred"].append((area(est[image]), est[image]["psnr"] - bic[image]["psnr"]))
soft = [
    (rows(HERE / "r08_blind" / "results.jsonl"), rows(HERE / "r08_bic" / "results.jsonl")),
    (rows(HERE / "r12" / "results.jsonl", "zssr-blind"), rows(HERE / "r12" / "results.jsonl", BIC)),
]
for est, bic in soft:
    for image in sorted(set(est) & set(bic)):
        pairs["soft"].append((area(est[image]), est[image]["psnr"] - bic[image]["psnr"]))

print(f"blurred: {len(pairs['blurred'])} trusted inputs, soft: {len(pairs['soft'])}\n")
print(
    "| guard: bicubic below A x bicubic's area | blurred inputs given up | their gain lost (dB) "
    "| soft inputs caught | their loss won back (dB) |"
)
print("|---|---|---|---|---|")
for a in (2.2, 2.4, 2.6, 2.8, 3.0, 3.2, 3.5, 4.0):
    lost = [d for x, d in pairs["blurred"] if x < a]
    won = [d for x, d in pairs["soft"] if x < a]
    print(f"| {a} | {len(lost)} | {sum(lost):.1f} | {len(won)} | {-sum(won):.1f} |")
