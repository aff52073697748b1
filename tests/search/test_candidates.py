"""Precursor windows: which adducts are tried, and which database rows fall inside."""

import numpy as np
import pytest

from specsweep.chem.adducts import get_adduct
from specsweep.params.options import Tolerance
from specsweep.search.candidates import AdductChoice, expand_pairs, precursor_windows

CAFFEINE = 194.080376  # C8H10N4O2, Da
MASSES = np.array([CAFFEINE - 0.03, CAFFEINE - 0.01, CAFFEINE, CAFFEINE + 0.015, 200.0])


def test_windows_find_rows_by_adduct_and_tolerance():
    na = get_adduct("[M+Na]+").mz(CAFFEINE)
    h = get_adduct("[M+H]+").mz(CAFFEINE)
    w = precursor_windows([na, h], [1, 1], ["positive", "positive"], [None, "[M+H]+"],
                          AdductChoice(), Tolerance(0.02, "Da"))
    # charge 1 positive: the singly charged default adducts, not [M+2H]2+; and [M]+, which only
    # permanent cations take (tests/chem/test_isotopes_and_charges.py)
    # [M+H-H2O]+ only when named (docs/adducts.md, "Default sets")
    assert sorted(set(w.names)) == ["[M+H]+", "[M+K]+", "[M+NH4]+", "[M+Na]+", "[M]+"]
    win, rows = expand_pairs(w, MASSES)
    found = {(int(w.spec[i]), w.names[w.adduct[i]], int(r)) for i, r in zip(win, rows)}
    # within 0.02 Th of m/z: masses -0.01, 0, +0.015 match; -0.03 does not
    assert found == {(0, "[M+Na]+", 1), (0, "[M+Na]+", 2), (0, "[M+Na]+", 3),
                     (1, "[M+H]+", 1), (1, "[M+H]+", 2), (1, "[M+H]+", 3)}


def test_file_adduct_ppm_and_unknown_charge():
    mz2 = get_adduct("[M+2H]2+").mz(CAFFEINE)
    # unknown charge: the doubly charged adduct is tried too; 5 ppm of m/z 98 is 0.5 mDa
    w = precursor_windows([mz2], [0], ["positive"], [None], AdductChoice(), Tolerance(5.0, "ppm"))
    win, rows = expand_pairs(w, MASSES)
    assert [w.names[w.adduct[i]] for i in win] == ["[M+2H]2+"] and rows.tolist() == [2]
    assert w.charge[win[0]] == 2
    # from_file: only the adduct the spectrum names
    w = precursor_windows([mz2], [2], ["positive"], ["[M+2H]2+"], AdductChoice(from_file=True))
    assert w.names == ["[M+2H]2+"] and len(w) == 1
    # negative mode gets negative adducts only
    w = precursor_windows([193.07], [-1], ["negative"], [None], AdductChoice())
    assert all(a.charge < 0 for a in w.adducts) and "[M-H]-" in w.names


def test_file_adduct_spellings_and_unknown_names():
    choice = AdductChoice(from_file=True)
    # an alias reaches the table entry; an unknown name gives no window, not the default set
    w = precursor_windows([253.0], [-1], ["negative"], ["[M+CH3COO]-"], choice)
    assert w.names == ["[M+Hac-H]-"]
    w = precursor_windows([253.0, 253.0], [1, -1], ["positive", "negative"], ["[MCl37+H]", "[M+Ac-H]-"],
                          choice)
    assert w.names == ["[M+Hac-H]-"] and w.spec.tolist() == [1]


def test_priors_weigh_a_tried_set_but_not_a_named_adduct():
    from math import log
    from specsweep.chem.adducts import ADDUCT_PRIOR
    na = get_adduct("[M+Na]+").mz(CAFFEINE)
    w = precursor_windows([na, na], [1, 1], ["positive", "positive"], [None, "[M+Na]+"],
                          AdductChoice(from_file=True))
    prior = {(int(s), w.names[a]): p for s, a, p in zip(w.spec, w.adduct, w.prior)}
    assert prior[(0, "[M+H]+")] == 0.0   # the most likely adduct of the mode scores as if named
    assert prior[(0, "[M+Na]+")] == pytest.approx(log(ADDUCT_PRIOR["[M+Na]+"] / ADDUCT_PRIOR["[M+H]+"]))
    assert prior[(1, "[M+Na]+")] == 0.0  # named by the file: no prior
    equal = precursor_windows([na], [1], ["positive"], [None], AdductChoice(priors=False))
    assert not equal.prior.any()
