"""Halide anions in negative-mode spectra (formula/halides.py): MassBank [M-H]- records of negative
dev_full (none a dev_500 compound) with a Cl-, Br- or I- peak, and the stage's use of them."""

from dataclasses import replace

import pytest

from specsweep.chem.formulas import parse_formula
from specsweep.formula.halides import halides_seen
from specsweep.formula.identify import FormulaSettings, identify
from specsweep.spectra.mgf_reader import read_mgf

SEEN = {
    "MSBNK-BAFG-CSL23111010960": ("Cl",),   # C6H3ClF3NO
    "MSBNK-BAFG-CSL23111017680": ("Br",),   # C9H13BrN2O2
    "MSBNK-BAFG-CSL23111018732": ("I",),    # C7H3I2NO
}
# a chlorinated compound whose formula the trees and the ranker miss without the Cl- peak's evidence
# (C11H15ClN4O2, Cl- at 34.969; second without the rule, first with it)
CHANGED = "MSBNK-BAFG-CSL23111011014"


@pytest.fixture(scope="module")
def records(shared_data):
    wanted = set(SEEN) | {CHANGED}
    recs = {r.title: r for r in read_mgf(shared_data / "spectra" / "massbank_hr_neg_MmH_dev_full.mgf.gz")
            if r.title in wanted or (r.title.startswith("MSBNK-Eawag-") and "Cl" not in r.formula
                                     and "Br" not in r.formula and "I" not in r.formula)}
    assert wanted <= set(recs)
    return recs


def test_halide_peaks_name_the_halogen(records):
    for title, expected in SEEN.items():
        rec = records[title]
        assert halides_seen(rec.mz, rec.intensity, rec.precursor_mz) == expected
        assert all(parse_formula(rec.formula)[e] > 0 for e in expected)


def test_no_halide_claimed_for_compounds_without_halogens(records):
    plain = [r for t, r in records.items() if t.startswith("MSBNK-Eawag-")][:500]
    assert len(plain) == 500
    assert [r.title for r in plain if halides_seen(r.mz, r.intensity, r.precursor_mz)] == []


def test_stage_keeps_only_candidates_with_the_halogen(records):
    rec = records[CHANGED]
    settings = FormulaSettings()
    info: dict = {}
    _, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M-H]-"], "CHNOPSFClBrI", settings, info=info)
    assert info["halides"] == ("Cl",)
    assert all("Cl" in parse_formula(r["formula"]) for r in rows)
    assert rows[0]["formula"] == rec.formula
    _, off = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M-H]-"], "CHNOPSFClBrI",
                      replace(settings, halide_rule=False))
    assert off[0]["formula"] != rec.formula
    assert any("Cl" not in parse_formula(r["formula"]) for r in off)
    # an alphabet without chlorine ignores the peak rather than leaving the spectrum empty
    _, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M-H]-"], "CHNOPS", settings)
    assert rows and all("Cl" not in parse_formula(r["formula"]) for r in rows)
