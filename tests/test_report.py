"""The benchmark's kept images and its HTML report (structure checked without a browser; the
Chromium rendering test runs only where a ``chromium`` binary exists)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from blindsr.eval.harness import run_benchmark
from blindsr.eval.report import check_report, choose_region, write_report
from click.testing import CliRunner
from skimage import data

from blindsr import kernel_estimation
from blindsr.cli import cli
from blindsr.image_io import read_image, write_image

TINY = "max_iters=3,width=8,crop_size=24,run_test_every=2"
METHODS = [
    "bicubic",
    f"zssr-bicubic:{TINY}",
    f"zssr-est:{TINY}",
    f"zssr-true:{TINY}",
    f"zssr-blind:{TINY}",
]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def hr_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hr")
    img = data.astronaut().astype(np.float32) / 255
    for i, (r, c) in enumerate([(0, 0), (100, 200)]):
        write_image(folder / f"img {i}.png", img[r : r + 81, c : c + 85])  # a space: URL-quoted
    return folder


def _fake_estimate(lr, scale, **kwargs):
    """A fixed, trusted estimate (the estimator itself is tested elsewhere; this keeps it fast)."""
    k = np.zeros((13, 13))
    k[5:8, 6:9] = 1.0
    return k / k.sum(), {"trustworthy": True, "reason": "forced by the test", "confidence": {}}


@pytest.fixture(scope="module")
def bench(hr_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    mp = pytest.MonkeyPatch()
    mp.setattr(kernel_estimation, "estimate_kernel", _fake_estimate)
    try:
        run_benchmark("table2", hr_dir, out, methods=METHODS, scale=2, log=lambda m: None)
    finally:
        mp.undo()
    return out


def test_every_unit_keeps_its_image_and_the_page_shows_it(bench):
    rows = [json.loads(line) for line in (bench / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 2 * len(METHODS)
    for row in rows:
        image = read_image(bench / row["output_image"])
        hr = read_image(bench / "images" / row["image"] / "HR.png")
        assert image.shape == hr.shape == (80, 84, 3)
    for name in ("img 0", "img 1"):
        assert (bench / "images" / name / "LR.png").is_file()
        assert np.load(bench / "images" / name / "true_kernel.npy").shape == (11, 11)
    est = next(r for r in rows if r["method"].startswith("zssr-est"))
    np.testing.assert_allclose(np.sum(est["estimation"]["kernel_est"]), 1.0, atol=1e-5)
    assert check_report(bench) == []
    page = (bench / "report.html").read_text()
    assert "<script" not in page
    # table, one crop per method plus LR and HR per image, one kernel picture per zssr-est
    assert page.count("<section") == 2
    assert page.count('class="kernel"') >= 2  # zssr-est's; zssr-blind's when it estimated
    assert page.count("<figure>") == 2 * (len(METHODS) + 2)
    assert "self-check: trustworthy" in page
    assert page.count("decided (ran preset") == 2  # zssr-blind's decisions, per image


def test_the_structure_check_catches_a_missing_picture_and_a_missing_method(bench, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(bench, copy)
    next((copy / "report_files").rglob("crop_01.png")).unlink()
    run = json.loads((copy / "run.json").read_text())
    run["methods"].append("zssr-real")
    (copy / "run.json").write_text(json.dumps(run))
    problems = check_report(copy)
    assert any("crop_01.png" in p for p in problems)
    assert any("zssr-real" in p for p in problems)


def test_report_command_rebuilds_the_page_from_finished_units(bench):
    (bench / "report.html").unlink()
    res = CliRunner().invoke(cli, ["report", str(bench)])
    assert res.exit_code == 0, res.output
    assert check_report(bench) == []
    res = CliRunner().invoke(cli, ["report", str(bench / "nope")])
    assert res.exit_code == 1 and "Error: not a benchmark folder" in res.output


def test_no_images_keeps_none_and_still_writes_a_page(hr_dir, tmp_path):
    run_benchmark(
        "ideal",
        hr_dir,
        tmp_path,
        methods=["bicubic"],
        scale=2,
        keep_images=False,
        log=lambda m: None,
    )
    assert not (tmp_path / "images").exists()
    assert "no images kept" in (tmp_path / "report.html").read_text()
    assert check_report(tmp_path) == []


def test_the_crop_goes_where_the_outputs_differ():
    rng = np.random.default_rng(0)
    base = rng.random((60, 80, 3)).astype(np.float32)
    other = base.copy()
    other[30:46, 50:66] += 0.3  # the only disagreement: a 16x16 square
    r, c = choose_region([base, other], base, size=16, step=2)
    assert (r, c) == (30, 50)
    # one output: its error against the reference decides
    r, c = choose_region([other], base, size=16, step=2)
    assert (r, c) == (30, 50)


def test_a_page_is_rebuilt_while_a_unit_is_being_written(bench, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(bench, copy)
    with open(copy / "results.jsonl", "a") as fh:
        fh.write('{"image": "img 0", "meth')  # a torn line, as while a unit is appended
    write_report(copy)
    assert check_report(copy) == []


@pytest.mark.skipif(
    not any(
        subprocess.run(["which", b], capture_output=True).returncode == 0
        for b in ("chromium", "chromium-browser", "google-chrome")
    ),
    reason="needs a chromium binary (apt-get install chromium)",
)
def test_the_page_renders_in_chromium(bench, tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "report_screenshot.py"), str(bench)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "pictures" in done.stdout
