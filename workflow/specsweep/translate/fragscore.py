"""Score a candidate structure against its spectrum with the database search's own model.

The candidate's fragmentation graph (:func:`specsweep.fragment.graph.fragment_smiles`) is matched
to the spectrum's peaks and scored with the logRank log-likelihood ratio of
:mod:`specsweep.model.tables` by the search kernel (:func:`specsweep.search.kernels.score_one`),
exactly as ``specsweep search`` scores a database molecule. Higher is better.
"""

from __future__ import annotations

import numpy as np

from specsweep.chem.adducts import get_adduct


def peak_logranks(intensity: np.ndarray) -> np.ndarray:
    """logRank (1..7) of each peak by intensity rank (ties: lower index first, as ingest does)."""
    from specsweep.spectra.logrank import log_rank
    order = np.argsort(-np.asarray(intensity, dtype=np.float64), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return log_rank(rank)


def load_fragment_scorer(model_path=None, tol_da: float = 0.01, h_shifts=(-1, 0, 1), cache_size: int = 4096):
    """Callable(smiles, mz, intensity, precursor_mz, adduct) -> log-likelihood ratio score.

    ``mz`` (Th, ascending) and ``intensity`` are the processed peaks of the spectrum. Structures
    the fragmenter cannot handle score NaN.
    """
    from specsweep.fragment.graph import FragmentParams, fragment_smiles
    from specsweep.model.tables import default_model_path, load_model
    from specsweep.search.kernels import score_one

    model = load_model(model_path or default_model_path())
    llr = {c: np.ascontiguousarray(model.llr_table(c)) for c in (1, 2)}
    params = FragmentParams(h_shifts=tuple(h_shifts))
    shifts = np.asarray(h_shifts, dtype=np.int64)
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
        charge = min(max(abs(add.charge), 1), 2)
        polarity = 1 if add.charge > 0 else -1
        mz = np.ascontiguousarray(mz, dtype=np.float64)
        n_peaks, n_frag = len(mz), len(fg.mass)
        sc, _, _ = score_one(fg.mass, fg.parent, fg.bond, fg.depth, mz, peak_logranks(intensity),
                             np.ascontiguousarray(intensity, dtype=np.float64), llr[charge], float(tol_da), 0.0,
                             shifts, charge, polarity, np.empty(n_peaks, np.int32), np.empty(n_peaks, np.int32),
                             np.empty(n_frag, np.int8))
        return float(sc)

    return score
