"""CLI frictions a first-time user met, each with the test that would have caught it."""

import numpy as np
from click.testing import CliRunner

from blindsr.cli import cli
from blindsr.image_io import write_image
from blindsr.kernel_io import write_kernel_picture

FAST = ["--max-iters", "3", "--set", "width=8", "--set", "crop_size=24"]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_scale_one_is_explained_without_a_contradiction(tmp_path, rgb_image):
    lr = write_image(tmp_path / "lr.png", rgb_image[:20, :20])
    for scale in ("1", "1,1", "0.5"):
        res = run("sr", lr, "-o", tmp_path / "sr.png", "--scale", scale, *FAST)
        assert res.exit_code == 1
        assert f"scale must be greater than 1 (got '{scale}')" in res.stderr
        assert "one > 1" in res.stderr and "per axis >= 1)" not in res.stderr


def test_a_kernel_picture_given_as_kernel_points_to_the_mat(tmp_path, rgb_image):
    lr = write_image(tmp_path / "lr.png", rgb_image[:20, :20])
    k = np.zeros((5, 5))
    k[2, 2] = 1
    pic = write_kernel_picture(tmp_path / "k_picture.png", k, scale=2)
    res = run("sr", lr, "-o", tmp_path / "sr.png", "--scale", 2, "--kernel", pic, *FAST)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "picture of a kernel" in res.stderr and ".mat" in res.stderr
    assert not (tmp_path / "sr.png").exists()
