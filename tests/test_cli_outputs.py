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


# ---------------------------------------------------------------- outputs checked before work


def _no_training(monkeypatch):
    import blindsr.pipeline

    def boom(*args, **kwargs):
        raise AssertionError("training started before the output paths were checked")

    monkeypatch.setattr(blindsr.pipeline, "run_plan", boom)
    monkeypatch.setattr(blindsr.pipeline, "plan_run", boom)


def test_bad_output_paths_fail_before_any_training(tmp_path, rgb_image, monkeypatch):
    lr = write_image(tmp_path / "lr.png", rgb_image[:20, :20])
    (tmp_path / "reports").mkdir()
    _no_training(monkeypatch)
    cases = [
        (["-o", tmp_path / "out.bmpx"], "-o", ".bmpx"),
        (["--report", tmp_path / "reports"], "--report", "is a folder"),
        (["--report", "/dev/null/x.json"], "--report", "/dev/null is a file, not a folder"),
        (["--plot", tmp_path / "plot.svg"], "--plot", ".svg"),
        (["--compare", tmp_path / "cmp"], "--compare", "no suffix"),
        (["--kernel-out", tmp_path / "k.txt"], "--kernel-out", ".txt"),
        (["--png", tmp_path / "k.jpg"], "--png", ".jpg"),
        (["--plot", tmp_path / "sr.png"], "both write", "sr.png"),
        (["--compare", lr], "refusing to overwrite the input", "lr.png"),
    ]
    for extra, *words in cases:
        args = ["-o", tmp_path / "sr.png", *extra] if extra[0] != "-o" else extra
        res = run("sr", lr, "--scale", 2, *args, *FAST)
        assert res.exit_code == 1, (extra, res.output)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
        assert all(w in lines[0] for w in words), lines[0]
    assert not (tmp_path / "sr.png").exists()


def test_folder_outputs_must_be_folders(tmp_path, rgb_image, monkeypatch):
    src = tmp_path / "in"
    src.mkdir()
    write_image(src / "a.png", rgb_image[:20, :20])
    (tmp_path / "r.json").write_text("{}")
    _no_training(monkeypatch)
    res = run("sr", src, "-o", tmp_path / "out", "--scale", 2, "--report", tmp_path / "r.json")
    assert res.exit_code == 1 and "--report" in res.stderr and "must be a folder" in res.stderr
    res = run("sr", src, "-o", src, "--scale", 2)
    assert res.exit_code == 1 and "refusing to overwrite the input" in res.stderr


# ------------------------------------------------------------------------------ folder runs


def _folder(tmp_path, rgb_image, n=2):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(n):
        write_image(src / f"im{i}.png", rgb_image[20 * i : 20 * i + 20, :20])
    return src


def test_folder_rerun_with_other_settings_is_refused_unless_overwrite(tmp_path, rgb_image):
    from blindsr.image_io import read_image

    src, out = _folder(tmp_path, rgb_image), tmp_path / "out"
    res = run("sr", src, "-o", out, "--scale", 2, "--preset", "fast", *FAST)
    assert res.exit_code == 0, res.output
    assert (
        res.stdout.strip()
        .splitlines()[-1]
        .endswith("2 written, 0 skipped (already there), 0 failed, of 2 images")
    )
    assert (out / "blindsr-sr.json").is_file()
    res = run("sr", src, "-o", out, "--scale", 2, "--preset", "fast", *FAST)
    assert res.exit_code == 0 and "0 written, 2 skipped" in res.stdout
    res = run("sr", src, "-o", out, "--scale", 3, "--preset", "fast", *FAST)
    assert res.exit_code == 1 and "other settings" in res.stderr and "'2' -> '3'" in res.stderr
    assert "--overwrite" in res.stderr
    assert read_image(out / "im0.png").shape == (40, 40, 3)
    res = run("sr", src, "-o", out, "--scale", 3, "--preset", "fast", "--overwrite", *FAST)
    assert res.exit_code == 0 and "2 written" in res.stdout
    assert read_image(out / "im0.png").shape == (60, 60, 3)


def test_outputs_without_a_record_are_not_silently_kept(tmp_path, rgb_image):
    src, out = _folder(tmp_path, rgb_image, 1), tmp_path / "out"
    write_image(out / "im0.png", rgb_image[:40, :40])  # made by who knows what
    res = run("sr", src, "-o", out, "--scale", 2, *FAST)
    assert res.exit_code == 1 and "no blindsr-sr.json" in res.stderr


def test_ctrl_c_says_what_is_done_and_a_rerun_resumes(tmp_path, rgb_image, monkeypatch):
    import blindsr.pipeline

    src, out = _folder(tmp_path, rgb_image, 3), tmp_path / "out"
    real = blindsr.pipeline.run_plan
    calls = []

    def interrupted_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(blindsr.pipeline, "run_plan", interrupted_second)
    args = ["sr", src, "-o", out, "--scale", 2, "--preset", "fast", *FAST]
    res = run(*args)
    assert res.exit_code == 130
    assert "interrupted: 1 of 3 done; rerun the same command to resume" in res.stderr
    assert "Aborted" not in res.output
    monkeypatch.setattr(blindsr.pipeline, "run_plan", real)
    res = run(*args)
    assert res.exit_code == 0 and "2 written, 1 skipped" in res.stdout
    # --overwrite redoes everything, so resuming means dropping it
    calls.clear()
    monkeypatch.setattr(blindsr.pipeline, "run_plan", interrupted_second)
    res = run(*args, "--overwrite")
    assert res.exit_code == 130 and "rerun without --overwrite to resume" in res.stderr


