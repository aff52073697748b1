"""``specsweep rescore`` and ``specsweep train-rescorer``."""

from __future__ import annotations

import logging
from pathlib import Path

from specsweep.params.options import add_model_options, stage_parser

log = logging.getLogger("specsweep.rescore")


def register(subparsers) -> None:
    p = stage_parser(subparsers, "rescore", _run,
                     help="re-rank candidates with all the evidence; posterior error probabilities")
    p.add_argument("--candidates", required=True, help="candidates.parquet from `specsweep search`")
    p.add_argument("--spectra", required=True, help="spectra folder from `specsweep ingest`")
    p.add_argument("--output", required=True, help="rescored candidates parquet (schema RESCORED)")
    add_model_options(p, "rescoring model", "train-rescorer", " ([M+H]+ training)", " ([M-H]- training)")
    p.add_argument("--formulas", default=None,
                   help="formulas.parquet from `specsweep formula`: evidence for a model trained "
                        "with it (train-rescorer --formulas; the shipped models do not read it, "
                        "docs/fdr.md)")
    p.add_argument("--summary", default=None, help="summary JSON (default <output stem>.summary.json)")
    p.add_argument("--search-summary", default=None,
                   help="the search's summary JSON (default <candidates stem>.summary.json); "
                        "checked against the search each model was trained on")
    p.add_argument("--allow-other-search", action="store_true",
                   help="use the models even when the candidates were scored with another "
                        "score model or other matching settings than their training candidates "
                        "(warns; the PEPs are then unchecked)")

    t = stage_parser(subparsers, "train-rescorer", _train,
                     help="train the rescoring model on known-answer candidates")
    t.add_argument("--candidates", nargs="+", required=True,
                   help="candidates parquet files of the training spectra (keep many candidates: "
                        "search with a large --top-k)")
    t.add_argument("--spectra", nargs="+", required=True,
                   help="the annotated spectra searched (ingest folders or parts)")
    t.add_argument("--exclude-spectra", nargs="+", required=True,
                   help="spectra (ingest folders, parts or MGF/mzML files) whose compounds must "
                        "never be trained on, e.g. the evaluation set")
    t.add_argument("--output", required=True, help="rescoring model JSON")
    t.add_argument("--map-candidates", nargs="+", default=[],
                   help="optional: candidates of annotated spectra searched against another "
                        "(larger) database; the PEP map (docs/fdr.md) also learns from them, so "
                        "that it holds for databases of that size too (ranker and PEP model do not)")
    t.add_argument("--map-spectra", nargs="+", default=[],
                   help="the annotated spectra of --map-candidates (ingest folders or parts)")
    t.add_argument("--formulas", nargs="+", default=[],
                   help="optional: formulas.parquet of `specsweep formula` run on the training "
                        "spectra with their precursor m/z moved by the training's seeded error "
                        "(docs/fdr.md); the model then reads the formula evidence")
    t.add_argument("--map-formulas", nargs="+", default=[],
                   help="with --formulas and --map-candidates: the same for the map's spectra")


def _run(args) -> int:
    """Computes evidence features of every candidate within its list (a spectrum's targets, or its
    decoys): score, explained intensity and peaks, gaps to the next and best other candidate and
    to the best isomer, candidates and isomers in the window, precursor error, formula-stage
    agreement. Re-ranks each list by the rescoring model of the spectrum's ion mode (--model,
    --negative-model) and gives each spectrum's top target a
    posterior error probability (PEP: probability that it is not the right structure, first
    InChIKey block), with class frequencies re-estimated on this dataset, and a q-value (mean PEP
    of the hits accepted with it). See docs/fdr.md."""
    from specsweep.rescore.stage import run_rescore
    run_rescore(args.candidates, args.spectra, args.output,
                None if args.model == "default" else args.model, args.formulas, args.summary,
                negative_model_path=args.negative_model, search_summary=args.search_summary,
                allow_other_search=args.allow_other_search)
    return 0


def _annotations(paths) -> dict[str, str | None]:
    from specsweep.spectra.ingest import load_spectra
    t = load_spectra([str(p) for p in paths], columns=["spectrum_id", "annotation_inchikey14"])
    return dict(zip(t.column("spectrum_id").to_pylist(), t.column("annotation_inchikey14").to_pylist()))


def _train(args) -> int:
    """Trains the candidate ranker (conditional logit) and the PEP model (three-class logistic
    regression: right / outranked / absent) on candidates of spectra with reference structures.
    Every spectrum whose compound (InChIKey first block) is in --exclude-spectra is dropped
    first, and training refuses to run if one remains. Regularisation is chosen on a validation
    part (20 % of the compounds by a hash of their key)."""
    from specsweep.rescore.training import train, training_set
    excluded = {k for k in _annotations(args.exclude_spectra).values() if k}
    if not excluded:
        raise ValueError(f"{args.exclude_spectra}: no annotated compound to exclude; give the "
                         "evaluation spectra (with reference structures)")
    data, validation, info = training_set(args.candidates, args.spectra, excluded, args.formulas)
    others = []
    if args.map_candidates or args.map_spectra:
        if not (args.map_candidates and args.map_spectra):
            raise ValueError("--map-candidates and --map-spectra go together")
        if bool(args.formulas) != bool(args.map_formulas):
            raise ValueError("--formulas and --map-formulas go together (the map learns from the "
                             "same evidence as the model)")
        other, _, other_info = training_set(args.map_candidates, args.map_spectra, excluded, args.map_formulas)
        others.append(other)
        info["pep_map_also_from"] = {k: other_info[k] for k in ("trained_on", "search")}
    model = train(data, validation, info, other_databases=others)
    model.save(Path(args.output))
    log.info("rescoring model written to %s (%s)", args.output,
             {k: model.info[k] for k in ("trained_on", "excluded", "ranker_l2", "pep_l2")})
    return 0
