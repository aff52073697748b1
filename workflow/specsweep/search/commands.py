"""``specsweep search``: score spectra against a fragmented database (MPI-aware)."""

from __future__ import annotations

import logging

from specsweep.params.options import add_model_options, add_options, from_args, stage_parser
from specsweep.params.stages import SearchStageParams

log = logging.getLogger("specsweep.search")


def register(subparsers) -> None:
    p = stage_parser(subparsers, "search", run,
                     help="score spectra against a fragmented database (runs under mpiexec too)")
    p.add_argument("--spectra", nargs="+", required=True,
                   help="spectra parts (SPECTRA parquet files or ingest output directories)")
    p.add_argument("--db", required=True, help="database directory written by `specsweep fragment`")
    add_model_options(p, "model", "train-model")
    p.add_argument("--output", required=True, help="candidates parquet (schema CANDIDATES)")
    add_options(p, SearchStageParams)
    p.add_argument("--summary", default=None, help="summary JSON (default <output stem>.summary.json)")
    p.add_argument("--rejects", default=None,
                   help="spectra without candidates (default <output stem>.rejects.parquet)")
    p.add_argument("--mpi", choices=("auto", "on", "off"), default="auto",
                   help="auto: use MPI when started by mpiexec/srun")


def run(args) -> int:
    """Candidates are database molecules whose neutral mass fits the precursor for an adduct tried;
    each is scored with the logRank log-likelihood ratio (molDiscovery). Work units (spectra part
    x database shard) are spread over MPI ranks when launched with mpiexec/srun; output is
    identical for any number of ranks. Spectra are searched in passes of whole parts
    (--spectra-per-pass), each written before the next starts, so memory is bounded by one pass."""
    from specsweep.model.tables import default_model_path, load_model, model_record
    from specsweep.search.driver import SearchParams, get_comm, search

    comm = get_comm(args.mpi)
    pos_path = default_model_path("positive") if args.model == "default" else args.model
    model = load_model(pos_path)
    info = {"positive": model_record(model, pos_path)}
    negative = None
    if args.negative_model != "same":
        neg_path = default_model_path("negative") if args.negative_model == "default" else args.negative_model
        negative = load_model(neg_path)
        info["negative"] = model_record(negative, neg_path)
    else:
        info["negative"] = dict(info["positive"], note="positive-mode model used for negative spectra")
    for mode, rec in info.items():
        for c, entry in rec["charges"].items():
            if "falls_back_to_charge" in entry:
                log.info("%s mode, charge %s: %s", mode, c, entry["note"])
    params = SearchParams.from_stage(from_args(SearchStageParams, args), model)
    done = search(args.spectra, args.db, model, params, args.output, comm,
                  summary_path=args.summary, rejects_path=args.rejects, negative_model=negative,
                  model_info=info, verify_checksums=from_args(SearchStageParams, args).verify_checksums,
                  model_name=args.model)
    if done is None:
        return 0
    summary, timing = done
    log.info("%d spectra, %d with candidates, %d pairs scored on %d rank(s) in %d pass(es): %s",
             summary["spectra"], summary["spectra_with_candidates"], summary["pairs_scored"],
             timing["ranks"], summary["passes"], args.output)
    log.info("search seconds per rank (plan, read, score; without start-up, merges and writing): "
             "wall %s, cpu %s", [r["seconds"] for r in timing["per_rank"]],
             [r["cpu_seconds"] for r in timing["per_rank"]])
    return 0
