"""Scores: compiled loss kernel equals the array version; hand-computed values of single terms."""

import math
from dataclasses import replace

import numpy as np

from specsweep.chem.formulas import parse_formula
from specsweep.formula.alphabet import Alphabet
from specsweep.formula.scoring import (EdgeScorer, ScoringParams, kernel_args, loss_score_kernel,
                                       mass_deviation_score, root_scores)


def test_kernel_matches_array_scores():
    alphabet = Alphabet.parse("CHNOPSClNa")
    scorer = EdgeScorer(alphabet, ScoringParams())
    rng = np.random.default_rng(1)
    losses = rng.integers(0, 4, size=(400, len(alphabet.elements)))
    named = ["H2O", "CO", "H3N", "CH2O2", "C2H2O", "HCl", "C", "N2", "HO3P", "CH3", "H"]
    losses = np.vstack([losses, [alphabet.to_array(parse_formula(f)) for f in named]])
    losses = losses[losses.sum(axis=1) > 0]
    args = kernel_args(scorer)
    compiled = np.array([loss_score_kernel(loss, *args) for loss in losses])
    np.testing.assert_allclose(compiled, scorer.loss_scores(losses), atol=1e-12)


def test_single_terms_by_hand():
    p = ScoringParams()
    alphabet = Alphabet.parse("CHNOPS")
    scorer = EdgeScorer(alphabet, p)
    # H2O: log-normal size term + listed bonus - normalisation + radical normalisation
    m = float(alphabet.mass(alphabet.to_array(parse_formula("H2O"))[None])[0])
    size = (-(math.log(m) - p.loss_mu) ** 2 / (2 * p.loss_sigma2)
            - math.log(m * math.sqrt(2 * math.pi * p.loss_sigma2)) - p.loss_norm)
    bonus = scorer.tables["common_losses"]["H2O"]
    expected = size + bonus - p.common_loss_norm - p.radical_norm
    got = scorer.loss_scores(alphabet.to_array(parse_formula("H2O"))[None])[0]
    assert math.isclose(got, expected, rel_tol=1e-9)
    # mass deviation: an error of exactly one sd scores ln erfc(1 / sqrt 2) = ln(0.3173)
    sd = 10e-6 * 300.0
    assert math.isclose(mass_deviation_score(300.0 + sd, 300.0, 10.0, 0.0), math.log(0.31731050786291415),
                        rel_tol=1e-9)
    # the odd-electron root penalty (ln 0.01) hits C9H12NO4 (doubled RDBE 7) but not C9H11NO4 (DOPA)
    f = np.array([alphabet.to_array(parse_formula("C9H11NO4")), alphabet.to_array(parse_formula("C9H12NO4"))])
    theo = np.array([198.0761, 199.0839])
    with_penalty = root_scores(f, alphabet, 198.0761, theo, p)
    without = root_scores(f, alphabet, 198.0761, theo, replace(p, radical_root=0.0))
    np.testing.assert_allclose(with_penalty - without, [0.0, math.log(0.01)], atol=1e-12)


def test_fitted_element_log_odds_replace_the_constant_per_element():
    from specsweep.formula.scoring import get_profile
    alphabet = Alphabet.parse("CHNOPSFClBrI")
    rows = np.array([alphabet.to_array(parse_formula(f)) for f in ("C10H10O2", "C10H9BrO2", "C10H9ClO2")])
    fitted = get_profile("qtof", root_prior="sirius")  # the element terms belong to SIRIUS's root prior
    odds = dict(fitted.element_log_odds)
    assert set(odds) == {"P", "S", "F", "Cl", "Br", "I"} and odds["Br"] < odds["Cl"] < 0
    plain = replace(fitted, element_log_odds=())
    theo = np.full(3, 100.0)
    diff = root_scores(rows, alphabet, 100.0, theo, fitted) - root_scores(rows, alphabet, 100.0, theo, plain)
    # only the element term changes: SIRIUS's ln(0.25) becomes the element's log odds
    np.testing.assert_allclose(diff, [0.0, odds["Br"] - math.log(0.25), odds["Cl"] - math.log(0.25)])


def test_fitted_atom_count_prior():
    """With fitted priors each hetero element also adds ln P(atoms = k | present) from training
    compounds: trifluoromethyl groups make three F atoms far likelier than four, one P atom far
    likelier than two."""
    from specsweep.formula.scoring import get_profile
    alphabet = Alphabet.parse("CHNOPSFClBrI")
    texts = ("C10H10O2", "C10H9FO2", "C10H7F3O2", "C10H6F4O2", "C10H13O4P", "C10H14O6P2", "C10H7Cl3O2", "C10H2Cl8O2")
    rows = np.array([alphabet.to_array(parse_formula(f)) for f in texts])
    fitted = get_profile("qtof", root_prior="sirius")
    counts = dict(fitted.element_count_log_prob)
    assert set(counts) == {"P", "S", "F", "Cl", "Br", "I"} and all(len(v) == 8 for v in counts.values())
    theo = np.full(rows.shape[0], 100.0)
    diff = (root_scores(rows, alphabet, 100.0, theo, fitted)
            - root_scores(rows, alphabet, 100.0, theo, replace(fitted, element_count_log_prob=())))
    f, p, cl = counts["F"], counts["P"], counts["Cl"]
    np.testing.assert_allclose(diff, [0.0, f[0], f[2], f[3], p[0], p[1], cl[2], cl[7]])
    assert f[2] > f[3] + 2.0 and p[0] > p[1] + 2.0
