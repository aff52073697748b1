"""Numeric options out of range are refused before any work, naming the option and its range
(the ranges come from the typed parameter blocks, specsweep/params)."""

from __future__ import annotations

import pytest

from specsweep.cli import main

CASES = [
    (["search", "--spectra", "s", "--db", "d", "--output", "o", "--top-k", "0"], "--top-k: value must be >= 1"),
    (["search", "--spectra", "s", "--db", "d", "--output", "o", "--precursor-tol-da", "-0.1"],
     "--precursor-tol-da: value must be >= 0"),
    (["search", "--spectra", "s", "--db", "d", "--output", "o", "--fragment-tol-ppm", "-3"],
     "--fragment-tol-ppm: value must be >= 0"),
    (["formula", "--spectra", "s", "--output", "o", "--ppm", "-5"], "--ppm: value must be > 0"),
    (["ingest", "--input", "i", "--output-dir", "o", "--top-n", "0"], "--top-n: value must be >= 1"),
    (["fragment", "--molecules", "m", "--output-dir", "o", "--shard-width-da", "0"],
     "--shard-width-da: value must be > 0"),
]


@pytest.mark.parametrize("argv,message", CASES, ids=[" ".join(a[:1] + a[-2:]) for a, _ in CASES])
def test_out_of_range_option_is_refused(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
