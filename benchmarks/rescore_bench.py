"""Rescoring benchmark: ranking, PEP calibration in three regimes, yield, zero-evidence hits.

Known answers: MassBank [M+H]+ dev_500 (500 spectra, one per compound) searched against a
fragmented database with every candidate kept (`--top-k` large). The rescoring model was
trained on dev_full without any dev_500 compound (`specsweep train-rescorer
--exclude-spectra dev_500`). Regimes (removing a compound = removing its target and decoy rows
from the spectrum's candidates before the features are computed, which is what removing it
from the database gives when every candidate in the window is kept):

  (a) every true compound in the database;
  (b) every true compound removed (every accepted hit is wrong);
  (c) the true compound removed for half of the spectra (chosen by a hash of the spectrum id).

Printed: top-1/3/10 by search score and by rescore (targets only, ties at their average rank);
per regime, at PEP q-value levels 1, 5, 10, 20 %: accepted, false, true FDP, the estimate (mean
PEP of the accepted hits) and their ratio, hits with zero matched peaks; the same for the
target-decoy q-value on the rescored lists (best target vs best decoy by rescore, (D+1)/T);
the class frequencies estimated on the dataset. Nothing is asserted.

  nice -n 10 .venv/bin/python benchmarks/rescore_bench.py --candidates CAND.parquet \
      --spectra DEV500_FOLDER [--model MODEL.json] [--plot benchmarks/rescore_calibration.png]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from specsweep.fdr.qvalues import qvalues
from specsweep.files import read_table
from specsweep.rescore.features import read_formula_evidence
from specsweep.rescore.model import RescoreModel, default_rescorer_path
from specsweep.rescore.pep import ADAPT_DEFAULT
from specsweep.rescore.uncertainty import top_target_wrong_counts
from specsweep.rescore.stage import peak_counts, rescore_table
from specsweep.rescore.training import PPM_NOISE_SD, precursor_noise_ppm
from specsweep.schema import CANDIDATES
from specsweep.spectra.parts import read_spectra

LEVELS = (0.01, 0.05, 0.10, 0.20)


def in_half(spectrum_id: str) -> bool:
    return int(hashlib.sha256(spectrum_id.encode()).hexdigest()[:8], 16) % 2 == 0


def remove_true(table: pa.Table, truth: dict, which) -> pa.Table:
    """Drop the rows (targets and decoys) of each selected spectrum's true compound."""
    ids = table.column("spectrum_id").to_pylist()
    keys = table.column("inchikey14").to_pylist()
    keep = [not (which(s) and k == truth.get(s)) for s, k in zip(ids, keys)]
    return table.filter(pa.array(keep))


def avg_rank(scores: np.ndarray, keys: list, true_key) -> float:
    hit = np.array([k == true_key for k in keys])
    if not hit.any():
        return np.inf
    best = scores[hit].max()
    return float(np.sum(scores > best) + (np.sum(scores == best) + 1) / 2.0)


def ranking(table: pa.Table, truth: dict) -> dict:
    """top-k of the true compound among targets, by search score and by rescore."""
    t = table.filter(pc.invert(table.column("is_decoy")))
    ids = np.asarray(t.column("spectrum_id").to_pylist(), object)
    keys = np.asarray(t.column("inchikey14").to_pylist(), object)
    out = {}
    for col in ("score", "rescore"):
        vals = t.column(col).to_numpy()
        ranks = []
        for sid in truth:
            sel = ids == sid
            ranks.append(avg_rank(vals[sel], list(keys[sel]), truth[sid]) if sel.any() else np.inf)
        ranks = np.asarray(ranks)
        out[col] = {f"top{k}": float(np.mean(ranks <= k)) for k in (1, 3, 10)}
    return out


