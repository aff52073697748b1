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

import math

import numba as nb
import numpy as np

from specsweep.formula.alphabet import Alphabet
from specsweep.formula.decompose import Decomposer
from specsweep.formula.scoring import (EdgeScorer, ScoringParams, chemical_edge_kernel, formula_prior_raw,
                                       kernel_args, loss_score_kernel, vertex_scores)


# Work units of one edge weight computed (loss score lookups, logarithms), relative to one row
# scanned, one vertex pair checked or one edge read by the heuristic: about 200 times their cost.
EDGE_WEIGHT_UNITS = 200


@nb.njit(cache=True, inline="always")
def _within(formulas, i, bound):
    """Whether row ``i`` of ``formulas`` is a sub-formula of ``bound`` (no element count above it)."""
    for c in range(formulas.shape[1]):
        if formulas[i, c] > bound[c]:
            return False
    return True


@nb.njit(cache=True)
def _is_child(formulas, peak_of, a, b):
    """Whether row ``b`` can hang below row ``a``: a lighter peak and a sub-formula of ``a``."""
    if peak_of[b] >= peak_of[a]:
        return False
    for c in range(formulas.shape[1]):
        if formulas[b, c] > formulas[a, c]:
            return False
    return True


@nb.njit(cache=True)
def _sub_rows(root, formulas):
    """Rows that are sub-formulas of ``root``, heavier peaks first (descending row order)."""
    n_all = formulas.shape[0]
    sel_rev = np.empty(n_all, dtype=np.int64)
    n = 0
    for i in range(n_all - 1, -1, -1):
        if _within(formulas, i, root):
            sel_rev[n] = i
            n += 1
    return sel_rev[:n]


@nb.njit(cache=True)
def _peak_bound(rows, bonus, edge_max, peak_of, vscore):
    """Upper bound of a tree over ``rows`` (grouped by peak): per peak, the best vertex score plus
    ``edge_max`` plus ``bonus``, where positive, added up."""
    ub = 0.0
    cur_peak = -1
    cur_best = 0.0
    for i in rows:
        if peak_of[i] != cur_peak:
            ub += cur_best
            cur_peak = peak_of[i]
            cur_best = 0.0
        gain = vscore[i] + edge_max + bonus
        if gain > cur_best:
            cur_best = gain
    return ub + cur_best


@nb.njit(cache=True, inline="always")
def _edge_weight(loss, parent_prior, rb, mass, prior, vscore, masses, vm2, idx, pv, tab_keys, tab_scores):
    """Weight of an edge to row ``rb`` whose loss is ``loss``: loss score + chemical-prior edge
    term + vertex score of the child."""
    return (loss_score_kernel(loss, masses, vm2, idx, pv, tab_keys, tab_scores)
            + chemical_edge_kernel(parent_prior, prior[rb], mass[rb], pv) + vscore[rb])


@nb.njit(cache=True)
def _root_edges(n_edges, root, root_prior, bonus, sel, formulas, mass, prior, vscore,
                masses, vm2, idx, pv, tab_keys, tab_scores):
    """Edge arrays (src, dst, w) for ``n_edges`` edges, the first ``len(sel)`` filled with the
    root -> every vertex, in vertex order; and a loss buffer for the others."""
    src = np.empty(n_edges, dtype=np.int64)
    dst = np.empty(n_edges, dtype=np.int64)
    w = np.empty(n_edges, dtype=np.float64)
    loss = np.empty(formulas.shape[1], dtype=np.int64)
    for b in range(sel.shape[0]):
        rb = sel[b]
        for c in range(formulas.shape[1]):
            loss[c] = root[c] - formulas[rb, c]
        src[b] = 0
        dst[b] = b + 1
        w[b] = _edge_weight(loss, root_prior, rb, mass, prior, vscore,
                            masses, vm2, idx, pv, tab_keys, tab_scores) + bonus
    return src, dst, w, loss


