"""Which spectrum peaks a candidate structure explains: its fragments' ion m/z (with the same
hydrogen shifts the search uses) matched to peaks within the search's fragment tolerance."""

from __future__ import annotations

import numpy as np

from specsweep.params.options import Tolerance


def match_peaks(peak_mz: np.ndarray, ion_mz: np.ndarray, tol: Tolerance) -> np.ndarray:
    """Index into ``ion_mz`` of the closest ion within ``tol`` of each peak, -1 if none.

    ``peak_mz`` and ``ion_mz`` in Th, any order; returns int64 of len(peak_mz).
    """
    peak_mz = np.asarray(peak_mz, dtype=np.float64)
    ion_mz = np.asarray(ion_mz, dtype=np.float64)
    out = np.full(peak_mz.shape[0], -1, dtype=np.int64)
    if ion_mz.size == 0 or peak_mz.size == 0:
        return out
    order = np.argsort(ion_mz, kind="stable")
    sorted_mz = ion_mz[order]
    right = np.searchsorted(sorted_mz, peak_mz).clip(0, sorted_mz.size - 1)
    left = (right - 1).clip(0, sorted_mz.size - 1)
    d_right = np.abs(sorted_mz[right] - peak_mz)
    d_left = np.abs(sorted_mz[left] - peak_mz)
    best = np.where(d_left <= d_right, left, right)
    dist = np.minimum(d_left, d_right)
    hit = dist <= tol.at(peak_mz)
    out[hit] = order[best[hit]]
    return out


def explained_peaks(smiles: str, peak_mz: np.ndarray, charge: int, tol: Tolerance,
                    params=None) -> tuple[np.ndarray, np.ndarray]:
    """Peaks explained by the fragments of ``smiles``.

    Returns (fragment index per peak or -1, fragment neutral masses in Da). Uses the database's
    fragmentation (specsweep.fragment) with ``params`` (FragmentParams; default if None).
    """
    from specsweep.fragment.graph import FragmentParams, fragment_smiles
    from specsweep.fragment.ions import fragment_mz

    params = params or FragmentParams()
    graph = fragment_smiles(smiles, params)
    ion_mz, frag_index = fragment_mz(graph.mass, charge or 1, params.h_shifts)
    ion_hit = match_peaks(peak_mz, ion_mz, tol)
    frag_hit = np.where(ion_hit >= 0, frag_index[ion_hit.clip(0)], -1)
    return frag_hit, graph.mass
