"""imresize parity against an independent implementation (resize-right, numpy, symmetric pad).

pip install resize-right==0.0.2 && python bench/resize_parity.py
"""

import numpy as np
from blindsr.degradations.resize import imresize
from resize_right import resize
from skimage import data

img = data.astronaut().astype(np.float64) / 255
for s in (0.25, 0.5, 2.0, 4.0):
    ours = imresize(img, s)
    ref = resize(img, scale_factors=[s, s, 1], pad_mode="symmetric")
    print(
        f"x{s:g}: shape {ours.shape}, max |diff| = {np.abs(ours - ref).max() * 255:.2e} grey levels"
    )
