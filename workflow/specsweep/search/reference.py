"""Plain-Python scoring of one pair, written for clarity rather than speed.

It follows the same rules as the Numba kernels and exists as the baseline the benchmark
measures against and as an independent check in tests.
"""

from __future__ import annotations

from bisect import bisect_left

from specsweep.chem.masses import HYDROGEN, PROTON
from specsweep.params.blocks import FragmentMatching, FragmentParams


def score_plain(frag_mass, frag_parent, frag_bond, frag_depth, peak_mz, peak_lr, peak_int, llr,
                tol_da=FragmentMatching.fragment_tol.value, tol_ppm=0.0, h_shifts=FragmentParams.h_shifts,
                max_frag_charge=1, polarity=1):
    """(score, peaks explained, explained intensity fraction) for lists/arrays of one pair."""
    peak_mz = [float(x) for x in peak_mz]
    owner = {}
    for i in range(1, len(frag_mass)):
        for z in range(1, max_frag_charge + 1):
            for s in h_shifts:
                mz = (float(frag_mass[i]) + s * HYDROGEN + polarity * z * PROTON) / z
                tol = tol_da + mz * tol_ppm * 1e-6
                j = bisect_left(peak_mz, mz - tol)
                while j < len(peak_mz) and peak_mz[j] <= mz + tol:
                    best = owner.get(j)
                    if best is None or frag_depth[i] < frag_depth[best]:
                        owner[j] = i
                    j += 1
    lr = [7] * len(frag_mass)
    lr[0] = 0
    for j, i in owner.items():
        lr[i] = min(lr[i], int(peak_lr[j]))
    score = 0.0
    for i in range(1, len(frag_mass)):
        score += float(llr[frag_bond[i]][lr[frag_parent[i]]][lr[i]])
    total = sum(float(x) for x in peak_int)
    explained = sum(float(peak_int[j]) for j in owner)
    return score, len(owner), (explained / total if total > 0 else 0.0)
