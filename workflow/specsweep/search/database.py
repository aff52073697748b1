"""Reading fragmented database shards: manifest, row-group selection, flat arrays.

Shards (written by ``specsweep fragment``) are sorted by ``exact_mass`` and cover fixed mass
ranges listed in ``manifest.json``. A search reads only the shards, and inside them only the
row groups (by their ``exact_mass`` min/max statistics), that can hold a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from specsweep.contracts.fragment_db import REMEDY as DB_REMEDY
from specsweep.contracts.fragment_db import FragmentDatabase, Shard
from specsweep.files import check_schema
from specsweep.schema import FRAGMENT_SHARD

ID_COLUMNS = ["mol_id", "is_decoy", "inchikey14", "smiles", "formula", "exact_mass"]
FRAG_COLUMNS = ["frag_mass", "frag_parent", "frag_bond", "frag_depth"]


def read_manifest(db_dir, verify_checksums: bool = False) -> tuple[list[Shard], dict]:
    """Shards of a database folder in manifest order, and the manifest (checked:
    :meth:`specsweep.contracts.fragment_db.FragmentDatabase.open`)."""
    return FragmentDatabase(db_dir).open(verify_checksums)


def _unreadable(path, exc: Exception) -> ValueError:
    return ValueError(f"{path}: database shard cannot be read ({type(exc).__name__}: {exc}); the "
                      f"file is corrupted (`search --verify-checksums` finds such files before a "
                      f"search starts). {DB_REMEDY}")


def row_group_ranges(path) -> np.ndarray:
    """(n_row_groups, 2) min/max exact_mass of each row group of a shard."""
    try:
        md = pq.ParquetFile(path).metadata
    except (OSError, pa.ArrowException) as exc:
        raise _unreadable(path, exc) from None
    col = md.schema.to_arrow_schema().get_field_index("exact_mass")
    out = np.empty((md.num_row_groups, 2))
    for g in range(md.num_row_groups):
        st = md.row_group(g).column(col).statistics
        if st is None or not st.has_min_max:
            out[g] = (-np.inf, np.inf)
        else:
            out[g] = (st.min, st.max)
    return out


def groups_for_windows(ranges: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[int]:
    """Row groups whose [min, max] mass overlaps any window [lo, hi]."""
    if lo.size == 0:
        return []
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], np.maximum.accumulate(hi[order])
    keep = []
    for g, (gmin, gmax) in enumerate(ranges):
        # windows with lo <= gmax; the largest hi among them must reach gmin
        n = np.searchsorted(lo, gmax, side="right")
        if n and hi[n - 1] >= gmin:
            keep.append(g)
    return keep


def _flat(col: pa.ChunkedArray, dtype) -> tuple[np.ndarray, np.ndarray]:
    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    offsets = arr.offsets.to_numpy().astype(np.int64)
    values = arr.values.to_numpy(zero_copy_only=False).astype(dtype, copy=False)
    values = values[offsets[0]:offsets[-1]]
    return np.ascontiguousarray(values), offsets - offsets[0]


@dataclass
class ShardBlock:
    """Rows of one shard as flat arrays (molecule r's fragments: frag_off[r]:frag_off[r+1])."""
    exact_mass: np.ndarray
    mol_id: np.ndarray        # str
    is_decoy: np.ndarray      # bool
    inchikey14: np.ndarray    # str
    smiles: np.ndarray        # str
    cation: np.ndarray        # bool: a permanent cation (formula ends in '+'), searched as [M]+ only
    frag_off: np.ndarray
    frag_mass: np.ndarray
    frag_parent: np.ndarray
    frag_bond: np.ndarray
    frag_depth: np.ndarray

    def __len__(self) -> int:
        return self.exact_mass.shape[0]


def load_block(path, row_groups: list[int] | None = None, targets_only: bool = False) -> ShardBlock:
    """Read the given row groups (all when None) of a shard into flat arrays."""
    try:
        pf = pq.ParquetFile(path)
        check_schema(pf.schema_arrow, FRAGMENT_SHARD, str(path))
        cols = ID_COLUMNS + FRAG_COLUMNS
        if row_groups is None:
            table = pf.read(columns=cols)
        else:
            table = pf.read_row_groups(row_groups, columns=cols)
    except (OSError, pa.ArrowException) as exc:
        raise _unreadable(path, exc) from None
    if targets_only:
        table = table.filter(pc.invert(table.column("is_decoy")))
    mass = table.column("exact_mass").to_numpy().astype(np.float64)
    if mass.size > 1 and np.any(np.diff(mass) < 0):
        raise ValueError(f"{path}: rows are not sorted by exact_mass")
    frag_mass, off = _flat(table.column("frag_mass"), np.float64)
    frag_parent, _ = _flat(table.column("frag_parent"), np.int32)
    frag_bond, _ = _flat(table.column("frag_bond"), np.int16)
    frag_depth, _ = _flat(table.column("frag_depth"), np.int8)
    return ShardBlock(
        exact_mass=np.ascontiguousarray(mass),
        mol_id=np.asarray(table.column("mol_id").to_pylist(), dtype=str),
        is_decoy=table.column("is_decoy").to_numpy(zero_copy_only=False).astype(bool),
        inchikey14=np.asarray(table.column("inchikey14").to_pylist(), dtype=object),
        smiles=np.asarray(table.column("smiles").to_pylist(), dtype=object),
        cation=pc.ends_with(table.column("formula"), "+").to_numpy(zero_copy_only=False).astype(bool),
        frag_off=off, frag_mass=frag_mass, frag_parent=frag_parent, frag_bond=frag_bond,
        frag_depth=frag_depth)
