"""``specsweep formula``: rank molecular formulas for every spectrum with fragmentation trees."""

from __future__ import annotations

import logging

from specsweep.params.options import add_options, from_args, stage_parser
from specsweep.params.stages import FormulaStageParams

log = logging.getLogger("specsweep.formula")


def register(subparsers) -> None:
    p = stage_parser(subparsers, "formula", run,
                     help="molecular formulas from MS/MS by fragmentation trees (SIRIUS 3 scoring)")
    p.add_argument("--spectra", required=True, nargs="+",
                   help="spectra folders (parts from `specsweep ingest`) and/or part files, read part by part "
                        "in the order given (memory holds about one part, whatever the dataset's size)")
    p.add_argument("--output", required=True, help="formulas.parquet (schema FORMULAS)")
    p.add_argument("--trees", help="also write the best tree of each spectrum as JSON lines here")
    p.add_argument("--profile", default="qtof", choices=["qtof", "orbitrap"],
                   help="scoring profile (mass accuracy, tree size; SIRIUS 3.1.3 values)")
    p.add_argument("--priors", default="fitted", choices=["fitted", "sirius"],
                   help="prior tables: fitted from our training spectra on top of SIRIUS 3.1.3, or SIRIUS 3.1.3 only")
    p.add_argument("--root-prior", default=None, choices=["sirius", "learned", "both"],
                   help="precursor formula prior: SIRIUS 3's with element priors, the learned one (docs/formula.md, "
                        "'Root prior'), or their sum; default: learned with --priors fitted, sirius with --priors sirius")
    p.add_argument("--adducts", nargs="*", default=None,
                   help="adducts to try (e.g. [M+H]+ [M+Na]+); default: the spectrum's own, else the default set of "
                        "its ion mode (docs/adducts.md), each with its prior; the adduct is part of the answer")
    add_options(p, FormulaStageParams)
    p.add_argument("--threads", type=int, default=1,
                   help="worker processes (spectra are dealt out among them; the output does not depend on it)")
    p.add_argument("--ilp-backend", default="highs", choices=["highs", "pulp"],
                   help="HiGHS through highspy, or PuLP (HiGHS or CBC)")
    p.add_argument("--no-recalibration", action="store_true", help="skip hypothesis-driven recalibration and the per-candidate fragment mass shift")
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
    register_merge(subparsers)


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


def run(args) -> int:
    """For each spectrum: candidate formulas by mass decomposition, one fragmentation tree per
    candidate (maximum colorful subtree; heuristic for all, ILP for the best), ranked by
    posterior score. Work per spectrum is bounded by counts, not time, so results do not depend
    on machine load. Every spectrum gets at least one row; its status is ok, cut:<what>
    (candidates, graphs, exact) or no_candidates."""
    from dataclasses import replace

    from specsweep.contracts.spectra_folder import spectra_parts
    from specsweep.formula.alphabet import Alphabet
    from specsweep.formula.identify import FormulaSettings
    from specsweep.formula.ilp import ExactLimits
    from specsweep.formula.rules import RuleSettings, rare_bound
    from specsweep.formula.scoring import get_profile
    from specsweep.formula.stream import StageInputs, run_parts

    if args.threads < 1:
        raise SystemExit("formula: --threads must be at least 1")
    opts = from_args(FormulaStageParams, args)
    alphabet = Alphabet.parse(opts.elements)
    params = get_profile(args.profile, priors=args.priors, allowed_ppm=opts.ppm, root_prior=args.root_prior)
    rules = RuleSettings(even_electron=not args.no_even_electron, element_ratios=args.element_ratios != "off",
                         ratio_range="extended" if args.element_ratios == "off" else args.element_ratios,
                         max_rare_elements=rare_bound(opts.max_rare_elements))
    settings = FormulaSettings(alphabet=str(alphabet), priors=args.priors, params=params, ilp_top=opts.ilp_top,
                               report_top=opts.report_top, rerank_top=opts.rerank_top,
                               ilp_backend=args.ilp_backend, rules=rules,
                               max_candidates=opts.max_candidates, max_graph_work=opts.max_graph_work,
                               preselect_by_root=opts.preselect_by_root, preselect_by_bound=opts.preselect_by_bound,
                               exact=ExactLimits(mip_nodes=opts.ilp_max_nodes), lipid_rule=opts.lipid_rule,
                               halogen_rule=opts.halogen_rule)
    if args.no_recalibration:
        settings = replace(settings, recalibrate_top=0, max_shift_ppm=0.0)
    settings = replace(settings, ranker=_ranker_path(args))
    parts = spectra_parts(args.spectra)
    inputs = StageInputs(adducts=args.adducts, alphabet=alphabet, settings=settings, ms1=not args.no_ms1)
    done = run_parts(parts, inputs, args.output, trees=args.trees, processes=args.threads)
    log.info("formula: %d spectra in %d parts (%s; %d with an MS1 isotope pattern) -> %s", done["n_spectra"],
             len(parts), ", ".join(f"{k} {v}" for k, v in sorted(done["counts"].items())), done["n_ms1"],
             args.output)
    return 0


def register_merge(subparsers) -> None:
    p = stage_parser(subparsers, "formula-merge", run_merge,
                     help="join the formulas files of a dataset's spectra parts (scattered formula jobs) into one")
    p.add_argument("--inputs", required=True, nargs="+",
                   help="formulas.parquet files of `specsweep formula`, in spectrum (part) order")
    p.add_argument("--output", required=True, help="formulas.parquet (schema FORMULAS)")


def run_merge(args) -> int:
    """Concatenate the formulas files of consecutive spectra parts, in the order given, streamed by
    row group. The result has the same bytes as one `specsweep formula` run over all the parts."""
    from specsweep.formula.stream import merge_formulas
    rows = merge_formulas(args.inputs, args.output)
    log.info("formula-merge: %d files, %d rows -> %s", len(args.inputs), rows, args.output)
    return 0
