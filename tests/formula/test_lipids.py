"""The glycerophospholipid rule of the formula stage, on MassBank [M-H]- records of negative dev_full
(RIKEN lipid records; none of them a dev_500 compound) and on the file's other spectra."""

from dataclasses import replace

import numpy as np
import pytest

from specsweep.chem.formulas import format_formula, parse_formula
from specsweep.chem.masses import PROTON
from specsweep.formula.identify import FormulaSettings, identify
from specsweep.formula.lipids import HEAD_GROUPS, Chain, _combine, call_lipid
from specsweep.spectra.mgf_reader import read_mgf

# title -> what the record is (MassBank NAME): diacyl with both anions, one anion 15 ppm off, an
# oxidised chain, an ether lipid whose sn-1 chain leaves no anion
LIPIDS = {
    "MSBNK-RIKEN_IMS-LQB00302": "PI 37:4",
    "MSBNK-RIKEN_IMS-LQB00174": "PE 34:0",
    "MSBNK-RIKEN_IMS-LQA00229": "PE(18:0/10-HDoHE)",
    "MSBNK-RIKEN_IMS-LQA00192": "PE(16:0e/10-HDoHE)",
}


@pytest.fixture(scope="module")
def negative_records(shared_data):
    return list(read_mgf(shared_data / "spectra" / "massbank_hr_neg_MmH_dev_full.mgf.gz"))


def test_formula_of_a_diacyl_lipid_is_head_group_plus_acids_minus_waters():
    # PE 16:0/18:1 (POPE) is C39H76NO8P; PI 18:0/20:4 is C47H83O13P
    pe = _combine(HEAD_GROUPS["PE"], Chain(16, 0).acid, Chain(18, 1).acid, waters=2)
    pi = _combine(HEAD_GROUPS["PI"], Chain(18, 0).acid, Chain(20, 4).acid, waters=2)
    assert format_formula(pe) == "C39H76NO8P"
    assert format_formula(pi) == "C47H83O13P"
    assert Chain(16, 0).anion_mz == pytest.approx(255.2330, abs=1e-4)   # palmitate


def test_rule_reads_the_true_formula_of_lipid_records(negative_records):
    by_title = {r.title: r for r in negative_records if r.title in LIPIDS}
    assert set(by_title) == set(LIPIDS)
    for title, rec in by_title.items():
        neutral = rec.precursor_mz + PROTON
        call = call_lipid(neutral, rec.mz, 10e-6 * neutral)
        assert call is not None, title
        assert call.formula == parse_formula(rec.formula), (title, call.name)


def test_rule_stays_silent_on_spectra_that_are_not_glycerophospholipids(negative_records):
    others = [r for r in negative_records
              if "P" not in parse_formula(r.formula, known_elements=False)][:1500]
    assert len(others) == 1500
    fired = [r.title for r in others
             if call_lipid(r.precursor_mz + PROTON, r.mz, 10e-6 * (r.precursor_mz + PROTON))]
    assert fired == []


def test_stage_reports_the_lipid_formula_alone_and_can_be_told_not_to(negative_records):
    rec = next(r for r in negative_records if r.title == "MSBNK-RIKEN_IMS-LQB00302")
    settings = FormulaSettings(ranker=None)
    status, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M-H]-"], "CHNOPSFClBrI", settings)
    assert status == "ok"
    assert [(r["formula"], r["method"]) for r in rows] == [("C46H81O13P", "lipid")]
    assert '"name": "PI 17:0_20:4"' in rows[0]["tree_json"]
    # off: the spectrum is decomposed like any other (many candidates, none marked as the rule's)
    status, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M-H]-"], "CHNOPSFClBrI",
                            replace(settings, lipid_rule=False, preselect_by_root=50, preselect_by_bound=20))
    assert len(rows) == 10 and all(r["method"] != "lipid" for r in rows)
    # an alphabet that bounds phosphorus below what the call needs, or lacks it, gets no call
    for alphabet in ("CHNOP[0]SFClBrI", "CHNOSFClBrI"):
        _, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M-H]-"], alphabet,
                           replace(settings, preselect_by_root=50, preselect_by_bound=20))
        assert all(r["method"] != "lipid" for r in rows)
    # a positive ion of the same masses is never read as a lipid
    status, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M+H]+"], "CHNOPSFClBrI",
                            replace(settings, preselect_by_root=50, preselect_by_bound=20))
    assert all(r["method"] != "lipid" for r in rows)


def test_rule_needs_the_precursor_to_agree(negative_records):
    rec = next(r for r in negative_records if r.title == "MSBNK-RIKEN_IMS-LQB00302")
    shifted = rec.precursor_mz + 14.01565   # one CH2 more than the chains explain
    neutral = shifted + PROTON
    call = call_lipid(neutral, np.asarray(rec.mz), 10e-6 * neutral)
    assert call is None or call.formula != parse_formula(rec.formula)
