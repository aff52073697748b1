"""Where every input spectrum ended, and how many hits each error measure accepts at each level.

Every spectrum read by ``specsweep ingest`` is exactly one of: rejected at ingest (with a reason
code), searched without any candidate that explains a peak ("no_candidates"), won by a decoy, or
won by a target. Target winners are *identified* only at the accepted level of the accepted
measure (``FdrParams.accept_level`` / ``accept_measure``); the other levels are counted per
measure as "accepted at level x", never as identified.

Measures (one entry each in ``summary.json["measures"]``, named by their identifications column):

- ``q_value``: target-decoy q-value of the spectrum's winning target, (D+1)/T made monotone. It
  answers "is the hit better than a random structure?". Level 0 means "above every decoy winner"
  (no decoy at that cut), since the (D+1)/T estimate is never 0.
- ``compound_q_value``: the same over the picked competition per compound.
- ``pep_q_value`` (with the rescore stage): running mean of posterior error probabilities that
  the reported structure is not the right one.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

MEANINGS = {
    "q_value": "target-decoy q-value of the spectrum's winning target: (D+1)/T over winners scoring "
               "at least as high, made monotone; estimates the share of accepted hits no better "
               "than a random structure (decoy)",
    "compound_q_value": "target-decoy q-value of the picked competition between each molecule and "
                        "its own decoy; counts distinct compounds",
    "pep_q_value": "mean posterior error probability (rescoring model) of the accepted top targets: "
                   "estimates the share of accepted hits whose structure (first InChIKey block) "
                   "is wrong",
}


def level_name(level: float) -> str:
    """0.01 -> '1%', 0.0 -> '0%', 0.005 -> '0.5%'."""
    return f"{level * 100:g}%"


def accepted(q: np.ndarray, decoy_free: np.ndarray, level: float) -> np.ndarray:
    """Mask of target winners accepted at ``level`` (q <= level; level 0: decoy-free set)."""
    return decoy_free.copy() if level <= 0 else (q <= level) & ~np.isnan(q)


def level_counts(masks: dict[str, np.ndarray], keys) -> dict:
    """{level name: {"accepted": hits, "unique_compounds": distinct keys}} from accepted masks."""
    keys = np.asarray(keys, dtype=object)
    return {name: {"accepted": int(m.sum()), "unique_compounds": len({k for k in keys[m] if k})}
            for name, m in masks.items()}


def spectra_summary(n_ingested: int, reject_reasons, n_with_candidates: int, winner_is_decoy,
                    identified: int, identified_compounds: int) -> dict:
    """Account for every input spectrum.

    ``reject_reasons``: reason code of each ingest reject; ``winner_is_decoy``: one bool per
    spectrum with candidates; ``identified``: spectra accepted at the accepted level of the accepted
    measure (target winners for the target-decoy q-value; top targets, decoy winners included, for
    the PEP q-value), ``identified_compounds`` their distinct compounds. Raises ValueError if the
    counts do not add up.
    """
    reasons = Counter(str(r) for r in reject_reasons)
    n_rejected = sum(reasons.values())
    winner_is_decoy = np.asarray(winner_is_decoy, dtype=bool)
    n_decoy = int(winner_is_decoy.sum())
    n_target = int(winner_is_decoy.size - n_decoy)
    if winner_is_decoy.size != n_with_candidates or n_with_candidates > n_ingested:
        raise ValueError(f"spectra accounting does not add up: {n_ingested} ingested, "
                         f"{n_with_candidates} with candidates, {winner_is_decoy.size} winners")
    if identified > n_with_candidates:
        raise ValueError(f"{identified} identified spectra but only {n_with_candidates} with candidates")
    out = {
        "input_total": n_ingested + n_rejected,
        "rejected": n_rejected,
        "rejected_by_reason": dict(sorted(reasons.items())),
        "ingested": n_ingested,
        "no_candidates": n_ingested - n_with_candidates,
        "with_candidates": n_with_candidates,
        "target_won": n_target,
        "decoy_won": n_decoy,
        "identified": int(identified),
        "identified_compounds": int(identified_compounds),
        "not_identified": n_ingested + n_rejected - int(identified),
    }
    assert out["input_total"] == out["rejected"] + out["no_candidates"] + out["target_won"] + out["decoy_won"]
    return out


def compounds_summary(picked_score, picked_decoy_won, picked_q, picked_keys, levels) -> dict:
    """The picked competition per compound and its counts at each level."""
    picked_decoy_won = np.asarray(picked_decoy_won, dtype=bool)
    picked_score = np.asarray(picked_score, dtype=np.float64)
    best_decoy = picked_score[picked_decoy_won].max() if picked_decoy_won.any() else -np.inf
    targets = ~picked_decoy_won
    decoy_free = targets & (picked_score > best_decoy)
    masks = {level_name(lv): targets & accepted(np.asarray(picked_q), decoy_free, lv) for lv in levels}
    return {"meaning": MEANINGS["compound_q_value"], "column": "compound_q_value",
            "over": "molecules whose best spectrum hit or whose decoy's won a spectrum",
            "competing": int(picked_decoy_won.size), "target_won": int(targets.sum()),
            "decoy_won": int(picked_decoy_won.sum()), "levels": level_counts(masks, picked_keys)}


def pep_summary(rescored, levels) -> dict:
    """Spectra whose top target (after rescoring) passes each PEP q-value level, whether or not
    it also won the target-decoy competition; the expected number of wrong ones, and an interval
    for that number (:mod:`specsweep.rescore.uncertainty`)."""
    import pyarrow.compute as pc
    from specsweep.rescore.recalibration import from_metadata
    from specsweep.rescore.uncertainty import COVERAGE, INTERVAL_KEY, top_target_wrong_counts
    top = rescored.filter(pc.is_valid(rescored.column("pep")))
    pep = top.column("pep").to_numpy()
    q = top.column("pep_q_value").to_numpy()
    keys = np.asarray(top.column("inchikey14").to_pylist(), dtype=object)
    masks = {level_name(lv): (q <= lv if lv > 0 else pep <= 0) for lv in levels}
    counts = level_counts(masks, keys)
    interval_name = f"wrong_{INTERVAL_KEY}"
    for name, (expected, interval) in top_target_wrong_counts(top, masks).items():
        counts[name]["expected_wrong"] = expected
        counts[name][interval_name] = list(interval)
    return {"meaning": MEANINGS["pep_q_value"], "column": "pep_q_value",
            "over": "top target of every spectrum after rescoring (decoy winners included)",
            "top_targets": int(pep.size), "expected_right": round(float(np.sum(1 - pep)), 2),
            # per ion mode: were the PEPs mapped by the dataset's absent share (rescore.recalibration)
            "pep_recalibrated": {m: r is not None for m, r in from_metadata(rescored.schema).items()},
            interval_name: (f"central {COVERAGE:.0%} of the number of wrong hits among the "
                            "accepted, with the class frequencies' estimation error and "
                            "each hit's chance (not the model's own error)"),
            "levels": counts}
