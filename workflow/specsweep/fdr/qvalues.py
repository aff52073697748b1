"""q-values from a list of competition winners (score, is_decoy).

For a score threshold ``s`` every winner with ``score >= s`` is accepted. With ``T(s)`` targets and
``D(s)`` decoys accepted, the FDR among the accepted targets is estimated as

    FDR(s) = (D(s) + 1) / T(s)            (infinite when T(s) = 0)

the conservative "+1" estimate (Elias & Gygi 2007; He et al. 2015 show D+1 keeps the estimate an
upper bound in expectation for small lists). The q-value of a winner with score ``s`` is the
smallest FDR of any threshold that still accepts it,

    q(s) = min_{t <= s} FDR(t),

computed as a running minimum from the lowest score up, so q never decreases as the score
decreases. q is capped at 1. Equal scores share one threshold, so tied winners share one q-value.
Because of the +1, no q-value is ever 0; :func:`decoy_free_mask` gives the "0 %" set (winners
scoring above every decoy).
"""

from __future__ import annotations

import numpy as np


def _check(scores: np.ndarray, is_decoy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    is_decoy = np.asarray(is_decoy, dtype=bool)
    if scores.shape != is_decoy.shape or scores.ndim != 1:
        raise ValueError(f"scores {scores.shape} and is_decoy {is_decoy.shape} must be 1-D and equal")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN")
    return scores, is_decoy


def fdr_curve(scores, is_decoy) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Counts and FDR estimate at each distinct score threshold, highest score first.

    Returns ``(thresholds, n_targets, n_decoys, fdr)``: at ``thresholds[k]`` there are
    ``n_targets[k]`` targets and ``n_decoys[k]`` decoys with ``score >= thresholds[k]``;
    ``fdr[k] = (n_decoys[k] + 1) / n_targets[k]`` (inf when no target), not monotone, not capped.
    """
    scores, is_decoy = _check(scores, is_decoy)
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    d = np.cumsum(is_decoy[order])
    t = np.arange(1, s.size + 1) - d
    # last position of each group of equal scores: everything tied is accepted together
    last = np.flatnonzero(np.append(s[1:] != s[:-1], True))
    n_t, n_d = t[last], d[last]
    with np.errstate(divide="ignore"):
        fdr = np.where(n_t > 0, (n_d + 1) / np.maximum(n_t, 1), np.inf)
    return s[last], n_t, n_d, fdr


def qvalues(scores, is_decoy) -> np.ndarray:
    """q-value of every entry (targets and decoys), (D+1)/T made monotone, capped at 1.

    ``scores``: float64 (higher is better), ``is_decoy``: bool, one entry per competition winner.
    """
    scores, is_decoy = _check(scores, is_decoy)
    if scores.size == 0:
        return np.empty(0, dtype=np.float64)
    thresholds, _, _, fdr = fdr_curve(scores, is_decoy)
    # running minimum from the lowest score (last threshold) up to the highest
    q_at = np.minimum.accumulate(fdr[::-1])[::-1]
    q_at = np.minimum(q_at, 1.0)
    # thresholds are descending; map each score to its group
    idx = np.searchsorted(-thresholds, -scores, side="left")
    return q_at[idx]


def decoy_free_mask(scores, is_decoy) -> np.ndarray:
    """Targets scoring strictly above the best decoy (the "0 % FDR" set: D = 0 at that cut)."""
    scores, is_decoy = _check(scores, is_decoy)
    best_decoy = scores[is_decoy].max() if is_decoy.any() else -np.inf
    return ~is_decoy & (scores > best_decoy)
