"""`specsweep fragment`: molecules.parquet -> fragmented database shards + manifest."""

from __future__ import annotations

import logging
from pathlib import Path

from specsweep.params.options import add_options, from_args, stage_parser
from specsweep.params.stages import FragmentStageParams

log = logging.getLogger("specsweep.fragment")


def register(sub) -> None:
    p = stage_parser(sub, "fragment", run,
                     help="build fragmentation graphs (targets + decoys) into mass-sorted Parquet shards")
    p.add_argument("--molecules", required=True, metavar="PARQUET", help="output of prepare-db")
    p.add_argument("--output-dir", required=True, metavar="DB", help="database directory to write")
    add_options(p, FragmentStageParams)
    p.add_argument("--threads", type=int, default=1, help="worker processes")


def run(args) -> int:
    """Fragment every molecule (metabolite graph, bridges and 2-cuts, bitsets), make one decoy per
    target, and write DB/shard-NNNN.parquet files by neutral mass with DB/manifest.json
    (parameters, counts, mass ranges, checksums)."""
    from specsweep.contracts.fragment_db import FILES as DB_FOLDER_FILES
    from specsweep.files import AtomicFolder, read_table
    from specsweep.schema import MOLECULES

    stage = from_args(FragmentStageParams, args)
    molecules = read_table(args.molecules, MOLECULES)
    if molecules.num_rows == 0:
        raise ValueError(f"{args.molecules}: no molecules")
    with AtomicFolder(args.output_dir, DB_FOLDER_FILES, "database") as out:
        manifest = _build(args, stage, molecules, out)
    counts = manifest["counts"]
    log.info("%d targets + %d decoys in %d shards (%d rejected, %d truncated)", counts["targets"],
             counts["decoys"], len(manifest["shards"]), counts["rejected"], counts["truncated_graphs"])
    return 0


def _build(args, stage, molecules, out: Path) -> dict:
    """Fragment ``molecules`` into shards, rejects and the manifest (written last) in ``out``."""
    import numpy as np

    from specsweep.fragment.decoys import DecoyMaker
    from specsweep.fragment.shards import (FRAGMENTATION_FAILED, ShardBuilder, iter_fragmented, shard_index,
                                           worker_pool, write_shard)
    from specsweep.progress import progress

    params = stage.fragmentation
    n = molecules.num_rows
    mass = molecules.column("exact_mass").to_numpy()
    ids = np.array(molecules.column("mol_id").to_pylist(), dtype=object)
    shard_of = shard_index(mass, stage.shard_width_da)
    order = np.lexsort((ids, mass, shard_of))

    log.info("decoy pool from %d molecules", min(n, stage.decoy_pool_molecules))
    maker = DecoyMaker.from_smiles(ids.tolist(), molecules.column("smiles").to_pylist(), params,
                                   seed=stage.decoy_seed, n_pool_molecules=stage.decoy_pool_molecules)
    meta_cols = {k: molecules.column(k).to_pylist() for k in ("mol_id", "inchikey14", "smiles", "formula")}
    shards, rejects, truncated = [], [], []
    n_fragments = 0
    builder, current = ShardBuilder(), None

    pool = worker_pool(args.threads, params, maker)
    pending: list = []  # shards being built by workers, oldest first

    def collect(keep: int):
        while len(pending) > keep:
            shards.append(pending.pop(0).get())

    def flush(k, b):
        if not len(b):
            return
        task = (out / f"shard-{k:04d}.parquet", b, k * stage.shard_width_da, (k + 1) * stage.shard_width_da)
        if pool is None:
            shards.append(write_shard(*task))
            return
        pending.append(pool.apply_async(write_shard, task))
        collect(args.threads)  # bounded memory: at most this many shards in flight

    try:
        bar = progress(total=n, desc="fragment", unit="mol")
        for row, result, error in iter_fragmented(molecules, order, pool, ahead=4 * max(1, args.threads)):
            bar.update(1)
            k = int(shard_of[row])
            if current is None:
                current = k
            if k != current:
                flush(current, builder)
                builder, current = ShardBuilder(), k
            if error is not None:
                rejects.append({"source": Path(args.molecules).name, "record": int(row),
                                "record_id": meta_cols["mol_id"][row], "reason": FRAGMENTATION_FAILED,
                                "detail": error[:200]})
                continue
            fmass, parent, bond, depth, n_nodes, complete = result
            if not complete:
                truncated.append(meta_cols["mol_id"][row])
            meta = {k2: v[row] for k2, v in meta_cols.items()}
            meta["exact_mass"] = float(mass[row])
            builder.add(meta, fmass, parent, bond, depth, n_nodes)
            n_fragments += len(fmass)
        bar.close()
        flush(current, builder)
        collect(0)
    except BaseException:
        if pool is not None:
            pool.terminate()
        raise
    finally:
        if pool is not None:
            pool.close()
            pool.join()

    return _finish(args, stage, maker, out, n, shards, rejects, truncated, n_fragments)


def _finish(args, stage, maker, out: Path, n: int, shards: list, rejects: list, truncated: list,
            n_fragments: int) -> dict:
    """Write the rejects and, last, the manifest of a built database; return the manifest."""
    import pyarrow as pa

    from specsweep.contracts.fragment_db import MANIFEST
    from specsweep.files import rejects_table, sha256_file, write_json, write_table
    from specsweep.schema import FRAGMENT_DB_FORMAT, REJECTS

    write_table(rejects_table(rejects) if rejects else pa.table({c: [] for c in REJECTS.names}, schema=REJECTS),
                out / "rejects.parquet", REJECTS)
    n_targets = sum(s["n_targets"] for s in shards)
    manifest = {
        "format": FRAGMENT_DB_FORMAT,
        "molecules": {"path": str(args.molecules), "sha256": sha256_file(args.molecules)},
        "params": {**stage.fragmentation.to_dict(), "shard_width_da": stage.shard_width_da},
        "decoys": maker.describe(),
        "counts": {"molecules_in": n, "targets": n_targets, "decoys": sum(s["n_decoys"] for s in shards),
                   "rejected": len(rejects), "target_fragments": n_fragments,
                   "truncated_graphs": len(truncated)},
        "truncated_mol_ids": truncated,
        "shards": shards,
    }
    assert n_targets + len(rejects) == n
    write_json(manifest, out / MANIFEST)
    return manifest
