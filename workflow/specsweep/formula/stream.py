"""The formula stage over a dataset, part by part: bounded memory, any number of worker processes.

Spectra parts (:mod:`specsweep.contracts.spectra_folder`) are read one at a time; their spectra
go to the workers through a bounded window (never more than ``window`` spectra read ahead of the
results written), and the rows are written in spectrum order into full Parquet row groups
(:class:`specsweep.files.RegroupedParquet`). So memory holds about one part and one row group,
whatever the dataset's size, and the output has the same bytes for any number of parts,
processes or scattered jobs merged by :func:`merge_formulas`.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

log = logging.getLogger("specsweep.formula")

SPECTRA_COLUMNS = ["spectrum_id", "source_file", "index", "precursor_mz", "charge", "ion_mode", "adduct",
                   "mz", "intensity"]
ROWS_PER_WRITE = 2048   # formula rows collected before they are handed to the Parquet writer


@dataclass(frozen=True)
class StageInputs:
    """What every spectrum of a run is identified with (sent to the workers with each job)."""
    adducts: list[str] | None      # --adducts, else None: the spectrum's own, else the default set
    alphabet: object               # formula.alphabet.Alphabet
    settings: object               # formula.identify.FormulaSettings
    ms1: bool = True               # read precursor isotope patterns from MS1 scans of the source files


def empty_row(spectrum_id: str, status: str) -> dict:
    return {"spectrum_id": spectrum_id, "rank": None, "formula": None, "adduct": None, "score": None,
            "tree_score": None, "mass_error_ppm": None, "n_explained_peaks": 0, "explained_intensity": 0.0,
            "method": "none", "status": status, "tree_json": None}


def one_spectrum(job) -> tuple[str, list[dict]]:
    """Rows of one spectrum (a worker task): (status, rows with spectrum_id)."""
    from specsweep.formula.identify import identify
    rec, inputs, ms1 = job
    adducts = inputs.adducts or ([rec["adduct"]] if rec["adduct"] else None)
    try:
        status, out = identify(rec["precursor_mz"], rec["mz"], rec["intensity"], adducts, inputs.alphabet,
                               inputs.settings, ion_mode=rec["ion_mode"] or "positive", ms1=ms1)
    except ValueError as exc:  # e.g. an adduct name we do not know
        log.warning("%s: %s", rec["spectrum_id"], exc)
        status, out = "no_candidates", []
    if not out:
        return status, [empty_row(rec["spectrum_id"], status)]
    return status, [{"spectrum_id": rec["spectrum_id"], **r} for r in out]


def ms1_patterns(records: list[dict]) -> list:
    """Per spectrum, its precursor's isotope pattern from the MS1 scans of its source file
    (:mod:`specsweep.formula.ms1`), or None (MGF input, no MS1 scan before it, file not found)."""
    from specsweep.formula.ms1 import has_ms1, precursor_patterns
    by_file: dict[str, dict[int, tuple[float, int]]] = {}
    for rec in records:
        if rec["source_file"] and has_ms1(rec["source_file"]):
            by_file.setdefault(rec["source_file"], {})[rec["index"]] = (rec["precursor_mz"], rec["charge"] or 1)
    found: dict[tuple[str, int], tuple] = {}
    for path, wanted in sorted(by_file.items()):
        if not Path(path).exists():
            log.warning("formula: %s not found: its %d spectra are ranked without MS1 isotope patterns",
                        path, len(wanted))
            continue
        for index, pattern in precursor_patterns(path, wanted).items():
            found[(path, index)] = pattern
    return [found.get((rec["source_file"], rec["index"])) for rec in records]


def count_spectra(parts: list[Path]) -> int:
    """Spectra in the parts, from the Parquet footers (no data read)."""
    import pyarrow.parquet as pq
    return sum(pq.read_metadata(p).num_rows for p in parts)


def part_jobs(parts: list[Path], inputs: StageInputs, found_ms1: list[int]):
    """Worker jobs (record, inputs, MS1 pattern), part after part; reads a part only when the
    previous one has been handed out. ``found_ms1[0]`` counts the spectra with an MS1 pattern."""
    from specsweep.files import read_table
    from specsweep.schema import SPECTRA
    for part in parts:
        records = read_table(part, SPECTRA, columns=SPECTRA_COLUMNS).to_pylist()
        patterns = ms1_patterns(records) if inputs.ms1 else [None] * len(records)
        found_ms1[0] += sum(p is not None for p in patterns)
        for rec, pattern in zip(records, patterns):
            yield rec, inputs, pattern


def _windowed(jobs, window: int, stop: threading.Event, free: threading.Semaphore):
    """``jobs``, pausing whenever ``window`` of them are out and not yet consumed (``free``)."""
    for job in jobs:
        free.acquire()
        if stop.is_set():
            return
        yield job


def map_spectra(jobs, processes: int, window: int = 0, chunksize: int = 1):
    """Results of :func:`one_spectrum` over ``jobs``, in input order, with ``processes`` worker
    processes; at most ``window`` jobs (default 64 per process) are read ahead of the results.
    Spectra are dealt one at a time (``chunksize`` 1): their cost is heavy-tailed (on the first 40
    spectra of dev_500_ppm3, two took 71 % of the CPU time), and a worker that draws a slow one
    should not hold its neighbours too."""
    if processes <= 1:
        yield from map(one_spectrum, jobs)
        return
    import multiprocessing as mp
    window = window or 64 * processes
    window = max(window, 2 * chunksize * processes)  # a full chunk per worker fits in the window
    stop, free = threading.Event(), threading.Semaphore(window)
    with mp.get_context("fork").Pool(processes) as pool:
        try:
            for result in pool.imap(one_spectrum, _windowed(jobs, window, stop, free), chunksize=chunksize):
                free.release()
                yield result
        finally:
            stop.set()
            for _ in range(window):   # wake the feeder thread if it waits for room
                free.release()


class FormulaOutputs:
    """formulas.parquet (and optionally the best trees as JSON lines), written while spectra are
    identified: rows in spectrum order, atomically (temporary names renamed at ``commit``)."""

    def __init__(self, output, trees=None):
        from specsweep.files import AppendedText, RegroupedParquet
        from specsweep.schema import FORMULAS
        self.schema = FORMULAS
        self.table = RegroupedParquet(output, FORMULAS)
        self.trees = AppendedText(trees) if trees else None
        self.rows: list[dict] = []
        self.counts: dict[str, int] = {}

    def add(self, status: str, rows: list[dict]) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        self.rows.extend(rows)
        if self.trees is not None and rows[0]["tree_json"]:
            self.trees.write_line(json.dumps({"spectrum_id": rows[0]["spectrum_id"], "formula": rows[0]["formula"],
                                              "status": status, "tree": json.loads(rows[0]["tree_json"])},
                                             sort_keys=True))
        if len(self.rows) >= ROWS_PER_WRITE:
            self._flush()

    def _flush(self) -> None:
        cols = {name: [r.get(name) for r in self.rows] for name in self.schema.names}
        self.table.append(pa.table(cols, schema=self.schema))
        self.rows = []

    def commit(self) -> None:
        self._flush()
        self.table.commit()
        if self.trees is not None:
            self.trees.commit()

    def discard(self) -> None:
        self.table.discard()
        if self.trees is not None:
            self.trees.discard()


def run_parts(parts: list[Path], inputs: StageInputs, output, trees=None, processes: int = 1) -> dict:
    """Identify every spectrum of ``parts`` and write the outputs; returns the number of spectra,
    the count per status and the number with an MS1 pattern."""
    from specsweep.progress import progress
    total = count_spectra(parts)
    found_ms1 = [0]
    outputs = FormulaOutputs(output, trees)
    try:
        results = map_spectra(part_jobs(parts, inputs, found_ms1), processes)
        for status, rows in progress(results, total=total, desc="formula", unit="spectra"):
            outputs.add(status, rows)
        outputs.commit()
    except BaseException:
        outputs.discard()
        raise
    return {"n_spectra": total, "counts": outputs.counts, "n_ms1": found_ms1[0]}


def merge_formulas(inputs: list, output) -> int:
    """Concatenate formulas files (schema FORMULAS) in the order given into ``output``, streamed
    by row group; the same bytes as one run of the stage over all their spectra. Returns rows."""
    from specsweep.files import RegroupedParquet, iter_batches
    from specsweep.schema import FORMULAS
    out = RegroupedParquet(output, FORMULAS)
    try:
        for path in inputs:
            for batch in iter_batches(path, FORMULAS):
                out.append(pa.Table.from_batches([batch]))
        out.commit()
    except BaseException:
        out.discard()
        raise
    return out.rows
