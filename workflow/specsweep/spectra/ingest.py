"""The ``ingest`` stage: spectrum files -> processed spectra parts, rejects and a manifest.

Output folder::

    part-00000.parquet ...   schema SPECTRA, ``part_size`` spectra each (the last may be smaller)
    rejects.parquet          schema REJECTS, one row per record that could not be used
    manifest.json            inputs (path, format, sha256, counts), parameters, parts, counts

Each record of each input ends in exactly one place: a row of a part, a row of rejects.parquet,
or (MS1 records: mzML/mzXML scans or MGF blocks with ``MSLEVEL=1``, which are not MS/MS spectra)
the ``skipped_ms1`` count of the manifest. Reject reasons, checked in this order:

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

import logging
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from specsweep.chem.adducts import resolve_adduct
from specsweep.files import rejects_table, sha256_file, write_json, write_table
from specsweep.params.stages import IngestParams
from specsweep.progress import progress
from specsweep.schema import REJECTS
from specsweep.spectra import peaks as pk
from specsweep.spectra.inputs import find_inputs, spectrum_stems
from specsweep.spectra.parts import (MANIFEST, PART_GLOB, REJECTS as REJECTS_NAME, PartWriter,
                                     read_spectra)
from specsweep.spectra.records import RawSpectrum, inchikey14

log = logging.getLogger("specsweep.ingest")

REASONS = ["unparsable_block", "unsupported_ms_level", "no_precursor", "nan_values", "negative_mz",
           "bad_charge", "unknown_adduct", "no_peaks"]


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


def _prepare_out_dir(output_dir: Path) -> Path:
    if output_dir.exists():
        if not output_dir.is_dir():
            raise ValueError(f"{output_dir}: exists and is not a folder")
        ours = {MANIFEST, REJECTS_NAME}
        foreign = [p.name for p in output_dir.iterdir()
                   if p.name not in ours and not p.match(PART_GLOB)]
        if foreign:
            raise ValueError(f"{output_dir}: not a spectra folder (holds {', '.join(sorted(foreign)[:5])}); "
                             "refusing to replace it")
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", suffix=".tmp", dir=output_dir.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    return tmp


def _swap_into_place(tmp: Path, output_dir: Path) -> None:
    old = None
    if output_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", suffix=".old", dir=output_dir.parent))
        old.rmdir()
        output_dir.rename(old)
    tmp.rename(output_dir)
    if old is not None:
        shutil.rmtree(old)


def ingest(inputs: list[str | Path], output_dir: str | Path, params: IngestParams = IngestParams()) -> dict:
    """Read every spectrum of ``inputs`` (files or folders) into ``output_dir``; return the manifest."""
    files = find_inputs(inputs)
    if not files:
        raise ValueError(f"no .mgf, .mzML or .mzXML files found in {', '.join(map(str, inputs))}")
    output_dir = Path(output_dir)
    stems = spectrum_stems([f for f, _ in files])
    readers = _readers()
    tmp = _prepare_out_dir(output_dir)
    try:
        writer = PartWriter(tmp, params.part_size)
        rejects: list[dict] = []
        reasons: Counter = Counter()
        file_entries = []
        bar = progress(total=None, desc="ingest", unit="spectra")
        for path, fmt in files:
            bar.set_postfix_str(path.name)
            counts = Counter()
            stem = stems[path]
            for rec in readers[fmt](path):
                bar.update(1)
                counts["read"] += 1
                if rec.error is None and rec.ms_level is not None and rec.ms_level < 2:
                    counts["skipped_ms1"] += 1
                    continue
                reason = check_record(rec)
                if reason is None:
                    mode, charge = resolve_ion_mode(rec, params.default_ion_mode)
                    mz, inten, rank, lr = pk.process_peaks(
                        rec.mz, rec.intensity, rec.precursor_mz, charge, mode, params.top_n,
                        params.precursor_window_th, params.max_charge)
                    if len(mz) == 0:
                        reason = "no_peaks"
                if reason is not None:
                    counts["rejected"] += 1
                    reasons[reason] += 1
                    rejects.append({"source": str(path), "record": rec.index,
                                    "record_id": rec.title or (str(rec.scan) if rec.scan is not None else ""),
                                    "reason": reason, "detail": _reject_detail(reason, rec)})
                    continue
                counts["written"] += 1
                writer.add({
                    "spectrum_id": f"{stem}:{rec.index}", "source_file": str(path), "index": rec.index,
                    "scan": rec.scan, "feature_id": rec.feature_id, "title": rec.title,
                    "precursor_mz": rec.precursor_mz,
                    "charge": charge, "ion_mode": mode, "adduct": canonical_adduct(rec.adduct),
                    "rt_seconds": rec.rt_seconds,
                    "n_peaks_raw": len(rec.mz), "annotation_smiles": rec.smiles,
                    "annotation_inchikey14": inchikey14(rec.inchikey), "annotation_formula": rec.formula,
                }, mz, inten, rank, lr)
            file_entries.append({"path": str(path), "format": fmt, "stem": stem, "sha256": sha256_file(path),
                                 "read": counts["read"], "written": counts["written"],
                                 "rejected": counts["rejected"], "skipped_ms1": counts["skipped_ms1"]})
        bar.close()
        writer.flush()
        write_table(rejects_table(rejects), tmp / REJECTS_NAME, schema=REJECTS)
        totals = {k: sum(f[k] for f in file_entries) for k in ("read", "written", "rejected", "skipped_ms1")}
        totals["rejected_by_reason"] = {r: reasons.get(r, 0) for r in REASONS}
        manifest = {"stage": "ingest", "params": params.record(), "inputs": file_entries,
                    "parts": writer.parts, "rejects": REJECTS_NAME, "counts": totals}
        write_json(manifest, tmp / MANIFEST)
        _swap_into_place(tmp, output_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("ingest: %d records read from %d files, %d spectra written in %d parts, %d rejected, "
             "%d MS1 scans skipped", totals["read"], len(files), totals["written"], len(writer.parts),
             totals["rejected"], totals["skipped_ms1"])
    return manifest


def load_spectra(paths: str | Path | list[str | Path], params: IngestParams = IngestParams(),
                 columns: list[str] | None = None):
    """SPECTRA table from a spectra folder (``specsweep ingest`` output) or from raw spectrum files.

    A folder holding ``manifest.json`` is read as it is; anything else (MGF/mzML/mzXML files or
    folders of them) is ingested with ``params`` into a temporary folder and read back, so callers
    such as model training get exactly the peaks that search sees.
    """
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if len(items) == 1 and (Path(items[0]) / MANIFEST).is_file():
        return read_spectra(items[0], columns=columns)
    with tempfile.TemporaryDirectory(prefix="specsweep-ingest-") as tmp:
        ingest(items, Path(tmp) / "spectra", params)
        return read_spectra(Path(tmp) / "spectra", columns=columns)
