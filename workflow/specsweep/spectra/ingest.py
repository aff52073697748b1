"""The ``ingest`` stage: spectrum files -> processed spectra parts, rejects and a manifest.

Output folder::

    part-00000.parquet ...   schema SPECTRA, ``part_size`` spectra each (the last may be smaller)
    rejects.parquet          schema REJECTS, one row per record that could not be used
    manifest.json            inputs (path, format, sha256, counts), parameters, parts, counts

Each record of each input ends in exactly one place: a row of a part, a row of rejects.parquet,
or (MS1 records: mzML/mzXML scans or MGF blocks with ``MSLEVEL=1``, which are not MS/MS spectra)
the ``skipped_ms1`` count of the manifest. A whole-file fault (:mod:`specsweep.spectra.file_faults`:
``empty_file``, ``not_a_spectrum_file``, ``truncated_file``, ``unreadable_file``) is one reject row
and counts as one record read; the records read before it are kept. So per file and in total,
``read == written + rejected + skipped_ms1``. A run in which not one spectrum could be used is an
error (nothing is written). Record reject reasons, checked in this order:

- ``unparsable_block``: the reader could not parse the record (its error is in ``detail``);
- ``unsupported_ms_level``: MS3 or higher;
- ``no_precursor``: no precursor m/z, or one <= 0;
- ``nan_values``: a non-finite precursor m/z, peak m/z or intensity;
- ``negative_mz``: a peak with m/z < 0;
- ``bad_charge``: a charge outside -127..127;
- ``unknown_adduct``: the record names an adduct that the adduct table does not know under any
  spelling (docs/adducts.md); it is not replaced by a default set;
- ``no_peaks``: no peak left after processing (:mod:`specsweep.spectra.peaks`).

Ion mode and charge, when the keys of a record disagree (:func:`resolve_ion_mode`), in this order:

1. the adduct the record names (``[M-H]-`` means negative and charge 1 whatever ``CHARGE`` or
   the ion mode key say: MS-DIAL writes ``CHARGE=1+`` under ``ION=[M-H]-``);
2. the ion mode key (``IONMODE``, ``ION_MODE``, ``POLARITY``; mzML/mzXML scan polarity);
3. the sign of a signed charge (``CHARGE=2-``); an unsigned ``CHARGE=1`` says nothing;
4. ``default_ion_mode`` (the dataset's ion mode).

The charge's size comes from the adduct when there is one, else from the charge; the stored
charge carries the sign of the ion mode (0 stays 0 = unknown). The stored adduct is the table's
name for it (``M+H`` is stored as ``[M+H]+``). The whole folder is written under a
temporary name and renamed into place, so an interrupted run leaves no partial folder. Inputs are
read in path order, so the same inputs and parameters give byte-identical files.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections import Counter
from pathlib import Path

from specsweep.chem.adducts import resolve_adduct
from specsweep.files import AtomicFolder, rejects_table, sha256_file, write_json, write_table
from specsweep.params.stages import IngestParams
from specsweep.progress import progress
from specsweep.schema import REJECTS
from specsweep.spectra import peaks as pk
from specsweep.contracts.spectra_folder import FILES as SPECTRA_FOLDER_FILES
from specsweep.spectra.file_faults import FILE_REASONS, read_spectrum_file
from specsweep.spectra.inputs import find_inputs, spectrum_stems
from specsweep.spectra.parts import (MANIFEST, REJECTS as REJECTS_NAME, PartWriter,
                                     read_spectra)
from specsweep.spectra.records import RawSpectrum, inchikey14

log = logging.getLogger("specsweep.ingest")

REASONS = FILE_REASONS + ["unparsable_block", "unsupported_ms_level", "no_precursor", "nan_values",
                          "negative_mz", "bad_charge", "unknown_adduct", "no_peaks"]


def _readers():
    from specsweep.spectra.mgf_reader import read_mgf
    from specsweep.spectra.xml_readers import read_mzml, read_mzxml
    return {"mgf": read_mgf, "mzml": read_mzml, "mzxml": read_mzxml}


def check_record(rec: RawSpectrum) -> str | None:
    """Reason code why a read record cannot become a spectrum row (None if it can, before peaks)."""
    if rec.error:
        return rec.error
    if rec.ms_level is not None and rec.ms_level > 2:
        return "unsupported_ms_level"
    if rec.precursor_mz is None:
        return "no_precursor"
    if rec.precursor_mz != rec.precursor_mz:  # NaN
        return "nan_values"
    reason = pk.check_peaks(rec.mz, rec.intensity)
    if reason:
        return reason
    if not -127 <= rec.charge <= 127:
        return "bad_charge"
    if rec.adduct is not None and resolve_adduct(rec.adduct) is None:
        return "unknown_adduct"
    return None


def resolve_ion_mode(rec: RawSpectrum, default: str) -> tuple[str, int]:
    """(ion mode, signed charge) for a record: its adduct, else its ion mode key, else the sign of
    a signed charge, else ``default`` (precedence in the module docstring)."""
    adduct = resolve_adduct(rec.adduct)
    if adduct is not None:
        mode, size = adduct.ion_mode, abs(adduct.charge)
    else:
        size = abs(rec.charge)
        signed = rec.charge != 0 and rec.charge_signed
        mode = rec.ion_mode or (("negative" if rec.charge < 0 else "positive") if signed else default)
    return mode, (-size if mode == "negative" else size)


def canonical_adduct(name: str | None) -> str | None:
    """The adduct table's name for a name found in a file (None stays None)."""
    adduct = resolve_adduct(name)
    return adduct.name if adduct is not None else None


