"""MGF reader: one :class:`RawSpectrum` per ``BEGIN IONS`` ... ``END IONS`` block.

The file is cut into blocks here and each block is parsed by pyteomics (``pyteomics.mgf.MGF``), so
a block that pyteomics cannot parse becomes one ``unparsable_block`` record and reading goes on
with the next block. Parameters before the first block (file header) apply to every block, block
values win. Keys understood (case-insensitive), as written by GNPS (library and FBMN exports),
MassIVE, MassBank, MZmine, MS-DIAL and matchms (tests/data holds blocks in the MS-DIAL, MZmine FBMN and GNPS
library layouts):

- precursor: ``PEPMASS`` (``mz`` or ``mz intensity`` or ``mz intensity charge``), else
  ``PRECURSOR_MZ`` / ``PRECURSORMZ``;
- ``CHARGE``: ``1+``, ``2-``, ``-1`` (signed) or ``1`` (unsigned: says nothing about the ion
  mode); missing, 0 or several values -> 0 = unknown;
- adduct: ``ADDUCT``, ``PRECURSOR_TYPE``, ``PRECURSORTYPE``, ``ION`` (MS-DIAL), in that order; else
  the last word of ``NAME`` when it reads as an adduct (GNPS library: ``NAME=Surfactin M+H``);
- ion mode: ``ION_MODE`` / ``IONMODE`` / ``POLARITY``; ``MSLEVEL`` / ``MS_LEVEL``;
- ids: ``SCANS`` (first number of ``123`` or ``123-125``), ``FEATURE_ID`` (MZmine, MS-DIAL);
  title: ``TITLE``, else ``SPECTRUMID`` (GNPS library), else ``NAME``;
- ``RTINSECONDS`` / ``RTINMINUTES``;
- annotations: ``SMILES``, ``INCHIKEY``, ``FORMULA`` / ``MOLECULAR_FORMULA``.

How ion mode, charge and adduct are reconciled when they disagree is decided in ingest
(:func:`specsweep.spectra.ingest.resolve_ion_mode`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pyteomics import mgf

from specsweep.spectra.inputs import open_text
from specsweep.chem.adducts import resolve_adduct
from specsweep.spectra.records import (RawSpectrum, charge_from_text, clean_text, first_int,
                                       ion_mode_from_text, positive_float)


def _first(params: dict, *keys):
    for k in keys:
        v = params.get(k)
        if v is not None and clean_text(v) is not None:
            return v
    return None


def _adduct_text(params: dict) -> str | None:
    named = _first(params, "adduct", "precursor_type", "precursortype", "ion")
    if named is not None:
        return clean_text(named)
    name = clean_text(params.get("name"))
    if name and " " in name:
        last = name.rsplit(None, 1)[1]
        if resolve_adduct(last) is not None:
            return last
    return None


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
    charge, signed = charge_from_text(params.get("charge"))
    return RawSpectrum(
        index=index,
        title=clean_text(_first(params, "title", "spectrumid", "name")) or "",
        scan=first_int(params.get("scans")),
        feature_id=clean_text(params.get("feature_id")),
        ms_level=ms_level,
        precursor_mz=positive_float(precursor),
        charge=charge,
        charge_signed=signed,
        ion_mode=ion_mode_from_text(_first(params, "ion_mode", "ionmode", "polarity")),
        adduct=_adduct_text(params),
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
        raw_charge = _raw_value(lines, "CHARGE")  # pyteomics drops the sign's absence ('1' vs '1+')
        if raw_charge is not None:
            params["charge"] = raw_charge
        return record_from_params(index, params, spectrum["m/z array"], spectrum["intensity array"])
    except Exception as exc:  # one bad block must not stop the file
        return RawSpectrum(index=index, title=_title_of(lines), error="unparsable_block",
                           detail=f"{type(exc).__name__}: {exc}".strip()[:500])


def _raw_value(lines: list[str], key: str) -> str | None:
    prefix = key.upper() + "="
    for line in lines:
        if line.lstrip().upper().startswith(prefix):
            return line.split("=", 1)[1].strip()
    return None


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
                    if _raw_value(header_lines, "CHARGE") is not None:
                        header["charge"] = _raw_value(header_lines, "CHARGE")
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
