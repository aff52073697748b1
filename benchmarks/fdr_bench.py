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

With --direct the candidates are made here instead, without a database build: every
natural-product molecule within 0.02 Da of a spectrum's [M+H]+ neutral mass and its decoy
(``DecoyMaker``: pieces of its isomers, i.e. the NP molecules of the same exact mass, else of
2,000 sampled molecules; seed 0) are fragmented and scored with the search
kernel and the default logRank model (fragment tolerance 0.01 Da, hydrogen shifts -1, 0, +1).
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
from search_bench import np_masses  # benchmarks/ is on sys.path when run as a script

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DEV_500 = SHARED / "spectra" / "massbank_hr_pos_MH_dev_500.mgf"
DEV_FULL = SHARED / "spectra" / "massbank_hr_pos_MH_dev_full.mgf.gz"
NP_TSV = SHARED / "molecules" / "natural_products.tsv.gz"
WORK = Path("/tmp/fdr-bench")
THRESHOLDS = (0.01, 0.05, 0.10, 0.20, 0.50)
DECOY_OPTIONS = {}


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


def node_shuffle(fg, smi: str, key: str, seed: int = 0) -> np.ndarray:
    """Alternative decoy (compared in RESULTS.md, not used by the fragment stage): the masses of
    the metabolite-graph nodes permuted at random, every fragment re-summed from its nodes."""
    from rdkit import Chem
    from specsweep.fragment.decoys import mol_seed, same_mass_set
    from specsweep.fragment.metabolite_graph import build_metabolite_graph
    node_mass = build_metabolite_graph(Chem.MolFromSmiles(smi)).node_mass
    member = np.unpackbits(np.ascontiguousarray(fg.bits).view(np.uint8), axis=1,
                           bitorder="little")[:, :fg.n_nodes].astype(np.float64)
    if not np.allclose(member @ node_mass, fg.mass):
        raise ValueError("node masses do not add up to the fragment masses")
    rng = np.random.default_rng(mol_seed(seed, key))
    for _ in range(10):
        d = member @ node_mass[rng.permutation(node_mass.size)]
        if not same_mass_set(d, fg.mass):
            break
    return d


def heldout_spectra(n: int = 500) -> Path:
    """One spectrum (most peaks) per dev_full compound not in dev_500, n compounds chosen by
    BLAKE2b of the key; a held-out check that design choices made on dev_500 carry over."""
    import hashlib
    from specsweep.files import write_json, write_table
    from specsweep.schema import SPECTRA
    from specsweep.spectra.ingest import ingest
    out = WORK / "heldout" / "SPECTRA"
    if (out / "manifest.json").exists():
        return out
    full_dir, d500_dir = WORK / "devfull", WORK / "dev500"
    for src, d in ((DEV_FULL, full_dir), (DEV_500, d500_dir)):
        if not (d / "manifest.json").exists():
            ingest([src], d)
    read = lambda d, c: pa.concat_tables(pq.read_table(p, columns=c) for p in sorted(d.glob("part-*.parquet")))
    keys500 = set(read(d500_dir, ["annotation_inchikey14"]).column(0).to_pylist())
    full = read(full_dir, None)
    n_peaks = [len(x) for x in full.column("mz").to_pylist()]
    best: dict = {}
    for i, k in enumerate(full.column("annotation_inchikey14").to_pylist()):
        if k and k not in keys500 and (k not in best or n_peaks[i] > n_peaks[best[k]]):
            best[k] = i
    chosen = sorted(best, key=lambda k: hashlib.blake2b(k.encode(), digest_size=8).digest())[:n]
    sub = full.take(pa.array(sorted(best[k] for k in chosen)))
    out.mkdir(parents=True, exist_ok=True)
    write_table(sub, out / "part-00000.parquet", SPECTRA)
    write_json({"parts": [{"file": "part-00000.parquet"}],
                "counts": {"written": sub.num_rows, "rejected": 0}}, out / "manifest.json")
    return out


