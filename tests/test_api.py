"""The Python API's small promises: the threads option and a docstring that lists every preset."""

import pytest
import torch
from blindsr.zssr.config import PRESETS

from blindsr.api import super_resolve

TINY = dict(max_iters=3, width=8, crop_size=24, run_test_every=2)


def test_threads_applies_to_the_call_and_is_restored(rgb_image):
    before = torch.get_num_threads()
    _, rep = super_resolve(rgb_image[:20, :20], 2, progress=False, threads=before + 1, **TINY)
    assert rep["versions"]["threads"] == before + 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads"):
        super_resolve(rgb_image[:20, :20], 2, progress=False, threads=0, **TINY)


def test_the_docstring_lists_every_preset():
    doc = super_resolve.__doc__
    assert all(f"``{name}``" in doc for name in [*PRESETS, "auto", "auto-faithful"])
