"""Fragmentation graph of one molecule: the public entry point of the fragment package."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from rdkit import Chem

from specsweep.fragment import bondtypes
from specsweep.fragment.bitsets import enumerate_fragments
from specsweep.fragment.cuts import bridges_and_two_cuts
from specsweep.fragment.metabolite_graph import build_metabolite_graph
from specsweep.params.blocks import FragmentParams  # noqa: F401  (the fragmenter's settings, defined once)

CUT_SEED = 0x5EED5EED


@dataclass
class FragmentGraph:
    """Fragments of one molecule as parallel arrays; fragment 0 is the whole molecule."""

    mass: np.ndarray     # float64, neutral monoisotopic mass of the fragment's atoms + their H, Da
    parent: np.ndarray   # int32, first parent fragment (-1 for the root)
    bond: np.ndarray     # int16, bond-type code (fragment.bondtypes)
    depth: np.ndarray    # int8, number of cuts from the root
    bits: np.ndarray     # (n_fragments, n_words) uint64, metabolite-graph nodes of each fragment
    n_nodes: int
    complete: bool = True  # False if max_fragments stopped the enumeration
    atom_node: np.ndarray = field(default=None, repr=False)  # heavy atom -> metabolite node

    def __len__(self) -> int:
        return int(self.mass.shape[0])

    def atoms_of(self, i: int) -> np.ndarray:
        """Heavy-atom indices of fragment i (for drawing and checks)."""
        nodes = np.array([v for v in range(self.n_nodes) if (int(self.bits[i, v >> 6]) >> (v & 63)) & 1])
        return np.flatnonzero(np.isin(self.atom_node, nodes))


def fragment_mol(mol: Chem.Mol, params: FragmentParams = FragmentParams()) -> FragmentGraph:
    """Fragmentation graph of an RDKit molecule (one connected component, implicit H)."""
    mg = build_metabolite_graph(mol, params.bond_classes)
    edges = mg.edges.astype(np.int64)
    if mg.n_nodes > 1:
        bridges, two_cuts = bridges_and_two_cuts(mg.n_nodes, edges, CUT_SEED)
    else:
        bridges, two_cuts = np.zeros(0, np.int64), np.zeros((0, 2), np.int64)
    bits, parent, code, depth, mass, complete = enumerate_fragments(
        mg.n_nodes, edges, mg.edge_class, mg.node_mass, bridges, two_cuts,
        params.max_bridges, params.max_two_cuts, params.cc_in_two_cut, bondtypes.CC,
        params.max_fragments)
    return FragmentGraph(mass, parent, code, depth, bits, mg.n_nodes, bool(complete), mg.atom_node)


def fragment_smiles(smiles: str, params: FragmentParams = FragmentParams()) -> FragmentGraph:
    """Fragmentation graph of a SMILES string; ValueError if it does not parse."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"unparsable SMILES: {smiles!r}")
    return fragment_mol(mol, params)
