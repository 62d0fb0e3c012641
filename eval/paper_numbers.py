"""Published numbers the tables are compared with (protocols.md §3-§5), PSNR/SSIM.

Keys: ``(protocol, set, scale)`` -> ``{method row: (psnr, ssim)}``. Method rows use our method
names where there is a counterpart; other published rows keep their paper names.
"""

from __future__ import annotations

__all__ = ["PAPER"]

PAPER: dict[tuple[str, str, int], dict[str, tuple[float, float]]] = {
    ("ideal", "set5", 2): {
        "bicubic": (33.66, 0.9299),
        "zssr-bicubic": (37.37, 0.9570),
        "VDSR": (37.53, 0.9587),
        "EDSR+": (38.20, 0.9606),
    },
    ("ideal", "set5", 3): {"bicubic": (30.39, 0.8682), "zssr-bicubic": (33.42, 0.9188)},
    ("ideal", "set5", 4): {"bicubic": (28.42, 0.8104), "zssr-bicubic": (31.13, 0.8796)},
    ("ideal", "set14", 2): {"bicubic": (30.24, 0.8688), "zssr-bicubic": (33.00, 0.9108)},
    ("ideal", "set14", 3): {"bicubic": (27.55, 0.7742), "zssr-bicubic": (29.80, 0.8304)},
    ("ideal", "set14", 4): {"bicubic": (26.00, 0.7027), "zssr-bicubic": (28.01, 0.7651)},
    ("ideal", "bsd100", 2): {"bicubic": (29.56, 0.8431), "zssr-bicubic": (31.65, 0.8920)},
    ("ideal", "bsd100", 3): {"bicubic": (27.21, 0.7385), "zssr-bicubic": (28.67, 0.7945)},
    ("ideal", "bsd100", 4): {"bicubic": (25.96, 0.6675), "zssr-bicubic": (27.12, 0.7211)},
    ("table2", "bsd100", 2): {
        "VDSR": (27.7212, 0.7635),
        "EDSR+": (27.7826, 0.7660),
        "Blind-SR (M&I 2013)": (28.420, 0.7834),
        "zssr-est": (28.8118, 0.8306),
        "zssr-true": (29.6814, 0.8414),
    },
    # Table 3: the paper's set means are not available (protocols.md §5).
}