@nb.njit(cache=True)
def _build_candidate(root, root_prior, bonus, prune_below, edge_max, formulas, peak_of, mass, prior, vscore,
                     masses, vm2, idx, pv, tab_keys, tab_scores):
    """Vertices (rows that are sub-formulas of ``root``, heavier peaks first) and scored edges.
    Edge weight = loss score + chemical-prior edge term + vertex score of the child + bonus.

    Before the edges are built, an upper bound of the tree score is taken: per peak, the best
    vertex score of its sub-formula rows plus ``edge_max`` (a bound of loss and chemical terms)
    plus ``bonus``, where positive. When that bound is below ``prune_below`` the graph is not built
    (no edges). Also returns the bound and the work done (rows scanned + vertex pairs checked +
    ``EDGE_WEIGHT_UNITS`` per edge weight computed)."""
    n_all, k = formulas.shape
    sel = _sub_rows(root, formulas)
    n = sel.shape[0]
    ub = _peak_bound(sel, bonus, edge_max, peak_of, vscore)
    work = n_all
    if ub < prune_below:
        empty = np.empty(0, dtype=np.int64)
        return sel, empty, empty, np.empty(0, dtype=np.float64), ub, work, True
    work += n * (n - 1) // 2
    # count edges: root -> every vertex, plus sub-formula pairs between lighter peaks
    n_edges = n
    for a in range(n):
        for b in range(a + 1, n):
            if _is_child(formulas, peak_of, sel[a], sel[b]):
                n_edges += 1
    src, dst, w, loss = _root_edges(n_edges, root, root_prior, bonus, sel, formulas, mass, prior, vscore,
                                    masses, vm2, idx, pv, tab_keys, tab_scores)
    work += n_edges * EDGE_WEIGHT_UNITS
    t = n
    for a in range(n):
        ra = sel[a]
        for b in range(a + 1, n):
            rb = sel[b]
            if not _is_child(formulas, peak_of, ra, rb):
                continue
            for c in range(k):
                loss[c] = formulas[ra, c] - formulas[rb, c]
            src[t] = a + 1
            dst[t] = b + 1
            w[t] = _edge_weight(loss, prior[ra], rb, mass, prior, vscore,
                                masses, vm2, idx, pv, tab_keys, tab_scores) + bonus
            t += 1
    return sel, src, dst, w, ub, work, False


