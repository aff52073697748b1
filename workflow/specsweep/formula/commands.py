"""``specsweep formula``: rank molecular formulas for every spectrum with fragmentation trees."""

from __future__ import annotations

import logging

from specsweep.params.options import add_options, from_args, stage_parser
from specsweep.params.stages import FormulaStageParams

log = logging.getLogger("specsweep.formula")


def register(subparsers) -> None:
    p = stage_parser(subparsers, "formula", run,
                     help="molecular formulas from MS/MS by fragmentation trees (SIRIUS 3 scoring)")
    p.add_argument("--spectra", required=True, help="spectra folder (parts from `specsweep ingest`) or one part file")
    p.add_argument("--output", required=True, help="formulas.parquet (schema FORMULAS)")
    p.add_argument("--trees", help="also write the best tree of each spectrum as JSON lines here")
    p.add_argument("--elements", default="CHNOPS",
                   help="element alphabet with optional upper bounds, e.g. CHNOP[5]S or CHNOPSClBr")
    p.add_argument("--profile", default="qtof", choices=["qtof", "orbitrap"],
                   help="scoring profile (mass accuracy, tree size; SIRIUS 3.1.3 values)")
    p.add_argument("--priors", default="fitted", choices=["fitted", "sirius"],
                   help="prior tables: fitted from our training spectra on top of SIRIUS 3.1.3, or SIRIUS 3.1.3 only")
    p.add_argument("--adducts", nargs="*", default=None,
                   help="adducts to try (e.g. [M+H]+ [M+Na]+); default: the spectrum's own, else the default set of "
                        "its ion mode (docs/adducts.md), each with its prior; the adduct is part of the answer")
    add_options(p, FormulaStageParams)
    p.add_argument("--threads", type=int, default=1, help="worker processes (spectra are split among them)")
    p.add_argument("--ilp-backend", default="highs", choices=["highs", "pulp"],
                   help="HiGHS through highspy, or PuLP (HiGHS or CBC)")
    p.add_argument("--no-recalibration", action="store_true", help="skip hypothesis-driven recalibration")
    p.add_argument("--no-ms1", action="store_true",
                   help="do not read precursor isotope patterns from the MS1 scans of mzML/mzXML source files "
                        "(by default each MS2 spectrum's pattern comes from the closest MS1 scan before it)")
    p.add_argument("--element-ratios", default="extended", choices=["extended", "common", "off"],
                   help="element-to-carbon bounds for candidate molecules (Kind & Fiehn 2007 ranges; docs/formula.md)")
    p.add_argument("--ranker", default=None, metavar="MODEL.json",
                   help="learned re-ranking model for each spectrum's --report-top candidates (default: the shipped "
                        "formula/data/formula_ranker.json; retrain with python -m specsweep.formula.ranker_training)")
    p.add_argument("--no-ranker", action="store_true",
                   help="report candidates in fragmentation-tree posterior order (no learned re-ranking)")
    p.add_argument("--no-even-electron", action="store_true",
                   help="also allow odd-electron molecules (half-integer RDBE) for [M+H]+, [M-H]-, ... ions")


def _empty_row(spectrum_id: str, status: str) -> dict:
    return {"spectrum_id": spectrum_id, "rank": None, "formula": None, "adduct": None, "score": None,
            "tree_score": None, "mass_error_ppm": None, "n_explained_peaks": 0, "explained_intensity": 0.0,
            "method": "none", "status": status, "tree_json": None}


def _one_spectrum(job) -> tuple[str, list[dict]]:
    """Rows of one spectrum (a worker task): (status, rows with spectrum_id)."""
    from specsweep.formula.identify import identify
    rec, adducts_opt, alphabet, settings, ms1 = job
    adducts = adducts_opt or ([rec["adduct"]] if rec["adduct"] else None)
    try:
        status, out = identify(rec["precursor_mz"], rec["mz"], rec["intensity"], adducts, alphabet, settings,
                               ion_mode=rec["ion_mode"] or "positive", ms1=ms1)
    except ValueError as exc:  # e.g. an adduct name we do not know
        log.warning("%s: %s", rec["spectrum_id"], exc)
        status, out = "no_candidates", []
    if not out:
        return status, [_empty_row(rec["spectrum_id"], status)]
    return status, [{"spectrum_id": rec["spectrum_id"], **r} for r in out]


