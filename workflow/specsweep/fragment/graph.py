"""Fragmentation graph of one molecule: the public entry point of the fragment package."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from rdkit import Chem

from specsweep.fragment import bondtypes
from specsweep.fragment.bitsets import enumerate_fragments
from specsweep.fragment.cuts import bridges_and_two_cuts
from specsweep.fragment.metabolite_graph import DEFAULT_BOND_CLASSES, build_metabolite_graph

CUT_SEED = 0x5EED5EED


@dataclass(frozen=True)
class FragmentParams:
    """How molecules are cut. Defaults follow molDiscovery: at most 2 bridges and 1 2-cut,
    N-C/O-C/C-C single bonds, no C-C bond inside a 2-cut."""

    max_bridges: int = 2
    max_two_cuts: int = 1
    bond_classes: tuple[str, ...] = DEFAULT_BOND_CLASSES
    cc_in_two_cut: bool = False
    h_shifts: tuple[int, ...] = (-1, 0, 1)   # hydrogen shifts (in H atoms) applied to fragment ions
    max_fragments: int = 200_000           # safety cap per molecule; graphs hitting it are flagged

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FragmentParams":
        d = dict(d)
        for key in ("bond_classes", "h_shifts"):
            if key in d:
                d[key] = tuple(d[key])
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


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
