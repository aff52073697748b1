"""Precursor isotope patterns from the MS1 scans of mzML / mzXML files.

For an MS2 spectrum of a data-dependent run, the precursor's isotope pattern is taken from the
closest MS1 scan before it in the file (the survey scan of its cycle). In that scan, M+0 is the
most intense peak within ``mz_tol_ppm`` (at least ``mz_tol_da``) of the precursor m/z; the peak
for nominal shift k (k = 1 ... ``max_peaks`` - 1) gathers every peak whose distance to M+0 lies
between k x 0.997 and k x 1.0034 Da divided by the charge, widened by the same tolerance (the
extremes of isotope shifts per mass unit: 15N, 34S, 81Br ... 13C); the peaks of one shift, which MS1
resolution does not separate, are merged into their intensity sum at their intensity-weighted mean
m/z, the quantity :func:`specsweep.formula.isotopes.ion_pattern` predicts. The pattern stops at the
first shift with no peak or with less than ``min_rel`` of M+0. A spectrum whose scan has no M+0 peak,
or that no MS1 scan precedes, gets no pattern.

The spectra table (``SPECTRA``) keeps each spectrum's ``source_file`` and its ``index`` among all
records of the file (MS1 scans included), which is how a spectrum finds its survey scan here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHIFT_LO, SHIFT_HI = 0.997, 1.0034  # Da per nominal mass unit: smallest and largest isotope shift


@dataclass(frozen=True)
class Ms1Settings:
    mz_tol_ppm: float = 10.0   # M+0 and every isotope window: this many ppm of the m/z ...
    mz_tol_da: float = 0.002   # ... and at least this many Da
    max_peaks: int = 5         # M+0 ... M+4
    min_rel: float = 0.005     # a shift below this fraction of M+0 ends the pattern


def extract_pattern(mz: np.ndarray, intensity: np.ndarray, precursor_mz: float, charge: int = 1,
                    settings: Ms1Settings = Ms1Settings()) -> tuple[np.ndarray, np.ndarray] | None:
    """(m/z, intensity) of M+0, M+1, ... of the precursor in one MS1 scan (module docstring), or
    None when the scan has no peak at the precursor m/z."""
    mz = np.asarray(mz, dtype=np.float64)
    intensity = np.asarray(intensity, dtype=np.float64)
    z = max(1, abs(int(charge or 1)))
    tol = max(settings.mz_tol_ppm * 1e-6 * precursor_mz, settings.mz_tol_da)
    near = np.nonzero((np.abs(mz - precursor_mz) <= tol) & (intensity > 0))[0]
    if near.size == 0:
        return None
    m0 = near[np.argmax(intensity[near])]
    out_mz, out_int = [float(mz[m0])], [float(intensity[m0])]
    for k in range(1, settings.max_peaks):
        lo = mz[m0] + k * SHIFT_LO / z - tol
        hi = mz[m0] + k * SHIFT_HI / z + tol
        sel = (mz >= lo) & (mz <= hi) & (intensity > 0)
        total = float(intensity[sel].sum())
        if total < settings.min_rel * out_int[0]:
            break
        out_mz.append(float((mz[sel] * intensity[sel]).sum() / total))
        out_int.append(total)
    return np.array(out_mz), np.array(out_int)


def _scans(path: Path):
    """(index, ms level, m/z, intensity) of every record of an mzML or mzXML file, peaks decoded
    for MS1 only."""
    from pyteomics import mzml, mzxml

    from specsweep.spectra.inputs import seekable_file
    is_mzxml = str(path).lower().removesuffix(".gz").endswith(".mzxml")
    reader_class, level_key = (mzxml.MzXML, "msLevel") if is_mzxml else (mzml.MzML, "ms level")
    with seekable_file(path) as plain, reader_class(str(plain), use_index=True, decode_binary=False) as reader:
        for index, elem_id in enumerate(reader.default_index.keys()):
            spec = reader.get_by_id(elem_id)
            level = int(spec.get(level_key) or 0)
            yield index, level, *(_decoded(spec) if level == 1 else (None, None))


def _decoded(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for key in ("m/z array", "intensity array"):
        arr = spec.get(key)
        arr = np.empty(0) if arr is None else (arr.decode() if hasattr(arr, "decode") else arr)
        out.append(np.asarray(arr, dtype=np.float64).ravel())
    return out[0], out[1]


def has_ms1(path: str | Path) -> bool:
    """Whether a file is of a kind that can hold MS1 scans (mzML, mzXML, gzipped or not)."""
    name = str(path).lower().removesuffix(".gz")
    return name.endswith(".mzml") or name.endswith(".mzxml")


def precursor_patterns(path: str | Path, wanted: dict[int, tuple[float, int]],
                       settings: Ms1Settings = Ms1Settings()) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Isotope patterns of the precursors of the spectra ``wanted`` (record index in the file ->
    (precursor m/z, charge)), each from the closest MS1 scan before it; spectra without one are
    left out. Reads the file once, keeping only the last MS1 scan."""
    path = Path(path)
    scans = _scans(path)
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    last = None
    remaining = len(wanted)
    for index, level, mz, inten in scans:
        if level == 1:
            last = (mz, inten)
        elif index in wanted:
            remaining -= 1
            if last is not None:
                pattern = extract_pattern(last[0], last[1], *wanted[index], settings=settings)
                if pattern is not None:
                    out[index] = pattern
            if remaining == 0:
                break
    return out
