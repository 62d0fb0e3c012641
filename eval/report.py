"""``OUT/report.html``: a benchmark's results as a static page you can look at.

The page is plain HTML with PNG files beside it (``OUT/report_files/``), no script, so it opens
from disk and survives being copied as a folder. It holds the table with the paper's columns,
then one section per image: zoomed crops of one region (the window where the methods' outputs
differ most) for the LR input, every method and the HR, each with the method's whole-image
PSNR / SSIM (the table's metric) under it, and, for methods that estimate a kernel, the estimate
beside the true kernel with the self-check's verdict.

Everything is rebuilt from ``OUT/results.jsonl``, ``OUT/run.json`` and ``OUT/images/`` (written
by :func:`blindsr.eval.harness.run_benchmark`), so ``blindsr report OUT`` can redo it at any time,
also while a run is still adding units.
"""

from __future__ import annotations

import html
import json
import math
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote

import cv2
import numpy as np
from blindsr.degradations import imresize
from blindsr.eval.metrics import psnr, ssim
from blindsr.eval.summary import paper_reference, summarize

from blindsr.compare import choose_region
from blindsr.image_io import read_image, write_image
from blindsr.kernel_io import write_kernel_picture

__all__ = ["write_report", "check_report", "choose_region", "load_rows"]

CROP = 64  # HR pixels per side of the zoomed region
ZOOM = 3  # nearest-neighbour enlargement of a crop on the page


def load_rows(results: Path) -> list[dict]:
    """Rows of a results file, read-only: a torn last line (a unit being written) is skipped."""
    path = Path(results)
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def _settings(out: Path, rows: list[dict]) -> dict:
    """``run.json`` if there is one; else what the rows themselves say."""
    path = out / "run.json"
    if path.is_file():
        return json.loads(path.read_text())
    if not rows:
        raise ValueError(f"no finished units in {out} (no results.jsonl rows, no run.json)")
    methods = list(dict.fromkeys(r["method"] for r in rows))
    return dict(
        protocol=rows[0].get("protocol", "?"),
        set_name=out.name,
        scale=rows[0].get("scale", 0),
        methods=methods,
        images=sorted({r["image"] for r in rows}),
        seed=rows[0]["seed"],
        repeats=1 + max(r["repeat"] for r in rows),
    )


def _zoom(image: np.ndarray, factor: int) -> np.ndarray:
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def _context(hr: np.ndarray, region: tuple[int, int, int], width: int = 240) -> np.ndarray:
    """The whole HR, shrunk, with the zoomed region outlined in red."""
    r, c, size = region
    h, w = hr.shape[:2]
    f = min(1.0, width / w)
    small = cv2.resize(
        np.ascontiguousarray(hr[..., :3] if hr.shape[2] >= 3 else np.repeat(hr, 3, axis=2)),
        (max(1, round(w * f)), max(1, round(h * f))),
        interpolation=cv2.INTER_AREA,
    )
    small = np.ascontiguousarray(small)
    p0 = (int(c * f), int(r * f))
    p1 = (int((c + size) * f) - 1, int((r + size) * f) - 1)
    cv2.rectangle(small, p0, p1, (1.0, 0.0, 0.0), 2)
    return small


def _score(row: dict | None) -> str:
    if row is None:
        return "not run"
    return f"PSNR {row['psnr']:.2f} dB / SSIM {row['ssim']:.4f}"


def _href(path: Path, out: Path) -> str:
    return quote(path.relative_to(out).as_posix())


def _decided(record: dict) -> str:
    """The blind pipeline's decisions of a row, as its console line gives them."""
    parts = []
    for key in ("kernel", "noise", "jpeg", "config"):
        d = record["decisions"].get(key)
        if isinstance(d, dict):
            parts.append(f"{key} {d.get('summary', d.get('value'))}")
    return f"decided (ran preset {record.get('preset')}): " + "; ".join(parts)


