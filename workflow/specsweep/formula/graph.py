"""Fragmentation graphs (Böcker & Rasche 2008; Böcker & Dührkop 2016).

For one spectrum, every fragment peak is decomposed once over the alphabet (fragment formulas are
"neutral equivalents": ion m/z = mass + ion shift, as in SIRIUS). A (peak, formula) pair is a vertex
coloured by its peak. Between vertices of different peaks there is an edge u -> v when v's formula
is a sub-formula of u's and v's peak is lighter; its weight is the loss score plus the vertex
score of v. These fragment-fragment edges do not depend on the precursor candidate, so they are
built and scored once per spectrum (:class:`SpectrumGraph`); a candidate's graph
(:meth:`SpectrumGraph.candidate`) keeps the sub-formulas of its root and adds the root's edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from specsweep.formula.alphabet import Alphabet
from specsweep.formula.decompose import Decomposer
from specsweep.formula.scoring import EdgeScorer, ScoringParams, formula_prior_raw, vertex_scores


@nb.njit(cache=True)
def _subformula_pairs(formulas, peak_of, count_only, src, dst):
    """Pairs (i, j) with peak_of[j] < peak_of[i] and formulas[j] <= formulas[i] componentwise.
    Rows are sorted by peak; returns the number of pairs (fills src/dst unless count_only)."""
    n, k = formulas.shape
    # first row of each row's peak: rows before it belong to lighter peaks
    first = np.empty(n, dtype=np.int64)
    for i in range(n):
        first[i] = i if i == 0 or peak_of[i] != peak_of[i - 1] else first[i - 1]
    n_pairs = 0
    for i in range(n):
        for j in range(first[i]):
            ok = True
            for c in range(k):
                if formulas[j, c] > formulas[i, c]:
                    ok = False
                    break
            if ok:
                if not count_only:
                    src[n_pairs] = i
                    dst[n_pairs] = j
                n_pairs += 1
    return n_pairs


@nb.njit(cache=True)
def _candidate_vertices(root, formulas):
    n, k = formulas.shape
    mask = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        ok = True
        for c in range(k):
            if formulas[i, c] > root[c]:
                ok = False
                break
        mask[i] = ok
    return mask


@nb.njit(cache=True)
def _candidate_edges(sel, local_of, ptr, edge_dst, edge_w):
    """Fragment-fragment edges among selected rows, as local (src, dst, w); sel is in local order."""
    total = 0
    for a in range(sel.shape[0]):
        g = sel[a]
        for e in range(ptr[g], ptr[g + 1]):
            if local_of[edge_dst[e]] >= 0:
                total += 1
    src = np.empty(total, dtype=np.int64)
    dst = np.empty(total, dtype=np.int64)
    w = np.empty(total, dtype=np.float64)
    t = 0
    for a in range(sel.shape[0]):
        g = sel[a]
        for e in range(ptr[g], ptr[g + 1]):
            lv = local_of[edge_dst[e]]
            if lv >= 0:
                src[t] = local_of[g]
                dst[t] = lv
                w[t] = edge_w[e]
                t += 1
    return src, dst, w


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
    """Per-spectrum decompositions of fragment peaks, their vertex scores, and all scored
    fragment-fragment edges (CSR by parent row)."""

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
        self._build_edges()

    def _build_edges(self):
        f, po = self.formulas, self.peak_of
        empty = np.zeros(0, dtype=np.int64)
        n_pairs = _subformula_pairs(f, po, True, empty, empty)
        src = np.empty(n_pairs, dtype=np.int64)
        dst = np.empty(n_pairs, dtype=np.int64)
        _subformula_pairs(f, po, False, src, dst)
        w = self.edge_weights(f[src], self.prior[src], dst)
        self.edge_dst = dst
        self.edge_w = w
        self.ptr = np.zeros(f.shape[0] + 1, dtype=np.int64)
        np.add.at(self.ptr, src + 1, 1)
        self.ptr = np.cumsum(self.ptr)

    def edge_weights(self, parent_formulas: np.ndarray, parent_prior: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Weight of edges parent -> fragment row ``dst``: loss score + chemical-prior edge term
        + vertex score of the child (``parent_prior``: raw formula prior of each parent)."""
        if dst.size == 0:
            return np.zeros(0)
        losses = parent_formulas - self.formulas[dst]
        return (self.scorer.loss_scores(losses)
                + self.scorer.chemical_edge(parent_prior, self.prior[dst], self.mass[dst])
                + self.vertex_score[dst])

    @property
    def n_edges(self) -> int:
        return int(self.edge_dst.shape[0])

    def candidate(self, root: np.ndarray, root_prior_raw: float,
                  vertex_bonus: float = 0.0) -> CandidateGraph:
        """Graph of the candidate precursor formula ``root`` (count vector); ``vertex_bonus`` is
        added to every edge (a change of the tree-size score)."""
        mask = _candidate_vertices(root, self.formulas)
        sel = np.nonzero(mask)[0][::-1].copy()  # heavier peaks first
        local_of = np.full(self.formulas.shape[0], -1, dtype=np.int64)
        local_of[sel] = np.arange(1, sel.size + 1)
        src, dst, w = _candidate_edges(sel, local_of, self.ptr, self.edge_dst, self.edge_w)
        root_w = self.edge_weights(np.broadcast_to(root, (sel.size, root.size)),
                                   np.full(sel.size, root_prior_raw), sel)
        n_peaks = self.peak_mz.shape[0]
        src = np.concatenate((np.zeros(sel.size, dtype=np.int64), src))
        dst = np.concatenate((np.arange(1, sel.size + 1), dst))
        w = np.concatenate((root_w, w)) + vertex_bonus
        row = np.concatenate(([-1], sel))
        color = np.concatenate(([n_peaks], self.peak_of[sel]))
        return CandidateGraph(root=np.asarray(root), row=row, color=color, n_colors=n_peaks + 1,
                              src=src, dst=dst, w=w)
