import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from blindsr.degradations.kernels import kernel_seed, random_table2_kernel
from blindsr.eval.harness import run_benchmark, write_tables
from blindsr.eval.paper_numbers import TABLE3_PROJECT_PAGE
from blindsr.eval.protocols import prepare_cases
from blindsr.eval.results_store import ResultsStore
from skimage import data

from blindsr.image_io import write_image
from blindsr.kernel_io import read_kernel

TINY = "zssr-bicubic:max_iters=3,width=8,crop_size=24,run_test_every=2"
STABLE = ("image", "method", "seed", "repeat", "psnr", "ssim", "iterations", "degradation")


@pytest.fixture(scope="module")
def hr_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hr")
    img = data.astronaut().astype(np.float32) / 255
    for i, (r, c) in enumerate([(0, 0), (100, 200), (250, 300)]):
        write_image(folder / f"img{i}.png", img[r : r + 49, c : c + 51])  # odd sizes: mod-crop
    return folder


def stable(rows):
    return sorted(tuple(json.dumps(r.get(k), sort_keys=True) for k in STABLE) for r in rows)


def quiet(_msg):
    pass


def test_protocols_are_deterministic_and_record_their_choices(hr_dir, tmp_path):
    cases = prepare_cases("table2", hr_dir, tmp_path / "c", scale=2, seed=5)
    again = prepare_cases("table2", hr_dir, tmp_path / "d", scale=2, seed=5)
    assert [c.name for c in cases] == ["img0", "img1", "img2"]
    for a, b in zip(cases, again):
        assert open(a.lr_path, "rb").read() == open(b.lr_path, "rb").read()
    k = read_kernel(cases[1].kernel_path)
    expected = random_table2_kernel(np.random.default_rng(kernel_seed(5, "img1")), 2)
    np.testing.assert_allclose(k, expected, atol=1e-6)
    t3 = prepare_cases("table3", hr_dir, tmp_path / "e", scale=2, seed=0)
    assert all(c.degradation in ("gaussian:0.05", "speckle:0.05", "jpeg:45") for c in t3)
    with pytest.raises(ValueError, match="x2"):
        prepare_cases("table2", hr_dir, tmp_path / "f", scale=4)


def test_serial_run_writes_tables_with_paper_numbers(hr_dir, tmp_path):
    table = run_benchmark(
        "ideal", hr_dir, tmp_path, methods=["bicubic", TINY], scale=2, set_name="set5", log=quiet
    )
    text = table.read_text()
    assert "bicubic" in text and "33.66" in text and "3/3" in text
    rows = ResultsStore(tmp_path / "results.jsonl").rows
    assert len(rows) == 6 and all(np.isfinite(r["psnr"]) for r in rows)
    # ZSSR rows say whether the net ended dead (a collapsed run).
    assert [r["dead_at_end"] for r in rows if r["method"] == TINY] == [[False]] * 3
    assert (tmp_path / "per_image.csv").read_text().count("\n") == 7
    # re-running does nothing new
    run_benchmark("ideal", hr_dir, tmp_path, methods=["bicubic", TINY], scale=2, log=quiet)
    assert len(ResultsStore(tmp_path / "results.jsonl").rows) == 6


def test_killed_and_resumed_equals_uninterrupted(hr_dir, tmp_path):
    methods = ["bicubic", TINY]
    run_benchmark("ideal", hr_dir, tmp_path / "full", methods=methods, scale=2, log=quiet)
    reference = ResultsStore(tmp_path / "full" / "results.jsonl").rows
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "blindsr",
        "bench",
        "ideal",
        "--data-dir",
        str(hr_dir),
        "--out",
        str(out),
        "--methods",
        ";".join(methods),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    results = out / "results.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not results.exists() or results.read_text().count("\n") < 2):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with results.open("a") as fh:  # a write torn by the kill
        fh.write('{"image": "img2", "meth')
    partial = ResultsStore(results).rows
    assert 2 <= len(partial) < 6
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    assert stable(ResultsStore(results).rows) == stable(reference)


