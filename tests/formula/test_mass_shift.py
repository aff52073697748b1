"""Per-candidate fragment mass shift (identify._choose_shift): real MassBank spectra whose fragment
m/z are moved by +7 ppm (QTOF-type systematic error) keep their true formula on top, and the
pruning bounds stay upper bounds of the shifted tree scores."""

from dataclasses import replace

import numpy as np
import pytest

from specsweep.chem.formulas import format_formula, parse_formula
from specsweep.chem.masses import PROTON
from specsweep.formula import identify as ident
from specsweep.formula.alphabet import Alphabet
from specsweep.formula.graph import SpectrumGraph
from specsweep.formula.heuristic import solve_heuristic
from specsweep.formula.ilp import solve_ilp
from specsweep.formula.peaks import prepare_peaks
from specsweep.formula.priors import load_tables
from specsweep.spectra.mgf_reader import read_mgf

FIXED = "CHNOPSFClBrI"
# C23H34O4 [M+H]+ (11 peaks) and C13H8Cl2N2O4 [M+H]+ (23 peaks): with fragments 7 ppm heavy and
# no shift, C20H35FO5 (C3 -> F H O) resp. another formula explains the peaks better
TITLES = ("MSBNK-NaToxAq-NA001629", "MSBNK-Eawag-EQ332006")


@pytest.fixture(scope="module")
def spectra(demo_mgf):
    return {r.title: r for r in read_mgf(demo_mgf) if r.title in TITLES}


def _top(rec, settings, ppm):
    status, rows = ident.identify(rec.precursor_mz, np.asarray(rec.mz) * (1 + ppm * 1e-6), rec.intensity,
                                  [rec.adduct], FIXED, settings)
    return [r["formula"] for r in rows]


@pytest.mark.parametrize("title", TITLES)
def test_shifted_fragments_keep_the_true_formula_on_top(spectra, title):
    rec = spectra[title]
    true = format_formula(parse_formula(rec.formula))
    settings = ident.FormulaSettings(ranker=None)
    assert _top(rec, settings, 7.0)[0] == true
    assert _top(rec, settings, 0.0)[0] == true
    # without the shift (the scoring before it) the shifted spectrum loses its formula
    assert _top(rec, replace(settings, max_shift_ppm=0.0), 7.0)[0] != true


def test_bounds_hold_for_shifted_trees(spectra):
    rec = spectra[TITLES[0]]
    settings = ident.FormulaSettings(ranker=None)
    alphabet = Alphabet.parse(FIXED)
    cands = ident.precursor_candidates(rec.precursor_mz, [rec.adduct], alphabet, settings)
    params = settings.params
    peaks = prepare_peaks(rec.mz, rec.intensity, rec.precursor_mz, float(params.allowed_da(rec.precursor_mz)),
                          settings.peaks)
    sg = SpectrumGraph(peaks.mz * (1 + 7e-6), peaks.rel_intensity, PROTON, alphabet, ident._decomposer(alphabet),
                       params, ident._edge_scorer(alphabet, params), load_tables(), roots=np.array([c.root for c in cands]))
    gain = ident.shift_gain_bound(sg, settings)
    bounds, _ = sg.bounds(np.array([c.root for c in cands]), np.array([c.root_prior_raw for c in cands]), 0.0, gain)
    plain, _ = sg.bounds(np.array([c.root for c in cands]), np.array([c.root_prior_raw for c in cands]), 0.0)
    shifted = 0
    for c, ub, ub0 in zip(cands, bounds, plain):
        g, _, _ = sg.candidate(c.root, c.root_prior_raw)
        shift, cost = ident._choose_shift(sg, g, settings)
        shifted += shift != 0.0
        # the bound holds for every shift: the best tree (exact) of the graph under the largest move
        for d in (shift, settings.max_shift_ppm, -settings.max_shift_ppm):
            _, score, state, _ = solve_ilp(ident._shifted_graph(sg, g, d))
            assert state == "optimal" and score <= ub + 1e-6
        assert ub >= ub0 - 1e-9
    assert shifted > 0