def calibration(res: pa.Table, truth: dict) -> tuple[list, list, np.ndarray, np.ndarray]:
    """PEP and target-decoy calibration rows at LEVELS; and (estimate, true FDP) curves."""
    top = res.filter(pc.is_valid(res.column("pep")))
    sid = top.column("spectrum_id").to_pylist()
    wrong = np.array([k != truth.get(s) for s, k in zip(sid, top.column("inchikey14").to_pylist())])
    pep = top.column("pep").to_numpy()
    q = top.column("pep_q_value").to_numpy()
    zero = top.column("n_matched_peaks").to_numpy() == 0
    intervals = top_target_wrong_counts(top, {lv: q <= lv for lv in LEVELS})   # one EM fit for all
    rows = []
    for lv in LEVELS:
        acc = q <= lv
        n = int(acc.sum())
        est = float(pep[acc].mean()) if n else float("nan")
        fdp = float(wrong[acc].mean()) if n else float("nan")
        low, high = intervals[lv][1]
        rows.append({"level": lv, "accepted": n, "false": int(wrong[acc].sum()), "true_fdp": fdp,
                     "estimate": est, "ratio": fdp / est if n and est > 0 else float("nan"),
                     "zero_match": int((acc & zero).sum()), "wrong_interval_90": [low, high],
                     "in_interval": bool(low <= wrong[acc].sum() <= high)})
    order = np.argsort(pep, kind="stable")
    k = np.arange(1, pep.size + 1)
    curve_est, curve_true = np.cumsum(pep[order]) / k, np.cumsum(wrong[order]) / k
    # second measure: target-decoy competition on the rescored lists
    first = res.filter(pc.equal(res.column("rank"), 1))
    f_sid = np.asarray(first.column("spectrum_id").to_pylist(), object)
    f_dec = first.column("is_decoy").to_numpy(zero_copy_only=False)
    f_u = first.column("rescore").to_numpy()
    best = {}
    for s, d, u, i in zip(f_sid, f_dec, f_u, range(f_sid.size)):
        if s not in best or u > best[s][0] or (u == best[s][0] and d):
            best[s] = (u, d, i)
    win = np.array([v[2] for v in best.values()])
    w_dec = f_dec[win]
    qt = qvalues(f_u[win], w_dec)
    keys = first.column("inchikey14").to_pylist()
    w_wrong = np.array([keys[i] != truth.get(f_sid[i]) for i in win])
    td = []
    for lv in LEVELS:
        acc = ~w_dec & (qt <= lv)
        n = int(acc.sum())
        td.append({"level": lv, "accepted": n, "false": int((acc & w_wrong).sum()),
                   "true_fdp": float((acc & w_wrong).sum() / n) if n else float("nan")})
    return rows, td, curve_est, curve_true


def fmt(x, pct=True):
    if x != x:
        return "-"
    return f"{100 * x:.1f}%" if pct else f"{x:.2f}"



def with_precursor_noise(table: pa.Table, keep: set) -> pa.Table:
    """The candidates of the kept spectra, each spectrum's precursor error shifted by its seeded
    noise (as in training)."""
    cand = table.filter(pa.array([s in keep for s in table.column("spectrum_id").to_pylist()]))
    ids = cand.column("spectrum_id").to_pylist()
    noise = dict(zip(sorted(keep), precursor_noise_ppm(sorted(keep), PPM_NOISE_SD)))
    ppm = cand.column("precursor_error_ppm").to_numpy() + np.array([noise[s] for s in ids])
    return cand.set_column(cand.schema.get_field_index("precursor_error_ppm"),
                           "precursor_error_ppm", pa.array(ppm, pa.float64()))


