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


def ingest_params(parts) -> list[dict]:
    """Peak-processing settings the training spectra went through (from ingest manifests):
    the model's logRanks mean the same only for spectra processed the same way."""
    from specsweep.contracts.spectra_folder import SpectraFolder
    seen = []
    for folder in sorted({SpectraFolder(Path(p).parent) for p in parts}, key=lambda f: f.path):
        if folder.manifest_path.is_file():
            params = folder.read_manifest().get("params", {})
            if params not in seen:
                seen.append(params)
    return seen


def run(args) -> int:
    """Annotates each reference structure's fragmentation graph with the logRank of matching peaks
    and counts (bondType, parent logRank, logRank) (molDiscovery, Cao et al. 2021). Spectra may
    be ingested parts (SPECTRA parquet or ingest folders) or raw MGF/mzML/mzXML files, which are
    ingested with default settings first."""
    from specsweep.model.fit import annotated_keys, file_record, fit
    from specsweep.model.tables import save_model
    from specsweep.progress import progress
    from specsweep.spectra.ingest import ingested_parts

    exclude: set[str] = set()
    if args.exclude_spectra:
        with ingested_parts(args.exclude_spectra) as parts:
            exclude = annotated_keys(parts)
    params = from_args(TrainModelParams, args)
    with ingested_parts(args.spectra) as parts:
        model, stats = fit(parts, exclude_keys=exclude, fragment_params=params.fragmentation,
                           tol=params.fragment.fragment_tol, pseudo_count=params.pseudo_count,
                           null=params.null, progress=progress)
        model.params["ingest"] = ingest_params(parts)
    model.params["training_files"] = [file_record(p) for p in args.spectra if Path(p).is_file()]
    model.params["exclude_files"] = [file_record(p) for p in args.exclude_spectra or []
                                     if Path(p).is_file()]
    model.params["excluded_compounds"] = len(exclude)
    save_model(model, args.output)
    log.info("model from %d spectra of %d compounds (%d excluded compounds left out): %s",
             stats["spectra_used"], stats["compounds_used"],
             stats["excluded_compounds_in_training_files"], args.output)
    return 0