def _verdict(est: dict) -> str:
    parts = [
        "self-check: trustworthy"
        if est.get("trustworthy")
        else "self-check: NOT trustworthy, so the unit used the bicubic kernel"
        + (f" (preset {est['fallback_preset']})" if est.get("fallback_preset") else "")
    ]
    if est.get("reason"):
        parts.append(str(est["reason"]))
    error = est.get("kernel_error")
    if isinstance(error, dict) and "l1" in error:
        parts.append(
            f"vs the true kernel: L1 {error['l1']:.3f} (0-2), kernel PSNR {error['psnr']:.1f} dB"
        )
    if est.get("lr_reproduction_psnr") is not None:
        parts.append(f"LR reproduced at {est['lr_reproduction_psnr']:.2f} dB")
    return "; ".join(parts)


def _image_section(
    out: Path, files: Path, name: str, rows: dict[str, dict], methods: list[str], scale: int
) -> list[str]:
    folder = out / "images" / name
    lines = [f'<section id="{html.escape(quote(name))}">', f"<h2>{html.escape(name)}</h2>"]
    degradation = next((r.get("degradation") for r in rows.values()), None)
    if degradation and degradation != "none":
        lines.append(f"<p>degradation: {html.escape(str(degradation))}</p>")
    hr_path = folder / "HR.png"
    outputs = {
        m: out / rows[m]["output_image"]
        for m in methods
        if m in rows and rows[m].get("output_image") and (out / rows[m]["output_image"]).is_file()
    }
    if not hr_path.is_file() or not outputs:
        lines.append("<p>no images kept for this image (run without --no-images to see them)</p>")
    else:
        hr = read_image(hr_path)
        images = {m: read_image(p) for m, p in outputs.items()}
        images = {m: im for m, im in images.items() if im.shape == hr.shape}
        size = min(CROP, *hr.shape[:2])
        size -= size % scale
        r, c = choose_region(list(images.values()) or [hr], hr, size=size, step=scale)
        own = files / name
        own.mkdir(parents=True, exist_ok=True)
        write_image(own / "context.png", _context(hr, (r, c, size)))
        lines.append(
            f'<div class="where"><img src="{_href(own / "context.png", out)}" '
            f'alt="{html.escape(name)}: where the crops are"><p>'
            f"Crops: rows {r}-{r + size - 1}, columns {c}-{c + size - 1} of the HR "
            f"({hr.shape[1]}x{hr.shape[0]}, outlined in red), enlarged x{ZOOM}: the window "
            "where the methods' outputs differ most. The scores under them are whole-image "
            "(the table's metric); the best PSNR is in bold.</p></div>"
        )
        panels: list[tuple[str, np.ndarray, str]] = []
        lr_path = folder / "LR.png"
        if lr_path.is_file():
            lr = read_image(lr_path)
            lr_crop = lr[r // scale : (r + size) // scale, c // scale : (c + size) // scale]
            if "bicubic" in rows:
                # The bicubic method already shows the interpolated LR; show the input's pixels.
                panels.append((f"LR input (pixels x{scale})", _zoom(lr_crop, scale), "input"))
            else:
                up = np.clip(imresize(lr, scale), 0, 1)
                if up.shape == hr.shape:
                    score = (
                        f"PSNR {psnr(up, hr, scale=scale):.2f} dB / "
                        f"SSIM {ssim(up, hr, scale=scale):.4f}"
                    )
                    panels.append(("LR (bicubic-upsampled)", up[r : r + size, c : c + size], score))
        for m in methods:
            if m in images:
                panels.append((m, images[m][r : r + size, c : c + size], _score(rows.get(m))))
        panels.append(("HR (reference)", hr[r : r + size, c : c + size], "reference"))
        best = max((rows[m]["psnr"] for m in images if m in rows), default=None)
        lines.append('<div class="crops">')
        for index, (title, crop, score) in enumerate(panels):
            file = own / f"crop_{index:02d}.png"
            write_image(file, _zoom(crop, ZOOM))
            strong = best is not None and title in rows and rows[title]["psnr"] == best
            caption = f"<b>{html.escape(title)}</b><br>" + (
                f"<strong>{html.escape(score)}</strong>" if strong else html.escape(score)
            )
            lines.append(
                f'<figure><img src="{_href(file, out)}" alt="{html.escape(name)}: '
                f'{html.escape(title)}" width="{crop.shape[1] * ZOOM}" '
                f'height="{crop.shape[0] * ZOOM}"><figcaption>{caption}</figcaption></figure>'
            )
        lines.append("</div>")
        missing = [m for m in methods if m in rows and m not in images]
        if missing:
            lines.append("<p>no output image kept for: " + html.escape(", ".join(missing)) + "</p>")
    for m in methods:
        record = (rows.get(m) or {}).get("decisions")
        if isinstance(record, dict) and isinstance(record.get("decisions"), dict):
            lines.append(f"<p><b>{html.escape(m)}</b> {html.escape(_decided(record))}</p>")
    kernel_lines = _kernel_block(out, files, name, rows, methods, scale)
    lines += kernel_lines
    lines.append("</section>")
    return lines


def _kernel_block(
    out: Path, files: Path, name: str, rows: dict[str, dict], methods: list[str], scale: int
) -> list[str]:
    true_path = out / "images" / name / "true_kernel.npy"
    truth = np.load(true_path) if true_path.is_file() else None
    own = files / name
    lines: list[str] = []
    for m in methods:
        est = (rows.get(m) or {}).get("estimation")
        # ``kernel_est``: the estimate's taps as the pipeline records them (``kernel`` in rows
        # written before the pipeline existed).
        taps = est.get("kernel_est") or est.get("kernel") if isinstance(est, dict) else None
        if not taps:
            continue
        kernel = np.asarray(taps, np.float64)
        pictures = [kernel] if truth is None else [kernel, truth]
        titles = ["estimated"] if truth is None else ["estimated", "true"]
        own.mkdir(parents=True, exist_ok=True)
        file = own / f"kernel_{len(lines):02d}.png"
        write_kernel_picture(file, *pictures, titles=titles, scale=scale)
        lines.append(
            f'<figure class="kernel"><img src="{_href(file, out)}" '
            f'alt="{html.escape(name)}: {html.escape(m)} kernel"><figcaption><b>'
            f"{html.escape(m)}</b>: {html.escape(' | '.join(titles))} kernel<br>"
            f"{html.escape(_verdict(est))}</figcaption></figure>"
        )
    if not lines and truth is not None and any(m.split(":")[0] == "zssr-true" for m in rows):
        own.mkdir(parents=True, exist_ok=True)
        file = own / "kernel_true.png"
        write_kernel_picture(file, truth, titles=["true"], scale=scale)
        lines.append(
            f'<figure class="kernel"><img src="{_href(file, out)}" '
            f'alt="{html.escape(name)}: true kernel"><figcaption>true kernel (given to '
            "zssr-true)</figcaption></figure>"
        )
    if not lines:
        return []
    return ['<div class="kernels">', *lines, "</div>"]


def _table(summary: list[dict], settings: dict, n_images: int) -> list[str]:
    lines = [
        "<table>",
        "<tr><th>method</th><th>PSNR (dB)</th><th>SSIM</th><th>images</th><th>repeats</th>"
        "<th>s/image</th><th>paper PSNR / SSIM</th></tr>",
    ]
    for e in summary:
        ref = paper_reference(
            settings["protocol"], settings["set_name"], settings["scale"], e["method"]
        )
        spread_p = "" if math.isnan(e["psnr_std"]) else f" ± {e['psnr_std']:.2f}"
        spread_s = "" if math.isnan(e["ssim_std"]) else f" ± {e['ssim_std']:.4f}"
        lines.append(
            f"<tr><td>{html.escape(e['method'])}</td><td>{e['psnr']:.2f}{spread_p}</td>"
            f"<td>{e['ssim']:.4f}{spread_s}</td><td>{e['images']}/{n_images}</td>"
            f"<td>{html.escape(e['repeats'])}</td><td>{e['seconds']:.0f}</td>"
            f"<td>{'' if ref is None else f'{ref[0]:.2f} / {ref[1]:.4f}'}</td></tr>"
        )
    lines.append("</table>")
    if any(
        paper_reference(settings["protocol"], settings["set_name"], settings["scale"], e["method"])
        for e in summary
    ):
        lines.append(
            "<p>The paper's numbers are means over its whole image set with its own training "
            "budget; a row over fewer images, or with capped iterations, is a different sample "
            "and budget.</p>"
        )
    return lines


_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
section { border-top: 1px solid #ccc; margin-top: 1.5em; }
.crops, .kernels { display: flex; flex-wrap: wrap; gap: 0.6em; margin-bottom: 0.8em; }
figure { margin: 0; font-size: 0.8em; width: 194px; }
figure.kernel { width: auto; max-width: 720px; }
figcaption { overflow-wrap: anywhere; }
figure img { image-rendering: pixelated; display: block; border: 1px solid #888; }
.where { display: flex; gap: 1em; align-items: center; margin-bottom: 0.8em; }
.where p { max-width: 60em; margin: 0; }
"""


def write_report(out: str | Path) -> Path:
    """(Re)write ``OUT/report.html`` and ``OUT/report_files/`` from the finished units.

    Raises:
        ValueError: ``OUT`` holds neither finished units nor a ``run.json``.
    """
    out = Path(out)
    if not out.is_dir():
        raise ValueError(f"not a benchmark folder: {out}")
    all_rows = load_rows(out / "results.jsonl")
    settings = _settings(out, all_rows)
    names, methods = list(settings["images"]), list(settings["methods"])
    wanted = set(names)
    rows = [
        r
        for r in all_rows
        if r["image"] in wanted
        and r["seed"] == settings["seed"]
        and r["repeat"] < settings["repeats"]
    ]
    scale = int(settings["scale"])
    files = out / "report_files"
    if files.exists():
        shutil.rmtree(files)  # only pictures this function wrote; stale crops would mislead
    files.mkdir()
    title = f"{settings['protocol']} / {settings['set_name']} / x{scale}"
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>blindsr report: {html.escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>blindsr report: {html.escape(title)}</h1>",
        f"<p>{len(rows)} finished units of {len(names) * len(methods) * settings['repeats']} "
        f"({len(names)} images x {len(methods)} methods x {settings['repeats']} repeats, seed "
        f"{settings['seed']}). PSNR / SSIM as the papers compute them (luma, border of "
        f"{scale} pixels shaved). Pictures show repeat 0.</p>",
        *_table(summarize(rows, methods), settings, len(names)),
        "<p>Images: "
        + ", ".join(f'<a href="#{html.escape(quote(n))}">{html.escape(n)}</a>' for n in names)
        + "</p>",
    ]
    for name in names:
        per_method = {r["method"]: r for r in rows if r["image"] == name and r["repeat"] == 0}
        body += _image_section(out, files, name, per_method, methods, scale)
    body.append("</body></html>")
    path = out / "report.html"
    tmp = path.with_name(".report.html.tmp")
    tmp.write_text("\n".join(body) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_data(self, data):
        self.text.append(data)


def check_report(out: str | Path) -> list[str]:
    """What is wrong with ``OUT/report.html``, without a browser: every ``<img>`` must be a
    relative link to an existing file, and every method and image of ``run.json`` must be named
    in the page's text. Returns the problems found (empty when the page is whole)."""
    out = Path(out)
    page = out / "report.html"
    if not page.is_file():
        return [f"{page} does not exist"]
    parser = _Collector()
    parser.feed(page.read_text(encoding="utf-8"))
    problems = []
    for src in parser.images:
        target = out / unquote(src)
        if not src or "://" in src or src.startswith("/") or not target.is_file():
            problems.append(f"<img src={src!r}> does not resolve to a file next to the page")
    text = " ".join(parser.text)
    settings = _settings(out, load_rows(out / "results.jsonl"))
    for what, names in (("method", settings["methods"]), ("image", settings["images"])):
        problems += [f"{what} {n!r} is not named on the page" for n in names if n not in text]
    return problems
