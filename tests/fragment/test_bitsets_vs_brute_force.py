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


MAX_EDGES = 30  # the recursive networkx reference is slow on large graphs; keep CI time bounded


def _sample_molecules(shared_data, n, seed, max_edges=MAX_EDGES):
    """n random natural products (seeded) among those whose metabolite graph has <= max_edges edges."""
    with gzip.open(shared_data / "molecules" / "natural_products.tsv.gz", "rt") as fh:
        next(fh)
        rows = [line.split("\t")[1] for line in fh]
    rng = random.Random(seed)
    picked = []
    for smi in rng.sample(rows, len(rows)):
        mol = Chem.MolFromSmiles(smi)
        mg = build_metabolite_graph(mol)
        if mg.edges.shape[0] <= max_edges:
            picked.append((mol, mg))
            if len(picked) == n:
                return picked
    raise AssertionError("not enough molecules")


# the wider budget makes thousands of fragments per molecule, so it samples smaller graphs
@pytest.mark.parametrize("params,n,max_edges", [(FragmentParams(), 60, MAX_EDGES),
                                                (FragmentParams(max_bridges=3, max_two_cuts=1,
                                                                cc_in_two_cut=True), 10, 20)],
                         ids=["default_60", "3b1c_cc_10"])
def test_same_fragment_sets_on_random_natural_products(shared_data, params, n, max_edges):
    sizes = []
    for mol, mg in _sample_molecules(shared_data, n, seed=2026, max_edges=max_edges):
        fg = fragment_mol(mol, params)
        assert fg.complete
        expected = brute_force_fragments(mg.n_nodes, mg.edges, mg.edge_class, params.max_bridges,
                                         params.max_two_cuts, params.cc_in_two_cut)
        assert _bitset_fragments(fg) == expected, Chem.MolToSmiles(mol)
        # masses are node-mass sums
        for i in range(len(fg)):
            nodes = [v for v in range(fg.n_nodes) if (int(fg.bits[i, v >> 6]) >> (v & 63)) & 1]
            assert fg.mass[i] == pytest.approx(mg.node_mass[nodes].sum(), abs=1e-9)
        sizes.append(len(fg))
    assert max(sizes) > 100  # the sample is not trivially small


def test_more_than_64_nodes(shared_data):
    """Molecules whose metabolite graph has more than 64 nodes use several words per bitset."""
    with gzip.open(shared_data / "molecules" / "natural_products.tsv.gz", "rt") as fh:
        next(fh)
        big = None
        for line in fh:
            smi = line.split("\t")[1]
            mol = Chem.MolFromSmiles(smi)
            if mol.GetNumAtoms() > 70:
                mg = build_metabolite_graph(mol)
                if mg.n_nodes > 64 and mg.edges.shape[0] <= mg.n_nodes + 1:  # nearly a tree: quick reference
                    big = (mol, mg)
                    break
    assert big is not None
    mol, mg = big
    fg = fragment_mol(mol)
    assert fg.bits.shape[1] == (mg.n_nodes + 63) // 64 >= 2
    expected = brute_force_fragments(mg.n_nodes, mg.edges, mg.edge_class)
    assert _bitset_fragments(fg) == expected
    np.testing.assert_allclose(fg.mass[0], mg.node_mass.sum())
