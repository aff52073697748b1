"""Search accuracy by ion mode, adduct and model (issue: negative mode, other adducts).

Runs `specsweep search --targets-only --top-k 100000` on an MGF (ingested once under WORK) and
prints top-1/3/5/10 by mass bin and by the adduct the file names; the rank of a spectrum's true
structure (InChIKey first block) is taken among distinct target molecules (a molecule found
under several adducts counts once, with its best score), ties at their average rank. Nothing is
asserted.

  accuracy --spectra FILE [--hide-adduct] [--model M] [--negative-model N|same] [--db DB]
           [--rescore [--rescore-model R] [--rescore-negative-model RN|same]] [--reuse]

--hide-adduct searches with --ignore-file-adduct: the adduct set of the ion mode is tried (the
charge the file states still restricts it). --rescore also runs `specsweep rescore` on the same
candidates (each spectrum with the rescoring model of its ion mode unless told otherwise) and
prints the same tables for the rescored ranking (the ranking users get; lists are cut at the
rescoring model's depth, so a true structure below it counts as a miss), the precursor error of
the true structure's row per adduct, and the top hits accepted (and wrong) at PEP q levels. --reuse keeps candidates already searched under
WORK. Run from the repository root, e.g.
  nice -n 10 .venv/bin/python benchmarks/adduct_bench.py accuracy \
      --spectra ../shared/data/spectra/massbank_hr_neg_MmH_dev_500.mgf --negative-model same
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("ADDUCT_BENCH_WORK", "/tmp/adduct-bench"))
BINS = [(0, 400, "<400"), (400, 800, "400-800"), (800, 1200, "800-1200"), (1200, 1e9, ">1200")]
KS = (1, 3, 5, 10)


def ingested(src: Path) -> Path:
    out = WORK / src.name.replace(".", "_")
    if not (out / "manifest.json").exists():
        from specsweep.spectra.ingest import ingest
        ingest([src], out)
    return out


def true_ranks(candidates: Path, spectra: Path, by: str = "score") -> tuple[list, list, list]:
    """(rank, neutral mass, file adduct) per ingested spectrum, ranking targets by the column
    ``by``; rank inf when the true structure is not among the candidates."""
    from specsweep.chem.adducts import get_adduct
    cand = pq.read_table(candidates, columns=["spectrum_id", "inchikey14", by, "is_decoy"])
    cand = cand.filter(pc.invert(cand.column("is_decoy"))).to_pydict()
    best: dict[str, dict[str, float]] = {}
    for sid, ik, sc in zip(cand["spectrum_id"], cand["inchikey14"], cand[by]):
        per = best.setdefault(sid, {})
        if sc > per.get(ik, -np.inf):
            per[ik] = sc
    cols = ["spectrum_id", "annotation_inchikey14", "precursor_mz", "adduct"]
    info = pq.read_table(spectra, columns=cols).to_pydict() if spectra.is_file() else \
        {c: sum((pq.read_table(p, columns=[c]).column(0).to_pylist()
                 for p in sorted(spectra.glob("part-*.parquet"))), []) for c in cols}
    ranks, masses, adducts = [], [], []
    for sid, key, pmz, add in zip(*(info[c] for c in cols)):
        per = best.get(sid, {})
        masses.append(get_adduct(add).neutral_mass(pmz) if add else np.nan)
        adducts.append(add or "?")
        if key not in per:
            ranks.append(np.inf)
            continue
        scores = np.fromiter(per.values(), float)
        t = per[key]
        ranks.append(int(np.sum(scores > t)) + (int(np.sum(scores == t)) + 1) / 2.0)
    return ranks, masses, adducts


def table(ranks, keys, groups, title) -> list[str]:
    ranks = np.asarray(ranks, float)
    lines = [f"| {title} | spectra | " + " | ".join(f"top-{k}" for k in KS) + " |",
             "|---|---:|" + "---:|" * len(KS)]
    for name, sel in groups:
        n = int(sel.sum())
        cells = [f"{100.0 * np.mean(ranks[sel] <= k):.1f}%" if n else "-" for k in KS]
        lines.append(f"| {name} | {n} | " + " | ".join(cells) + " |")
    return lines


def report(out: Path, spectra: Path, by: str, title: str) -> None:
    ranks, masses, adducts = true_ranks(out, spectra, by)
    ranks, masses = np.asarray(ranks, float), np.asarray(masses, float)
    print(f"{title}: true structure not among candidates: {int(np.isinf(ranks).sum())}")
    bins = [(name, (masses >= lo) & (masses < hi)) for lo, hi, name in BINS]
    print("\n".join(table(ranks, masses, bins + [("all", np.ones(len(ranks), bool))], "mass bin (Da)")))
    names = sorted(set(adducts))
    if len(names) > 1:
        arr = np.asarray(adducts)
        print("\n".join(table(ranks, adducts, [(n, arr == n) for n in names]
                              + [("all", np.ones(len(ranks), bool))], "file adduct")))
        keys = np.asarray(sum((pq.read_table(p, columns=["annotation_inchikey14"]).column(0).to_pylist()
                               for p in sorted(spectra.glob("part-*.parquet"))), []))
        print("| file adduct | compounds | top-1, each compound weighted equally |")
        print("|---|---:|---:|")
        for n in names + ["all"]:
            sel = arr == n if n != "all" else np.ones(len(ranks), bool)
            per = [np.mean(ranks[sel & (keys == k)] <= 1) for k in sorted(set(keys[sel]))]
            print(f"| {n} | {len(per)} | {100 * np.mean(per):.1f}% |")


def true_row_errors(rescored: Path, spectra: Path) -> None:
    """Median |precursor error| (ppm) and abs_ppm feature of the true structure's best row per
    file adduct, and which adduct that row was found under: the features must use the adduct's
    own mass."""
    cols = ["spectrum_id", "annotation_inchikey14", "adduct"]
    info = {c: sum((pq.read_table(p, columns=[c]).column(0).to_pylist()
                    for p in sorted(spectra.glob("part-*.parquet"))), []) for c in cols}
    truth = dict(zip(info["spectrum_id"], zip(info["annotation_inchikey14"], info["adduct"])))
    t = pq.read_table(rescored, columns=["spectrum_id", "inchikey14", "is_decoy", "adduct",
                                         "precursor_error_ppm", "abs_ppm", "rescore"]).to_pydict()
    best: dict[str, tuple] = {}
    for sid, ik, dec, add, ppm, feat, u in zip(*(t[c] for c in t)):
        key, _ = truth[sid]
        if not dec and ik == key and (sid not in best or u > best[sid][3]):
            best[sid] = (add, ppm, feat, u)
    rows = {}
    for sid, (add, ppm, feat, _) in best.items():
        rows.setdefault(truth[sid][1] or "?", []).append((add, abs(ppm), feat))
    print("| file adduct | true rows | found as the file adduct | median abs ppm | max abs ppm | median abs_ppm feature |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in sorted(rows.items()):
        same = sum(a == name for a, _, _ in r)
        e = np.array([x for _, x, _ in r])
        f = np.array([x for _, _, x in r])
        print(f"| {name} | {len(r)} | {same} | {np.median(e):.2f} | {e.max():.2f} | {np.median(f):.2f} |")


def pep_levels(rescored: Path, spectra: Path) -> None:
    """Top targets accepted at PEP q-value levels and how many of them are wrong (every true
    compound in the database: regime (a) of the rescore benchmark)."""
    keys = {}
    for p in sorted(spectra.glob("part-*.parquet")):
        t = pq.read_table(p, columns=["spectrum_id", "annotation_inchikey14"]).to_pydict()
        keys.update(zip(t["spectrum_id"], t["annotation_inchikey14"]))
    t = pq.read_table(rescored, columns=["spectrum_id", "inchikey14", "pep", "pep_q_value"])
    t = t.filter(pc.is_valid(t.column("pep"))).to_pydict()
    q, pep = np.asarray(t["pep_q_value"], float), np.asarray(t["pep"], float)
    wrong = np.array([keys[s] != k for s, k in zip(t["spectrum_id"], t["inchikey14"])])
    print("| PEP q level | accepted | wrong | true FDP | estimate (mean PEP) |")
    print("|---:|---:|---:|---:|---:|")
    for lv in (0.01, 0.05, 0.1, 0.2):
        a = q <= lv
        n = int(a.sum())
        fdp = f"{100 * wrong[a].mean():.1f}%" if n else "-"
        est = f"{100 * pep[a].mean():.1f}%" if n else "-"
        print(f"| {100 * lv:g}% | {n} | {int(wrong[a].sum())} | {fdp} | {est} |")


def cmd_accuracy(args) -> None:
    spectra = ingested(Path(args.spectra))
    tag = "hidden" if args.hide_adduct else "file"
    out = WORK / f"{spectra.name}_{tag}_{Path(args.negative_model).stem}.parquet"
    cmd = [sys.executable, "-m", "specsweep", "search", "--spectra", str(spectra), "--db", args.db,
           "--model", args.model, "--negative-model", args.negative_model, "--output", str(out),
           "--targets-only", "--top-k", "100000", "--mpi", "off", *args.extra]
    if args.hide_adduct:
        cmd.append("--ignore-file-adduct")
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    t0 = time.perf_counter()
    if not (args.reuse and out.exists()):
        proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
        if proc.returncode:
            sys.exit(f"search failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    wall = time.perf_counter() - t0
    print(f"{args.spectra}: adduct {'hidden (ion mode set tried)' if args.hide_adduct else 'from the file'}, "
          f"model {args.model}, negative model {args.negative_model}, search wall {wall:.0f} s, "
          f"candidates {out}")
    report(out, spectra, "score", "search score")
    if not args.rescore:
        return
    res = out.with_name(out.name.removesuffix(".parquet") + f"_rescored_{Path(args.rescore_negative_model).stem}.parquet")
    cmd = [sys.executable, "-m", "specsweep", "rescore", "--candidates", str(out), "--spectra",
           str(spectra), "--output", str(res), "--model", args.rescore_model,
           "--negative-model", args.rescore_negative_model]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"rescore failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    print(f"rescored with model {args.rescore_model}, negative-mode model "
          f"{args.rescore_negative_model}: {res}")
    report(res, spectra, "rescore", "rescored")
    true_row_errors(res, spectra)
    pep_levels(res, spectra)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("accuracy")
    a.add_argument("--spectra", required=True)
    a.add_argument("--db", default="/work/cache/np_extra_db")
    a.add_argument("--model", default="default")
    a.add_argument("--negative-model", default="default")
    a.add_argument("--hide-adduct", action="store_true")
    a.add_argument("--rescore", action="store_true", help="also rank by `specsweep rescore`")
    a.add_argument("--rescore-model", default="default")
    a.add_argument("--rescore-negative-model", default="default")
    a.add_argument("--reuse", action="store_true", help="reuse candidates searched before")
    a.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="further search options")
    args = p.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    {"accuracy": cmd_accuracy}[args.cmd](args)


if __name__ == "__main__":
    main()
