"""Exact maximum colorful subtree by integer linear programming (Rauf et al., "Finding maximum
colorful subtrees in practice", J Comput Biol 20(4), 2013).

One binary x_e per edge. Each colour (peak) receives at most one edge; an edge may leave a vertex
only if an edge enters it (the root excepted). The graph is acyclic and every vertex receives at
most one chosen edge, so the chosen edges form a tree hanging from the root.

Solvers: HiGHS through its Python API ``highspy`` (default; the model is passed as sparse arrays,
which is much faster than building it expression by expression), or PuLP with HiGHS or CBC
(``backend="pulp"``; same model, used as fallback when highspy is missing).

With HiGHS the LP relaxation is solved first (a few per cent of the cost of branch and bound):
its optimum is an upper bound of the tree score, so a candidate that cannot beat a given score
is left alone, and when the LP optimum is integral it already is the exact tree (most
fragmentation graphs). Branch and bound runs within node and iteration counts, never a time
limit, so the result does not depend on machine load.

Before solving, edges that cannot be in an optimal tree are dropped: an edge u -> v whose weight
plus an upper bound on what the subtree below v can gain is <= 0 (the bound adds, for every colour
reachable from v, the best positive weight of any edge into that colour). Repeated until stable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from specsweep.params.stages import FormulaStageParams


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
    """Rows as (row index, column, coefficient) triplets plus upper bounds (all rows are <=).

    Connectivity is written per (vertex, colour): the edges leaving a non-root vertex v into one
    colour sum to at most the edges entering v. A colour receives at most one edge, so these rows
    admit the same trees as one row per edge (x_e <= edges into src(e)), and their LP relaxation
    is tighter: a vertex half in the tree cannot feed two halves of one colour."""
    m = src.size
    # colour rows: sum of edges into each colour <= 1
    colors, color_row = np.unique(color[dst], return_inverse=True)
    r_idx = [color_row]
    c_idx = [np.arange(m)]
    vals = [np.ones(m)]
    upper = [np.ones(colors.size)]
    order = np.argsort(dst, kind="stable")
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(in_ptr, dst + 1, 1)
    in_ptr = np.cumsum(in_ptr)
    inner = np.nonzero(src != 0)[0]
    n_colors = int(color.max()) + 1 if color.size else 1
    groups, group_of = np.unique(src[inner] * n_colors + color[dst[inner]], return_inverse=True)
    base = colors.size
    rows = base + np.arange(groups.size)
    r_idx.append(base + group_of)
    c_idx.append(inner)
    vals.append(np.ones(inner.size))
    parent_v = groups // n_colors  # the vertex each (vertex, colour) row is about
    counts = in_ptr[parent_v + 1] - in_ptr[parent_v]
    rep_rows = np.repeat(rows, counts)
    starts = np.repeat(in_ptr[parent_v], counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    r_idx.append(rep_rows)
    c_idx.append(order[starts + offsets])
    vals.append(-np.ones(rep_rows.size))
    upper.append(np.zeros(groups.size))
    return (np.concatenate(r_idx), np.concatenate(c_idx), np.concatenate(vals), np.concatenate(upper))


def _highs_model(w, rows, cols, vals, upper):
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
    lp.sense_ = highspy.ObjSense.kMaximize
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.passModel(lp)
    return h


def _solve_highspy(w, rows, cols, vals, upper, limits: "ExactLimits", start, cutoff, lp_bound=None):
    """LP relaxation first: its optimum bounds the tree score from above, and an integral LP
    optimum is the exact tree. Then branch and bound within ``limits`` (counts, not time).
    With ``lp_bound`` (the relaxation's optimum, known to be fractional from an earlier call)
    the LP step is skipped. Returns (values, state, lp_bound) with state optimal | bounded |
    node_limit | too_large."""
    import highspy
    m = w.size
    h = _highs_model(w, rows, cols, vals, upper)
    if lp_bound is None:
        # presolve costs more than it saves on these LPs (same optima and vertices, ~2x faster)
        h.setOptionValue("presolve", "off")
        h.setOptionValue("simplex_iteration_limit", int(limits.lp_iterations))
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            bound = float(h.getInfo().objective_function_value)
            values = np.asarray(h.getSolution().col_value, dtype=np.float64)
            if values.size == m and np.all(np.minimum(values, 1.0 - values) < 1e-7):
                return np.round(values), "optimal", bound
        else:
            bound = float("inf")
        h.setOptionValue("presolve", "choose")
    else:
        bound = float(lp_bound)
    if cutoff is not None and bound <= cutoff:
        return np.zeros(m), "bounded", bound
    if m > limits.mip_max_edges:
        return np.zeros(m), "too_large", bound
    # restarts (presolve again after root cuts) cost a third of the time on these graphs and found
    # the same optima on the validation spectra
    h.setOptionValue("mip_allow_restart", False)
    h.changeColsIntegrality(m, np.arange(m, dtype=np.int32), np.full(m, 1, dtype=np.uint8))  # 1: integer
    h.setOptionValue("mip_max_nodes", int(limits.mip_nodes))
    # the heuristic tree is given as the start solution: HiGHS's own primal heuristics cost a
    # quarter of the branch-and-bound time on fragmentation graphs and find nothing better
    for name in ("mip_heuristic_run_feasibility_jump", "mip_heuristic_run_rins", "mip_heuristic_run_rens",
                 "mip_heuristic_run_root_reduced_cost"):
        h.setOptionValue(name, False)
    h.setOptionValue("mip_heuristic_effort", 0.0)
    h.setOptionValue("simplex_iteration_limit", int(limits.mip_lp_iterations))
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
    return values, "optimal" if optimal else "node_limit", bound


def _solve_pulp(w, rows, cols, vals, upper):
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


@dataclass(frozen=True)
class ExactLimits:
    """Work limits of one exact solve, in counts so that results do not depend on machine load
    (HiGHS is deterministic with one thread and a fixed seed)."""

    lp_iterations: int = 200_000       # simplex iterations of the LP relaxation
    mip_nodes: int = FormulaStageParams().ilp_max_nodes  # branch-and-bound nodes (the stage's default)
    mip_lp_iterations: int = 2_000_000  # simplex iterations summed over the branch and bound
    # branch and bound only for graphs of at most this many edges (after the bound reduction):
    # its root node costs about 1 CPU ms per edge on fragmentation graphs (cut rounds), so a
    # larger graph keeps its heuristic tree and its LP bound (state too_large)
    mip_max_edges: int = 1_500


def solve_ilp(graph, backend: str = "highs", start_parent: np.ndarray | None = None,
              limits: ExactLimits = ExactLimits(), cutoff: float | None = None, lp_bound: float | None = None
              ) -> tuple[np.ndarray, float, str, float]:
    """Exact tree of a :class:`~specsweep.formula.graph.CandidateGraph`.

    Returns (parent, score, state, bound). ``state`` is ``optimal``; ``bounded`` when the LP
    relaxation shows the optimum is at most ``cutoff`` (nothing solved; empty tree);
    ``too_large`` when the LP optimum is fractional and the graph has more than
    ``limits.mip_max_edges`` edges (no branch and bound; empty tree); or
    ``node_limit`` when branch and bound stopped at ``limits`` (the tree is the best valid one
    found, else empty). ``bound`` is the LP relaxation's optimum (an upper bound of the tree
    score; inf when unknown). ``start_parent`` (e.g. the heuristic tree) is given to HiGHS as a
    starting solution. ``lp_bound``: the LP optimum of an earlier call that found it fractional
    (its ``bound``); the relaxation is then not solved again. The PuLP backend solves without
    limits and reports no bound.
    """
    n = graph.n_vertices
    parent = np.full(n, -1, dtype=np.int64)
    keep = reduce_edges(graph)
    eidx = np.nonzero(keep)[0]
    if eidx.size == 0:
        return parent, 0.0, "optimal", 0.0
    src, dst, w = graph.src[eidx], graph.dst[eidx], graph.w[eidx]
    rows, cols, vals, upper = _constraint_rows(n, graph.color, src, dst)
    if backend == "highs":
        try:
            import highspy  # noqa: F401
        except ImportError:
            backend = "pulp"
    bound = float("inf")
    if backend == "highs":
        start = None
        if start_parent is not None:
            start = (start_parent[dst] == src).astype(np.float64)
        values, state, bound = _solve_highspy(w, rows, cols, vals, upper, limits, start, cutoff, lp_bound)
    elif backend == "pulp":
        values, optimal = _solve_pulp(w, rows, cols, vals, upper)
        state = "optimal" if optimal else "node_limit"
    else:
        raise ValueError(f"unknown ILP backend {backend!r} (highs | pulp)")
    if state in ("bounded", "too_large"):
        return parent, 0.0, state, bound
    chosen = values > 0.5
    parent[dst[chosen]] = src[chosen]
    if not _is_tree(n, parent):
        parent[:] = -1
        return parent, 0.0, "node_limit", bound
    return parent, float(w[chosen].sum()), state, bound
