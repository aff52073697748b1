"""Learned root prior: real repository formulas (a perfluorinated sulfonate, a nucleotide, an
organophosphate) against the other plausible decompositions of their neutral mass; deterministic
scores and fit."""

from dataclasses import replace

import numpy as np

from specsweep.chem.formulas import parse_formula
from specsweep.formula.alphabet import Alphabet
from specsweep.formula.fit_root_prior import fit, window_candidates
from specsweep.formula.root_prior import FEATURES, load_root_prior, root_features
from specsweep.formula.scoring import get_profile, sirius_root_prior

ALPHABET = Alphabet.parse("CHNOPSFClBrI")


def _rank(score: np.ndarray, hit: int) -> int:
    return int(np.sum(score > score[hit])) + 1


def test_learned_prior_ranks_repository_classes_above_same_mass_decompositions():
    model = load_root_prior()
    params = get_profile("qtof")
    # PFOS and PFDA (perfluorooctanesulfonic and perfluorodecanoic acid): among the thousands of
    # plausible decompositions of their neutral mass (10 ppm), in the top 1 % of the learned prior,
    # far down the SIRIUS + element prior
    for text in ("C8HF17O3S", "C10HF19O2"):
        forms, hit = window_candidates(ALPHABET.to_array(parse_formula(text)), ALPHABET)
        assert hit >= 0 and forms.shape[0] > 5000
        learned = _rank(model.score(forms, ALPHABET), hit)
        assert learned <= 0.01 * forms.shape[0], text
        assert 10 * learned < _rank(sirius_root_prior(forms, ALPHABET, params), hit), text
    # CDP (cytidine diphosphate) against hydrogen-poor decompositions of the same mass (within
    # 4 mDa) that the SIRIUS + element prior puts above it
    cdp, *others = (ALPHABET.to_array(parse_formula(t)) for t in ("C9H15N3O11P2", "C22H5N5O2S", "C23H6N3O3P"))
    rows = np.vstack([cdp, *others])
    learned, sirius = model.score(rows, ALPHABET), sirius_root_prior(rows, ALPHABET, params)
    assert np.all(learned[0] > learned[1:]) and np.all(sirius[0] < sirius[1:])


def test_scores_are_deterministic_and_vectorised():
    model = load_root_prior()
    forms, _ = window_candidates(ALPHABET.to_array(parse_formula("C20H25N3O")), ALPHABET)
    a = model.score(forms, ALPHABET)
    b = np.concatenate([model.score(forms[i:i + 1], ALPHABET) for i in range(forms.shape[0])])
    assert np.array_equal(a, model.score(forms.copy(), ALPHABET))
    np.testing.assert_allclose(a, b, atol=1e-12)
    assert root_features(forms, ALPHABET).shape == (forms.shape[0], len(FEATURES))


def test_root_scores_switch_between_priors():
    from specsweep.formula.scoring import root_scores
    params = get_profile("qtof")
    forms, hit = window_candidates(ALPHABET.to_array(parse_formula("C8HF17O3S")), ALPHABET)
    mass = ALPHABET.mass(forms)
    sirius = root_scores(forms, ALPHABET, float(mass[hit]), mass, replace(params, root_prior="sirius"))
    learned = root_scores(forms, ALPHABET, float(mass[hit]), mass, replace(params, root_prior="learned"))
    both = root_scores(forms, ALPHABET, float(mass[hit]), mass, replace(params, root_prior="both"))
    # learned and sirius share the mass and odd-electron terms; both adds the two priors
    np.testing.assert_allclose(both, learned + sirius_root_prior(forms, ALPHABET, params), atol=1e-9)
    assert not np.allclose(sirius, learned)


def test_fit_is_deterministic_on_real_formulas():
    texts = ["C8H5NO2", "C6H3ClF3NO", "C9H14N3O8P", "C7H7NO4S", "C10H12N5O6P", "C8H8O3", "C12H10Cl2N2O"]
    xs, groups, labels = [], [], []
    for g, text in enumerate(texts):
        forms, hit = window_candidates(ALPHABET.to_array(parse_formula(text)), ALPHABET)
        order = np.concatenate(([hit], np.delete(np.arange(forms.shape[0]), hit)))
        xs.append(root_features(forms[order], ALPHABET))
        groups.append(np.full(order.size, g))
        labels.append(np.arange(order.size) == 0)
    x, group, label = np.vstack(xs), np.concatenate(groups), np.concatenate(labels)
    a, b = fit(x, group, label, l2=1.0), fit(x.copy(), group.copy(), label.copy(), l2=1.0)
    assert np.array_equal(a.weights, b.weights) and a.offset == b.offset
    # fitted on these lists, each true formula scores above the median of its list
    u = a.score(np.vstack([ALPHABET.to_array(parse_formula(t)) for t in texts]), ALPHABET)
    z = ((x - a.mean) / a.scale) @ a.weights - a.offset
    medians = np.array([np.median(z[group == g]) for g in range(len(texts))])
    assert np.all(u > medians)
