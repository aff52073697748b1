"""MGF reader: one :class:`RawSpectrum` per ``BEGIN IONS`` ... ``END IONS`` block.

The file is cut into blocks here and each block is parsed by pyteomics (``pyteomics.mgf.MGF``), so
a block that pyteomics cannot parse becomes one ``unparsable_block`` record and reading goes on
with the next block. Parameters before the first block (file header) apply to every block, block
values win. Keys understood (case-insensitive), as written by GNPS, MassIVE, MassBank, MS-DIAL and
matchms:

- precursor: ``PEPMASS`` (``mz`` or ``mz intensity`` or ``mz intensity charge``), else
  ``PRECURSOR_MZ`` / ``PRECURSORMZ``;
- ``CHARGE`` (``1+``, ``2-``, ``1``; missing or several values -> 0 = unknown);
- ``SCANS`` (first number of ``123`` or ``123-125``), ``TITLE``, ``RTINSECONDS`` / ``RTINMINUTES``;
- ion mode: ``ION_MODE`` / ``IONMODE`` / ``POLARITY``; adduct: ``ADDUCT`` / ``PRECURSOR_TYPE`` /
  ``PRECURSORTYPE``; ``MSLEVEL`` / ``MS_LEVEL``;
- annotations: ``SMILES``, ``INCHIKEY``, ``FORMULA`` / ``MOLECULAR_FORMULA``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pyteomics import mgf

from specsweep.spectra.inputs import open_text
from specsweep.spectra.records import (RawSpectrum, clean_text, first_int, ion_mode_from_text,
                                       positive_float)


def _first(params: dict, *keys):
    for k in keys:
        v = params.get(k)
        if v is not None and clean_text(v) is not None:
            return v
    return None


def _charge(value) -> int:
    if value is None:
        return 0
    if isinstance(value, (list, tuple)):
        return int(value[0]) if len(value) == 1 else 0
    return int(value)


def _rt_seconds(params: dict) -> float | None:
    for key, factor in (("rtinseconds", 1.0), ("rtinminutes", 60.0)):
        v = params.get(key)
        if v is not None:
            try:
                return float(v) * factor
            except (TypeError, ValueError):
                return None
    return None


def record_from_params(index: int, params: dict, mz: np.ndarray, intensity: np.ndarray) -> RawSpectrum:
    """Map parsed MGF parameters (lower-case keys, pyteomics values) to a RawSpectrum."""
    pepmass = params.get("pepmass")
    precursor = pepmass[0] if isinstance(pepmass, tuple) else pepmass
    if precursor is None:
        precursor = _first(params, "precursor_mz", "precursormz")
    ms_level = first_int(_first(params, "mslevel", "ms_level"))
    return RawSpectrum(
        index=index,
        title=clean_text(params.get("title")) or "",
        scan=first_int(params.get("scans")),
        ms_level=ms_level,
        precursor_mz=positive_float(precursor),
        charge=_charge(params.get("charge")),
        ion_mode=ion_mode_from_text(_first(params, "ion_mode", "ionmode", "polarity")),
        adduct=clean_text(_first(params, "adduct", "precursor_type", "precursortype")),
        rt_seconds=_rt_seconds(params),
        mz=np.asarray(mz, dtype=np.float64),
        intensity=np.asarray(intensity, dtype=np.float64),
        smiles=clean_text(params.get("smiles")),
        inchikey=clean_text(params.get("inchikey")),
        formula=clean_text(_first(params, "formula", "molecular_formula")),
    )


def _parse_block(index: int, lines: list[str], header: dict) -> RawSpectrum:
    try:
        reader = mgf.MGF(io.StringIO("".join(lines)), use_header=False, convert_arrays=1,
                         read_charges=False, dtype=np.float64)
        spectrum = next(iter(reader))
        params = {**header, **spectrum["params"]}
        if isinstance(params.get("charge"), str):
            params["charge"] = mgf.MGFBase.parse_precursor_charge(params["charge"], True)
        return record_from_params(index, params, spectrum["m/z array"], spectrum["intensity array"])
    except Exception as exc:  # one bad block must not stop the file
        return RawSpectrum(index=index, title=_title_of(lines), error="unparsable_block",
                           detail=f"{type(exc).__name__}: {exc}".strip()[:500])


def _title_of(lines: list[str]) -> str:
    for line in lines:
        if line.upper().startswith("TITLE="):
            return line.split("=", 1)[1].strip()
    return ""


def read_mgf(path: str | Path) -> Iterator[RawSpectrum]:
    """Yield one RawSpectrum per block of an MGF file (plain or .gz), in file order."""
    header_lines: list[str] = []
    header: dict | None = None
    block: list[str] | None = None
    index = 0
    with open_text(path) as fh:
        for line in fh:
            tag = line.strip()
            if tag == "BEGIN IONS":
                if header is None:
                    header = mgf.read_header(io.StringIO("".join(header_lines)))
                if block is not None:
                    yield RawSpectrum(index=index, title=_title_of(block), error="unparsable_block",
                                      detail="BEGIN IONS inside an unterminated block")
                    index += 1
                block = [line]
            elif block is not None:
                block.append(line)
                if tag == "END IONS":
                    yield _parse_block(index, block, header)
                    index += 1
                    block = None
            elif header is None:
                header_lines.append(line)
    if block is not None:
        yield RawSpectrum(index=index, title=_title_of(block), error="truncated_file",
                          detail="file ends inside a block (no END IONS)")