def pack_counts(formulas: np.ndarray) -> np.ndarray | None:
    """Count vectors packed 8 per uint64 word (8-bit lanes, two words for up to 16 elements), so
    that "b is a sub-formula of a" is one subtraction per word (:func:`_packed_sub`); None when a
    count exceeds 127 or the alphabet has more than 16 elements."""
    formulas = np.asarray(formulas, dtype=np.int64)
    n, k = formulas.shape
    if k > 16 or (formulas.size and (formulas.max() > 127 or formulas.min() < 0)):
        return None
    out = np.zeros((n, 2), dtype=np.uint64)
    for j in range(k):
        out[:, j // 8] |= formulas[:, j].astype(np.uint64) << np.uint64(8 * (j % 8))
    return out


@nb.njit(cache=True, inline="always")
def _packed_sub(packed, b, a):
    """Row b of ``packed`` is a sub-formula of row a (every lane of a >= that of b: setting each
    lane's high bit before subtracting keeps borrows inside the lane)."""
    h = np.uint64(0x8080808080808080)
    return (((packed[a, 0] | h) - packed[b, 0]) & h) == h and (((packed[a, 1] | h) - packed[b, 1]) & h) == h


@nb.njit(cache=True)
def sub_of_any(rows, roots, max_checks=1 << 62):
    """Mask of packed ``rows`` that are sub-formulas of at least one of the packed ``roots``, and
    the row-root checks done. Once more than ``max_checks`` were done, the remaining rows are
    kept unchecked (True): a row that is a sub-formula of no root is never a vertex, so keeping
    it costs time only."""
    out = np.zeros(rows.shape[0], dtype=np.bool_)
    h = np.uint64(0x8080808080808080)
    checks = 0
    for i in range(rows.shape[0]):
        if checks > max_checks:
            out[i] = True
            continue
        for r in range(roots.shape[0]):
            checks += 1
            if ((((roots[r, 0] | h) - rows[i, 0]) & h) == h and (((roots[r, 1] | h) - rows[i, 1]) & h) == h):
                out[i] = True
                break
    return out, checks


@nb.njit(cache=True, inline="always")
def _dag_child(formulas, packed, peak_of, a, b):
    """:func:`_is_child`, on the packed count vectors when ``packed`` has rows (one subtraction
    per word), else count by count."""
    if packed.shape[0]:
        return peak_of[b] < peak_of[a] and _packed_sub(packed, b, a)
    return _is_child(formulas, peak_of, a, b)


@nb.njit(cache=True)
def _row_children(formulas, packed, peak_of, max_pairs):
    """Sub-formula DAG over all decomposition rows of a spectrum, independent of the candidate:
    children of row a are the rows b of lighter peaks with formulas[b] <= formulas[a], in
    descending row order (CSR: ptr, child). ``packed``: :func:`pack_counts` of ``formulas``, or
    no rows when they do not pack (the same output either way). Returns empty arrays with
    ptr[0] = -1 when it would hold more than ``max_pairs`` entries."""
    n_all = formulas.shape[0]
    ptr = np.zeros(n_all + 1, dtype=np.int64)
    for a in range(n_all):
        cnt = 0
        for b in range(a - 1, -1, -1):
            if _dag_child(formulas, packed, peak_of, a, b):
                cnt += 1
        ptr[a + 1] = ptr[a] + cnt
        if ptr[a + 1] > max_pairs:
            ptr[0] = -1
            return ptr, np.empty(0, dtype=np.int64)
    child = np.empty(ptr[n_all], dtype=np.int64)
    for a in range(n_all):
        t = ptr[a]
        for b in range(a - 1, -1, -1):
            if _dag_child(formulas, packed, peak_of, a, b):
                child[t] = b
                t += 1
    return ptr, child


@nb.njit(cache=True)
def _dag_weights(ptr, child, formulas, mass, prior, vscore, masses, vm2, idx, pv, tab_keys, tab_scores):
    """Weight (without tree-size bonus) of every DAG entry, the edge row a -> row ``child[t]``:
    loss score + chemical-prior edge term + vertex score of the child. None of it depends on the
    candidate, so it is computed once per spectrum."""
    n_all, k = formulas.shape
    child_w = np.empty(child.shape[0])
    loss = np.empty(k, dtype=np.int64)
    for a in range(n_all):
        for t in range(ptr[a], ptr[a + 1]):
            b = child[t]
            for c in range(k):
                loss[c] = formulas[a, c] - formulas[b, c]
            child_w[t] = _edge_weight(loss, prior[a], b, mass, prior, vscore,
                                      masses, vm2, idx, pv, tab_keys, tab_scores)
    return child_w


@nb.njit(cache=True)
def _copy_dag_edges(sel, n_all, ptr, child, child_w, bonus, src, dst, w, first):
    """Fill ``src``, ``dst``, ``w`` from position ``first`` with the DAG entries below the
    vertices ``sel`` (vertex v = sel[v - 1]; every DAG child of a sub-formula of the root is one
    too, so each entry is an edge). A plain copy: weights come from :func:`_dag_weights`."""
    vid = np.full(n_all, -1, dtype=np.int64)
    for b in range(sel.shape[0]):
        vid[sel[b]] = b + 1
    e = first
    for a in range(sel.shape[0]):
        ra = sel[a]
        for t in range(ptr[ra], ptr[ra + 1]):
            src[e] = a + 1
            dst[e] = vid[child[t]]
            w[e] = child_w[t] + bonus
            e += 1


@nb.njit(cache=True)
def _build_from_dag(root, root_prior, bonus, ptr, child, child_w, formulas, mass, prior, vscore,
                    masses, vm2, idx, pv, tab_keys, tab_scores):
    """As :func:`_build_candidate`, but non-root edges are copied from the spectrum's row DAG with
    their weights (:func:`_dag_weights`); only the root's edges are scored here."""
    n_all = formulas.shape[0]
    sel = _sub_rows(root, formulas)
    n = sel.shape[0]
    n_edges = n
    for a in range(n):
        n_edges += ptr[sel[a] + 1] - ptr[sel[a]]
    src, dst, w, _ = _root_edges(n_edges, root, root_prior, bonus, sel, formulas, mass, prior, vscore,
                                 masses, vm2, idx, pv, tab_keys, tab_scores)
    _copy_dag_edges(sel, n_all, ptr, child, child_w, bonus, src, dst, w, n)
    # rows scanned, root edges scored, DAG edges copied
    work = n_all + n * EDGE_WEIGHT_UNITS + n_edges
    return sel, src, dst, w, work


@nb.njit(cache=True)
def _row_best_in(ptr, child, child_w, n_all):
    """Best weight (without tree-size bonus) of any DAG edge into each row, over all its DAG
    parents whatever the candidate (-inf for a row without one)."""
    best = np.full(n_all, -np.inf)
    for t in range(child.shape[0]):
        if child_w[t] > best[child[t]]:
            best[child[t]] = child_w[t]
    return best


@nb.njit(cache=True)
def _candidate_bounds(roots, root_priors, bonus, edge_max, row_in_best, order, block, formulas, packed_rows,
                      packed_roots, mass, prior, vscore, masses, vm2, idx, pv, tab_keys, tab_scores):
    """Upper bound of the tree score of each root (row of ``roots``). A tree holds at most one
    vertex per peak, and the edge into it comes from the root or from a heavier row; so per peak,
    the best over its sub-formula rows of max(root edge weight, ``row_in_best``) plus ``bonus``,
    where positive, summed. ``row_in_best`` may be any upper bound of the non-root in-edges
    (``vscore + edge_max`` when the DAG is not built); the root edge is scored exactly, and only
    for rows whose cheaper bound ``vscore + edge_max`` could still raise their peak's best.
    ``order`` lists the rows of each peak (``block[p]:block[p + 1]``) by decreasing
    max(row_in_best, vscore + edge_max), so a peak's scan stops at the first row that cannot
    raise its best. ``packed_rows`` / ``packed_roots`` (:func:`pack_counts`), when not empty,
    make each sub-formula test two word operations. Returns (bounds, work: rows visited +
    ``EDGE_WEIGHT_UNITS`` per root edge scored)."""
    packed = packed_rows.shape[0] > 0
    h = np.uint64(0x8080808080808080)
    k = formulas.shape[1]
    out = np.zeros(roots.shape[0])
    loss = np.empty(k, dtype=np.int64)
    visited = 0
    for r in range(roots.shape[0]):
        ub = 0.0
        for p in range(block.shape[0] - 1):
            cur_best = 0.0
            for j in range(block[p], block[p + 1]):
                visited += 1
                i = order[j]
                cheap = vscore[i] + edge_max + bonus
                gain = row_in_best[i] + bonus
                if max(cheap, gain) <= cur_best:
                    break
                if packed:
                    if (((packed_roots[r, 0] | h) - packed_rows[i, 0]) & h) != h or \
                            (((packed_roots[r, 1] | h) - packed_rows[i, 1]) & h) != h:
                        continue
                elif not _within(formulas, i, roots[r]):
                    continue
                if cheap > max(cur_best, gain):
                    for c in range(k):
                        loss[c] = roots[r, c] - formulas[i, c]
                    w = _edge_weight(loss, root_priors[r], i, mass, prior, vscore,
                                     masses, vm2, idx, pv, tab_keys, tab_scores) + bonus
                    visited += EDGE_WEIGHT_UNITS
                    gain = max(gain, w)
                if gain > cur_best:
                    cur_best = gain
            ub += cur_best
        out[r] = ub
    return out, visited


@nb.njit(cache=True)
def _peak_in_bounds(peak_mz, tol, bonus_mass, bonus_score, loss_mu, loss_sigma2, loss_norm, const):
    """Per peak q, an upper bound of loss score + chemical edge term of any edge into a row of q
    from a row of a heavier peak p: the loss mass lies within mz_p - mz_q +- (tol_p + tol_q), so
    the loss-mass density is bounded by its best value on that interval, the lookup bonus by the
    best positive bonus of a listed loss with a mass there (else 0), and every other term by
    ``const``. -inf for a peak without a heavier one. Peaks in increasing m/z order."""
    n = peak_mz.shape[0]
    out = np.full(n, -np.inf)
    mode = math.exp(loss_mu - loss_sigma2)
    norm = math.sqrt(loss_sigma2) * math.sqrt(2 * math.pi)
    for q in range(n):
        best = -np.inf
        for p in range(q + 1, n):
            lo = peak_mz[p] - peak_mz[q] - tol[p] - tol[q]
            hi = peak_mz[p] - peak_mz[q] + tol[p] + tol[q]
            m = max(min(max(mode, lo), hi), 1e-9)
            lm = math.log(m) - loss_mu
            size = math.log(max(math.exp(-lm * lm / (2 * loss_sigma2)) / (m * norm), 1e-12)) - loss_norm
            bonus = 0.0
            j = np.searchsorted(bonus_mass, lo)
            while j < bonus_mass.shape[0] and bonus_mass[j] <= hi:
                bonus = max(bonus, bonus_score[j])
                j += 1
            best = max(best, size + bonus)
        out[q] = best + const
    return out


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
    and formula priors. With ``roots`` (the candidates' root formulas), only rows that are a
    sub-formula of at least one root are kept (no other row can be a vertex of any graph). Each
    peak's decomposition stops after ``max_decomposition_steps`` search steps (about 0.04 CPU s;
    the integer masses nearest the peak's are kept, :meth:`Decomposer.decompose_within`). The
    sub-formula filter does at most ``max_filter_checks`` row-root checks per spectrum (~1 CPU s;
    only spectra with ~10^5 candidates reach it); rows after that are kept unfiltered."""

    def __init__(self, peak_mz: np.ndarray, peak_rel: np.ndarray, ion_shift: float, alphabet: Alphabet,
                 decomposer: Decomposer, params: ScoringParams, scorer: EdgeScorer,
                 tables: dict | None = None, max_decompositions_per_peak: int = 5000,
                 max_dag_pairs: int = 20_000_000, max_dag_checks: int = 2_000_000_000,
                 roots: np.ndarray | None = None,
                 max_decomposition_steps: int = 4_000_000, max_filter_checks: int = 1_000_000_000):
        self.alphabet = alphabet
        self.params = params
        self.scorer = scorer
        self.peak_mz = np.asarray(peak_mz, dtype=np.float64)
        self.peak_rel = np.asarray(peak_rel, dtype=np.float64)
        self.ion_shift = ion_shift
        k = len(alphabet.elements)
        rows, peaks = [np.zeros((0, k), dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        # a row that is a sub-formula of no candidate root can never be a vertex: not kept
        packed_roots = pack_counts(roots) if roots is not None and len(roots) else None
        max_counts = np.asarray(roots).max(axis=0) if roots is not None and len(roots) else None
        filter_checks = max_filter_checks  # row-root sub-formula checks for the whole spectrum
        for p, mz in enumerate(self.peak_mz):
            neutral = mz - ion_shift
            tol = float(params.allowed_da(mz))
            dec, _ = decomposer.decompose_within(neutral - tol, neutral + tol, min_rdbe=params.min_rdbe,
                                                 max_counts=max_counts, max_steps=max_decomposition_steps)
            if packed_roots is not None and dec.shape[0]:
                packed = pack_counts(dec)
                if packed is not None:
                    keep, done = sub_of_any(packed, packed_roots, max(filter_checks, 0))
                    filter_checks -= done
                    dec = dec[keep]
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
        self.edge_max = scorer.edge_upper_bound()
        self._dag = None
        self._in_best = None
        self.max_dag_pairs = max_dag_pairs
        self.max_dag_checks = max_dag_checks
        self._pending_work = 0  # work of building the row DAG, charged to the next graph

    def _row_dag(self):
        """The candidate-independent sub-formula DAG over all rows with its edge weights (built on
        first use: at most ``max_dag_checks`` pair checks), or None when it would exceed
        ``max_dag_pairs`` entries (graphs are then built pair by pair)."""
        if self._dag is None:
            n = self.formulas.shape[0]
            self._dag = False
            if n * (n - 1) // 2 <= self.max_dag_checks:
                packed = pack_counts(self.formulas)
                if packed is None:
                    packed = np.zeros((0, 2), dtype=np.uint64)
                ptr, child = _row_children(self.formulas, packed, self.peak_of, self.max_dag_pairs)
                self._pending_work += n * (n - 1) // 2
                if ptr[0] >= 0:
                    child_w = _dag_weights(ptr, child, self.formulas, self.mass, self.prior, self.vertex_score,
                                           *self._kernel)
                    self._pending_work += int(ptr[-1]) * EDGE_WEIGHT_UNITS
                    self._dag = (ptr, child, child_w)
        return self._dag or None

    def _in_bounds(self) -> np.ndarray:
        """Per row, an upper bound of the weight of any non-root edge into it (without bonus):
        vertex score plus the bound of the loss terms between its peak and any heavier peak
        (:func:`_peak_in_bounds`, at most ``edge_max``), and, when the DAG is built, no more than
        the best over its DAG parents."""
        if self._in_best is None:
            p = self.params
            tol = np.array([float(p.allowed_da(mz)) for mz in self.peak_mz], dtype=np.float64)
            by_peak = _peak_in_bounds(self.peak_mz, tol, *self.scorer.loss_bonus_masses(), p.loss_mu,
                                      p.loss_sigma2, p.loss_norm, self.scorer.edge_constant_bound())
            self._pending_work += self.peak_mz.shape[0] ** 2
            in_best = self.vertex_score + np.minimum(self.edge_max, by_peak[self.peak_of])
            dag = self._row_dag()
            if dag is not None:
                in_best = np.minimum(in_best, _row_best_in(*dag, self.formulas.shape[0]))
                self._pending_work += int(dag[0][-1])
            self._in_best = in_best
        return self._in_best

    def bounds(self, roots: np.ndarray, root_priors: np.ndarray, vertex_bonus: float = 0.0,
               vertex_gain: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        """Upper bound of the tree score of each candidate root (rows of count vectors; their
        formula prior terms ``root_priors``), and the work spent: rows visited (at most one scan
        of the decomposition rows per root), plus, once per spectrum, the row DAG and the best
        edge into every row. ``vertex_gain`` (per row, >= 0): the most a row's vertex score can
        rise (a candidate's mass recalibration); the bounds then hold for the raised scores."""
        roots = np.ascontiguousarray(np.atleast_2d(roots), dtype=np.int64)
        root_priors = np.ascontiguousarray(root_priors, dtype=np.float64)
        in_best = self._in_bounds()
        vscore = self.vertex_score
        if vertex_gain is not None:  # every edge weight into a row holds its vertex score once
            in_best, vscore = in_best + vertex_gain, vscore + vertex_gain
        key = np.maximum(in_best, vscore + self.edge_max)
        order = np.lexsort((np.arange(key.size), -key, self.peak_of))
        block = np.searchsorted(self.peak_of, np.arange(self.peak_mz.shape[0] + 1))
        packed_rows, packed_roots = pack_counts(self.formulas), pack_counts(roots)
        if packed_rows is None or packed_roots is None:
            packed_rows = packed_roots = np.zeros((0, 2), dtype=np.uint64)
        out, visited = _candidate_bounds(roots, root_priors, float(vertex_bonus), self.edge_max, in_best, order,
                                         block, self.formulas, packed_rows, packed_roots, self.mass, self.prior,
                                         vscore, *self._kernel)
        work, self._pending_work = int(visited) + self._pending_work, 0
        return out, work

    def candidate(self, root: np.ndarray, root_prior_raw: float, vertex_bonus: float = 0.0,
                  prune_below: float = -np.inf) -> tuple[CandidateGraph | None, float, int]:
        """Graph of the candidate precursor formula ``root`` (count vector); ``vertex_bonus`` is
        added to every edge (a change of the tree-size score). Returns (graph, upper bound of the
        tree score, work units); graph is None when the bound is below ``prune_below``."""
        root = np.ascontiguousarray(root, dtype=np.int64)
        dag = self._row_dag() if prune_below == -np.inf else None
        if dag is not None:
            sel, src, dst, w, work = _build_from_dag(
                root, float(root_prior_raw), float(vertex_bonus), *dag, self.formulas, self.mass,
                self.prior, self.vertex_score, *self._kernel)
            ub, pruned = np.inf, False
        else:
            sel, src, dst, w, ub, work, pruned = _build_candidate(
                root, float(root_prior_raw), float(vertex_bonus), float(prune_below), self.edge_max,
                self.formulas, self.peak_of, self.mass, self.prior, self.vertex_score, *self._kernel)
        work, self._pending_work = work + self._pending_work, 0
        if pruned:
            return None, float(ub), int(work)
        n_peaks = self.peak_mz.shape[0]
        row = np.concatenate(([-1], sel))
        color = np.concatenate(([n_peaks], self.peak_of[sel]))
        graph = CandidateGraph(root=root, row=row, color=color, n_colors=n_peaks + 1, src=src, dst=dst, w=w)
        return graph, float(ub), int(work)
