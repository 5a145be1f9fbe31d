"""Absurd CLI settings: refused with the range, never a traceback; a flat toy run warns; skips are totalled."""

from __future__ import annotations

import pytest

from pytorch_explorer.cli import main
from pytorch_explorer.cli.toy import flat_predictions_warning


@pytest.mark.parametrize(("argv", "words"), [
    (["digits", "train", "--threads", "1024"], "threads must be between 1 and"),
    (["digits", "train", "--threads", "-3"], "threads must be between 1 and"),
    (["digits", "train", "--seed", "99999999999999999999999"], "seed must be between 0 and"),
    (["digits", "train", "--seed", "-1"], "seed must be between 0 and"),
    (["toy", "train", "--seed", "99999999999999999999999"], "seed must be between 0 and"),
])
def test_absurd_settings_are_refused_with_their_range(argv, words, capsys, bounded):
    with bounded(" ".join(argv)), pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_a_toy_run_that_learned_nothing_warns(capsys, bounded):
    with bounded("toy train --lr 100"):
        assert main(["toy", "train", "--lr", "100", "--epochs", "2000"]) == 0
    assert "learned nothing" in capsys.readouterr().err
    assert flat_predictions_warning([0.1, 0.9, 0.8], 1.0) is None


def test_skipped_lines_end_with_a_total(tmp_path, capsys, monkeypatch):
    csv = tmp_path / "digits.csv"
    good = "3," + ",".join(["0"] * 784)
    csv.write_text("\n".join([good] * 40 + ["x,1,2"] * 7) + "\n")
    assert main(["digits", "train", "--source", f"csv:{csv}", "--epochs", "1", "--batch-size", "8"]) == 0
    err = capsys.readouterr().err
    assert err.count("skipped:") == 6 and "skipped: 7 in all (2 more not shown)" in err
