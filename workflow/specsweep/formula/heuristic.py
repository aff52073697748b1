"""Fast approximate maximum colorful subtree: critical-path insertion, re-attachment to the
best parent, and pruning of leaves on negative edges (in the spirit of the insertion heuristics of
Rauf et al., J Comput Biol 20(4), 2013).

Input is a candidate graph in topological order (vertex 0 = root; every edge goes from a heavier
to a lighter peak, and edges are grouped by non-decreasing source). Each round, a dynamic program
over the DAG finds the best path that starts at a tree vertex and runs through vertices of unused
colours only (colours along a path are distinct, since peaks strictly decrease); the path with
the highest total weight is added while that total is positive. Because edges only point to
lighter peaks, a vertex's new parent can never be one of its descendants, so re-attaching every
vertex to its best in-tree parent keeps a tree. A one-edge greedy with a one-level look-ahead
(``greedy_colorful_tree(..., paths=False)``) is kept for comparison.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def _greedy(n, color, n_colors, src, dst, w, parent, parent_w, in_tree, used):
    n_edges = src.shape[0]
    best_child = np.zeros((n, n_colors))
    for e in range(n_edges):
        if w[e] > best_child[src[e], color[dst[e]]]:
            best_child[src[e], color[dst[e]]] = w[e]
    look = np.zeros(n)
    while True:
        for v in range(n):
            if in_tree[v] or used[color[v]]:
                continue
            s = 0.0
            for c in range(n_colors):
                if not used[c] and c != color[v]:
                    s += best_child[v, c]
            look[v] = s
        best_gain = 0.0
        best_e = -1
        for e in range(n_edges):
            u = src[e]
            v = dst[e]
            if in_tree[u] and not in_tree[v] and not used[color[v]]:
                g = w[e]
                if g <= 0.0:
                    g += look[v]
                if g > best_gain:
                    best_gain = g
                    best_e = e
        if best_e < 0:
            break
        v = dst[best_e]
        in_tree[v] = True
        used[color[v]] = True
        parent[v] = src[best_e]
        parent_w[v] = w[best_e]


@nb.njit(cache=True)
def _insert_paths(n, color, src, dst, w, parent, parent_w, in_tree, used):
    """Insert best paths until none gains; returns the number of passes over the edges."""
    best = np.empty(n)
    via = np.empty(n, dtype=np.int64)
    passes = 0
    while True:
        passes += 1
        best[:] = -np.inf
        via[:] = -1
        for e in range(src.shape[0]):
            u = src[e]
            v = dst[e]
            if in_tree[v] or used[color[v]]:
                continue
            if in_tree[u]:
                g = w[e]
            elif via[u] >= 0:
                g = best[u] + w[e]
            else:
                continue
            if g > best[v]:
                best[v] = g
                via[v] = e
        top = -1
        top_gain = 0.0
        for v in range(n):
            if via[v] >= 0 and best[v] > top_gain:
                top_gain = best[v]
                top = v
        if top < 0:
            return passes
        v = top
        while not in_tree[v]:
            e = via[v]
            in_tree[v] = True
            used[color[v]] = True
            parent[v] = src[e]
            parent_w[v] = w[e]
            v = src[e]


@nb.njit(cache=True)
def _reattach_and_prune(n, src, dst, w, parent, parent_w, in_tree, used, color):
    for e in range(src.shape[0]):
        u = src[e]
        v = dst[e]
        if in_tree[u] and in_tree[v] and w[e] > parent_w[v]:
            parent[v] = u
            parent_w[v] = w[e]
    n_children = np.zeros(n, dtype=np.int64)
    for v in range(1, n):
        if in_tree[v]:
            n_children[parent[v]] += 1
    changed = True
    while changed:
        changed = False
        for v in range(n - 1, 0, -1):
            if in_tree[v] and n_children[v] == 0 and parent_w[v] < 0.0:
                in_tree[v] = False
                used[color[v]] = False
                n_children[parent[v]] -= 1
                parent[v] = -1
                parent_w[v] = 0.0
                changed = True


@nb.njit(cache=True)
def greedy_colorful_tree(n, color, n_colors, src, dst, w, paths=True):
    """Return (parent, score, edge_visits): parent[v] is the tree parent of v, -1 if v is not in
    the tree (parent[0] = -1 for the root as well); score is the sum of the tree's edge weights;
    edge_visits counts the edges read by all passes (the work, in units that track CPU time)."""
    parent = np.full(n, -1, dtype=np.int64)
    parent_w = np.zeros(n)
    in_tree = np.zeros(n, dtype=np.bool_)
    used = np.zeros(n_colors, dtype=np.bool_)
    in_tree[0] = True
    used[color[0]] = True
    visits = 0
    for _ in range(2):
        if paths:
            visits += _insert_paths(n, color, src, dst, w, parent, parent_w, in_tree, used) * src.shape[0]
        else:
            _greedy(n, color, n_colors, src, dst, w, parent, parent_w, in_tree, used)
        _reattach_and_prune(n, src, dst, w, parent, parent_w, in_tree, used, color)
        visits += src.shape[0] + n
    score = 0.0
    for v in range(1, n):
        if in_tree[v]:
            score += parent_w[v]
    return parent, score, visits


def solve_heuristic_counted(graph) -> tuple[np.ndarray, float, int]:
    """Heuristic tree of a :class:`~specsweep.formula.graph.CandidateGraph`: (parent, score, edge
    visits)."""
    parent, score, visits = greedy_colorful_tree(graph.n_vertices, graph.color, graph.n_colors, graph.src,
                                                 graph.dst, graph.w)
    return parent, score, int(visits)


def solve_heuristic(graph) -> tuple[np.ndarray, float]:
    """Heuristic tree of a :class:`~specsweep.formula.graph.CandidateGraph`: (parent, score)."""
    return solve_heuristic_counted(graph)[:2]
