"""ZSSR configuration: one frozen dataclass and the reference code's named configurations.

Defaults are those of the reference implementation (assafshocher/ZSSR ``configs.py``; see
docs/zssr.md). Every field can be overridden from the API
(``super_resolve(..., **overrides)``) and the CLI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

__all__ = ["ZSSRConfig", "PRESETS", "preset_config", "gradual_steps", "REFERENCE_GRADUAL_X2"]

Scale = tuple[float, float]

#: The reference X2_GRADUAL_IDEAL_CONF schedule (rows, cols) and its back-projection iterations.
REFERENCE_GRADUAL_X2: tuple[Scale, ...] = (
    (1.0, 1.5),
    (1.5, 1.0),
    (1.5, 1.5),
    (1.5, 2.0),
    (2.0, 1.5),
    (2.0, 2.0),
)
REFERENCE_GRADUAL_BP: tuple[int, ...] = (6, 6, 8, 10, 10, 12)


@dataclass(frozen=True)
class ZSSRConfig:
    """All ZSSR settings. Scales are ``(rows, cols)`` factors, one training stage each."""

    #: One stage per entry (gradual SR when there are several); empty = one jump to the target.
    scale_factors: tuple[Scale, ...] = ()
    #: Back-projection iterations per stage (per ensemble output and again on the median).
    back_projection_iters: tuple[int, ...] = (10,)
    #: Use the gradual schedule (reference x2 list, scaled for other targets).
    gradual: bool = False
    max_iters: int = 3000
    #: Iterations since the last learning-rate change before another change is allowed.
    min_iters: int = 256
    min_learning_rate: float = 9e-6
    width: int = 64
    depth: int = 8
    #: 8-way geometric self-ensemble (4-way for anisotropic stages) with a median.
    output_flip: bool = True
    learn_residual: bool = True
    init_variance: float = 0.1
    crop_size: int = 128
    #: Reference behaviour: always ``crop_size`` crops, zero-filled when the image is smaller.
    #: True: crops shrink to the image (min(crop_size, H), min(crop_size, W)).
    shrink_crop_to_image: bool = False
    #: Std of Gaussian noise added to LR sons ([0, 1] scale); the 'real' preset uses 0.0125.
    #: ``'auto'``: match the sons' noise to the input's estimated noise (zssr/son_noise.py).
    noise_std: float | str = 0.0
    #: JPEG quality (IJG scale) each LR son is compressed at after its noise; 0 = off. A
    #: deviation for JPEG inputs (the blind pipeline sets it from the input's quantisation
    #: tables): sons then carry the input's block artefacts, so the net learns to remove them
    #: instead of reproducing them.
    son_jpeg_quality: int = 0
    init_net_for_each_sf: bool = False
    #: Deviation: a fresh Adam (moments and step count) at each gradual stage. The reference
    #: keeps the optimizer state with the weights (docs/zssr.md, "Deviations").
    reset_optimizer_each_stage: bool = False
    #: Deviation: when a reconstruction test finds the net dead (a hidden layer with almost no
    #: live ReLU unit, or a net that changes nothing: see ``_Stage.reconstruction_test``),
    #: restore the weights and optimizer state of the stage's start and divide the rate by 10.
    #: The reference has no such guard; gradual runs sometimes die at a stage's restart at 1e-3
    #: (docs/zssr.md).
    revive_dead_net: bool = False
    learning_rate: float = 1e-3
    learning_rate_change_ratio: float = 1.5
    learning_rate_policy_check_every: int = 60
    learning_rate_slope_range: int = 256
    #: Reconstruction-error test period (feeds the learning-rate policy).
    run_test_every: int = 50
    #: "reference": the reference's adaptive rule (docs/zssr.md) (divide by 10 on a plateau, stop
    #: below ``min_learning_rate``). "cosine": a fixed budget of exactly ``max_iters`` steps with
    #: the rate annealed from ``learning_rate`` to ``min_learning_rate`` on a half cosine; a
    #: deviation used by the fast presets, measured in docs/results.md.
    learning_rate_schedule: str = "reference"
    #: Deviation: ramp the rate linearly from ``learning_rate / learning_rate_warmup`` up to the
    #: schedule's rate over the first ``learning_rate_warmup`` steps (0 = off, the reference).
    learning_rate_warmup: int = 0
    #: Arithmetic of the training steps: "fp32" (reference), "bf16" (autocast forward and
    #: backward, fp32 weights and Adam state; about 2x faster on CPUs with AVX512-BF16 and on
    #: GPUs) or "auto" (bf16 where the device has bf16 matrix units, else fp32:
    #: zssr/precision.py).
    training_precision: str = "fp32"
    #: Arithmetic of the inference forward passes (ensemble members, reconstruction tests):
    #: "fp32", "bf16" (autocast; the residual and everything after the net stay fp32) or "auto".
    inference_precision: str = "fp32"
    #: Pixels a reconstruction test may cover: None = the whole input (the reference). A number
    #: bounds the test on large inputs to ``test_pixels // 128^2`` windows of 128 x 128 chosen
    #: once from a fixed seed (trainer.reconstruction_windows); inputs with at most that many pixels are
    #: still tested whole.
    test_pixels: int | None = None
    #: NHWC memory format for training and inference: True, False, or "auto" = the faster layout
    #: per pass on this machine (NHWC training only in bf16; NHWC inference on the CPU always:
    #: zssr/precision.py).
    channels_last: bool | str = False
    #: Slope-variance convention of the linear fit: "numpy-2018" (SSR/(N-4), what the paper's
    #: code computed with 2018 numpy) or "modern" (SSR/(N-2), numpy >= 1.16).
    slope_variance: str = "numpy-2018"
    augment_leave_as_is_probability: float = 0.05
    augment_no_interpolate_probability: float = 0.45
    augment_min_scale: float = 0.5
    augment_scale_diff_sigma: float = 0.25
    augment_shear_sigma: float = 0.1
    #: False also disables mirroring.
    augment_allow_rotation: bool = True
    #: Inference tile (output pixels per side); tiles overlap by the receptive field, exact.
    tile_size: int = 512
    name: str = field(default="custom", compare=False)

    def __post_init__(self) -> None:
        if self.slope_variance not in ("numpy-2018", "modern"):
            raise ValueError(
                f"slope_variance must be 'numpy-2018' or 'modern', got {self.slope_variance!r}"
            )
        if self.learning_rate_schedule not in ("reference", "cosine"):
            raise ValueError(
                "learning_rate_schedule must be 'reference' or 'cosine', "
                f"got {self.learning_rate_schedule!r}"
            )
        for name in ("training_precision", "inference_precision"):
            if getattr(self, name) not in ("fp32", "bf16", "auto"):
                raise ValueError(
                    f"{name} must be 'fp32', 'bf16' or 'auto', got {getattr(self, name)!r}"
                )
        if not (isinstance(self.channels_last, bool) or self.channels_last == "auto"):
            raise ValueError(
                f"channels_last must be True, False or 'auto', got {self.channels_last!r}"
            )
        if self.learning_rate_warmup < 0:
            raise ValueError(f"learning_rate_warmup must be >= 0, got {self.learning_rate_warmup}")
        if self.test_pixels is not None and self.test_pixels < 1:
            raise ValueError(f"test_pixels must be >= 1 or None, got {self.test_pixels}")
        for name in ("max_iters", "width", "depth", "crop_size", "run_test_every", "tile_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not (self.son_jpeg_quality == 0 or 1 <= self.son_jpeg_quality <= 100):
            raise ValueError(
                f"son_jpeg_quality must be 0 (off) or in [1, 100], got {self.son_jpeg_quality}"
            )
        if isinstance(self.noise_std, str):
            if self.noise_std != "auto":
                raise ValueError(
                    f"noise_std must be a number >= 0 or 'auto', got {self.noise_std!r}"
                )
        elif self.noise_std < 0 or not math.isfinite(self.noise_std):
            raise ValueError(f"noise_std must be finite and >= 0, got {self.noise_std}")
        if any(b < 0 for b in self.back_projection_iters):
            raise ValueError(
                f"back_projection_iters must be >= 0, got {self.back_projection_iters}"
            )
        for sf in self.scale_factors:
            if len(sf) != 2 or min(sf) < 1 or max(sf) <= 1:
                raise ValueError(f"each scale step must be a (rows, cols) pair > 1, got {sf!r}")

    def for_scale(self, scale: float | Scale) -> ZSSRConfig:
        """Resolve the stage list and back-projection list for a target ``scale``.

        Explicit ``scale_factors`` are kept (the last must equal the target). Otherwise a one-jump
        config gets ``[(sy, sx)]``; a gradual config gets :func:`gradual_steps`.
        """
        target = _pair(scale)
        if self.scale_factors:
            steps = tuple(_pair(s) for s in self.scale_factors)
            if not all(math.isclose(a, b) for a, b in zip(steps[-1], target)):
                raise ValueError(f"the last scale step {steps[-1]} must equal the scale {target}")
        elif self.gradual:
            steps = gradual_steps(target)
        else:
            steps = (target,)
        bp = tuple(self.back_projection_iters)
        if len(bp) != len(steps):
            if self.gradual and len(steps) == len(REFERENCE_GRADUAL_BP) and bp == (10,):
                bp = REFERENCE_GRADUAL_BP
            elif len(bp) == 1:
                bp = bp * len(steps)
            else:
                raise ValueError(
                    f"back_projection_iters has {len(bp)} entries for {len(steps)} scale steps"
                )
        return replace(self, scale_factors=steps, back_projection_iters=bp)

    def with_overrides(self, **overrides) -> ZSSRConfig:
        """``dataclasses.replace`` that names unknown fields in the error."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown ZSSR setting(s): {', '.join(unknown)}")
        return replace(self, **overrides)


