"""Per-candidate evidence features, computed within one spectrum's candidate list.

A *list* is the target candidates of one spectrum, or its decoy candidates: the two are
featurised and ranked separately, so that a decoy list looks to the model like a target list
and target-decoy competition stays fair. Every feature of a candidate depends only on its own
list, so removing a molecule from the database is the same as removing its rows before
featurising (what the regime benchmarks do).

Columns of the feature table (:data:`FEATURES`; gaps in score units, clipped to +-GAP_CAP):

- ``score``: the search's logRank log-likelihood ratio.
- ``explained_intensity``: fraction of the spectrum's intensity explained, 0..1.
- ``log_matched``: log(1 + peaks explained).
- ``matched_fraction``: peaks explained / peaks in the spectrum (0 when unknown).
- ``delta_best``: score minus the best *other* score of the list (> 0 only for a clear leader).
- ``gap_next``: score minus the next lower score of the list (GAP_CAP for the last one).
- ``delta_isomer``: score minus the best score among the other candidates of the same formula
  (isomers; same formula = same neutral mass within ISOMER_MASS_DA); GAP_CAP when it has none.
- ``has_isomer``: 1 when another candidate of the same formula is in the list.
- ``log_candidates``: log(candidates in the list), i.e. molecules in the precursor window.
- ``log_isomers``: log(1 + other candidates of the same formula in the list).
- ``abs_ppm``: |precursor m/z error| in ppm, at least PPM_FLOOR.
- ``mass_kda``: neutral mass of the candidate in kDa (score grows with fragment count).
- ``no_match``: 1 when the candidate explains no peak.
- ``formula_rank_inv``: 1 / rank of the candidate's formula among the spectrum's formulas from
  the ``formula`` stage (0 when not among them). Missing-value rule: NaN when the formula stage
  gave no result for the spectrum; a model that uses the feature replaces NaN by its training
  mean (a zero contribution), a model that does not use it ignores it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from specsweep.schema import RESCORE_FEATURES

GAP_CAP = 30.0
# precursor errors below this (ppm) carry no information: a measured precursor is that
# uncertain, and a reference spectrum whose precursor was computed from its structure (most of
# MassBank's) must not make its right formula stand out
PPM_FLOOR = 3.0
LIST_DEPTH = 50   # candidates per list (targets, or decoys) the features look at
ISOMER_MASS_DA = 1e-4
FORMULA_MASS_DA = 1e-4   # the same formula: same neutral mass (as ISOMER_MASS_DA)

FEATURES = tuple(name for name, _ in RESCORE_FEATURES)   # column order of feature matrices


def _codes(values) -> np.ndarray:
    _, inv = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return inv.astype(np.int64)


def list_order(spec: np.ndarray, is_decoy: np.ndarray, score: np.ndarray,
               rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row order grouping each list (spectrum, side) with scores descending (ties: search rank),
    and the list code of each row in that order."""
    order = np.lexsort((rank, -score, is_decoy, spec))
    s, d = spec[order], is_decoy[order]
    new = np.concatenate(([True], (s[1:] != s[:-1]) | (d[1:] != d[:-1])))
    return order, np.cumsum(new) - 1


