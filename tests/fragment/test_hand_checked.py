"""Fragmentation of three molecules checked by hand: an aromatic drug, a sugar, a peptide.

Expected fragment masses are written as formulas (atoms with the hydrogens they carry in the
intact molecule) and converted with specsweep.chem.formulas, independently of the graph code.
"""

import numpy as np
import pytest

from specsweep.chem.formulas import formula_mass, parse_formula
from specsweep.chem.masses import HYDROGEN, PROTON
from specsweep.fragment.bondtypes import bond_name
from specsweep.fragment.graph import FragmentParams, fragment_smiles
from specsweep.fragment.ions import fragment_mz


def mass(formula):
    return formula_mass(parse_formula(formula))


def depth_one(fg):
    return sorted((round(float(m), 4), bond_name(int(b))) for m, b, d in zip(fg.mass, fg.bond, fg.depth) if d == 1)


def test_aspirin_bridges_only():
    # CH3-C(=O)-O-c1ccccc1-C(=O)-OH. Cuttable: CH3-C (CC), C(O)-O (OC), O-ring (OC), ring-COOH (CC),
    # C-OH (OC) and the three Kekulé single bonds of the ring (CC), which only form C-C 2-cuts: not cut.
    fg = fragment_smiles("CC(=O)Oc1ccccc1C(=O)O")
    assert fg.n_nodes == 8
    assert fg.mass[0] == pytest.approx(mass("C9H8O4"))
    expected = sorted([
        (round(mass("CH3"), 4), "CC"), (round(mass("C8H5O4"), 4), "CC"),       # methyl | rest
        (round(mass("C2H3O"), 4), "OC"), (round(mass("C7H5O3"), 4), "OC"),     # acetyl | salicylate
        (round(mass("C2H3O2"), 4), "OC"), (round(mass("C7H5O2"), 4), "OC"),    # acetoxy | carboxyphenyl
        (round(mass("C8H7O2"), 4), "CC"), (round(mass("CHO2"), 4), "CC"),      # acetoxyphenyl | COOH
        (round(mass("C9H7O3"), 4), "OC"), (round(mass("HO"), 4), "OC"),        # acylium side | OH
    ])
    assert depth_one(fg) == expected
    # complementary pieces add up to the molecule
    ones = np.sort(fg.mass[fg.depth == 1])
    np.testing.assert_allclose(ones + ones[::-1], fg.mass[0])
    assert len(fg) == 21 and fg.depth.max() == 2   # no 2-cut is allowed, so depth stops at two bridges


def test_glucose_hydroxyls_and_ring_oxygen():
    # All bonds are single C-C or C-O: every heavy atom is its own node. Bridges: five C-OH and the
    # exocyclic C5-C6. Ring 2-cuts: only {C5-O5, O5-C1} has no C-C bond.
    fg = fragment_smiles("OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O")
    assert fg.n_nodes == 12
    d1 = depth_one(fg)
    assert len(d1) == 2 * (6 + 1)
    assert d1.count((round(mass("HO"), 4), "OC")) == 5           # hydroxyl radicals
    assert d1.count((round(mass("C6H11O5"), 4), "OC")) == 5      # M - OH
    assert (round(mass("CH3O"), 4), "CC") in d1                   # CH2OH
    assert (round(mass("O"), 4), "OC_OC") in d1                  # ring oxygen by the 2-cut
    assert (round(mass("C6H12O5"), 4), "OC_OC") in d1
    # with the 2-cut disallowed the ring oxygen cannot leave
    no_cut = fragment_smiles("OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O", FragmentParams(max_two_cuts=0))
    assert (round(mass("O"), 4), "OC_OC") not in depth_one(no_cut)
    assert len(no_cut) < len(fg)


def test_tripeptide_b_and_y_ions():
    # Ala-Gly-Phe. Cutting the Gly-Phe amide N-C bond gives b2 (acylium, one H less than the
    # atoms carry: shift -1) and y1 (protonated Phe, one H more: shift +1).
    fg = fragment_smiles("CC(N)C(=O)NCC(=O)NC(Cc1ccccc1)C(=O)O")
    b2_atoms, y1_atoms = mass("C5H9N2O2"), mass("C9H10NO2")
    assert b2_atoms + y1_atoms == pytest.approx(fg.mass[0])
    i_b2 = int(np.argmin(np.abs(fg.mass - b2_atoms)))
    i_y1 = int(np.argmin(np.abs(fg.mass - y1_atoms)))
    assert fg.mass[i_b2] == pytest.approx(b2_atoms) and fg.depth[i_b2] == 1 and bond_name(int(fg.bond[i_b2])) == "NC"
    assert fg.mass[i_y1] == pytest.approx(y1_atoms) and fg.depth[i_y1] == 1 and bond_name(int(fg.bond[i_y1])) == "NC"
    mz, idx = fragment_mz(fg.mass, charge=1, h_shifts=(-1, 0, 1))
    b2_mz = 71.03711 + 57.02146 + PROTON            # residue masses of Ala and Gly + proton
    y1_mz = 147.06841 + mass("H2O") + PROTON          # Phe residue + water + proton
    assert np.min(np.abs(mz[idx == i_b2] - b2_mz)) < 2e-4
    assert np.min(np.abs(mz[idx == i_y1] - y1_mz)) < 2e-4
    # b1-like and y2-like pieces from the Ala-Gly amide
    assert np.min(np.abs(fg.mass - mass("C3H6NO"))) < 1e-6
    assert np.min(np.abs(fg.mass - mass("C11H13N2O3"))) < 1e-6
    # fragments of depth two exist and every parent is heavier than its child
    assert (fg.depth == 2).any()
    kids = np.flatnonzero(fg.parent >= 0)
    assert (fg.mass[kids] < fg.mass[fg.parent[kids]]).all()


def test_h_shift_ion_formula():
    m = np.array([100.0])
    mz, idx = fragment_mz(m, charge=2, h_shifts=(0, 1))
    np.testing.assert_allclose(mz, [(100 + 2 * PROTON) / 2, (100 + HYDROGEN + 2 * PROTON) / 2])
    assert idx.tolist() == [0, 0]


def test_element_without_mass_is_a_value_error():
    with pytest.raises(ValueError, match="As"):
        fragment_smiles("C[As](C)C")
