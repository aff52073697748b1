"""``specsweep train-model``: learn the logRank model from annotated spectra."""

from __future__ import annotations

import logging
from pathlib import Path

from specsweep.params.options import add_options, from_args, stage_parser
from specsweep.params.stages import TrainModelParams

log = logging.getLogger("specsweep.model")


def register(subparsers) -> None:
    p = stage_parser(subparsers, "train-model", run,
                     help="learn the logRank scoring model from spectra with known structures")
    p.add_argument("--spectra", nargs="+", required=True,
                   help="annotated spectra: parts, ingest folders or raw spectrum files")
    p.add_argument("--output", required=True, help="model JSON")
    p.add_argument("--exclude-spectra", nargs="+", default=None,
                   help="spectra whose compounds (InChIKey first block) are left out of training")
    add_options(p, TrainModelParams)


def run(args) -> int:
    """Annotates each reference structure's fragmentation graph with the logRank of matching peaks
    and counts (bondType, parent logRank, logRank) (molDiscovery, Cao et al. 2021). Spectra may
    be ingested parts (SPECTRA parquet or ingest folders) or raw MGF/mzML/mzXML files, which are
    ingested first with the peak settings given here. The model records the ingest settings of
    its training spectra; the search refuses spectra processed otherwise."""
    from specsweep.contracts.spectra_folder import ingest_settings
    from specsweep.model.fit import annotated_keys, file_record, fit
    from specsweep.model.tables import save_model
    from specsweep.params.stages import IngestParams
    from specsweep.progress import progress
    from specsweep.spectra.ingest import ingested_parts

    params = from_args(TrainModelParams, args)
    ingest = IngestParams(peaks=params.peaks)
    exclude: set[str] = set()
    if args.exclude_spectra:
        with ingested_parts(args.exclude_spectra, ingest) as parts:
            exclude = annotated_keys(parts)
    with ingested_parts(args.spectra, ingest) as parts:
        model, stats = fit(parts, exclude_keys=exclude, fragment_params=params.fragmentation,
                           tol=params.fragment.fragment_tol, pseudo_count=params.pseudo_count,
                           null=params.null, progress=progress)
        model.params["ingest"] = ingest_settings(parts)
    model.params["training_files"] = [file_record(p) for p in args.spectra if Path(p).is_file()]
    model.params["exclude_files"] = [file_record(p) for p in args.exclude_spectra or []
                                     if Path(p).is_file()]
    model.params["excluded_compounds"] = len(exclude)
    save_model(model, args.output)
    log.info("model from %d spectra of %d compounds (%d excluded compounds left out): %s",
             stats["spectra_used"], stats["compounds_used"],
             stats["excluded_compounds_in_training_files"], args.output)
    return 0
