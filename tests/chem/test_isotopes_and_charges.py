"""prepare-db keeps isotope-labelled structures apart from the unlabelled one and stores a
permanent cation with the mass of its atoms; the search tries a permanent cation as [M]+ only."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specsweep.chem.adducts import get_adduct
from specsweep.chem.masses import ELECTRON
from specsweep.cli import main
from specsweep.files import read_table
from specsweep.fragment.graph import fragment_smiles
from specsweep.params.options import Tolerance
from specsweep.schema import ID_MAP, MOLECULES, REJECTS
from specsweep.search.candidates import AdductChoice, expand_pairs, precursor_windows

ROWS = [
    ("acetic_13c", "[13CH3]C(=O)O"),        # labelled first: must not represent acetic acid
    ("acetic", "CC(=O)O"),
    ("acetic_d3", "[2H]C([2H])([2H])C(=O)O"),
    ("acetate_na", "CC(=O)[O-].[Na+]"),      # unlabelled salt: merges with acetic acid
    ("chlorobenzene_37", "[37Cl]c1ccccc1"),
    ("chlorobenzene", "Clc1ccccc1"),
    ("tetramethylammonium", "C[N+](C)(C)C"),
    ("choline_chloride", "C[N+](C)(C)CCO.[Cl-]"),
    ("betaine", "C[N+](C)(C)CC(=O)[O-]"),  # zwitterion: net charge 0, an ordinary molecule
    ("hexamethonium", "C[N+](C)(C)CCCCCC[N+](C)(C)C"),   # dication: no ion modelled
]
# monoisotopic masses of the atoms (Da): 12C 12, 13C 13.00335484, 1H 1.00782503, 2H 2.01410178,
# 16O 15.99491462, 14N 14.00307401, 35Cl 34.96885268, 37Cl 36.96590259
ACETIC = 2 * 12 + 4 * 1.00782503207 + 2 * 15.99491461956
TMA = 4 * 12 + 12 * 1.00782503207 + 14.0030740048        # C4H12N as neutral atoms


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("iso")
    src = tmp / "mols.tsv"
    src.write_text("id\tsmiles\n" + "".join(f"{i}\t{s}\n" for i, s in ROWS))
    out = tmp / "molecules.parquet"
    assert main(["prepare-db", "--input", str(src), "--output", str(out)]) == 0
    mols = {m["mol_id"]: m for m in read_table(out, MOLECULES).to_pylist()}
    idmap = {r["input_id"]: r["mol_id"] for r in read_table(tmp / "molecules.idmap.parquet", ID_MAP).to_pylist()}
    rejects = read_table(tmp / "molecules.rejects.parquet", REJECTS).to_pylist()
    summary = json.loads((tmp / "molecules.summary.json").read_text())
    return mols, idmap, rejects, summary


def test_isotope_labels_are_kept_apart(prepared):
    mols, idmap, _, summary = prepared
    assert mols["acetic"]["smiles"] == "CC(=O)O"
    assert mols["acetic"]["exact_mass"] == pytest.approx(ACETIC, abs=1e-6)
    assert mols["acetic_13c"]["exact_mass"] == pytest.approx(ACETIC - 12 + 13.00335484, abs=1e-6)
    assert mols["acetic_d3"]["exact_mass"] == pytest.approx(ACETIC + 3 * (2.01410178 - 1.00782503), abs=1e-6)
    assert mols["chlorobenzene"]["exact_mass"] == pytest.approx(112.0079780, abs=1e-6)
    assert mols["chlorobenzene_37"]["exact_mass"] - mols["chlorobenzene"]["exact_mass"] == pytest.approx(
        1.99704991, abs=1e-6)
    # same first InChIKey block (so annotations still match by it), different molecules
    assert mols["acetic_13c"]["inchikey14"] == mols["acetic"]["inchikey14"]
    assert idmap["acetate_na"] == "acetic"           # the unlabelled salt merges with the unlabelled acid
    assert summary["isotope_labelled_molecules"] == 3



def test_labelled_fragments_carry_the_label():
    """Fragment masses use the isotope's mass: the methyl fragment of [13CH3]C(=O)O is 13CH3."""
    plain, labelled = fragment_smiles("CC(=O)O"), fragment_smiles("[13CH3]C(=O)O")
    assert labelled.mass[0] - plain.mass[0] == pytest.approx(1.00335484, abs=1e-6)
    methyl = 12 + 3 * 1.00782503207
    assert np.isclose(plain.mass, methyl).sum() == 1
    assert np.isclose(labelled.mass, methyl + 1.00335484).sum() == 1


def test_permanent_cations_and_other_charges(prepared):
    mols, idmap, rejects, summary = prepared
    tma = mols["tetramethylammonium"]
    assert tma["formula"] == "C4H12N+" and tma["exact_mass"] == pytest.approx(TMA, abs=1e-6)
    # searched as [M]+, its m/z is the cation's own mass: the atoms less one electron
    assert get_adduct("[M]+").mz(tma["exact_mass"]) == pytest.approx(TMA - ELECTRON, abs=1e-7)
    assert mols["choline_chloride"]["formula"] == "C5H14NO+"       # counter-ion removed, cation kept
    assert mols["betaine"]["formula"] == "C5H11NO2"
    assert {r["record_id"]: r["reason"] for r in rejects} == {"hexamethonium": "unsupported_charge"}
    assert summary["permanent_cations"] == 2


def test_search_tries_a_permanent_cation_as_m_plus_only():
    tma_mz = TMA - ELECTRON
    masses = np.array([TMA - 1.00782503207, TMA])        # a neutral molecule one H lighter, the cation
    cation = np.array([False, True])
    w = precursor_windows([tma_mz], [1], ["positive"], [None], AdductChoice(), Tolerance(0.005, "Da"))
    win, rows = expand_pairs(w, masses, cation)
    pairs = {(w.names[w.adduct[i]], int(r)) for i, r in zip(win, rows)}
    # the cation as [M]+; the neutral molecule as [M+H]+ (m/z within 0.6 mDa); never [M]+ for it
    assert pairs == {("[M]+", 1), ("[M+H]+", 0)}
    # an explicit adduct list without [M]+ never reaches the cation
    w = precursor_windows([tma_mz], [1], ["positive"], [None], AdductChoice(explicit=(get_adduct("[M+H]+"),)),
                          Tolerance(0.005, "Da"))
    win, rows = expand_pairs(w, masses, cation)
    assert rows.tolist() == [0]
