"""Formula-constrained decoding rules, checked by teacher-forcing real structures through them."""

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import rdMolDescriptors

from specsweep.translate.constraints import (TokenTable, first_refused, formula_counts, token_capacity,
                                             token_element)
from specsweep.translate.dataset import canonical_no_stereo
from specsweep.translate.tokenizer import EOS, SmilesTokenizer, pad_token_rows


def test_tokens_know_their_atoms_and_valences():
    assert [token_element(t) for t in ("c", "Cl", "[nH]", "[13CH3]", "[O-]", "[H]", "=", "1", "(")] == \
        ["C", "Cl", "N", "C", "O", None, None, None, None]
    assert token_capacity("C") == 4 and token_capacity("O") == 2 and token_capacity("Br") == 1
    assert token_capacity("[N+]") == 4 and token_capacity("[NH3+]") == 1 and token_capacity("[O-]") == 1
    assert token_capacity("[nH]") == 2 and token_capacity("[B-]") == 4 and token_capacity("=") == 0
    assert formula_counts("C5H11AsO2") == {"C": 5, "H": 11, "As": 1, "O": 2}
    assert formula_counts("C5H1x") is None and formula_counts("") is None


@pytest.fixture(scope="module")
def real_structures(demo_molecules):
    lines = demo_molecules.read_text().splitlines()
    col = lines[0].split("\t").index("smiles")
    smiles = [c[0] for c in (canonical_no_stereo(line.split("\t")[col]) for line in lines[1:]) if c]
    tok = SmilesTokenizer.build(smiles)
    kept, formulas = [], []
    for s in smiles:
        f = formula_counts(rdMolDescriptors.CalcMolFormula(Chem.MolFromSmiles(s)))
        if f is not None and len(tok.encode(s)) <= 128:  # charged structures have no neutral formula
            kept.append(s)
            formulas.append(f)
    rows = pad_token_rows([tok.encode(s)[1:] for s in kept], 128)
    return tok, TokenTable(tok.vocab), kept, formulas, rows


def test_every_real_structure_is_allowed_with_its_own_formula(real_structures):
    _, table, kept, formulas, rows = real_structures
    assert len(kept) > 200
    refused = first_refused(table, rows, table.targets(formulas))
    assert (refused == -1).all(), [kept[i] for i in np.flatnonzero(refused >= 0)[:5]]


def test_wrong_heavy_atom_counts_are_refused(real_structures):
    _, table, kept, formulas, rows = real_structures
    eos_at = (rows == EOS).argmax(axis=1)
    one_more = [dict(f, C=f["C"] + 1) for f in formulas]
    # one carbon too few: refused at the molecule's last carbon at the latest
    one_less = [dict(f, C=f["C"] - 1) for f in formulas]
    more = first_refused(table, rows, table.targets(one_more))
    less = first_refused(table, rows, table.targets(one_less))
    assert (more == eos_at).all()  # everything written is allowed, but it may not stop one carbon short
    assert ((less >= 0) & (less < eos_at)).all()
    # two hydrogens more (one ring or double bond fewer): the atoms fit, the end does not
    two_h = [dict(f, H=f.get("H", 0) + 2) for f in formulas]
    assert (first_refused(table, rows, table.targets(two_h)) == eos_at).all()
    assert (first_refused(table, rows, table.targets(two_h), hydrogens=False) == -1).all()


def test_hydrogens_follow_smiles_valence_rules():
    from specsweep.translate.constraints import token_hydrogens
    assert [token_hydrogens("C", b) for b in (1, 2, 3, 4)] == [3, 2, 1, 0]
    assert [token_hydrogens("c", b) for b in (2, 3, 4)] == [1, 0, 0]   # c(=O) in a ring: 2 + 2 bonds
    assert token_hydrogens("n", 2) == 0 and token_hydrogens("[nH]", 2) == 1 and token_hydrogens("[NH3+]", 1) == 3
    assert token_hydrogens("S", 2) == 0 and token_hydrogens("S", 3) == 1 and token_hydrogens("P", 4) == 1
    assert token_hydrogens("[H]", 1) == 1 and token_hydrogens("O", 1) == 1 and token_hydrogens("Cl", 1) == 0


def test_rows_without_formula_keep_only_grammar(real_structures):
    _, table, kept, formulas, rows = real_structures
    free = table.targets([None] * len(kept))
    assert (free == -1).all()
    assert (first_refused(table, rows, free) == -1).all()
    # an unclosed ring or branch may not end, even without a formula
    tok = real_structures[0]
    broken = pad_token_rows([tok.encode("CC1CCC")[1:], tok.encode("CC(C")[1:], tok.encode("C=")[1:]], 16)
    assert (first_refused(table, broken, table.targets([None] * 3)) >= 0).all()
