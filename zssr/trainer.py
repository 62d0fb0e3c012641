"""ZSSR training and inference (docs/zssr.md).

For each scale stage: draw a father crop from the pool (input + earlier outputs), make its LR son
with the one degradation operator (stage kernel or MATLAB bicubic, optional noise), upsample the
son with MATLAB bicubic onto the father's grid, take one Adam step on the L1 loss; every
``run_test_every`` iterations measure the reconstruction error of the input (the whole input, or
a fixed set of windows within ``test_pixels``; the learning-rate rule feeds on it). Then infer on
the input with the geometric self-ensemble, back-project each output and their median, and add
the result to the father pool.

Sons, upsampling, tests, ensemble, median and back-projection have one implementation, in torch
on the stage's device (the numpy versions in the same modules are the tests' oracles). On the CPU
the operators compute in float64 and round to float32 where the numpy reference does, so the
results equal the reference's bit for bit; on a GPU they compute in float32.
"""

from __future__ import annotations

import copy
import math
import platform
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict

import numpy as np
import torch
from blindsr.degradations.jpeg import jpeg_compress
from blindsr.degradations.kernels import shift_kernel
from blindsr.degradations.resize import imresize_torch, output_shape_for
from blindsr.zssr.augment import random_father
from blindsr.zssr.back_projection import back_project_torch, degrade_to_torch
from blindsr.zssr.config import ZSSRConfig
from blindsr.zssr.ensemble import (
    ensemble_indices,
    forward_transform_torch,
    inverse_transform_torch,
    median_fuse_torch,
)
from blindsr.zssr.lr_policy import LearningRatePolicy
from blindsr.zssr.network import ZSSRNet
from blindsr.zssr.precision import bf16_matrix_units, resolve_layouts, resolve_precision
from blindsr.zssr.son_noise import resolve_son_noise_std
from blindsr.zssr.tiling import forward_tiled

__all__ = ["run_zssr", "resolve_device"]

#: A hidden layer with fewer live units than this is dead (``revive_dead_net``).
DEAD_LIVE_FRACTION = 1e-3

#: Side of the square windows a bounded reconstruction test (``test_pixels``) is made of.
TEST_WINDOW = 128
#: Input pixels the end-of-stage dead check looks at (four windows; a BSD100-size input whole):
#: bounded so that the check costs the same on a photo as on a benchmark image.
DEAD_CHECK_PIXELS = 4 * TEST_WINDOW * TEST_WINDOW

Scale = tuple[float, float]
ProgressFactory = Callable[[int, str], object]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``'auto'`` -> CUDA when available, else CPU. ``'cuda'`` without a GPU is an error."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but no CUDA GPU is available; use --device cpu")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"device must be auto, cpu or cuda, got {device!r}")
    return torch.device(device)


def _to_tensor(image: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None].to(device)


def _to_numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor[0].permute(1, 2, 0).detach().cpu().numpy().astype(np.float32)


