"""How far a dev_500-sized dataset's count of wrong hits falls from the PEP estimate, measured on
dev_full compounds by nested cross-validation (dev_500 never used).

dev_full's compounds (those of the ``--exclude`` folders removed: both dev_500 files) are split
into five folds by a hash of their key. For each fold, a rescoring model is trained on the other
four exactly as ``specsweep train-rescorer`` does (its own inner validation split chooses the
regularisation), and the fold's compounds are rescored as one dataset: the richest spectrum of
each compound (most peaks, as dev_500 was chosen), a seeded 3 ppm precursor error as in
training, in the three regimes of ``rescore_bench.py`` ((a) every compound in the database, (b)
none, (c) half). Printed per fold and level: accepted hits, wrong ones, the estimate (sum of
PEPs), the 90 % interval of the wrong count (``specsweep.rescore.uncertainty``) and whether the
true count fell in it; then the counts summed over the folds, and how often the interval held.
The same sums are printed for each model without its PEP map
(``specsweep.rescore.recalibration``), as the plain implementation in the same run. Nothing is
asserted.

  nice -n 10 .venv/bin/python benchmarks/rescore_nested.py --candidates DEVFULL_CAND.parquet \\
      --spectra DEVFULL_FOLDER --exclude DEV500_FOLDER DEV500NEG_FOLDER [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
from dataclasses import replace

import numpy as np

from rescore_bench import LEVELS, evaluate, known_answer_set, with_precursor_noise
from specsweep.rescore.features import read_formula_evidence
from specsweep.rescore.training import key_half, train

FOLDS = 5


def outer_fold(key: str) -> int:
    return int(hashlib.sha256(f"nested:{key}".encode()).hexdigest()[:8], 16) % FOLDS


def add_up(total: dict, report: dict) -> None:
    """Sum accepted / wrong / expected wrong per (regime, level) of an ``evaluate`` report."""
    for regime in "abc":
        for r in report[regime]["pep"]:
            t = total.setdefault((regime, r["level"]), [0, 0, 0.0])
            t[0] += r["accepted"]
            t[1] += r["false"]
            t[2] += r["estimate"] * r["accepted"] if r["accepted"] else 0.0


def print_sums(total: dict) -> None:
    for regime in "abc":
        print(f"({regime}) " + "  ".join(
            f"{100 * lv:g}%: {n} / {w} / {e:.1f} / " + (f"{w / e:.2f}" if e > 0 else "-")
            for (r, lv), (n, w, e) in total.items() if r == regime))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", required=True, help="dev_full candidates (search with a large --top-k)")
    ap.add_argument("--spectra", required=True, help="dev_full ingest folder")
    ap.add_argument("--exclude", nargs="*", default=[],
                    help="ingest folders whose compounds are left out entirely (both dev_500 files)")
    ap.add_argument("--json", default=None, help="write the per-fold figures here")
    ap.add_argument("--other-database", nargs=2, metavar=("CANDIDATES", "SPECTRA"), default=None,
                    help="the same compounds' spectra searched against another (larger) database: "
                         "each outer fold is also rescored from these candidates (same models)")
    ap.add_argument("--map-from-other", action="store_true",
                    help="with --other-database: the PEP map also learns from the training folds' "
                         "spectra against that database (train(other_databases=...))")
    ap.add_argument("--formulas", nargs="+", default=None, metavar="FORMULAS",
                    help="formulas.parquet of `specsweep formula` on the richest spectra (precursor "
                         "moved by the training noise); with --other-database, a second file for "
                         "its spectra: the models then read the formula evidence")
    args = ap.parse_args()
    formulas = [read_formula_evidence(p) for p in args.formulas or []]
    f_main = formulas[0] if formulas else None
    f_other = formulas[1] if len(formulas) > 1 else None
    if args.other_database:
        o_data, _, o_annot, o_peaks, o_table, _ = known_answer_set(*args.other_database, args.exclude, f_other)
        o_fold = np.array([outer_fold(k) for k in o_data.true_key])
        total_other, total_other_plain = {}, {}
    data, counts, annot, n_peaks, table, excluded = known_answer_set(args.candidates, args.spectra,
                                                                     args.exclude, f_main)
    fold = np.array([outer_fold(k) for k in data.true_key])
    by_key: dict = {}
    for sid, key in annot.items():
        if key and key not in excluded:
            by_key.setdefault(key, []).append(sid)
    richest = {key: sorted(v, key=lambda s: (-n_peaks.get(s, 0), s))[0] for key, v in by_key.items()}
    print(f"{counts['compounds']} compounds, {counts['used']} spectra ({counts['dropped_excluded']} "
          f"spectra of excluded compounds dropped); {FOLDS} outer folds by key hash")
    per_fold, total, total_plain = [], {}, {}
    top1 = {"main": [0.0, 0], "other": [0.0, 0]}   # rescored top-1 hits (ties averaged), spectra
    for f in range(FOLDS):
        train_rows = np.flatnonzero(fold[data.spec] != f)
        part = data.take(train_rows)
        extra = [o_data.take(np.flatnonzero(o_fold[o_data.spec] != f))] \
            if args.other_database and args.map_from_other else []
        with contextlib.redirect_stdout(io.StringIO()):
            model = train(part, np.array([key_half(k) for k in part.true_key], bool),
                          {"trained_on": {"outer_fold_left_out": f}}, other_databases=extra)
        keep = {richest[k] for k in set(data.true_key[fold == f].tolist())}
        truth = {s: annot[s] for s in keep}
        cand = with_precursor_noise(table, keep)
        with contextlib.redirect_stdout(io.StringIO()):
            report, _ = evaluate(cand, truth, n_peaks, model, formulas=f_main)
            plain, _ = evaluate(cand, truth, n_peaks, replace(model, recalibration=None), formulas=f_main)
        add_up(total_plain, plain)   # the same model without its PEP map, summed apart
        if args.other_database:      # the fold's compounds against the other database
            keys = set(data.true_key[fold == f].tolist())
            o_keep = {s for s, k in o_annot.items() if k in keys}
            o_cand = with_precursor_noise(o_table, o_keep)
            o_truth = {s: o_annot[s] for s in o_keep}
            with contextlib.redirect_stdout(io.StringIO()):
                o_report = evaluate(o_cand, o_truth, o_peaks, model, formulas=f_other)[0]
                add_up(total_other, o_report)
                top1["other"][0] += o_report["a"]["ranking"]["rescore"]["top1"] * len(o_keep)
                top1["other"][1] += len(o_keep)
                add_up(total_other_plain, evaluate(o_cand, o_truth, o_peaks,
                                                   replace(model, recalibration=None), formulas=f_other)[0])
        n_train = len(set(part.true_key[np.unique(part.spec)].tolist()))
        print(f"\n# fold {f}: {len(keep)} spectra, model trained on {n_train} compounds (l2 ranker "
              f"{model.info['ranker_l2']:g}, PEP {model.info['pep_l2']:g}); accepted / wrong / "
              f"expected wrong / 90 % interval of wrong (! outside)")
        entry = {"fold": f, "spectra": len(keep), "training_compounds": n_train,
                 "ranker_l2": model.info["ranker_l2"], "pep_l2": model.info["pep_l2"], "regimes": {}}
        for regime in "abc":
            rows = report[regime]["pep"]
            est = report[regime]["summary"]["class_frequency_estimated"]
            entry["regimes"][regime] = {"rows": rows, "class_frequency_estimated": est}
            cells = []
            for r in rows:
                expected = r["estimate"] * r["accepted"] if r["accepted"] else 0.0
                lo, hi = r["wrong_interval_90"]
                cells.append(f"{r['accepted']}/{r['false']}/{expected:.1f}/{lo}-{hi}"
                             + ("" if r["in_interval"] else "!"))
                t = total.setdefault((regime, r["level"]), [0, 0, 0.0, 0, 0])
                t[0] += r["accepted"]
                t[1] += r["false"]
                t[2] += expected
                if r["accepted"] >= 20:
                    t[3] += 1
                    t[4] += int(r["in_interval"])
            entry["regimes"][regime]["top_hits_right"] = report[regime]["top_hits_right"]
            print(f"({regime}) right est. {est['right']:.3f}, true {report[regime]['top_hits_right']:.3f}: "
                  + "  ".join(cells))
        per_fold.append(entry)
        top1["main"][0] += report["a"]["ranking"]["rescore"]["top1"] * len(keep)
        top1["main"][1] += len(keep)
    print(f"\n# summed over the folds: accepted / wrong / expected / true / estimate; cells with >= 20 "
          f"accepted whose wrong count fell in the 90 % interval")
    for regime in "abc":
        print(f"({regime}) " + "  ".join(
            f"{100 * lv:g}%: {n} / {w} / {e:.1f} / " + (f"{w / e:.2f}" if e > 0 else "-")
            + (f" [{held}/{cells} held]" if cells else "")
            for (r, lv), (n, w, e, cells, held) in total.items() if r == regime))
    print("without the PEP map (rescore.recalibration), same models otherwise:")
    print_sums(total_plain)
    if args.other_database:
        print(f"against the other database ({args.other_database[0]}), same models:")
        print_sums(total_other)
        print("  and without the PEP map:")
        print_sums(total_other_plain)
    print("rescored top-1 (ties at average rank, no candidates = miss), pooled over the folds: " + ", ".join(
        f"{name} {100 * r / n:.2f} % of {n}" for name, (r, n) in top1.items() if n))
    cells = sum(v[3] for v in total.values())
    held = sum(v[4] for v in total.values())
    print(f"interval held in {held} of {cells} cells with >= 20 accepted hits")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"folds": per_fold, "levels": list(LEVELS), "interval_held": held,
                       "interval_cells": cells}, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