def test_workers_give_the_same_numbers_as_serial(hr_dir, tmp_path):
    methods = ["bicubic", TINY]
    run_benchmark("table2", hr_dir, tmp_path / "serial", methods=methods, scale=2, log=quiet)
    run_benchmark(
        "table2", hr_dir, tmp_path / "par", methods=methods, scale=2, workers=2, log=quiet
    )
    a = {
        (r["image"], r["method"]): r
        for r in ResultsStore(tmp_path / "serial" / "results.jsonl").rows
    }
    b = {
        (r["image"], r["method"]): r for r in ResultsStore(tmp_path / "par" / "results.jsonl").rows
    }
    assert a.keys() == b.keys()
    for key in a:
        assert a[key]["psnr"] == pytest.approx(b[key]["psnr"], abs=1e-3)
        if key[1] == "bicubic":
            assert a[key]["psnr"] == b[key]["psnr"]


def test_ray_gives_the_same_numbers_as_serial(hr_dir, tmp_path):
    pytest.importorskip("ray")
    methods = ["bicubic"]
    run_benchmark("ideal", hr_dir, tmp_path / "serial", methods=methods, scale=2, log=quiet)
    run_benchmark(
        "ideal", hr_dir, tmp_path / "ray", methods=methods, scale=2, ray_address="local", log=quiet
    )
    assert stable(ResultsStore(tmp_path / "serial" / "results.jsonl").rows) == stable(
        ResultsStore(tmp_path / "ray" / "results.jsonl").rows
    )


def test_unknown_method_fails_before_work(hr_dir, tmp_path):
    with pytest.raises(ValueError, match="unknown method"):
        run_benchmark("ideal", hr_dir, tmp_path, methods=["zssr-magic"], scale=2, log=quiet)
    assert not (tmp_path / "results.jsonl").exists()


def test_estimator_options_reach_the_estimator_and_only_zssr_est_takes_them(
    hr_dir, tmp_path, monkeypatch
):
    from blindsr.eval.methods import parse_method, run_unit

    from blindsr import kernel_estimation

    seen = {}

    def untrusted(lr, scale, config=None, **kwargs):
        seen["config"] = config
        return np.ones((13, 13)) / 169, {"trustworthy": False, "reason": "forced by the test"}

    monkeypatch.setattr(kernel_estimation, "estimate_kernel", untrusted)
    spec = parse_method("zssr-est:estimator.narrowing=1.5,max_iters=3")
    assert spec.estimator_overrides() == {"narrowing": 1.5}
    assert spec.zssr_overrides() == {"max_iters": 3}
    case = prepare_cases("table2", hr_dir, tmp_path / "c", scale=2, seed=0)[0]
    tiny = "max_iters=3,width=8,crop_size=24,run_test_every=2"
    run_unit(case, f"zssr-est:estimator.narrowing=1.5,{tiny}", seed=0, repeat=0)
    assert seen["config"].narrowing == 1.5
    with pytest.raises(ValueError, match="zssr-est and zssr-blind only"):
        parse_method("zssr-true:estimator.narrowing=1.5")
    with pytest.raises(ValueError, match="unknown estimator setting"):
        run_unit(case, f"zssr-est:estimator.wideness=2,{tiny}", seed=0, repeat=0)


def test_table3_reports_each_degradation_type(hr_dir, tmp_path):
    table = run_benchmark("table3", hr_dir, tmp_path, methods=["bicubic"], scale=2, log=quiet)
    assert "per degradation type" in table.read_text()


