"""The training plot draws every curve its legend names, on labelled iteration and log axes."""

import numpy as np
import pytest

from blindsr.plot import linear_ticks, log_ticks, training_plot

# BGR colours of blindsr.plot: grey loss, blue reconstruction error, red learning-rate drops.
LOSS, REC, DROP = (150, 150, 150), (200, 80, 0), (0, 0, 220)


def _has(picture, colour, top=50):
    """Pixels of exactly this colour below the legend (inside the axes)."""
    return bool(np.all(picture[top:] == colour, axis=2).any())


def _stage(**extra):
    stage = dict(
        iterations=1600,
        scale=[2, 2],
        loss_every_20=list(np.geomspace(0.05, 0.01, 80)),
        reconstruction_error=[[i, 1e-3 * 0.8 ** (i / 300)] for i in range(0, 1600, 300)],
        lr_drop_iterations=[],
    )
    stage.update(extra)
    return stage


def test_fast_preset_report_draws_both_curves_and_no_drop_lines():
    picture = training_plot({"stages": [_stage()]})
    assert _has(picture, LOSS) and _has(picture, REC) and not _has(picture, DROP, top=0)


def test_a_single_test_point_is_still_drawn_and_drops_are_drawn_when_there_are_some():
    picture = training_plot(
        {"stages": [_stage(reconstruction_error=[[0, 1e-3]], lr_drop_iterations=[700])]}
    )
    assert _has(picture, REC) and _has(picture, DROP)


def test_one_panel_per_stage():
    assert training_plot({"stages": [_stage(), _stage()]}, height=300).shape[0] == 600


@pytest.mark.parametrize(
    "low,high,expected",
    [
        (1e-4, 0.2, [1e-4, 1e-3, 1e-2, 1e-1]),
        (0.011, 0.06, [0.02, 0.05]),
        (3e-4, 2e-3, [5e-4, 1e-3, 2e-3]),
    ],
)
def test_log_ticks(low, high, expected):
    np.testing.assert_allclose(log_ticks(low, high), expected)


def test_linear_ticks_are_round_and_cover_the_range():
    assert linear_ticks(1600) == [0, 500, 1000, 1500]
    assert linear_ticks(3) == [0, 1, 2, 3]
