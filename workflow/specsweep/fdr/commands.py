"""``specsweep fdr``: target-decoy competition and q-values over one dataset's merged candidates."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "fdr", help="target-decoy FDR: q-values per spectrum and per compound",
        description="Target-decoy competition per spectrum (best hit wins, ties go to the decoy), "
                    "q-values (D+1)/T made monotone, and a picked competition per compound. "
                    "Run once on the merged candidates of a whole dataset, never per shard. Writes "
                    "OUTPUT_DIR/identifications.parquet, identifications.tsv and summary.json.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--candidates", required=True, help="candidates.parquet from `specsweep search`")
    p.add_argument("--spectra", required=True,
                   help="spectra directory from `specsweep ingest` (parts, rejects.parquet, manifest.json)")
    p.add_argument("--output-dir", required=True, help="output directory")
    p.add_argument("--db", default=None,
                   help="database directory (or its manifest.json); checks one decoy per target")
    p.add_argument("--levels", type=float, nargs="+", default=[0.0, 0.01, 0.05],
                   help="FDR levels (fractions) counted in summary.json; 0 = above every decoy")
    p.add_argument("--skip-balance-check", action="store_true",
                   help="do not refuse a decoy share of winners far above one half or zero decoy "
                        "winners (a run without any decoy is always refused)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from specsweep.fdr.stage import run_fdr
    run_fdr(args.candidates, args.spectra, args.output_dir, db=args.db, levels=args.levels,
            check_balance=not args.skip_balance_check)
    return 0
