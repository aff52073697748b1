"""Isotope patterns of ions and their score against measured patterns."""

import numpy as np

from specsweep.formula.identify import FormulaSettings, identify
from specsweep.formula.isotopes import ion_pattern, pattern_score, simulate_pattern
from specsweep.spectra.mgf_reader import read_mgf


def test_patterns_of_known_ions():
    # caffeine [M+H]+ C8H11N4O2+: m/z 195.0877, M+1 about 10.3 % of M+0 (8 C, 4 N)
    mz, p = ion_pattern({"C": 8, "H": 11, "N": 4, "O": 2}, 1)
    assert abs(mz[0] - 195.08765) < 1e-4 and abs(p[1] / p[0] - 0.1032) < 0.002
    assert abs(mz[1] - mz[0] - 1.0029) < 0.002
    # one chlorine: M+2 about a third of M+0; one bromine: M+2 about equal to M+0
    _, p = ion_pattern({"C": 2, "H": 4, "Cl": 1}, 1)
    assert abs(p[2] / p[0] - 0.24 / 0.76) < 0.01
    _, p = ion_pattern({"C": 2, "H": 4, "Br": 1}, -1)
    assert abs(p[2] / p[0] - 0.4931 / 0.5069) < 0.03


def test_score_prefers_the_true_formula_and_ranks_it_first(demo_mgf):
    rng = np.random.default_rng(3)
    true = {"C": 15, "H": 15, "O": 6}  # [M+H]+ of C15H14O6
    mz, inten = simulate_pattern(true, 1, rng)
    right = pattern_score(mz, inten, *ion_pattern(true, 1))
    wrong = pattern_score(mz, inten, *ion_pattern({"C": 13, "H": 13, "N": 2, "O": 5, "S": 1}, 1))
    assert right > wrong
    rec = next(r for r in read_mgf(demo_mgf) if r.formula == "C15H14O6")
    status, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M+H]+"], "CHNOPSClBr", FormulaSettings(),
                            ms1=(mz, inten))
    assert status == "ok" and rows[0]["formula"] == "C15H14O6"
