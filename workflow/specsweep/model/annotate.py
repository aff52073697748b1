"""Annotate a fragmentation graph with the logRank of the peaks its fragments explain.

Rules (molDiscovery, Cao et al. 2021, Methods):

- a fragment's ion m/z is ``(mass + s * HYDROGEN +/- z * PROTON) / z`` for every hydrogen shift
  ``s`` and fragment charge ``z`` in ``1..max_frag_charge`` (the shift set is our design choice,
  not taken from the paper);
- a peak within the tolerance of an ion of a fragment is a match; when several fragments match
  one peak, the fragment of lowest depth takes it (ties: lowest fragment index, so the result is
  deterministic where the paper picks at random);
- a fragment's logRank is the smallest logRank among the peaks it took, 7 when it took none;
- the root (fragment 0, the whole molecule) has logRank 0 and takes no peak.

Everything here works on NumPy arrays of one molecule and one spectrum and is compiled with
Numba; the caller owns the scratch arrays so that no memory is allocated per pair.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from specsweep.chem.masses import ELECTRON, ELEMENT_MASS, HYDROGEN, PROTON
from specsweep.params.blocks import FragmentMatching, FragmentParams

UNMATCHED = 7   # logRank of a fragment with no peak
SODIATED = 2    # polarity code: positive ions whose fragments carry Na+ ([M+Na]+ precursors)
SODIUM_ION = ELEMENT_MASS["Na"] - ELECTRON
DEHYDRATED = 3  # polarity code: protonated ions of a precursor that lost water ([M+H-H2O]+):
#                 fragments are tried as they are and minus H2O
WATER = 2 * HYDROGEN + ELEMENT_MASS["O"]
ROOT_LOGRANK = 0
N_LOGRANK = 8   # logRank values 0..7
N_BOND_CODES = 192  # bond-type codes are <= 16 * 11 + 11 (fragment.bondtypes)


@njit(cache=True)
def ion_shift(polarity, form):
    """Mass added to a fragment to make its ion (per charge): H+ (polarity 1), -H+ (-1), Na+
    (SODIATED), and for DEHYDRATED form 0 H+, form 1 H+ minus water."""
    if polarity == SODIATED:
        return SODIUM_ION
    if polarity == DEHYDRATED:
        return PROTON - WATER if form == 1 else PROTON
    return polarity * PROTON


@njit(cache=True)
def peak_index(peak_mz, first_at):
    """Fill first_at[b] = index of the first peak with m/z >= b (b = 0, 1, ... whole Th).

    first_at needs floor(max m/z) + 2 entries; returns how many were filled. With it, finding
    the peaks near an m/z costs a lookup and a short scan instead of a binary search.
    """
    n = peak_mz.shape[0]
    n_bins = (int(peak_mz[n - 1]) + 2) if n else 1
    j = 0
    for b in range(n_bins):
        while j < n and peak_mz[j] < b:
            j += 1
        first_at[b] = j
    return n_bins


@njit(cache=True)
def assign_peaks(frag_mass, frag_depth, peak_mz, first_at, n_bins, tol_da, tol_ppm, h_shifts,
                 max_frag_charge, polarity, owner, owner_depth):
    """Give every peak to the lowest-depth fragment that explains it.

    frag_mass: (F,) float64 neutral fragment masses, Da; fragment 0 is the root (skipped).
    frag_depth: (F,) int8. peak_mz: (P,) float64 ascending, Th; first_at, n_bins: from
    :func:`peak_index` for these peaks.
    tol_da, tol_ppm: fragment tolerance, Th = tol_da + mz * tol_ppm * 1e-6.
    h_shifts: (S,) int64 hydrogen shifts. max_frag_charge: fragment charges 1..max tried.
    polarity: +1 (protonated fragment ions), -1 (deprotonated, negative mode) or ``SODIATED``
    (2: sodiated fragment ions, m + Na+, for precursors that carry sodium: their fragments keep
    it; trying protonated ions as well matched more peaks of wrong candidates than of true ones,
    benchmarks/RESULTS.md "adducts").
    owner (P,) int32 and owner_depth (P,) int32: outputs (scratch from the caller); owner[j] is
    the fragment that took peak j, -1 for none. Returns the number of peaks taken.
    """
    n_peaks = peak_mz.shape[0]
    for j in range(n_peaks):
        owner[j] = -1
        owner_depth[j] = 1 << 30
    if n_peaks == 0:
        return 0
    lowest = peak_mz[0]
    highest = peak_mz[n_peaks - 1]
    n_forms = 2 if polarity == DEHYDRATED else 1
    for i in range(1, frag_mass.shape[0]):
        d = np.int32(frag_depth[i])
        for z in range(1, max_frag_charge + 1):
            for q in range(n_forms):
                shift = ion_shift(polarity, q)
                for t in range(h_shifts.shape[0]):
                    mz = (frag_mass[i] + h_shifts[t] * HYDROGEN + z * shift) / z
                    tol = tol_da + mz * tol_ppm * 1e-6
                    if mz + tol < lowest or mz - tol > highest:
                        continue
                    lo = mz - tol
                    b = int(lo) if lo > 0.0 else 0
                    j = first_at[b] if b < n_bins else n_peaks
                    while j < n_peaks and peak_mz[j] < lo:
                        j += 1
                    while j < n_peaks and peak_mz[j] <= mz + tol:
                        if d < owner_depth[j]:  # equal depth: the lower index, met first, keeps it
                            owner_depth[j] = d
                            owner[j] = i
                        j += 1
    taken = 0
    for j in range(n_peaks):
        if owner[j] >= 0:
            taken += 1
    return taken


@njit(cache=True)
def fragment_logranks(n_frag, peak_lr, owner, out_lr):
    """logRank of each fragment from the peaks it took (out_lr (>= n_frag,) int8, scratch)."""
    out_lr[0] = ROOT_LOGRANK
    for i in range(1, n_frag):
        out_lr[i] = UNMATCHED
    for j in range(owner.shape[0]):
        i = owner[j]
        if i >= 0 and peak_lr[j] < out_lr[i]:
            out_lr[i] = peak_lr[j]


def index_size(peak_mz) -> int:
    """Entries :func:`peak_index` needs for these peaks."""
    return int(peak_mz[-1]) + 2 if len(peak_mz) else 1


def annotate(frag_mass, frag_depth, peak_mz, peak_lr, tol_da=FragmentMatching.fragment_tol.value,
             tol_ppm=0.0, h_shifts=FragmentParams.h_shifts, max_frag_charge=1, polarity=1):
    """Convenience wrapper: (fragment logRanks (F,) int8, peak owner (P,) int32)."""
    frag_mass = np.ascontiguousarray(frag_mass, dtype=np.float64)
    frag_depth = np.ascontiguousarray(frag_depth, dtype=np.int8)
    peak_mz = np.ascontiguousarray(peak_mz, dtype=np.float64)
    peak_lr = np.ascontiguousarray(peak_lr, dtype=np.int8)
    owner = np.empty(peak_mz.shape[0], dtype=np.int32)
    owner_depth = np.empty(peak_mz.shape[0], dtype=np.int32)
    first_at = np.empty(index_size(peak_mz), dtype=np.int32)
    n_bins = peak_index(peak_mz, first_at)
    assign_peaks(frag_mass, frag_depth, peak_mz, first_at, n_bins, float(tol_da), float(tol_ppm),
                 np.asarray(h_shifts, dtype=np.int64), int(max_frag_charge), int(polarity), owner,
                 owner_depth)
    lr = np.empty(frag_mass.shape[0], dtype=np.int8)
    fragment_logranks(frag_mass.shape[0], peak_lr, owner, lr)
    return lr, owner
