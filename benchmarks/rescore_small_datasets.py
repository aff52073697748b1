"""Small datasets: PEP calibration when each dataset re-estimates its own class frequencies.

The PEP's class frequencies (right / outranked / absent) are re-estimated per dataset by EM over
its top hits. A dataset of a few dozen spectra gives a noisy estimate; the workflow's
repository-wide FDR (``fdr.global``) pools the datasets' class evidence and re-estimates the
frequencies once. This benchmark splits a known-answer candidate file into datasets of N
spectra (by a hash of the spectrum id), rescores each alone, and sums accepted and wrong hits
over the datasets at PEP q 1 / 5 / 10 / 20 % (each dataset's own PEP q-values), and the same
datasets pooled as the repository-wide FDR pools them (one q-value list over all), beside the
same spectra rescored as one dataset. Regimes as in rescore_bench.py ((a) all true compounds present,
(c) half removed). Nothing is asserted.

  nice -n 10 .venv/bin/python benchmarks/rescore_small_datasets.py --candidates CAND.parquet \\
      --spectra DEV500_FOLDER [--sizes 25 50 100] [--model MODEL.json]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rescore_bench import LEVELS, calibration, in_half, remove_true  # noqa: E402

from specsweep.files import read_table  # noqa: E402
from specsweep.fdr.stage import pool_pep_q  # noqa: E402
from specsweep.rescore.model import RescoreModel, default_rescorer_path  # noqa: E402
from specsweep.rescore.recalibration import concat_rescored  # noqa: E402
from specsweep.rescore.stage import peak_counts, rescore_table  # noqa: E402
from specsweep.schema import CANDIDATES  # noqa: E402
from specsweep.spectra.parts import read_spectra  # noqa: E402


def split(ids, size: int) -> list[set]:
    """Spectrum ids in datasets of about ``size``, by a hash of the id."""
    ordered = sorted(ids, key=lambda s: hashlib.sha256(f"small:{s}".encode()).hexdigest())
    return [set(ordered[i:i + size]) for i in range(0, len(ordered), size)]


def summed(cand: pa.Table, truth: dict, n_peaks: dict, model, groups) -> tuple[list, list]:
    """[accepted, wrong, expected wrong] per level, summed over the datasets each rescored
    alone; the same for the datasets pooled (PEPs from their class evidence, one EM); and
    [held, cells]: dataset x level cells with accepted hits whose wrong count fell in the 90 %
    interval (rescore.uncertainty)."""
    tot = [[0, 0, 0.0] for _ in LEVELS]
    held = [0, 0]   # dataset x level cells with accepted hits whose wrong count was in the interval
    ids = cand.column("spectrum_id").to_pylist()
    parts = []
    for g in groups:
        sub = cand.filter(pa.array([s in g for s in ids]))
        res, _ = rescore_table(sub, model, n_peaks)
        parts.append(res)
        rows, _, _, _ = calibration(res, truth)
        for t, r in zip(tot, rows):
            if r["accepted"]:
                held[0] += int(r["in_interval"])
                held[1] += 1
            t[0] += r["accepted"]
            t[1] += r["false"]
            t[2] += r["estimate"] * r["accepted"] if r["accepted"] else 0.0
    pooled = pool_pep_q(concat_rescored(parts))
    rows, _, _, _ = calibration(pooled, truth)
    pool = [[r["accepted"], r["false"], r["estimate"] * r["accepted"] if r["accepted"] else 0.0]
            for r in rows]
    return tot, pool, held


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", required=True, help="known-answer candidates, all kept")
    ap.add_argument("--spectra", required=True, help="their ingest folder (annotated)")
    ap.add_argument("--model", default=None, help="rescoring model (default: shipped positive)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[25, 50, 100],
                    help="spectra per dataset (besides all as one)")
    args = ap.parse_args()
    model = RescoreModel.load(args.model or default_rescorer_path())
    sp = read_spectra(args.spectra, columns=["spectrum_id", "annotation_inchikey14"])
    truth = dict(zip(sp.column("spectrum_id").to_pylist(),
                     sp.column("annotation_inchikey14").to_pylist()))
    n_peaks = peak_counts(args.spectra)
    cand = read_table(args.candidates, CANDIDATES)
    ids = sorted(set(cand.column("spectrum_id").to_pylist()))
    print("| regime | spectra per dataset | datasets | class frequencies | " + " | ".join(
        f"PEP q {lv:.0%}: accepted / wrong / true ÷ estimate" for lv in LEVELS)
        + " | 90 % interval held (cells) |")
    print("|---|---:|---:|---|" + "---|" * len(LEVELS) + "---|")
    for regime, which in (("a", lambda s: False), ("c", in_half)):
        reg = remove_true(cand, truth, which)
        for size in [len(ids), *args.sizes]:
            groups = split(ids, size)
            apart, pooled, held = summed(reg, truth, n_peaks, model, groups)
            label = size if size < len(ids) else f"all ({size})"
            for how, tot in (("per dataset", apart), ("pooled", pooled)):
                if how == "pooled" and len(groups) == 1:
                    continue
                cells = [f"{n} / {f} / " + (f"{f / e:.2f}" if e > 0 else "-") for n, f, e in tot]
                hold = f"{held[0]} / {held[1]}" if how == "per dataset" else "-"
                print(f"| ({regime}) | {label} | {len(groups)} | {how} | " + " | ".join(cells)
                      + f" | {hold} |", flush=True)


if __name__ == "__main__":
    main()
