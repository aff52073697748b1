"""The ``specsweep rescore`` stage: candidates -> re-ranked candidates with PEP and PEP q-values.

Reads ``candidates.parquet`` (schema CANDIDATES), the spectra folder (peak counts, ion modes)
and, when given, the formula stage's ``formulas.parquet``; writes ``rescored.parquet`` (schema
RESCORED: every candidate row, each list re-ranked by the model's ``rescore``, the evidence
features, and ``pep`` / ``pep_q_value`` on each spectrum's top target) and a summary JSON.

Each spectrum is rescored with the model of its ion mode, as the search scores it with the
logRank model of its ion mode: the PEP model's class frequencies are re-estimated per ion mode
(each model on its own spectra), and the PEP q-values are taken over all top targets together.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from specsweep.files import read_table, write_json, write_table
from specsweep.rescore.features import (FEATURES, formula_rank_inv, list_features,
                                        read_formula_evidence, within_depth)
from specsweep.rescore.model import RescoreModel, top_features
from specsweep.rescore.pep import (ADAPT_DEFAULT, CLASSES, adapt_priors, class_evidence,
                                   pep_from_proba, pep_qvalues)
from specsweep.rescore.recalibration import concat_rescored, mix_share, to_metadata
from specsweep.rescore.uncertainty import (COVERAGE, INTERVAL_KEY, ion_modes_of,
                                           top_target_wrong_counts)
from specsweep.schema import CANDIDATES, RESCORED, SPECTRA

log = logging.getLogger("specsweep.rescore")

DEFAULT_LEVELS = (0.01, 0.05, 0.1)


def spectrum_facts(spectra_dir) -> tuple[dict[str, int], dict[str, str]]:
    """Peaks and ion mode per spectrum_id over the parts of an ingest folder."""
    from specsweep.spectra.parts import list_parts
    peaks: dict[str, int] = {}
    modes: dict[str, str] = {}
    for part in list_parts(Path(spectra_dir)):
        t = read_table(part, SPECTRA, columns=["spectrum_id", "mz", "ion_mode"])
        ids = t.column("spectrum_id").to_pylist()
        n = pc.list_value_length(t.column("mz")).to_numpy(zero_copy_only=False)
        peaks.update(zip(ids, n.tolist()))
        modes.update(zip(ids, t.column("ion_mode").to_pylist()))
    return peaks, modes


def peak_counts(spectra_dir) -> dict[str, int]:
    """Peaks per spectrum_id over the parts of an ingest folder."""
    return spectrum_facts(spectra_dir)[0]


def rescore_table(table: pa.Table, model: RescoreModel, n_peaks: dict[str, int] | None,
                  formulas: pa.Table | None = None,
                  adapt: str = ADAPT_DEFAULT) -> tuple[pa.Table, dict]:
    """Re-ranked RESCORED table and the dataset's PEP summary for a CANDIDATES table.

    Rows beyond the model's list depth (by search score) are left out and counted. ``adapt``:
    which class frequencies the dataset re-estimates (:func:`~specsweep.rescore.pep.adapt_priors`)."""
    n_in = table.num_rows
    if n_in:
        table = table.filter(pa.array(within_depth(
            pc.dictionary_encode(table.column("spectrum_id")).combine_chunks().indices.to_numpy(),
            table.column("is_decoy").to_numpy(zero_copy_only=False).astype(bool),
            table.column("score").to_numpy(), table.column("rank").to_numpy(), model.list_depth)))
    ids = table.column("spectrum_id").to_pylist()
    codes = {s: i for i, s in enumerate(dict.fromkeys(ids))}   # first-appearance order
    spec = np.fromiter((codes[s] for s in ids), np.int64, len(ids))
    col = {c: table.column(c).to_numpy(zero_copy_only=False) for c in
           ("is_decoy", "score", "rank", "n_matched_peaks", "explained_intensity", "exact_mass",
            "precursor_error_ppm")}
    peaks = None if n_peaks is None else np.array([n_peaks.get(s, 0) for s in ids], np.float64)
    f_inv = formula_rank_inv(ids, col["exact_mass"], formulas)
    order, lists, X = list_features(spec, col["is_decoy"].astype(bool), col["score"],
                                    col["rank"], col["n_matched_peaks"],
                                    col["explained_intensity"], col["exact_mass"],
                                    col["precursor_error_ppm"], peaks, f_inv)
    u = model.rescore(X)
    # new order: lists in (spectrum, targets first) order, rescore descending, then search order
    new = np.lexsort((np.arange(u.size), -u, lists))
    order, lists, X, u = order[new], lists[new], X[new], u[new]
    starts = np.flatnonzero(np.concatenate(([True], lists[1:] != lists[:-1]))) if u.size else \
        np.zeros(0, np.int64)
    sizes = np.diff(np.concatenate((starts, [u.size])))
    new_rank = (np.arange(u.size) - np.repeat(starts, sizes) + 1).astype(np.int32)
    top, P = top_features(X, lists, u, model.pep.features)
    is_target_top = ~col["is_decoy"].astype(bool)[order[top]]
    t_rows = top[is_target_top]
    raw = model.top_proba(P[is_target_top])
    proba, prior = adapt_priors(raw, model.train_prior, adapt=adapt)
    evidence = class_evidence(raw, model.train_prior)
    pep = pep_from_proba(proba, col["n_matched_peaks"][order[t_rows]])
    if model.recalibration is not None:
        pep = model.recalibration.apply(pep, mix_share(prior))
    q = pep_qvalues(pep)
    pep_col = np.full(u.size, np.nan)
    q_col = np.full(u.size, np.nan)
    pep_col[t_rows], q_col[t_rows] = pep, q
    out = table.take(pa.array(order))
    cols = {name: out.column(name) for name in CANDIDATES.names}
    cols["rank"] = pa.array(new_rank, pa.int32())
    cols["search_rank"] = out.column("rank").cast(pa.int32())
    cols["rescore"] = pa.array(u, pa.float64())
    cols["pep"] = pa.array(pep_col, pa.float64(), mask=np.isnan(pep_col))
    cols["pep_q_value"] = pa.array(q_col, pa.float64(), mask=np.isnan(q_col))
    for k, name in enumerate(CLASSES):
        ev = np.full(u.size, np.nan)
        ev[t_rows] = evidence[:, k]
        cols[f"evidence_{name}"] = pa.array(ev, pa.float64(), mask=np.isnan(ev))
    for j, name in enumerate(FEATURES):
        if name not in CANDIDATES.names:
            cols[name] = pa.array(X[:, j], pa.float64(), mask=np.isnan(X[:, j]))  # null: missing
    modes = ion_modes_of(table)
    result = pa.table([cols[n] for n in RESCORED.names], schema=RESCORED).replace_schema_metadata(
        to_metadata({m: model.recalibration for m in modes}))
    summary = {
        "spectra_with_targets": int(t_rows.size),
        "rows_beyond_list_depth": n_in - table.num_rows,
        "list_depth": model.list_depth,
        "class_frequency_training": dict(zip(CLASSES, np.round(model.train_prior, 4).tolist())),
        "class_frequency_estimated": dict(zip(CLASSES, np.round(prior, 4).tolist())),
        "expected_right_top_hits": round(float(np.sum(1.0 - pep)), 2),
        "pep_recalibrated": model.recalibration is not None,
        "pep_q_levels": {f"{lv:g}": int(np.sum(q <= lv)) for lv in DEFAULT_LEVELS},
        "zero_match_top_hits": int(np.sum(col["n_matched_peaks"][order[t_rows]] == 0)),
    }
    return result, summary


def rescore_by_ion_mode(table: pa.Table, models: dict[str, RescoreModel],
                        n_peaks: dict[str, int] | None, ion_mode: dict[str, str],
                        formulas: pa.Table | None = None) -> tuple[pa.Table, dict]:
    """:func:`rescore_table` with each spectrum's rows rescored by ``models[its ion mode]``.

    Rows keep the order of the spectra's first appearance; PEP q-values are recomputed over the
    top targets of all ion modes; the summary adds up the counts and keeps each ion mode's own
    under ``by_ion_mode``. A spectrum missing from ``ion_mode`` is an error."""
    ids = table.column("spectrum_id").to_pylist()
    missing = sorted({s for s in ids if s not in ion_mode})
    if missing:
        raise ValueError(f"{len(missing)} candidate spectra are not in the spectra folder "
                         f"(e.g. {missing[0]!r}); give the folder the search read")
    mode = np.array([ion_mode[s] for s in ids], dtype=object)
    present = [m for m in ("positive", "negative") if np.any(mode == m)] or ["positive"]
    parts, by_mode = [], {}
    for m in present:
        sub = table.filter(pa.array(mode == m)) if len(present) > 1 else table
        res, summ = rescore_table(sub, models[m], n_peaks, formulas)
        parts.append(res)
        by_mode[m] = summ
    if len(parts) == 1:
        return parts[0], {**by_mode[present[0]], "by_ion_mode": by_mode}
    result = concat_rescored(parts)
    first = {s: i for i, s in enumerate(dict.fromkeys(ids))}
    code = np.fromiter((first[s] for s in result.column("spectrum_id").to_pylist()), np.int64)
    result = result.take(pa.array(np.argsort(code, kind="stable")))
    pep = result.column("pep").to_numpy(zero_copy_only=False)
    top = ~np.isnan(pep)
    q = np.full(pep.size, np.nan)
    q[top] = pep_qvalues(pep[top])
    result = result.set_column(result.schema.get_field_index("pep_q_value"), RESCORED.field("pep_q_value"),
                               pa.array(q, pa.float64(), mask=~top))
    summary = {k: sum(v[k] for v in by_mode.values()) for k in
               ("spectra_with_targets", "rows_beyond_list_depth", "zero_match_top_hits")}
    summary["expected_right_top_hits"] = round(float(np.sum(1.0 - pep[top])), 2)
    summary["pep_q_levels"] = {f"{lv:g}": int(np.sum(q[top] <= lv)) for lv in DEFAULT_LEVELS}
    summary["by_ion_mode"] = by_mode
    return result, summary


def check_formula_evidence(models: dict, paths: dict, table: pa.Table, f_table: pa.Table | None,
                           formulas) -> dict | None:
    """Refuse a model that reads the formula stage's results without them (or with results for
    none of the candidates' spectra); warn where they are given but unread, or cover only some
    spectra. Returns the coverage for the summary (None without formulas)."""
    for m, model in models.items():
        if model.uses_formulas and f_table is None:
            raise ValueError(f"{paths[m]}: this rescoring model reads the formula stage's results; "
                             "give them (--formulas formulas.parquet) or use a model without them")
        if f_table is not None and not model.uses_formulas:
            log.warning("%s does not read the formula stage's results; %s spectra are rescored "
                        "without them", paths[m], m)
    if f_table is None:
        return None
    spectra_ids = pc.unique(table.column("spectrum_id"))
    covered = int(pc.sum(pc.is_in(spectra_ids, value_set=pc.unique(f_table.column("spectrum_id")))).as_py() or 0)
    if any(model.uses_formulas for model in models.values()) and covered < len(spectra_ids):
        if not covered:
            raise ValueError(f"{formulas}: no result for any spectrum with candidates; give the "
                             "formula stage's results of the same spectra")
        log.warning("%s: formula results for %d of the %d spectra with candidates; the others "
                    "are rescored without formula evidence", formulas, covered, len(spectra_ids))
    return {"spectra_with_candidates": len(spectra_ids), "with_formula_results": covered}


def run_rescore(candidates, spectra, output, model_path=None, formulas=None,
                summary_path=None, negative_model_path="default", search_summary=None,
                allow_other_search=False) -> dict:
    """Rescore a candidates file. ``model_path``: positive-mode model (None: shipped);
    ``negative_model_path``: negative-mode model ('default': shipped, 'same': ``model_path``);
    ``search_summary``: the search's summary JSON (default: next to the candidates), checked
    against the search each used model learnt from (:mod:`specsweep.rescore.provenance`)
    before anything is rescored."""
    from specsweep.rescore.model import default_rescorer_path
    from specsweep.rescore.provenance import check_search, read_search_summary, search_summary_path
    paths = {"positive": Path(model_path) if model_path else default_rescorer_path("positive")}
    paths["negative"] = (paths["positive"] if negative_model_path == "same" else
                         default_rescorer_path("negative") if negative_model_path in (None, "default")
                         else Path(negative_model_path))
    table = read_table(candidates, CANDIDATES)
    f_table = read_formula_evidence(formulas) if formulas else None
    n_peaks, ion_mode = spectrum_facts(spectra)
    used = sorted({ion_mode.get(s) for s in set(table.column("spectrum_id").to_pylist())} - {None})
    models = {m: RescoreModel.load(paths[m]) for m in used or ["positive"]}
    formula_cover = check_formula_evidence(models, paths, table, f_table, formulas)
    searched = read_search_summary(search_summary or search_summary_path(candidates))
    search_check = {m: check_search(searched, model.info, str(paths[m]), model.list_depth,
                                    allow_other_search) for m, model in models.items()}
    result, summary = rescore_by_ion_mode(table, models, n_peaks, ion_mode, f_table)
    top = result.filter(pc.is_valid(result.column("pep")))
    q = top.column("pep_q_value").to_numpy(zero_copy_only=False)
    wrong = top_target_wrong_counts(top, {f"{lv:g}": q <= lv for lv in DEFAULT_LEVELS})
    summary["pep_q_wrong"] = {name: {"expected": e, INTERVAL_KEY: list(iv)}
                              for name, (e, iv) in wrong.items()}
    output = Path(output)
    summary = {"candidates": str(candidates),
               "model": {m: str(paths[m]) for m in models},
               "formula_evidence": {m: model.uses_formulas for m, model in models.items()},
               "formula_results": formula_cover,
               "model_info": {m: {k: model.info.get(k) for k in ("trained_on", "excluded")}
                              for m, model in models.items()},
               "search_check": search_check,
               "rows": result.num_rows, **summary}
    write_table(result, output, RESCORED, metadata=dict(result.schema.metadata or {}))
    write_json(summary, Path(summary_path) if summary_path
               else output.with_name(output.name.removesuffix(".parquet") + ".summary.json"))
    log.info("%d rows re-ranked (models by ion mode: %s); %d top targets; estimated right %.1f; "
             "accepted at PEP q %s: %s (expected wrong, %d %% interval: %s)", result.num_rows,
             summary["model"], summary["spectra_with_targets"], summary["expected_right_top_hits"],
             "/".join(summary["pep_q_levels"]), list(summary["pep_q_levels"].values()),
             round(COVERAGE * 100), [f"{e:g} ({iv[0]}-{iv[1]})" for e, iv in wrong.values()])
    return summary
