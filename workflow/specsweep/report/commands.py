"""``specsweep report``: the self-contained HTML report over a results folder."""

from __future__ import annotations

import argparse

from specsweep.params.options import add_options, from_args
from specsweep.params.stages import ReportParams


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report", help="write a self-contained HTML report of a results folder",
        description="Counts, score distributions, estimated-FDR curves, annotated spectra of the "
                    "top identifications (peaks explained by a fragment highlighted) and formula "
                    "trees, for each dataset under RESULTS/datasets/. Images are inlined as PNG.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--results-dir", required=True, help="results folder written by the workflow")
    p.add_argument("--output", required=True, help="HTML file to write")
    p.add_argument("--datasets", nargs="+", default=None,
                   help="datasets to include (default: every folder under RESULTS/datasets)")
    add_options(p, ReportParams)
    p.set_defaults(func=run)


def run(args) -> int:
    import json
    import logging
    from pathlib import Path

    from specsweep.files import write_text
    from specsweep.fragment.graph import FragmentParams
    from specsweep.report.collect import find_datasets, load_dataset
    from specsweep.report.html import build_report

    results = Path(args.results_dir)
    names = args.datasets or find_datasets(results)
    if not names:
        raise ValueError(f"{results}: no datasets found under {results / 'datasets'}")
    manifest = results / "db" / "fragments" / "manifest.json"
    params = FragmentParams()
    if manifest.exists():
        params = FragmentParams.from_dict(json.loads(manifest.read_text()).get("params", {}))
    datasets = [load_dataset(results, name) for name in names]
    opts = from_args(ReportParams, args)
    page = build_report(results, datasets, opts.top_spectra, opts.fragment.fragment_tol, params)
    write_text(page, args.output)
    logging.getLogger("specsweep.report").info("wrote %s (%d datasets, %.0f kB)", args.output,
                                               len(datasets), len(page) / 1024)
    return 0
