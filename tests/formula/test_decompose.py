"""Mass decomposition against nested-loop enumeration, on real compound masses."""

import numpy as np
import pytest

from specsweep.chem.formulas import formula_mass, parse_formula
from specsweep.formula.alphabet import Alphabet
from specsweep.formula.decompose import Decomposer, brute_force_decompose, build_residue_table
from specsweep.formula.rules import RuleSettings, decomposition_rules, plausible_mask


@pytest.mark.parametrize("alphabet_text, formula, ppm", [
    ("CHNOPS", "C9H11NO4", 10.0),        # DOPA, 197.07 Da
    ("CHNOPS", "C18H21NO3", 5.0),        # codeine, 299.15 Da
    ("CHNOP[2]SCl", "C8H8ClNO2", 10.0),  # a chlorinated pesticide metabolite, with a bound on P
    ("CHNOSBr", "C11H11BrN2O", 5.0),
])
def test_matches_brute_force(alphabet_text, formula, ppm):
    alphabet = Alphabet.parse(alphabet_text)
    mass = formula_mass(parse_formula(formula))
    lo, hi = mass * (1 - ppm * 1e-6), mass * (1 + ppm * 1e-6)
    fast = Decomposer(alphabet).decompose(lo, hi)
    slow = brute_force_decompose(alphabet, lo, hi)
    assert fast.shape[0] > 1
    np.testing.assert_array_equal(fast, slow)
    assert any(np.array_equal(row, alphabet.to_array(parse_formula(formula))) for row in fast)
    masses = alphabet.mass(fast)
    assert np.all((masses >= lo) & (masses <= hi))


def test_rdbe_filter_and_bounds():
    alphabet = Alphabet.parse("CHNOP[1]S[0]")
    mass = formula_mass(parse_formula("C9H11NO4"))
    rows = Decomposer(alphabet).decompose(mass - 0.01, mass + 0.01, min_rdbe=0.0)
    assert rows.shape[0] > 0
    assert np.all(alphabet.doubled_rdbe(rows) >= 0)
    assert np.all(rows[:, alphabet.index("P")] <= 1) and np.all(rows[:, alphabet.index("S")] == 0)
    every = Decomposer(alphabet).decompose(mass - 0.01, mass + 0.01)
    assert every.shape[0] > rows.shape[0]  # the filter removed something


def test_residue_table_smallest_representable():
    # masses 3, 5, 7: residue table column 2 holds the smallest sum with each residue mod 3
    table = build_residue_table(np.array([3, 5, 7], dtype=np.int64))
    assert table[:, 2].tolist() == [0, 7, 5]
    assert table[:, 1].tolist() == [0, 10, 5]


def test_step_budget_is_a_deterministic_subset():
    # a 700 Da mass over the fixed alphabet has ~10^5 decompositions within 10 ppm
    alphabet = Alphabet.parse("CHNOPSFClBrI")
    dec = Decomposer(alphabet)
    mass = formula_mass(parse_formula("C41H72NO9P"))  # a phospholipid, 753.49 Da
    lo, hi = mass * (1 - 1e-5), mass * (1 + 1e-5)
    full, cut = dec.decompose_within(lo, hi, min_rdbe=0.0)
    assert not cut and np.array_equal(full, dec.decompose(lo, hi, min_rdbe=0.0))
    part, cut = dec.decompose_within(lo, hi, min_rdbe=0.0, max_steps=2_000_000)
    assert cut and 0 < part.shape[0] < full.shape[0]
    keys = {tuple(r) for r in full}
    assert all(tuple(r) in keys for r in part)
    # the cut is a count: the same call gives the same formulas
    again, cut2 = dec.decompose_within(lo, hi, min_rdbe=0.0, max_steps=2_000_000)
    assert cut2 and np.array_equal(part, again)
    masses = alphabet.mass(part)
    assert np.all((masses >= lo) & (masses <= hi))


@pytest.mark.parametrize("formula, adduct, rules", [
    ("C41H78NO8P", "[M-H]-", RuleSettings()),                       # a phosphatidylethanolamine, 743.55 Da
    ("C8HF15O2", "[M-H]-", RuleSettings()),                         # PFOA: halogens count with hydrogen
    ("C9H22O4P2S4", "[M+H]+", RuleSettings()),                      # ethion: the P, S, N combination rules
    ("C18H21NO3", "[M]+", RuleSettings(ratio_range="common")),      # codeine, radical ion allowed
    ("C12H9Cl2NO3", "[M+H]+", RuleSettings(element_ratios=False)),  # RDBE only
    ("C11H15BrClO3PS", "[M+H]+", RuleSettings()),                   # profenofos: four rare elements
    ("C9H22O4P2S4", "[M+H]+", RuleSettings(max_rare_elements=2)),   # ethion under a tighter bound
])
def test_rules_inside_the_decomposition_keep_the_same_formulas(formula, adduct, rules):
    alphabet = Alphabet.parse("CHNOPSFClBrI")
    mass = formula_mass(parse_formula(formula))
    lo, hi = mass * (1 - 5e-6), mass * (1 + 5e-6)
    d = Decomposer(alphabet)
    every = d.decompose(lo, hi, min_rdbe=-0.5)
    steps_every = d.last_steps
    kept = every[plausible_mask(every, alphabet, adduct, rules)]
    ruled, cut = d.decompose_within(lo, hi, min_rdbe=-0.5, rules=decomposition_rules(alphabet, adduct, rules))
    assert not cut and kept.shape[0] < every.shape[0]
    np.testing.assert_array_equal(ruled, kept)
    assert any(np.array_equal(row, alphabet.to_array(parse_formula(formula))) for row in ruled)
    assert d.last_steps < steps_every  # partial formulas that cannot pass were not extended
