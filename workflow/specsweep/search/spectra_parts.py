"""Reading ingested spectra parts (schema SPECTRA) as flat peak arrays."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq


HEADER_COLUMNS = ["spectrum_id", "precursor_mz", "charge", "ion_mode", "adduct"]
PEAK_COLUMNS = ["mz", "intensity", "log_rank"]


def part_rows(parts) -> list[int]:
    """Spectra in each part, from the Parquet footer (no data read)."""
    return [pq.read_metadata(p).num_rows for p in parts]


def group_passes(rows: list[int], per_pass: int) -> list[list[int]]:
    """Indices of consecutive parts, grouped so that a group holds at most ``per_pass`` spectra.

    A part larger than ``per_pass`` forms a group of its own (parts are never split).
    """
    if per_pass < 1:
        raise ValueError(f"spectra per pass must be at least 1, got {per_pass}")
    groups: list[list[int]] = []
    current: list[int] = []
    held = 0
    for i, n in enumerate(rows):
        if current and held + n > per_pass:
            groups.append(current)
            current, held = [], 0
        current.append(i)
        held += n
    if current:
        groups.append(current)
    return groups


def read_header(path) -> dict:
    """Per-spectrum columns needed to plan a search (no peaks).

    ``spectrum_id`` stays an Arrow string array (no Python string per spectrum).
    """
    t = pq.read_table(path, columns=HEADER_COLUMNS)
    return {"spectrum_id": t.column("spectrum_id").combine_chunks(),
            "precursor_mz": t.column("precursor_mz").to_numpy().astype(np.float64),
            "charge": t.column("charge").to_numpy(zero_copy_only=False).astype(np.int64),
            "ion_mode": t.column("ion_mode").to_pylist(),
            "adduct": t.column("adduct").to_pylist()}


@dataclass
class PeakBlock:
    """Peaks of a part's spectra: spectrum s has peaks off[s]:off[s+1]."""
    off: np.ndarray
    mz: np.ndarray
    intensity: np.ndarray
    log_rank: np.ndarray


def read_peaks(path) -> PeakBlock:
    t = pq.read_table(path, columns=PEAK_COLUMNS)

    def flat(name, dtype):
        col = t.column(name)
        arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        off = arr.offsets.to_numpy().astype(np.int64)
        vals = arr.values.to_numpy(zero_copy_only=False).astype(dtype, copy=False)
        return np.ascontiguousarray(vals[off[0]:off[-1]]), off - off[0]

    mz, off = flat("mz", np.float64)
    intensity, off_i = flat("intensity", np.float64)
    log_rank, off_l = flat("log_rank", np.int8)
    if not (np.array_equal(off, off_i) and np.array_equal(off, off_l)):
        raise ValueError(f"{path}: mz, intensity and log_rank lists differ in length")
    inner = np.ones(mz.shape[0], bool)
    starts = off[1:-1]
    inner[starts[starts < mz.size]] = False  # a spectrum's first peak starts afresh
    if mz.size > 1 and np.any((np.diff(mz) < 0) & inner[1:]):
        raise ValueError(f"{path}: peak m/z not ascending within a spectrum")
    return PeakBlock(off, mz, intensity, log_rank)
