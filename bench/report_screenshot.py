"""Render a benchmark's ``report.html`` in headless Chromium, check it, and screenshot it.

    python bench/report_screenshot.py OUT [--png SHOT.png] [--width 1280]

Fails (exit 1, one line per problem) when the rendered page is blank, an ``<img>`` did not load
(missing file, or not a decodable picture), or a method or image of ``OUT/run.json`` is not in
the page's rendered text. The page itself has no script: the check loads a copy of it, next to
it in ``OUT`` (so the relative links resolve), with a few lines appended that write what the
browser saw into the DOM, which ``chromium --dump-dom`` prints. Needs the ``chromium`` binary
(Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from blindsr.eval.report import load_rows

from blindsr.image_io import read_image

_PROBE = """
<script>
window.addEventListener("load", () => {
  const broken = [...document.images]
    .filter((im) => !(im.complete && im.naturalWidth > 0))
    .map((im) => im.getAttribute("src"));
  const result = {
    broken: broken,
    images: document.images.length,
    height: Math.ceil(document.documentElement.scrollHeight),
    text: document.body.innerText,
  };
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>
"""

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def find_browser() -> str | None:
    return next((b for b in map(shutil.which, BROWSERS) if b), None)


def _chromium(browser: str, *args: str, timeout: float = 120) -> str:
    # --no-sandbox: the check often runs as root in containers, where the sandbox refuses.
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--allow-file-access-from-files",
        *args,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout


def probe(out: Path, browser: str, *, width: int = 1280) -> dict:
    """Load the page with the probe appended; return what the browser saw."""
    page = out / "report.html"
    fd, name = tempfile.mkstemp(prefix=".probe-", suffix=".html", dir=out)
    probe_page = Path(name)
    try:
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(page.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"))
        # The screenshot's width, so that the measured page height is the screenshot's.
        dom = _chromium(
            browser,
            f"--window-size={width},1000",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probe_page.as_uri(),
        )
    finally:
        probe_page.unlink(missing_ok=True)
    start = dom.find('<pre id="probe">')
    if start < 0:
        raise RuntimeError("the page did not finish loading (no probe result in the DOM)")
    import html

    text = dom[start + len('<pre id="probe">') : dom.index("</pre>", start)]
    return json.loads(html.unescape(text))


def screenshot(out: Path, png: Path, browser: str, *, width: int, height: int) -> Path:
    png = png.resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    _chromium(
        browser,
        f"--window-size={width},{height}",
        f"--screenshot={png}",
        (out / "report.html").resolve().as_uri(),
    )
    return png


def check(out: Path, png: Path | None, *, width: int = 1280, max_height: int = 8000) -> list[str]:
    browser = find_browser()
    if browser is None:
        return ["no chromium binary found (apt-get install chromium)"]
    out = Path(out).resolve()
    if not (out / "report.html").is_file():
        return [f"{out / 'report.html'} does not exist"]
    seen = probe(out, browser, width=width)
    problems = [f"image did not load: {src}" for src in seen["broken"]]
    run = out / "run.json"
    if run.is_file():
        settings = json.loads(run.read_text())
    else:
        rows = load_rows(out / "results.jsonl")
        settings = {
            "methods": sorted({r["method"] for r in rows}),
            "images": sorted({r["image"] for r in rows}),
        }
    text = seen["text"]
    problems += [f"method {m!r} not on the page" for m in settings["methods"] if m not in text]
    problems += [f"image {n!r} not on the page" for n in settings["images"] if n not in text]
    if seen["images"] == 0:
        problems.append("the page has no pictures")
    shot_to = png or Path(tempfile.mkdtemp()) / "shot.png"
    height = min(max(int(seen["height"]), 400), max_height)
    shot = screenshot(out, shot_to, browser, width=width, height=height)
    pixels = read_image(shot)
    if float(pixels.std()) < 0.02:
        problems.append(f"the rendered page is blank (pixel std {pixels.std():.4f})")
    print(
        f"rendered {out / 'report.html'}: {seen['images']} pictures, page height "
        f"{seen['height']} px; screenshot {shot} ({pixels.shape[1]}x{pixels.shape[0]} px, "
        f"pixel std {float(np.std(pixels)):.3f})"
    )
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="benchmark folder holding report.html")
    parser.add_argument("--png", type=Path, help="keep the screenshot here")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--max-height", type=int, default=8000)
    args = parser.parse_args()
    problems = check(args.out, args.png, width=args.width, max_height=args.max_height)
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
