"""Spectra parts: ``part-NNNNN.parquet`` files of schema ``SPECTRA`` with a fixed number of rows.

:class:`PartWriter` collects processed spectra column by column (peak arrays are concatenated,
never turned into Python objects) and writes a part every ``part_size`` spectra.
:func:`read_spectra` reads a folder whole; the folder's layout is
:class:`specsweep.contracts.spectra_folder.SpectraFolder`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from specsweep.files import read_table, sha256_file, write_table
from specsweep.schema import SPECTRA

from specsweep.contracts.spectra_folder import MANIFEST, PART_GLOB, REJECTS, SpectraFolder, part_name  # noqa: F401

_SCALARS = ["spectrum_id", "source_file", "index", "scan", "feature_id", "title", "precursor_mz", "charge",
            "ion_mode",
            "adduct", "rt_seconds", "n_peaks_raw", "annotation_smiles", "annotation_inchikey14",
            "annotation_formula"]
_LISTS = {"mz": np.float64, "intensity": np.float32, "rank": np.int16, "log_rank": np.int8}


def list_parts(spectra_dir: str | Path) -> list[Path]:
    """Part files of a spectra folder, in order."""
    return SpectraFolder(spectra_dir).parts()


def read_manifest(spectra_dir: str | Path) -> dict:
    return SpectraFolder(spectra_dir).read_manifest()


def read_spectra(spectra_dir_or_parts: str | Path | list, columns: list[str] | None = None) -> pa.Table:
    """All parts of a spectra folder (or one part file, or a list of part files) as one table,
    schema-checked."""
    if isinstance(spectra_dir_or_parts, (list, tuple)):
        files = [Path(p) for p in spectra_dir_or_parts]
    else:
        path = Path(spectra_dir_or_parts)
        files = list_parts(path) if path.is_dir() else [path]
    tables = [read_table(f, SPECTRA, columns=columns) for f in files]
    if not tables:
        names = columns or SPECTRA.names
        return pa.schema([SPECTRA.field(n) for n in names]).empty_table()
    return pa.concat_tables(tables)


class PartWriter:
    """Buffer spectra and write them as fixed-size parts into ``out_dir``."""

    def __init__(self, out_dir: Path, part_size: int):
        if part_size < 1:
            raise ValueError(f"part size must be >= 1, got {part_size}")
        self.out_dir = Path(out_dir)
        self.part_size = part_size
        self.parts: list[dict] = []
        self._reset()

    def _reset(self):
        self._rows = {k: [] for k in _SCALARS}
        self._peaks = {k: [] for k in _LISTS}
        self._lengths: list[int] = []

    def add(self, row: dict, mz: np.ndarray, intensity: np.ndarray, rank: np.ndarray,
            log_rank: np.ndarray) -> None:
        """Add one spectrum: ``row`` holds the scalar columns, the arrays its processed peaks."""
        for k in _SCALARS:
            self._rows[k].append(row.get(k))
        for k, arr in zip(_LISTS, (mz, intensity, rank, log_rank)):
            self._peaks[k].append(arr)
        self._lengths.append(len(mz))
        if len(self._lengths) >= self.part_size:
            self.flush()

    def flush(self) -> None:
        """Write buffered spectra (if any) as the next part."""
        if not self._lengths:
            return
        offsets = np.zeros(len(self._lengths) + 1, dtype=np.int32)
        np.cumsum(self._lengths, out=offsets[1:])
        cols = {k: pa.array(v, type=SPECTRA.field(k).type) for k, v in self._rows.items()}
        for k, dtype in _LISTS.items():
            values = np.concatenate(self._peaks[k]).astype(dtype, copy=False)
            cols[k] = pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))
        table = pa.table(cols)
        name = part_name(len(self.parts))
        path = write_table(table, self.out_dir / name, schema=SPECTRA)
        self.parts.append({"file": name, "n_spectra": len(self._lengths), "bytes": path.stat().st_size,
                           "sha256": sha256_file(path)})
        self._reset()
