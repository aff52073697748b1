"""Numba kernels that score (spectrum, molecule) pairs with the logRank model.

score = sum over non-root fragments f of llr[bond(f), logRank(parent(f)), logRank(f)]
(molDiscovery, Cao et al. 2021, eq. 9), where logRanks come from
:func:`specsweep.model.annotate.assign_peaks`. Spectra and molecules arrive as flat arrays with
offsets (CSR layout), so a whole work unit is one call and no Python object exists per peak,
fragment or pair.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from specsweep.model.annotate import DEHYDRATED, SODIATED, assign_peaks, fragment_logranks, peak_index

SODIATED_PAIR = 64  # added to a pair's charge: fragments carry Na+ (see score_pairs)
DEHYDRATED_PAIR = 32  # added to a pair's charge: the precursor lost water (see score_pairs)


def pair_charge_code(adduct) -> int:
    """The ``pair_charge`` value of :func:`score_pairs` for a precursor of this adduct
    (:class:`specsweep.chem.adducts.Adduct`): its signed charge, plus ``SODIATED_PAIR`` when it
    is a positive ion that carries sodium."""
    sodiated = adduct.charge > 0 and adduct.atoms.get("Na", 0) > 0
    dehydrated = adduct.charge > 0 and adduct.atoms.get("O", 0) < 0 and not sodiated
    return int(adduct.charge) + (SODIATED_PAIR if sodiated else DEHYDRATED_PAIR if dehydrated else 0)


@njit(cache=True)
def score_one(frag_mass, frag_parent, frag_bond, frag_depth, peak_mz, peak_lr, peak_int,
              first_at, n_bins, llr, tol_da, tol_ppm, h_shifts, max_frag_charge, polarity, owner,
              owner_depth, lr):
    """Score one molecule against one spectrum.

    first_at, n_bins: :func:`specsweep.model.annotate.peak_index` of the peaks. llr: (N_BOND_CODES, 8, 8)
    score table of the charge used. owner, owner_depth (>= P,) and lr (>= F,) are scratch. Returns (score, peaks explained, explained intensity fraction).
    """
    n_peaks = peak_mz.shape[0]
    own = owner[:n_peaks]
    taken = assign_peaks(frag_mass, frag_depth, peak_mz, first_at, n_bins, tol_da, tol_ppm,
                         h_shifts, max_frag_charge, polarity, own, owner_depth[:n_peaks])
    n = frag_mass.shape[0]
    fragment_logranks(n, peak_lr, own, lr)
    score = 0.0
    for i in range(1, n):
        score += llr[frag_bond[i], lr[frag_parent[i]], lr[i]]
    total = 0.0
    explained = 0.0
    for j in range(n_peaks):
        total += peak_int[j]
        if own[j] >= 0:
            explained += peak_int[j]
    frac = explained / total if total > 0.0 else 0.0
    return score, taken, frac


@njit(cache=True)
def score_pairs(pair_spec, pair_row, pair_charge, peak_off, peak_mz, peak_lr, peak_int,
                frag_off, frag_mass, frag_parent, frag_bond, frag_depth, llr, tol_da, tol_ppm,
                h_shifts, out_score, out_matched, out_explained):
    """Score every pair k = (spectrum pair_spec[k], molecule pair_row[k]) at charge pair_charge[k].

    pair_charge is signed (negative: negative-mode, deprotonated fragment ions); a positive charge
    plus ``SODIATED_PAIR`` marks a precursor that carries sodium ([M+Na]+), whose fragment ions
    are sodiated (m + Na+) instead of protonated.
    Spectrum s has peaks peak_off[s]:peak_off[s+1] of the flat peak arrays; molecule r has
    fragments frag_off[r]:frag_off[r+1]. llr: (2, N_BOND_CODES, 8, 8), index charge - 1 (charges above
    2 use the charge-2 table), or (4, N_BOND_CODES, 8, 8) with the negative-mode model's tables at index
    2 + charge - 1 (one model per ion mode); fragment ions of charge 1..min(charge, 2) are tried.
    """
    neg_base = 2 if llr.shape[0] >= 4 else 0
    max_peaks = 1
    for s in range(peak_off.shape[0] - 1):
        max_peaks = max(max_peaks, peak_off[s + 1] - peak_off[s])
    max_frags = 1
    for r in range(frag_off.shape[0] - 1):
        max_frags = max(max_frags, frag_off[r + 1] - frag_off[r])
    max_bin = 1
    for s in range(peak_off.shape[0] - 1):
        if peak_off[s + 1] > peak_off[s]:
            max_bin = max(max_bin, int(peak_mz[peak_off[s + 1] - 1]) + 2)
    first_at = np.empty(max_bin, np.int32)
    n_bins = 0
    last_spec = -1
    owner = np.empty(max_peaks, np.int32)
    owner_depth = np.empty(max_peaks, np.int32)
    lr = np.empty(max_frags, np.int8)
    for k in range(pair_spec.shape[0]):
        s = pair_spec[k]
        r = pair_row[k]
        p0, p1 = peak_off[s], peak_off[s + 1]
        f0, f1 = frag_off[r], frag_off[r + 1]
        code = pair_charge[k]
        polarity = 1 if code >= 0 else -1
        if code >= SODIATED_PAIR:  # positive precursor carrying sodium
            code -= SODIATED_PAIR
            polarity = SODIATED
        elif code >= DEHYDRATED_PAIR:  # positive precursor that lost water
            code -= DEHYDRATED_PAIR
            polarity = DEHYDRATED
        c = min(max(abs(code), 1), 2)
        if s != last_spec:  # pairs of one spectrum come together: index its peaks once
            n_bins = peak_index(peak_mz[p0:p1], first_at)
            last_spec = s
        sc, m, e = score_one(frag_mass[f0:f1], frag_parent[f0:f1], frag_bond[f0:f1],
                             frag_depth[f0:f1], peak_mz[p0:p1], peak_lr[p0:p1],
                             peak_int[p0:p1], first_at, n_bins,
                             llr[(neg_base if polarity < 0 else 0) + c - 1], tol_da, tol_ppm,
                             h_shifts, c,
                             polarity, owner, owner_depth, lr)
        out_score[k] = sc
        out_matched[k] = m
        out_explained[k] = e