def direct_candidates(spectra: Path, out: Path, tol_da: float = 0.02, isomer_pool: bool = False,
                      design: str = "pieces") -> Path:
    """Score each spectrum against the NP molecules in its [M+H]+ window and their decoys."""
    from specsweep.chem.masses import PROTON
    from specsweep.fragment.decoys import DecoyMaker, build_pool
    from specsweep.fragment.graph import fragment_smiles
    from specsweep.model.tables import default_model_path, load_model
    from specsweep.search.kernels import score_pairs
    from specsweep.files import write_table

    smiles, keys, mass = np_masses()
    t0 = time.perf_counter()
    maker = DecoyMaker.from_smiles(list(keys), list(smiles), seed=0, n_pool_molecules=2000,
                                   **DECOY_OPTIONS)
    print(f"decoy pool: {maker.pool.size} fragment masses, {time.perf_counter() - t0:.1f} s")
    llr = load_model(default_model_path()).llr_tables()
    shifts = np.array([-1, 0, 1], np.int64)
    cols = ["spectrum_id", "precursor_mz", "mz", "intensity", "log_rank"]
    tab = pa.concat_tables(pq.read_table(p, columns=cols) for p in sorted(spectra.glob("part-*.parquet")))
    graphs: dict = {}
    fragments: dict = {}
    t_frag = t_decoy = 0.0

    def frag(j):
        if j not in fragments:
            try:
                fragments[j] = fragment_smiles(smiles[j])
            except (ValueError, KeyError):
                fragments[j] = None
        return fragments[j]

    def pool_for(j):
        if not isomer_pool:
            return None
        a = np.searchsorted(mass, mass[j] - 1e-6)
        b = np.searchsorted(mass, mass[j] + 1e-6, side="right")
        return build_pool(frag(i) for i in range(a, b) if i != j and frag(i) is not None)

    rows = {k: [] for k in CANDIDATES.names}
    for sid, pmz, mz, it, lr in zip(*(tab.column(c).to_pylist() for c in cols)):
        m = pmz - PROTON
        lo, hi = np.searchsorted(mass, m - tol_da), np.searchsorted(mass, m + tol_da, side="right")
        entries = []
        for j in range(lo, hi):
            if keys[j] not in graphs:
                t = time.perf_counter()
                fg = frag(j)
                t_frag += time.perf_counter() - t
                if fg is None:
                    graphs[keys[j]] = None
                else:
                    pool = pool_for(j)
                    t = time.perf_counter()
                    if design == "node-shuffle":
                        dm = node_shuffle(fg, smiles[j], keys[j])
                    else:
                        dm = maker.decoy(keys[j], fg.mass, fg.parent, fg.bond, fg.depth, pool=pool)
                    t_decoy += time.perf_counter() - t
                    graphs[keys[j]] = (fg, dm)
            if graphs[keys[j]] is not None:
                entries.append((j, False))
                entries.append((j, True))
        if not entries:
            continue
        n = len(entries)
        parts = [(graphs[keys[j]][0], graphs[keys[j]][1] if d else graphs[keys[j]][0].mass)
                 for j, d in entries]
        off = np.concatenate(([0], np.cumsum([fg.mass.size for fg, _ in parts]))).astype(np.int64)
        score, matched, expl = np.empty(n), np.empty(n, np.int32), np.empty(n)
        mz = np.asarray(mz, np.float64)
        score_pairs(np.zeros(n, np.int64), np.arange(n, dtype=np.int64), np.ones(n, np.int8),
                    np.array([0, mz.size], np.int64), mz, np.asarray(lr, np.int8),
                    np.asarray(it, np.float64), off,
                    np.concatenate([fm for _, fm in parts]).astype(np.float64),
                    np.concatenate([fg.parent for fg, _ in parts]).astype(np.int32),
                    np.concatenate([fg.bond for fg, _ in parts]).astype(np.int16),
                    np.concatenate([fg.depth for fg, _ in parts]).astype(np.int8),
                    llr, 0.01, 0.0, shifts, score, matched, expl)
        order = sorted(range(n), key=lambda k: (-score[k], keys[entries[k][0]], entries[k][1]))
        for rank, k in enumerate(order, 1):
            j, d = entries[k]
            theo = mass[j] + PROTON
            for name, v in (("spectrum_id", sid), ("rank", rank), ("mol_id", keys[j]),
                            ("is_decoy", d), ("inchikey14", keys[j]), ("smiles", smiles[j]),
                            ("exact_mass", mass[j]), ("adduct", "[M+H]+"), ("charge", 1),
                            ("precursor_error_ppm", (pmz - theo) / theo * 1e6),
                            ("score", score[k]), ("n_matched_peaks", matched[k]),
                            ("explained_intensity", expl[k])):
                rows[name].append(v)
    n_mol = sum(g is not None for g in graphs.values())
    print(f"direct search: {len(rows['score'])} scored pairs, {n_mol} molecules fragmented in "
          f"{t_frag:.1f} s, their decoys made in {t_decoy:.1f} s "
          f"({t_decoy / max(t_frag, 1e-9):.2f}x the fragmentation time)")
    path = out / "direct_candidates.parquet"
    write_table(pa.table(rows, schema=CANDIDATES), path, CANDIDATES)
    return path


