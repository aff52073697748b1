"""Fragmentation throughput: molecules per second per core, by mass bin, against a plain implementation.

Measures, on N molecules drawn (seeded) from the natural-product database:
  * specsweep: RDKit parse + metabolite graph + bitset enumeration (Numba) + decoy, one process;
  * plain:     RDKit parse + metabolite graph + recursive cutting with networkx
               (specsweep.fragment.reference), on a subsample because it is slow;
and prints molecules/s/core, mean time per molecule by neutral-mass bin, fragments per molecule,
and the speed ratio on the molecules both ran. Process CPU time is used, so other load on the
machine inflates the figures less than wall time would.

    .venv/bin/python benchmarks/fragment_bench.py [--n 10000] [--n-plain 300]
"""

from __future__ import annotations

import argparse
import gzip
import random
import time
from pathlib import Path

import numpy as np
from rdkit import Chem
from rdkit.Chem import Descriptors

from specsweep.fragment.decoys import DecoyMaker, build_pool
from specsweep.fragment.graph import FragmentParams, fragment_mol
from specsweep.fragment.metabolite_graph import build_metabolite_graph
from specsweep.fragment.reference import brute_force_fragments

BINS = [(0, 400), (400, 800), (800, 1200), (1200, 1e9)]
DEFAULT_DB = Path(__file__).resolve().parents[2] / "shared/data/molecules/natural_products.tsv.gz"


def bin_label(lo, hi):
    return f"<{hi:.0f}" if lo == 0 else (f">{lo:.0f}" if hi > 1e8 else f"{lo:.0f}-{hi:.0f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=DEFAULT_DB)
    ap.add_argument("--n", type=int, default=10000, help="molecules timed with specsweep")
    ap.add_argument("--n-plain", type=int, default=100, help="of those, molecules also timed with the plain code")
    ap.add_argument("--seed", type=int, default=20261123)
    args = ap.parse_args()

    with gzip.open(args.db, "rt") as fh:
        next(fh)
        smiles = [line.split("\t")[1] for line in fh]
    rng = random.Random(args.seed)
    sample = rng.sample(smiles, args.n)
    params = FragmentParams()
    fragment_mol(Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O"), params)  # compile / load the Numba cache
    warm = [fragment_mol(Chem.MolFromSmiles(s), params) for s in sample[:200]]
    maker = DecoyMaker(build_pool(warm), seed=0)

    times, masses, n_frags = np.zeros(args.n), np.zeros(args.n), np.zeros(args.n, np.int64)
    t_all = time.process_time()
    for i, smi in enumerate(sample):
        t0 = time.process_time()
        mol = Chem.MolFromSmiles(smi)
        fg = fragment_mol(mol, params)
        maker.decoy(str(i), fg.mass, fg.parent, fg.bond, fg.depth)
        times[i] = time.process_time() - t0
        masses[i] = fg.mass[0]
        n_frags[i] = len(fg)
    total = time.process_time() - t_all
    print(f"specsweep: {args.n} molecules in {total:.1f} CPU-s = {args.n / total:.0f} molecules/s/core "
          f"(fragments + decoy), mean {n_frags.mean():.0f} fragments/molecule")
    print(f"{'mass bin (Da)':>14} {'molecules':>9} {'ms/molecule':>11} {'fragments':>9} {'us/fragment':>11}")
    for lo, hi in BINS:
        sel = (masses >= lo) & (masses < hi)
        if sel.any():
            print(f"{bin_label(lo, hi):>14} {sel.sum():9d} {1000 * times[sel].mean():11.2f} "
                  f"{n_frags[sel].mean():9.0f} {1e6 * times[sel].sum() / n_frags[sel].sum():11.2f}")

    # plain implementation on a subsample of the same molecules
    idx = sorted(random.Random(args.seed + 1).sample(range(args.n), args.n_plain))
    t_plain = 0.0
    t_fast = 0.0
    for i in idx:
        t0 = time.process_time()
        mol = Chem.MolFromSmiles(sample[i])
        mg = build_metabolite_graph(mol, params.bond_classes)
        frags = brute_force_fragments(mg.n_nodes, mg.edges, mg.edge_class, params.max_bridges, params.max_two_cuts)
        _ = [sum(mg.node_mass[list(f)]) for f in frags]
        t_plain += time.process_time() - t0
        t0 = time.process_time()
        fragment_mol(Chem.MolFromSmiles(sample[i]), params)
        t_fast += time.process_time() - t0
    print(f"plain RDKit/networkx on {len(idx)} of the same molecules: {len(idx) / t_plain:.1f} molecules/s/core; "
          f"specsweep (fragments only) {len(idx) / t_fast:.0f} molecules/s/core; ratio {t_plain / t_fast:.0f}x")
    mw = [Descriptors.ExactMolWt(Chem.MolFromSmiles(sample[i])) for i in idx]
    print(f"(subsample mean mass {np.mean(mw):.0f} Da vs {masses.mean():.0f} Da for all {args.n})")


if __name__ == "__main__":
    main()
