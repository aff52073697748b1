"""``specsweep ingest``: spectrum files (MGF, mzML, mzXML; folders; .gz) -> spectra parts."""

from __future__ import annotations

import argparse

from specsweep.spectra.peaks import DEFAULT_MAX_CHARGE, DEFAULT_PRECURSOR_WINDOW_TH, DEFAULT_TOP_N


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
    p.add_argument("--part-size", type=int, default=5000, help="spectra per part file")
    p.add_argument("--top-n", type=int, default=DEFAULT_TOP_N, help="most intense peaks kept per spectrum")
    p.add_argument("--precursor-window-th", type=float, default=DEFAULT_PRECURSOR_WINDOW_TH,
                   help="half-width of the precursor region removed, Th")
    p.add_argument("--max-charge", type=int, default=DEFAULT_MAX_CHARGE,
                   help="charge assumed for the precursor region when a spectrum has none (search tries 1..this)")
    p.add_argument("--default-ion-mode", choices=["positive", "negative"], default="positive",
                   help="ion mode when neither the file nor the charge sign gives one")
    p.set_defaults(func=run)


def run(args) -> int:
    from specsweep.spectra.ingest import IngestParams, ingest
    params = IngestParams(part_size=args.part_size, top_n=args.top_n,
                          precursor_window_th=args.precursor_window_th, max_charge=args.max_charge,
                          default_ion_mode=args.default_ion_mode)
    ingest(args.input, args.output_dir, params)
    return 0
