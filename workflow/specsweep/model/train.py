"""Learn the logRank model from spectra whose structure is known.

For every (spectrum, structure) pair the structure's fragmentation graph is annotated with the
spectrum's peaks (:mod:`specsweep.model.annotate`) and every non-root fragment adds one count to
``counts[bondType, logRank(parent), logRank(fragment)]`` (molDiscovery, Cao et al. 2021, eq. 7).

Three null distributions are available (``null=``):

- ``"peaks"``: the logRank distribution of all peaks of the training spectra, as the paper's
  eq. 8 writes it;
- ``"unrelated"``: the logRank distribution that fragments of an *unrelated* structure get when
  annotated against the same spectrum. The unrelated structure is the training compound next in
  mass order (the one before, for the heaviest), so its fragments cover the same mass range as a
  real competing candidate would;
- ``"unrelated-parent"`` (default): the same unrelated fragments, counted like the true ones in
  ``null_cond[bond, parent logRank, logRank]``, so that the score compares
  P(l | bond, parent, true structure) with P(l | bond, parent, unrelated structure).

Why the null must be conditioned like the numerator: the numerator is P(l | bond, parent) while
the paper's null (and ``"unrelated"``) is one distribution over all fragments. Fragments whose
parent took no peak are matched less often than the average fragment, in the true structure as
well (0.35 % against 0.9 % for 2-cut fragments in dev_full), so with an unconditioned null every
*unmatched* fragment under an unmatched parent scored log(0.9965 / 0.991) > 0. A large graph has
thousands of them: a 1,300 Da peptide reached a score of 25 without matching a single peak.
With the conditioned null both sides of the ratio see the same parent, and a bond type or parent
logRank without training data scores 0 instead of log(pseudo-count share / null).
The ``"unrelated"`` kinds are our design choice, not the paper's.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from specsweep.model.annotate import (N_BOND_CODES, N_LOGRANK, assign_peaks, fragment_logranks,
                                      index_size, peak_index)
from specsweep.model.tables import ChargeTables, LogRankModel
from specsweep.params.stages import DEFAULT_NULL, NULL_KINDS
from specsweep.params.blocks import FragmentMatching, FragmentParams


@njit(cache=True)
def _annotate(frag_mass, frag_depth, peak_mz, peak_lr, first_at, n_bins, tol_da, tol_ppm, h_shifts,
              max_frag_charge, polarity, owner, owner_depth, lr):
    """Give peaks to fragments and write each fragment's logRank into ``lr``; returns the count."""
    assign_peaks(frag_mass, frag_depth, peak_mz, first_at, n_bins, tol_da, tol_ppm, h_shifts,
                 max_frag_charge, polarity, owner, owner_depth)
    n = frag_mass.shape[0]
    fragment_logranks(n, peak_lr, owner, lr)
    return n


@njit(cache=True)
def count_fragments(frag_mass, frag_parent, frag_bond, frag_depth, peak_mz, peak_lr, first_at,
                    n_bins, tol_da, tol_ppm, h_shifts, max_frag_charge, polarity, counts, owner,
                    owner_depth, lr):
    """Annotate one graph against one spectrum and add its fragments to ``counts[b, p, l]``."""
    n = _annotate(frag_mass, frag_depth, peak_mz, peak_lr, first_at, n_bins, tol_da, tol_ppm, h_shifts,
                  max_frag_charge, polarity, owner, owner_depth, lr)
    for i in range(1, n):
        counts[frag_bond[i], lr[frag_parent[i]], lr[i]] += 1


@njit(cache=True)
def count_null_unrelated(frag_mass, frag_parent, frag_bond, frag_depth, peak_mz, peak_lr,
                         first_at, n_bins, tol_da, tol_ppm, h_shifts, max_frag_charge, polarity,
                         null_counts, null_cond, owner, owner_depth, lr):
    """Add the logRanks of an unrelated graph's fragments (annotated on this spectrum): to
    ``null_counts[l]`` and, like the true fragments, to ``null_cond[bond, parent l, l]``."""
    n = _annotate(frag_mass, frag_depth, peak_mz, peak_lr, first_at, n_bins, tol_da, tol_ppm, h_shifts,
                  max_frag_charge, polarity, owner, owner_depth, lr)
    for i in range(1, n):
        null_counts[lr[i]] += 1
        null_cond[frag_bond[i], lr[frag_parent[i]], lr[i]] += 1


