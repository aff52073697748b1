"""Estimated FDR next to the true false discovery proportion, on spectra with known answers.

A spectrum's target winner is *false* when its first InChIKey block differs from the spectrum's
annotation. For a q-value threshold ``alpha`` the accepted set is the target winners with
``q <= alpha``; its true false discovery proportion (FDP) is false / accepted. A calibrated
estimate has FDP at or below alpha on average.
"""

from __future__ import annotations

import numpy as np

from specsweep.fdr.qvalues import fdr_curve


def calibration_table(score, is_decoy, q, is_false, thresholds) -> list[dict]:
    """One row per q threshold: accepted targets, false among them, true FDP, and the D and T
    counts (with D/T and (D+1)/T) at the lowest accepted score.

    ``score``, ``is_decoy``, ``q``: one entry per spectrum winner; ``is_false``: for target
    winners, whether the hit is wrong (ignored for decoys).
    """
    score = np.asarray(score, dtype=np.float64)
    is_decoy = np.asarray(is_decoy, dtype=bool)
    q = np.asarray(q, dtype=np.float64)
    is_false = np.asarray(is_false, dtype=bool)
    thr, n_t, n_d, _ = fdr_curve(score, is_decoy)
    rows = []
    for alpha in thresholds:
        acc = ~is_decoy & (q <= alpha)
        n_acc = int(acc.sum())
        n_false = int((acc & is_false).sum())
        row = {"q_threshold": float(alpha), "accepted": n_acc, "false": n_false,
               "true_fdp": n_false / n_acc if n_acc else 0.0}
        if n_acc:
            cut = score[acc].min()
            k = int(np.searchsorted(-thr, -cut, side="left"))
            row.update(targets_at_cut=int(n_t[k]), decoys_at_cut=int(n_d[k]),
                       d_over_t=float(n_d[k] / n_t[k]), d1_over_t=float((n_d[k] + 1) / n_t[k]))
        else:
            row.update(targets_at_cut=0, decoys_at_cut=0, d_over_t=0.0, d1_over_t=0.0)
        rows.append(row)
    return rows


def fdp_curve(score, is_decoy, is_false) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At every distinct score cut (highest first): estimated FDR (D+1)/T, D/T, and true FDP of
    the accepted targets. For plotting estimated against true FDR."""
    score = np.asarray(score, dtype=np.float64)
    is_decoy = np.asarray(is_decoy, dtype=bool)
    is_false = np.asarray(is_false, dtype=bool) & ~is_decoy
    thr, n_t, n_d, fdr = fdr_curve(score, is_decoy)
    order = np.argsort(-score, kind="stable")
    cum_false = np.cumsum(is_false[order])
    last = np.searchsorted(-score[order], -thr, side="right") - 1
    n_false = cum_false[last]
    with np.errstate(divide="ignore", invalid="ignore"):
        fdp = np.where(n_t > 0, n_false / np.maximum(n_t, 1), 0.0)
        d_over_t = np.where(n_t > 0, n_d / np.maximum(n_t, 1), np.inf)
    return fdr, d_over_t, fdp
