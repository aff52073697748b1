"""A database cut to the precursor windows of a spectra set, for figures against huge databases.

A spectrum's target candidates (and so its search scores, its rescored ranking and its rescoring
features, which are computed per list of targets) depend only on the molecules whose neutral
mass falls inside its precursor window: fragmenting and scoring are per molecule. So a database
holding only the molecules within a margin (larger than the search tolerance) of some spectrum's
neutral mass gives every spectrum of the set the same target candidates as the whole database.
Decoys are not covered by this: a molecule without isomers draws its decoy pieces from a pool
sampled over the whole database, so decoys (and target-decoy figures) can differ.

Subcommands (each prints what it did; nothing is asserted):

  moses-masses --wheel molsets-0.3.1-py3-none-any.whl --out MOSES.npz
      every SMILES of the wheel's train, test and test_scaffolds files with its RDKit exact mass
      (rdMolDescriptors.CalcExactMolWt; unparsable SMILES counted and left out)
  window-parquet --spectra DIR --molecules MOLECULES.parquet --out CUT.parquet [--margin 0.05]
      the prepared molecules (specsweep prepare-db output) inside the windows
  window-tsv --spectra DIR --molecules MOLECULES.parquet --moses MOSES.npz --out CUT.tsv
      the prepared molecules and the MOSES SMILES inside the windows, as prepare-db input
  compare --full CANDIDATES.parquet --cut CANDIDATES.parquet
      target rows per spectrum in both searches: same molecules, scores, ranks?
  check-masses --tsv CUT.tsv --prepared CUT_MOLECULES.parquet --moses MOSES.npz
      MOSES molecules whose mass prepare-db changed (those could leave or enter a window)
  richest-mgf --input DEV_FULL.mgf.gz --out RICHEST.mgf
      the spectrum with the most peaks of each compound (as dev_500 was chosen)

Windows: neutral mass of each spectrum for the adduct it names (the search's default, which
the rescore benchmarks use), +- (margin) Da.
"""

from __future__ import annotations

import argparse
import gzip
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

MOSES_FILES = ("train.csv.gz", "test.csv.gz", "test_scaffolds.csv.gz")


def spectrum_masses(spectra_dir) -> np.ndarray:
    from specsweep.chem.adducts import get_adduct
    from specsweep.spectra.parts import read_spectra
    t = read_spectra(spectra_dir, columns=["precursor_mz", "adduct"])
    return np.array([get_adduct(a).neutral_mass(mz) for mz, a in
                     zip(t.column("precursor_mz").to_pylist(), t.column("adduct").to_pylist())])


def inside(mass: np.ndarray, centres: np.ndarray, margin: float) -> np.ndarray:
    c = np.sort(centres)
    i = np.searchsorted(c, mass)
    lo = np.abs(mass - c[np.clip(i - 1, 0, c.size - 1)])
    hi = np.abs(c[np.clip(i, 0, c.size - 1)] - mass)
    return np.minimum(lo, hi) <= margin


def cmd_moses_masses(args) -> None:
    from rdkit import Chem, RDLogger
    from rdkit.Chem import rdMolDescriptors
    RDLogger.DisableLog("rdApp.*")
    smiles, mass, bad = [], [], 0
    with zipfile.ZipFile(args.wheel) as zf:
        for name in MOSES_FILES:
            with zf.open(f"moses/dataset/data/{name}") as raw, gzip.open(raw, "rt") as fh:
                col = next(fh).strip().split(",").index("SMILES")
                for line in fh:
                    smi = line.rstrip("\n").split(",")[col]
                    mol = Chem.MolFromSmiles(smi)
                    if mol is None:
                        bad += 1
                        continue
                    smiles.append(smi)
                    mass.append(rdMolDescriptors.CalcExactMolWt(mol))
    np.savez(args.out, smiles=np.asarray(smiles, object), mass=np.asarray(mass))
    print(f"MOSES: {len(smiles)} SMILES with masses, {bad} unparsable -> {args.out}")


def cmd_window_parquet(args) -> None:
    centres = spectrum_masses(args.spectra)
    t = pq.read_table(args.molecules)
    keep = inside(t.column("exact_mass").to_numpy(), centres, args.margin)
    cut = t.filter(pa.array(keep))
    pq.write_table(cut, args.out, compression="zstd")
    print(f"{cut.num_rows} of {t.num_rows} molecules within {args.margin} Da of the neutral mass "
          f"of one of {centres.size} spectra -> {args.out}")


def cmd_window_tsv(args) -> None:
    centres = spectrum_masses(args.spectra)
    t = pq.read_table(args.molecules, columns=["mol_id", "smiles", "exact_mass"])
    kn = inside(t.column("exact_mass").to_numpy(), centres, args.margin)
    z = np.load(args.moses, allow_pickle=True)
    moses_smiles, moses_mass = z["smiles"], z["mass"]     # an npz reads an array at each access
    km = inside(moses_mass, centres, args.margin)
    with open(args.out, "w") as fh:
        fh.write("id\tsmiles\tname\n")
        for mid, smi in zip(pc.filter(t.column("mol_id"), pa.array(kn)).to_pylist(),
                            pc.filter(t.column("smiles"), pa.array(kn)).to_pylist()):
            fh.write(f"{mid}\t{smi}\t\n")
        for i in np.flatnonzero(km):
            fh.write(f"MOSES{i:07d}\t{moses_smiles[i]}\t\n")
    print(f"within {args.margin} Da of {centres.size} spectra: {int(kn.sum())} of {t.num_rows} "
          f"database molecules + {int(km.sum())} of {moses_mass.size} MOSES molecules -> {args.out}")


