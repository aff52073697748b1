"""FDR calibration on spectra with known structures, and q-value speed against a plain loop.

Input: candidates of the MassBank dev_500 spectra searched against the whole natural-product
database with decoys (``specsweep search``), and those spectra ingested (``specsweep ingest``;
done here into a temporary folder when --spectra is not given). Prints, for q-value thresholds
1 %, 5 %, 10 %, the accepted target hits, the estimated FDR and the true false discovery
proportion (a target winner whose InChIKey first block differs from the spectrum's annotation is
false), the same per compound (picked competition), how decoys compare with wrong targets, and
writes a plot of estimated against true FDR.

    nice -n 10 .venv/bin/python benchmarks/fdr_bench.py \\
        --candidates /tmp/specsweep-bench/dev500_candidates.parquet --db /tmp/specsweep-bench/np_db
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from specsweep.fdr.calibration import calibration_table, fdp_curve
from specsweep.fdr.competition import picked_compounds, spectrum_winners
from specsweep.fdr.qvalues import qvalues
from specsweep.fdr.stage import run_fdr
from specsweep.files import read_table
from specsweep.schema import CANDIDATES

REPO = Path(__file__).resolve().parents[1]
DEV_500 = REPO.parent / "shared" / "data" / "spectra" / "massbank_hr_pos_MH_dev_500.mgf"
THRESHOLDS = (0.01, 0.05, 0.10)


def plain_qvalues(scores, is_decoy):
    """Reference: Python sort and loops, same definition as specsweep.fdr.qvalues."""
    pairs = sorted(zip(scores, is_decoy), key=lambda p: -p[0])
    fdr_at = {}
    n_t = n_d = 0
    for s, d in pairs:
        if d:
            n_d += 1
        else:
            n_t += 1
        fdr_at[s] = (n_d + 1) / n_t if n_t else float("inf")
    best = float("inf")
    q_at = {}
    for s in sorted(fdr_at):
        best = min(best, fdr_at[s])
        q_at[s] = min(best, 1.0)
    return [q_at[s] for s in scores]


def speed(n: int = 200_000, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    is_decoy = rng.random(n) < 0.4
    scores = np.round(rng.normal(0, 1, n) + ~is_decoy, 3)
    t = time.perf_counter()
    q = qvalues(scores, is_decoy)
    t_fast = time.perf_counter() - t
    t = time.perf_counter()
    q_plain = plain_qvalues(scores.tolist(), is_decoy.tolist())
    t_plain = time.perf_counter() - t
    assert np.allclose(q, q_plain)
    print(f"q-values for {n} winners: {t_fast * 1e3:.1f} ms (NumPy) vs {t_plain * 1e3:.0f} ms "
          f"(plain Python), ratio {t_plain / t_fast:.0f}x")


def winners_with_truth(candidates: Path, spectra: Path):
    table = read_table(candidates, CANDIDATES)
    ann = pa.concat_tables(pq.read_table(p, columns=["spectrum_id", "annotation_inchikey14"])
                           for p in sorted(spectra.glob("part-*.parquet")))
    truth = dict(zip(ann.column("spectrum_id").to_pylist(),
                     ann.column("annotation_inchikey14").to_pylist()))
    sid = table.column("spectrum_id").to_pylist()
    codes = {s: i for i, s in enumerate(dict.fromkeys(sid))}
    spec = np.array([codes[s] for s in sid])
    score = table.column("score").to_numpy()
    is_decoy = table.column("is_decoy").to_numpy(zero_copy_only=False)
    rank = table.column("rank").to_numpy()
    ik = np.array(table.column("inchikey14").to_pylist(), dtype=object)
    true_ik = np.array([truth[s] for s in sid], dtype=object)
    win = spectrum_winners(spec, score, is_decoy, rank)
    is_false = ik[win] != true_ik[win]
    # decoys against wrong targets, per spectrum: best decoy vs best wrong target
    wrong_t = ~is_decoy & (ik != true_ik)
    best_wrong = np.full(len(codes), -np.inf)
    best_decoy = np.full(len(codes), -np.inf)
    np.maximum.at(best_wrong, spec[wrong_t], score[wrong_t])
    np.maximum.at(best_decoy, spec[is_decoy], score[is_decoy])
    mol = np.array(table.column("mol_id").to_pylist(), dtype=object)
    return (score[win], is_decoy[win], is_false, mol[win], ik[win], set(truth.values()),
            best_wrong, best_decoy, table.num_rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=Path, default=Path("/tmp/specsweep-bench/dev500_candidates.parquet"))
    ap.add_argument("--spectra", type=Path, help="ingested dev_500 folder (default: ingest it here)")
    ap.add_argument("--db", type=Path, help="database folder, to check its decoy balance")
    ap.add_argument("--plot", type=Path, default=REPO / "benchmarks" / "fdr_calibration.png")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fdr-bench-"))
    spectra = args.spectra
    if spectra is None:
        from specsweep.spectra.ingest import ingest
        spectra = work / "SPECTRA"
        ingest([DEV_500], spectra)

    t = time.perf_counter()
    summary = run_fdr(args.candidates, spectra, work / "FDR", db=args.db)
    t_stage = time.perf_counter() - t
    acc = summary["spectra_accounting"]
    print(f"fdr stage: {t_stage:.2f} s for {summary['balance']['n_candidates']} candidate rows; "
          f"{acc['input_total']} spectra: {acc['target_won']} target won, {acc['decoy_won']} decoy won, "
          f"{acc['no_candidates']} no candidates, {acc['rejected']} rejected; "
          f"identified {acc['identified']}")

    (score, is_decoy, is_false, mol, ik, true_keys, best_wrong, best_decoy,
     n_rows) = winners_with_truth(args.candidates, spectra)
    q = qvalues(score, is_decoy)
    n_correct = int((~is_decoy & ~is_false).sum())
    print(f"winners: {score.size}, decoy winners {int(is_decoy.sum())}, correct target winners {n_correct}")
    print("\nspectrum level")
    print("| q threshold | accepted | false | true FDP | T at cut | D at cut | D/T | (D+1)/T |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in calibration_table(score, is_decoy, q, is_false, THRESHOLDS):
        print(f"| {r['q_threshold']:.0%} | {r['accepted']} | {r['false']} | {r['true_fdp']:.3f} | "
              f"{r['targets_at_cut']} | {r['decoys_at_cut']} | {r['d_over_t']:.3f} | {r['d1_over_t']:.3f} |")

    # compound level: picked competition; a compound is false if no spectrum is annotated with it
    codes, p_score, p_decoy = picked_compounds(np.unique(mol, return_inverse=True)[1], score, is_decoy)
    first_key = {}
    for m, k in zip(np.unique(mol, return_inverse=True)[1], ik):
        first_key.setdefault(m, k)
    p_false = np.array([first_key[c] not in true_keys for c in codes])
    p_q = qvalues(p_score, p_decoy)
    print("\ncompound level (picked)")
    print("| q threshold | accepted | false | true FDP | (D+1)/T at cut |")
    print("|---|---:|---:|---:|---:|")
    for r in calibration_table(p_score, p_decoy, p_q, p_false, THRESHOLDS):
        print(f"| {r['q_threshold']:.0%} | {r['accepted']} | {r['false']} | {r['true_fdp']:.3f} | "
              f"{r['d1_over_t']:.3f} |")

    both = np.isfinite(best_wrong) & np.isfinite(best_decoy)
    share = float((best_decoy[both] > best_wrong[both]).mean()) if both.any() else float("nan")
    print(f"\ndecoys vs wrong targets over {int(both.sum())} spectra with both: best decoy beats best "
          f"wrong target in {share:.1%}; median best decoy {np.median(best_decoy[both]):.2f}, "
          f"median best wrong target {np.median(best_wrong[both]):.2f}")

    fdr, d_over_t, fdp = fdp_curve(score, is_decoy, is_false)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 5), dpi=120)
    lim = 0.5
    ax.plot([0, lim], [0, lim], color="0.6", lw=1, ls="--", label="estimate = truth")
    q_monotone = np.minimum(np.minimum.accumulate(fdr[::-1])[::-1], 1.0)
    ax.step(q_monotone, fdp, where="post", label="q-value (D+1)/T, monotone")
    ax.step(np.minimum(d_over_t, 1.0), fdp, where="post", alpha=0.6, label="D/T")
    for alpha in THRESHOLDS:
        ax.axvline(alpha, color="0.85", lw=0.8, zorder=0)
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_xlabel("estimated FDR")
    ax.set_ylabel("true false discovery proportion")
    ax.set_title(f"dev_500 vs natural-product DB ({score.size} spectra with hits)", fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    args.plot.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.plot)
    print(f"plot: {args.plot}")
    print()
    speed()


if __name__ == "__main__":
    main()