def evaluate(cand: pa.Table, truth: dict, n_peaks: dict, model: RescoreModel,
             adapt: str = ADAPT_DEFAULT, formulas: pa.Table | None = None) -> tuple[dict, dict]:
    """Print ranking and calibration tables for the three regimes; return figures and curves.
    ``formulas``: the formula stage's results for these spectra (for a model that reads them)."""
    n_spectra = len(truth)
    regimes = {"a": lambda s: False, "b": lambda s: True, "c": in_half}
    report, curves = {}, {}
    for name, which in regimes.items():
        res, summary = rescore_table(remove_true(cand, truth, which), model, n_peaks, formulas, adapt=adapt)
        rows, td, est, true = calibration(res, truth)
        curves[name] = (est, true)
        entry = {"pep": rows, "target_decoy": td, "summary": summary,
                 "top_hits_right": float(1.0 - true[-1]) if true.size else float("nan")}
        if name == "a":
            entry["ranking"] = ranking(res, truth)
        report[name] = entry
        print(f"\n## regime ({name}): {summary['spectra_with_targets']} spectra with targets; "
              f"estimated class frequencies {summary['class_frequency_estimated']}; top hits "
              f"right: {entry['top_hits_right']:.4f}")
        if name == "a":
            r = entry["ranking"]
            print("ranking (targets, ties at average rank): search score top-1/3/10 "
                  + " / ".join(fmt(r['score'][k]) for k in ('top1', 'top3', 'top10'))
                  + "; rescored " + " / ".join(fmt(r['rescore'][k]) for k in ('top1', 'top3', 'top10')))
        print("| PEP q level | accepted | false | 90 % interval of false | true FDP | estimate (mean PEP) "
              "| true / estimate | zero-match accepted | target-decoy q: accepted | false | true FDP |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for p, t in zip(rows, td):
            lo, hi = p["wrong_interval_90"]
            print(f"| {fmt(p['level'])} | {p['accepted']} | {p['false']} | {lo}-{hi}"
                  f"{'' if p['in_interval'] else ' (outside)'} | {fmt(p['true_fdp'])} | "
                  f"{fmt(p['estimate'])} | {fmt(p['ratio'], False)} | {p['zero_match']} | "
                  f"{t['accepted']} | {t['false']} | {fmt(t['true_fdp'])} |")
        if name == "a":
            y = next(p for p in rows if p["level"] == 0.05)["accepted"]
            print(f"yield at PEP q <= 5 %: {y} of {n_spectra} spectra ({fmt(y / n_spectra)})")
    return report, curves


def known_answer_set(candidates, spectra, exclude_folders, formulas: pa.Table | None = None):
    """dev_full-like known answers for the benchmarks that train: every compound annotated in
    ``exclude_folders`` dropped (``training.known_answers``), seeded precursor noise as in
    training. Returns (data, counts, annotation by spectrum id, peak counts, candidates table,
    excluded keys)."""
    from specsweep.rescore.training import known_answers
    excluded: set = set()
    for folder in exclude_folders:
        ex = read_spectra(folder, columns=["annotation_inchikey14"])
        excluded |= {k for k in ex.column("annotation_inchikey14").to_pylist() if k}
    full = read_spectra(spectra, columns=["spectrum_id", "annotation_inchikey14"])
    annot = dict(zip(full.column("spectrum_id").to_pylist(),
                     full.column("annotation_inchikey14").to_pylist()))
    n_peaks = peak_counts(spectra)
    table = read_table(candidates, CANDIDATES)
    data, counts = known_answers(table, annot, n_peaks, excluded, ppm_noise_sd=PPM_NOISE_SD,
                                 formulas=formulas)
    return data, counts, annot, n_peaks, table, excluded


def validation_check(args) -> None:
    """Train on the training part of dev_full (dev_500 compounds excluded), evaluate on the
    validation compounds, one spectrum each (the one with the most peaks, as dev_500 was
    chosen, or the ``--kth`` richest), with a seeded 3 ppm precursor error as in training."""
    from specsweep.rescore.training import key_half, train
    data, counts, annot, n_peaks, table, excluded = known_answer_set(
        args.validate[0], args.validate[1], [args.spectra, *args.also_exclude])
    validation = np.array([key_half(k) for k in data.true_key], bool)
    model = train(data, validation, {"trained_on": counts}, refit_on_all=False)
    print("validation check: model trained on", int((~validation).sum()), "spectra; settings",
          {k: model.info[k] for k in ("ranker_l2", "pep_l2")})
    by_key: dict = {}
    for sid, key in annot.items():
        if key and key not in excluded and key_half(key):
            by_key.setdefault(key, []).append(sid)
    total: dict = {}
    for kth in args.kth:
        # the k-th richest spectrum of each compound (most peaks first, ties by spectrum id)
        keep = {sorted(v, key=lambda s: (-n_peaks.get(s, 0), s))[kth - 1]
                for v in by_key.values() if len(v) >= kth}
        cand = with_precursor_noise(table, keep)
        print(f"\n# validation spectra: {len(keep)} (the richest no. {kth} of each validation compound)")
        report, _ = evaluate(cand, {s: annot[s] for s in keep}, n_peaks, model, args.adapt)
        for regime, entry in report.items():
            for row in entry["pep"]:
                t = total.setdefault((regime, row["level"]), [0, 0, 0.0])
                t[0] += row["accepted"]
                t[1] += row["false"]
                t[2] += row["estimate"] * row["accepted"] if row["accepted"] else 0.0
    if len(args.kth) > 1:
        print(f"\n# summed over the datasets {args.kth}: accepted / false / true / estimate")
        for regime in ("a", "b", "c"):
            print(f"({regime}) " + "  ".join(
                f"{fmt(lv)}: {n} / {f} / " + (f"{f / e:.2f}" if e > 0 else "-")
                for (r, lv), (n, f, e) in total.items() if r == regime))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", help="dev_500 candidates, all kept (large --top-k)")
    ap.add_argument("--spectra", required=True, help="dev_500 ingest folder")
    ap.add_argument("--model", default=None, help="rescoring model (default: shipped)")
    ap.add_argument("--plot", default=None, help="PNG of estimated vs true FDP per regime")
    ap.add_argument("--json", default=None, help="write all figures as JSON here")
    ap.add_argument("--validate", nargs=2, metavar=("DEVFULL_CANDIDATES", "DEVFULL_SPECTRA"),
                    help="instead: train on dev_full's training part and check on its "
                         "validation compounds (dev_500 compounds excluded)")
    ap.add_argument("--also-exclude", nargs="*", default=[],
                    help="with --validate: further ingest folders whose compounds are left out "
                         "of training and validation (the other polarity's dev_500)")
    ap.add_argument("--kth", type=int, nargs="+", default=[1],
                    help="with --validate: one dataset per value k, each holding every validation "
                         "compound's k-th richest spectrum (most peaks first; 1 = as dev_500 was "
                         "chosen); with several, the counts are also summed")
    ap.add_argument("--formulas", default=None,
                    help="formulas.parquet of `specsweep formula` on the same spectra (needed by a "
                         "model that reads the formula evidence)")
    ap.add_argument("--adapt", choices=("all", "absent"), default=ADAPT_DEFAULT,
                    help="class frequencies each dataset re-estimates (rescore.pep.adapt_priors; "
                         "default: the stage's)")
    args = ap.parse_args()
    if args.validate:
        validation_check(args)
        return
    model = RescoreModel.load(args.model or default_rescorer_path())
    spectra = read_spectra(args.spectra, columns=["spectrum_id", "annotation_inchikey14"])
    truth = dict(zip(spectra.column("spectrum_id").to_pylist(),
                     spectra.column("annotation_inchikey14").to_pylist()))
    cand = read_table(args.candidates, CANDIDATES)
    formulas = read_formula_evidence(args.formulas) if args.formulas else None
    report, curves = evaluate(cand, truth, peak_counts(args.spectra), model, args.adapt, formulas)
    if model.recalibration is not None:   # the previous implementation, same run: no PEP map
        with contextlib.redirect_stdout(io.StringIO()):
            plain, _ = evaluate(cand, truth, peak_counts(args.spectra),
                                replace(model, recalibration=None), args.adapt, formulas)
        print("\n## the same model without its PEP map (rescore.recalibration): accepted / wrong / "
              "true ÷ estimate at PEP q " + " / ".join(f"{100 * lv:g} %" for lv in LEVELS))
        for regime in "abc":
            print(f"({regime}) with map: " + "  ".join(
                f"{r['accepted']}/{r['false']}/{fmt(r['ratio'], False)}" for r in report[regime]["pep"])
                + "   without: " + "  ".join(
                f"{r['accepted']}/{r['false']}/{fmt(r['ratio'], False)}" for r in plain[regime]["pep"]))
        report["without_pep_map"] = {k: v["pep"] for k, v in plain.items()}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"spectra": len(truth), "model_info": model.info, "adapt": args.adapt,
                       "regimes": report}, fh,
                      indent=1)
    if args.plot:
        plot(curves, args.plot, report)


