"""``blindsr`` command line. Results go to stdout, progress and logs to stderr.

User errors (missing or corrupt files, bad kernels, bad scales, mismatched sizes) end with one
``Error: ...`` line and a non-zero exit code, never a traceback, and never leave a partial file.
"""

from __future__ import annotations

import functools
import json
import sys
import warnings
from pathlib import Path

import click
import numpy as np

from blindsr import __version__
from blindsr.image_io import read_image, read_image_with_depth, write_image
from blindsr.kernel_estimation.config import QUERY_FRACTION_FOR_SCORE, EstimatorConfig
from blindsr.kernel_io import read_kernel, read_kernel_metadata, write_kernel
from blindsr.outputs import check_sr_outputs, manifest_conflict, read_manifest, write_manifest

# blindsr.pipeline.preset_names(), spelled out so the CLI starts without importing torch
# (test_cli_sr checks that the two lists agree).
PRESET_NAMES = [
    "auto",
    "auto-faithful",
    "ideal",
    "ideal-gradual",
    "given-kernel",
    "real",
    "fast",
    "given-kernel-fast",
    "real-fast",
]

CONTEXT = {"help_option_names": ["-h", "--help"]}


def user_errors(func):
    """Turn the library's ValueError/OSError into one readable line and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ValueError, OSError, KeyError) as exc:
            message = str(exc) or exc.__class__.__name__
            raise click.ClickException(message.splitlines()[0]) from None

    return wrapper


def _show_warnings(message, category, filename, lineno, file=None, line=None):
    click.echo(f"Warning: {message}", err=True)


def parse_scale(value: str | float) -> float | tuple[float, float]:
    """``2``, ``1.5`` or ``2,1.5`` (rows, cols): one factor > 1, or two factors >= 1 of which at
    least one is > 1 (an anisotropic scale may leave one axis alone)."""
    text = str(value)
    try:
        parts = [float(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"scale must be a number or 'rows,cols', got {text!r}") from None
    if (
        len(parts) not in (1, 2)
        or not all(np.isfinite(p) and p >= 1 for p in parts)
        or max(parts) <= 1
    ):
        raise ValueError(
            f"scale must be greater than 1 (got {text!r}); for anisotropic scales give "
            "rows,cols with each >= 1 and one > 1"
        )
    return parts[0] if len(parts) == 1 else (parts[0], parts[1])


def integer_scale(value: str) -> int:
    s = parse_scale(value)
    if isinstance(s, tuple) or not float(s).is_integer():
        raise ValueError(f"this command needs an integer scale >= 2, got {value!r}")
    return int(s)


def check_not_input(output: Path, *inputs: Path | None) -> None:
    """Refuse to write over a file the user passed as an input."""
    out = Path(output).resolve()
    for path in inputs:
        if path is not None and Path(path).resolve() == out:
            raise ValueError(f"refusing to overwrite the input file {path}; choose another -o")


@click.group(context_settings=CONTEXT)
@click.version_option(version=__version__, prog_name="blindsr")
def cli() -> None:
    """Blind super-resolution: kernel estimation, ZSSR, degradations and paper-exact metrics."""
    warnings.showwarning = _show_warnings


# --------------------------------------------------------------------------------------- degrade
class _NoiseStd(click.ParamType):
    """A float >= 0 or the word ``auto``."""

    name = "FLOAT|auto"

    def convert(self, value, param, ctx):
        if value == "auto" or isinstance(value, float):
            return value
        try:
            number = float(value)
        except ValueError:
            self.fail(f"{value!r} is neither a number nor 'auto'", param, ctx)
        if not (number >= 0 and number != float("inf")):
            self.fail(f"{value!r} must be a finite number >= 0", param, ctx)
        return number


def _parse_noise(spec: str) -> tuple[str, float]:
    kind, _, value = spec.partition(":")
    if kind not in ("gaussian", "speckle", "jpeg") or not value:
        raise ValueError(
            f"--noise must be gaussian:SIGMA, speckle:SIGMA or jpeg:QUALITY, got {spec!r}"
        )
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"--noise value must be a number, got {value!r}") from None
    if kind == "jpeg" and not number.is_integer():
        raise ValueError(f"JPEG quality must be an integer, got {value!r}")
    return kind, number


@cli.command(context_settings=CONTEXT)
@click.argument("hr", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="LR image to write (PNG recommended).",
)
@click.option("--scale", required=True, help="Integer downscaling factor >= 2.")
@click.option(
    "--kernel",
    "kernel_path",
    type=click.Path(path_type=Path),
    help="Blur kernel (.mat/.npy/.png). Default: MATLAB bicubic.",
)
@click.option(
    "--random-kernel",
    type=click.Choice(["table2", "div2krk"]),
    help="Draw a random anisotropic Gaussian kernel (ZSSR Table 2 or DIV2KRK protocol).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for kernel and noise.")
@click.option("--kernel-size", type=click.IntRange(3), help="Size of the random kernel.")
@click.option(
    "--kernel-out",
    type=click.Path(path_type=Path),
    help="Also write the kernel used (.mat/.npy/.png).",
)
@click.option("--noise", help="gaussian:SIGMA | speckle:SIGMA | jpeg:QUALITY, applied to the LR.")
@click.option(
    "--modcrop/--no-modcrop",
    default=True,
    show_default=True,
    help="Crop HR to a multiple of the scale first (benchmark convention).",
)
@user_errors
def degrade(
    hr: Path,
    output: Path,
    scale: str,
    kernel_path: Path | None,
    random_kernel: str | None,
    seed: int,
    kernel_size: int | None,
    kernel_out: Path | None,
    noise: str | None,
    modcrop: bool,
) -> None:
    """Make an LR image from HR with the one degradation operator (docs/conventions.md)."""
    from blindsr.degradations import (
        add_gaussian_noise,
        add_speckle_noise,
        bicubic_kernel,
        downscale,
        jpeg_compress,
        random_div2krk_kernel,
        random_table2_kernel,
    )
    from blindsr.degradations import modcrop as do_modcrop
    from blindsr.degradations.kernels import compose_kernels

    s = integer_scale(scale)
    if kernel_path is not None and random_kernel is not None:
        raise ValueError("give either --kernel or --random-kernel, not both")
    noise_spec = _parse_noise(noise) if noise else None
    check_not_input(output, hr, kernel_path)
    if kernel_out is not None:
        check_not_input(kernel_out, hr, kernel_path)
    image, depth = read_image_with_depth(hr)
    if modcrop:
        image = do_modcrop(image, s)
    rng = np.random.default_rng(seed)
    kernel = read_kernel(kernel_path) if kernel_path is not None else None
    if random_kernel == "table2":
        kernel = random_table2_kernel(rng, s, size=kernel_size)
    elif random_kernel == "div2krk":
        if s == 4 and kernel_size is None:
            # DIV2KRK's x4 kernels behave like two independent x2 kernels composed.
            kernel = compose_kernels(
                random_div2krk_kernel(rng, 2), random_div2krk_kernel(rng, 2), 2
            )
        else:
            kernel = random_div2krk_kernel(rng, s, size=kernel_size)
    lr = downscale(image, kernel, s)
    applied = "none"
    if noise_spec is not None:
        kind, value = noise_spec
        if kind == "gaussian":
            lr = add_gaussian_noise(lr, value, rng)
        elif kind == "speckle":
            lr = add_speckle_noise(lr, value, rng)
        else:
            lr = jpeg_compress(lr, int(value))
        applied = f"{kind}:{value:g}"
    write_image(
        output, lr, bit_depth=depth if output.suffix.lower() in (".png", ".tif", ".tiff") else 8
    )
    if kernel_out is not None:
        write_kernel(kernel_out, kernel if kernel is not None else bicubic_kernel(s))
    how = (
        f"kernel {kernel_path}"
        if kernel_path
        else f"random {random_kernel} kernel (seed {seed})"
        if random_kernel
        else "MATLAB bicubic"
    )
    click.echo(
        f"wrote {output} ({lr.shape[1]}x{lr.shape[0]}) from {hr} "
        f"({image.shape[1]}x{image.shape[0]}), x{s}, {how}, noise {applied}"
    )


# ------------------------------------------------------------------------------------------ eval
@cli.command("eval", context_settings=CONTEXT)
@click.argument("sr", type=click.Path(path_type=Path))
@click.argument("hr", type=click.Path(path_type=Path))
@click.option("--scale", required=True, help="SR scale factor (sets the mod-crop and the shave).")
@click.option("--shave", type=click.IntRange(0), help="Border to ignore. Default: the scale.")
@click.option("--rgb", is_flag=True, help="Score RGB instead of MATLAB Y.")
@click.option("--no-round-y", is_flag=True, help="Keep Y unrounded (BasicSR/RCAN convention).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object as the last line.")
@user_errors
def eval_cmd(
    sr: Path, hr: Path, scale: str, shave: int | None, rgb: bool, no_round_y: bool, as_json: bool
) -> None:
    """PSNR/SSIM of SR against HR, as SR papers compute them (docs/conventions.md).

    HR is mod-cropped to a multiple of the scale; SR must have that size.
    """
    from blindsr.degradations import modcrop
    from blindsr.eval.metrics import evaluate

    s = parse_scale(scale)
    if isinstance(s, tuple):
        raise ValueError("eval needs a single scale factor")
    sr_img, hr_img = read_image(sr), read_image(hr)
    hr_img = modcrop(hr_img, s)
    if sr_img.shape[2] != hr_img.shape[2]:
        raise ValueError(f"SR has {sr_img.shape[2]} channels, HR has {hr_img.shape[2]}")
    if sr_img.shape != hr_img.shape:
        raise ValueError(
            f"SR size {sr_img.shape[1]}x{sr_img.shape[0]} does not match the "
            f"mod-cropped HR size {hr_img.shape[1]}x{hr_img.shape[0]}"
        )
    result = evaluate(
        sr_img, hr_img, scale=s, shave=shave, y_channel=not rgb, round_y=not no_round_y
    )
    result.update(sr=str(sr), hr=str(hr))
    if as_json:
        click.echo(json.dumps(result))
    else:
        channel = "RGB" if rgb else "Y"
        click.echo(
            f"PSNR-{channel} {result['psnr']:.4f} dB  SSIM-{channel} {result['ssim']:.4f}  "
            f"(x{s:g}, shave {result['protocol']['shave']})"
        )


# -------------------------------------------------------------------------------------- estimate
@cli.command("estimate", context_settings=CONTEXT)
@click.argument("lr", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Kernel file: .mat (key Kernel, plus the confidence), .npy or .png.",
)
@click.option("--scale", required=True, help="Integer SR factor >= 2.")
@click.option(
    "--size", type=click.IntRange(3), help="Odd kernel size (default 13/19/25 at x2/3/4)."
)
@click.option(
    "--x4-mode",
    type=click.Choice(["composed", "direct"]),
    default="composed",
    show_default=True,
    help="x4: compose the x2 estimate analytically, or estimate directly.",
)
@click.option(
    "--png",
    type=click.Path(path_type=Path),
    help="Also write a picture of the kernel for viewing (not a kernel file; use -o's file "
    "as --kernel).",
)
@click.option(
    "--profile",
    type=click.Choice(["gaussian", "power"]),
    default=EstimatorConfig.profile,
    show_default=True,
    help="Shape of the returned kernel: the Gaussian with the fitted kernel's second moments "
    "(peaked, as camera blurs are), or the fitted kernel itself.",
)
@click.option(
    "--narrowing",
    type=click.FloatRange(0, min_open=True),
    help="Return k**G renormalised (G > 1: narrower; counters the too-wide bias on sharp "
    "images; 1 = as fitted). Default 1 with --profile gaussian, 1.5 with power.",
)
@click.option(
    "--queries",
    type=click.Choice(["laplacian", "gradient"]),
    default=EstimatorConfig.query_score,
    show_default=True,
    help="Patches the kernel is fitted on: the sharpest tenth by Laplacian energy, or the "
    "quarter with the most gradient energy (the earlier default; wider estimates).",
)
@click.option("--report", type=click.Path(path_type=Path), help="Write the JSON report here.")
@click.option("--seed", type=int, default=0, show_default=True)
@user_errors
def estimate_cmd(
    lr: Path,
    output: Path,
    scale: str,
    size: int | None,
    x4_mode: str,
    png: Path | None,
    profile: str,
    narrowing: float | None,
    queries: str,
    report: Path | None,
    seed: int,
) -> None:
    """Estimate the SR kernel of LR from cross-scale patch recurrence (Michaeli & Irani 2013)."""
    from blindsr.api import estimate_kernel

    s = integer_scale(scale)
    for path in (output, png, report):
        if path is not None:
            check_not_input(path, lr)
    image = read_image(lr)
    kernel, rep = estimate_kernel(
        image,
        s,
        seed=seed,
        size=size,
        x4_mode=x4_mode,
        profile=profile,
        narrowing=narrowing,
        query_score=queries,
        query_fraction=QUERY_FRACTION_FOR_SCORE[queries],
    )
    write_kernel(
        output,
        kernel,
        metadata={
            "scale": s,
            "trustworthy": int(rep["trustworthy"]),
            "reason": rep["reason"],
            "estimator": rep["method"],
        },
    )
    if png is not None:
        from blindsr.kernel_io import write_kernel_picture

        write_kernel_picture(png, kernel, titles=[f"estimated, x{s}"], scale=s)
    rep.update(input=str(lr), output=str(output))
    if report is not None:
        report.write_text(json.dumps(rep, indent=1))
    verdict = "trustworthy" if rep["trustworthy"] else "NOT trustworthy (sr will use bicubic)"
    click.echo(
        f"wrote {output} ({kernel.shape[0]}x{kernel.shape[1]}, x{s}, {rep['mode']}) from "
        f"{lr} in {rep['time_s']:.1f}s: {verdict}; {rep['reason']}"
    )


# -------------------------------------------------------------------------------------------- sr
def parse_steps(text: str) -> tuple[tuple[float, float], ...]:
    """``"1.5;2"`` or ``"1x1.5;1.5x1;2"``: gradual scale steps, ``rows x cols`` or isotropic."""
    steps = []
    for item in text.replace(" ", "").split(";"):
        rows, _, cols = item.partition("x")
        try:
            pair = (float(rows), float(cols or rows))
        except ValueError:
            raise ValueError(f"--steps items must look like 2 or 1.5x2, got {item!r}") from None
        steps.append(pair)
    return tuple(steps)


def _parse_setting(text: str):
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"--set expects KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _load_kernels(paths: list[Path], trust: bool) -> list:
    """Read kernels; a kernel its estimator flagged as untrustworthy becomes None (bicubic)."""
    kernels = []
    for path in paths:
        kernel = read_kernel(path)
        meta = read_kernel_metadata(path)
        if meta.get("trustworthy") == 0 and not trust:
            warnings.warn(
                f"{path.name} was flagged as not trustworthy by its estimator "
                f"({meta.get('reason', 'no reason recorded')}); using the bicubic kernel "
                f"instead (pass --trust-kernel to use it anyway)",
                stacklevel=2,
            )
            kernel = None
        kernels.append(kernel)
    return kernels


def _kernel_for(kernel_paths: tuple[Path, ...], stem: str) -> list[Path]:
    paths = []
    for kp in kernel_paths:
        if kp.is_dir():
            found = [
                kp / f"{stem}{suffix}"
                for suffix in (".mat", ".npy", ".png")
                if (kp / f"{stem}{suffix}").is_file()
            ]
            if not found:
                raise ValueError(f"no kernel for {stem} in {kp} (looked for {stem}.mat/.npy/.png)")
            paths.append(found[0])
        else:
            paths.append(kp)
    return paths


@cli.command("sr", context_settings=CONTEXT)
@click.argument("lr", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Output image, or a folder when LR is a folder.",
)
@click.option("--scale", required=True, help="Scale factor, e.g. 2, 1.5 or 2,1.5 (rows,cols).")
@click.option(
    "--kernel",
    "kernel_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="SR kernel (.mat/.npy/.png); repeat once per gradual stage. A folder holds "
    "<image>.mat per image. Default: MATLAB bicubic.",
)
@click.option(
    "--estimate-kernel",
    is_flag=True,
    help="Estimate the kernel first (integer one-jump scales); bicubic if untrustworthy. "
    "The auto presets do this by themselves.",
)
@click.option(
    "--trust-kernel",
    is_flag=True,
    help="Use a kernel file even if its estimator flagged it as not trustworthy.",
)
@click.option(
    "--preset",
    default="auto",
    show_default=True,
    type=click.Choice(PRESET_NAMES),
    help="auto: blind, decides JPEG, noise, kernel and configuration from the input (fast "
    "training); auto-faithful: the same with the reference's training rule; the others are "
    "the reference configurations, run as defined.",
)
@click.option("--steps", help="Gradual scale steps, e.g. '1.5;2' or '1x1.5;1.5x1;2'.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda"])
)
@click.option(
    "--threads",
    type=click.IntRange(1),
    help="CPU threads for torch (default: torch's choice). One thread per process is usually "
    "the most efficient on small machines; run several processes instead.",
)
@click.option("--max-iters", type=click.IntRange(1), help="Cap on training iterations per stage.")
@click.option(
    "--noise-std",
    type=_NoiseStd(),
    help="Gaussian noise std on LR sons ([0, 1] scale), or 'auto': match the input's "
    "estimated noise, at least 0.0125. Replaces the auto presets' noise decision.",
)
@click.option(
    "--back-projection/--no-back-projection",
    default=None,
    help="Override the preset's back-projection.",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Any ZSSRConfig field, e.g. --set output_flip=false.",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    help="Write the JSON report here (a folder when LR is a folder).",
)
@click.option(
    "--plot",
    type=click.Path(path_type=Path),
    help="Write the loss / reconstruction-error curve as a PNG.",
)
@click.option(
    "--compare",
    type=click.Path(path_type=Path),
    help="Also write one picture: bicubic | blindsr side by side, the region where they "
    "differ most enlarged in both (a folder when LR is a folder).",
)
@click.option(
    "--kernel-out",
    type=click.Path(path_type=Path),
    help="Save the kernel actually used (.mat/.npy/.png; estimated, given or bicubic), e.g. "
    "to reuse with --kernel (a folder when LR is a folder).",
)
@click.option(
    "--png",
    type=click.Path(path_type=Path),
    help="Save a picture of the kernel used, for viewing (a folder when LR is a folder).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Folder runs: redo every image even if -o holds results (of any settings).",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Folder runs: images in N local processes (threads per process = cores // N unless "
    "--threads).",
)
@click.option(
    "--ray",
    "ray_address",
    help="Folder runs: one Ray task per image; an address, or 'auto'/'local'.",
)
@user_errors
def sr_cmd(
    lr: Path,
    output: Path,
    scale: str,
    kernel_paths: tuple[Path, ...],
    estimate_kernel: bool,
    trust_kernel: bool,
    preset: str,
    steps: str | None,
    seed: int,
    device: str,
    threads: int | None,
    max_iters: int | None,
    noise_std: float | str | None,
    back_projection: bool | None,
    settings: tuple[str, ...],
    report: Path | None,
    plot: Path | None,
    compare: Path | None,
    kernel_out: Path | None,
    png: Path | None,
    overwrite: bool,
    workers: int,
    ray_address: str | None,
) -> None:
    """Super-resolve LR (an image or a folder of images) with ZSSR.

    The default preset (auto) reads each image and decides: JPEG or not (and its quality),
    noise, the SR kernel (estimated, kept only if its self-check passes) and the configuration;
    one line on stderr says what it decided, the --report JSON says why.

    A folder run records its settings in OUT/blindsr-sr.json: rerunning the same command
    resumes it (Ctrl-C is safe), other settings are refused unless --overwrite.
    """
    from blindsr.image_io import IMAGE_SUFFIXES
    from blindsr.pipeline import BLIND_PRESETS
    from blindsr.zssr.config import preset_config

    s = parse_scale(scale)
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    overrides = dict(_parse_setting(t) for t in settings)
    if max_iters is not None:
        overrides["max_iters"] = max_iters
    if steps:
        overrides["scale_factors"] = parse_steps(steps)
    base = BLIND_PRESETS[preset]["bicubic"] if preset in BLIND_PRESETS else preset
    if back_projection is False:
        overrides["back_projection_iters"] = (0,)
    elif back_projection and not any(preset_config(base).back_projection_iters):
        overrides["back_projection_iters"] = (10,)
    # Validate settings and stage count before any long work starts.
    config = preset_config(base).with_overrides(**overrides).for_scale(s)
    n_stages = len(config.scale_factors)
    if estimate_kernel and (
        kernel_paths or n_stages != 1 or isinstance(s, tuple) or not float(s).is_integer()
    ):
        raise ValueError("--estimate-kernel needs one integer scale stage and no --kernel")
    if kernel_paths and len(kernel_paths) != n_stages:
        raise ValueError(
            f"{n_stages} scale stage(s) need {n_stages} --kernel file(s), got {len(kernel_paths)}"
        )
    if (kernel_out or png) and (n_stages != 1 or isinstance(s, tuple)):
        raise ValueError("--kernel-out and --png need one isotropic scale stage")
    folder_mode = lr.is_dir()
    if (workers > 1 or ray_address) and not folder_mode:
        raise ValueError("--workers and --ray run the images of a folder; LR is one image")
    if folder_mode:
        if output.exists() and not output.is_dir():
            raise ValueError(f"LR is a folder, so -o must be a folder; {output} is a file")
        inputs = sorted(p for p in lr.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not inputs:
            raise ValueError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {lr}")
        jobs = [(p, output / f"{p.stem}.png") for p in inputs]
    else:
        jobs = [(lr, output)]
    for src, dst in jobs:
        check_not_input(dst, src, *kernel_paths)
    check_sr_outputs(
        folder_mode=folder_mode,
        inputs=[p for p, _ in jobs] + [k for k in kernel_paths if not k.is_dir()],
        output=output,
        report=report,
        plot=plot,
        compare=compare,
        kernel_out=kernel_out,
        png=png,
    )
    if folder_mode:
        record = dict(
            scale=scale,
            preset=preset,
            kernel=[str(k) for k in kernel_paths],
            estimate_kernel=estimate_kernel,
            trust_kernel=trust_kernel,
            steps=steps,
            seed=seed,
            max_iters=max_iters,
            noise_std=noise_std,
            back_projection=back_projection,
            set=sorted(settings),
            version=__version__,
        )
        done = sum(dst.exists() for _, dst in jobs)
        conflict = manifest_conflict(read_manifest(output), record, done)
        if conflict and not overwrite:
            raise ValueError(
                f"-o {output}: {conflict}. Rerun with the same settings to resume, choose "
                "another -o folder, or pass --overwrite to redo every image"
            )
        output.mkdir(parents=True, exist_ok=True)
        write_manifest(output, record)
    counts = {"written": 0, "skipped": 0, "failed": 0}
    options = dict(
        s=s,
        plan_options=dict(preset=preset, noise_std=noise_std, overrides=overrides),
        kernel_paths=kernel_paths,
        trust_kernel=trust_kernel,
        estimate_kernel=estimate_kernel,
        seed=seed,
        device=device,
        folder_mode=folder_mode,
        extras=dict(report=report, plot=plot, compare=compare, kernel_out=kernel_out, png=png),
    )
    try:
        pending = []
        for index, (src, dst) in enumerate(jobs):
            if folder_mode and dst.exists() and not overwrite:
                click.echo(f"skip {src.name}: {dst} exists", err=True)
                counts["skipped"] += 1
            else:
                pending.append((index, src, dst))
        if not folder_mode:
            _sr_one(lr, output, **options)
            counts["written"] += 1
        else:

            def record_result(result: tuple[str, str | None]) -> None:
                name, error = result
                if error is None:
                    counts["written"] += 1
                else:
                    # One bad image must not cost the others their run.
                    click.echo(f"Error: {name}: {error}", err=True)
                    counts["failed"] += 1

            from blindsr.eval.executor import run_tasks

            run_tasks(
                _sr_task,
                [
                    (src, dst, f"[{i + 1}/{len(jobs)}] {src.name}", options)
                    for i, src, dst in pending
                ],
                on_done=record_result,
                workers=workers,
                threads=threads,
                ray_address=ray_address,
                gpus_per_task=1 if device == "cuda" else 0,
            )
    except KeyboardInterrupt:
        finished = counts["written"] + counts["skipped"]
        # The record now holds these settings, so a plain rerun resumes; --overwrite would
        # redo the images already written.
        how = "rerun without --overwrite" if overwrite else "rerun the same command"
        click.echo(f"interrupted: {finished} of {len(jobs)} done; {how} to resume", err=True)
        sys.exit(130)
    if folder_mode:
        click.echo(
            f"{output}: {counts['written']} written, {counts['skipped']} skipped (already "
            f"there), {counts['failed']} failed, of {len(jobs)} images"
        )
        if counts["failed"]:
            sys.exit(1)


def _sr_task(src: Path, dst: Path, label: str, options: dict) -> tuple[str, str | None]:
    """One image of a folder run, in whichever process runs it: ``(name, error or None)``."""
    click.echo(label, err=True)
    try:
        _sr_one(src, dst, **options)
    except (ValueError, OSError) as exc:
        return src.name, str(exc).splitlines()[0] or exc.__class__.__name__
    return src.name, None


def _sr_one(
    src: Path,
    dst: Path,
    *,
    s: float | tuple[float, float],
    plan_options: dict,
    kernel_paths: tuple[Path, ...],
    trust_kernel: bool,
    estimate_kernel: bool,
    seed: int,
    device: str,
    folder_mode: bool,
    extras: dict[str, Path | None],
) -> None:
    """One image of ``blindsr sr``: plan, train, write the image and the extras asked for
    (``extras``: report, plot, compare, kernel_out, png; folders in folder mode)."""
    from blindsr.api import tqdm_progress
    from blindsr.pipeline import plan_run, run_plan

    def extra(name: str, suffix: str) -> Path | None:
        path = extras.get(name)
        return None if path is None else path / f"{src.stem}{suffix}" if folder_mode else path

    image, depth = read_image_with_depth(src)
    kernel: object = None
    if kernel_paths:
        kernel = _load_kernels(_kernel_for(kernel_paths, src.stem), trust_kernel)
    elif estimate_kernel:
        kernel = "estimate"
    plan = plan_run(image, s, kernel=kernel, source=src, seed=seed, **plan_options)
    click.echo(plan.summary(), err=True)
    sr_img, rep = run_plan(image, s, plan, seed=seed, device=device, progress=tqdm_progress)
    write_image(
        dst, sr_img, bit_depth=depth if dst.suffix.lower() in (".png", ".tif", ".tiff") else 8
    )
    rep.update(
        input=str(src),
        output=str(dst),
        kernels=[str(p) for p in _kernel_for(kernel_paths, src.stem)],
    )
    kernel_text = plan.decisions["kernel"].value
    if (rpath := extra("report", ".json")) is not None:
        rpath.parent.mkdir(parents=True, exist_ok=True)
        rpath.write_text(json.dumps(rep, indent=1))
    if (ppath := extra("plot", ".png")) is not None:
        from blindsr.plot import write_training_plot

        write_training_plot(ppath, rep)
    if (cpath := extra("compare", ".png")) is not None:
        from blindsr.compare import write_compare

        write_compare(cpath, image, sr_img, s, label=f"blindsr ({plan.preset}, {kernel_text})")
    kpath, picture = extra("kernel_out", ".mat"), extra("png", ".png")
    if kpath is not None or picture is not None:
        from blindsr.degradations.kernels import bicubic_kernel

        used = rep["kernel"][0]
        used = bicubic_kernel(s) if used is None else np.asarray(used)
        if kpath is not None:
            write_kernel(kpath, used, metadata={"scale": float(s), "source": str(kernel_text)})
        if picture is not None:
            from blindsr.kernel_io import write_kernel_picture

            write_kernel_picture(picture, used, titles=[f"kernel used: {kernel_text}"], scale=s)
    iters = "+".join(str(st["iterations"]) for st in rep["stages"])
    noise_text = ", ".join(f"{st['noise_std']:.4g}" for st in rep["stages"])
    click.echo(
        f"wrote {dst} ({sr_img.shape[1]}x{sr_img.shape[0]}) from {src} "
        f"({image.shape[1]}x{image.shape[0]}), preset {plan.preset}, kernel {kernel_text}, "
        f"son noise {noise_text}, iterations {iters}, "
        f"{rep['total_seconds']:.1f}s on {rep['device']}"
    )


# ----------------------------------------------------------------------------------------- bench
@cli.command("bench", context_settings=CONTEXT)
@click.argument(
    "protocol",
    type=click.Choice(
        ["ideal", "table2", "table3", "table3-paper", "div2krk-synth", "blur-jpeg", "div2krk"]
    ),
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder of HR images (or a DIV2KRK folder).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Results folder; re-running resumes it.",
)
@click.option(
    "--methods",
    default="bicubic,zssr-bicubic",
    show_default=True,
    help="Comma-separated: bicubic, zssr-bicubic, zssr-true, zssr-est, zssr-real, zssr-blind, "
    "each optionally with ':key=value,...' (separate methods with ';' then).",
)
@click.option("--scale", type=click.IntRange(2), default=2, show_default=True)
@click.option("--limit", type=click.IntRange(1), help="First N images (sorted order).")
@click.option("--images", help="Comma-separated image names (file stems).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--repeats", type=click.IntRange(1), default=1, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Local processes (threads per process = cores // workers).",
)
@click.option("--ray", "ray_address", help="Run units as Ray tasks: an address, or 'auto'/'local'.")
@click.option(
    "--device", default="cpu", show_default=True, type=click.Choice(["auto", "cpu", "cuda"])
)
@click.option("--kernel-size", type=click.IntRange(3), help="table2 kernel size (default 11).")
@click.option(
    "--tables-only",
    is_flag=True,
    help="Run nothing; rewrite OUT/table.md etc. from the finished units asked for "
    "(these methods, images, seed and repeats).",
)
@click.option(
    "--threads",
    type=click.IntRange(1),
    help="CPU threads for torch per process (default: cores // workers).",
)
@click.option(
    "--keep-images/--no-images",
    "keep_images",
    default=True,
    show_default=True,
    help="Keep every unit's output under OUT/images/<image>/<method>.png (with LR, HR and the "
    "true kernel) for OUT/report.html; without, the page has the table and kernels only.",
)
@user_errors
def bench_cmd(
    protocol: str,
    data_dir: Path,
    out: Path,
    methods: str,
    scale: int,
    limit: int | None,
    images: str | None,
    seed: int,
    repeats: int,
    workers: int,
    ray_address: str | None,
    device: str,
    kernel_size: int | None,
    tables_only: bool,
    threads: int | None,
    keep_images: bool,
) -> None:
    """Reproduce a paper table on a folder of HR images (resumable).

    Writes OUT/results.jsonl (one row per unit), OUT/table.md, table.csv, per_image.csv and
    OUT/report.html (open it in a browser: the table, then crops of every image per method).
    """
    from blindsr.eval.harness import run_benchmark

    if ";" in methods or ":" in methods:
        method_list = [m for m in methods.split(";") if m]
    else:
        method_list = [m for m in methods.split(",") if m]
    if device == "auto":
        from blindsr.zssr.trainer import resolve_device

        device = resolve_device("auto").type
    table = run_benchmark(
        protocol,
        data_dir,
        out,
        methods=method_list,
        scale=scale,
        seed=seed,
        repeats=repeats,
        limit=limit,
        images=images.split(",") if images else None,
        workers=workers,
        ray_address=ray_address,
        device=device,
        kernel_size=kernel_size,
        tables_only=tables_only,
        keep_images=keep_images,
        threads=threads,
        log=lambda m: click.echo(m, err=True),
    )
    click.echo(table.read_text().rstrip())
    click.echo(f"report: {table.parent / 'report.html'}", err=True)


# ---------------------------------------------------------------------------------------- report
@cli.command("report", context_settings=CONTEXT)
@click.argument("out", type=click.Path(path_type=Path))
@user_errors
def report_cmd(out: Path) -> None:
    """Rebuild OUT/report.html from the finished units of a `blindsr bench` folder.

    Runs nothing: the page shows what OUT/results.jsonl and OUT/images hold (also while a
    benchmark is still running).
    """
    from blindsr.eval.report import write_report

    path = write_report(out)
    click.echo(f"wrote {path}")


def main() -> None:
    """Console entry point."""
    cli.main(prog_name="blindsr")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
