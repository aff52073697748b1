"""``specsweep report``: the self-contained HTML report over a results folder."""

from __future__ import annotations


from specsweep.params.options import add_options, from_args, stage_parser
from specsweep.params.stages import ReportParams


def register(subparsers) -> None:
    p = stage_parser(subparsers, "report", run,
                     help="write a self-contained HTML report of a results folder")
    p.add_argument("--results-dir", required=True, help="results folder written by the workflow")
    p.add_argument("--output", required=True, help="HTML file to write")
    p.add_argument("--datasets", nargs="+", default=None,
                   help="datasets to include (default: every folder under RESULTS/datasets)")
    add_options(p, ReportParams)


def run(args) -> int:
    """Counts, score distributions, estimated-FDR curves, annotated spectra of the top
    identifications (peaks explained by a fragment highlighted) and formula trees, for each
    dataset under RESULTS/datasets/. Images are inlined as PNG."""
    import logging
    from pathlib import Path

    from specsweep.contracts.fragment_db import FragmentDatabase
    from specsweep.contracts.results import ResultsLayout
    from specsweep.files import write_text
    from specsweep.report.collect import find_datasets, load_dataset
    from specsweep.report.html import build_report

    results = Path(args.results_dir)
    names = args.datasets or find_datasets(ResultsLayout(results))
    if not names:
        raise ValueError(f"{results}: no datasets found under {results / 'datasets'}")
    opts = from_args(ReportParams, args)
    layout = ResultsLayout(results)
    params = FragmentDatabase(layout.database).fragment_params()  # explained peaks as the database cuts
    datasets = [load_dataset(layout, name, formulas=opts.formulas, translations=opts.translations)
                for name in names]
    page = build_report(results, datasets, opts.top_spectra, opts.fragment.fragment_tol, params)
    write_text(page, args.output)
    logging.getLogger("specsweep.report").info("wrote %s (%d datasets, %.0f kB)", args.output,
                                               len(datasets), len(page) / 1024)
    return 0