def plot(curves: dict, path: str, report: dict | None = None) -> None:
    """Estimated vs true FDP of the accepted sets per regime; with ``report``, each level's 90 %
    interval of the wrong count (as a share of the accepted) as an error bar."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(12, 4), sharey=True)
    titles = {"a": "(a) all true compounds in DB", "b": "(b) all removed",
              "c": "(c) half removed"}
    for ax, (name, (est, true)) in zip(axes, curves.items()):
        ax.plot(est, true, lw=1.5, label="true FDP of the accepted set")
        ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="ideal")
        ax.fill_between([0, 1], [0, 1 / 1.5], [0, 1.5], color="0.9", label="x0.67..x1.5")
        for lv in LEVELS:
            ax.axvline(lv, color="0.7", lw=0.5)
        rows = [r for r in (report or {}).get(name, {}).get("pep", []) if r["accepted"]]
        if rows:
            x = np.array([r["estimate"] for r in rows])
            y = np.array([r["true_fdp"] for r in rows])
            lo = np.array([r["wrong_interval_90"][0] / r["accepted"] for r in rows])
            hi = np.array([r["wrong_interval_90"][1] / r["accepted"] for r in rows])
            ax.vlines(x, lo, hi, color="C3", lw=2.5, alpha=0.5,
                      label="90 % interval of the wrong share (PEP q levels)")
            ax.plot(x, y, "o", ms=3, color="C3", label="true FDP at the levels")
        ax.set_xlim(0, 0.3)
        ax.set_ylim(0, 1.0)
        ax.set_title(titles[name])
        ax.set_xlabel("estimated FDP (mean PEP, PEP q-value)")
    axes[0].set_ylabel("true FDP")
    axes[0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