def test_table3_paper_imposes_the_published_degradations(tmp_path):
    folder = tmp_path / "bsd"
    folder.mkdir()
    img = data.astronaut().astype(np.float32) / 255
    for i, name in enumerate(sorted(TABLE3_PROJECT_PAGE)):
        write_image(folder / f"{name}.png", img[20 * i : 20 * i + 40, 0:40])
    cases = prepare_cases("table3-paper", folder, tmp_path / "c", scale=2)
    assert [c.name for c in cases] == sorted(TABLE3_PROJECT_PAGE)
    assert {c.name: c.degradation for c in cases} == {
        k: v[1] for k, v in TABLE3_PROJECT_PAGE.items()
    }
    # Where table3's seeded draw picks the same degradation, the LR is the very same file.
    t3 = {c.name: c for c in prepare_cases("table3", folder, tmp_path / "d", scale=2)}
    same = [c for c in cases if t3[c.name].degradation == c.degradation]
    assert same
    for c in same:
        assert open(c.lr_path, "rb").read() == open(t3[c.name].lr_path, "rb").read()
    table = run_benchmark(
        "table3-paper", folder, tmp_path / "out", methods=["bicubic"], scale=2, log=quiet
    ).read_text()
    assert "29.14 / 0.8013" in table  # the published bicubic mean over the seven images
    assert "| 296059 | 060 | gaussian:0.05 | 29.44 / 0.6763 | 30.78 / 0.7645 |" in table
    (folder / "3096.png").unlink()
    with pytest.raises(ValueError, match="3096"):
        prepare_cases("table3-paper", folder, tmp_path / "e", scale=2)


def test_div2krk_layout_is_read_not_regenerated(tmp_path, rgb_image):
    from blindsr.degradations import downscale

    from blindsr.kernel_io import write_kernel

    root = tmp_path / "DIV2KRK"
    k = random_table2_kernel(np.random.default_rng(0), 2)
    for n in (1, 2):
        hr = rgb_image[: 40 + n * 2, :44]
        write_image(root / "gt" / f"im_{n}.png", hr)
        write_image(root / "lr_x2" / f"im_{n}.png", downscale(hr, k, 2).clip(0, 1))
        write_kernel(root / "gt_k_x2" / f"kernel_{n}.mat", k)
    cases = prepare_cases("div2krk", root, tmp_path / "cache", scale=2)
    assert [c.name for c in cases] == ["im_1", "im_2"]
    assert cases[0].lr_path == str(root / "lr_x2" / "im_1.png")
    assert cases[1].kernel_path == str(root / "gt_k_x2" / "kernel_2.mat")
    assert not (tmp_path / "cache").exists()
    table = run_benchmark(
        "div2krk", root, tmp_path / "out", methods=["bicubic"], scale=2, log=quiet
    )
    assert "2/2" in table.read_text()


@pytest.fixture
def untrusted_estimator(monkeypatch):
    """Every kernel estimate comes back flagged as not trustworthy."""
    from blindsr import kernel_estimation

    def untrusted(lr, scale, **kwargs):
        k = np.zeros((13, 13))
        k[6, 6] = 1.0
        return k, {"trustworthy": False, "reason": "forced by the test"}

    monkeypatch.setattr(kernel_estimation, "estimate_kernel", untrusted)


def test_rejected_estimate_runs_exactly_zssr_bicubic(hr_dir, tmp_path, untrusted_estimator):
    from blindsr.eval.methods import run_unit

    case = prepare_cases("table2", hr_dir, tmp_path / "c", scale=2, seed=0)[0]
    tiny = "max_iters=3,width=8,crop_size=24,run_test_every=2"
    est = run_unit(case, f"zssr-est:{tiny}", seed=0, repeat=0)
    bic = run_unit(case, f"zssr-bicubic:{tiny}", seed=0, repeat=0)
    assert est["estimation"]["fallback_to_bicubic"]
    assert est["estimation"]["fallback_preset"] == "ideal"
    assert est["psnr"] == bic["psnr"] and est["settings"] == bic["settings"]
    assert bic["revivals"] == [[]]  # one stage, guard off: recorded, never fired


