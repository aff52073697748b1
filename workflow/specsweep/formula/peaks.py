"""MS/MS peak preparation for fragmentation trees.

Steps (SIRIUS 3.1.3 preprocessing defaults, see ../shared/reference/sirius-tables/parameters.yaml):
drop non-positive intensities; merge peaks closer than ``merge_da`` (the more intense one keeps
its m/z, intensities add); the precursor peak (within the allowed deviation of the precursor m/z)
is removed from the fragment list and remembered; peaks above the precursor are dropped as noise;
relative intensity is taken against the most intense remaining peak (or the precursor peak when
nothing else is left); peaks below ``noise_floor`` are dropped; the ``max_peaks`` most intense
are kept. Returns plain arrays sorted by m/z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PeakParams:
    merge_da: float = 0.005          # peaks closer than this (Da) become one peak
    noise_floor: float = 0.002       # relative intensity below which peaks are dropped
    max_peaks: int = 60              # keep at most this many fragment peaks (most intense)


@dataclass
class PreparedPeaks:
    mz: np.ndarray            # fragment peak m/z (Th), ascending
    rel_intensity: np.ndarray  # relative to the most intense fragment peak (0..1]
    intensity: np.ndarray      # as recorded (merged)
    precursor_intensity: float  # intensity of the peak at the precursor m/z, 0 if absent
    total_intensity: float     # sum of kept fragment intensities plus the precursor peak


def merge_close(mz: np.ndarray, intensity: np.ndarray, merge_da: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge runs of peaks spaced below ``merge_da``: most intense m/z, summed intensity."""
    if mz.size == 0:
        return mz, intensity
    order = np.argsort(mz, kind="stable")
    mz, intensity = mz[order], intensity[order]
    group = np.concatenate(([0], np.cumsum(np.diff(mz) >= merge_da)))
    n = int(group[-1]) + 1
    summed = np.bincount(group, weights=intensity, minlength=n)
    # representative: most intense peak of each group (first on ties)
    key = np.lexsort((-intensity, group))
    first = np.concatenate(([True], group[key][1:] != group[key][:-1]))
    rep = key[first]
    return mz[rep], summed


def prepare_peaks(mz, intensity, precursor_mz: float, precursor_tol_da: float,
                  params: PeakParams = PeakParams()) -> PreparedPeaks:
    mz = np.asarray(mz, dtype=np.float64)
    intensity = np.asarray(intensity, dtype=np.float64)
    keep = np.isfinite(mz) & np.isfinite(intensity) & (intensity > 0)
    mz, intensity = merge_close(mz[keep], intensity[keep], params.merge_da)
    is_prec = np.abs(mz - precursor_mz) <= precursor_tol_da
    prec_int = float(intensity[is_prec].sum())
    frag = (~is_prec) & (mz < precursor_mz)
    mz, intensity = mz[frag], intensity[frag]
    base = intensity.max() if intensity.size else 0.0
    if base <= 0:
        base = prec_int if prec_int > 0 else 1.0
    rel = intensity / base
    keep = rel >= params.noise_floor
    mz, intensity, rel = mz[keep], intensity[keep], rel[keep]
    if mz.size > params.max_peaks:
        top = np.lexsort((mz, -intensity))[: params.max_peaks]
        top.sort()
        mz, intensity, rel = mz[top], intensity[top], rel[top]
    return PreparedPeaks(mz=mz, rel_intensity=rel, intensity=intensity, precursor_intensity=prec_int,
                         total_intensity=float(intensity.sum() + prec_int))
