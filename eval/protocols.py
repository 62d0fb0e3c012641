"""Benchmark protocols: deterministic LR inputs built from HR images, cached on disk.

* ``ideal`` (Table 1): MATLAB bicubic of the mod-cropped HR, any integer scale.
* ``table2``: per-image random anisotropic Gaussian kernel (docs/conventions.md, 11x11 at x2 by
  default), kernel seeded from ``(seed, image name)``; the true kernel is saved beside the LR.
* ``table3``: bicubic x2 LR plus one degradation drawn per image (Gaussian sigma 0.05, speckle
  sigma 0.05 or JPEG q45, docs/conventions.md); the choice is recorded per image.
* ``table3-paper``: ``table3`` on the seven BSD100 images whose results the ZSSR project page
  publishes, each with the degradation identified for it there
  (``eval.paper_numbers.TABLE3_PROJECT_PAGE``), so that our numbers sit beside the paper's
  image by image. The noise itself is our own draw.
* ``div2krk-synth``: DIV2KRK's kernel distribution on any HR set: one random anisotropic
  Gaussian x2 kernel with multiplicative noise per image (``random_div2krk_kernel``); at x4 two
  independent x2 kernels composed, as DIV2KRK's x4 kernels are. The true kernel is saved.
* ``blur-jpeg``: a realistic photo: a ``div2krk-synth`` x2 kernel, then JPEG at quality 75 on the
  8-bit LR.
* ``div2krk``: an existing DIV2KRK folder (``gt/im_N.png``, ``lr_x2/im_N.png``,
  ``gt_k_x2/kernel_N.mat`` ...) is read as is, never regenerated.

Every LR is rounded to 8 bits, as benchmark LR files are. A case can be regenerated alone from
``(protocol, scale, seed, image name)``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from blindsr.degradations import (
    add_gaussian_noise,
    add_speckle_noise,
    downscale,
    jpeg_compress,
    modcrop,
)
from blindsr.degradations.kernels import (
    compose_kernels,
    kernel_seed,
    random_div2krk_kernel,
    random_table2_kernel,
)
from blindsr.eval.paper_numbers import TABLE3_PROJECT_PAGE

from blindsr.image_io import read_image, write_image
from blindsr.kernel_io import write_kernel

__all__ = ["Case", "PROTOCOLS", "prepare_cases", "list_images"]

PROTOCOLS = ("ideal", "table2", "table3", "table3-paper", "div2krk-synth", "blur-jpeg", "div2krk")
#: JPEG quality of the ``blur-jpeg`` protocol (a common web/phone setting).
BLUR_JPEG_QUALITY = 75
TABLE3_DEGRADATIONS = ("gaussian:0.05", "speckle:0.05", "jpeg:45")


@dataclass(frozen=True)
class Case:
    """One benchmark image: where its HR, LR and (if known) true kernel live."""

    name: str
    protocol: str
    scale: int
    hr_path: str
    lr_path: str
    kernel_path: str | None = None
    degradation: str = "none"


def list_images(data_dir: Path, protocol: str, scale: int) -> list[Path]:
    """HR images of a set in a fixed (sorted) order."""
    folder = Path(data_dir)
    if protocol == "div2krk":
        folder = folder / "gt"
    if not folder.is_dir():
        raise ValueError(f"data folder not found: {folder}")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".bmp", ".tif"))
    if not paths:
        raise ValueError(f"no images in {folder}")
    return paths


def _quantize(image: np.ndarray) -> np.ndarray:
    return (np.round(np.clip(image, 0, 1) * 255) / 255).astype(np.float32)


def _degrade_table3(
    lr: np.ndarray, rng: np.random.Generator, choice: str | None = None
) -> tuple[np.ndarray, str]:
    # The draw is made even when the choice is imposed, so the noise that follows is the one
    # ``table3`` would add had it drawn that choice.
    drawn = TABLE3_DEGRADATIONS[int(rng.integers(len(TABLE3_DEGRADATIONS)))]
    choice = drawn if choice is None else choice
    kind, value = choice.split(":")
    if kind == "gaussian":
        return add_gaussian_noise(lr, float(value), rng), choice
    if kind == "speckle":
        return add_speckle_noise(lr, float(value), rng), choice
    return jpeg_compress(lr, int(value)), choice


def _build_case(
    hr_path: Path, protocol: str, scale: int, seed: int, cache: Path, kernel_size: int | None
) -> Case:
    name = hr_path.stem
    lr_path = cache / "lr" / f"{name}.png"
    meta_path = cache / "meta" / f"{name}.json"
    if meta_path.is_file() and lr_path.is_file():
        return Case(**json.loads(meta_path.read_text()))
    hr = modcrop(read_image(hr_path), scale)
    rng = np.random.default_rng(kernel_seed(seed, name))
    kernel_path = None
    degradation = "none"
    if protocol == "ideal":
        lr = downscale(hr, None, scale)
    elif protocol == "table2":
        kernel = random_table2_kernel(rng, scale, size=kernel_size)
        kernel_path = cache / "kernels" / f"{name}.mat"
        write_kernel(kernel_path, kernel)
        lr = downscale(hr, kernel, scale)
    elif protocol in ("div2krk-synth", "blur-jpeg"):
        kernel = random_div2krk_kernel(rng, 2)
        if scale == 4:
            kernel = compose_kernels(kernel, random_div2krk_kernel(rng, 2), 2)
        kernel_path = cache / "kernels" / f"{name}.mat"
        write_kernel(kernel_path, kernel)
        lr = downscale(hr, kernel, scale)
        if protocol == "blur-jpeg":
            lr = jpeg_compress(_quantize(lr), BLUR_JPEG_QUALITY)
            degradation = f"jpeg:{BLUR_JPEG_QUALITY}"
    elif protocol in ("table3", "table3-paper"):
        imposed = TABLE3_PROJECT_PAGE[name][1] if protocol == "table3-paper" else None
        lr, degradation = _degrade_table3(_quantize(downscale(hr, None, scale)), rng, imposed)
    else:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    write_image(lr_path, _quantize(lr))
    case = Case(
        name,
        protocol,
        scale,
        str(hr_path),
        str(lr_path),
        None if kernel_path is None else str(kernel_path),
        degradation,
    )
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    meta_path.write_text(json.dumps(asdict(case)))
    return case


def _div2krk_case(hr_path: Path, data_dir: Path, scale: int) -> Case:
    name = hr_path.stem  # im_N
    number = name.split("_")[-1]
    lr_path = data_dir / f"lr_x{scale}" / hr_path.name
    kernel_path = data_dir / f"gt_k_x{scale}" / f"kernel_{number}.mat"
    if not lr_path.is_file():
        raise ValueError(f"DIV2KRK LR image missing: {lr_path}")
    return Case(
        name,
        "div2krk",
        scale,
        str(hr_path),
        str(lr_path),
        str(kernel_path) if kernel_path.is_file() else None,
    )


def prepare_cases(
    protocol: str,
    data_dir: Path,
    cache_root: Path,
    *,
    scale: int,
    seed: int = 0,
    limit: int | None = None,
    images: list[str] | None = None,
    kernel_size: int | None = None,
) -> list[Case]:
    """Build (or load from ``cache_root``) the cases of a protocol, in a fixed order."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    if protocol in ("table2", "table3", "table3-paper", "blur-jpeg") and scale != 2:
        raise ValueError(f"the {protocol} protocol is defined at x2, got scale {scale}")
    if protocol == "div2krk-synth" and scale not in (2, 4):
        raise ValueError(f"the div2krk-synth protocol is defined at x2 and x4, got scale {scale}")
    paths = list_images(data_dir, protocol, scale)
    if protocol == "table3-paper":
        by_name = {p.stem: p for p in paths}
        missing = [n for n in TABLE3_PROJECT_PAGE if n not in by_name]
        if missing:
            raise ValueError(
                f"table3-paper needs the BSD100 images {', '.join(missing)}, not in {data_dir}"
            )
        paths = [by_name[n] for n in sorted(TABLE3_PROJECT_PAGE)]
    if images:
        by_name = {p.stem: p for p in paths}
        missing = [n for n in images if n not in by_name]
        if missing:
            raise ValueError(f"images not in {data_dir}: {', '.join(missing)}")
        paths = [by_name[n] for n in images]
    if limit is not None:
        paths = paths[:limit]
    if protocol == "div2krk":
        return [_div2krk_case(p, Path(data_dir), scale) for p in paths]
    ks = "" if kernel_size is None else f"_k{kernel_size}"
    cache = Path(cache_root) / f"{protocol}_x{scale}_seed{seed}{ks}"
    return [_build_case(p, protocol, scale, seed, cache, kernel_size) for p in paths]
