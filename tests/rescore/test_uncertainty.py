"""The interval of the number of wrong hits among the accepted (rescore.uncertainty)."""
import numpy as np
import pytest

from specsweep.rescore.pep import adapt_priors, pep_qvalues
from specsweep.rescore import uncertainty
from specsweep.rescore.uncertainty import fit_frequencies, wrong_count_interval, wrong_count_intervals

CENTRES = np.array([2.0, 0.0, -2.0])   # right, outranked, absent: unit Gaussians on a line


def _dataset(rng, n, freq):
    """Labels drawn at ``freq``, one observation each, and its exact class likelihoods."""
    y = rng.choice(3, size=n, p=freq)
    x = rng.normal(CENTRES[y], 1.0)
    like = np.exp(-0.5 * (x[:, None] - CENTRES) ** 2)
    return y, like / like.sum(axis=1, keepdims=True)


def test_interval_holds_the_true_wrong_count_about_as_often_as_it_says():
    # exact class likelihoods, frequencies unknown to the estimate: the only errors are the
    # frequency estimate and chance, which is what the interval accounts for
    rng = np.random.default_rng(11)
    held = cells = 0
    for _ in range(60):
        y, ev = _dataset(rng, 400, [0.6, 0.3, 0.1])
        post, _ = adapt_priors(ev, np.full(3, 1 / 3))
        pep = 1 - post[:, 0]
        accepted = pep_qvalues(pep) <= 0.10
        low, high = wrong_count_interval(ev, np.ones(y.size), accepted, draws=200)
        wrong = int(np.sum(y[accepted] != 0))
        held += low <= wrong <= high
        cells += 1
    assert 0.85 <= held / cells <= 0.99   # chance alone (no frequency error) held 0.83 here


def test_interval_is_wider_than_chance_alone_when_the_frequencies_are_uncertain():
    rng = np.random.default_rng(5)
    _, ev = _dataset(rng, 150, [0.6, 0.3, 0.1])
    accepted = np.ones(ev.shape[0], bool)
    low, high = wrong_count_interval(ev, np.ones(ev.shape[0]), accepted)
    post, _ = adapt_priors(ev, np.full(3, 1 / 3))
    pep = 1 - post[:, 0]
    chance = (np.random.default_rng(0).random((4000, pep.size)) < pep).sum(axis=1)
    c_low, c_high = np.quantile(chance, [0.05, 0.95])
    assert low <= pep.sum() <= high
    assert high - low > c_high - c_low


def test_same_input_same_interval_and_the_edges():
    rng = np.random.default_rng(2)
    _, ev = _dataset(rng, 300, [0.5, 0.3, 0.2])
    acc = rng.random(300) < 0.5
    matched = np.ones(300)
    assert wrong_count_interval(ev, matched, acc) == wrong_count_interval(ev, matched, acc)
    assert wrong_count_interval(ev, matched, np.zeros(300, bool)) == (0, 0)
    # hits without a matched peak are wrong whatever the evidence says
    only_empty = np.zeros(300, bool)
    only_empty[:7] = True
    assert wrong_count_interval(ev, np.where(only_empty, 0, 1), only_empty) == (7, 7)
    with pytest.raises(ValueError, match="coverage"):
        wrong_count_interval(ev, matched, acc, coverage=1.5)
    with pytest.raises(ValueError, match="finite"):
        wrong_count_interval(np.vstack([ev[:-1], [np.nan, 0.5, 0.5]]), matched, acc)
    with pytest.raises(ValueError, match="one bool per row"):
        wrong_count_interval(ev, matched, acc[:10])


def test_frequency_draws_centre_on_the_em_estimate_and_shrink_with_more_hits():
    rng = np.random.default_rng(9)
    spreads = []
    for n in (200, 3200):
        _, ev = _dataset(rng, n, [0.6, 0.3, 0.1])
        _, em = adapt_priors(ev, np.full(3, 1 / 3))
        draws = fit_frequencies(ev).draws(2000, np.random.default_rng(1))
        assert np.allclose(draws.sum(axis=1), 1.0) and (draws > 0).all()
        assert draws.mean(axis=0) == pytest.approx(em, abs=0.02)
        spreads.append(draws[:, 0].std())
    assert spreads[1] < spreads[0] / 2.5   # about 1 / sqrt(16) = 1/4 of the spread


def test_large_sets_use_the_delta_method_and_agree_with_the_draws(monkeypatch):
    rng = np.random.default_rng(4)
    y, ev = _dataset(rng, 3000, [0.6, 0.3, 0.1])
    post, _ = adapt_priors(ev, np.full(3, 1 / 3))
    q = pep_qvalues(1 - post[:, 0])
    masks = {"5%": q <= 0.05, "20%": q <= 0.20, "all": np.ones(y.size, bool)}
    matched = np.ones(y.size)
    drawn = wrong_count_intervals(ev, matched, masks)
    monkeypatch.setattr(uncertainty, "EXACT_DRAWS_UP_TO", 10)
    delta = wrong_count_intervals(ev, matched, masks)
    for name in masks:
        (a, b), (c, d) = drawn[name], delta[name]
        width = b - a
        assert abs(a - c) <= 0.15 * width + 2 and abs(b - d) <= 0.15 * width + 2, (name, drawn, delta)
    # one mask at a time gives what the batch gives
    assert wrong_count_interval(ev, matched, masks["20%"]) == wrong_count_intervals(
        ev, matched, {"x": masks["20%"]})["x"]
