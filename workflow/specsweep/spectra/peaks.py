"""Peak checks and processing: arrays in, arrays out.

Processing of one spectrum (:func:`process_peaks`):

1. drop peaks with intensity <= 0;
2. drop the precursor region (see :func:`precursor_bounds`);
3. keep the ``top_n`` most intense peaks; intensity ties are broken by lower m/z first;
4. sort the kept peaks by m/z and give each its intensity rank among the kept peaks
   (1 = most intense) and its logRank (:mod:`specsweep.spectra.logrank`).

Precursor region (our choice; molDiscovery does not state its rule). With ``w`` the window in Th
and ``z`` the absolute precursor charge (``max_charge`` when the charge is unknown):

- every peak within ``w`` of the precursor m/z is removed (precursor ion and its isotopes);
- every peak above ``z * (precursor_mz - s * PROTON) + s * PROTON - w`` is removed, where s = +1 in
  positive and -1 in negative mode: that is the m/z of the whole molecule carrying one charge, so
  no singly charged fragment can lie above it.

For a singly charged precursor both rules together remove everything from ``precursor_mz - w``
upwards. For charge 2 (or unknown charge with ``max_charge`` 2) singly charged fragments above the
precursor m/z are kept, because a doubly charged precursor fragments into them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from specsweep.chem.masses import PROTON
from specsweep.params.blocks import PeakSettings
from specsweep.spectra.logrank import log_rank_scalar

DEFAULT_TOP_N = PeakSettings.top_n
DEFAULT_PRECURSOR_WINDOW_TH = PeakSettings.precursor_window_th
DEFAULT_MAX_CHARGE = PeakSettings.max_charge


def check_peaks(mz: np.ndarray, intensity: np.ndarray) -> str | None:
    """Reason code if the raw peak arrays cannot be used (``nan_values``, ``negative_mz``), else None.

    Non-finite m/z or intensity is ``nan_values``; an m/z below zero is ``negative_mz``.
    Zero or negative intensities are not errors (those peaks are dropped by processing).
    """
    if mz.shape != intensity.shape:
        return "unparsable_block"
    if not (np.isfinite(mz).all() and np.isfinite(intensity).all()):
        return "nan_values"
    if mz.size and mz.min() < 0.0:
        return "negative_mz"
    return None


def precursor_bounds(precursor_mz: float, charge: int, ion_mode: str, window_th: float,
                     max_charge: int) -> tuple[float, float, float]:
    """(low, high, upper): peaks with low <= m/z <= high, or m/z > upper, are removed (Th)."""
    z = abs(int(charge)) or max(1, int(max_charge))
    s = -1.0 if ion_mode == "negative" else 1.0
    upper = z * (precursor_mz - s * PROTON) + s * PROTON - window_th
    return precursor_mz - window_th, precursor_mz + window_th, upper


@njit(cache=True)
def _process(mz, intensity, low, high, upper, top_n):
    n = mz.shape[0]
    keep = np.empty(n, dtype=np.bool_)
    n_keep = 0
    for i in range(n):
        m = mz[i]
        ok = intensity[i] > 0.0 and m <= upper and not (low <= m <= high)
        keep[i] = ok
        if ok:
            n_keep += 1
    sel = np.empty(n_keep, dtype=np.int64)
    j = 0
    for i in range(n):
        if keep[i]:
            sel[j] = i
            j += 1
    cm = mz[sel]
    ci = intensity[sel]
    # order by m/z, then (stable) by decreasing intensity: ties in intensity stay in m/z order
    by_mz = np.argsort(cm, kind="mergesort")
    cm = cm[by_mz]
    ci = ci[by_mz]
    by_int = np.argsort(-ci, kind="mergesort")
    k = min(n_keep, top_n)
    top = by_int[:k]
    rank_of = np.empty(k, dtype=np.int16)
    for r in range(k):
        rank_of[r] = r + 1
    # back to m/z order (indices into the m/z-sorted arrays)
    back = np.argsort(top, kind="mergesort")
    out_idx = top[back]
    out_mz = cm[out_idx]
    out_int = ci[out_idx].astype(np.float32)
    out_rank = rank_of[back]
    out_lr = np.empty(k, dtype=np.int8)
    for r in range(k):
        out_lr[r] = log_rank_scalar(out_rank[r])
    return out_mz, out_int, out_rank, out_lr


def process_peaks(mz: np.ndarray, intensity: np.ndarray, precursor_mz: float, charge: int = 1,
                  ion_mode: str = "positive", top_n: int = DEFAULT_TOP_N,
                  precursor_window_th: float = DEFAULT_PRECURSOR_WINDOW_TH,
                  max_charge: int = DEFAULT_MAX_CHARGE):
    """Process one spectrum's peaks (see module doc).

    Parameters: ``mz`` (Th) and ``intensity`` arrays of equal length, finite, m/z >= 0; precursor
    m/z in Th; signed ``charge`` (0 = unknown); ``ion_mode`` "positive" | "negative"; ``top_n``
    peaks kept; ``precursor_window_th`` in Th; ``max_charge`` assumed when the charge is unknown.

    Returns ``(mz float64, intensity float32, rank int16, log_rank int8)``, sorted by m/z.
    """
    low, high, upper = precursor_bounds(precursor_mz, charge, ion_mode, precursor_window_th, max_charge)
    return _process(np.ascontiguousarray(mz, dtype=np.float64),
                    np.ascontiguousarray(intensity, dtype=np.float64),
                    float(low), float(high), float(upper), int(top_n))
