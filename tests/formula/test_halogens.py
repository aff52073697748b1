"""Peaks that show a halogen (formula/halogens.py): MassBank records of dev_full (none a dev_500
compound) with a halide anion (negative mode) or the precursor less HX or X (HF for fluorine), and
the stage's use of them."""

from dataclasses import replace

import pytest

from specsweep.chem.formulas import parse_formula
from specsweep.formula.halogens import halogens_shown
from specsweep.formula.identify import FormulaSettings, identify
from specsweep.spectra.mgf_reader import read_mgf

NEGATIVE = {
    "MSBNK-BAFG-CSL23111010960": ("F", "Cl"),   # C6H3ClF3NO, Cl- anion and [M-H-HF]-
    "MSBNK-BAFG-CSL23111017680": ("Br",),   # C9H13BrN2O2, Br- anion
    "MSBNK-BAFG-CSL23111018732": ("I",),    # C7H3I2NO, I- anion
}
POSITIVE = {
    "MSBNK-Antwerp_Univ-AN125008": ("Cl",),  # C6H4ClN3, [M+H-HCl]+ or [M+H-Cl]+
    "MSBNK-Athens_Univ-AU152806": ("Cl",),   # C9H7Cl2N5
    "MSBNK-Athens_Univ-AU102603": ("F",),    # C17H18FN3O3, [M+H-HF]+
}
# a chlorinated compound whose formula the trees and the ranker miss without the Cl- peak's evidence
# (C11H15ClN4O2, Cl- at 34.969; second without the rule, first with it)
CHANGED = "MSBNK-BAFG-CSL23111011014"
# a fluorinated steroid (C22H29FO5, [M+H-HF]+ at 373.20) read as C25H28O4 (F + H + O for C3, 1.1 mDa)
# without the rule
CHANGED_POSITIVE = "MSBNK-BAFG-CSL2311109902"


def _halogen_free(formula: str) -> bool:
    counts = parse_formula(formula)
    return not any(counts.get(el, 0) for el in ("F", "Cl", "Br", "I"))


@pytest.fixture(scope="module")
def negative_records(shared_data):
    wanted = set(NEGATIVE) | {CHANGED}
    recs = {r.title: r for r in read_mgf(shared_data / "spectra" / "massbank_hr_neg_MmH_dev_full.mgf.gz")
            if r.title in wanted or (r.title.startswith("MSBNK-Eawag-") and _halogen_free(r.formula))}
    assert wanted <= set(recs)
    return recs


@pytest.fixture(scope="module")
def positive_records(shared_data):
    recs, plain = {}, []
    for r in read_mgf(shared_data / "spectra" / "massbank_hr_pos_MH_dev_full.mgf.gz"):
        if r.title in POSITIVE or r.title == CHANGED_POSITIVE:
            recs[r.title] = r
        elif r.title.startswith("MSBNK-Eawag-") and _halogen_free(r.formula) and len(plain) < 1000:
            plain.append(r)
    assert set(POSITIVE) | {CHANGED_POSITIVE} <= set(recs)
    return recs, plain


def test_peaks_name_the_halogen(negative_records, positive_records):
    for title, expected in NEGATIVE.items():
        rec = negative_records[title]
        assert halogens_shown(rec.mz, rec.intensity, rec.precursor_mz, negative=True) == expected
        assert all(parse_formula(rec.formula)[e] > 0 for e in expected)
    recs, _ = positive_records
    for title, expected in POSITIVE.items():
        rec = recs[title]
        assert halogens_shown(rec.mz, rec.intensity, rec.precursor_mz, negative=False) == expected
        assert all(parse_formula(rec.formula)[e] > 0 for e in expected)


def test_no_halogen_claimed_for_compounds_without_halogens(negative_records, positive_records):
    plain = [r for t, r in negative_records.items() if t.startswith("MSBNK-Eawag-")][:500]
    assert len(plain) == 500
    assert [r.title for r in plain if halogens_shown(r.mz, r.intensity, r.precursor_mz, negative=True)] == []
    _, plain = positive_records
    assert len(plain) == 1000
    assert [r.title for r in plain if halogens_shown(r.mz, r.intensity, r.precursor_mz, negative=False)] == []


def test_stage_keeps_only_candidates_with_the_halogen(negative_records):
    rec = negative_records[CHANGED]
    settings = FormulaSettings()
    info: dict = {}
    _, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M-H]-"], "CHNOPSFClBrI", settings, info=info)
    assert info["halogens"] == ("Cl",)
    assert all("Cl" in parse_formula(r["formula"]) for r in rows)
    assert rows[0]["formula"] == rec.formula
    _, off = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M-H]-"], "CHNOPSFClBrI",
                      replace(settings, halogen_rule=False))
    assert off[0]["formula"] != rec.formula
    assert any("Cl" not in parse_formula(r["formula"]) for r in off)
    # an alphabet without chlorine ignores the peak rather than leaving the spectrum empty
    _, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M-H]-"], "CHNOPS", settings)
    assert rows and all("Cl" not in parse_formula(r["formula"]) for r in rows)


def test_hf_loss_keeps_fluorine(positive_records):
    recs, _ = positive_records
    rec = recs[CHANGED_POSITIVE]
    settings = FormulaSettings()
    info: dict = {}
    _, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M+H]+"], "CHNOPSFClBrI", settings, info=info)
    assert info["halogens"] == ("F",)
    assert rows[0]["formula"] == rec.formula
    assert all("F" in parse_formula(r["formula"]) for r in rows)
    _, off = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M+H]+"], "CHNOPSFClBrI",
                      replace(settings, halogen_rule=False))
    assert off[0]["formula"] == "C25H28O4"
