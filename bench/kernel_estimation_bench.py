"""Benchmark of the cross-scale kernel estimator on BSD100 (Table-2 and DIV2KRK kernel protocols).

Reproduces: docs/results.md, "Kernel estimation" (the table and the kernel pictures) and, with
``--timing``, the estimation times in "Speed".

Usage (one thread, so it can share the machine; about 16 s per image for the four protocols on
a 2-core CPU):

    OMP_NUM_THREADS=1 python bench/kernel_estimation_bench.py --data-dir data/bsd100 \
        --num-images 20 --pictures 3 --out runs/kernel_estimation_bench

``--out`` appends one JSON line per (image, protocol) to ``results.jsonl`` and writes the
markdown tables to ``summary.md``; use a fresh folder per run.

Protocols (docs/conventions.md, "Benchmark protocols"), per image ``name`` (BSD id):

* ``table2`` x2: HR mod-cropped to 2; ``k = random_table2_kernel(default_rng(kernel_seed(seed,
  name)), 2)`` (11x11); LR = ``downscale(hr, k, 2)`` quantised to uint8 (round(clip*255)/255).
  x3 (a sanity check of direct x3 estimation): the same with ``kernel_seed(seed, name + ':x3')``
  and ``random_table2_kernel(rng, 3)`` (15x15, variances up to 9).
* ``div2krk`` x2: ``k = random_div2krk_kernel(rng, 2)`` with ``rng = default_rng(kernel_seed(seed,
  name + ':div2krk'))``; x4: ``compose_kernels(k_a, k_b, 2)`` of the next two independent draws
  of the same rng (31x31), LR = ``downscale(modcrop(hr, 4), k4, 4)`` quantised.

Measures: LR-reproduction PSNR (``eval.kernel_metrics.lr_reproduction_psnr``) of the estimated,
bicubic and true kernels; kernel error (``kernel_error``: L2 and kernel PSNR after centre
alignment) of the estimated and bicubic kernels; the self-check (``trustworthy``, fit gain);
wall time. "pipeline" is what the caller uses: the estimate if trusted, else bicubic.

``--div2krk-lr DIR`` instead scores the estimator in kernel space on real DIV2KRK LR images
(no HR needed): kernel PSNR and L2 against the true kernels, effective areas, trust, time, at x2
and x4 (``--num-images`` per scale; resumable in ``--out``)::

    OMP_NUM_THREADS=1 python bench/kernel_estimation_bench.py --div2krk-lr data/div2krk-lr \
        --num-images 64 --out runs/div2krk_lr_kernels

``--timing`` instead measures the nearest-neighbour back ends (kd-tree vs blocked torch matmul)
and ``estimate_kernel`` (x2, and x4 composed) on BSD100-sized, 1K-wide and 2K-wide LR images
(skimage's astronaut resized; run time does not depend on the kernel).
"""

from __future__ import annotations

import os

# One BLAS/OpenMP thread unless the caller asked otherwise; must precede numpy's import.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from blindsr.degradations import compose_kernels, downscale, modcrop  # noqa: E402
from blindsr.degradations.kernels import (  # noqa: E402
    bicubic_kernel,
    effective_area,
    kernel_seed,
    random_div2krk_kernel,
    random_table2_kernel,
)
from blindsr.eval.kernel_metrics import kernel_error, lr_reproduction_psnr  # noqa: E402
from blindsr.kernel_estimation import EstimatorConfig, estimate_kernel  # noqa: E402
from blindsr.kernel_estimation.cross_scale import finish_estimate  # noqa: E402
from blindsr.kernel_estimation.patches import luminance  # noqa: E402
from blindsr.kernel_estimation.spectral_check import spectral_residual  # noqa: E402

from blindsr.image_io import read_image  # noqa: E402
from blindsr.kernel_io import write_kernel_picture  # noqa: E402

PROTOCOLS = ("table2-x2", "table2-x3", "div2krk-x2", "div2krk-x4", "bicubic-x2")
DEFAULT_PROTOCOLS = PROTOCOLS[:4]


def quantise(image: np.ndarray) -> np.ndarray:
    """Clip, round to 8 bits and back to float (the LR as read from a PNG)."""
    return (np.round(np.clip(image, 0.0, 1.0) * 255.0) / 255.0).astype(np.float32)


