"""Candidate graphs from the spectrum's row DAG equal those built pair by pair; the tree-score
bound used for pruning holds."""

import numpy as np

from specsweep.chem.masses import PROTON
from specsweep.formula.alphabet import Alphabet
from specsweep.formula.graph import SpectrumGraph
from specsweep.formula.heuristic import solve_heuristic
from specsweep.formula.identify import FormulaSettings, _decomposer, _edge_scorer, precursor_candidates
from specsweep.formula.ilp import solve_ilp
from specsweep.formula.peaks import prepare_peaks
from specsweep.formula.priors import load_tables
from specsweep.spectra.mgf_reader import read_mgf


def _spectrum_graph(rec, alphabet, settings):
    p = settings.params
    peaks = prepare_peaks(rec.mz, rec.intensity, rec.precursor_mz, float(p.allowed_da(rec.precursor_mz)))
    return SpectrumGraph(peaks.mz, peaks.rel_intensity, PROTON, alphabet, _decomposer(alphabet), p,
                         _edge_scorer(alphabet, p, "fitted"), load_tables())


def test_dag_graphs_equal_pairwise_graphs_and_bounds_hold(demo_mgf):
    alphabet = Alphabet.parse("CHNOPSFClBrI")
    settings = FormulaSettings()
    recs = [r for r in read_mgf(demo_mgf) if 300 < r.precursor_mz < 450][:3]
    assert recs
    for rec in recs:
        cands = precursor_candidates(rec.precursor_mz, ["[M+H]+"], alphabet, settings)[:25]
        with_dag = _spectrum_graph(rec, alphabet, settings)
        pairwise = _spectrum_graph(rec, alphabet, settings)
        pairwise._dag = False  # as when the DAG would be too large
        roots, priors = np.array([c.root for c in cands]), np.array([c.root_prior_raw for c in cands])
        bounds, _ = with_dag.bounds(roots, priors)  # best edge into each row from the DAG
        loose, _ = pairwise.bounds(roots, priors)   # vertex score + loss bound per peak pair
        assert np.all(bounds <= loose + 1e-9) and np.any(bounds < loose - 1.0)
        # the per-peak-pair loss bound is tighter than vertex score + edge_max for some rows
        in_pair = pairwise._in_bounds()
        assert np.all(in_pair <= pairwise.vertex_score + pairwise.edge_max + 1e-9)
        assert np.any(in_pair < pairwise.vertex_score + pairwise.edge_max - 1.0)
        for c, bound, loose_bound in zip(cands, bounds, loose):
            g1, _, _ = with_dag.candidate(c.root, c.root_prior_raw, vertex_bonus=1.0)
            g2, _, _ = pairwise.candidate(c.root, c.root_prior_raw, vertex_bonus=1.0)
            assert np.array_equal(g1.src, g2.src) and np.array_equal(g1.dst, g2.dst)
            assert np.array_equal(g1.w, g2.w) and np.array_equal(g1.row, g2.row)
            g0, _, _ = with_dag.candidate(c.root, c.root_prior_raw)
            # every edge: loss and chemical terms within the bound; the exact tree within the bound
            extra = g0.w - with_dag.vertex_score[g0.row[g0.dst]]
            assert np.all(extra <= with_dag.edge_max + 1e-9)
            _, exact, state, lp = solve_ilp(g0)
            assert state == "optimal" and solve_heuristic(g0)[1] <= exact + 1e-9 <= bound + 1e-9
            assert exact <= loose_bound + 1e-9
            assert lp >= exact - 1e-9
