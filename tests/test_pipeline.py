"""The blind pipeline's decisions on inputs whose right answer is known, its record, overrides."""

from __future__ import annotations

import json

import numpy as np
import pytest
from blindsr.degradations import add_gaussian_noise, downscale, imresize, jpeg_compress
from blindsr.degradations.jpeg import (
    estimate_jpeg_quality,
    ijg_luma_table,
    jpeg_quality_of_file,
    quality_from_table,
)
from blindsr.degradations.noise import add_speckle_noise, estimate_noise_level
from PIL import Image
from skimage import data

from blindsr.image_io import read_image, write_image
from blindsr.pipeline import NOISY_ABOVE, plan_run, preset_names

TINY = {"max_iters": 4, "width": 8, "crop_size": 24, "run_test_every": 2}


def _q(image: np.ndarray) -> np.ndarray:
    return (np.round(np.clip(image, 0, 1) * 255) / 255).astype(np.float32)


@pytest.fixture(scope="module")
def hr() -> np.ndarray:
    """256 x 256 RGB crop of skimage's astronaut (sharp edges, texture, flat areas)."""
    return data.astronaut()[0:256, 120:376].astype(np.float32) / 255.0


@pytest.fixture(scope="module")
def bicubic_lr(hr) -> np.ndarray:
    return _q(imresize(hr, 0.5))


def _gaussian_kernel(sigma: float, size: int = 13) -> np.ndarray:
    r = np.arange(size) - size // 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


# ------------------------------------------------------------------------------------------ JPEG
@pytest.mark.parametrize("quality", [20, 45, 75, 90])
def test_jpeg_quality_is_read_from_the_pixels(bicubic_lr, quality):
    found, evidence = estimate_jpeg_quality(jpeg_compress(bicubic_lr, quality))
    assert found == quality, evidence
    assert evidence["on_grid_share"] > 0.9


def test_uncompressed_or_regridded_pixels_are_not_jpeg(bicubic_lr):
    assert estimate_jpeg_quality(bicubic_lr)[0] is None
    # Cropping after compression moves the 8x8 grid: no longer detectable, by design.
    assert estimate_jpeg_quality(jpeg_compress(bicubic_lr, 45)[3:, 5:])[0] is None
    grey = bicubic_lr.mean(axis=2, keepdims=True)
    assert estimate_jpeg_quality(jpeg_compress(grey, 60))[0] == 60


def test_jpeg_quality_from_the_file_table(tmp_path, bicubic_lr):
    u8 = np.round(bicubic_lr * 255).astype(np.uint8)
    for quality in (35, 80):
        path = tmp_path / f"q{quality}.jpg"
        Image.fromarray(u8).save(path, quality=quality)
        assert jpeg_quality_of_file(path) == quality
    png = tmp_path / "x.png"
    Image.fromarray(u8).save(png)
    assert jpeg_quality_of_file(png) is None
    # Order of the 64 entries (natural or zig-zag) does not matter.
    table = ijg_luma_table(55).ravel()
    assert quality_from_table(table) == quality_from_table(table[::-1]) == 55
    with pytest.raises(ValueError, match="64 entries"):
        quality_from_table(table[:10])


# ----------------------------------------------------------------------------------------- noise
def test_noise_level_ignores_texture_and_finds_added_noise(bicubic_lr):
    rng = np.random.default_rng(0)
    clean, plane = estimate_noise_level(bicubic_lr)
    assert plane == "chroma" and clean < NOISY_ABOVE["chroma"] / 2
    for sigma in (0.02, 0.05):
        level, _ = estimate_noise_level(add_gaussian_noise(bicubic_lr, sigma, rng))
        assert level == pytest.approx(sigma, rel=0.2)
    assert estimate_noise_level(add_speckle_noise(bicubic_lr, 0.05, rng))[0] > 0.012
    assert estimate_noise_level(jpeg_compress(bicubic_lr, 45))[0] < 0.005
    grey = bicubic_lr.mean(axis=2, keepdims=True)
    assert estimate_noise_level(grey)[1] == "luminance"
    assert estimate_noise_level(np.repeat(grey, 3, axis=2))[1] == "luminance"


# ------------------------------------------------------------------------------------- decisions
def test_clean_bicubic_input_keeps_the_bicubic_kernel(bicubic_lr):
    plan = plan_run(bicubic_lr, 2)
    d = plan.decisions
    assert d["jpeg"].value is None and d["noise"].value == 0.0
    assert d["kernel"].value == "bicubic" and d["kernel"].source == "auto"
    assert plan.preset == "fast" and plan.kernels == (None,)
    assert "son_jpeg_quality" not in plan.overrides and "noise_std" not in plan.overrides
    assert plan.overrides == {"revive_dead_net": True}  # blind presets guard against a dead net
    unguarded = plan_run(bicubic_lr, 2, overrides={"revive_dead_net": False})
    assert unguarded.overrides == {"revive_dead_net": False}  # the user's setting wins
    assert plan.summary().startswith("decisions: kernel bicubic")


