"""Where every input spectrum ended, and how many spectra and compounds pass each FDR level.

Every spectrum read by ``specsweep ingest`` is exactly one of: rejected at ingest (with a reason
code), searched without any candidate in the precursor window ("no_candidates"), won by a decoy,
or won by a target. Target winners are "identified" at an FDR level when their q-value is at most
that level; level 0 means "above every decoy winner" (no decoy at that cut), since the (D+1)/T
estimate is never 0.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def level_name(level: float) -> str:
    """0.01 -> '1%', 0.0 -> '0%', 0.005 -> '0.5%'."""
    return f"{level * 100:g}%"


def accepted(q: np.ndarray, decoy_free: np.ndarray, level: float) -> np.ndarray:
    """Mask of target winners accepted at ``level`` (q <= level; level 0: decoy-free set)."""
    return decoy_free.copy() if level <= 0 else (q <= level) & ~np.isnan(q)


def spectra_summary(n_ingested: int, reject_reasons, n_with_candidates: int, winner_is_decoy,
                    target_q, target_decoy_free, target_keys, levels) -> dict:
    """Account for every input spectrum.

    ``reject_reasons``: reason code of each ingest reject; ``winner_is_decoy``: one bool per
    spectrum with candidates; ``target_q``/``target_decoy_free``/``target_keys``: per target
    winner, its q-value, whether it beats every decoy, and its compound key (inchikey14).
    Raises ValueError if the counts do not add up.
    """
    reasons = Counter(str(r) for r in reject_reasons)
    n_rejected = sum(reasons.values())
    winner_is_decoy = np.asarray(winner_is_decoy, dtype=bool)
    n_decoy = int(winner_is_decoy.sum())
    n_target = int(winner_is_decoy.size - n_decoy)
    if winner_is_decoy.size != n_with_candidates or n_with_candidates > n_ingested:
        raise ValueError(f"spectra accounting does not add up: {n_ingested} ingested, "
                         f"{n_with_candidates} with candidates, {winner_is_decoy.size} winners")
    target_keys = np.asarray(target_keys, dtype=object)
    identified, unique, unidentified = {}, {}, {}
    for level in levels:
        mask = accepted(np.asarray(target_q), np.asarray(target_decoy_free, dtype=bool), level)
        name = level_name(level)
        identified[name] = int(mask.sum())
        unique[name] = len({k for k in target_keys[mask] if k})
        unidentified[name] = n_ingested - int(mask.sum())
    out = {
        "input_total": n_ingested + n_rejected,
        "rejected": n_rejected,
        "rejected_by_reason": dict(sorted(reasons.items())),
        "ingested": n_ingested,
        "no_candidates": n_ingested - n_with_candidates,
        "with_candidates": n_with_candidates,
        "target_won": n_target,
        "decoy_won": n_decoy,
        "identified": identified,
        "unidentified": unidentified,
        "unique_compounds": unique,
    }
    assert out["input_total"] == out["rejected"] + out["no_candidates"] + out["target_won"] + out["decoy_won"]
    return out


def compounds_summary(picked_score, picked_decoy_won, picked_q, picked_keys, levels) -> dict:
    """Counts of the picked competition per compound at each level."""
    picked_decoy_won = np.asarray(picked_decoy_won, dtype=bool)
    picked_score = np.asarray(picked_score, dtype=np.float64)
    best_decoy = picked_score[picked_decoy_won].max() if picked_decoy_won.any() else -np.inf
    targets = ~picked_decoy_won
    decoy_free = targets & (picked_score > best_decoy)
    picked_keys = np.asarray(picked_keys, dtype=object)
    identified = {}
    for level in levels:
        mask = targets & accepted(np.asarray(picked_q), decoy_free, level)
        identified[level_name(level)] = len({k for k in picked_keys[mask] if k})
    return {"competing": int(picked_decoy_won.size), "target_won": int(targets.sum()),
            "decoy_won": int(picked_decoy_won.sum()), "identified": identified}


def pep_summary(rescored, levels) -> dict:
    """Spectra whose top target (after rescoring) passes each PEP q-value level, whether or not
    it also won the target-decoy competition; and the expected number of wrong ones."""
    import pyarrow.compute as pc
    top = rescored.filter(pc.is_valid(rescored.column("pep")))
    pep = top.column("pep").to_numpy()
    q = top.column("pep_q_value").to_numpy()
    keys = np.asarray(top.column("inchikey14").to_pylist(), dtype=object)
    out = {"measure": "posterior probability that the top target is not the right structure "
                      "(first InChIKey block); q = mean PEP of the accepted hits",
           "top_targets": int(pep.size), "expected_right": round(float(np.sum(1 - pep)), 2),
           "identified": {}, "expected_wrong": {}, "unique_compounds": {}}
    for level in levels:
        mask = q <= level if level > 0 else pep <= 0
        name = level_name(level)
        out["identified"][name] = int(mask.sum())
        out["expected_wrong"][name] = round(float(pep[mask].sum()), 2)
        out["unique_compounds"][name] = len({k for k in keys[mask] if k})
    return out
