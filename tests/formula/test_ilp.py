"""Maximum colorful subtree: ILP against exhaustive search on small graphs; heuristic is a lower bound."""

import itertools

import numpy as np
import pytest

from specsweep.formula.graph import CandidateGraph
from specsweep.formula.heuristic import solve_heuristic
from specsweep.formula.ilp import solve_ilp


def random_graph(seed: int, n: int = 7, n_colors: int = 4) -> CandidateGraph:
    rng = np.random.default_rng(seed)
    color = np.concatenate(([n_colors], rng.integers(0, n_colors, n - 1)))
    src, dst = [], []
    for u in range(n):
        for v in range(u + 1, n):
            if color[u] != color[v] and rng.random() < 0.6:
                src.append(u)
                dst.append(v)
    w = np.round(rng.normal(0.5, 2.0, len(src)), 3)
    return CandidateGraph(root=np.zeros(1, dtype=np.int64), row=np.arange(n) - 1, color=color,
                          n_colors=n_colors + 1, src=np.array(src, dtype=np.int64),
                          dst=np.array(dst, dtype=np.int64), w=w)


def exhaustive(g: CandidateGraph) -> float:
    into = [[(-1, 0.0)] for _ in range(g.n_vertices)]
    for s, d, w in zip(g.src, g.dst, g.w):
        into[d].append((int(s), float(w)))
    best = 0.0
    for choice in itertools.product(*into[1:]):
        parent = [-1] + [c[0] for c in choice]
        used = [v for v in range(1, g.n_vertices) if parent[v] >= 0]
        if len({int(g.color[v]) for v in used}) != len(used):
            continue
        if any(parent[v] != 0 and parent[parent[v]] < 0 for v in used):
            continue  # every used vertex hangs from the root or from another used vertex
        best = max(best, sum(c[1] for c in choice))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_ilp_is_exact_and_heuristic_is_bounded(seed):
    g = random_graph(seed)
    parent, score, status, bound = solve_ilp(g)
    assert status == "optimal"
    assert score == pytest.approx(exhaustive(g), abs=1e-9)
    assert bound >= score - 1e-9  # the LP relaxation bounds the tree score from above
    chosen = np.nonzero(parent >= 0)[0]
    assert len({int(g.color[v]) for v in chosen}) == chosen.size
    _, h_score = solve_heuristic(g)
    assert h_score <= score + 1e-9
    _, p_score, p_status, _ = solve_ilp(g, backend="pulp")
    assert p_status == "optimal" and p_score == pytest.approx(score, abs=1e-9)
    # a cutoff at or above the LP bound skips the solve; below the optimum it changes nothing
    assert solve_ilp(g, cutoff=bound + 1e-6)[2] in ("bounded", "optimal")
    _, c_score, c_status, _ = solve_ilp(g, cutoff=score - 1.0)
    assert c_status == "optimal" and c_score == pytest.approx(score, abs=1e-9)


def test_heuristic_counts_its_edge_reads_and_large_graphs_skip_branch_and_bound():
    from specsweep.formula.heuristic import solve_heuristic_counted
    from specsweep.formula.ilp import ExactLimits
    states = set()
    for seed in range(40):
        g = random_graph(seed, n=14, n_colors=6)
        parent, score, visits = solve_heuristic_counted(g)
        # at least two insertion passes and two re-attachment passes over all edges
        assert visits >= 4 * g.src.size and score == solve_heuristic(g)[1]
        p2, _, v2 = solve_heuristic_counted(g)
        assert v2 == visits and np.array_equal(p2, parent)
        _, exact, state, lp = solve_ilp(g)
        assert state == "optimal"
        p0, small, state0, lp0 = solve_ilp(g, limits=ExactLimits(mip_max_edges=0))
        states.add(state0)
        if state0 == "too_large":  # fractional LP: no branch and bound, empty tree, the LP bound
            assert small == 0.0 and np.all(p0 < 0) and lp0 >= exact - 1e-9
        else:  # integral LP: the exact tree without branching
            assert state0 == "optimal" and abs(small - exact) < 1e-9
    assert "optimal" in states


def test_branch_and_bound_from_a_known_lp_bound_finds_the_same_tree():
    """The exact step passes the relaxation's optimum of its first solve to branch and bound,
    which then does not solve the LP again: same trees and scores as solving from scratch, and
    the bound it was given comes back."""
    fractional = 0
    for seed in range(40):
        g = random_graph(seed, n=14, n_colors=6)
        parent, score, state, lp = solve_ilp(g, cutoff=np.inf)
        if state == "optimal":
            continue  # integral relaxation: nothing left for branch and bound
        assert state == "bounded"
        fractional += 1
        p_full, s_full, st_full, _ = solve_ilp(g)
        p_reuse, s_reuse, st_reuse, lp_reuse = solve_ilp(g, lp_bound=lp)
        assert st_full == st_reuse == "optimal" and lp_reuse == lp
        assert s_reuse == pytest.approx(s_full, abs=1e-9)
        assert np.array_equal(p_full, p_reuse)
    assert fractional >= 3