def isomer_overlap(n_sample: int = 150, seed: int = 0) -> None:
    """Share of a decoy's distinct fragment masses on its target's ions (0.01 Da, -1..+1 H),
    next to the same share for the target's isomers, over sampled NP molecules with 3+ isomers."""
    from specsweep.chem.masses import HYDROGEN
    from specsweep.fragment.decoys import DecoyMaker, build_pool
    from specsweep.fragment.graph import fragment_smiles

    smiles, keys, mass = np_masses()

    def overlap(a, b):
        ions = np.unique(np.round((np.unique(b[1:])[:, None] + np.arange(-1, 2) * HYDROGEN).ravel() / 0.01))
        ua = np.unique(np.round(a[1:] / 0.01))
        return float(np.isin(ua, ions).mean()) if ua.size else 0.0

    fallback = build_pool(fragment_smiles(smiles[i]) for i in range(0, mass.size, 160))
    maker = DecoyMaker(fallback, seed=0, **DECOY_OPTIONS)
    rng = np.random.default_rng(seed)
    res = []
    for j in rng.choice(mass.size, n_sample, replace=False):
        a = np.searchsorted(mass, mass[j] - 1e-6)
        b = np.searchsorted(mass, mass[j] + 1e-6, side="right")
        idx = list(range(a, b))[:40]
        if len(idx) < 3 or j not in idx:
            continue
        graphs = [fragment_smiles(smiles[i]) for i in idx]
        k = idx.index(j)
        d = list(maker.decoys([keys[i] for i in idx], [0] * len(idx), graphs))[k]
        iso = [overlap(graphs[i].mass, graphs[k].mass) for i in range(len(idx)) if i != k]
        res.append((overlap(d, graphs[k].mass), np.mean(iso)))
    r = np.array(res)
    print(f"decoy vs isomers, {len(r)} sampled molecules with 3+ isomers: a decoy shares "
          f"{r[:, 0].mean():.0%} of its distinct fragment masses with its target's ions, an isomer "
          f"{r[:, 1].mean():.0%}")


def winners_with_truth(candidates: Path, spectra: Path, drop_true: bool = False):
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
    if drop_true:   # as if no spectrum's compound were in the database (target rows only)
        keep = is_decoy | (ik != true_ik)
        table = table.filter(pa.array(keep))
        spec, score, is_decoy, rank, ik, true_ik = (x[keep] for x in (spec, score, is_decoy, rank,
                                                                      ik, true_ik))
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
    ap.add_argument("--decoy-design", choices=["pieces", "node-shuffle"], default="pieces",
                    help="with --direct: the shipped design, or node masses permuted")
    ap.add_argument("--heldout", action="store_true",
                    help="500 dev_full compounds not in dev_500 instead of dev_500")
    ap.add_argument("--no-isomer-pool", action="store_true",
                    help="with --direct: draw decoys from the fallback pool, not from their isomers")
    ap.add_argument("--direct", action="store_true",
                    help="make the candidates here (no database build), see the module docstring")
    ap.add_argument("--plot", type=Path, default=REPO / "benchmarks" / "fdr_calibration.png")
    ap.add_argument("--decoy-option", action="append", default=[], metavar="NAME=VALUE",
                    help="with --direct: make_decoy_masses option (e.g. min_separation_da=0)")
    args = ap.parse_args()
    for opt in args.decoy_option:
        name, value = opt.split("=")
        DECOY_OPTIONS[name] = float(value)
    WORK.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=WORK))
    spectra = heldout_spectra() if args.heldout else args.spectra
    if spectra is None:
        from specsweep.spectra.ingest import ingest
        spectra = work / "SPECTRA"
        ingest([DEV_500], spectra)
    if args.direct:
        isomer_overlap()
        args.candidates = direct_candidates(spectra, work, isomer_pool=not args.no_isomer_pool,
                                            design=args.decoy_design)

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

    # the usual case in real data: the compound is not in the database, every target hit is false
    (a_score, a_decoy, a_false, *_rest) = winners_with_truth(args.candidates, spectra, drop_true=True)
    a_q = qvalues(a_score, a_decoy)
    print("\ntrue compounds removed from the candidates (every target hit false)")
    print("| q threshold | accepted (all false) | decoy winners | target winners |")
    print("|---|---:|---:|---:|")
    for r in calibration_table(a_score, a_decoy, a_q, a_false, THRESHOLDS):
        print(f"| {r['q_threshold']:.0%} | {r['accepted']} | {int(a_decoy.sum())} | {int((~a_decoy).sum())} |")

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
    ax.set_ylim(0, 1)
    ax.set_xlabel("estimated FDR")
    ax.set_ylabel("true false discovery proportion")
    how = "direct scoring" if args.direct else args.candidates.name
    ax.set_title(f"dev_500 vs natural-product DB, {how}\n({score.size} spectra with hits, "
                 f"{n_correct} correct top hits)", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    args.plot.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.plot)
    print(f"plot: {args.plot}")
    print()
    speed()


if __name__ == "__main__":
    main()
