"""Target-decoy competition: one winner per spectrum, and a picked competition per compound.

Spectrum level: among all candidates of a spectrum (targets and decoys searched together), the
best score wins. A tie between the best target and the best decoy goes to the decoy, which can
only raise the estimated FDR (conservative). Among tied targets the lower candidate rank wins.

Compound level ("picked" competition, as in picked-protein FDR, Savitski et al. 2015): each
database molecule and its own decoy (same ``mol_id``) compete once. The molecule's score is the
best score of the spectrum winners that are that molecule; the decoy's score is the best score
of the spectrum winners that are its decoy. The higher one is kept (ties: decoy); a molecule
whose decoy never won a spectrum keeps its score, and vice versa. q-values are then computed over
the kept entries (:func:`specsweep.fdr.qvalues.qvalues`).

All functions take and return NumPy arrays; string ids are mapped to integer codes by the caller.
"""

from __future__ import annotations

import numpy as np


def spectrum_winners(spectrum: np.ndarray, score: np.ndarray, is_decoy: np.ndarray,
                     rank: np.ndarray) -> np.ndarray:
    """Row index of the winning candidate of each spectrum, in ascending spectrum code order.

    ``spectrum``: integer code per candidate row; ``score``: float64, higher is better;
    ``is_decoy``: bool; ``rank``: the search's 1-based rank (tie-break among equal targets).
    """
    spectrum = np.asarray(spectrum)
    score = np.asarray(score, dtype=np.float64)
    is_decoy = np.asarray(is_decoy, dtype=bool)
    rank = np.asarray(rank)
    if not (spectrum.shape == score.shape == is_decoy.shape == rank.shape):
        raise ValueError("spectrum, score, is_decoy and rank must have one entry per candidate")
    if spectrum.size == 0:
        return np.empty(0, dtype=np.int64)
    if np.isnan(score).any():
        raise ValueError("candidate scores contain NaN")
    # lexsort: last key is primary. Within a spectrum: higher score, then decoy before target,
    # then lower rank, then row order.
    order = np.lexsort((np.arange(spectrum.size), rank, ~is_decoy, -score, spectrum))
    s = spectrum[order]
    first = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    return order[first]


def best_by_side(spectrum: np.ndarray, score: np.ndarray, is_decoy: np.ndarray,
                 n_spectra: int) -> tuple[np.ndarray, np.ndarray]:
    """Best target score and best decoy score of each spectrum code 0..n_spectra-1 (-inf if none).

    A target and its own decoy score exactly alike when neither matches a peak (same graph
    shape, same bond types), so ``best_target == best_decoy`` marks spectra decided by the tie
    rule.
    """
    score = np.asarray(score, dtype=np.float64)
    is_decoy = np.asarray(is_decoy, dtype=bool)
    best_t = np.full(n_spectra, -np.inf)
    best_d = np.full(n_spectra, -np.inf)
    np.maximum.at(best_t, spectrum[~is_decoy], score[~is_decoy])
    np.maximum.at(best_d, spectrum[is_decoy], score[is_decoy])
    return best_t, best_d


def picked_compounds(compound: np.ndarray, score: np.ndarray,
                     is_decoy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Picked competition between each molecule and its own decoy.

    Input: one entry per spectrum winner (``compound`` integer code = the molecule, shared by
    its decoy). Returns ``(codes, best_score, decoy_won)`` with one entry per compound code that
    occurs, ascending: the score kept for the pair and whether it belongs to the decoy.
    """
    compound = np.asarray(compound)
    score = np.asarray(score, dtype=np.float64)
    is_decoy = np.asarray(is_decoy, dtype=bool)
    codes, inv = np.unique(compound, return_inverse=True)
    best_t = np.full(codes.size, -np.inf)
    best_d = np.full(codes.size, -np.inf)
    np.maximum.at(best_t, inv[~is_decoy], score[~is_decoy])
    np.maximum.at(best_d, inv[is_decoy], score[is_decoy])
    decoy_won = best_d >= best_t
    return codes, np.where(decoy_won, best_d, best_t), decoy_won
