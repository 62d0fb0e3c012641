import json

import numpy as np
import pytest
from blindsr.degradations import downscale, imresize, modcrop
from click.testing import CliRunner

from blindsr.cli import cli
from blindsr.image_io import read_image, write_image
from blindsr.kernel_io import read_kernel, write_kernel


@pytest.fixture()
def hr_file(tmp_path, rgb_image):
    return write_image(tmp_path / "hr.png", rgb_image[:95, :119])  # not divisible by 2


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_help_and_version():
    assert run("-h").exit_code == 0
    res = run("--version")
    assert res.exit_code == 0 and "version" in res.stdout


def test_degrade_bicubic_matches_operator(tmp_path, hr_file):
    res = run(
        "degrade",
        hr_file,
        "-o",
        tmp_path / "lr.png",
        "--scale",
        2,
        "--kernel-out",
        tmp_path / "k.mat",
    )
    assert res.exit_code == 0, res.output
    lr = read_image(tmp_path / "lr.png")
    hr = modcrop(read_image(hr_file), 2)
    expected = np.round(np.clip(imresize(hr, 0.5), 0, 1) * 255) / 255
    # float32 vs float64 can put an exact .5 on either side: allow one grey level, rarely.
    diff = np.abs(lr - expected)
    assert diff.max() <= 1 / 255 + 1e-6 and (diff > 1e-6).mean() < 1e-3
    assert read_kernel(tmp_path / "k.mat").shape[0] % 2 == 1


def test_degrade_with_kernel_and_random_kernel(tmp_path, hr_file):
    res = run(
        "degrade",
        hr_file,
        "-o",
        tmp_path / "lr.png",
        "--scale",
        2,
        "--random-kernel",
        "table2",
        "--seed",
        3,
        "--kernel-out",
        tmp_path / "k.npy",
    )
    assert res.exit_code == 0, res.output
    k = read_kernel(tmp_path / "k.npy")
    res = run(
        "degrade", hr_file, "-o", tmp_path / "lr2.png", "--scale", 2, "--kernel", tmp_path / "k.npy"
    )
    assert res.exit_code == 0, res.output
    a, b = read_image(tmp_path / "lr.png"), read_image(tmp_path / "lr2.png")
    np.testing.assert_array_equal(a, b)
    expected = downscale(modcrop(read_image(hr_file), 2), k, 2)
    assert np.abs(a - expected).max() <= 0.5 / 255 + 1e-4


@pytest.mark.parametrize("noise", ["gaussian:0.05", "speckle:0.05", "jpeg:45"])
def test_degrade_noise(tmp_path, hr_file, noise):
    res = run("degrade", hr_file, "-o", tmp_path / "lr.png", "--scale", 2, "--noise", noise)
    assert res.exit_code == 0, res.output
    assert noise.split(":")[0] in res.stdout


def test_eval_json_and_text(tmp_path, rgb_image):
    hr = write_image(tmp_path / "hr.png", rgb_image)
    sr_img = np.clip(imresize(imresize(rgb_image, 0.5), 2), 0, 1)
    sr = write_image(tmp_path / "sr.png", sr_img)
    res = run("eval", sr, hr, "--scale", 2, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert 20 < out["psnr"] < 50 and 0 < out["ssim"] < 1 and out["protocol"]["shave"] == 2
    assert "PSNR-Y" in run("eval", sr, hr, "--scale", 2).stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["degrade", "{missing}", "-o", "{out}", "--scale", "2"], "not found"),
        (["degrade", "{bad}", "-o", "{out}", "--scale", "2"], "not a readable image"),
        (["degrade", "{hr}", "-o", "{out}", "--scale", "1"], "scale"),
        (["degrade", "{hr}", "-o", "{out}", "--scale", "0"], "scale"),
        (["degrade", "{hr}", "-o", "{out}", "--scale", "x"], "scale"),
        (["degrade", "{hr}", "-o", "{out}", "--scale", "2", "--kernel", "{badk}"], "non-finite"),
        (
            ["degrade", "{hr}", "-o", "{out}", "--scale", "2", "--kernel", "{zerok}"],
            "positive mass",
        ),
        (["degrade", "{hr}", "-o", "{out}", "--scale", "2", "--kernel", "{missing}"], "not found"),
        (["degrade", "{hr}", "-o", "{out}", "--scale", "2", "--noise", "pink:3"], "--noise"),
        (["degrade", "{hr}", "-o", "{hr}", "--scale", "2"], "refusing to overwrite"),
        (["eval", "{small}", "{hr}", "--scale", "2"], "does not match"),
        (["eval", "{missing}", "{hr}", "--scale", "2"], "not found"),
    ],
)
def test_bad_input_gives_one_line_error_and_no_output(tmp_path, hr_file, rgb_image, args, message):
    paths = {
        "hr": hr_file,
        "out": tmp_path / "out.png",
        "missing": tmp_path / "missing.png",
        "bad": tmp_path / "bad.png",
        "badk": tmp_path / "badk.npy",
        "zerok": tmp_path / "zerok.npy",
        "small": tmp_path / "small.png",
    }
    paths["bad"].write_bytes(b"\x89PNG garbage")
    np.save(paths["badk"], np.full((3, 3), np.nan))
    np.save(paths["zerok"], np.zeros((3, 3)))
    write_image(paths["small"], rgb_image[:40, :40])
    before = hr_file.read_bytes()
    res = run(*[a.format(**paths) for a in args])
    assert res.exit_code != 0
    assert "Traceback" not in res.output
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and message in err[0], res.stderr
    assert not paths["out"].exists()
    assert hr_file.read_bytes() == before


def test_kernel_out_refuses_to_overwrite_kernel_input(tmp_path, hr_file):
    write_kernel(tmp_path / "k.mat", np.ones((3, 3)))
    res = run(
        "degrade",
        hr_file,
        "-o",
        tmp_path / "lr.png",
        "--scale",
        2,
        "--kernel",
        tmp_path / "k.mat",
        "--kernel-out",
        tmp_path / "k.mat",
    )
    assert res.exit_code != 0 and "refusing" in res.stderr
