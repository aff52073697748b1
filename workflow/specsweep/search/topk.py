"""Deterministic per-spectrum top-k over hit tables held as dicts of NumPy arrays.

Each spectrum has two lists, its targets and its decoys, and keeps the k best of each: top-10
means ten database structures, and the decoys the target-decoy estimate needs are kept beside
them, never in their place. Rows come grouped by spectrum, targets before decoys; order within a
list: score descending, then mol_id, then adduct name. This is a total order on hits, so keeping
the top k of each work unit and then the top k of their union gives the same rows however the
work was split.
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


def list_key(hits: dict) -> np.ndarray:
    """One integer per hit naming its list: 2 * spectrum + (1 for decoys)."""
    return hits["spec"].astype(np.int64) * 2 + hits["is_decoy"].astype(np.int64)


def top_k(hits: dict, k: int) -> dict:
    """Hits sorted by (spec, targets then decoys, order above), at most k per list."""
    n = hits["spec"].shape[0]
    if n == 0:
        return hits
    if n > 8 * k:
        # numeric pre-filter: drop hits scoring below their list's k-th best score, so that the
        # string sort below sees about k rows per list
        key = list_key(hits)
        order = np.lexsort((-hits["score"], key))
        position = ranks(key[order]) - 1
        kth_pos = np.flatnonzero(position == k - 1)
        threshold_of = dict(zip(key[order][kth_pos].tolist(), hits["score"][order[kth_pos]].tolist()))
        uniq, inverse = np.unique(key, return_inverse=True)
        per_list = np.array([threshold_of.get(g, -np.inf) for g in uniq.tolist()])
        hits = take(hits, np.flatnonzero(hits["score"] >= per_list[inverse]))
        n = hits["spec"].shape[0]
    key = list_key(hits)
    order = np.lexsort((hits["adduct"].astype(str), hits["mol_id"].astype(str), -hits["score"], key))
    return take(hits, order[ranks(key[order]) <= k])


def ranks(spec: np.ndarray) -> np.ndarray:
    """1-based position of each row within its run of equal values (input grouped by value);
    with :func:`list_key` of hits sorted by :func:`top_k`, the rank within the list."""
    n = spec.shape[0]
    if n == 0:
        return np.zeros(0, np.int32)
    starts = np.flatnonzero(np.concatenate(([True], spec[1:] != spec[:-1])))
    group_start = np.repeat(starts, np.diff(np.concatenate((starts, [n]))))
    return (np.arange(n) - group_start + 1).astype(np.int32)
