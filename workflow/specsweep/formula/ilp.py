"""Exact maximum colorful subtree by integer linear programming (Rauf et al., "Finding maximum
colorful subtrees in practice", J Comput Biol 20(4), 2013).

One binary x_e per edge. Each colour (peak) receives at most one edge; an edge may leave a vertex
only if an edge enters it (the root excepted). The graph is acyclic and every vertex receives at
most one chosen edge, so the chosen edges form a tree hanging from the root.

Solvers: HiGHS through its Python API ``highspy`` (default; the model is passed as sparse arrays,
which is much faster than building it expression by expression), or PuLP with HiGHS or CBC
(``backend="pulp"``; same model, used as fallback when highspy is missing).

Before solving, edges that cannot be in an optimal tree are dropped: an edge u -> v whose weight
plus an upper bound on what the subtree below v can gain is <= 0 (the bound adds, for every colour
reachable from v, the best positive weight of any edge into that colour). Repeated until stable.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def _bound_reduce(n, color, n_colors, src, dst, w, keep):
    """Drop edges (keep[e] = False) that an optimal tree never uses. Requires src < dst
    (topological vertex order)."""
    use_mask = n_colors <= 64
    changed = True
    while changed:
        changed = False
        best_in = np.zeros(n_colors)
        for e in range(src.shape[0]):
            if keep[e] and w[e] > best_in[color[dst[e]]]:
                best_in[color[dst[e]]] = w[e]
        bound = np.zeros(n)
        has_out = np.zeros(n, dtype=np.bool_)
        for e in range(src.shape[0]):
            if keep[e]:
                has_out[src[e]] = True
        if use_mask:
            reach = np.zeros(n, dtype=np.uint64)
            # edges are grouped by non-decreasing src; walk them backwards so children come first
            for e in range(src.shape[0] - 1, -1, -1):
                if keep[e]:
                    reach[src[e]] |= reach[dst[e]] | (np.uint64(1) << np.uint64(color[dst[e]]))
            for v in range(n):
                s = 0.0
                m = reach[v]
                for c in range(n_colors):
                    if (m >> np.uint64(c)) & np.uint64(1):
                        s += best_in[c]
                bound[v] = s
        else:
            for v in range(n):
                bound[v] = 1e300 if has_out[v] else 0.0
        for e in range(src.shape[0]):
            if keep[e] and w[e] + bound[dst[e]] <= 0.0:
                keep[e] = False
                changed = True
    return keep


def reduce_edges(graph) -> np.ndarray:
    """Mask of edges that can still be part of an optimal tree."""
    keep = np.ones(graph.src.shape[0], dtype=np.bool_)
    if keep.size == 0:
        return keep
    if np.any(np.diff(graph.src) < 0) or np.any(graph.src >= graph.dst):
        raise ValueError("candidate graph edges must be grouped by source in topological order")
    return _bound_reduce(graph.n_vertices, graph.color, graph.n_colors, graph.src, graph.dst, graph.w, keep)


def _constraint_rows(n: int, color: np.ndarray, src: np.ndarray, dst: np.ndarray):
    """Rows as (row index, column, coefficient) triplets plus upper bounds (all rows are <=)."""
    m = src.size
    # colour rows: sum of edges into each colour <= 1
    colors, color_row = np.unique(color[dst], return_inverse=True)
    r_idx = [color_row]
    c_idx = [np.arange(m)]
    vals = [np.ones(m)]
    upper = [np.ones(colors.size)]
    # connectivity rows: x_e - sum(edges into src(e)) <= 0 for every edge not leaving the root
    order = np.argsort(dst, kind="stable")
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(in_ptr, dst + 1, 1)
    in_ptr = np.cumsum(in_ptr)
    inner = np.nonzero(src != 0)[0]
    base = colors.size
    rows = base + np.arange(inner.size)
    r_idx.append(rows)
    c_idx.append(inner)
    vals.append(np.ones(inner.size))
    counts = in_ptr[src[inner] + 1] - in_ptr[src[inner]]
    rep_rows = np.repeat(rows, counts)
    starts = np.repeat(in_ptr[src[inner]], counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    r_idx.append(rep_rows)
    c_idx.append(order[starts + offsets])
    vals.append(-np.ones(rep_rows.size))
    upper.append(np.zeros(inner.size))
    return (np.concatenate(r_idx), np.concatenate(c_idx), np.concatenate(vals), np.concatenate(upper))


def _solve_highspy(w, rows, cols, vals, upper, time_limit_s, start):
    import highspy
    m = w.size
    n_rows = upper.size
    order = np.lexsort((cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    starts = np.searchsorted(rows, np.arange(n_rows + 1))
    lp = highspy.HighsLp()
    lp.num_col_ = m
    lp.num_row_ = n_rows
    lp.col_cost_ = np.asarray(w, dtype=np.float64)
    lp.col_lower_ = np.zeros(m)
    lp.col_upper_ = np.ones(m)
    lp.row_lower_ = np.full(n_rows, -highspy.kHighsInf)
    lp.row_upper_ = upper.astype(np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = starts.astype(np.int32)
    lp.a_matrix_.index_ = cols.astype(np.int32)
    lp.a_matrix_.value_ = vals
    lp.a_matrix_.num_col_ = m
    lp.a_matrix_.num_row_ = n_rows
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m
    lp.sense_ = highspy.ObjSense.kMaximize
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    if time_limit_s is not None:
        h.setOptionValue("time_limit", max(0.01, float(time_limit_s)))
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start.astype(np.float64))
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    values = np.asarray(h.getSolution().col_value, dtype=np.float64)
    if values.size != m:
        values = np.zeros(m)
    return values, optimal


def _solve_pulp(w, rows, cols, vals, upper, time_limit_s):
    import pulp
    m = w.size
    prob = pulp.LpProblem("colorful_subtree", pulp.LpMaximize)
    x = [prob.add_variable(f"x{i}", 0, 1, cat=pulp.LpBinary) for i in range(m)]
    prob += pulp.LpAffineExpression([(x[i], float(w[i])) for i in range(m)])
    order = np.lexsort((cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    bounds = np.searchsorted(rows, np.arange(upper.size + 1))
    for r in range(upper.size):
        lo, hi = bounds[r], bounds[r + 1]
        expr = pulp.LpAffineExpression([(x[c], float(v)) for c, v in zip(cols[lo:hi], vals[lo:hi])])
        prob += pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{r}", float(upper[r]))
    available = set(pulp.listSolvers(onlyAvailable=True))
    kwargs = {"msg": False}
    if time_limit_s is not None:
        kwargs["timeLimit"] = max(0.01, float(time_limit_s))
    if "HiGHS" in available:
        solver = pulp.HiGHS(threads=1, **kwargs)
    elif "PULP_CBC_CMD" in available:
        solver = pulp.PULP_CBC_CMD(threads=1, **kwargs)
    else:
        raise RuntimeError("no ILP solver available: install highspy, or PuLP with CBC")
    status = prob.solve(solver)
    values = np.array([xi.varValue or 0.0 for xi in x])
    return values, pulp.LpStatus.get(status, "") == "Optimal"


def _is_tree(n: int, parent: np.ndarray) -> bool:
    for v in np.nonzero(parent >= 0)[0]:
        u, steps = int(parent[v]), 0
        while u > 0 and steps <= n:
            if parent[u] < 0:
                return False
            u, steps = int(parent[u]), steps + 1
    return True


def solve_ilp(graph, time_limit_s: float | None = None, backend: str = "highs",
              start_parent: np.ndarray | None = None) -> tuple[np.ndarray, float, str]:
    """Exact tree of a :class:`~specsweep.formula.graph.CandidateGraph`.

    Returns (parent, score, status); status is ``optimal``, or ``timeout`` when the solver
    stopped early (the returned tree is then the best valid one it had, else empty).
    ``start_parent`` (e.g. the heuristic tree) is given to HiGHS as a starting solution.
    """
    n = graph.n_vertices
    parent = np.full(n, -1, dtype=np.int64)
    keep = reduce_edges(graph)
    eidx = np.nonzero(keep)[0]
    if eidx.size == 0:
        return parent, 0.0, "optimal"
    src, dst, w = graph.src[eidx], graph.dst[eidx], graph.w[eidx]
    rows, cols, vals, upper = _constraint_rows(n, graph.color, src, dst)
    if backend == "highs":
        try:
            import highspy  # noqa: F401
        except ImportError:
            backend = "pulp"
    if backend == "highs":
        start = None
        if start_parent is not None:
            start = (start_parent[dst] == src).astype(np.float64)
        values, optimal = _solve_highspy(w, rows, cols, vals, upper, time_limit_s, start)
    elif backend == "pulp":
        values, optimal = _solve_pulp(w, rows, cols, vals, upper, time_limit_s)
    else:
        raise ValueError(f"unknown ILP backend {backend!r} (highs | pulp)")
    chosen = values > 0.5
    parent[dst[chosen]] = src[chosen]
    if not _is_tree(n, parent):
        parent[:] = -1
        return parent, 0.0, "timeout"
    return parent, float(w[chosen].sum()), "optimal" if optimal else "timeout"
