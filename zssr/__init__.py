"""Zero-Shot Super-Resolution (Shocher, Cohen & Irani, CVPR 2018), faithful PyTorch port."""

from blindsr.zssr.config import PRESETS, ZSSRConfig, gradual_steps, preset_config
from blindsr.zssr.network import ZSSRNet
from blindsr.zssr.trainer import resolve_device, run_zssr

__all__ = [
    "PRESETS",
    "ZSSRConfig",
    "ZSSRNet",
    "gradual_steps",
    "preset_config",
    "resolve_device",
    "run_zssr",
]