def test_strong_blur_gets_an_estimated_kernel(hr):
    lr = _q(downscale(hr, _gaussian_kernel(2.2), 2))
    plan = plan_run(lr, 2)
    assert plan.decisions["kernel"].value == "estimated", plan.decisions["kernel"].reason
    assert plan.preset == "given-kernel-fast" and plan.kernels[0] is not None
    assert plan.decisions["noise"].value == 0.0 and plan.decisions["jpeg"].value is None
    faithful = plan_run(lr, 2, preset="auto-faithful")
    assert faithful.preset == "given-kernel"


def test_noisy_input_gets_matched_son_noise_and_the_real_configuration(bicubic_lr):
    noisy = add_gaussian_noise(bicubic_lr, 0.05, np.random.default_rng(1))
    plan = plan_run(noisy, 2)
    noise = plan.decisions["noise"]
    assert noise.evidence["input_noise_std"] == pytest.approx(0.05, rel=0.2)
    # Sons get the part of the input's noise the downscale removes, at least the reference's.
    assert 0.0125 <= plan.overrides["noise_std"] < 0.05
    assert plan.decisions["kernel"].value == "bicubic"
    assert "noisy" in plan.decisions["kernel"].reason
    assert plan.preset == "real-fast"


def test_jpeg_file_is_modelled_in_the_sons(tmp_path, bicubic_lr):
    path = tmp_path / "photo.jpg"
    Image.fromarray(np.round(bicubic_lr * 255).astype(np.uint8)).save(path, quality=40)
    image = read_image(path)
    plan = plan_run(image, 2, source=path)
    jpeg = plan.decisions["jpeg"]
    assert jpeg.value == 40 and jpeg.evidence["from"] == "file"
    assert plan.overrides["son_jpeg_quality"] == 40
    assert plan.overrides["back_projection_iters"] == (0,)
    assert plan.decisions["noise"].value == 0.0
    # The same pixels saved as PNG are recognised from their DCT grid.
    assert plan_run(image, 2).decisions["jpeg"].evidence["from"] == "pixels"


def test_user_choices_override_decisions_and_are_recorded(bicubic_lr):
    k = _gaussian_kernel(1.5)
    plan = plan_run(bicubic_lr, 2, kernel=k, noise_std=0.02, overrides={"max_iters": 7})
    assert plan.decisions["kernel"].source == "user" and plan.kernels[0] is not None
    assert plan.decisions["noise"].source == "user" and plan.overrides["noise_std"] == 0.02
    # A user kernel keeps the kernel configuration, with the user's son noise on top.
    assert plan.preset == "given-kernel-fast" and plan.overrides["max_iters"] == 7
    named = plan_run(bicubic_lr, 2, preset="ideal")
    assert set(named.decisions) == {"kernel", "config"}
    assert named.decisions["config"].source == "user" and named.preset == "ideal"
    assert named.overrides == {}
    with pytest.raises(ValueError, match="unknown preset"):
        plan_run(bicubic_lr, 2, preset="nope")
    with pytest.raises(ValueError, match="one integer scale stage"):
        plan_run(bicubic_lr, 1.5, preset="given-kernel", kernel="estimate")
    # Blind presets fall back to bicubic where estimation cannot run, and say why.
    assert "integer" in plan_run(bicubic_lr, 1.5).decisions["kernel"].reason
    assert "smaller than" in plan_run(bicubic_lr[:30, :30], 2).decisions["kernel"].reason
    assert preset_names()[:2] == ["auto", "auto-faithful"]


def test_report_records_decisions_and_the_kernel_used(bicubic_lr, monkeypatch):
    import blindsr.zssr.trainer as trainer

    from blindsr.api import super_resolve

    calls = []
    real_jpeg = trainer.jpeg_compress

    def counting(image, quality):
        calls.append(quality)
        return real_jpeg(image, quality)

    monkeypatch.setattr(trainer, "jpeg_compress", counting)
    lr = jpeg_compress(bicubic_lr[:64, :64], 50)
    sr, report = super_resolve(lr, 2, "bicubic", progress=False, **TINY)
    assert sr.shape == (128, 128, 3)
    assert report["requested_preset"] == "auto" and report["preset"] == "fast"
    assert report["decisions"]["kernel"]["source"] == "user"
    # On 64 x 64 pixels the tables of neighbouring qualities can fit equally well.
    quality = report["decisions"]["jpeg"]["value"]
    assert abs(quality - 50) <= 1
    assert report["settings"]["son_jpeg_quality"] == quality and set(calls) == {quality}
    assert report["kernel"] == [None]
    json.dumps(report)


def test_cli_prints_one_decision_line_and_the_preset_that_ran(tmp_path, bicubic_lr):
    from click.testing import CliRunner

    from blindsr.cli import cli

    lr = write_image(tmp_path / "lr.png", bicubic_lr[:40, :40])
    res = CliRunner().invoke(
        cli,
        ["sr", str(lr), "-o", str(tmp_path / "sr.png"), "--scale", "2", "--max-iters", "3"]
        + ["--set", "width=8", "--set", "crop_size=24", "--report", str(tmp_path / "r.json")],
    )
    assert res.exit_code == 0, res.output
    lines = [line for line in res.stderr.splitlines() if line.startswith("decisions:")]
    assert len(lines) == 1 and "kernel bicubic" in lines[0] and "jpeg none" in lines[0]
    assert "preset fast," in res.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["decisions"]["kernel"]["value"] == "bicubic"
