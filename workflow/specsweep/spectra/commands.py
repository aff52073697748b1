"""``specsweep ingest``: spectrum files (MGF, mzML, mzXML; folders; .gz) -> spectra parts."""

from __future__ import annotations


from specsweep.params.options import add_options, from_args, stage_parser
from specsweep.params.stages import IngestParams


def register(subparsers) -> None:
    p = stage_parser(subparsers, "ingest", run,
                     help="read MGF/mzML/mzXML spectra into processed Parquet parts")
    p.add_argument("--input", nargs="+", required=True, metavar="PATH",
                   help="spectrum files or folders")
    p.add_argument("--output-dir", required=True, help="spectra folder to write (replaced if it exists)")
    add_options(p, IngestParams)


def run(args) -> int:
    """Read spectra (files or folders searched recursively for .mgf, .mzML, .mzXML, optionally .gz)
    into OUTPUT_DIR/part-NNNNN.parquet (schema SPECTRA), OUTPUT_DIR/rejects.parquet (reason per
    unusable record) and OUTPUT_DIR/manifest.json. Peaks: intensity <= 0 and the precursor region
    are removed, the TOP_N most intense kept, each gets its intensity rank and logRank."""
    from specsweep.spectra.ingest import ingest
    ingest(args.input, args.output_dir, from_args(IngestParams, args))
    return 0