def _ms1_patterns(records: list[dict]) -> list:
    """Per spectrum, its precursor's isotope pattern from the MS1 scans of its source file
    (:mod:`specsweep.formula.ms1`), or None (MGF input, no MS1 scan before it, file not found)."""
    from pathlib import Path

    from specsweep.formula.ms1 import has_ms1, precursor_patterns
    by_file: dict[str, dict[int, tuple[float, int]]] = {}
    for rec in records:
        if rec["source_file"] and has_ms1(rec["source_file"]):
            by_file.setdefault(rec["source_file"], {})[rec["index"]] = (rec["precursor_mz"], rec["charge"] or 1)
    found: dict[tuple[str, int], tuple] = {}
    for path, wanted in sorted(by_file.items()):
        if not Path(path).exists():
            log.warning("formula: %s not found: its %d spectra are ranked without MS1 isotope patterns",
                        path, len(wanted))
            continue
        for index, pattern in precursor_patterns(path, wanted).items():
            found[(path, index)] = pattern
    return [found.get((rec["source_file"], rec["index"])) for rec in records]


def _ranker_path(args) -> str | None:
    """The re-ranking model to use (checked here, before any spectrum), or None when off."""
    from specsweep.formula.ranker import DEFAULT_MODEL, RankerSchemaError, load_ranker
    if args.no_ranker:
        return None
    path = str(args.ranker or DEFAULT_MODEL)
    try:
        load_ranker(path)
    except (OSError, RankerSchemaError) as exc:
        raise SystemExit(f"formula: --ranker: {exc}") from None
    return path


def _map_spectra(jobs, n, threads: int):
    """Results of ``_one_spectrum`` in input order, with ``threads`` worker processes."""
    from specsweep.progress import progress
    if threads <= 1:
        yield from progress(map(_one_spectrum, jobs), total=n, desc="formula", unit="spectra")
        return
    import multiprocessing as mp
    with mp.get_context("fork").Pool(threads) as pool:
        yield from progress(pool.imap(_one_spectrum, jobs, chunksize=4), total=n, desc="formula", unit="spectra")


def run(args) -> int:
    """For each spectrum: candidate formulas by mass decomposition, one fragmentation tree per
    candidate (maximum colorful subtree; heuristic for all, ILP for the best), ranked by
    posterior score. Work per spectrum is bounded by counts, not time, so results do not depend
    on machine load. Every spectrum gets at least one row; its status is ok, cut:<what>
    (candidates, graphs, exact) or no_candidates."""
    import json
    from dataclasses import replace

    import pyarrow as pa

    from specsweep.files import write_table, write_text
    from specsweep.formula.alphabet import Alphabet
    from specsweep.formula.identify import FormulaSettings
    from specsweep.formula.ilp import ExactLimits
    from specsweep.formula.rules import RuleSettings
    from specsweep.formula.scoring import get_profile
    from specsweep.schema import FORMULAS
    from specsweep.spectra.parts import read_spectra

    if args.threads < 1:
        raise SystemExit("formula: --threads must be at least 1")
    opts = from_args(FormulaStageParams, args)
    alphabet = Alphabet.parse(args.elements)
    params = get_profile(args.profile, priors=args.priors, allowed_ppm=opts.ppm)
    rules = RuleSettings(even_electron=not args.no_even_electron, element_ratios=args.element_ratios != "off",
                         ratio_range="extended" if args.element_ratios == "off" else args.element_ratios)
    settings = FormulaSettings(alphabet=str(alphabet), priors=args.priors, params=params, ilp_top=opts.ilp_top,
                               report_top=opts.report_top, ilp_backend=args.ilp_backend, rules=rules,
                               max_candidates=opts.max_candidates, max_graph_work=opts.max_graph_work,
                               exact=ExactLimits(mip_nodes=opts.ilp_max_nodes))
    if args.no_recalibration:
        settings = replace(settings, recalibrate_top=0)
    settings = replace(settings, ranker=_ranker_path(args))
    table = read_spectra(args.spectra, columns=["spectrum_id", "source_file", "index", "precursor_mz", "charge",
                                                "ion_mode", "adduct", "mz", "intensity"])
    records = table.to_pylist()
    patterns = [None] * len(records) if args.no_ms1 else _ms1_patterns(records)
    n_ms1 = sum(p is not None for p in patterns)
    jobs = ((rec, args.adducts, alphabet, settings, ms1) for rec, ms1 in zip(records, patterns))
    rows, trees, counts = [], [], {}
    for status, out in _map_spectra(jobs, table.num_rows, args.threads):
        counts[status] = counts.get(status, 0) + 1
        rows.extend(out)
        if args.trees and out[0]["tree_json"]:
            trees.append(json.dumps({"spectrum_id": out[0]["spectrum_id"], "formula": out[0]["formula"],
                                     "status": status, "tree": json.loads(out[0]["tree_json"])}, sort_keys=True))
    cols = {name: [r.get(name) for r in rows] for name in FORMULAS.names}
    write_table(pa.table(cols, schema=FORMULAS), args.output, schema=FORMULAS)
    if args.trees:
        write_text("\n".join(trees) + ("\n" if trees else ""), args.trees)
    log.info("formula: %d spectra (%s; %d with an MS1 isotope pattern) -> %s", table.num_rows,
             ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), n_ms1, args.output)
    return 0
