"""Metabolite graph of a molecule (molDiscovery, Cao et al. 2021, Methods).

Cuttable bonds are single bonds (in a Kekulé form, so aromatic rings expose their alternating
single bonds) between element pairs of the configured classes (default N-C, O-C, C-C). Removing
every cuttable bond splits the molecule into connected components: these are the nodes. Each
cuttable bond becomes an edge between the two components it joins (parallel edges are kept).
A node's mass is the monoisotopic mass of its atoms with their hydrogens in the intact molecule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rdkit import Chem

from specsweep.chem.masses import ELEMENT_MASS, HYDROGEN
from specsweep.fragment import bondtypes
from specsweep.params.blocks import DEFAULT_BOND_CLASSES


@dataclass(frozen=True)
class MetaboliteGraph:
    n_nodes: int
    edges: np.ndarray        # (m, 2) int32, node ids of each cuttable bond
    edge_class: np.ndarray   # (m,) int8, bond class code (bondtypes.OC, ...)
    node_mass: np.ndarray    # (n_nodes,) float64, Da
    atom_node: np.ndarray    # (n_atoms,) int32, node of each heavy atom
    edge_bond: np.ndarray    # (m,) int32, RDKit bond index of each edge


def _kekule(mol: Chem.Mol) -> Chem.Mol:
    mol = Chem.Mol(mol)
    Chem.Kekulize(mol, clearAromaticFlags=True)
    return mol


def build_metabolite_graph(mol: Chem.Mol, bond_classes=DEFAULT_BOND_CLASSES) -> MetaboliteGraph:
    """Metabolite graph of an RDKit molecule (implicit hydrogens, single component)."""
    allowed = {bondtypes.NAME_TO_CLASS[name] for name in bond_classes}
    try:
        kek = _kekule(mol)
    except Chem.KekulizeException as exc:  # rare: aromatic system RDKit cannot kekulise
        raise ValueError(f"cannot kekulise structure: {exc}") from exc
    n_atoms = kek.GetNumAtoms()
    symbols = [a.GetSymbol() for a in kek.GetAtoms()]
    unknown = sorted(set(symbols) - set(ELEMENT_MASS))
    if unknown:
        raise ValueError(f"no monoisotopic mass for element(s) {', '.join(unknown)}")
    table = Chem.GetPeriodicTable()
    atom_mass = np.array(   # an isotope label ([13CH3], [2H], [37Cl]) gives that isotope's mass
        [(table.GetMassForIsotope(s, a.GetIsotope()) if a.GetIsotope() else ELEMENT_MASS[s])
         + a.GetTotalNumHs() * HYDROGEN for s, a in zip(symbols, kek.GetAtoms())],
        dtype=np.float64)

    # Union-find over atoms joined by bonds that are not cut.
    root = np.arange(n_atoms)

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    cut_bonds = []
    single = Chem.BondType.SINGLE
    for bond in kek.GetBonds():
        a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        cls = bondtypes.bond_class(symbols[a], symbols[b])
        if bond.GetBondType() == single and cls in allowed:
            cut_bonds.append((bond.GetIdx(), a, b, cls))
        else:
            ra, rb = find(a), find(b)
            if ra != rb:
                root[max(ra, rb)] = min(ra, rb)

    roots = np.array([find(i) for i in range(n_atoms)])
    _, atom_node = np.unique(roots, return_inverse=True)  # nodes numbered by lowest atom index
    atom_node = atom_node.astype(np.int32)
    n_nodes = int(atom_node.max()) + 1 if n_atoms else 0
    node_mass = np.bincount(atom_node, weights=atom_mass, minlength=n_nodes)
    edges = np.array([(atom_node[a], atom_node[b]) for _, a, b, _ in cut_bonds], dtype=np.int32).reshape(-1, 2)
    edge_class = np.array([c for *_, c in cut_bonds], dtype=np.int8)
    edge_bond = np.array([i for i, *_ in cut_bonds], dtype=np.int32)
    return MetaboliteGraph(n_nodes, edges, edge_class, node_mass, atom_node, edge_bond)
