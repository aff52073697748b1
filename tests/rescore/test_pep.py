import numpy as np
import pytest

from specsweep.rescore.pep import adapt_priors, pep_from_proba, pep_qvalues


def test_qvalues_are_running_means_of_sorted_peps_with_ties_shared():
    q = pep_qvalues([0.1, 0.0, 0.5, 0.1, 1.0])
    # sorted 0, .1, .1, .5, 1 -> means 0, .05, .0667 (tie group taken whole), .175, .34
    assert q == pytest.approx([0.2 / 3, 0.0, 0.175, 0.2 / 3, 0.34])


def test_qvalues_monotone_in_pep_and_keep_input_order():
    rng = np.random.default_rng(3)
    pep = rng.random(200)
    q = pep_qvalues(pep)
    order = np.argsort(pep)
    assert np.all(np.diff(q[order]) >= 0)
    assert np.all(q <= pep + 1e-12)   # a running mean never exceeds its last term
    assert pep_qvalues(np.zeros(0)).size == 0


@pytest.mark.parametrize("bad", [[0.1, np.nan], [1.2], [-0.1]])
def test_qvalues_refuse_non_probabilities(bad):
    with pytest.raises(ValueError, match="probabilities"):
        pep_qvalues(bad)


def test_zero_matched_peaks_means_pep_one():
    proba = np.array([[0.99, 0.005, 0.005], [0.99, 0.005, 0.005]])
    assert pep_from_proba(proba, np.array([3, 0])) == pytest.approx([0.01, 1.0])


def _posteriors(x, prior):
    """Exact posteriors of three unit Gaussians at -2, 0, 2 under class frequencies prior."""
    like = np.exp(-0.5 * (x[:, None] - np.array([2.0, 0.0, -2.0])) ** 2)
    w = like * prior
    return w / w.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("true_prior", [[0.6, 0.3, 0.1], [0.02, 0.03, 0.95], [0.3, 0.2, 0.5]])
def test_em_recovers_the_class_frequencies_of_a_dataset(true_prior):
    rng = np.random.default_rng(7)
    train = np.array([0.4, 0.2, 0.4])
    y = rng.choice(3, size=5000, p=true_prior)
    x = rng.normal(np.array([2.0, 0.0, -2.0])[y], 1.0)
    post, prior = adapt_priors(_posteriors(x, train), train, adapt="all")
    assert prior == pytest.approx(true_prior, abs=0.03)
    # the adjusted posteriors are the exact posteriors under the estimated frequencies
    assert post == pytest.approx(_posteriors(x, prior), abs=1e-6)


def test_em_keeps_training_frequencies_for_uninformative_small_data():
    train = np.array([0.5, 0.25, 0.25])
    for adapt in ("all", "absent"):
        post, prior = adapt_priors(np.tile(train, (3, 1)), train, adapt=adapt)
        assert prior == pytest.approx(train)
    with pytest.raises(ValueError, match="classes"):
        adapt_priors(np.ones((2, 2)) / 2, train)
    with pytest.raises(ValueError, match="adapt"):
        adapt_priors(np.tile(train, (3, 1)), train, adapt="right")


def test_em_default_is_not_pulled_along_classes_that_look_alike():
    """"outranked" and "absent" top hits look nearly alike, so the likelihood is almost flat
    between them: the default estimate (no pseudo-hits) stays at the data's frequencies, where
    20 pseudo-hits at a training mixture of 49 % absent would move the absent share a long way."""
    mu = np.array([2.0, -0.5, -0.8])
    rng = np.random.default_rng(3)
    true, train = [0.65, 0.31, 0.04], np.array([0.37, 0.14, 0.49])
    y = rng.choice(3, size=5000, p=true)
    x = rng.normal(mu[y], 1.0)
    like = np.exp(-0.5 * (x[:, None] - mu) ** 2) * train
    proba = like / like.sum(axis=1, keepdims=True)
    post, prior = adapt_priors(proba, train, adapt="all")
    assert prior == pytest.approx(np.bincount(y) / y.size, abs=0.03)
    assert np.mean(1 - post[:, 0]) == pytest.approx(np.mean(y != 0), abs=0.01)
    _, pulled = adapt_priors(proba, train, pseudo_count=20, adapt="all")
    assert pulled[2] - prior[2] > 0.05


@pytest.mark.parametrize("absent", [0.04, 0.5, 0.95])
def test_absent_only_adaptation_keeps_the_training_ratio(absent):
    """adapt="absent": a dataset changes how many compounds are absent, not how often the search
    puts the right one first: right : outranked stays at the training ratio, and the absent
    share is found when the data follow that ratio."""
    train = np.array([0.3, 0.2, 0.5])
    true = np.array([0.6 * (1 - absent), 0.4 * (1 - absent), absent])
    rng = np.random.default_rng(11)
    y = rng.choice(3, size=6000, p=true)
    x = rng.normal(np.array([2.0, 0.0, -2.0])[y], 1.0)
    post, prior = adapt_priors(_posteriors(x, train), train, adapt="absent")
    assert prior[0] / prior[1] == pytest.approx(1.5)
    assert prior[2] == pytest.approx(absent, abs=0.03)
    assert post == pytest.approx(_posteriors(x, prior), abs=1e-6)
    # on data whose present classes do not follow the training ratio, the default (free)
    # re-estimation moves that ratio and "absent" keeps it
    y2 = rng.choice(3, size=6000, p=[0.8, 0.1, 0.1])
    x2 = rng.normal(np.array([2.0, 0.0, -2.0])[y2], 1.0)
    _, free = adapt_priors(_posteriors(x2, train), train)
    _, tied = adapt_priors(_posteriors(x2, train), train, adapt="absent")
    assert free[0] / free[1] > 4 and tied[0] / tied[1] == pytest.approx(1.5)


def test_class_evidence_gives_the_same_peps_whatever_the_training_frequencies():
    """Posteriors at the training frequencies, turned into class evidence, give the PEPs of EM on
    the posteriors themselves; evidence of two datasets put together gives the PEPs of the two
    as one dataset (how the repository-wide FDR pools them)."""
    from specsweep.rescore.pep import class_evidence, peps_from_evidence
    rng = np.random.default_rng(5)
    train = np.array([0.37, 0.14, 0.49])
    y = rng.choice(3, size=800, p=[0.5, 0.2, 0.3])
    x = rng.normal(np.array([2.0, 0.0, -2.0])[y], 1.0)
    proba = _posteriors(x, train)
    matched = np.where(np.arange(800) % 50 == 0, 0, 3)
    post, prior = adapt_priors(proba, train)
    ev = class_evidence(proba, train)
    assert ev.sum(axis=1) == pytest.approx(np.ones(800))
    pep, prior_ev = peps_from_evidence(ev, matched)
    assert prior_ev == pytest.approx(prior, abs=1e-5)
    assert pep == pytest.approx(pep_from_proba(post, matched), abs=1e-5)
    assert (pep[matched == 0] == 1).all()
    # a dataset apart gets other PEPs than within the pool
    part, _ = peps_from_evidence(ev[:100], matched[:100])
    assert np.max(np.abs(part - pep[:100])) > 1e-3