def test_blind_default_with_a_rejected_estimate_runs_exactly_the_fast_bicubic_unit(
    hr_dir, tmp_path, untrusted_estimator
):
    """What lets the docs equate zssr-blind with zssr-bicubic:preset=fast wherever its decision
    record says bicubic kernel, clean, no JPEG."""
    from blindsr.eval.methods import run_unit

    case = prepare_cases("ideal", hr_dir, tmp_path / "c", scale=2, seed=0)[0]
    tiny = "max_iters=3,width=8,crop_size=24"
    blind = run_unit(case, f"zssr-blind:{tiny}", seed=0, repeat=0)
    fast = run_unit(case, f"zssr-bicubic:preset=fast,{tiny}", seed=0, repeat=0)
    decisions = blind["decisions"]["decisions"]
    assert decisions["kernel"]["value"] == "bicubic" and decisions["jpeg"]["value"] is None
    assert blind["preset_run"] == "fast" and decisions["noise"]["value"] == 0.0
    # The blind presets add the dead-net guard, which changes nothing in a run it does not flag.
    assert blind["settings"] == {**fast["settings"], "revive_dead_net": True}
    assert blind["revivals"] == [[]] and blind["psnr"] == fast["psnr"]


def test_repeats_are_distinct_units_and_the_table_reports_their_spread(hr_dir, tmp_path):
    method = TINY.replace("max_iters=3", "max_iters=30")  # enough training to tell seeds apart
    table = run_benchmark(
        "ideal", hr_dir, tmp_path, methods=[method], scale=2, repeats=2, set_name="set5", log=quiet
    )
    rows = ResultsStore(tmp_path / "results.jsonl").rows
    assert sorted((r["image"], r["repeat"]) for r in rows) == [
        (f"img{i}", k) for i in range(3) for k in range(2)
    ]
    by_image = {}
    for r in rows:
        by_image.setdefault(r["image"], []).append(r["psnr"])
    assert any(a != b for a, b in by_image.values())  # each repeat has its own seed
    line = next(ln for ln in table.read_text().splitlines() if ln.startswith(f"| {method}"))
    assert "±" in line and "| 3/3 | 2 |" in line


def test_tables_only_runs_nothing_and_reports_partial_methods(hr_dir, tmp_path):
    run_benchmark("ideal", hr_dir, tmp_path, methods=["bicubic"], scale=2, log=quiet)
    table = run_benchmark(
        "ideal", hr_dir, tmp_path, methods=["bicubic", TINY], scale=2, tables_only=True, log=quiet
    )
    assert len(ResultsStore(tmp_path / "results.jsonl").rows) == 3
    text = table.read_text()
    assert "| bicubic |" in text and TINY not in text


def _row(image, repeat, psnr, method="zssr-bicubic"):
    return {
        "image": image,
        "method": method,
        "seed": 0,
        "repeat": repeat,
        "psnr": psnr,
        "ssim": psnr / 100,
        "degradation": "none",
        "seconds": {"total": 1.0},
    }


def test_an_unfinished_repeat_does_not_weight_its_images_twice(tmp_path):
    # Image a has two repeats (30, 32), image b one (20): the mean is of the per-image means,
    # (31 + 20) / 2, not of the per-repeat means ((30 + 20) / 2 + 32) / 2.
    rows = [_row("a", 0, 30.0), _row("b", 0, 20.0), _row("a", 1, 32.0)]
    table = write_tables(
        rows,
        tmp_path,
        protocol="ideal",
        set_name="x",
        scale=2,
        methods=["zssr-bicubic"],
        n_images=2,
    )
    line = next(ln for ln in table.read_text().splitlines() if ln.startswith("| zssr-bicubic"))
    assert line.startswith(
        "| zssr-bicubic | 25.50 | 0.2550 | 2/2 | 1-2 |"
    )  # no spread: 1 full repeat


def test_the_table_covers_the_requested_images_and_repeats_only(hr_dir, tmp_path):
    run_benchmark("ideal", hr_dir, tmp_path, methods=["bicubic"], scale=2, repeats=2, log=quiet)
    table = run_benchmark(
        "ideal",
        hr_dir,
        tmp_path,
        methods=["bicubic"],
        scale=2,
        limit=2,
        tables_only=True,
        log=quiet,
    )
    assert len(ResultsStore(tmp_path / "results.jsonl").rows) == 6
    line = next(ln for ln in table.read_text().splitlines() if ln.startswith("| bicubic"))
    assert "| 2/2 | 1 |" in line
    per_image = (tmp_path / "per_image.csv").read_text().splitlines()[1:]
    assert sorted(ln.split(",")[0] for ln in per_image) == ["img0", "img1"]
