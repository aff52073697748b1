"""Build the fragmented database: targets and their decoys in Parquet shards by neutral mass.

Shard k holds every molecule with ``k * width <= exact_mass < (k + 1) * width`` (fixed
boundaries, so adding molecules never moves others between shards). Rows are sorted by
(exact_mass, mol_id, is_decoy); a decoy sits next to its target. Row groups are small so a
search reads only the mass ranges it needs. Molecules are fragmented in worker processes in a
fixed order, so the files do not depend on the number of workers.
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


def _init_worker(params: dict, pool: np.ndarray, decoy_seed: int, decoy_options: dict):
    from specsweep.fdr.decoys import DecoyMaker
    _WORKER["params"] = FragmentParams.from_dict(params)
    _WORKER["decoys"] = DecoyMaker(pool, seed=decoy_seed, **decoy_options)


def _fragment_chunk(chunk):
    params = _WORKER["params"]
    maker = _WORKER["decoys"]
    out = []
    for mol_id, smiles in chunk:
        try:
            fg = fragment_smiles(smiles, params)
        except ValueError as exc:
            out.append((mol_id, None, str(exc)))
            continue
        decoy = maker.decoy(mol_id, fg.mass, fg.parent, fg.bond, fg.depth)
        out.append((mol_id, (fg.mass, fg.parent, fg.bond, fg.depth, decoy, fg.n_nodes, fg.complete), None))
    return out


def _list_array(values: list[np.ndarray], dtype) -> pa.Array:
    offsets = np.zeros(len(values) + 1, np.int32)
    np.cumsum([len(v) for v in values], out=offsets[1:])
    flat = np.concatenate(values).astype(dtype) if values else np.zeros(0, dtype)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat))


@dataclass
class ShardBuilder:
    """Collects rows of one shard and turns them into a FRAGMENT_SHARD table."""

    cols: dict = field(default_factory=lambda: {n: [] for n in FRAGMENT_SHARD.names})

    def add(self, meta: dict, is_decoy: bool, mass, parent, bond, depth, n_nodes: int):
        for key in ("mol_id", "inchikey14", "smiles", "formula", "exact_mass"):
            self.cols[key].append(meta[key])
        self.cols["is_decoy"].append(is_decoy)
        self.cols["n_nodes"].append(n_nodes)
        self.cols["frag_mass"].append(np.asarray(mass, np.float64))
        self.cols["frag_parent"].append(np.asarray(parent, np.int32))
        self.cols["frag_bond"].append(np.asarray(bond, np.int16))
        self.cols["frag_depth"].append(np.asarray(depth, np.int8))

    def __len__(self):
        return len(self.cols["mol_id"])

    def table(self) -> pa.Table:
        c = self.cols
        arrays = []
        for f in FRAGMENT_SHARD:
            if f.name.startswith("frag_"):
                arrays.append(_list_array(c[f.name], f.type.value_type.to_pandas_dtype()))
            else:
                arrays.append(pa.array(c[f.name], type=f.type))
        return pa.Table.from_arrays(arrays, schema=FRAGMENT_SHARD)


def shard_index(exact_mass: np.ndarray, width_da: float) -> np.ndarray:
    return np.floor(np.asarray(exact_mass) / width_da).astype(np.int64)


def iter_fragmented(molecules: pa.Table, order: np.ndarray, params: FragmentParams, pool: np.ndarray,
                    decoy_seed: int, decoy_options: dict, threads: int = 1, chunk_size: int = 64):
    """Yield (row index, result, error) for molecules in ``order``, fragmented with decoys."""
    ids = molecules.column("mol_id").to_pylist()
    smiles = molecules.column("smiles").to_pylist()
    chunks = [[(ids[i], smiles[i]) for i in order[s:s + chunk_size]] for s in range(0, len(order), chunk_size)]
    init_args = (params.to_dict(), pool, decoy_seed, decoy_options)
    pos = 0
    if threads > 1:
        with Pool(threads, initializer=_init_worker, initargs=init_args) as workers:
            for res in workers.imap(_fragment_chunk, chunks):
                for mol_id, result, error in res:
                    yield order[pos], result, error
                    pos += 1
    else:
        _init_worker(*init_args)
        for chunk in chunks:
            for mol_id, result, error in _fragment_chunk(chunk):
                yield order[pos], result, error
                pos += 1
