"""numpy against torch timing (toy.speed)."""

from __future__ import annotations

import pytest

from pytorch_explorer.toy import speed as toy_speed


# ---------------------------------------------------------------- speed
def test_time_per_epoch_measures_both_libraries_on_both_problems():
    for problem in toy_speed.PROBLEMS:
        for library in ("numpy", "torch"):
            seconds = toy_speed.time_per_epoch(problem, library, "cpu", epochs=1, warmup=0)
            assert 0 < seconds < 60
    X, y, weights = toy_speed.make_problem("large")
    assert X.shape == (10_000, 64) and y.shape == (10_000, 1) and weights["wh"].shape == (64, 256)
    assert 0.2 < y.mean() < 0.8
    with pytest.raises(ValueError):
        toy_speed.time_per_epoch("tiny", "jax")


def test_speed_note_reads_the_numbers_it_is_given():
    rows = [
        toy_speed.SpeedRow("tiny", "numpy", "cpu", 10, 0.02), toy_speed.SpeedRow("tiny", "torch", "cpu", 10, 0.06),
        toy_speed.SpeedRow("tiny", "torch", "cuda:0", 10, 0.2),
        toy_speed.SpeedRow("large", "numpy", "cpu", 10, 100.0), toy_speed.SpeedRow("large", "torch", "cpu", 10, 90.0),
        toy_speed.SpeedRow("large", "torch", "cuda:0", 10, 2.0),
    ]
    note = toy_speed.speed_note(rows)
    assert "numpy 20 µs, torch on the CPU 60 µs" in note and "numpy is 3.0x faster" in note
    assert "On cuda:0: 200 µs (slower than the CPU)" in note
    assert "torch on the CPU 90.0 ms per epoch: about the same" in note
    assert "On cuda:0: 2.0 ms (faster than the CPU)" in note
    assert "No GPU" not in note
    assert "No GPU on this machine" in toy_speed.speed_note(rows[:2])