def make_case(hr: np.ndarray, name: str, protocol: str, seed: int) -> tuple:
    """Return ``(scale, hr_cropped, true_kernel, lr)`` for one protocol."""
    if protocol == "bicubic-x2":
        # The ideal case (Table 1): MATLAB imresize, whose SR kernel is bicubic_kernel(2).
        k, scale = bicubic_kernel(2), 2
    elif protocol.startswith("table2"):
        scale = int(protocol[-1])
        # x2 uses the benchmark seed of the table2 protocol; x3 a name-derived stream of its own.
        key = name if scale == 2 else f"{name}:x{scale}"
        k = random_table2_kernel(np.random.default_rng(kernel_seed(seed, key)), scale)
    else:
        rng = np.random.default_rng(kernel_seed(seed, f"{name}:div2krk"))
        k2 = random_div2krk_kernel(rng, 2)
        if protocol == "div2krk-x2":
            k, scale = k2, 2
        else:
            k = compose_kernels(random_div2krk_kernel(rng, 2), random_div2krk_kernel(rng, 2), 2)
            scale = 4
    hr = modcrop(hr, scale)
    return scale, hr, k, quantise(downscale(hr, k, scale))


def narrowing_rows(k_est, rep, k_true, narrowings) -> dict:
    """Kernel PSNR and area / true area of the fitted kernel re-finished with each exponent
    (same profile)."""
    if not narrowings:
        return {}
    fitted, true_area = np.asarray(rep["kernel_fitted"]), effective_area(k_true)
    psnr, area = {}, {}
    for g in narrowings:
        k, _ = finish_estimate(
            fitted,
            rep["scale"],
            size=k_est.shape[0],
            narrowing=g,
            composed=rep["mode"] == "composed-from-x2",
            profile=rep["config"]["profile"],
        )
        psnr[str(g)] = kernel_error(k, k_true)["psnr"]
        area[str(g)] = effective_area(k) / true_area
    return {"kernel_psnr_by_narrowing": psnr, "area_ratio_by_narrowing": area}


def narrowing_summary(rows: list[dict], group: str) -> list[str]:
    """Markdown: per group, over trusted rows, mean kernel PSNR and area quantiles per exponent."""
    rows = [r for r in rows if r.get("kernel_psnr_by_narrowing") and r["trustworthy"]]
    if not rows:
        return []
    gs = list(rows[0]["kernel_psnr_by_narrowing"])
    lines = [
        "",
        "**The fitted kernel re-finished with exponent g** (the run's profile: `k**g` of the fit,"
        " or its Gaussian with the covariance divided by g; trusted rows; kernel PSNR mean, "
        "estimated / true area: median and 90th percentile, share wider than the truth)",
        "",
        f"| {group} | trusted | " + " | ".join(f"g = {g}" for g in gs) + " |",
        "|---|---|" + "---|" * len(gs),
    ]
    for key in sorted({r[group] for r in rows}, key=str):
        rs = [r for r in rows if r[group] == key]
        cells = []
        for g in gs:
            q = np.array([r["area_ratio_by_narrowing"][g] for r in rs])
            cells.append(
                f"{np.mean([r['kernel_psnr_by_narrowing'][g] for r in rs]):.2f} dB, "
                f"{np.median(q):.2f} / {np.percentile(q, 90):.2f}, {np.mean(q > 1):.0%}"
            )
        lines.append(f"| {key} | {len(rs)} | " + " | ".join(cells) + " |")
    return lines


