"""Formula ranker models compared on compounds no ranker was trained on.

The ranker's training (``python -m specsweep.formula.ranker_training``) takes one spectrum of a
seeded choice of dev_full compounds (``--max-spectra-per-file`` per file, seed 14). This script
redoes that choice with the same settings, takes one spectrum (seeded) of every other dev_full
compound up to ``--max-precursor-mz`` that no ``--exclude`` file holds, moves its precursor by a
seeded 3 ppm normal error, ranks it with the stage's defaults over CHNOPSFClBrI with the ranker off
(the best ``--pool`` candidates and their features, as in training) and prints, for the posterior
order and for each model file given, top-1 over all spectra, the halogenated ones and 400-800 Da,
and what changes between the first and the last model. Measures; asserts nothing.

    nice .venv/bin/python benchmarks/ranker_heldout.py --table heldout.parquet \\
        --models shipped OTHER_MODEL.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

from specsweep.chem.formulas import parse_formula  # noqa: E402
from specsweep.formula.identify import FormulaSettings  # noqa: E402
from specsweep.formula.ranker import load_ranker  # noqa: E402
from specsweep.formula.ranker_training import (FIXED_ALPHABET, _arrays, compound_key, excluded_keys,  # noqa: E402
                                               make_table, read_table, select_spectra, with_noise)
from specsweep.spectra.mgf_reader import read_mgf  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "spectra"
TRAIN = [DATA / "massbank_hr_pos_MH_dev_full.mgf.gz", DATA / "massbank_hr_neg_MmH_dev_full.mgf.gz"]
EXCLUDE = [DATA / "massbank_hr_pos_MH_dev_500.mgf", DATA / "massbank_hr_neg_MmH_dev_500.mgf"]
HALOGENS = ("F", "Cl", "Br", "I")


def held_out_records(args) -> list:
    excluded = excluded_keys(args.exclude)
    trained = {compound_key(r.inchikey) for r in select_spectra(args.train, excluded, 1, args.max_spectra,
                                                                args.max_precursor_mz, 14, args.max_spectra_per_file)}
    records = []
    for path in args.train:
        by_key: dict = {}
        for r in read_mgf(path):
            key = compound_key(r.inchikey)
            if (key is None or key in excluded or key in trained or r.error or not r.formula
                    or r.precursor_mz is None or r.precursor_mz > args.max_precursor_mz or r.mz.size == 0):
                continue
            try:
                parse_formula(r.formula)
            except ValueError:   # an element outside the stage's table (As ...)
                continue
            by_key.setdefault(key, []).append(r)
        rng = random.Random(5)
        records.extend(rng.choice(by_key[k]) for k in sorted(by_key))
        print(f"{Path(path).name}: {len(by_key)} held-out compounds ({len(trained)} trained on in all files)")
    return records


def first_is_true(scores, spectrum, label, n: int) -> np.ndarray:
    right = np.zeros(n, dtype=bool)
    starts = np.flatnonzero(np.r_[True, spectrum[1:] != spectrum[:-1]])
    for a, b in zip(starts, list(starts[1:]) + [spectrum.size]):
        right[spectrum[a]] = label[a + int(np.argmax(scores[a:b]))] > 0
    return right


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", nargs="+", default=[str(p) for p in TRAIN], help="the ranker's training files")
    ap.add_argument("--exclude", nargs="+", default=[str(p) for p in EXCLUDE], help="test files (left out)")
    ap.add_argument("--max-spectra", type=int, default=2200, help="the training run's --max-spectra")
    ap.add_argument("--max-spectra-per-file", type=int, default=1100, help="the training run's value")
    ap.add_argument("--max-precursor-mz", type=float, default=800.0, help="Th (the training run's value)")
    ap.add_argument("--pool", type=int, default=20, help="candidates per spectrum tabled (the stage's --rerank-top)")
    ap.add_argument("--threads", type=int, default=2, help="worker processes for the table")
    ap.add_argument("--table", required=True, help="feature table (Parquet); reused when it exists")
    ap.add_argument("--models", nargs="+", default=["shipped"], help="model files ('shipped': the default one)")
    args = ap.parse_args()
    titles_path = Path(args.table + ".titles.json")
    if Path(args.table).exists():
        table, titles = read_table(args.table), json.loads(titles_path.read_text())
    else:
        records = held_out_records(args)
        settings = FormulaSettings(alphabet=FIXED_ALPHABET, report_top=args.pool, rerank_top=args.pool, ranker=None)
        table = make_table(records, with_noise(records, 3.0, 99), settings, args.threads, args.table)
        titles = [r.title for r in records]
        titles_path.write_text(json.dumps(titles))
    x, spectrum, label, _ = _arrays(table)
    want = {t: i for i, t in enumerate(titles)}
    truth: dict = {}
    for path in args.train:
        truth.update({want[r.title]: r for r in read_mgf(path) if r.title in want})
    n = len(titles)
    halogenated = np.array([any(parse_formula(truth[i].formula).get(e, 0) for e in HALOGENS) for i in range(n)])
    mid = np.array([400.0 <= truth[i].precursor_mz <= 800.0 for i in range(n)])
    in_pool = np.zeros(n, dtype=bool)
    in_pool[spectrum[label > 0]] = True
    print(f"{n} spectra ({halogenated.sum()} halogenated, {mid.sum()} at 400-800 Th); true formula among the "
          f"{args.pool} tabled: {in_pool.sum()} ({in_pool[halogenated].sum()} halogenated)")
    results = {"posterior order": first_is_true(-table.column("candidate_rank").to_numpy().astype(float),
                                                spectrum, label, n)}
    for name in args.models:
        results[name] = first_is_true((load_ranker() if name == "shipped" else load_ranker(name)).scores(x),
                                      spectrum, label, n)
    for name, right in results.items():
        print(f"{name}: top-1 {right.sum()} ({100 * right.mean():.1f} %), halogenated {right[halogenated].sum()}"
              f"/{halogenated.sum()}, 400-800 Th {right[mid].sum()}/{mid.sum()}")
    if len(args.models) > 1:
        a, b = results[args.models[0]], results[args.models[-1]]
        print(f"{args.models[0]} -> {args.models[-1]}: gained {(~a & b).sum()}, lost {(a & ~b).sum()}")


if __name__ == "__main__":
    main()
