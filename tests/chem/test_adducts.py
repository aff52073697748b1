"""The adduct table: masses from compositions against hand-computed values, and name spellings."""

import pytest

from specsweep.chem.adducts import ADDUCTS, ALIASES, default_adducts, get_adduct, resolve_adduct

CAFFEINE = 194.080375722  # C8H10N4O2 monoisotopic, Da

# m/z of caffeine under each adduct, computed by hand from AME 2020 masses (Da):
# H 1.00782503207, C 12, N 14.0030740048, O 15.99491461956, Na 22.9897692809,
# K 38.96370668, Cl 34.96885268, electron 0.000548579909; a proton is H - e (the 13.6 eV
# binding energy, 1.5e-8 Da, is below any instrument's precision)
PROTON_HE = 1.00782503207 - 0.000548579909
HAND = {
    "[M+H]+": CAFFEINE + PROTON_HE,                                     # 195.087652
    "[M+Na]+": CAFFEINE + 22.9897692809 - 0.000548579909,                    # 217.069596
    "[M+K]+": CAFFEINE + 38.96370668 - 0.000548579909,                       # 233.043534
    "[M+NH4]+": CAFFEINE + 14.0030740048 + 4 * 1.00782503207 - 0.000548579909,
    "[M+H-H2O]+": CAFFEINE - 1.00782503207 - 15.99491461956 - 0.000548579909,
    "[M+2H]2+": (CAFFEINE + 2 * PROTON_HE) / 2,
    "[M-H]-": CAFFEINE - PROTON_HE,                                     # 193.073099
    "[M+Cl]-": CAFFEINE + 34.96885268 + 0.000548579909,
    "[M+FA-H]-": CAFFEINE + 12 + 1.00782503207 + 2 * 15.99491461956 + 0.000548579909,
    "[M+Hac-H]-": CAFFEINE + 24 + 3 * 1.00782503207 + 2 * 15.99491461956 + 0.000548579909,
    "[M-2H]2-": (CAFFEINE - 2 * PROTON_HE) / 2,
    "[M]+": CAFFEINE - 0.000548579909,
    "[2M+H]+": 2 * CAFFEINE + PROTON_HE,
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_mz_from_composition_matches_hand_values(name):
    a = get_adduct(name)
    assert a.mz(CAFFEINE) == pytest.approx(HAND[name], abs=1e-9)
    assert a.neutral_mass(HAND[name]) == pytest.approx(CAFFEINE, abs=1e-9)


def test_literature_values_and_charges():
    # caffeine [M+H]+ 195.0877 and [M+Na]+ 217.0696 as listed by spectral libraries
    assert round(get_adduct("[M+H]+").mz(CAFFEINE), 4) == 195.0877
    assert round(get_adduct("[M+Na]+").mz(CAFFEINE), 4) == 217.0696
    assert get_adduct("[M-2H]2-").charge == -2 and get_adduct("[2M-H]-").n_mol == 2
    # the formula stage's root vertex: neutral equivalent of the ion
    assert get_adduct("[M+Na]+").ion_formula_delta() == {"Na": 1, "H": -1}
    assert get_adduct("[M+Cl]-").ion_formula_delta() == {"Cl": 1, "H": 1}
    assert get_adduct("[M+FA-H]-").ion_formula_delta() == {"C": 1, "H": 2, "O": 2}
    assert get_adduct("[M+H-H2O]+").ion_formula_delta() == {"H": -2, "O": -1}
    assert get_adduct("[M-H]-").ion_formula_delta() == {}


def test_every_alias_resolves_to_its_entry():
    for spelling, name in ALIASES.items():
        assert resolve_adduct(spelling) is ADDUCTS[name], spelling
    # spellings reached by the composition rule alone
    assert resolve_adduct("[M+HCOOH-H]-") is ADDUCTS["[M+FA-H]-"]
    assert resolve_adduct("[M+CH3COOH-H]-") is ADDUCTS["[M+Hac-H]-"]
    assert resolve_adduct(" [M+H]+ ") is ADDUCTS["[M+H]+"]


@pytest.mark.parametrize("name", ["[MCl37+H]", "[M+H]-", "[M+Li]+", "M+X", "", "[M+H]2+", "[M+2H]+",
                                  "Cat", "[M+Hac-H]+"])
def test_unknown_names_are_not_guessed(name):
    assert resolve_adduct(name) is None
    with pytest.raises(ValueError, match="unknown adduct"):
        get_adduct(name)


def test_default_sets_have_the_ion_mode_sign():
    assert all(a.charge > 0 for a in default_adducts("positive"))
    assert all(a.charge < 0 for a in default_adducts("negative"))
