"""mzML and mzXML readers (pyteomics), one :class:`RawSpectrum` per spectrum / scan element.

Spectra are read one at a time through pyteomics' byte-offset index (built by scanning the file
when it carries none), so one malformed spectrum becomes an ``unparsable_block`` record and reading
goes on with the next. ``.gz`` files are gunzipped to a temporary file first (the index needs a
seekable file). Peaks are decoded only for MS2 and higher; the ingest stage skips MS1 scans.

mzML fields used: ``ms level``, ``positive scan`` / ``negative scan``, the first precursor's first
selected ion (``selected ion m/z``, ``charge state``; else the isolation window target m/z),
``scan start time`` of the first scan (minutes or seconds, as its unit says), ``spectrum title``,
native id (title when no ``spectrum title``; scan number from ``scan=N`` in it).
mzXML fields used: ``num`` (scan), ``msLevel``, ``polarity``, ``retentionTime``, the first
``precursorMz`` (value, ``precursorCharge``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pyteomics import mzml, mzxml

from specsweep.spectra.inputs import seekable_file
from specsweep.spectra.records import (RawSpectrum, as_float, clean_text, first_int, positive_float,
                                       scan_from_native_id)

_SECONDS = {"minute": 60.0, "min": 60.0, "second": 1.0, "s": 1.0, "sec": 1.0, "hour": 3600.0}


def _seconds(value) -> float | None:
    x = as_float(value)
    if x is None:
        return None
    unit = str(getattr(value, "unit_info", "minute") or "minute").lower()
    return round(x * _SECONDS.get(unit, 60.0), 6)


def _arrays(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for key in ("m/z array", "intensity array"):
        arr = spec.get(key)
        if arr is None:
            arr = np.empty(0)
        elif hasattr(arr, "decode"):
            arr = arr.decode()
        out.append(np.asarray(arr, dtype=np.float64).ravel())
    return out[0], out[1]


def _mzml_record(index: int, spec: dict) -> RawSpectrum:
    native_id = spec.get("id", "")
    rec = RawSpectrum(index=index, title=clean_text(spec.get("spectrum title")) or native_id,
                      scan=scan_from_native_id(native_id))
    rec.ms_level = first_int(spec.get("ms level"))
    if "positive scan" in spec:
        rec.ion_mode = "positive"
    elif "negative scan" in spec:
        rec.ion_mode = "negative"
    scans = (spec.get("scanList") or {}).get("scan") or [{}]
    rec.rt_seconds = _seconds(scans[0].get("scan start time"))
    if rec.ms_level is not None and rec.ms_level < 2:
        return rec
    precursors = (spec.get("precursorList") or {}).get("precursor") or []
    if precursors:
        prec = precursors[0]
        ions = (prec.get("selectedIonList") or {}).get("selectedIon") or [{}]
        ion = ions[0]
        mz = ion.get("selected ion m/z")
        if mz is None:
            mz = (prec.get("isolationWindow") or {}).get("isolation window target m/z")
        rec.precursor_mz = positive_float(mz)
        charge = ion.get("charge state")
        rec.charge = int(charge) if charge is not None else 0
    rec.mz, rec.intensity = _arrays(spec)
    return rec


def _mzxml_record(index: int, scan: dict) -> RawSpectrum:
    rec = RawSpectrum(index=index, scan=first_int(scan.get("num")),
                      title=f"scan={scan.get('num', '')}", ms_level=first_int(scan.get("msLevel")))
    pol = scan.get("polarity")
    rec.ion_mode = {"+": "positive", "-": "negative"}.get(str(pol).strip()) if pol else None
    rec.rt_seconds = _seconds(scan.get("retentionTime"))
    if rec.ms_level is not None and rec.ms_level < 2:
        return rec
    precursors = scan.get("precursorMz") or []
    if precursors:
        prec = precursors[0]
        rec.precursor_mz = positive_float(prec.get("precursorMz"))
        charge = prec.get("precursorCharge")
        rec.charge = int(charge) if charge is not None else 0
    rec.mz, rec.intensity = _arrays(scan)
    return rec


def _read_indexed(reader, make_record) -> Iterator[RawSpectrum]:
    ids = list(reader.default_index.keys())
    for index, elem_id in enumerate(ids):
        try:
            spec = reader.get_by_id(elem_id)
            yield make_record(index, spec)
        except Exception as exc:  # one bad spectrum must not stop the file
            yield RawSpectrum(index=index, title=str(elem_id), error="unparsable_block",
                              detail=f"{type(exc).__name__}: {exc}".strip()[:500])


@functools.lru_cache(maxsize=1)
def _psi_ms():
    """The PSI-MS controlled vocabulary (bundled with psims), parsed once per process: pyteomics
    would parse it again for every mzML file (about 0.5 s each on a loaded 2-core machine)."""
    from pyteomics.auxiliary.psims_util import load_psims
    return load_psims()


def read_mzml(path: str | Path) -> Iterator[RawSpectrum]:
    """Yield one RawSpectrum per ``<spectrum>`` of an mzML file (plain or .gz), in file order."""
    with seekable_file(path) as plain, mzml.MzML(str(plain), use_index=True, decode_binary=False,
                                                 huge_tree=True, cv=_psi_ms()) as reader:
        yield from _read_indexed(reader, _mzml_record)


def read_mzxml(path: str | Path) -> Iterator[RawSpectrum]:
    """Yield one RawSpectrum per ``<scan>`` of an mzXML file (plain or .gz), in file order."""
    with seekable_file(path) as plain, mzxml.MzXML(str(plain), use_index=True, decode_binary=False,
                                                   huge_tree=True) as reader:
        yield from _read_indexed(reader, _mzxml_record)
