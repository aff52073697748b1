"""Bridges and 2-cuts of a multigraph in linear expected time (Numba).

Method (cut-space labelling): take a DFS spanning tree, give every non-tree edge a random 64-bit
label and every tree edge the XOR of the labels of the non-tree edges whose cycles pass through
it. An edge with label 0 lies on no cycle: it is a bridge. Two edges with the same non-zero label
lie on exactly the same cycles: removing both disconnects the graph, so they form a 2-cut, and
every 2-edge cut of a connected graph with no bridge among its edges arises this way. A false
match needs two labels to collide, with probability about m^2 / 2^64 for m edges; the seed is
fixed so results are reproducible. This gives the same bridges and 2-cuts as Hopcroft-Tarjan style
DFS algorithms (the brute-force test in tests/fragment checks it on real molecules).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def adjacency(n_nodes, edges):
    m = edges.shape[0]
    deg = np.zeros(n_nodes + 1, np.int64)
    for e in range(m):
        deg[edges[e, 0] + 1] += 1
        deg[edges[e, 1] + 1] += 1
    start = np.cumsum(deg)
    fill = start[:-1].copy()
    nbr = np.empty(2 * m, np.int64)
    eid = np.empty(2 * m, np.int64)
    for e in range(m):
        a, b = edges[e, 0], edges[e, 1]
        nbr[fill[a]] = b
        eid[fill[a]] = e
        fill[a] += 1
        nbr[fill[b]] = a
        eid[fill[b]] = e
        fill[b] += 1
    return start, nbr, eid


@njit(cache=True)
def _splitmix(state):
    z = state + np.uint64(0x9E3779B97F4A7C15)
    r = z
    r = (r ^ (r >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    r = (r ^ (r >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    r = r ^ (r >> np.uint64(31))
    return z, r


@njit(cache=True)
def edge_cycle_labels(n_nodes, edges, seed):
    """Cut-space label of every edge (0 = bridge). Graph must be connected."""
    m = edges.shape[0]
    labels = np.zeros(m, np.uint64)
    if n_nodes == 0:
        return labels
    start, nbr, eid = adjacency(n_nodes, edges)
    parent_edge = np.full(n_nodes, -1, np.int64)
    visited = np.zeros(n_nodes, np.bool_)
    order = np.empty(n_nodes, np.int64)
    is_tree = np.zeros(m, np.bool_)
    # iterative DFS from node 0
    stack = np.empty(n_nodes, np.int64)
    pos = np.empty(n_nodes, np.int64)
    top = 0
    stack[0] = 0
    pos[0] = start[0]
    visited[0] = True
    n_order = 1
    order[0] = 0
    while top >= 0:
        v = stack[top]
        if pos[v] < start[v + 1]:
            k = pos[v]
            pos[v] += 1
            w = nbr[k]
            if not visited[w]:
                visited[w] = True
                parent_edge[w] = eid[k]
                is_tree[eid[k]] = True
                order[n_order] = w
                n_order += 1
                top += 1
                stack[top] = w
                pos[w] = start[w]
        else:
            top -= 1
    # random labels on non-tree edges, XOR accumulated at both endpoints
    acc = np.zeros(n_nodes, np.uint64)
    state = np.uint64(seed)
    for e in range(m):
        if not is_tree[e]:
            state, r = _splitmix(state)
            if r == 0:
                r = np.uint64(1)
            labels[e] = r
            acc[edges[e, 0]] ^= r
            acc[edges[e, 1]] ^= r
    # tree edge label = XOR of acc over the subtree below it (children before parents)
    for i in range(n_order - 1, 0, -1):
        v = order[i]
        e = parent_edge[v]
        labels[e] = acc[v]
        other = edges[e, 0] if edges[e, 1] == v else edges[e, 1]
        acc[other] ^= acc[v]
    return labels


@njit(cache=True)
def bridges_and_two_cuts(n_nodes, edges, seed):
    """Return (bridges (k,) int64, two_cuts (p, 2) int64) as edge indices."""
    labels = edge_cycle_labels(n_nodes, edges, seed)
    m = edges.shape[0]
    n_bridges = 0
    for e in range(m):
        if labels[e] == 0:
            n_bridges += 1
    bridges = np.empty(n_bridges, np.int64)
    j = 0
    for e in range(m):
        if labels[e] == 0:
            bridges[j] = e
            j += 1
    order = np.argsort(labels, kind="mergesort")
    # runs of equal non-zero labels: every pair inside a run is a 2-cut
    run_lo = np.empty(m, np.int64)
    run_hi = np.empty(m, np.int64)
    n_runs = 0
    n_pairs = 0
    i = 0
    while i < m:
        k = i + 1
        while k < m and labels[order[k]] == labels[order[i]]:
            k += 1
        if labels[order[i]] != 0:
            run_lo[n_runs] = i
            run_hi[n_runs] = k
            n_runs += 1
            n_pairs += (k - i) * (k - i - 1) // 2
        i = k
    pairs = np.empty((n_pairs, 2), np.int64)
    p = 0
    for r in range(n_runs):
        for a in range(run_lo[r], run_hi[r]):
            for b in range(a + 1, run_hi[r]):
                ea, eb = order[a], order[b]
                pairs[p, 0] = min(ea, eb)
                pairs[p, 1] = max(ea, eb)
                p += 1
    return bridges, pairs