def _pair(scale: float | Scale) -> Scale:
    if isinstance(scale, (tuple, list)):
        pair = (float(scale[0]), float(scale[1]))
    else:
        pair = (float(scale), float(scale))
    if not all(math.isfinite(v) and v >= 1 for v in pair) or max(pair) <= 1:
        raise ValueError(f"scale must be > 1 (per axis >= 1), got {scale!r}")
    return pair


def gradual_steps(target: float | Scale) -> tuple[Scale, ...]:
    """The reference x2 gradual schedule, scaled so it ends at ``target``.

    For x2 this is exactly X2_GRADUAL_IDEAL_CONF; for another target each step is
    ``1 + (step - 1) * (target - 1)`` per axis, keeping its six alternating increments.
    """
    ty, tx = _pair(target)
    return tuple(
        (1.0 + (sy - 1.0) * (ty - 1.0), 1.0 + (sx - 1.0) * (tx - 1.0))
        for sy, sx in REFERENCE_GRADUAL_X2
    )


PRESETS: dict[str, ZSSRConfig] = {
    # X2_ONE_JUMP_IDEAL_CONF: the reference defaults.
    "ideal": ZSSRConfig(name="ideal"),
    # X2_GRADUAL_IDEAL_CONF: six gradual stages with 6..12 back-projection iterations, plus the
    # dead-net guard (a deviation that changes nothing where no collapse happens: Set5 with the
    # guard on is identical to the last digit; gradual runs otherwise sometimes die at a
    # stage's restart at 1e-3, docs/zssr.md). The one-jump presets keep the reference as is.
    "ideal-gradual": ZSSRConfig(name="ideal-gradual", gradual=True, revive_dead_net=True),
    # X2_GIVEN_KERNEL_CONF: no rotation/flip augmentation, no ensemble, BP 2.
    "given-kernel": ZSSRConfig(
        name="given-kernel",
        output_flip=False,
        augment_allow_rotation=False,
        back_projection_iters=(2,),
    ),
    # X2_REAL_CONF: noise on sons, no back-projection, mild augmentation only.
    "real": ZSSRConfig(
        name="real",
        output_flip=False,
        back_projection_iters=(0,),
        noise_std=0.0125,
        augment_allow_rotation=False,
        augment_scale_diff_sigma=0.0,
        augment_shear_sigma=0.0,
        augment_min_scale=0.75,
    ),
}