def group_starts(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and size of each run of equal codes (codes sorted)."""
    n = group.shape[0]
    starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1]))) if n else \
        np.zeros(0, np.int64)
    sizes = np.diff(np.concatenate((starts, [n])))
    return starts, sizes


def _best_other(group: np.ndarray, score: np.ndarray) -> np.ndarray:
    """For rows sorted by (group, score desc): the best score of the other rows of the group
    (-inf when alone)."""
    starts, sizes = group_starts(group)
    first = np.repeat(starts, sizes)
    best = score[first]
    second = np.where(np.repeat(sizes, sizes) > 1, score[np.minimum(first + 1, len(score) - 1)],
                      -np.inf)
    return np.where(np.arange(len(score)) == first, second, best)


def list_features(spec, is_decoy, score, rank, n_matched, explained, exact_mass, ppm,
                  n_peaks=None, formula_rank_inv=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature matrix (rows in list order) for candidate rows given as parallel arrays.

    ``spec``: integer spectrum code per row; ``n_peaks``: peaks of each row's spectrum (or
    None); ``formula_rank_inv``: per row, see the module docstring (or None: NaN).
    Returns ``(order, list_code, X)``: X[i] belongs to input row order[i], float64,
    columns :data:`FEATURES`.
    """
    spec = np.asarray(spec, np.int64)
    is_decoy = np.asarray(is_decoy, bool)
    score = np.asarray(score, np.float64)
    order, lists = list_order(spec, is_decoy, score, np.asarray(rank))
    sc = score[order]
    n = sc.shape[0]
    starts, sizes = group_starts(lists)
    pos = np.arange(n) - np.repeat(starts, sizes)
    size = np.repeat(sizes, sizes)
    nxt = np.where(pos + 1 < size, sc[np.minimum(np.arange(n) + 1, n - 1)], -np.inf)
    delta_best = sc - _best_other(lists, sc)
    gap_next = sc - nxt
    # isomers: same list and same neutral mass (rounded); order inside by score desc
    mass = np.asarray(exact_mass, np.float64)[order]
    mkey = np.round(mass / ISOMER_MASS_DA).astype(np.int64)
    iso_order = np.lexsort((np.arange(n), -sc, mkey, lists))
    il, im = lists[iso_order], mkey[iso_order]
    iso_group = np.cumsum(np.concatenate(([True], (il[1:] != il[:-1]) | (im[1:] != im[:-1])))) - 1
    i_starts, i_sizes = group_starts(iso_group)
    iso_best_other = np.empty(n)
    iso_best_other[iso_order] = _best_other(iso_group, sc[iso_order])
    n_iso = np.empty(n, np.int64)
    n_iso[iso_order] = np.repeat(i_sizes, i_sizes) - 1
    delta_iso = sc - iso_best_other
    matched = np.asarray(n_matched, np.float64)[order]
    peaks = np.asarray(n_peaks, np.float64)[order] if n_peaks is not None else np.zeros(n)
    frac = np.where(peaks > 0, matched / np.maximum(peaks, 1), 0.0)
    f_inv = (np.asarray(formula_rank_inv, np.float64)[order] if formula_rank_inv is not None
             else np.full(n, np.nan))
    cols = {
        "score": sc,
        "explained_intensity": np.asarray(explained, np.float64)[order],
        "log_matched": np.log1p(matched),
        "matched_fraction": frac,
        "delta_best": np.clip(delta_best, -GAP_CAP, GAP_CAP),
        "gap_next": np.clip(gap_next, -GAP_CAP, GAP_CAP),
        "delta_isomer": np.clip(delta_iso, -GAP_CAP, GAP_CAP),
        "has_isomer": (n_iso > 0).astype(np.float64),
        "log_candidates": np.log(size.astype(np.float64)),
        "log_isomers": np.log1p(n_iso.astype(np.float64)),
        "abs_ppm": np.maximum(np.abs(np.asarray(ppm, np.float64)[order]), PPM_FLOOR),
        "mass_kda": mass / 1000.0,
        "no_match": (matched == 0).astype(np.float64),
        "formula_rank_inv": f_inv,
    }
    X = np.column_stack([cols[f] for f in FEATURES]) if n else np.zeros((0, len(FEATURES)))
    return order, lists, X


# columns of the formula stage's FORMULAS table that formula_rank_inv reads
FORMULA_COLUMNS = ("spectrum_id", "rank", "formula", "status")


def read_formula_evidence(paths) -> pa.Table:
    """The columns :func:`formula_rank_inv` reads from one or more formulas.parquet files."""
    from specsweep.files import read_table
    from specsweep.schema import FORMULAS
    paths = [paths] if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__") else list(paths)
    return pa.concat_tables([read_table(p, FORMULAS, columns=list(FORMULA_COLUMNS)) for p in paths])


def formula_rank_inv(spectrum_ids, exact_mass, formulas: pa.Table | None) -> np.ndarray | None:
    """Per candidate row: 1 / rank of its formula among the spectrum's formula-stage results
    (matched by neutral mass within FORMULA_MASS_DA), 0 when absent, NaN when the formula
    stage has no result for the spectrum. None when no formula table is given."""
    if formulas is None:
        return None
    from specsweep.chem.formulas import formula_mass, parse_formula
    best: dict[str, list[tuple[float, int]]] = {}
    for sid, f, r, status in zip(formulas.column("spectrum_id").to_pylist(),
                                 formulas.column("formula").to_pylist(),
                                 formulas.column("rank").to_pylist(),
                                 formulas.column("status").to_pylist()):
        if f is None or status == "no_candidates":
            continue
        best.setdefault(sid, []).append((formula_mass(parse_formula(f)), int(r)))
    out = np.full(len(spectrum_ids), np.nan)
    for i, (sid, m) in enumerate(zip(spectrum_ids, exact_mass)):
        entries = best.get(sid)
        if entries is None:
            continue
        ranks = [r for fm, r in entries if abs(fm - m) <= FORMULA_MASS_DA]
        out[i] = 1.0 / min(ranks) if ranks else 0.0
    return out


def within_depth(spec, is_decoy, score, rank, depth: int) -> np.ndarray:
    """Mask of the rows among the ``depth`` best (search score, then search rank) of their list.

    Lists are cut at a fixed depth before featurising, so that features such as the number of
    candidates mean the same whatever top-k the search kept (as long as it kept at least that
    many) and the same in training and in use.
    """
    spec = np.asarray(spec, np.int64)
    order, lists = list_order(spec, np.asarray(is_decoy, bool), np.asarray(score, np.float64),
                              np.asarray(rank))
    starts, sizes = group_starts(lists)
    pos = np.arange(lists.size) - np.repeat(starts, sizes)
    mask = np.zeros(spec.size, bool)
    mask[order[pos < depth]] = True
    return mask
