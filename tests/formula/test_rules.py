"""Chemical plausibility rules for precursor candidates (even-electron rule, element ratios)."""

import numpy as np

from specsweep.chem.formulas import parse_formula
from specsweep.formula.alphabet import Alphabet
from specsweep.formula.identify import FormulaSettings, precursor_candidates
from specsweep.formula.rules import (RuleSettings, element_ratio_mask, even_electron_mask, plausible_mask,
                                     rare_element_mask)
from specsweep.spectra.mgf_reader import read_mgf

ALPHABET = Alphabet.parse("CHNOPSFClBrI")


def _rows(*formulas):
    return np.array([ALPHABET.to_array(parse_formula(f)) for f in formulas])


def test_even_electron_rule_by_ion_type():
    # caffeine (RDBE 6), its radical C8H9N4O2 (RDBE 6.5), and a negative-RDBE formula
    rows = _rows("C8H10N4O2", "C8H9N4O2", "C2H8")
    assert even_electron_mask(rows, ALPHABET, "[M+H]+").tolist() == [True, False, False]
    assert even_electron_mask(rows, ALPHABET, "[M-H]-").tolist() == [True, False, False]
    # [M]+: the ion is the molecule; choline as written (C5H14NO, RDBE -0.5) is allowed
    assert even_electron_mask(_rows("C5H14NO", "C8H10N4O2"), ALPHABET, "[M]+").tolist() == [True, True]


def test_element_ratios_extended_and_common_range():
    rows = _rows("C10H6O16", "C2H40", "C8HF15O2", "C6H12O6", "C9H22O4P2S4", "H2O", "C20N8")
    # extended range: H/C 20 and no carbon are out; PFOA (halogens count with H), ethion stay
    assert element_ratio_mask(rows, ALPHABET, "extended").tolist() == [True, False, True, True, True, False, False]
    # common range: O/C 1.6 is out as well
    assert not element_ratio_mask(rows[:1], ALPHABET, "common")[0]
    assert plausible_mask(rows, ALPHABET, "[M+H]+", RuleSettings(even_electron=False, element_ratios=False)).all()


def test_at_most_four_elements_besides_chno():
    # profenofos (Br, Cl, P, S) passes the default; the same with F as a fifth does not
    rows = _rows("C11H15BrClO3PS", "C11H14BrClFO3PS", "C8H10N4O2")
    assert rare_element_mask(rows, ALPHABET, 4).tolist() == [True, False, True]
    assert rare_element_mask(rows, ALPHABET, 3).tolist() == [False, False, True]
    assert plausible_mask(rows, ALPHABET, "[M+H]+", RuleSettings(element_ratios=False)).tolist() == \
        [True, False, True]
    assert plausible_mask(rows, ALPHABET, "[M+H]+", RuleSettings(element_ratios=False,
                                                                 max_rare_elements=None)).all()


def test_every_demo_candidate_obeys_the_rules(demo_mgf):
    settings = FormulaSettings()
    n = 0
    for rec in read_mgf(demo_mgf):
        cands = precursor_candidates(rec.precursor_mz, ["[M+H]+"], ALPHABET, settings)
        forms = np.array([c.formula for c in cands])
        assert forms.size, rec.title
        dr = ALPHABET.doubled_rdbe(forms)
        assert np.all(dr % 2 == 0) and np.all(dr >= 0), rec.title
        assert element_ratio_mask(forms, ALPHABET).all()
        assert any(ALPHABET.format(f) == rec.formula for f in forms) or rec.formula.count("As"), rec.title
        n += len(cands)
    assert n > 1000


def test_unnamed_adduct_tries_the_default_set_and_molecules_keep_the_users_alphabet(demo_mgf):
    from specsweep.formula.identify import identify
    rec = next(r for r in read_mgf(demo_mgf) if r.formula == "C15H14O6")
    status, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, None, "CHNOPS", FormulaSettings())
    assert status == "ok" and rows[0]["formula"] == "C15H14O6" and rows[0]["adduct"] == "[M+H]+"
    assert len({r["adduct"] for r in rows}) >= 2  # other adducts of the default set compete
    assert not any("Na" in r["formula"] or "K" in r["formula"] for r in rows)
    # a named sodium adduct: the molecule over CHNOPS, the root (ion) holds the sodium
    alphabet = Alphabet.parse("CHNOPSNa")
    cands = precursor_candidates(rec.precursor_mz + 21.981944, ["[M+Na]+"], alphabet, FormulaSettings(),
                                 molecule_alphabet=Alphabet.parse("CHNOPS"))
    na = alphabet.index("Na")
    assert cands and all(c.formula[na] == 0 and c.root[na] == 1 for c in cands)
    assert any(alphabet.format(c.formula) == "C15H14O6" for c in cands)
