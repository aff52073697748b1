"""Rank 0's output files of a search: candidates and rejects appended pass by pass, summary JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from specsweep.files import AppendedParquet, rejects_table, write_json
from specsweep.schema import CANDIDATES, REJECTS
from specsweep.search import topk


def hits_table(hits: dict, spectrum_ids: pa.Array) -> pa.Table:
    return pa.table({
        "spectrum_id": spectrum_ids.take(pa.array(hits["spec"], pa.int64())),
        "rank": pa.array(topk.ranks(topk.list_key(hits)), pa.int32()),
        "mol_id": pa.array(hits["mol_id"].tolist(), pa.string()),
        "is_decoy": pa.array(hits["is_decoy"], pa.bool_()),
        "inchikey14": pa.array(hits["inchikey14"].tolist(), pa.string()),
        "smiles": pa.array(hits["smiles"].tolist(), pa.string()),
        "exact_mass": pa.array(hits["exact_mass"], pa.float64()),
        "adduct": pa.array(hits["adduct"].tolist(), pa.string()),
        "charge": pa.array(hits["charge"], pa.int8()),
        "precursor_error_ppm": pa.array(hits["precursor_error_ppm"], pa.float64()),
        "score": pa.array(hits["score"], pa.float64()),
        "n_matched_peaks": pa.array(hits["n_matched_peaks"], pa.int32()),
        "explained_intensity": pa.array(hits["explained_intensity"], pa.float64()),
    }, schema=CANDIDATES)


class SearchOutputs:
    """Rank 0's files: candidates and rejects (spectra without candidates) appended pass by
    pass, and the summary JSON written once at the end. Counts what it wrote: ``spectra``,
    ``with_candidates``, ``rows``."""

    def __init__(self, output, summary_path=None, rejects_path=None):
        self.spectra = self.with_candidates = self.rows = 0
        output = Path(output)
        stem = output.name.removesuffix(".parquet")
        self.summary_path = Path(summary_path or output.with_name(f"{stem}.summary.json"))
        self.candidates = AppendedParquet(output, CANDIDATES)
        try:
            self.rejects = AppendedParquet(
                rejects_path or output.with_name(f"{stem}.rejects.parquet"), REJECTS)
        except BaseException:
            self.candidates.discard()
            raise

    def append(self, hits: dict, spectrum_ids: pa.Array) -> None:
        """Write one pass's merged top-k and its spectra without candidates."""
        table = hits_table(hits, spectrum_ids)
        has_hit = np.zeros(len(spectrum_ids), bool)
        has_hit[hits["spec"]] = True
        missing = spectrum_ids.filter(pa.array(~has_hit)).to_pylist()
        self.candidates.append(table)
        self.rejects.append(rejects_table([
            {"source": "search", "record": None, "record_id": sid, "reason": "no_candidates",
             "detail": "no database molecule within the precursor tolerance for any adduct tried "
                       "explains a fragment peak"}
            for sid in missing]))
        self.spectra += len(spectrum_ids)
        self.with_candidates += int(has_hit.sum())
        self.rows += table.num_rows

    def commit(self, summary: dict) -> None:
        """Put the three files in place so that a candidates file, whenever it exists, sits beside
        the rejects and summary of its own run: the old candidates go first, the new ones come
        last (a run killed in between leaves no candidates, never a mixed set)."""
        self.candidates.path.unlink(missing_ok=True)
        self.rejects.commit()
        write_json(summary, self.summary_path)
        self.candidates.commit()

    def discard(self) -> None:
        try:
            self.candidates.discard()
        finally:
            self.rejects.discard()