def _targets(path) -> dict:
    t = pq.read_table(path, columns=["spectrum_id", "mol_id", "is_decoy", "score", "rank"])
    t = t.filter(pc.invert(t.column("is_decoy")))
    out: dict = {}
    for s, m, sc, r in zip(*(t.column(c).to_pylist() for c in ("spectrum_id", "mol_id", "score", "rank"))):
        out.setdefault(s, {})[m] = (sc, r)
    return out


def cmd_compare(args) -> None:
    full, cut = _targets(args.full), _targets(args.cut)
    spectra = sorted(set(full) | set(cut))
    same_set = sum(set(full.get(s, {})) == set(cut.get(s, {})) for s in spectra)
    same_all = sum(full.get(s) == cut.get(s) for s in spectra)
    rows = sum(len(v) for v in full.values())
    print(f"spectra with target candidates: full {len(full)}, cut {len(cut)}; "
          f"target rows: full {rows}, cut {sum(len(v) for v in cut.values())}")
    print(f"spectra with the same target molecules: {same_set} of {len(spectra)}; "
          f"with the same molecules, scores and ranks: {same_all} of {len(spectra)}")
    dec = [pq.read_table(p, columns=["is_decoy"]).column("is_decoy").to_numpy(zero_copy_only=False).sum()
           for p in (args.full, args.cut)]
    print(f"decoy rows: full {dec[0]}, cut {dec[1]} (decoys are not expected to match)")


def cmd_check_masses(args) -> None:
    moses_mass = np.load(args.moses, allow_pickle=True)["mass"]
    prepared = pq.read_table(args.prepared, columns=["mol_id", "exact_mass"])
    idmap = dict(zip(prepared.column("mol_id").to_pylist(), prepared.column("exact_mass").to_pylist()))
    changed = n = 0
    for line in open(args.tsv).read().splitlines()[1:]:
        mid = line.split("\t")[0]
        if mid.startswith("MOSES") and mid in idmap:
            n += 1
            changed += abs(idmap[mid] - moses_mass[int(mid[5:])]) > 1e-6
    print(f"MOSES molecules kept by prepare-db under their own id: {n}; mass changed by "
          f"standardisation: {changed}")


def cmd_richest_mgf(args) -> None:
    """The spectrum with the most peaks of each compound (INCHIKEY first block; ties: the smaller
    TITLE), as dev_500 was chosen, written as MGF in TITLE order."""
    opener = gzip.open if str(args.input).endswith(".gz") else open
    with opener(args.input, "rt") as fh:
        blocks = fh.read().split("BEGIN IONS\n")[1:]
    best: dict = {}
    for b in blocks:
        body = b.split("END IONS")[0]
        lines = body.splitlines()
        head = dict(line.split("=", 1) for line in lines if "=" in line and not line[0].isdigit())
        peaks = sum(1 for line in lines if line and line[0].isdigit())
        key, title = head.get("INCHIKEY", "")[:14], head.get("TITLE", "")
        if key and (key not in best or (-peaks, title) < (-best[key][0], best[key][1])):
            best[key] = (peaks, title, body)
    with open(args.out, "w") as out:
        for _, title, body in sorted(best.values(), key=lambda v: v[1]):
            out.write("BEGIN IONS\n" + body + "END IONS\n")
    print(f"{len(blocks)} spectra, {len(best)} compounds -> {args.out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("moses-masses")
    m.add_argument("--wheel", required=True)
    m.add_argument("--out", required=True)
    for name in ("window-parquet", "window-tsv"):
        w = sub.add_parser(name)
        w.add_argument("--spectra", required=True)
        w.add_argument("--molecules", required=True)
        w.add_argument("--out", required=True)
        w.add_argument("--margin", type=float, default=0.05, help="Da either side")
        if name == "window-tsv":
            w.add_argument("--moses", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--full", required=True)
    c.add_argument("--cut", required=True)
    k = sub.add_parser("check-masses")
    k.add_argument("--tsv", required=True)
    k.add_argument("--prepared", required=True)
    k.add_argument("--moses", required=True)
    r = sub.add_parser("richest-mgf")
    r.add_argument("--input", required=True, help="MGF (.gz allowed) with INCHIKEY and TITLE")
    r.add_argument("--out", required=True)
    args = ap.parse_args()
    {"moses-masses": cmd_moses_masses, "richest-mgf": cmd_richest_mgf, "window-parquet": cmd_window_parquet,
     "window-tsv": cmd_window_tsv, "compare": cmd_compare,
     "check-masses": cmd_check_masses}[args.cmd](args)


if __name__ == "__main__":
    main()