def reconstruction_windows(
    shape: tuple[int, int], test_pixels: int | None
) -> list[tuple[slice, slice]]:
    """The input regions a reconstruction test covers: the whole image when ``test_pixels`` is
    None or the image has at most that many pixels, else ``test_pixels // 128^2`` (at least one)
    ``128 x 128`` windows (clipped to the image) at positions drawn once from a fixed seed, so
    every test of every stage measures the same pixels and its cost does not grow with the
    image."""
    height, width = shape
    if test_pixels is None or height * width <= test_pixels:
        return [(slice(0, height), slice(0, width))]
    rows, cols = min(TEST_WINDOW, height), min(TEST_WINDOW, width)
    count = max(1, test_pixels // (rows * cols))
    rng = np.random.default_rng(0)
    tops = rng.integers(0, height - rows + 1, size=count)
    lefts = rng.integers(0, width - cols + 1, size=count)
    return [(slice(t, t + rows), slice(left, left + cols)) for t, left in zip(tops, lefts)]


class _Stage:
    """Everything one scale stage needs to make sons and run the net."""

    def __init__(
        self,
        net: ZSSRNet,
        config: ZSSRConfig,
        scale: Scale,
        shifted_kernel: np.ndarray | None,
        device: torch.device,
        rng: np.random.Generator,
        *,
        noise_std: float = 0.0,
        inference_precision: str = "fp32",
        channels_last: dict[str, bool] | None = None,
    ) -> None:
        self.net, self.config, self.scale = net, config, scale
        self.noise_std = noise_std
        self.kernel, self.device, self.rng = shifted_kernel, device, rng
        # float64 on the CPU reproduces the numpy reference (float64 operators rounded to
        # float32); GPUs keep float32, where float64 is slow on most of them.
        self.work_dtype = torch.float64 if device.type == "cpu" else torch.float32
        self.low_precision_inference = inference_precision == "bf16"
        nhwc = channels_last or resolve_layouts(config.channels_last, "fp32", device)
        self.layout, self.inference_layout = (
            torch.channels_last if nhwc[p] else torch.contiguous_format
            for p in ("training", "inference")
        )
        # On the CPU the son noise comes from the numpy stream (the reference's draws); on a GPU
        # from a generator on the device, so nothing crosses the bus for it.
        self.noise_gen = None
        if device.type != "cpu" and noise_std > 0:
            seed = int(rng.integers(2**62))
            self.noise_gen = torch.Generator(device=device).manual_seed(seed)

    def degrade(self, image: torch.Tensor, shape: tuple[int, int] | None = None) -> torch.Tensor:
        """The stage's degradation of a float32 ``1 x C x H x W`` tensor (float32 out)."""
        out = degrade_to_torch(image.to(self.work_dtype), self.kernel, self.scale, shape)
        return out.to(torch.float32)

    def upsample(self, image: torch.Tensor, shape: tuple[int, int] | None = None) -> torch.Tensor:
        """MATLAB bicubic by the stage's scale (float32 in and out)."""
        out = imresize_torch(image.to(self.work_dtype), self.scale, output_shape=shape)
        return out.to(torch.float32)

    def _noise(self, shape: torch.Size) -> torch.Tensor:
        if self.noise_gen is not None:
            return torch.randn(shape, generator=self.noise_gen, device=self.device)
        _, c, h, w = shape
        draws = self.rng.standard_normal((h, w, c)).astype(np.float32)
        return _to_tensor(draws, self.device)

    def son(self, father: torch.Tensor, *, clean: bool = False) -> torch.Tensor:
        """The LR son of a float32 ``1 x C x H x W`` father: degraded, noisy, clipped, JPEG
        (``clean``: degraded and clipped only, drawing no random numbers)."""
        son = self.degrade(father)
        if self.noise_std > 0 and not clean:
            son = son + self.noise_std * self._noise(son.shape)
        son = son.clamp(0.0, 1.0)
        if self.config.son_jpeg_quality and not clean:
            # libjpeg runs on the host: one small round trip per step on a GPU.
            son = _to_tensor(
                jpeg_compress(_to_numpy(son), self.config.son_jpeg_quality), self.device
            )
        return son

    def training_pair(
        self, father: np.ndarray, *, clean: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(network input, target)`` tensors on the device for one ``H x W x C`` father
        (``clean``: from a son without noise or JPEG, see ``son``)."""
        target = _to_tensor(father, self.device)
        return self.upsample(self.son(target, clean=clean), father.shape[:2]), target

    def _precision(self):
        if not self.low_precision_inference:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    @torch.inference_mode()
    def predict(self, upsampled: torch.Tensor) -> torch.Tensor:
        """The net on a float32 ``1 x C x H x W`` tensor, tiled, clipped to [0, 1], float32."""
        with self._precision():
            y = forward_tiled(
                self.net,
                # The input's layout picks the convolutions' layout (the weights keep theirs).
                upsampled.contiguous(memory_format=self.inference_layout),
                tile=self.config.tile_size,
                radius=self.net.receptive_radius,
            )
        return y.float().clamp(0.0, 1.0).contiguous()

    def reconstruction_error(self, image: np.ndarray) -> float:
        """MSE of the net's reconstruction of the input from its own son ([0, 1] units)."""
        return self.reconstruction_test(image)[0]

    def reconstruction_test(
        self, image: np.ndarray, *, check_dead: bool = False
    ) -> tuple[float, bool | None]:
        """Reconstruction error over the test windows (the whole input unless ``test_pixels``
        bounds it), and (``check_dead``) whether the net is dead on the same network input (the
        upsampled son, the kind of picture training feeds it).

        Dead means: its prediction is exactly the clipped input (it changes nothing), or some
        hidden layer has fewer than ``DEAD_LIVE_FRACTION`` of its units positive at least the
        receptive radius from the border. Without biases such a layer passes (almost) nothing
        on, so the residual is ~0 and so is every gradient; measured on a collapsed gradual run
        (ppt3): last hidden layer 8e-6 of its units live, residual 1e-8 inside the image, and
        the run never recovers. Away from the border because the zero padding alone can keep a
        few units alive there. The healthy layers measured keep 4.6-72 % of their units live,
        freshly initialised ones 30-56 %.
        """
        errors, evidence = [], []
        with torch.inference_mode():
            for rows, cols in reconstruction_windows(image.shape[:2], self.config.test_pixels):
                window = image[rows, cols]
                x, _ = self.training_pair(window)
                prediction = self.predict(x)
                # numpy's float32 mean on the host: the reference's summation order.
                errors.append(float(np.mean((window - _to_numpy(prediction)) ** 2)))
                if check_dead:
                    evidence.append(self._dead_evidence(x, prediction))
        error = errors[0] if len(errors) == 1 else float(np.mean(errors))
        return error, (_is_dead(evidence) if check_dead else None)

    def is_dead(self, image: np.ndarray) -> bool:
        """The dead-net verdict of ``reconstruction_test`` on sons without noise or JPEG: it
        draws no random numbers, so asking changes no later result. At most
        ``DEAD_CHECK_PIXELS`` of the input are looked at (the live fractions are computed
        untiled), whatever ``test_pixels`` says."""
        pixels = self.config.test_pixels
        pixels = DEAD_CHECK_PIXELS if pixels is None else min(pixels, DEAD_CHECK_PIXELS)
        evidence = []
        with torch.inference_mode():
            for rows, cols in reconstruction_windows(image.shape[:2], pixels):
                x, _ = self.training_pair(image[rows, cols], clean=True)
                evidence.append(self._dead_evidence(x, self.predict(x)))
        return _is_dead(evidence)

    def _dead_evidence(self, x: torch.Tensor, prediction: torch.Tensor) -> tuple[bool, list]:
        no_op = torch.equal(prediction, x.clamp(0.0, 1.0))
        return no_op, self.net.live_fractions(x, margin=self.net.receptive_radius)


def _is_dead(evidence: list[tuple[bool, list]]) -> bool:
    """Dead: no window's prediction changes its input, or some hidden layer's mean live fraction
    over the windows is below ``DEAD_LIVE_FRACTION``."""
    live = np.mean([fractions for _, fractions in evidence], axis=0)
    return all(no_op for no_op, _ in evidence) or float(live.min()) < DEAD_LIVE_FRACTION


def _crop_size(config: ZSSRConfig, image: np.ndarray) -> tuple[int, int]:
    c = config.crop_size
    if config.shrink_crop_to_image:
        return min(c, image.shape[0]), min(c, image.shape[1])
    return c, c


def _train_stage(
    stage: _Stage,
    optimizer: torch.optim.Optimizer,
    pool: list[np.ndarray],
    base_scales: list[float],
    max_scale: float,
    image: np.ndarray,
    progress: object | None,
    *,
    training_precision: str = "fp32",
) -> dict:
    config = stage.config
    policy = LearningRatePolicy(
        learning_rate=config.learning_rate,
        ratio=config.learning_rate_change_ratio,
        check_every=config.learning_rate_policy_check_every,
        slope_range=config.learning_rate_slope_range,
        test_every=config.run_test_every,
        min_iters=config.min_iters,
        convention=config.slope_variance,
    )
    test_iters: list[int] = []
    test_errors: list[float] = []
    losses: list[float] = []
    crop = _crop_size(config, image)
    low_precision = training_precision == "bf16"
    layout = stage.layout
    stage.net.to(memory_format=layout)
    revivals: list[int] = []
    start_state = None
    if config.revive_dead_net:
        start_state = (
            copy.deepcopy(stage.net.state_dict()),
            copy.deepcopy(optimizer.state_dict()),
        )
    iteration = -1
    test_wall = test_cpu = 0.0
    for iteration in range(config.max_iters):
        father = random_father(
            pool,
            base_scales,
            max_scale,
            rng=stage.rng,
            crop_size=crop,
            leave_as_is_probability=config.augment_leave_as_is_probability,
            no_interpolate_probability=config.augment_no_interpolate_probability,
            min_scale=config.augment_min_scale,
            scale_diff_sigma=config.augment_scale_diff_sigma,
            shear_sigma=config.augment_shear_sigma,
            allow_rotation=config.augment_allow_rotation,
        )
        x, target = stage.training_pair(father)
        rate = _scheduled_rate(config, iteration, policy)
        if revivals and config.learning_rate_schedule != "reference":
            rate *= 0.1 ** len(revivals)  # the reference rule's rate already holds the /10
        for group in optimizer.param_groups:
            group["lr"] = rate
        stage.net.train()
        with torch.autocast(stage.device.type, dtype=torch.bfloat16, enabled=low_precision):
            out = stage.net(x.contiguous(memory_format=layout))
        loss = torch.mean(torch.abs(out.float() - target))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if iteration % config.run_test_every == 0:
            t_wall, t_cpu = time.perf_counter(), time.process_time()
            stage.net.eval()
            error, dead = stage.reconstruction_test(image, check_dead=config.revive_dead_net)
            if dead:
                stage.net.load_state_dict(start_state[0])
                optimizer.load_state_dict(start_state[1])
                policy.learning_rate /= 10.0
                policy.last_change = iteration
                policy.changes.append(iteration)
                revivals.append(iteration)
                error, dead = stage.reconstruction_test(image, check_dead=True)
                if dead:  # the stage started dead: nothing to go back to
                    stage.net.reset_parameters(_generator_from(stage.rng))
                    optimizer.state.clear()
                    error = stage.reconstruction_error(image)
            test_iters.append(iteration)
            test_errors.append(error)
            test_wall += time.perf_counter() - t_wall
            test_cpu += time.process_time() - t_cpu
        if config.learning_rate_schedule == "reference":
            policy.update(iteration, test_iters, test_errors)
        if progress is not None:
            progress.update(1)
            if iteration % 20 == 0:
                progress.set_postfix(loss=f"{losses[-1]:.4f}", lr=f"{rate:.0e}", refresh=False)
        if (
            config.learning_rate_schedule == "reference"
            and policy.learning_rate < config.min_learning_rate
        ):
            break
    stage.net.eval()
    return {
        "iterations": iteration + 1,
        # Whether the trained net is dead (output ~ bicubic + back-projection), whatever
        # ``revive_dead_net`` says: a collapse is then visible in every report.
        "dead_at_end": stage.is_dead(image),
        "test_seconds": test_wall,
        "test_cpu_seconds": test_cpu,
        "lr_drop_iterations": policy.changes,
        "revivals": revivals,
        "reconstruction_error": [[i, e] for i, e in zip(test_iters, test_errors)],
        "lr_decisions": policy.decisions,
        "loss_every_20": losses[::20],
    }


def _generator_from(rng: np.random.Generator) -> torch.Generator:
    return torch.Generator().manual_seed(int(rng.integers(2**62)))


def _scheduled_rate(config: ZSSRConfig, iteration: int, policy: LearningRatePolicy) -> float:
    """The step's learning rate: the adaptive rule's, or the half-cosine fixed budget; times
    the warm-up ramp during the first ``learning_rate_warmup`` steps."""
    warmup = (
        min(1.0, (iteration + 1) / config.learning_rate_warmup)
        if config.learning_rate_warmup
        else 1.0
    )
    if config.learning_rate_schedule == "reference":
        return warmup * policy.learning_rate
    progress = iteration / max(config.max_iters - 1, 1)
    low, high = config.min_learning_rate, config.learning_rate
    return warmup * (low + 0.5 * (high - low) * (1.0 + math.cos(math.pi * progress)))


#: Rows per chunk of the ensemble median: its sort holds 8 values and 8 int64 indices per
#: pixel, 24x the output's float32 size if done at once (3 GB for a 2K-wide x2 output).
MEDIAN_ROWS = 256


@torch.inference_mode()
def _infer_stage(stage: _Stage, image: np.ndarray, bp_iters: int) -> np.ndarray:
    """Ensemble, per-output back-projection, median, back-projection of the median; everything
    on ``stage.device`` (one copy in, one out)."""
    stage.net.eval()
    lr = _to_tensor(image, stage.device)
    outputs = []
    for k in ensemble_indices(stage.config.output_flip, stage.scale):
        x = stage.upsample(forward_transform_torch(lr, k))
        y = inverse_transform_torch(stage.predict(x), k)
        outputs.append(_back_project(stage, y, lr, bp_iters))
        del x, y
    if len(outputs) == 1:
        fused = outputs.pop()
    else:
        fused = torch.cat(
            [
                median_fuse_torch([o[:, :, top : top + MEDIAN_ROWS] for o in outputs])
                for top in range(0, outputs[0].shape[2], MEDIAN_ROWS)
            ],
            dim=2,
        )
        outputs.clear()
    return _to_numpy(_back_project(stage, fused, lr, bp_iters))


def _back_project(
    stage: _Stage, sr: torch.Tensor, lr: torch.Tensor, iterations: int
) -> torch.Tensor:
    return back_project_torch(
        sr, lr, stage.kernel, stage.scale, iterations, work_dtype=stage.work_dtype
    )


def run_zssr(
    image: np.ndarray,
    config: ZSSRConfig,
    kernels: list[np.ndarray | None] | None = None,
    *,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: ProgressFactory | None = None,
) -> tuple[np.ndarray, dict]:
    """Super-resolve ``image`` with a resolved config (``config.scale_factors`` non-empty).

    Args:
        image: ``H x W x C`` float32 in [0, 1] (any C >= 1; RGB order for colour).
        config: settings with the stage list resolved (``ZSSRConfig.for_scale``).
        kernels: one kernel (or None = MATLAB bicubic) per stage, correlation convention.
        seed: seeds augmentation, noise and weight init (deterministic on CPU).
        device: ``'auto'``, ``'cpu'``, ``'cuda'`` or a ``torch.device``.
        progress: ``progress(total, description)`` returning a tqdm-like bar, or None.

    Returns:
        ``(sr, report)``: the last stage's output (``ceil(H*sy) x ceil(W*sx) x C`` float32) and a
        JSON-ready report (settings, per-stage iterations, lr drops, error trace, times).
    """
    if image.ndim != 3 or image.shape[2] < 1:
        raise ValueError(f"image must be HxWxC, got shape {image.shape}")
    if not config.scale_factors:
        raise ValueError("config has no scale stages; call config.for_scale(scale) first")
    n_stages = len(config.scale_factors)
    kernels = [None] * n_stages if kernels is None else list(kernels)
    if len(kernels) != n_stages:
        raise ValueError(f"got {len(kernels)} kernels for {n_stages} scale stages (one per stage)")
    dev = resolve_device(device)
    image = np.ascontiguousarray(image, dtype=np.float32)
    rng = np.random.default_rng(seed)
    precision = {
        "training": resolve_precision(config.training_precision, dev),
        "inference": resolve_precision(config.inference_precision, dev),
        "bf16_matrix_units": bf16_matrix_units(dev),
    }
    precision["channels_last"] = resolve_layouts(config.channels_last, precision["training"], dev)
    torch_gen = torch.Generator().manual_seed(seed)
    channels = image.shape[2]

    def new_net() -> ZSSRNet:
        return ZSSRNet(
            channels,
            width=config.width,
            depth=config.depth,
            init_variance=config.init_variance,
            learn_residual=config.learn_residual,
            generator=torch_gen,
        ).to(dev)

    net = new_net()
    # One optimizer for as long as the weights live: in the reference the Adam moments and step
    # count are graph variables reset only together with the weights (init_net_for_each_sf), so
    # a gradual stage continues the previous stage's Adam state with the rate back at 1e-3.
    optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    pool, base_scales = [image], [1.0]
    stages_report = []
    t_start = time.perf_counter()
    sr = image
    for index, (scale, kernel) in enumerate(zip(config.scale_factors, kernels)):
        scale = (float(scale[0]), float(scale[1]))
        if index and config.init_net_for_each_sf:
            net = new_net()
        if index and (config.init_net_for_each_sf or config.reset_optimizer_each_stage):
            optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
        shifted = None if kernel is None else shift_kernel(kernel, scale).astype(np.float64)
        noise_std, noise_info = resolve_son_noise_std(config.noise_std, image, shifted, scale)
        stage = _Stage(
            net,
            config,
            scale,
            shifted,
            dev,
            rng,
            noise_std=noise_std,
            inference_precision=precision["inference"],
            channels_last=precision["channels_last"],
        )
        max_scale = base_scales[-1]
        bar = None
        if progress is not None:
            bar = progress(
                config.max_iters, f"stage {index + 1}/{n_stages} x{scale[0]:g},{scale[1]:g}"
            )
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            info = _train_stage(
                stage,
                optimizer,
                pool,
                base_scales,
                max_scale,
                image,
                bar,
                training_precision=precision["training"],
            )
        finally:
            if bar is not None:
                bar.close()
        t1, c1 = time.perf_counter(), time.process_time()
        sr = _infer_stage(stage, image, config.back_projection_iters[index])
        t2, c2 = time.perf_counter(), time.process_time()
        expected = output_shape_for(image.shape[:2], scale)
        if sr.shape[:2] != expected:  # pragma: no cover - guarded by construction
            raise RuntimeError(f"stage output {sr.shape[:2]} != expected {expected}")
        pool.append(sr)
        base_scales.append(min(scale))
        stages_report.append(
            {
                "scale": list(scale),
                "kernel": None if kernel is None else list(np.shape(kernel)),
                "train_seconds": t1 - t0,
                "inference_seconds": t2 - t1,
                # Process CPU time (all threads): meaningful on a shared machine.
                "train_cpu_seconds": c1 - c0,
                "inference_cpu_seconds": c2 - c1,
                "output_shape": list(sr.shape),
                "noise_std": noise_std,
                **noise_info,
                **info,
            }
        )
    dead = [i + 1 for i, st in enumerate(stages_report) if st["dead_at_end"]]
    if dead:
        warnings.warn(
            f"training collapsed (stage {', '.join(map(str, dead))}): a hidden layer stopped "
            "firing, so the output is little more than bicubic + back-projection; rerun with "
            "another seed or with revive_dead_net=true",
            stacklevel=2,
        )
    report = {
        "settings": {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()
        },
        "seed": seed,
        "device": str(dev),
        "precision": precision,
        "stages": stages_report,
        "total_seconds": time.perf_counter() - t_start,
        "input_shape": list(image.shape),
        "output_shape": list(sr.shape),
        "versions": _versions(),
    }
    return sr, report


def _versions() -> dict:
    import cv2
    import scipy

    from blindsr._version import __version__

    return {
        "blindsr": __version__,
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "opencv": cv2.__version__,
        "platform": platform.platform(),
        "threads": torch.get_num_threads(),
        "cuda_available": torch.cuda.is_available(),
    }