def _reject_detail(reason: str, rec: RawSpectrum) -> str:
    if rec.detail:
        return rec.detail
    return {
        "unsupported_ms_level": f"MS level {rec.ms_level}",
        "no_precursor": "no precursor m/z (PEPMASS / selected ion) or a value <= 0",
        "nan_values": "non-finite precursor m/z, peak m/z or intensity",
        "negative_mz": "peak with m/z < 0",
        "bad_charge": f"charge {rec.charge} outside -127..127",
        "unknown_adduct": f"adduct {rec.adduct!r} is not in the adduct table under any spelling (docs/adducts.md)",
        "no_peaks": "no peak with intensity > 0 outside the precursor region",
    }.get(reason, "")


class _Collector:
    """Rows, rejects and counts of one ingest run (written into the temporary folder)."""

    def __init__(self, out_dir: Path, params: IngestParams):
        self.params = params
        self.writer = PartWriter(out_dir, params.part_size)
        self.rejects: list[dict] = []
        self.reasons: Counter = Counter()
        self.files: list[dict] = []

    def add_file(self, path: Path, fmt: str, stem: str, records, bar) -> None:
        counts: Counter = Counter()
        file_fault = None
        for rec in records:
            bar.update(1)
            counts["read"] += 1
            if rec.error in FILE_REASONS:
                file_fault = rec.error
            if rec.error is None and rec.ms_level is not None and rec.ms_level < 2:
                counts["skipped_ms1"] += 1
                continue
            if self._add_record(path, stem, rec):
                counts["written"] += 1
            else:
                counts["rejected"] += 1
        self.files.append({"path": str(path), "format": fmt, "stem": stem, "sha256": _sha256_or_none(path),
                           "read": counts["read"], "written": counts["written"],
                           "rejected": counts["rejected"], "skipped_ms1": counts["skipped_ms1"],
                           "file_fault": file_fault})

    def _add_record(self, path: Path, stem: str, rec: RawSpectrum) -> bool:
        params = self.params
        reason = check_record(rec)
        if reason is None:
            mode, charge = resolve_ion_mode(rec, params.default_ion_mode)
            mz, inten, rank, lr = pk.process_peaks(
                rec.mz, rec.intensity, rec.precursor_mz, charge, mode, params.top_n,
                params.precursor_window_th, params.max_charge)
            if len(mz) == 0:
                reason = "no_peaks"
        if reason is not None:
            self.reasons[reason] += 1
            self.rejects.append({"source": str(path), "record": rec.index,
                                 "record_id": rec.title or (str(rec.scan) if rec.scan is not None else ""),
                                 "reason": reason, "detail": _reject_detail(reason, rec)})
            return False
        self.writer.add({
            "spectrum_id": f"{stem}:{rec.index}", "source_file": str(path), "index": rec.index,
            "scan": rec.scan, "feature_id": rec.feature_id, "title": rec.title,
            "precursor_mz": rec.precursor_mz,
            "charge": charge, "ion_mode": mode, "adduct": canonical_adduct(rec.adduct),
            "rt_seconds": rec.rt_seconds, "n_peaks_raw": len(rec.mz), "annotation_smiles": rec.smiles,
            "annotation_inchikey14": inchikey14(rec.inchikey), "annotation_formula": rec.formula,
        }, mz, inten, rank, lr)
        return True

    def totals(self) -> dict:
        totals = {k: sum(f[k] for f in self.files) for k in ("read", "written", "rejected", "skipped_ms1")}
        totals["files"] = len(self.files)
        totals["files_with_faults"] = sum(1 for f in self.files if f["file_fault"])
        totals["rejected_by_reason"] = {r: self.reasons.get(r, 0) for r in REASONS}
        return totals