def test_one_bad_image_fails_alone_and_the_summary_counts_it(tmp_path, rgb_image):
    src, out = _folder(tmp_path, rgb_image, 2), tmp_path / "out"
    (src / "broken.png").write_bytes(b"not a png")
    res = run("sr", src, "-o", out, "--scale", 2, "--preset", "fast", *FAST)
    assert res.exit_code == 1
    assert "Error: broken.png: not a readable image" in res.stderr
    assert "2 written, 0 skipped (already there), 1 failed, of 3 images" in res.stdout


# ------------------------------------------------------------------ compare, kernel used


def test_compare_and_the_kernel_actually_used(tmp_path, rgb_image):
    from blindsr.degradations.kernels import bicubic_kernel

    from blindsr.image_io import read_image
    from blindsr.kernel_io import read_kernel, read_kernel_metadata, write_kernel

    lr = write_image(tmp_path / "lr.png", rgb_image[:24, :30])
    outs = dict(cmp=tmp_path / "cmp.png", k=tmp_path / "k.mat", pic=tmp_path / "kpic.png")
    base = ["sr", lr, "-o", tmp_path / "sr.png", "--scale", 2, *FAST]
    extra = ["--compare", outs["cmp"], "--kernel-out", outs["k"], "--png", outs["pic"]]
    res = run(*base, "--preset", "fast", *extra)
    assert res.exit_code == 0, res.output
    # bicubic | blindsr, each 48x60 under a label strip, 6 px apart
    assert read_image(outs["cmp"]).shape == (48 + 26, 2 * 60 + 6, 3)
    np.testing.assert_allclose(read_kernel(outs["k"]), bicubic_kernel(2), atol=1e-6)
    assert read_kernel_metadata(outs["k"])["source"] == "bicubic"
    assert read_image(outs["pic"]).shape[2] == 3
    given = np.zeros((7, 7))
    given[2:5, 3:6] = 1
    write_kernel(tmp_path / "given.mat", given)
    res = run(*base, "--preset", "given-kernel-fast", "--kernel", tmp_path / "given.mat", *extra)
    assert res.exit_code == 0, res.output
    np.testing.assert_allclose(read_kernel(outs["k"]), given / given.sum(), atol=1e-6)


def test_the_final_line_names_the_preset_that_ran_after_a_fallback(tmp_path, rgb_image):
    from blindsr.kernel_io import write_kernel

    lr = write_image(tmp_path / "lr.png", rgb_image[:20, :20])
    write_kernel(tmp_path / "untrusted.mat", np.ones((5, 5)), metadata={"trustworthy": 0})
    res = run(
        "sr",
        lr,
        "-o",
        tmp_path / "sr.png",
        "--scale",
        2,
        "--preset",
        "given-kernel-fast",
        "--kernel",
        tmp_path / "untrusted.mat",
        *FAST,
    )
    assert res.exit_code == 0, res.output
    last = res.stdout.strip().splitlines()[-1]
    assert "preset fast," in last and "given-kernel-fast" not in last


def test_folder_with_workers_and_ray_gives_the_files_of_the_serial_run(tmp_path, rgb_image):
    """The executor the harness uses also runs folders; each image is seeded alike wherever it
    runs, so with one thread per process the files are identical."""
    folder = tmp_path / "in"
    for i in range(6):
        write_image(folder / f"im{i}.png", rgb_image[i * 8 : i * 8 + 24, :28])
    common = [*FAST, "--threads", "1", "--preset", "fast"]
    outputs = {}
    for name, extra in (("serial", []), ("workers", ["--workers", "2"])):
        res = run("sr", folder, "-o", tmp_path / name, "--scale", 2, *common, *extra)
        assert res.exit_code == 0, res.output
        assert "6 written" in res.stdout
        outputs[name] = {p.name: p.read_bytes() for p in (tmp_path / name).glob("*.png")}
    try:
        import ray  # noqa: F401
    except ImportError:  # pragma: no cover - the test extra installs it
        pass
    else:
        res = run("sr", folder, "-o", tmp_path / "ray", "--scale", 2, *common, "--ray", "local")
        assert res.exit_code == 0, res.output
        outputs["ray"] = {p.name: p.read_bytes() for p in (tmp_path / "ray").glob("*.png")}
    assert len(outputs["serial"]) == 6
    for name, files in outputs.items():
        assert files == outputs["serial"], name
    res = run("sr", folder / "im0.png", "-o", tmp_path / "x.png", "--scale", 2, "--workers", 2)
    assert res.exit_code == 1 and "folder" in res.stderr
