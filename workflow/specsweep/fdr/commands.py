"""``specsweep fdr``: target-decoy competition and q-values over one dataset's merged candidates."""

from __future__ import annotations


from specsweep.params.options import add_options, from_args, stage_parser
from specsweep.params.stages import FdrParams


def register(subparsers) -> None:
    p = stage_parser(subparsers, "fdr", _run,
                     help="target-decoy FDR: q-values per spectrum and per compound")
    p.add_argument("--candidates", required=True, nargs="+",
                   help="candidates.parquet from `specsweep search` (or rescored.parquet from "
                        "`specsweep rescore`); several: one per dataset, merged into one "
                        "repository-wide FDR")
    p.add_argument("--spectra", required=True, nargs="+",
                   help="spectra directory from `specsweep ingest` (parts, rejects.parquet, "
                        "manifest.json); one per candidates file, in the same order")
    p.add_argument("--dataset-names", nargs="+", default=None,
                   help="with several candidates files: one distinct name per dataset (spectrum "
                        "ids become NAME/spectrum_id in the merged outputs)")
    p.add_argument("--output-dir", required=True, help="output directory")
    p.add_argument("--db", default=None,
                   help="database directory (or its manifest.json); checks one decoy per target")
    add_options(p, FdrParams)
    p.add_argument("--skip-balance-check", action="store_true",
                   help="do not refuse a decoy share of winners far above one half or zero decoy "
                        "winners (a run without any decoy is always refused)")


def _run(args) -> int:
    """Target-decoy competition per spectrum (best hit wins, ties go to the decoy), q-values (D+1)/T
    made monotone, and a picked competition per compound. Run once on the merged candidates of a
    whole dataset, never per shard. Writes OUTPUT_DIR/identifications.parquet,
    identifications.tsv and summary.json."""
    from specsweep.fdr.stage import run_fdr
    params = from_args(FdrParams, args)
    one = len(args.candidates) == 1 and len(args.spectra) == 1
    run_fdr(args.candidates[0] if one else args.candidates, args.spectra[0] if one else args.spectra,
            args.output_dir, db=args.db, levels=params.levels, accept_level=params.accept_level,
            accept_measure=params.accept_measure, check_balance=not args.skip_balance_check,
            dataset_names=args.dataset_names)
    return 0
