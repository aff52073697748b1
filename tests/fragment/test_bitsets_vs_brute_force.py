"""The bitset enumeration gives exactly the fragments of plain recursive cutting."""

import gzip
import random

import numpy as np
import pytest
from rdkit import Chem

from specsweep.fragment.graph import FragmentParams, fragment_mol
from specsweep.fragment.metabolite_graph import build_metabolite_graph
from specsweep.fragment.reference import brute_force_fragments


def _bitset_fragments(fg):
    out = set()
    for i in range(len(fg)):
        nodes = frozenset(v for v in range(fg.n_nodes) if (int(fg.bits[i, v >> 6]) >> (v & 63)) & 1)
        out.add(nodes)
    return out


def _sample_molecules(shared_data, n, seed):
    with gzip.open(shared_data / "molecules" / "natural_products.tsv.gz", "rt") as fh:
        next(fh)
        rows = [line.split("\t")[1] for line in fh]
    rng = random.Random(seed)
    return rng.sample(rows, n)


@pytest.mark.parametrize("params", [FragmentParams(), FragmentParams(max_bridges=3, max_two_cuts=1, cc_in_two_cut=True)],
                         ids=["default", "3b1c_cc"])
def test_same_fragment_sets_on_200_natural_products(shared_data, params):
    smiles = _sample_molecules(shared_data, 200, seed=2026)
    checked = 0
    for smi in smiles:
        mol = Chem.MolFromSmiles(smi)
        mg = build_metabolite_graph(mol, params.bond_classes)
        if params.cc_in_two_cut and mg.edges.shape[0] > 60:
            continue  # the brute force is cubic; keep the wider setting to mid-sized graphs
        fg = fragment_mol(mol, params)
        assert fg.complete
        expected = brute_force_fragments(mg.n_nodes, mg.edges, mg.edge_class, params.max_bridges,
                                         params.max_two_cuts, params.cc_in_two_cut)
        got = _bitset_fragments(fg)
        assert got == expected, smi
        # masses are node-mass sums
        for i in range(len(fg)):
            nodes = [v for v in range(fg.n_nodes) if (int(fg.bits[i, v >> 6]) >> (v & 63)) & 1]
            assert fg.mass[i] == pytest.approx(mg.node_mass[nodes].sum(), abs=1e-9)
        checked += 1
    assert checked >= 150


def test_more_than_64_nodes(shared_data):
    """Molecules whose metabolite graph has more than 64 nodes use several words per bitset."""
    with gzip.open(shared_data / "molecules" / "natural_products.tsv.gz", "rt") as fh:
        next(fh)
        big = None
        for line in fh:
            smi = line.split("\t")[1]
            mol = Chem.MolFromSmiles(smi)
            if mol.GetNumAtoms() > 110:
                mg = build_metabolite_graph(mol)
                if mg.n_nodes > 70 and mg.edges.shape[0] < 110:
                    big = (mol, mg)
                    break
    assert big is not None
    mol, mg = big
    fg = fragment_mol(mol)
    assert fg.bits.shape[1] == (mg.n_nodes + 63) // 64 >= 2
    expected = brute_force_fragments(mg.n_nodes, mg.edges, mg.edge_class)
    assert _bitset_fragments(fg) == expected
    np.testing.assert_allclose(fg.mass[0], mg.node_mass.sum())
