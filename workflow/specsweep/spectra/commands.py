"""``specsweep ingest``: spectrum files (MGF, mzML, mzXML; folders; .gz) -> spectra parts."""

from __future__ import annotations

import argparse

from specsweep.params.options import add_options, from_args
from specsweep.params.stages import IngestParams


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "ingest", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        help="read MGF/mzML/mzXML spectra into processed Parquet parts",
        description="Read spectra (files or folders searched recursively for .mgf, .mzML, .mzXML, "
                    "optionally .gz) into OUTPUT_DIR/part-NNNNN.parquet (schema SPECTRA), "
                    "OUTPUT_DIR/rejects.parquet (reason per unusable record) and OUTPUT_DIR/manifest.json. "
                    "Peaks: intensity <= 0 and the precursor region are removed, the TOP_N most intense "
                    "kept, each gets its intensity rank and logRank.")
    p.add_argument("--input", nargs="+", required=True, metavar="PATH",
                   help="spectrum files or folders")
    p.add_argument("--output-dir", required=True, help="spectra folder to write (replaced if it exists)")
    add_options(p, IngestParams)
    p.set_defaults(func=run)


def run(args) -> int:
    from specsweep.spectra.ingest import ingest
    ingest(args.input, args.output_dir, from_args(IngestParams, args))
    return 0
