import json

import numpy as np
import torch
from click.testing import CliRunner

from blindsr.cli import cli
from blindsr.image_io import read_image, write_image
from blindsr.kernel_io import write_kernel

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


def test_sr_single_image_with_report_and_plot(tmp_path, rgb_image):
    lr = write_image(tmp_path / "lr.png", rgb_image[:20, :26])
    res = run(
        "sr",
        lr,
        "-o",
        tmp_path / "sr.png",
        "--scale",
        2,
        "--seed",
        1,
        "--threads",
        2,
        "--report",
        tmp_path / "r.json",
        "--plot",
        tmp_path / "p.png",
        *FAST,
    )
    assert res.exit_code == 0, res.output
    assert read_image(tmp_path / "sr.png").shape == (40, 52, 3)
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["stages"][0]["iterations"] == 3 and rep["seed"] == 1 and "versions" in rep
    assert rep["versions"]["threads"] == 2  # conftest pins 1, so the option took effect
    torch.set_num_threads(1)
    assert (tmp_path / "p.png").stat().st_size > 0


def test_sr_with_kernel_and_folder_mode_skips_done(tmp_path, rgb_image):
    src = tmp_path / "in"
    src.mkdir()
    write_image(src / "a.png", rgb_image[:20, :20])
    write_image(src / "b.png", rgb_image[20:40, :20, :1])
    write_kernel(tmp_path / "k.mat", np.ones((5, 5)))
    res = run(
        "sr",
        src,
        "-o",
        tmp_path / "out",
        "--scale",
        2,
        "--kernel",
        tmp_path / "k.mat",
        "--preset",
        "given-kernel",
        *FAST,
    )
    assert res.exit_code == 0, res.output
    assert read_image(tmp_path / "out" / "b.png").shape == (40, 40, 1)
    same = ["--kernel", tmp_path / "k.mat", "--preset", "given-kernel", *FAST]
    res = run("sr", src, "-o", tmp_path / "out", "--scale", 2, *same)
    assert res.exit_code == 0 and res.stderr.count("skip") == 2


def test_sr_errors(tmp_path, rgb_image):
    lr = write_image(tmp_path / "lr.png", rgb_image[:20, :20])
    (tmp_path / "bad.mat").write_bytes(b"junk")
    cases = [
        (["--kernel", tmp_path / "bad.mat"], "mat"),
        (["--kernel", tmp_path / "missing.mat"], "not found"),
        (["--preset", "ideal-gradual", "--kernel", tmp_path / "bad.mat"], "6 scale stage"),
        (["--set", "nosuch=1"], "unknown ZSSR setting"),
    ]
    for extra, message in cases:
        res = run("sr", lr, "-o", tmp_path / "sr.png", "--scale", 2, *FAST, *extra)
        assert res.exit_code == 1, res.output
        assert message in res.stderr and "Traceback" not in res.output
        assert not (tmp_path / "sr.png").exists()
    res = run("sr", lr, "-o", tmp_path / "sr.png", "--scale", 1)
    assert res.exit_code == 1 and "scale" in res.stderr
    res = run("sr", lr, "-o", lr, "--scale", 2, *FAST)
    assert res.exit_code == 1 and "refusing" in res.stderr


def test_cli_preset_choices_are_the_zssr_presets():
    from blindsr.cli import PRESET_NAMES
    from blindsr.pipeline import preset_names

    assert PRESET_NAMES == preset_names()


def test_sr_noise_std_auto_and_bad_values(tmp_path, rgb_image):
    lr = write_image(tmp_path / "lr.png", rgb_image[:20, :20])
    args = ["sr", lr, "-o", tmp_path / "sr.png", "--scale", 2, "--preset", "real", *FAST]
    res = run(*args, "--noise-std", "auto", "--report", tmp_path / "r.json")
    assert res.exit_code == 0, res.output
    stage = json.loads((tmp_path / "r.json").read_text())["stages"][0]
    assert stage["noise_std"] > 0 and "input_noise_std" in stage
    for bad in ("loud", "-0.1", "inf"):
        res = run(*args, "--noise-std", bad)
        assert res.exit_code == 2 and "--noise-std" in res.output and "Traceback" not in res.output
