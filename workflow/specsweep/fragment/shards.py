"""Build the fragmented database: targets and their decoys in Parquet shards by neutral mass.

Shard k holds every molecule with ``k * width <= exact_mass < (k + 1) * width`` (fixed
boundaries, so adding molecules never moves others between shards). Rows are sorted by
(exact_mass, mol_id, is_decoy); a decoy sits next to its target. Row groups are small so a
search reads only the mass ranges it needs. Molecules are fragmented in worker processes in a
fixed order, and each finished shard (decoys, table, file) is built by a worker too; decoys are
seeded per molecule, so the files do not depend on the number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pyarrow as pa

from specsweep.fragment.graph import FragmentParams, fragment_smiles
from specsweep.schema import FRAGMENT_SHARD

ROW_GROUP_ROWS = 256
FRAGMENTATION_FAILED = "fragmentation_failed"

_WORKER: dict = {}


def _init_worker(params: dict, maker=None):
    _WORKER["params"] = FragmentParams.from_dict(params)
    _WORKER["maker"] = maker


def worker_pool(threads: int, params: FragmentParams, maker):
    """Processes that fragment molecules and build shards (``maker``: the DecoyMaker), or None for
    one process (then everything runs inline)."""
    if threads <= 1:
        _init_worker(params.to_dict(), maker)
        return None
    return Pool(threads, initializer=_init_worker, initargs=(params.to_dict(), maker))


def write_shard(path, builder: "ShardBuilder", min_mass: float, max_mass: float) -> dict:
    """Add decoys to one shard's targets and write the file; return its manifest entry."""
    from specsweep.files import sha256_file, write_table
    table = builder.table(_WORKER["maker"])
    write_table(table, path, row_group_size=ROW_GROUP_ROWS)
    masses = table.column("exact_mass").to_numpy()
    decoy = table.column("is_decoy").to_numpy(zero_copy_only=False)
    return {"file": Path(path).name, "min_mass": min_mass, "max_mass": max_mass,
            "first_mass": float(masses.min()), "last_mass": float(masses.max()),
            "n_targets": int((~decoy).sum()), "n_decoys": int(decoy.sum()),
            "bytes": Path(path).stat().st_size, "sha256": sha256_file(path)}


def _fragment_chunk(chunk):
    params = _WORKER["params"]
    out = []
    for mol_id, smiles in chunk:
        try:
            fg = fragment_smiles(smiles, params)
        except ValueError as exc:
            out.append((mol_id, None, str(exc)))
            continue
        out.append((mol_id, (fg.mass, fg.parent, fg.bond, fg.depth, fg.n_nodes, fg.complete), None))
    return out


def _list_array(values: list[np.ndarray], dtype) -> pa.Array:
    offsets = np.zeros(len(values) + 1, np.int32)
    np.cumsum([len(v) for v in values], out=offsets[1:])
    flat = np.concatenate(values).astype(dtype) if values else np.zeros(0, dtype)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat))


@dataclass
class _Graph:
    mass: np.ndarray
    parent: np.ndarray
    bond: np.ndarray
    depth: np.ndarray


@dataclass
class ShardBuilder:
    """Collects the targets of one shard; :meth:`table` adds their decoys and builds the rows.

    Decoys are made per shard because each decoy draws from its isomers' fragments
    (:meth:`specsweep.fragment.decoys.DecoyMaker.decoys`), and isomers always share a shard.
    """

    metas: list = field(default_factory=list)
    graphs: list = field(default_factory=list)
    n_nodes: list = field(default_factory=list)

    def add(self, meta: dict, mass, parent, bond, depth, n_nodes: int):
        self.metas.append(meta)
        self.graphs.append(_Graph(np.asarray(mass, np.float64), np.asarray(parent, np.int32),
                                  np.asarray(bond, np.int16), np.asarray(depth, np.int8)))
        self.n_nodes.append(int(n_nodes))

    def __len__(self):
        return len(self.metas)

    def table(self, maker) -> pa.Table:
        ids = [m["mol_id"] for m in self.metas]
        formulas = [m["formula"] for m in self.metas]
        decoys = list(maker.decoys(ids, formulas, self.graphs))
        cols = {n: [] for n in FRAGMENT_SHARD.names}
        for meta, g, dmass, n_nodes in zip(self.metas, self.graphs, decoys, self.n_nodes):
            for is_decoy, fmass in ((False, g.mass), (True, np.asarray(dmass, np.float64))):
                for key in ("mol_id", "inchikey14", "smiles", "formula", "exact_mass"):
                    cols[key].append(meta[key])
                cols["is_decoy"].append(is_decoy)
                cols["n_nodes"].append(n_nodes)
                cols["frag_mass"].append(fmass)
                cols["frag_parent"].append(g.parent)
                cols["frag_bond"].append(g.bond)
                cols["frag_depth"].append(g.depth)
        arrays = []
        for f in FRAGMENT_SHARD:
            if f.name.startswith("frag_"):
                arrays.append(_list_array(cols[f.name], f.type.value_type.to_pandas_dtype()))
            else:
                arrays.append(pa.array(cols[f.name], type=f.type))
        return pa.Table.from_arrays(arrays, schema=FRAGMENT_SHARD)


def shard_index(exact_mass: np.ndarray, width_da: float) -> np.ndarray:
    return np.floor(np.asarray(exact_mass) / width_da).astype(np.int64)


def iter_fragmented(molecules: pa.Table, order: np.ndarray, pool=None, chunk_size: int = 64, ahead: int = 8):
    """Yield (row index, (mass, parent, bond, depth, n_nodes, complete) or None, error) in ``order``,
    fragmenting in ``pool`` (from :func:`worker_pool`) or inline when it is None.

    At most ``ahead`` chunks are queued in the pool at a time, so tasks the caller adds to the
    same pool (shard building) start soon, and finished graphs do not pile up.
    """
    ids = molecules.column("mol_id").to_pylist()
    smiles = molecules.column("smiles").to_pylist()
    chunks = ([(ids[i], smiles[i]) for i in order[s:s + chunk_size]] for s in range(0, len(order), chunk_size))
    results = map(_fragment_chunk, chunks) if pool is None else _bounded_map(pool, chunks, ahead)
    pos = 0
    for res in results:
        for _mol_id, result, error in res:
            yield order[pos], result, error
            pos += 1


def _bounded_map(pool, chunks, ahead: int):
    """Results of ``_fragment_chunk`` over ``chunks`` (an iterator), in order, at most ``ahead`` queued."""
    from collections import deque
    from itertools import islice
    queued = deque(pool.apply_async(_fragment_chunk, (c,)) for c in islice(chunks, ahead))
    while queued:
        res = queued.popleft().get()
        for c in islice(chunks, 1):
            queued.append(pool.apply_async(_fragment_chunk, (c,)))
        yield res