def _sha256_or_none(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except OSError:
        return None


def _nothing_written(files: list[dict], rejects: list[dict]) -> str:
    """The error message for a run that wrote no spectrum: what happened to each file."""
    first = {}
    for r in rejects:
        first.setdefault(r["source"], r)
    lines = []
    for f in files[:10]:
        r = first.get(f["path"])
        why = f"{r['reason']}: {r['detail']}" if r else f"{f['skipped_ms1']} MS1 scans only"
        lines.append(f"  {f['path']}: {f['read']} records, {f['rejected']} rejected ({why})")
    more = f"\n  ... and {len(files) - 10} more files" if len(files) > 10 else ""
    return "no spectrum could be used from the input; per file:\n" + "\n".join(lines) + more


def ingest(inputs: list[str | Path], output_dir: str | Path, params: IngestParams = IngestParams()) -> dict:
    """Read every spectrum of ``inputs`` (files or folders) into ``output_dir``; return the manifest.

    Raises ValueError (and writes nothing) when not one spectrum could be used.
    """
    files = find_inputs(inputs)
    if not files:
        raise ValueError(f"no .mgf, .mzML or .mzXML files found in {', '.join(map(str, inputs))}")
    stems = spectrum_stems([f for f, _ in files])
    readers = _readers()
    with AtomicFolder(output_dir, SPECTRA_FOLDER_FILES, "spectra") as tmp:
        run = _Collector(tmp, params)
        bar = progress(total=None, desc="ingest", unit="spectra")
        for path, fmt in files:
            bar.set_postfix_str(path.name)
            run.add_file(path, fmt, stems[path], read_spectrum_file(path, fmt, readers[fmt]), bar)
        bar.close()
        run.writer.flush()
        totals = run.totals()
        if totals["written"] == 0:
            raise ValueError(_nothing_written(run.files, run.rejects))
        write_table(rejects_table(run.rejects), tmp / REJECTS_NAME, schema=REJECTS)
        manifest = {"stage": "ingest", "params": params.record(), "inputs": run.files,
                    "parts": run.writer.parts, "rejects": REJECTS_NAME, "counts": totals}
        write_json(manifest, tmp / MANIFEST)
    for f in run.files:
        if f["file_fault"]:
            log.warning("%s: %s (%d records used)", f["path"], f["file_fault"], f["written"])
    log.info("ingest: %d records read from %d files (%d with a file fault), %d spectra written in %d parts, "
             "%d rejected, %d MS1 scans skipped", totals["read"], len(files), totals["files_with_faults"],
             totals["written"], len(run.writer.parts), totals["rejected"], totals["skipped_ms1"])
    return manifest


@contextlib.contextmanager
def ingested_parts(paths, params: IngestParams = IngestParams()):
    """Spectra parts for ``paths``: spectra folders and part files as they are; raw spectrum files
    (MGF/mzML/mzXML, or folders of them) ingested with ``params`` into a temporary folder that
    lives as long as the context. The one way training and evaluation read spectra, so that they
    get exactly the peaks the search sees."""
    from specsweep.contracts.spectra_folder import is_spectra_input, spectra_parts
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    raw = [p for p in items if not is_spectra_input(p)]
    parts = spectra_parts([p for p in items if is_spectra_input(p)])
    if not raw:
        yield parts
        return
    with tempfile.TemporaryDirectory(prefix="specsweep-ingest-") as tmp:
        ingest(raw, Path(tmp) / "spectra", params)
        yield parts + spectra_parts([Path(tmp) / "spectra"])


def load_spectra(paths: str | Path | list[str | Path], params: IngestParams = IngestParams(),
                 columns: list[str] | None = None):
    """SPECTRA table of :func:`ingested_parts` (spectra folders, parts or raw spectrum files)."""
    with ingested_parts(paths, params) as parts:
        return read_spectra(parts, columns=columns)
