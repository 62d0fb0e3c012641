"""Zero-Shot Super-Resolution (Shocher, Cohen & Irani, CVPR 2018), faithful PyTorch port."""

from zssr.config import PRESETS, ZSSRConfig, gradual_steps, preset_config
from zssr.network import ZSSRNet
from zssr.trainer import resolve_device, run_zssr

__all__ = [
    "PRESETS",
    "ZSSRConfig",
    "ZSSRNet",
    "gradual_steps",
    "preset_config",
    "resolve_device",
    "run_zssr",
]