def count_null_peaks(peak_lr: np.ndarray, null_counts: np.ndarray) -> None:
    """Paper's eq. 8: every peak counts once under its logRank."""
    null_counts += np.bincount(peak_lr.astype(np.int64), minlength=null_counts.shape[0])


class Graph:
    """The arrays of one fragmentation graph, as the kernels want them."""

    __slots__ = ("mass", "parent", "bond", "depth")

    def __init__(self, mass, parent, bond, depth):
        self.mass = np.ascontiguousarray(mass, dtype=np.float64)
        self.parent = np.ascontiguousarray(parent, dtype=np.int32)
        self.bond = np.ascontiguousarray(bond, dtype=np.int16)
        self.depth = np.ascontiguousarray(depth, dtype=np.int8)


def train_counts(pairs, graphs: dict, *, tol_da=FragmentMatching.fragment_tol.value, tol_ppm=0.0,
                 h_shifts=FragmentParams.h_shifts,
                 null=DEFAULT_NULL) -> dict[int, ChargeTables]:
    """Count tables per charge.

    pairs: iterable of (compound key, signed charge != 0, peak_mz (P,) ascending, peak_lr (P,)
    int8). graphs: compound key -> :class:`Graph`. |charge| above 2 counts under charge 2; the
    sign picks protonated or deprotonated fragment ions.
    """
    if null not in NULL_KINDS:
        raise ValueError(f"null must be one of {NULL_KINDS}, got {null!r}")
    shifts = np.asarray(h_shifts, dtype=np.int64)
    # the unrelated partner of each compound: its neighbour in mass order
    keys = sorted(graphs, key=lambda k: (graphs[k].mass[0], k))
    partner = {}
    for idx, k in enumerate(keys):
        partner[k] = keys[idx + 1] if idx + 1 < len(keys) else (keys[idx - 1] if idx else None)
    max_frag = max((g.mass.shape[0] for g in graphs.values()), default=1)
    lr = np.empty(max_frag, np.int8)
    conditioned = null == "unrelated-parent"
    tables = {1: ChargeTables.empty(conditioned), 2: ChargeTables.empty(conditioned)}
    unused = np.zeros((N_BOND_CODES, N_LOGRANK, N_LOGRANK), np.int64)
    for key, charge, peak_mz, peak_lr in pairs:
        c = 1 if abs(charge) <= 1 else 2
        polarity = -1 if charge < 0 else 1
        t = tables[c]
        g = graphs[key]
        peak_mz = np.ascontiguousarray(peak_mz, dtype=np.float64)
        peak_lr = np.ascontiguousarray(peak_lr, dtype=np.int8)
        owner = np.empty(peak_mz.shape[0], np.int32)
        owner_depth = np.empty(peak_mz.shape[0], np.int32)
        first_at = np.empty(index_size(peak_mz), np.int32)
        n_bins = peak_index(peak_mz, first_at)
        count_fragments(g.mass, g.parent, g.bond, g.depth, peak_mz, peak_lr, first_at, n_bins,
                        float(tol_da),
                        float(tol_ppm), shifts, c, polarity, t.counts, owner, owner_depth, lr)
        if null == "peaks":
            count_null_peaks(peak_lr, t.null_counts)
        elif partner[key] is not None:
            u = graphs[partner[key]]
            cond = t.null_cond if conditioned else unused
            count_null_unrelated(u.mass, u.parent, u.bond, u.depth, peak_mz, peak_lr, first_at,
                                 n_bins, float(tol_da), float(tol_ppm), shifts, c, polarity,
                                 t.null_counts, cond, owner, owner_depth, lr)
        t.n_spectra += 1
    return tables


def build_model(tables: dict[int, ChargeTables], params: dict) -> LogRankModel:
    """Wrap count tables; a charge without spectra falls back to charge 1 (documented)."""
    for c in (1, 2):
        t = tables.setdefault(c, ChargeTables.empty())
        if t.n_spectra == 0 and c != 1:
            t.fallback = 1
            t.note = (f"no charge-{c} training spectra; charge {c} uses the charge-1 tables")
    if tables[1].n_spectra == 0:
        raise ValueError("no charge-1 training spectra: cannot build a model")
    return LogRankModel(tables, params)
