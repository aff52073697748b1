"""Which search a rescoring model learnt from, and the check of a new search against it.

The rescorer's features are the search's scores and the lists the search made, so its weights
and PEPs hold only for candidates scored the way its training candidates were. The model file
records that search (``info.search``: the logRank model's sha256 per ion mode, the matching and
list settings) from the search summaries of its training candidates, and the rescore stage
compares it with the summary of the search it is given. The rule of
:mod:`specsweep.params.recorded` applies:

- **refuse** (:class:`~specsweep.params.recorded.SettingsMismatch`) when what defines the score
  differs (:data:`SCORE_KEYS` and the score model of an ion mode the rescorer was trained on):
  a score of another model or other matching means something else, and the PEPs would be
  wrong without any sign of it. ``allow=True`` (``--allow-other-search``) turns this into a
  warning for users who have checked the calibration themselves;
- **warn** when only what shapes the lists differs (:data:`LIST_KEYS`, a top-k shorter than the
  list depth) or when either side records nothing (files from before this record existed);
- nothing is reused: the rescore stage has no setting that the search decides.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from specsweep.params.recorded import SettingsMismatch, differences

log = logging.getLogger("specsweep.rescore")

SCORE_KEYS = ("fragment_tol_da", "fragment_tol_ppm", "h_shifts", "min_matched_peaks")
LIST_KEYS = ("precursor_tol_da", "precursor_tol_ppm", "adducts", "adduct_priors", "targets_only")


def search_summary_path(candidates) -> Path:
    """Where ``specsweep search`` writes the summary of ``candidates`` by default."""
    p = Path(candidates)
    return p.with_name(p.name.removesuffix(".parquet") + ".summary.json")


def read_search_summary(path) -> dict | None:
    """A search summary, or None when the file is missing."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the search summary ({exc})") from exc


def search_record(summary: dict, ion_modes=None) -> dict:
    """What a rescoring model keeps of a search summary: the score model's sha256 and training
    files per ion mode (only ``ion_modes`` when given), the settings, top-k."""
    models = {mode: {"sha256": rec.get("sha256"), "training_files": rec.get("training_files", [])}
              for mode, rec in (summary.get("models") or {}).items()
              if ion_modes is None or mode in ion_modes}
    params = summary.get("params") or {}
    return {"score_models": models,
            "params": {k: params[k] for k in SCORE_KEYS + LIST_KEYS + ("top_k",) if k in params}}


def common_record(records: list[dict], names: list[str]) -> dict:
    """The one search record of several training searches; refuses searches that differ in
    what defines the score (a model must learn one score)."""
    first = records[0]
    for rec, name in zip(records[1:], names[1:]):
        problems = _score_problems(rec, first)
        if problems:
            raise SettingsMismatch(f"{name}: searched differently from {names[0]}: "
                                   + "; ".join(problems) + " (train on candidates of one search setting)")
    return first


def _score_problems(given: dict, recorded: dict) -> list[str]:
    out = [f"{k} = {g} but {r} in training" for k, g, r in
           differences(given.get("params", {}), recorded.get("params", {}), SCORE_KEYS)]
    for mode, rec in recorded.get("score_models", {}).items():
        new = given.get("score_models", {}).get(mode)
        if new and rec.get("sha256") and new.get("sha256") and new["sha256"] != rec["sha256"]:
            out.append(f"{mode}-mode score model sha256 {new['sha256'][:16]} but "
                       f"{rec['sha256'][:16]} in training (trained on {rec.get('training_files')})")
    return out


def _unchecked(given: dict, recorded: dict) -> list[str]:
    out = [k for k in SCORE_KEYS if k not in given.get("params", {}) or k not in recorded.get("params", {})]
    for mode, rec in recorded.get("score_models", {}).items():
        if not rec.get("sha256") or not (given.get("score_models", {}).get(mode) or {}).get("sha256"):
            out.append(f"{mode}-mode score model")
    return out


def check_search(summary: dict | None, model_info: dict, model_name: str, list_depth: int,
                 allow: bool = False) -> dict:
    """Compare the search that made the candidates with the one the rescorer learnt from.

    Raises :class:`SettingsMismatch` on a score difference unless ``allow``; logs a warning for
    list differences and for what cannot be checked. Returns what the rescore summary records:
    ``status`` (``same``, ``differs``, ``unchecked``) and the messages.
    """
    recorded = model_info.get("search")
    if summary is None or not recorded:
        why = ("no search summary next to the candidates" if summary is None
               else f"{model_name} does not record its training search")
        log.warning("cannot check that the candidates were searched as the rescoring model's "
                    "training candidates were: %s", why)
        return {"status": "unchecked", "messages": [why]}
    given = search_record(summary)
    problems = _score_problems(given, recorded)
    if problems and not allow:
        raise SettingsMismatch(
            f"{model_name}: the candidates were not scored as its training candidates were: "
            + "; ".join(problems) + ". Retrain the rescorer on candidates of this search "
            "(train-rescorer), or search as it was trained; --allow-other-search uses it anyway")
    notes = [f"{k} = {g} but {r} in training" for k, g, r in
             differences(given["params"], recorded.get("params", {}), LIST_KEYS)]
    top_k = given["params"].get("top_k")
    if top_k is not None and top_k < list_depth:
        notes.append(f"top_k = {top_k} keeps fewer than the {list_depth} candidates per list the "
                     "features were trained on")
    missing = _unchecked(given, recorded)
    if missing:
        notes.append("not recorded on both sides, unchecked: " + ", ".join(missing))
    for msg in problems + notes:
        log.warning("rescoring model vs this search: %s", msg)
    status = "differs" if problems or len(notes) > bool(missing) else "unchecked" if missing else "same"
    return {"status": status, "messages": problems + notes}
