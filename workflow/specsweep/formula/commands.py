"""``specsweep formula``: rank molecular formulas for every spectrum with fragmentation trees."""

from __future__ import annotations

import argparse
import logging

from specsweep.params.options import add_options, from_args
from specsweep.params.stages import FormulaStageParams

log = logging.getLogger("specsweep.formula")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "formula",
        help="molecular formulas from MS/MS by fragmentation trees (SIRIUS 3 scoring)",
        description="For each spectrum: candidate formulas by mass decomposition, one fragmentation tree "
                    "per candidate (maximum colorful subtree; heuristic for all, ILP for the best), ranked "
                    "by posterior score. Every spectrum gets at least one row; its status is ok, timeout "
                    "or no_candidates.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
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
                   help="adducts to try (e.g. [M+H]+ [M+Na]+); default: the spectrum's own, else [M+H]+ / [M-H]-")
    add_options(p, FormulaStageParams)
    p.add_argument("--ilp-backend", default="highs", choices=["highs", "pulp"],
                   help="HiGHS through highspy, or PuLP (HiGHS or CBC)")
    p.add_argument("--no-recalibration", action="store_true", help="skip hypothesis-driven recalibration")
    p.add_argument("--element-ratios", default="extended", choices=["extended", "common", "off"],
                   help="element-to-carbon bounds for candidate molecules (Kind & Fiehn 2007 ranges; docs/formula.md)")
    p.add_argument("--no-even-electron", action="store_true",
                   help="also allow odd-electron molecules (half-integer RDBE) for [M+H]+, [M-H]-, ... ions")
    p.set_defaults(func=run)


def run(args) -> int:
    import json
    from dataclasses import replace

    import pyarrow as pa

    from specsweep.files import write_table, write_text
    from specsweep.formula.identify import FormulaSettings, identify
    from specsweep.formula.alphabet import Alphabet
    from specsweep.formula.rules import RuleSettings
    from specsweep.formula.scoring import get_profile
    from specsweep.progress import progress
    from specsweep.schema import FORMULAS
    from specsweep.spectra.parts import read_spectra

    opts = from_args(FormulaStageParams, args)
    alphabet = Alphabet.parse(args.elements)
    params = get_profile(args.profile, priors=args.priors, allowed_ppm=opts.ppm)
    settings = FormulaSettings(alphabet=str(alphabet), priors=args.priors, params=params, ilp_top=opts.ilp_top,
                               report_top=opts.report_top, time_limit_s=opts.time_limit_s,
                               ilp_backend=args.ilp_backend,
                               rules=RuleSettings(even_electron=not args.no_even_electron,
                                                  element_ratios=args.element_ratios != "off",
                                                  ratio_range="extended" if args.element_ratios == "off"
                                                  else args.element_ratios))
    if args.no_recalibration:
        settings = replace(settings, recalibrate_top=0)
    table = read_spectra(args.spectra, columns=["spectrum_id", "precursor_mz", "ion_mode", "adduct", "mz", "intensity"])
    rows, trees, counts = [], [], {"ok": 0, "timeout": 0, "no_candidates": 0}
    for rec in progress(table.to_pylist(), total=table.num_rows, desc="formula", unit="spectra"):
        adducts = args.adducts or ([rec["adduct"]] if rec["adduct"] else None)
        try:
            status, out = identify(rec["precursor_mz"], rec["mz"], rec["intensity"], adducts, alphabet, settings,
                                   ion_mode=rec["ion_mode"] or "positive")
        except ValueError as exc:  # e.g. an adduct name we do not know
            log.warning("%s: %s", rec["spectrum_id"], exc)
            status, out = "no_candidates", []
        counts[status] = counts.get(status, 0) + 1
        if not out:
            rows.append({"spectrum_id": rec["spectrum_id"], "rank": None, "formula": None, "adduct": None,
                         "score": None, "tree_score": None, "mass_error_ppm": None, "n_explained_peaks": 0,
                         "explained_intensity": 0.0, "method": "none", "status": status, "tree_json": None})
            continue
        for r in out:
            rows.append({"spectrum_id": rec["spectrum_id"], **r})
        if args.trees and out[0]["tree_json"]:
            trees.append(json.dumps({"spectrum_id": rec["spectrum_id"], "formula": out[0]["formula"],
                                     "status": status, "tree": json.loads(out[0]["tree_json"])}, sort_keys=True))
    cols = {name: [r.get(name) for r in rows] for name in FORMULAS.names}
    write_table(pa.table(cols, schema=FORMULAS), args.output, schema=FORMULAS)
    if args.trees:
        write_text("\n".join(trees) + ("\n" if trees else ""), args.trees)
    log.info("formula: %d spectra (%s) -> %s", table.num_rows,
             ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), args.output)
    return 0
