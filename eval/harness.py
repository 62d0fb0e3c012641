"""Benchmark runner: (image, method, seed, repeat) units, resumable, serial / processes / Ray.

``run_benchmark`` prepares the protocol's cases, skips units already in ``OUT/results.jsonl``,
runs the rest and appends one row per finished unit, then writes ``table.md``, ``table.csv`` and
``per_image.csv``. Only the parent process writes the results file, so ``--workers N`` and Ray
cannot interleave rows. Units are seeded from (seed, repeat, image), so the same unit gives the
same numbers whichever way it is scheduled (on CPU).
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
from blindsr.degradations import modcrop
from blindsr.eval.executor import run_tasks
from blindsr.eval.methods import parse_method, run_unit
from blindsr.eval.paper_numbers import PAPER, TABLE3_PROJECT_PAGE
from blindsr.eval.protocols import Case, prepare_cases
from blindsr.eval.results_store import ResultsStore, unit_key
from blindsr.eval.summary import paper_reference, summarize

from blindsr.image_io import atomic_output, read_image, write_image
from blindsr.kernel_io import read_kernel

__all__ = ["run_benchmark", "write_tables", "Unit"]

Unit = tuple[Case, str, int, int]


def _run_local(
    case_dict: dict, method: str, seed: int, repeat: int, device: str, images_dir: str | None
) -> dict:
    return run_unit(Case(**case_dict), method, seed, repeat, device, images_dir=images_dir)


def _execute(
    units: list[Unit],
    store: ResultsStore,
    *,
    workers: int,
    threads: int | None,
    ray_address: str | None,
    device: str,
    images_dir: str | None,
    on_done: Callable[[dict], None],
) -> None:
    def finished(row: dict) -> None:
        store.append(row)
        on_done(row)

    run_tasks(
        _run_local,
        [(asdict(c), m, s, r, device, images_dir) for c, m, s, r in units],
        on_done=finished,
        workers=workers,
        threads=threads,
        ray_address=ray_address,
        gpus_per_task=1 if device == "cuda" else 0,
    )


def run_benchmark(
    protocol: str,
    data_dir: Path,
    out: Path,
    *,
    methods: list[str],
    scale: int,
    seed: int = 0,
    repeats: int = 1,
    limit: int | None = None,
    images: list[str] | None = None,
    workers: int = 1,
    ray_address: str | None = None,
    device: str = "cpu",
    kernel_size: int | None = None,
    set_name: str | None = None,
    tables_only: bool = False,
    keep_images: bool = True,
    threads: int | None = None,
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
) -> Path:
    """Run (or resume) a benchmark; returns the path of ``table.md``.

    The tables cover the units asked for (these images, ``seed``, repeats ``0..repeats-1``) that
    have finished, whatever else the store holds. ``tables_only``: run nothing, only rewrite the
    tables (a method's row then says how many images it has finished).

    ``keep_images``: write every unit's SR image to ``OUT/images/<image>/<method>.png``, with the
    references the report needs beside them (``LR.png``, the mod-cropped ``HR.png`` and, when
    the protocol has one, ``true_kernel.npy``). ``OUT/report.html`` is written either way
    (without pictures when no images are kept); ``OUT/run.json`` records what was asked for so
    that ``blindsr report OUT`` can rebuild the page. ``threads``: torch threads per process
    (default: torch's choice when serial, ``cores // workers`` with workers).
    """
    for m in methods:
        parse_method(m)  # fail fast on a typo, before any long work
    out = Path(out)
    cases = prepare_cases(
        protocol,
        Path(data_dir),
        out / "inputs",
        scale=scale,
        seed=seed,
        limit=limit,
        images=images,
        kernel_size=kernel_size,
    )
    store = ResultsStore(out / "results.jsonl")
    done = store.done()
    units = [
        (c, m, seed, r)
        for r in range(repeats)
        for c in cases
        for m in methods
        if unit_key(c.name, m, seed, r) not in done
    ]
    total = len(cases) * len(methods) * repeats
    log(
        f"{protocol} x{scale}: {len(cases)} images x {len(methods)} methods x {repeats} repeats "
        f"= {total} units, {total - len(units)} already done, {len(units)} to run"
    )
    if tables_only:
        log(f"--tables-only: {len(units)} unfinished units not run")
        units = []
    images_dir = out / "images" if keep_images else None
    if images_dir is not None:
        for case in cases:
            save_references(case, images_dir)
    implied = "bsd100" if protocol == "table3-paper" else Path(data_dir).name.lower()
    name = set_name or implied
    write_run_record(
        out,
        protocol=protocol,
        set_name=name,
        scale=scale,
        methods=methods,
        images=[c.name for c in cases],
        seed=seed,
        repeats=repeats,
    )
    start = time.perf_counter()
    finished = 0

    def on_done(row: dict) -> None:
        nonlocal finished
        finished += 1
        elapsed = time.perf_counter() - start
        eta = elapsed / finished * (len(units) - finished)
        log(
            f"[{finished}/{len(units)}] {row['image']} {row['method']}: "
            f"{row['psnr']:.2f} dB / {row['ssim']:.4f} ({row['seconds']['total']:.0f}s, "
            f"ETA {eta / 60:.1f} min)"
        )

    _execute(
        units,
        store,
        workers=workers,
        threads=threads,
        ray_address=ray_address,
        device=device,
        images_dir=None if images_dir is None else str(images_dir),
        on_done=on_done,
    )
    # The table reports the units asked for (these images, seed and repeats), not whatever else
    # the store holds from other invocations.
    names = {c.name for c in cases}
    rows = [
        r for r in store.rows if r["image"] in names and r["seed"] == seed and r["repeat"] < repeats
    ]
    table = write_tables(
        rows,
        out,
        protocol=protocol,
        set_name=name,
        scale=scale,
        methods=methods,
        n_images=len(cases),
    )
    from blindsr.eval.report import write_report

    write_report(out)
    return table


def save_references(case: Case, images_dir: Path) -> None:
    """``LR.png`` (the file itself), mod-cropped ``HR.png`` and ``true_kernel.npy`` (if the
    protocol has one) in ``images_dir/<image>/``; files already there are kept (resume)."""
    folder = Path(images_dir) / case.name
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "LR.png").is_file():
        lr = Path(case.lr_path)
        if lr.suffix.lower() == ".png":
            with atomic_output(folder / "LR.png") as tmp:
                shutil.copyfile(lr, tmp)
        else:
            write_image(folder / "LR.png", read_image(lr))
    if not (folder / "HR.png").is_file():
        write_image(folder / "HR.png", modcrop(read_image(case.hr_path), case.scale))
    if case.kernel_path is not None and not (folder / "true_kernel.npy").is_file():
        with atomic_output(folder / "true_kernel.npy") as tmp, open(tmp, "wb") as fh:
            np.save(fh, read_kernel(case.kernel_path))


def write_run_record(out: Path, **settings) -> Path:
    """``OUT/run.json``: the last invocation's protocol, set, scale, methods, images, seed and
    repeats; ``blindsr report OUT`` reads it to know which units the page covers."""
    path = Path(out) / "run.json"
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(settings, indent=1) + "\n")
    return path


def _project_page_lines(by_method: dict[str, list[dict]], methods: list[str]) -> list[str]:
    """Per image, the project page's bicubic / ZSSR numbers beside ours (repeat 0)."""
    lines = [
        "Per image, PSNR / SSIM (paper: ZSSR project page; ours: repeat 0):",
        "",
        "| image | img_NNN | degradation | paper bicubic | paper ZSSR | "
        + " | ".join(methods)
        + " |",
        "|---|---|---|---|---|" + "---|" * len(methods),
    ]
    for name, (index, degradation, bic, zssr) in sorted(TABLE3_PROJECT_PAGE.items()):
        cells = []
        for method in methods:
            rs = [r for r in by_method.get(method, []) if r["image"] == name and r["repeat"] == 0]
            cells.append(f"{rs[0]['psnr']:.2f} / {rs[0]['ssim']:.4f}" if rs else "")
        lines.append(
            f"| {name} | {index:03d} | {degradation} | {bic[0]:.2f} / {bic[1]:.4f} | "
            f"{zssr[0]:.2f} / {zssr[1]:.4f} | " + " | ".join(cells) + " |"
        )
    return lines


def write_tables(
    rows: list[dict],
    out: Path,
    *,
    protocol: str,
    set_name: str,
    scale: int,
    methods: list[str],
    n_images: int,
) -> Path:
    """Write ``table.md``, ``table.csv`` and ``per_image.csv`` from result rows."""
    out = Path(out)
    by_method: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_method[row["method"]].append(row)
    summary = [tuple(entry.values()) for entry in summarize(rows, methods)]
    paper = PAPER.get((protocol, set_name, scale), {})
    lines = [
        f"# {protocol} / {set_name} / x{scale}",
        "",
        "| method | PSNR (dB) | SSIM | images | repeats | s/image | paper PSNR/SSIM |",
        "|---|---|---|---|---|---|---|",
    ]
    for method, pm, psd, sm, ssd, imgs, reps, secs in summary:
        ref = paper_reference(protocol, set_name, scale, method)
        ptxt = "" if ref is None else f"{ref[0]:.2f} / {ref[1]:.4f}"
        p = f"{pm:.2f}" + ("" if math.isnan(psd) else f" ± {psd:.2f}")
        s_ = f"{sm:.4f}" + ("" if math.isnan(ssd) else f" ± {ssd:.4f}")
        lines.append(
            f"| {method} | {p} | {s_} | {imgs}/{n_images} | {reps} | {secs:.0f} | {ptxt} |"
        )
    others = [k for k in paper if k not in {m.split(":")[0] for m in methods} and k not in methods]
    if others:
        lines += [
            "",
            "Other published rows: "
            + "; ".join(f"{k} {paper[k][0]:.2f}/{paper[k][1]:.4f}" for k in others),
        ]
    degradations = sorted({r.get("degradation", "none") for r in rows} - {"none"})
    if degradations:
        lines += [
            "",
            "Mean PSNR / SSIM per degradation type:",
            "",
            "| method | " + " | ".join(degradations) + " |",
            "|---|" + "---|" * len(degradations),
        ]
        for method in methods:
            cells = []
            for d in degradations:
                rs = [r for r in by_method.get(method, []) if r.get("degradation") == d]
                cells.append(
                    f"{np.mean([r['psnr'] for r in rs]):.2f} / "
                    f"{np.mean([r['ssim'] for r in rs]):.4f} (n={len(rs)})"
                    if rs
                    else ""
                )
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
    if protocol == "table3-paper":
        lines += ["", *_project_page_lines(by_method, methods)]
    table_md = out / "table.md"
    table_md.write_text("\n".join(lines) + "\n")
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        ["method", "psnr", "psnr_std", "ssim", "ssim_std", "images", "repeats", "seconds_per_image"]
    )
    w.writerows(summary)
    (out / "table.csv").write_text(buf.getvalue())
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["image", "method", "seed", "repeat", "degradation", "psnr", "ssim", "seconds"])
    for r in sorted(rows, key=lambda r: (r["image"], r["method"], r["repeat"])):
        w.writerow(
            [
                r["image"],
                r["method"],
                r["seed"],
                r["repeat"],
                r.get("degradation", ""),
                f"{r['psnr']:.4f}",
                f"{r['ssim']:.4f}",
                f"{r['seconds']['total']:.1f}",
            ]
        )
    (out / "per_image.csv").write_text(buf.getvalue())
    return table_md
