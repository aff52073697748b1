"""Score a candidate structure against its spectrum with the database search's own model.

The candidate's fragmentation graph (:func:`specsweep.fragment.graph.fragment_smiles`) is matched
to the spectrum's peaks and scored with the logRank log-likelihood ratio of
:mod:`specsweep.model.tables` by the search kernel (:func:`specsweep.search.kernels.score_pairs`,
one pair), exactly as ``specsweep search`` scores a database molecule. Higher is better.
"""

from __future__ import annotations

import numpy as np

from specsweep.chem.adducts import get_adduct
from specsweep.model.tables import model_fragmentation, stacked_llr
from specsweep.params.blocks import FragmentMatching
from specsweep.params.options import Tolerance
from specsweep.params.recorded import check_against_model


def peak_logranks(intensity: np.ndarray) -> np.ndarray:
    """logRank (1..7) of each peak by intensity rank (ties: lower index first, as ingest does)."""
    from specsweep.spectra.logrank import log_rank
    order = np.argsort(-np.asarray(intensity, dtype=np.float64), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return log_rank(rank)


def load_fragment_scorer(model_path=None, tol: Tolerance = FragmentMatching.fragment_tol, cache_size: int = 4096,
                         spectra: list[dict] | None = None):
    """Callable(smiles, mz, intensity, precursor_mz, adduct) -> log-likelihood ratio score.

    ``mz`` (Th, ascending) and ``intensity`` are the processed peaks of the spectrum. Candidates
    are cut as the model's training structures were (its recorded fragmentation and hydrogen
    shifts) and matched within ``tol``, as the search matches them: negative-mode adducts with the
    shipped negative-mode model (when ``model_path`` is None), sodium adducts with sodiated
    fragment ions. Structures the fragmenter cannot handle score NaN. ``spectra``: the ingest
    settings of the spectra to be scored, refused when the model's training spectra were
    processed otherwise (:mod:`specsweep.params.recorded`).
    """
    from specsweep.fragment.graph import fragment_smiles
    from specsweep.model.tables import default_model_path, load_model
    from specsweep.search.kernels import pair_charge_code, score_pairs

    model = load_model(model_path or default_model_path())
    check_against_model(model.params, str(model_path or "the shipped model"), fragment_tol=tol, spectra=spectra,
                        fix="Re-rank with the model's fragment tolerance or train one with this tolerance")
    negative = None
    if model_path is None:  # the shipped models: each ion mode its own (a given model scores both)
        negative = load_model(default_model_path("negative"))
        check_against_model(negative.params, "the shipped negative-mode model", fragment_tol=tol,
                            spectra=spectra, fix="Re-rank with the model's fragment tolerance")
    llr = stacked_llr(model, negative)
    params = model_fragmentation(model)
    shifts = np.asarray(params.h_shifts, dtype=np.int64)
    tol_da, tol_ppm = tol.da_ppm()
    graphs: dict = {}

    def score(smiles: str, mz, intensity, precursor_mz: float, adduct: str | None) -> float:
        if smiles not in graphs:
            if len(graphs) >= cache_size:
                graphs.clear()
            try:
                graphs[smiles] = fragment_smiles(smiles, params)
            except (ValueError, KeyError):
                graphs[smiles] = None
        fg = graphs[smiles]
        if fg is None or len(mz) == 0:
            return float("nan")
        add = get_adduct(adduct or "[M+H]+")
        mz = np.ascontiguousarray(mz, dtype=np.float64)
        out = np.zeros(1), np.zeros(1, np.int32), np.zeros(1)
        score_pairs(np.zeros(1, np.int64), np.zeros(1, np.int64), np.array([pair_charge_code(add)], np.int64),
                    np.array([0, len(mz)], np.int64), mz, peak_logranks(intensity),
                    np.ascontiguousarray(intensity, dtype=np.float64), np.array([0, len(fg.mass)], np.int64),
                    fg.mass, fg.parent, fg.bond, fg.depth, llr, tol_da, tol_ppm, shifts, *out)
        return float(out[0][0])

    return score
