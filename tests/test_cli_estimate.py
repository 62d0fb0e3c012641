import json

import numpy as np
import scipy.io
from blindsr.degradations import downscale
from blindsr.degradations.kernels import random_table2_kernel
from click.testing import CliRunner

from blindsr.cli import cli
from blindsr.image_io import write_image
from blindsr.kernel_io import read_kernel, read_kernel_metadata, write_kernel

FAST = [
    "--max-iters",
    "3",
    "--set",
    "width=8",
    "--set",
    "crop_size=24",
    "--set",
    "run_test_every=2",
]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_estimate_writes_kernel_confidence_picture_and_report(tmp_path, rgb_image):
    k = random_table2_kernel(np.random.default_rng(3), 2)
    lr = write_image(tmp_path / "lr.png", downscale(rgb_image, k, 2).clip(0, 1))
    res = run(
        "estimate",
        lr,
        "--scale",
        2,
        "-o",
        tmp_path / "k.mat",
        "--png",
        tmp_path / "k.png",
        "--report",
        tmp_path / "r.json",
        "--narrowing",
        1.25,
        "--profile",
        "gaussian",
    )
    assert res.exit_code == 0, res.output
    kernel = read_kernel(tmp_path / "k.mat")
    assert kernel.shape[0] % 2 == 1 and abs(kernel.sum() - 1) < 1e-6
    assert "Kernel" in scipy.io.loadmat(tmp_path / "k.mat")
    meta = read_kernel_metadata(tmp_path / "k.mat")
    assert meta["scale"] == 2 and meta["trustworthy"] in (0, 1)
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["trustworthy"] == bool(meta["trustworthy"]) and "reason" in rep
    assert (rep["config"]["narrowing"], rep["config"]["profile"]) == (1.25, "gaussian")
    assert (rep["config"]["query_score"], rep["config"]["query_fraction"]) == ("laplacian", 0.1)
    assert (tmp_path / "k.png").stat().st_size > 0
    res = run(
        "estimate",
        lr,
        "--scale",
        2,
        "-o",
        tmp_path / "g.npy",
        "--report",
        tmp_path / "g.json",
        "--queries",
        "gradient",
    )
    assert res.exit_code == 0, res.output
    rep = json.loads((tmp_path / "g.json").read_text())
    assert (rep["config"]["query_score"], rep["config"]["query_fraction"]) == ("gradient", 0.25)


def test_estimate_errors(tmp_path, rgb_image):
    lr = write_image(tmp_path / "lr.png", rgb_image)
    tiny = write_image(tmp_path / "tiny.png", rgb_image[:12, :12])
    for args, message in [
        ([lr, "--scale", "1.5", "-o", tmp_path / "k.mat"], "integer scale"),
        ([tiny, "--scale", "2", "-o", tmp_path / "k.mat"], "small"),
        ([tmp_path / "nope.png", "--scale", "2", "-o", tmp_path / "k.mat"], "not found"),
        ([lr, "--scale", "2", "-o", lr], "refusing"),
    ]:
        res = run("estimate", *args)
        assert res.exit_code == 1, res.output
        assert message in res.stderr and "Traceback" not in res.output
    res = run("estimate", lr, "--scale", "2", "-o", tmp_path / "k.mat", "--narrowing", "0")
    assert res.exit_code == 2 and "--narrowing" in res.output
    assert not (tmp_path / "k.mat").exists()


def test_sr_falls_back_to_bicubic_for_an_untrustworthy_kernel(tmp_path, rgb_image):
    lr = write_image(tmp_path / "lr.png", rgb_image[:20, :20])
    write_kernel(tmp_path / "k.mat", np.ones((5, 5)), metadata={"trustworthy": 0, "reason": "x"})
    res = run(
        "sr",
        lr,
        "-o",
        tmp_path / "a.png",
        "--scale",
        2,
        "--kernel",
        tmp_path / "k.mat",
        "--preset",
        "given-kernel",
        "--report",
        tmp_path / "a.json",
        *FAST,
    )
    assert res.exit_code == 0, res.output
    assert "not trustworthy" in res.stderr
    report = json.loads((tmp_path / "a.json").read_text())
    assert report["stages"][0]["kernel"] is None
    # With the bicubic kernel it runs what ZSSR[bicubic] runs (the kernel-free preset).
    assert report["preset"] == "ideal" and "preset ideal," in res.stdout
    assert "config ideal instead of given-kernel" in res.stderr
    res = run(
        "sr",
        lr,
        "-o",
        tmp_path / "b.png",
        "--scale",
        2,
        "--kernel",
        tmp_path / "k.mat",
        "--trust-kernel",
        "--report",
        tmp_path / "b.json",
        *FAST,
    )
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "b.json").read_text())["stages"][0]["kernel"] == [5, 5]


def test_sr_estimate_kernel_flag_runs_end_to_end(tmp_path, rgb_image):
    k = random_table2_kernel(np.random.default_rng(1), 2)
    lr = write_image(tmp_path / "lr.png", downscale(rgb_image, k, 2).clip(0, 1))
    res = run("sr", lr, "-o", tmp_path / "sr.png", "--scale", 2, "--estimate-kernel", *FAST)
    assert res.exit_code == 0, res.output
    res = run(
        "sr",
        lr,
        "-o",
        tmp_path / "sr.png",
        "--scale",
        2,
        "--estimate-kernel",
        "--preset",
        "ideal-gradual",
        *FAST,
    )
    assert res.exit_code == 1 and "--estimate-kernel" in res.stderr
