"""Plain recursive fragmentation with networkx: the reference the bitset code is checked and timed against.

From each fragment (a set of metabolite-graph nodes), cut every bridge and every 2-edge cut of
the subgraph it induces, within the bridge / 2-cut budget, and recurse on both sides.
"""

from __future__ import annotations

import networkx as nx

from specsweep.fragment import bondtypes


def _graph(n_nodes, edges):
    g = nx.MultiGraph()
    g.add_nodes_from(range(n_nodes))
    for e, (a, b) in enumerate(edges):
        g.add_edge(int(a), int(b), key=e)
    return g


def _bridges(g):
    """Edge keys that are bridges of a multigraph (parallel edges are never bridges)."""
    simple = nx.Graph(g)
    out = []
    for a, b in nx.bridges(simple):
        if g.number_of_edges(a, b) == 1:
            out.append(next(iter(g[a][b])))
    return out


def _sides(g, removed):
    h = g.copy()
    for a, b, k in list(h.edges(keys=True)):
        if k in removed:
            h.remove_edge(a, b, key=k)
    comps = list(nx.connected_components(h))
    return comps


def brute_force_fragments(n_nodes, edges, edge_class, max_bridges=2, max_two_cuts=1, cc_in_two_cut=False):
    """Set of frozensets of nodes reachable by recursive cutting (root included)."""
    full = _graph(n_nodes, edges)
    root = frozenset(range(n_nodes))
    seen_states = {(root, 0, 0)}
    stack = [(root, 0, 0)]
    frags = {root}
    while stack:
        nodes, nb, nc = stack.pop()
        g = full.subgraph(nodes).copy()
        if g.number_of_nodes() < 2:
            continue
        bridges = _bridges(g)
        children = []
        if nb < max_bridges:
            for k in bridges:
                for side in _sides(g, {k}):
                    children.append((frozenset(side), nb + 1, nc))
        if nc < max_two_cuts:
            bridge_set = set(bridges)
            non_bridges = [k for *_, k in g.edges(keys=True) if k not in bridge_set]
            for k in non_bridges:
                h = g.copy()
                a, b = edges[k]
                h.remove_edge(int(a), int(b), key=k)
                for k2 in _bridges(h):
                    if k2 <= k or k2 in bridge_set:
                        continue
                    if not cc_in_two_cut and bondtypes.CC in (edge_class[k], edge_class[k2]):
                        continue
                    for side in _sides(g, {k, k2}):
                        children.append((frozenset(side), nb, nc + 1))
        for child in children:
            frags.add(child[0])
            if child not in seen_states:
                seen_states.add(child)
                stack.append(child)
    return frags
