"""Curves the report draws, computed from score and q-value arrays (NumPy in, NumPy out)."""

from __future__ import annotations

import numpy as np


def accepted_vs_qvalue(q_values: np.ndarray, max_q: float = 0.2, n_points: int = 201
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Number of identifications accepted at each q-value threshold in [0, max_q].

    Returns (thresholds, counts); counts[i] = #(q <= thresholds[i]).
    """
    q = np.sort(np.asarray(q_values, dtype=np.float64))
    q = q[np.isfinite(q)]
    thresholds = np.linspace(0.0, max_q, n_points)
    counts = np.searchsorted(q, thresholds, side="right")
    return thresholds, counts


def decoy_fraction_by_score(scores: np.ndarray, is_decoy: np.ndarray
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Estimated FDR of accepting every top hit scoring at least s, for each distinct s.

    Target-decoy estimate (D + 1) / max(T, 1) over top hits with score >= s, not made monotone
    (the fdr stage's q-values are); returns (score thresholds descending, estimate).
    """
    scores = np.asarray(scores, dtype=np.float64)
    is_decoy = np.asarray(is_decoy, dtype=bool)
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    d = np.cumsum(is_decoy[order])
    t = np.cumsum(~is_decoy[order])
    last = np.r_[s[1:] != s[:-1], True]  # count ties together
    return s[last], (d[last] + 1) / np.maximum(t[last], 1)