def run_case(hr, name, protocol, seed, config, pictures: Path | None, narrowings=()) -> dict:
    scale, hr, k_true, lr = make_case(hr, name, protocol, seed)
    k_bic = bicubic_kernel(scale)
    t0 = time.perf_counter()
    k_est, rep = estimate_kernel(lr, scale, config=config, seed=0)
    seconds = time.perf_counter() - t0
    lr_est = lr_reproduction_psnr(hr, k_est, lr, scale)
    lr_bic = lr_reproduction_psnr(hr, k_bic, lr, scale)
    err_est, err_bic = kernel_error(k_est, k_true), kernel_error(k_bic, k_true)
    if pictures is not None:
        cell = max(4, 208 // max(k_true.shape[0], k_est.shape[0]))  # about 200 px tall
        write_kernel_picture(
            pictures / f"kernel_{protocol}_{name}.png",
            k_true,
            k_est,
            k_bic,
            titles=["true", "estimated", "bicubic"],
            scale=scale,
            cell=cell,
        )
    lum = luminance(lr)
    spectral = {}
    for which, k in (("est", k_est), ("bicubic", k_bic), ("true", k_true)):
        try:
            spectral[f"spectral_{which}"] = spectral_residual(lum, k, scale)
        except ValueError:  # LR too small at this scale
            spectral[f"spectral_{which}"] = None
    return {
        "image": name,
        "protocol": protocol,
        "scale": scale,
        "lr_shape": list(lr.shape),
        "lr_psnr_est": lr_est,
        "lr_psnr_bicubic": lr_bic,
        "lr_psnr_true": lr_reproduction_psnr(hr, k_true, lr, scale),
        "lr_psnr_pipeline": lr_est if rep["trustworthy"] else lr_bic,
        "kernel_l2_est": err_est["l2"],
        "kernel_l2_bicubic": err_bic["l2"],
        "kernel_psnr_est": err_est["psnr"],
        "kernel_psnr_bicubic": err_bic["psnr"],
        "area_est": effective_area(k_est),
        "area_bicubic": effective_area(k_bic),
        "area_true": effective_area(k_true),
        "trustworthy": rep["trustworthy"],
        "fit_gain": rep["confidence"]["relative_gain"],
        "win_rate": rep["confidence"]["win_rate"],
        "area_ratio": rep["confidence"].get("area_ratio"),
        "iterations": rep["iterations"],
        "mode": rep["mode"],
        "time_s": seconds,
        **spectral,
        **narrowing_rows(k_est, rep, k_true, narrowings),
        "kernel_est": np.round(k_est, 6).tolist(),
    }


def summarise(rows: list[dict]) -> str:
    """Markdown: one summary table over protocols, then one per-image table per protocol."""
    lines = [
        "| protocol | images | LR-PSNR est | LR-PSNR bicubic | LR-PSNR true | LR-PSNR pipeline "
        "| est > bicubic | trusted | kernel L2 est / bicubic | kernel PSNR est / bicubic "
        "| time (s) mean / max |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    by_protocol = {p: [r for r in rows if r["protocol"] == p] for p in PROTOCOLS}
    for protocol, rs in by_protocol.items():
        if not rs:
            continue

        def mean(key: str, rs: list[dict] = rs) -> float:
            return float(np.mean([r[key] for r in rs]))

        wins = sum(r["lr_psnr_est"] > r["lr_psnr_bicubic"] for r in rs)
        trusted = sum(r["trustworthy"] for r in rs)
        lines.append(
            f"| {protocol} | {len(rs)} | {mean('lr_psnr_est'):.2f} | {mean('lr_psnr_bicubic'):.2f} "
            f"| {mean('lr_psnr_true'):.2f} | {mean('lr_psnr_pipeline'):.2f} | {wins}/{len(rs)} "
            f"| {trusted}/{len(rs)} | {mean('kernel_l2_est'):.4f} / {mean('kernel_l2_bicubic'):.4f} "
            f"| {mean('kernel_psnr_est'):.2f} / {mean('kernel_psnr_bicubic'):.2f} "
            f"| {mean('time_s'):.1f} / {max(r['time_s'] for r in rs):.1f} |"
        )
    for protocol, rs in by_protocol.items():
        if not rs:
            continue
        lines += [
            "",
            f"**{protocol}** (LR-reproduction PSNR in dB; kernel L2 after centre alignment)",
            "",
            "| image | LR est | LR bicubic | LR true | est > bic | trusted | fit gain "
            "| kernel L2 est | kernel L2 bic | time (s) |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rs:
            lines.append(
                f"| {r['image']} | {r['lr_psnr_est']:.2f} | {r['lr_psnr_bicubic']:.2f} "
                f"| {r['lr_psnr_true']:.2f} | {'yes' if r['lr_psnr_est'] > r['lr_psnr_bicubic'] else '**no**'} "
                f"| {'yes' if r['trustworthy'] else 'no (bicubic)'} | {r['fit_gain']:+.3f} "
                f"| {r['kernel_l2_est']:.4f} | {r['kernel_l2_bicubic']:.4f} | {r['time_s']:.1f} |"
            )
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}"
    )


def timing(args: argparse.Namespace) -> None:
    """Nearest-neighbour back ends and end-to-end time at BSD100, 1K- and 2K-wide LR sizes."""
    from blindsr.kernel_estimation.cross_scale import CrossScaleProblem, prepare_luminance
    from blindsr.kernel_estimation.support import initial_kernel
    from scipy.spatial import cKDTree
    from skimage import data
    from skimage.transform import resize

    config = EstimatorConfig()
    astronaut = data.astronaut().astype(np.float32) / 255.0
    sizes = {
        "BSD100 x2 LR 160x240": (160, 240),
        "1K-wide LR 680x1020": (680, 1020),
        "2K-wide LR 1360x2040": (1360, 2040),
    }
    print(f"# {machine()}, torch threads {torch.get_num_threads()}", flush=True)
    for label, shape in sizes.items():
        lr = resize(astronaut, shape, anti_aliasing=True).astype(np.float32)
        lum = prepare_luminance(lr, 2, config)
        prob = CrossScaleProblem(lum, 2, 13, config, np.random.default_rng(0))
        examples = prob.examples(initial_kernel("bicubic", 13, 2))
        queries = prob.queries
        t0 = time.perf_counter()
        cKDTree(examples, balanced_tree=False, compact_nodes=False).query(queries, k=1)
        t_tree = time.perf_counter() - t0
        t0 = time.perf_counter()
        e = torch.from_numpy(examples).float()
        e2 = (e * e).sum(1)
        for start in range(0, queries.shape[0], 1024):
            q = torch.from_numpy(queries[start : start + 1024]).float()
            d2 = (q * q).sum(1, keepdim=True) + e2[None] - 2.0 * q @ e.T
            torch.topk(d2, 1, dim=1, largest=False)
        t_torch = time.perf_counter() - t0
        print(
            f"{label}: {queries.shape[0]} queries x {examples.shape[0]} examples, 1-NN: "
            f"kd-tree {t_tree:.3f} s, torch matmul+topk {t_torch:.3f} s",
            flush=True,
        )
        for scale in (2, 4):
            t0 = time.perf_counter()
            _, rep = estimate_kernel(lr, scale, config=config)
            print(
                f"{label}: estimate_kernel x{scale} ({rep['mode']}) {time.perf_counter() - t0:.1f} s, "
                f"{rep['iterations']} iterations",
                flush=True,
            )


def div2krk_lr(args: argparse.Namespace, config: EstimatorConfig) -> None:
    """Kernel-space metrics on real DIV2KRK LR images (no HR): estimated and bicubic kernels
    against the true ones, at x2 and x4. Resumable: images already in ``--out`` are skipped."""
    from blindsr.kernel_io import read_kernel

    root = args.div2krk_lr
    out = args.out or Path("runs/div2krk_lr_kernels")
    out.mkdir(parents=True, exist_ok=True)
    store = out / "results.jsonl"
    done = set()
    if store.exists():
        done = {(r["image"], r["scale"]) for r in map(json.loads, store.read_text().splitlines())}
    print(f"# {datetime.date.today()} {machine()}, torch threads {torch.get_num_threads()}")
    for scale in args.scales:
        paths = sorted((root / f"lr_x{scale}").glob("im_*.png"), key=lambda p: int(p.stem[3:]))
        for path in paths[: args.num_images]:
            if (path.stem, scale) in done:
                continue
            lr = read_image(path)
            k_true = read_kernel(root / f"gt_k_x{scale}" / f"kernel_{path.stem[3:]}.mat")
            t0 = time.perf_counter()
            k_est, rep = estimate_kernel(lr, scale, config=config, seed=0)
            seconds = time.perf_counter() - t0
            err_est = kernel_error(k_est, k_true)
            err_bic = kernel_error(bicubic_kernel(scale), k_true)
            row = {
                "image": path.stem,
                "scale": scale,
                "lr_shape": list(lr.shape),
                "kernel_psnr_est": err_est["psnr"],
                "kernel_psnr_bicubic": err_bic["psnr"],
                "kernel_l2_est": err_est["l2"],
                "kernel_l2_bicubic": err_bic["l2"],
                "area_est": effective_area(k_est),
                "area_true": effective_area(k_true),
                "trustworthy": rep["trustworthy"],
                "fit_gain": rep["confidence"]["relative_gain"],
                "time_s": seconds,
                **narrowing_rows(k_est, rep, k_true, args.narrowings),
            }
            print(json.dumps(row), flush=True)
            with open(store, "a") as fh:
                fh.write(json.dumps(row) + "\n")
    rows = [json.loads(line) for line in store.read_text().splitlines()]
    lines = [
        "| scale | images | kernel PSNR est / bicubic | kernel L2 est / bicubic | est closer "
        "than bicubic (L2) | area est / true (px², median) | trusted | time (s) mean / max |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scale in (2, 4):
        rs = [r for r in rows if r["scale"] == scale]
        if not rs:
            continue

        def mean(key: str, rs: list[dict] = rs) -> float:
            return float(np.mean([r[key] for r in rs]))

        closer = sum(r["kernel_l2_est"] < r["kernel_l2_bicubic"] for r in rs)
        lines.append(
            f"| x{scale} | {len(rs)} | {mean('kernel_psnr_est'):.2f} / "
            f"{mean('kernel_psnr_bicubic'):.2f} | {mean('kernel_l2_est'):.4f} / "
            f"{mean('kernel_l2_bicubic'):.4f} | {closer}/{len(rs)} | "
            f"{np.median([r['area_est'] for r in rs]):.1f} / "
            f"{np.median([r['area_true'] for r in rs]):.1f} | "
            f"{sum(r['trustworthy'] for r in rs)}/{len(rs)} | {mean('time_s'):.1f} / "
            f"{max(r['time_s'] for r in rs):.1f} |"
        )
    lines += narrowing_summary(rows, "scale")
    summary = "\n".join(lines)
    print(summary)
    (out / "summary.md").write_text(summary + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, help="folder of HR PNGs (BSD100)")
    ap.add_argument("--num-images", type=int, default=20, help="first N names in sorted order")
    ap.add_argument("--first", type=int, default=0, help="skip this many sorted names first")
    ap.add_argument("--seed", type=int, default=0, help="protocol seed of the kernels")
    ap.add_argument(
        "--exclude",
        default="",
        help="comma-separated names to skip (e.g. the benchmark report lists, to tune without them)",
    )
    ap.add_argument(
        "--protocols", default=",".join(DEFAULT_PROTOCOLS), help=f"subset of {PROTOCOLS}"
    )
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=JSON",
        help="EstimatorConfig override, e.g. --set patch_size=4",
    )
    ap.add_argument("--out", type=Path, help="write results.jsonl and summary.md here")
    ap.add_argument(
        "--pictures",
        type=int,
        default=0,
        help="kernel pictures (true | estimated | bicubic) for the first N images",
    )
    ap.add_argument("--picture-dir", type=Path, default=Path("docs/img"))
    ap.add_argument(
        "--picture-protocols",
        default="table2-x2,div2krk-x4",
        help="protocols that get pictures (comma-separated)",
    )
    ap.add_argument(
        "--narrowings",
        type=lambda text: [float(g) for g in text.split(",")],
        default=[],
        help="also score the fitted kernel narrowed by each exponent, e.g. 1,1.25,1.5",
    )
    ap.add_argument(
        "--scales",
        type=lambda text: [int(s) for s in text.split(",")],
        default=[2, 4],
        help="--div2krk-lr scales (default 2,4)",
    )
    ap.add_argument("--timing", action="store_true", help="run the timing measurements instead")
    ap.add_argument(
        "--div2krk-lr",
        type=Path,
        help="instead: kernel-space metrics on a DIV2KRK LR folder (lr_x2/, gt_k_x2/, ...)",
    )
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    if args.timing:
        timing(args)
        return
    if args.data_dir is None and args.div2krk_lr is None:
        ap.error("--data-dir is required (unless --timing or --div2krk-lr)")
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = json.loads(value)
    if "inits" in overrides:
        overrides["inits"] = tuple(overrides["inits"])
    config = EstimatorConfig(**overrides)
    if args.div2krk_lr is not None:
        div2krk_lr(args, config)
        return
    protocols = [p for p in args.protocols.split(",") if p]
    unknown = set(protocols) - set(PROTOCOLS)
    if unknown:
        ap.error(f"unknown protocol(s) {sorted(unknown)}; choose from {PROTOCOLS}")
    paths = sorted(args.data_dir.glob("*.png"), key=lambda p: p.name)
    paths = paths[args.first : args.first + args.num_images]
    excluded = set(args.exclude.split(","))
    paths = [p for p in paths if p.stem not in excluded]
    print(f"# {datetime.date.today()} {machine()}, torch threads {torch.get_num_threads()}")
    print(f"# images: {' '.join(p.stem for p in paths)}")
    print(f"# config overrides: {overrides or 'none'}", flush=True)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, path in enumerate(paths):
        hr = read_image(path)
        for protocol in protocols:
            wanted = i < args.pictures and protocol in args.picture_protocols.split(",")
            pictures = args.picture_dir if wanted else None
            row = run_case(hr, path.stem, protocol, args.seed, config, pictures, args.narrowings)
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.out is not None:
                with open(args.out / "results.jsonl", "a") as fh:
                    fh.write(json.dumps(row) + "\n")
    summary = "\n".join([summarise(rows), *narrowing_summary(rows, "protocol")])
    print(summary)
    if args.out is not None:
        (args.out / "summary.md").write_text(summary + "\n")


if __name__ == "__main__":
    main()
