"""Per-candidate fragment mass shift (formula.mass_shift.choose_shift): real MassBank spectra whose fragment
m/z are moved by +7 ppm (QTOF-type systematic error) keep their true formula on top, and the
pruning bounds stay upper bounds of the shifted tree scores."""

from dataclasses import replace

import numpy as np
import pytest

from specsweep.chem.formulas import format_formula, parse_formula
from specsweep.chem.masses import PROTON
from specsweep.formula import identify as ident
from specsweep.formula import mass_shift
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
    gain = mass_shift.shift_gain_bound(sg, settings)
    bounds, _ = sg.bounds(np.array([c.root for c in cands]), np.array([c.root_prior_raw for c in cands]), 0.0, gain)
    plain, _ = sg.bounds(np.array([c.root for c in cands]), np.array([c.root_prior_raw for c in cands]), 0.0)
    shifted = 0
    for c, ub, ub0 in zip(cands, bounds, plain):
        g, _, _ = sg.candidate(c.root, c.root_prior_raw)
        shift, cost = mass_shift.choose_shift(sg, g, settings)
        shifted += shift != 0.0
        # the bound holds for every shift: the best tree (exact) of the graph under the largest move
        for d in (shift, settings.max_shift_ppm, -settings.max_shift_ppm):
            _, score, state, _ = solve_ilp(mass_shift.shifted_graph(sg, g, d))
            assert state == "optimal" and score <= ub + 1e-6
        assert ub >= ub0 - 1e-9
    assert shifted > 0


def test_shift_gains_kernel_matches_the_vectorised_score():
    from specsweep.formula.scoring import fragment_mass_score, get_profile, shift_gains
    rng = np.random.default_rng(7)
    theo = np.sort(rng.uniform(60, 600, 40))[::-1]
    peak = np.repeat(np.arange(10), 4)
    measured = theo[::4][peak] * (1 + rng.normal(0, 6, 40)[peak] * 1e-6)  # one m/z per peak
    vscore = rng.normal(0, 2, 40)
    grid = np.array([0.0, -5.0, 3.0, 8.0])
    for p in (get_profile("qtof"), replace(get_profile("qtof"), fragment_offset_weight=0.3, fragment_offset_sd_ppm=6.0)):
        got = shift_gains(np.arange(40), measured[::4].copy(), peak, theo, vscore, np.zeros(40, dtype=bool), grid,
                          p.fragment_sd_ppm, p.fragment_sd_abs_da, p.fragment_offset_weight, p.fragment_offset_sd_ppm)
        for k, d in enumerate(grid):
            v = vscore + fragment_mass_score(measured * (1 - d * 1e-6), theo, p) - fragment_mass_score(measured, theo, p)
            expected = sum(max(0.0, v[peak == q].max()) for q in range(10))
            assert abs(got[k] - expected) < 1e-9
