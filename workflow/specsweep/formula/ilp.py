"""Exact maximum colorful subtree by integer linear programming (Rauf et al., "Finding maximum
colorful subtrees in practice", J Comput Biol 20(4), 2013), modelled with PuLP and solved by HiGHS
(highspy) or, where HiGHS is missing, CBC.

One binary x_e per edge. Each colour (peak) receives at most one edge; an edge may leave a vertex
only if an edge enters it (the root excepted). Since the graph is acyclic and every vertex has at
most one incoming chosen edge, the chosen edges form a tree hanging from the root.

Before building the model, edges into vertices without outgoing edges that have weight <= 0
are dropped (they cannot be part of an optimal tree); this is repeated while it removes edges.
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger("specsweep.formula")


def reduce_edges(n: int, src: np.ndarray, dst: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Mask of edges that can still be in an optimal tree (leaf-edge reduction)."""
    keep = np.ones(src.shape[0], dtype=bool)
    while True:
        out_deg = np.bincount(src[keep], minlength=n)
        drop = keep & (out_deg[dst] == 0) & (w <= 0)
        if not drop.any():
            return keep
        keep &= ~drop


def _solver(time_limit_s: float | None):
    import pulp
    available = set(pulp.listSolvers(onlyAvailable=True))
    kwargs = {"msg": False}
    if time_limit_s is not None:
        kwargs["timeLimit"] = max(0.01, float(time_limit_s))
    if "HiGHS" in available:
        return pulp.HiGHS(threads=1, **kwargs)
    if "PULP_CBC_CMD" in available:
        return pulp.PULP_CBC_CMD(threads=1, **kwargs)
    raise RuntimeError("no ILP solver: install highspy (HiGHS) or use PuLP's bundled CBC")


def solve_ilp(graph, time_limit_s: float | None = None) -> tuple[np.ndarray, float, str]:
    """Exact tree of a :class:`~specsweep.formula.graph.CandidateGraph`.

    Returns (parent, score, status) with status ``optimal`` or ``timeout`` (then the best
    integer solution found, possibly the empty tree).
    """
    import pulp

    n = graph.n_vertices
    keep = reduce_edges(n, graph.src, graph.dst, graph.w)
    eidx = np.nonzero(keep)[0]
    src, dst, w = graph.src[eidx], graph.dst[eidx], graph.w[eidx]
    parent = np.full(n, -1, dtype=np.int64)
    if eidx.size == 0:
        return parent, 0.0, "optimal"
    prob = pulp.LpProblem("colorful_subtree", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{i}", cat=pulp.LpBinary) for i in range(eidx.size)]
    prob += pulp.lpSum(float(wi) * xi for wi, xi in zip(w, x))
    into = [[] for _ in range(n)]
    for i, v in enumerate(dst):
        into[v].append(i)
    by_color: dict[int, list[int]] = {}
    for v in range(1, n):
        if into[v]:
            by_color.setdefault(int(graph.color[v]), []).extend(into[v])
    for c, edges in sorted(by_color.items()):
        if len(edges) > 1:
            prob += pulp.lpSum(x[i] for i in edges) <= 1, f"color{c}"
    for i, u in enumerate(src):
        if u != 0:
            prob += x[i] <= pulp.lpSum(x[j] for j in into[u]), f"conn{i}"
    status = prob.solve(_solver(time_limit_s))
    values = np.array([xi.varValue or 0.0 for xi in x])
    chosen = values > 0.5
    parent[dst[chosen]] = src[chosen]
    score = float(w[chosen].sum())
    solved = pulp.LpStatus.get(status, "")
    state = "optimal" if solved == "Optimal" else "timeout"
    if state != "optimal":
        log.debug("ILP ended with status %s", solved)
    return parent, score, state