#: Training-budget overrides shared by the fast presets (deviations from the reference, each
#: measured in docs/results.md): a fixed cosine-annealed budget instead of the adaptive rule (1600
#: steps vs 900-3000), 96-pixel crops (0.56x the pixels per step), bf16 arithmetic in NHWC layout
#: where the machine has bf16 matrix units (fp32 training in NCHW elsewhere: emulated bf16 is slower
#: than fp32, and so is an fp32 NHWC training step; forward-only passes run in NHWC on the CPU), and
#: few reconstruction-error tests (they only feed the rule and the report). Chosen on BSD100 images
#: outside the benchmark list (97033, 89072, 86016; Table-2 kernels): at a similar cost 800x128 px
#: and 1800x80 px steps did no better than 1200x96, and quality grew with the step count. Against
#: the faithful preset, 1600 steps lost 0.16 / 0.04 / 0.01 dB on those images (1800: 0.07 / 0.02 /
#: 0.00) for ~11 % less time; 1600 was taken to leave room for the 5x wall-time goal on an idle
#: machine. Reconstruction tests cover at most four 128 x 128 windows: a BSD100-size input (240 x
#: 160) is still tested whole, a 1020 x 678 one costs 0.1x of a whole-image test. bf16 inference
#: ("auto" again) halves the inference time at -0.013 / -0.019 dB on BSD100 108005 / 12084
#: (given-kernel-fast, true DIV2KRK-style kernels; bench/end_to_end.py
#: --compare-inference-precision). A 100-step rate warm-up: at rate 1e-3 from the first step about
#: one fast run in ten lost a hidden layer for good (the net has no biases) and returned little
#: more than bicubic + back-projection; the ramp costs nothing measurable on healthy runs
#: (docs/decisions.md, "A rate warm-up").
FAST_TRAINING: dict = {
    "learning_rate_schedule": "cosine",
    "max_iters": 1600,
    "min_learning_rate": 1e-5,
    "crop_size": 96,
    "training_precision": "auto",
    "channels_last": "auto",
    "run_test_every": 300,
    "test_pixels": 4 * 128 * 128,
    "inference_precision": "auto",
    "learning_rate_warmup": 100,
}
PRESETS["fast"] = replace(PRESETS["ideal"], name="fast", **FAST_TRAINING)
PRESETS["given-kernel-fast"] = replace(
    PRESETS["given-kernel"], name="given-kernel-fast", **FAST_TRAINING
)
PRESETS["real-fast"] = replace(PRESETS["real"], name="real-fast", **FAST_TRAINING)


#: The kernel-free counterpart of a kernel preset: what runs when an estimated kernel is
#: rejected and the bicubic kernel is used instead (rotations and the geometric ensemble are
#: valid again, as in ZSSR[bicubic]).
KERNEL_FREE_PRESET: dict[str, str] = {"given-kernel": "ideal", "given-kernel-fast": "fast"}


def preset_config(name: str) -> ZSSRConfig:
    """The named configuration; ``ValueError`` listing the names if unknown."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
