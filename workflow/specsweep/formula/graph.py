"""Fragmentation graphs (Böcker & Rasche 2008; Böcker & Dührkop 2016).

For one spectrum, every fragment peak is decomposed once over the alphabet (fragment formulas are
"neutral equivalents": ion m/z = mass + ion shift, as in SIRIUS). A (peak, formula) pair is a vertex
coloured by its peak. Between vertices of different peaks there is an edge u -> v when v's formula
is a sub-formula of u's and v's peak is lighter; its weight is the loss score plus the vertex
score of v. Decompositions and vertex scores do not depend on the precursor candidate and are
computed once per spectrum (:class:`SpectrumGraph`); a candidate's graph
(:meth:`SpectrumGraph.candidate`) keeps the sub-formulas of its root and scores its edges in one
compiled pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from specsweep.formula.alphabet import Alphabet
from specsweep.formula.decompose import Decomposer
from specsweep.formula.scoring import (EdgeScorer, ScoringParams, chemical_edge_kernel, formula_prior_raw,
                                       kernel_args, loss_score_kernel, vertex_scores)


@nb.njit(cache=True)
def _build_candidate(root, root_prior, bonus, formulas, peak_of, mass, prior, vscore,
                     masses, vm2, idx, pv, tab_keys, tab_scores):
    """Vertices (rows that are sub-formulas of ``root``, heavier peaks first) and scored edges.
    Edge weight = loss score + chemical-prior edge term + vertex score of the child + bonus."""
    n_all, k = formulas.shape
    sel_rev = np.empty(n_all, dtype=np.int64)
    n = 0
    for i in range(n_all - 1, -1, -1):
        ok = True
        for c in range(k):
            if formulas[i, c] > root[c]:
                ok = False
                break
        if ok:
            sel_rev[n] = i
            n += 1
    sel = sel_rev[:n]
    # count edges: root -> every vertex, plus sub-formula pairs between lighter peaks
    n_edges = n
    for a in range(n):
        ra = sel[a]
        for b in range(a + 1, n):
            rb = sel[b]
            if peak_of[rb] >= peak_of[ra]:
                continue
            ok = True
            for c in range(k):
                if formulas[rb, c] > formulas[ra, c]:
                    ok = False
                    break
            if ok:
                n_edges += 1
    src = np.empty(n_edges, dtype=np.int64)
    dst = np.empty(n_edges, dtype=np.int64)
    w = np.empty(n_edges, dtype=np.float64)
    loss = np.empty(k, dtype=np.int64)
    t = 0
    for b in range(n):
        rb = sel[b]
        for c in range(k):
            loss[c] = root[c] - formulas[rb, c]
        src[t] = 0
        dst[t] = b + 1
        w[t] = (loss_score_kernel(loss, masses, vm2, idx, pv, tab_keys, tab_scores)
                + chemical_edge_kernel(root_prior, prior[rb], mass[rb], pv) + vscore[rb] + bonus)
        t += 1
    for a in range(n):
        ra = sel[a]
        for b in range(a + 1, n):
            rb = sel[b]
            if peak_of[rb] >= peak_of[ra]:
                continue
            ok = True
            for c in range(k):
                loss[c] = formulas[ra, c] - formulas[rb, c]
                if loss[c] < 0:
                    ok = False
                    break
            if ok:
                src[t] = a + 1
                dst[t] = b + 1
                w[t] = (loss_score_kernel(loss, masses, vm2, idx, pv, tab_keys, tab_scores)
                        + chemical_edge_kernel(prior[ra], prior[rb], mass[rb], pv) + vscore[rb] + bonus)
                t += 1
    return sel, src, dst, w


@dataclass
class CandidateGraph:
    """Graph of one precursor candidate. Vertex 0 is the root; vertices are in topological
    order (heavier peaks first). ``row`` maps a vertex to its row in the spectrum's
    decomposition table (-1 for the root); ``color`` is the peak index (root: n_peaks)."""

    root: np.ndarray
    row: np.ndarray
    color: np.ndarray
    n_colors: int
    src: np.ndarray
    dst: np.ndarray
    w: np.ndarray

    @property
    def n_vertices(self) -> int:
        return int(self.row.shape[0])


class SpectrumGraph:
    """Per-spectrum decompositions of fragment peaks (rows sorted by peak), their vertex scores
    and formula priors."""

    def __init__(self, peak_mz: np.ndarray, peak_rel: np.ndarray, ion_shift: float, alphabet: Alphabet,
                 decomposer: Decomposer, params: ScoringParams, scorer: EdgeScorer,
                 tables: dict | None = None, max_decompositions_per_peak: int = 5000):
        self.alphabet = alphabet
        self.params = params
        self.scorer = scorer
        self.peak_mz = np.asarray(peak_mz, dtype=np.float64)
        self.peak_rel = np.asarray(peak_rel, dtype=np.float64)
        self.ion_shift = ion_shift
        k = len(alphabet.elements)
        rows, peaks = [np.zeros((0, k), dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for p, mz in enumerate(self.peak_mz):
            neutral = mz - ion_shift
            tol = float(params.allowed_da(mz))
            dec = decomposer.decompose(neutral - tol, neutral + tol, min_rdbe=params.min_rdbe)
            if dec.shape[0] > max_decompositions_per_peak:
                err = np.abs(alphabet.mass(dec) - neutral)
                dec = dec[np.sort(np.argsort(err, kind="stable")[:max_decompositions_per_peak])]
            rows.append(dec)
            peaks.append(np.full(dec.shape[0], p, dtype=np.int64))
        self.formulas = np.concatenate(rows)
        self.peak_of = np.concatenate(peaks)
        self.mass = alphabet.mass(self.formulas)
        self.theoretical_mz = self.mass + ion_shift
        self.vertex_score = vertex_scores(self.formulas, self.peak_mz[self.peak_of], self.peak_rel[self.peak_of],
                                          self.theoretical_mz, alphabet, params, tables)
        self.prior = formula_prior_raw(self.formulas, alphabet, params)
        self._kernel = kernel_args(scorer)

    def candidate(self, root: np.ndarray, root_prior_raw: float,
                  vertex_bonus: float = 0.0) -> CandidateGraph:
        """Graph of the candidate precursor formula ``root`` (count vector); ``vertex_bonus`` is
        added to every edge (a change of the tree-size score)."""
        root = np.ascontiguousarray(root, dtype=np.int64)
        sel, src, dst, w = _build_candidate(root, float(root_prior_raw), float(vertex_bonus), self.formulas,
                                            self.peak_of, self.mass, self.prior, self.vertex_score, *self._kernel)
        n_peaks = self.peak_mz.shape[0]
        row = np.concatenate(([-1], sel))
        color = np.concatenate(([n_peaks], self.peak_of[sel]))
        return CandidateGraph(root=root, row=row, color=color, n_colors=n_peaks + 1, src=src, dst=dst, w=w)
