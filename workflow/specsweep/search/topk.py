"""Deterministic per-spectrum top-k over hit tables held as dicts of NumPy arrays.

Order within a spectrum: score descending, then mol_id, then is_decoy (targets first), then
adduct name. This is a total order on hits, so keeping the top k of each work unit and then the
top k of their union gives the same rows however the work was split.
"""

from __future__ import annotations

import numpy as np

HIT_COLUMNS = ("spec", "mol_id", "is_decoy", "inchikey14", "smiles", "exact_mass", "adduct",
               "charge", "precursor_error_ppm", "score", "n_matched_peaks",
               "explained_intensity")


def empty_hits() -> dict:
    return {"spec": np.zeros(0, np.int64), "mol_id": np.zeros(0, dtype=str),
            "is_decoy": np.zeros(0, bool), "inchikey14": np.zeros(0, object),
            "smiles": np.zeros(0, object), "exact_mass": np.zeros(0),
            "adduct": np.zeros(0, dtype=str), "charge": np.zeros(0, np.int8),
            "precursor_error_ppm": np.zeros(0), "score": np.zeros(0),
            "n_matched_peaks": np.zeros(0, np.int32), "explained_intensity": np.zeros(0)}


def take(hits: dict, idx: np.ndarray) -> dict:
    return {k: v[idx] for k, v in hits.items()}


def concat(parts: list[dict]) -> dict:
    parts = [p for p in parts if p["spec"].shape[0]]
    if not parts:
        return empty_hits()
    return {k: np.concatenate([p[k] for p in parts]) for k in HIT_COLUMNS}


def top_k(hits: dict, k: int) -> dict:
    """Hits sorted by (spec, order above), at most k per spectrum."""
    n = hits["spec"].shape[0]
    if n == 0:
        return hits
    if n > 4 * k:
        # numeric pre-filter: drop hits scoring below their spectrum's k-th best score, so that
        # the string sort below sees about k rows per spectrum
        order = np.lexsort((-hits["score"], hits["spec"]))
        spec = hits["spec"][order]
        position = ranks(spec) - 1
        kth_pos = np.flatnonzero(position == k - 1)
        threshold_of = dict(zip(spec[kth_pos].tolist(), hits["score"][order[kth_pos]].tolist()))
        uniq, inverse = np.unique(hits["spec"], return_inverse=True)
        per_spec = np.array([threshold_of.get(s, -np.inf) for s in uniq.tolist()])
        threshold = per_spec[inverse]
        hits = take(hits, np.flatnonzero(hits["score"] >= threshold))
        n = hits["spec"].shape[0]
    order = np.lexsort((hits["adduct"].astype(str), hits["is_decoy"],
                        hits["mol_id"].astype(str), -hits["score"], hits["spec"]))
    spec = hits["spec"][order]
    starts = np.flatnonzero(np.concatenate(([True], spec[1:] != spec[:-1])))
    group_start = np.repeat(starts, np.diff(np.concatenate((starts, [n]))))
    position = np.arange(n) - group_start
    return take(hits, order[position < k])


def ranks(spec: np.ndarray) -> np.ndarray:
    """1-based position of each row within its run of equal ``spec`` (input sorted by spec)."""
    n = spec.shape[0]
    if n == 0:
        return np.zeros(0, np.int32)
    starts = np.flatnonzero(np.concatenate(([True], spec[1:] != spec[:-1])))
    group_start = np.repeat(starts, np.diff(np.concatenate((starts, [n]))))
    return (np.arange(n) - group_start + 1).astype(np.int32)
